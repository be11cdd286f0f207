"""Pages of car-factory units (车厂回购机流程): buy-back batches (list, intake, detail with the
step of each unit, the report for the OEM), the backup pool (list, lend, its own steps), swaps
(list with the overdue filter, detail with return / failed unit received / original sent back)
and the monthly reconciliation. Thin: scope, permission for the page, form, service."""

from __future__ import annotations

from datetime import date

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from service_ops.actions import NOT_ALLOWED, not_allowed, run_action, service_errors
from service_ops.deadlines.services import open_deadlines_of
from service_ops.paging import keyset_page
from service_ops.selectors import annotate_time_left
from service_ops.transitions.services import log_of

from ..choices import (
    BackupSwapState,
    BackupUnitState,
    BuybackBatchState,
    BuybackUnitState,
    OemReconciliationState,
)
from ..exports import XLSX_CONTENT_TYPE
from ..forms import oem as f
from ..models import BackupSwap, BackupUnit, BuybackBatch, BuybackUnit, OemReconciliation
from ..oem_exports import batch_report_pdf, batch_report_xlsx, reconciliation_xlsx
from ..permissions import (
    may_decide_buyback,
    may_finish_buyback,
    may_handle_oem_backups,
    may_inspect_buyback,
    may_intake_buyback,
    may_reconcile_oem,
    may_see_oem,
)
from ..selectors import oem as sel
from ..services import oem as svc

PAGE_SIZE = 25
# the step each unit state waits for, who may take it, the service that does it
UNIT_STEPS = {
    "inspect": (BuybackUnitState.RECEIVED, may_inspect_buyback, svc.buyback_unit_inspect),
    "decide": (BuybackUnitState.INSPECTED, may_decide_buyback, svc.buyback_unit_decide),
    "finish": (BuybackUnitState.DECIDED, may_finish_buyback, svc.buyback_unit_finish),
}
STEP_OF_UNIT = {state: name for name, (state, _may, _call) in UNIT_STEPS.items()}
SWAP_ACTIONS = ("return", "receive_failed", "send_original")
BACKUP_ACTIONS = tuple(svc.BACKUP_STEPS)
RECONCILIATION_ACTIONS = ("build", "send", "confirm", "dispute", "reopen")


def _labelled(log, states) -> list:
    labels = dict(states.choices)
    entries = list(log)
    for entry in entries:
        entry.state_label = labels.get(entry.to_state, entry.to_state)
    return entries


def _page_allowed(user):
    """Pages that name no record: only headquarters' customer service (a page naming a record
    answers 404 to everyone else, as its visible_to says)."""
    if not may_see_oem(user):
        raise PermissionDenied


# --- 回购机 --------------------------------------------------------------------------------------


@login_required
@require_GET
def oem_batch_list(request):
    _page_allowed(request.user)
    rows = sel.batch_list(request.user, request.GET)
    page = keyset_page(rows, request.GET, size=PAGE_SIZE, rows=sel.with_progress)
    return render(
        request,
        "repairs/oem/batch_list.html",
        {
            "page": page,
            "oems": list(sel.oems(request.user)),
            "states": BuybackBatchState.choices,
            "params": request.GET,
            "can_intake": may_intake_buyback(request.user),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def oem_batch_create(request):
    _page_allowed(request.user)
    if not may_intake_buyback(request.user):
        raise PermissionDenied
    form = f.IntakeForm(request.POST or None, request.FILES or None, user=request.user)

    def page(form, status=200):
        return render(request, "repairs/oem/batch_form.html", {"form": form}, status=status)

    if request.method != "POST":
        return page(form)

    def call(data):
        if data.get("file"):
            rows = svc.rows_from_file(data["file"])
        else:
            rows = svc.rows_from_text(data["serials"])
        return svc.buyback_batch_intake(
            actor=request.user,
            oem=data["oem"],
            received_on=data["received_on"],
            rows=rows,
            default_model=data.get("default_model", ""),
            oem_reference=data.get("oem_reference", ""),
            note=data.get("note", ""),
        )

    return run_action(
        request,
        form,
        call,
        lambda batch: batch.get_absolute_url(),
        invalid=lambda form: page(form, status=400),
        message=lambda batch: (
            _("已登记回购机批次 %(no)s，共 %(n)d 台") % {"no": batch.number, "n": batch.unit_count}
        ),
    )


def _render_batch(request, batch, *, unit=None, action=None, form=None, status=200):
    units = list(batch.units.select_related("repair_order").order_by("id"))
    user = request.user
    for u in units:
        step = STEP_OF_UNIT.get(u.state)
        u.step = step if step and UNIT_STEPS[step][1](user) else None
    return render(
        request,
        "repairs/oem/batch_detail.html",
        {
            "batch": batch,
            "units": units,
            "totals": sel.batch_totals(batch),
            "log": _labelled(log_of(batch), BuybackBatchState),
            "open_unit": unit,
            "action": action,
            "form": form,
            "step_titles": {
                "inspect": _("检测"),
                "decide": _("处理决定"),
                "finish": _("处理完成"),
            },
        },
        status=status,
    )


@login_required
@require_GET
def oem_batch_detail(request, pk: int):
    batch = get_object_or_404(
        BuybackBatch.objects.visible_to(request.user).select_related("oem"), pk=pk
    )
    return _render_batch(request, batch)


@login_required
@require_GET
def oem_batch_report(request, pk: int, fmt: str):
    batch = get_object_or_404(
        BuybackBatch.objects.visible_to(request.user).select_related("oem"), pk=pk
    )
    if fmt == "xlsx":
        response = HttpResponse(batch_report_xlsx(batch), content_type=XLSX_CONTENT_TYPE)
    elif fmt == "pdf":
        response = HttpResponse(batch_report_pdf(batch), content_type="application/pdf")
    else:
        raise Http404
    response["Content-Disposition"] = f'attachment; filename="buyback-{batch.number}.{fmt}"'
    return response


@login_required
@require_http_methods(["GET", "POST"])
def oem_unit_act(request, pk: int, action: str):
    """GET: the batch page with this unit's step open. POST: the service; its errors on the form
    (400), a step the unit's state no longer allows says so (409 to htmx)."""
    if action not in UNIT_STEPS:
        raise Http404
    unit = get_object_or_404(
        BuybackUnit.objects.visible_to(request.user).select_related("batch__oem"), pk=pk
    )
    _state, allowed, call = UNIT_STEPS[action]
    if not allowed(request.user):
        raise PermissionDenied
    form = f.UNIT_FORMS[action](request.POST or None)
    batch = unit.batch
    if request.method != "POST":
        return _render_batch(request, batch, unit=unit, action=action, form=form)
    return run_action(
        request,
        form,
        lambda data: call(unit_id=unit.pk, actor=request.user, **data),
        lambda u: batch.get_absolute_url() + f"#unit-{u.pk}",
        invalid=lambda form: _render_batch(
            request, batch, unit=unit, action=action, form=form, status=400
        ),
        message=lambda u: f"{u.serial_number}：{u.get_state_display()}",
        not_allowed_url=batch.get_absolute_url(),
    )


# --- 江淮备用机: the pool ---------------------------------------------------------------------


@login_required
@require_GET
def oem_backup_list(request):
    _page_allowed(request.user)
    rows = sel.backup_list(request.user, request.GET)
    page = keyset_page(rows, request.GET, size=PAGE_SIZE)
    return render(
        request,
        "repairs/oem/backup_list.html",
        {
            "page": page,
            "oems": list(sel.oems(request.user)),
            "states": BackupUnitState.choices,
            "params": request.GET,
            "can_handle": may_handle_oem_backups(request.user),
            "steps": {
                BackupUnitState.RETURNED_FAULTY: (
                    ("send_to_repair", _("送修")),
                    ("scrap", _("报废")),
                ),
                BackupUnitState.UNDER_REPAIR: (("repaired", _("修好回库")), ("scrap", _("报废"))),
            },
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def oem_backup_lend(request, pk: int):
    backup = get_object_or_404(
        BackupUnit.objects.visible_to(request.user).select_related("oem"), pk=pk
    )
    if not may_handle_oem_backups(request.user):
        raise PermissionDenied
    if backup.state != BackupUnitState.IN_POOL and request.method != "POST":
        return not_allowed(request, reverse_pool())
    form = f.LendForm(request.POST or None, backup=backup)

    def page(form, status=200):
        return render(
            request, "repairs/oem/lend_form.html", {"form": form, "backup": backup}, status=status
        )

    if request.method != "POST":
        return page(form)
    return run_action(
        request,
        form,
        lambda data: svc.backup_swap_lend(actor=request.user, backup_id=backup.pk, **data),
        lambda swap: swap.get_absolute_url(),
        invalid=lambda form: page(form, status=400),
        message=lambda swap: (
            _("已借出 %(s)s，应还日期 %(d)s")
            % {"s": backup.serial_number, "d": swap.due_back.isoformat()}
        ),
        not_allowed_url=reverse_pool(),
    )


def reverse_pool() -> str:
    from django.urls import reverse

    return reverse("repairs:oem_backup_list")


@login_required
@require_POST
def oem_backup_act(request, pk: int, action: str):
    if action not in BACKUP_ACTIONS:
        raise Http404
    backup = get_object_or_404(BackupUnit.objects.visible_to(request.user), pk=pk)
    if not may_handle_oem_backups(request.user):
        raise PermissionDenied
    form = f.BackupStepForm(request.POST)
    comment = form.cleaned_data["comment"] if form.is_valid() else ""
    try:
        backup = svc.BACKUP_STEPS[action](backup_id=backup.pk, actor=request.user, comment=comment)
    except NOT_ALLOWED:
        return not_allowed(request, reverse_pool())
    messages.success(request, f"{backup.serial_number}：{backup.get_state_display()}")
    return redirect(reverse_pool() + f"?q={backup.serial_number}")


# --- 江淮备用机: swaps ----------------------------------------------------------------------


@login_required
@require_GET
def oem_swap_list(request):
    _page_allowed(request.user)
    rows = sel.swap_list(request.user, request.GET)
    page = keyset_page(rows, request.GET, size=PAGE_SIZE)
    return render(
        request,
        "repairs/oem/swap_list.html",
        {
            "page": page,
            "oems": list(sel.oems(request.user)),
            "params": request.GET,
            "today": timezone.localdate(),
            "overdue": request.GET.get("overdue") in ("1", "true"),
        },
    )


def _render_swap(request, swap, *, action=None, form=None, status=200):
    user = request.user
    timer = open_deadlines_of(swap, kind=svc.BACKUP_KIND).select_related("policy").first()
    if timer is not None:
        annotate_time_left(timer, timezone.now())
    forms = {}
    if may_handle_oem_backups(user):
        if swap.state == BackupSwapState.LENT:
            forms["return"] = f.ReturnForm()
        if swap.failed_received_on is None:
            forms["receive_failed"] = f.ReceiveFailedForm(
                initial={"received_on": timezone.localdate()}
            )
        elif swap.original_sent_back_on is None:
            forms["send_original"] = f.SendOriginalForm(initial={"sent_on": timezone.localdate()})
    if action:
        forms[action] = form
    return render(
        request,
        "repairs/oem/swap_detail.html",
        {
            "swap": swap,
            "timer": timer,
            "forms": forms,
            "titles": {
                "return": _("备用机归还"),
                "receive_failed": _("故障机收到"),
                "send_original": _("原机修复寄回"),
            },
            "log": _labelled(log_of(swap), BackupSwapState),
            "overdue": swap.is_overdue(),
        },
        status=status,
    )


def _visible_swap(user, pk):
    return get_object_or_404(
        BackupSwap.objects.visible_to(user).select_related("store", "backup", "oem", "lent_by"),
        pk=pk,
    )


@login_required
@require_GET
def oem_swap_detail(request, pk: int):
    return _render_swap(request, _visible_swap(request.user, pk))


@login_required
@require_POST
def oem_swap_act(request, pk: int, action: str):
    if action not in SWAP_ACTIONS:
        raise Http404
    swap = _visible_swap(request.user, pk)
    if not may_handle_oem_backups(request.user):
        raise PermissionDenied
    form = f.SWAP_FORMS[action](request.POST)
    calls = {
        "return": svc.backup_swap_return,
        "receive_failed": svc.backup_swap_receive_failed,
        "send_original": svc.backup_swap_send_original,
    }
    return run_action(
        request,
        form,
        lambda data: calls[action](swap_id=swap.pk, actor=request.user, **data),
        lambda s: s.get_absolute_url(),
        invalid=lambda form: _render_swap(request, swap, action=action, form=form, status=400),
        message=lambda s: f"{s.number}：{_('已登记')}",
        not_allowed_url=swap.get_absolute_url(),
    )


# --- 江淮备用机: the monthly reconciliation ----------------------------------------------------


def _month(value: str) -> date:
    try:
        year, month = (int(p) for p in (value or "").split("-"))
        return date(year, month, 1)
    except (TypeError, ValueError):
        today = timezone.localdate()
        return date(today.year, today.month, 1)


def _reconciliation_target(request, params):
    oems = list(sel.oems(request.user))
    chosen = params.get("oem", "")
    oem = next((o for o in oems if str(o.pk) == chosen), oems[0] if oems else None)
    return oems, oem, _month(params.get("month", ""))


@login_required
@require_http_methods(["GET", "POST"])
def oem_reconciliation(request):
    """One OEM's month: the live figures, the reconciliation row as built, sent and answered."""
    _page_allowed(request.user)
    params = request.POST if request.method == "POST" else request.GET
    oems, oem, month = _reconciliation_target(request, params)
    status = 200
    form = f.ReconciliationForm(request.POST or None)
    if request.method == "POST":
        action = request.POST.get("action", "")
        if oem is None or action not in RECONCILIATION_ACTIONS:
            raise Http404
        if not may_reconcile_oem(request.user):
            raise PermissionDenied
        try:
            if action == "build":
                svc.oem_reconciliation_build(actor=request.user, oem=oem, month=month)
            else:
                row = get_object_or_404(
                    OemReconciliation.objects.visible_to(request.user), oem=oem, month=month
                )
                note = form.cleaned_data["note"] if form.is_valid() else ""
                svc.oem_reconciliation_act(
                    reconciliation_id=row.pk, actor=request.user, action=action, note=note
                )
        except ValidationError as exc:
            for texts in service_errors(exc).values():
                for text in texts:
                    form.add_error(None, text)
            status = 400
        except NOT_ALLOWED:
            return not_allowed(request, request.path + f"?oem={oem.pk}&month={month:%Y-%m}")
        else:
            messages.success(request, _("对账单已更新"))
            return redirect(request.path + f"?oem={oem.pk}&month={month:%Y-%m}")
    row = (
        OemReconciliation.objects.visible_to(request.user).filter(oem=oem, month=month).first()
        if oem
        else None
    )
    shown = sel.RECONCILIATION_PAGE_ROWS
    if row is not None and row.state != OemReconciliationState.DRAFT and row.figures:
        figures = dict(row.figures)  # as sent to the OEM; its table as the live one's
        figures["rows"] = sorted(figures["rows"], key=lambda r: not r["overdue"])[:shown]
    else:
        figures = sel.reconciliation_figures(oem, month, limit=shown) if oem else None
    return render(
        request,
        "repairs/oem/reconciliation.html",
        {
            "oems": oems,
            "oem": oem,
            "month": month,
            "figures": figures,
            "row": row,
            "form": form,
            "can_reconcile": may_reconcile_oem(request.user),
            "states": OemReconciliationState,
        },
        status=status,
    )


@login_required
@require_GET
def oem_reconciliation_export(request):
    _page_allowed(request.user)
    _oems, oem, month = _reconciliation_target(request, request.GET)
    if oem is None:
        raise Http404
    row = OemReconciliation.objects.visible_to(request.user).filter(oem=oem, month=month).first()
    # a sent or answered reconciliation is exported as it was sent; a draft or none, live
    figures = (
        row.figures
        if row is not None and row.state != OemReconciliationState.DRAFT and row.figures
        else sel.reconciliation_figures(oem, month)
    )
    response = HttpResponse(reconciliation_xlsx(oem, figures, row), content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = (
        f'attachment; filename="backup-reconciliation-{oem.code}-{month:%Y-%m}.xlsx"'
    )
    return response
