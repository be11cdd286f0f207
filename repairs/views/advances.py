"""Pages of advances (借支) and expense claims (报销): my advances and claims (phone-friendly
forms, receipt photos from the camera), a document with its chain, timers, settlements and
history, the approval queue, finance's desk and the ageing of outstanding advances (with Excel),
and the Excel of a month's paid claims.

Outside the viewer's scope 404; not allowed 403; bad input 400 with the form; a step the state no
longer allows 409 with the page."""

from __future__ import annotations

from datetime import date
from io import BytesIO

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_fsm import TransitionNotAllowed

from network.choices import Role
from network.visibility import user_org_unit
from service_ops.actions import apply_service_errors
from service_ops.files import stored_file_response
from service_ops.paging import keyset_page
from service_ops.transitions.services import log_of

from ..choices import ClaimState
from ..exports import XLSX_CONTENT_TYPE
from ..forms import advances as forms
from ..models.advances import Advance, ExpenseClaim, MoneyStep, ReceiptPhoto
from ..permissions import has_role
from ..selectors import advances as sel
from ..services import advances as svc

ADVANCE_ACTIONS = ("submit", "cancel", "pay", "repay")
CLAIM_ACTIONS = ("submit", "cancel", "pay", "photo")


def _is_finance(user) -> bool:
    return has_role(user, Role.FINANCE)


def _may_file(user) -> bool:
    unit = user_org_unit(user)
    return unit is not None and not unit.is_partner


# --- lists --------------------------------------------------------------------------------------


@login_required
@require_GET
def advance_list(request):
    user = request.user
    if not _may_file(user):
        raise PermissionDenied
    filters = forms.AdvanceListForm(request.GET or None)
    state, mine = "", False
    if filters.is_bound and filters.is_valid():
        state, mine = filters.cleaned_data["state"], filters.cleaned_data["mine"]
    qs = sel.advance_list(user, state=state, mine=mine)
    return render(
        request,
        "repairs/advances/advance_list.html",
        {"page": keyset_page(qs, request.GET), "filters": filters, "tab": "advances"},
    )


@login_required
@require_GET
def claim_list(request):
    user = request.user
    if not _may_file(user):
        raise PermissionDenied
    filters = forms.ClaimListForm(request.GET or None)
    state, mine, month = "", False, None
    if filters.is_bound and filters.is_valid():
        state, mine = filters.cleaned_data["state"], filters.cleaned_data["mine"]
        month = filters.cleaned_data["month"]
    qs = sel.claim_list(user, state=state, mine=mine, month=month)
    return render(
        request,
        "repairs/advances/claim_list.html",
        {
            "page": keyset_page(qs, request.GET),
            "filters": filters,
            "tab": "claims",
            "may_export": _is_finance(user) and month is not None,
            "month": month,
        },
    )


# --- new ----------------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def advance_new(request):
    user = request.user
    if not _may_file(user):
        raise PermissionDenied
    form = forms.AdvanceForm(request.POST or None, user=user)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                advance = svc.advance_create(
                    requester=user,
                    amount=data["amount"],
                    purpose=data["purpose"],
                    trip_destination=data["trip_destination"],
                    trip_start=data["trip_start"],
                    trip_end=data["trip_end"],
                    links=form.links(),
                    submit=request.POST.get("submit") == "1",
                )
            except ValidationError as exc:
                apply_service_errors(exc, form)
            else:
                messages.success(request, _("借支 %(no)s 已保存") % {"no": advance.number})
                return redirect(advance.get_absolute_url())
        status = 400
    return render(request, "repairs/advances/advance_form.html", {"form": form}, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def claim_new(request):
    user = request.user
    if not _may_file(user):
        raise PermissionDenied
    form = forms.ClaimForm(request.POST or None, user=user)
    lines = forms.ExpenseLineFormSet(request.POST or None, request.FILES or None, prefix="lines")
    status = 200
    if request.method == "POST":
        if form.is_valid() and lines.is_valid():
            inputs = [
                svc.ExpenseLineInput(
                    category=f.cleaned_data["category"],
                    spent_on=f.cleaned_data["spent_on"],
                    amount=f.cleaned_data["amount"],
                    days=f.cleaned_data["days"],
                    note=f.cleaned_data["note"],
                    photos=[f.cleaned_data["photo"]] if f.cleaned_data.get("photo") else [],
                )
                for f in lines.forms
                if f.cleaned_data and not f.cleaned_data.get("DELETE")
            ]
            try:
                claim = svc.claim_create(
                    claimant=user,
                    lines=inputs,
                    advance=form.cleaned_data["advance"],
                    links=form.links(),
                    note=form.cleaned_data["note"],
                    submit=request.POST.get("submit") == "1",
                )
            except ValidationError as exc:
                apply_service_errors(exc, form)
            else:
                messages.success(request, _("报销单 %(no)s 已保存") % {"no": claim.number})
                return redirect(claim.get_absolute_url())
        status = 400
    return render(
        request, "repairs/advances/claim_form.html", {"form": form, "lines": lines}, status=status
    )


# --- one document -------------------------------------------------------------------------------


def _doc_page(request, doc, *, forms_=None, status=200):
    user = request.user
    forms_ = forms_ or {}
    is_advance = isinstance(doc, Advance)
    progress = sel.progress_of(doc)
    pending = progress.pending
    can_sign = pending is not None and sel.approval_queue(user).filter(pk=pending.pk).exists()
    mine = doc.requester_id == user.pk
    finance = _is_finance(user)
    ctx = {
        "doc": doc,
        "is_advance": is_advance,
        "progress": progress,
        "can_sign": can_sign,
        "decision_form": forms_.get("decision") or forms.DecisionForm(),
        "may_submit": mine and doc.state in ("draft", "rejected"),
        "may_cancel": mine and doc.state in ("draft", "submitted", "rejected"),
        "cancel_form": forms_.get("cancel") or forms.CancelForm(),
        "may_pay": finance and doc.state == "approved",
        "pay_form": forms_.get("pay") or forms.PayForm(),
        "log": log_of(doc),
    }
    if is_advance:
        ctx["settlements"] = list(doc.settlements.select_related("claim", "recorded_by"))
        ctx["may_repay"] = finance and doc.state in sel.OPEN_ADVANCE
        ctx["repay_form"] = forms_.get("repay") or forms.RepayForm()
        template = "repairs/advances/advance_detail.html"
    else:
        lines = list(doc.lines.prefetch_related("photos"))
        ctx["lines"] = lines
        ctx["deductions"] = list(doc.deductions.select_related("advance"))
        ctx["may_add_photo"] = mine and doc.state in ("draft", "rejected")
        ctx["photo_form"] = forms_.get("photo") or forms.PhotoForm()
        ctx["open_advances"] = (
            Advance.objects.filter(
                requester_id=doc.requester_id, state__in=sel.OPEN_ADVANCE
            ).order_by("paid_on", "pk")
            if (finance and doc.state == "approved")
            else []
        )
        template = "repairs/advances/claim_detail.html"
    return render(request, template, ctx, status=status)


@login_required
@require_GET
def advance_detail(request, pk: int):
    return _doc_page(request, get_object_or_404(_advances(request), pk=pk))


@login_required
@require_GET
def claim_detail(request, pk: int):
    return _doc_page(request, get_object_or_404(_claims(request), pk=pk))


def _advances(request):
    return Advance.objects.visible_to(request.user).select_related(
        "requester",
        "org_unit",
        "branch",
        "paid_by",
        "visit__request",
        "service_request",
        "repair_order",
    )


def _claims(request):
    return ExpenseClaim.objects.visible_to(request.user).select_related(
        "requester",
        "org_unit",
        "branch",
        "paid_by",
        "advance",
        "visit__request",
        "service_request",
        "repair_order",
    )


def _act(request, doc, action, *, actions):
    """Run one action on an advance or a claim; the page again on bad input (400) or a state
    that no longer allows it (409)."""
    user = request.user
    is_advance = isinstance(doc, Advance)
    try:
        if action == "submit":
            if is_advance:
                svc.advance_submit(advance_id=doc.pk, actor=user)
            else:
                svc.claim_submit(claim_id=doc.pk, actor=user)
            messages.success(request, _("已提交审批"))
        elif action == "cancel":
            form = forms.CancelForm(request.POST)
            reason = form.cleaned_data["reason"] if form.is_valid() else ""
            if is_advance:
                svc.advance_cancel(advance_id=doc.pk, actor=user, reason=reason)
            else:
                svc.claim_cancel(claim_id=doc.pk, actor=user, reason=reason)
            messages.success(request, _("已取消"))
        elif action == "pay":
            form = forms.PayForm(request.POST)
            if not _is_finance(user):
                raise PermissionDenied
            if not form.is_valid():
                return _doc_page(request, doc, forms_={"pay": form}, status=400)
            try:
                if is_advance:
                    svc.advance_pay(advance_id=doc.pk, actor=user, **form.cleaned_data)
                    messages.success(request, _("已登记付款"))
                else:
                    claim = svc.claim_pay(claim_id=doc.pk, actor=user, **form.cleaned_data)
                    messages.success(
                        request,
                        _("已付款：实付 ¥%(n)s，冲抵借支 ¥%(d)s")
                        % {"n": claim.net_paid, "d": claim.deducted},
                    )
            except ValidationError as exc:
                apply_service_errors(exc, form)
                return _doc_page(request, doc, forms_={"pay": form}, status=400)
        elif action == "repay":
            form = forms.RepayForm(request.POST)
            if not _is_finance(user):
                raise PermissionDenied
            if not form.is_valid():
                return _doc_page(request, doc, forms_={"repay": form}, status=400)
            try:
                svc.advance_repay(advance_id=doc.pk, actor=user, **form.cleaned_data)
            except ValidationError as exc:
                apply_service_errors(exc, form)
                return _doc_page(request, doc, forms_={"repay": form}, status=400)
            messages.success(request, _("已登记还款"))
        else:  # photo
            form = forms.PhotoForm(request.POST, request.FILES)
            if doc.requester_id != user.pk:
                raise PermissionDenied
            if not form.is_valid() or not doc.lines.filter(pk=form.cleaned_data["line"]).exists():
                form.is_valid()
                form.add_error("file", _("请选择明细和照片"))
                return _doc_page(request, doc, forms_={"photo": form}, status=400)
            try:
                svc.claim_add_photo(
                    line_id=form.cleaned_data["line"], actor=user, file=form.cleaned_data["file"]
                )
            except ValidationError as exc:
                apply_service_errors(exc, form)
                return _doc_page(request, doc, forms_={"photo": form}, status=400)
            messages.success(request, _("票据照片已上传"))
    except TransitionNotAllowed:
        doc.refresh_from_db()
        messages.error(request, _("单据的状态已改变，不能执行此操作"))
        return _doc_page(request, doc, status=409)
    except ValidationError as exc:
        doc.refresh_from_db()
        messages.error(request, " ".join(exc.messages))
        return _doc_page(request, doc, status=400)
    return redirect(doc.get_absolute_url())


@login_required
@require_POST
def advance_act(request, pk: int, action: str):
    if action not in ADVANCE_ACTIONS:
        raise Http404
    return _act(
        request, get_object_or_404(_advances(request), pk=pk), action, actions=ADVANCE_ACTIONS
    )


@login_required
@require_POST
def claim_act(request, pk: int, action: str):
    if action not in CLAIM_ACTIONS:
        raise Http404
    return _act(request, get_object_or_404(_claims(request), pk=pk), action, actions=CLAIM_ACTIONS)


@login_required
@require_GET
def receipt_photo(request, pk: int):
    photo = get_object_or_404(ReceiptPhoto.objects.visible_to(request.user), pk=pk)
    return stored_file_response(photo.file)


@login_required
@require_POST
def money_step_decide(request, pk: int):
    """Sign a step (approve or reject with a reason); 404 for a step the caller may neither see
    nor sign."""
    user = request.user
    step = get_object_or_404(
        MoneyStep.objects.visible_to(user).select_related("advance", "claim"), pk=pk
    )
    doc = step.document
    form = forms.DecisionForm(request.POST)
    form.is_valid()
    approve = request.POST.get("decision") == "approve"
    try:
        svc.money_decide(
            step_id=step.pk,
            actor=user,
            approve=approve,
            comment=form.cleaned_data.get("comment", ""),
        )
    except TransitionNotAllowed:
        messages.error(request, _("该步骤已处理，不能重复签字"))
        return _doc_page(request, doc, status=409)
    except ValidationError as exc:
        apply_service_errors(exc, form)
        return _doc_page(request, doc, forms_={"decision": form}, status=400)
    messages.success(request, _("已同意") if approve else _("已驳回"))
    return redirect(doc.get_absolute_url())


# --- approvals, finance's desk, ageing ------------------------------------------------------------


@login_required
@require_GET
def money_approvals(request):
    steps = list(sel.approval_queue(request.user)[:100])
    timers = sel.step_deadlines(steps)
    for step in steps:
        step.deadline = timers.get(step.pk)
        step.doc = step.document
    return render(request, "repairs/advances/approvals.html", {"steps": steps})


@login_required
@require_GET
def money_desk(request):
    if not _is_finance(request.user):
        raise PermissionDenied
    advances, claims = sel.to_pay(request.user)
    _rows, totals = sel.ageing_summary(request.user, limit=0)
    return render(
        request,
        "repairs/advances/desk.html",
        {
            "advances": advances,
            "claims": claims,
            "totals": totals,
            "total_cells": sel.bucket_cells(totals),
            "desk_rows": sel.DESK_ROWS,
            "last_month": (timezone.localdate().replace(day=1) - timezone.timedelta(days=1)),
        },
    )


def _may_see_ageing(user) -> bool:
    from network.selectors import held_roles

    from ..models.advances import MONEY_ALL_ROLES, MONEY_SCOPE_ROLES

    return user.is_superuser or bool((MONEY_ALL_ROLES | MONEY_SCOPE_ROLES) & held_roles(user))


@login_required
@require_GET
def money_ageing(request):
    user = request.user
    if not _may_see_ageing(user):
        raise PermissionDenied
    filters = forms.AgeingFilterForm(request.GET or None)
    bucket, by = "", "branch"
    if filters.is_bound and filters.is_valid():
        bucket, by = filters.cleaned_data["bucket"], filters.cleaned_data["by"] or "branch"
    today = timezone.localdate()
    rows, totals = sel.ageing_summary(user, today=today, by=by)
    qs = sel.outstanding_advances(user, today=today, bucket=bucket)
    page = keyset_page(qs, request.GET, order=("paid_on",))
    for advance in page.object_list:
        advance.days = (today - advance.paid_on).days
    return render(
        request,
        "repairs/advances/ageing.html",
        {
            "filters": filters,
            "rows": rows,
            "totals": totals,
            "total_cells": sel.bucket_cells(totals),
            "page": page,
            "by": by,
        },
    )


@login_required
@require_GET
def money_ageing_xlsx(request):
    user = request.user
    if not _may_see_ageing(user):
        raise PermissionDenied
    response = HttpResponse(ageing_xlsx(user), content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = (
        f'attachment; filename="advances-ageing-{timezone.localdate():%Y%m%d}.xlsx"'
    )
    return response


@login_required
@require_GET
def claims_paid_xlsx(request):
    user = request.user
    if not _is_finance(user):
        raise PermissionDenied
    form = forms.ClaimListForm(request.GET)
    if not form.is_valid() or form.cleaned_data["month"] is None:
        raise Http404
    month = form.cleaned_data["month"]
    response = HttpResponse(paid_claims_xlsx(user, month), content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="claims-paid-{month:%Y-%m}.xlsx"'
    return response


# --- Excel ----------------------------------------------------------------------------------------
AMOUNT_FORMAT = "#,##0.00"


def _workbook(title: str, headers: list[str]):
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    ws = wb.active
    ws.title = title
    ws.append(headers)
    for cell in ws[1]:
        cell.font = Font(bold=True)
    return wb, ws


def _bytes(wb) -> bytes:
    out = BytesIO()
    wb.save(out)
    return out.getvalue()


def ageing_xlsx(user, *, today: date | None = None) -> bytes:
    """Every outstanding advance the user sees (oldest first), then the summary by branch."""
    today = today or timezone.localdate()
    labels = {k: str(label) for k, _lo, _hi, label in sel.BUCKETS}
    wb, ws = _workbook(
        "借支账龄",
        [
            "单号",
            "借款人",
            "分公司",
            "单位",
            "事由",
            "付款日期",
            "天数",
            "账龄",
            "借支金额",
            "已核销",
            "未核销",
        ],
    )
    qs = sel.outstanding_advances(user, today=today).order_by("paid_on", "pk")
    for a in qs.iterator(chunk_size=1000):
        days = (today - a.paid_on).days
        ws.append(
            [
                a.number,
                a.requester_name,
                a.branch.name if a.branch else "总部",
                a.org_unit.name,
                a.purpose,
                a.paid_on,
                days,
                labels[sel.bucket_of(days)],
                a.amount,
                a.settled_amount,
                a.balance,
            ]
        )
        for cell in ws[ws.max_row][8:11]:
            cell.number_format = AMOUNT_FORMAT
    summary = wb.create_sheet("按分公司汇总")
    summary.append(["分公司", *labels.values(), "合计", "笔数"])
    rows, totals = sel.ageing_summary(user, today=today, by="branch", limit=10_000)
    for row in [*rows, sel.AgeingRow(label="合计", key=None, figures=totals)]:
        f = row.figures
        summary.append([row.label, *[f[k] for k in labels], f["total"], f["n"]])
    return _bytes(wb)


def paid_claims_xlsx(user, month: date) -> bytes:
    """The claims paid in `month` that the user sees, with their deduction and net payment."""
    wb, ws = _workbook(
        f"{month:%Y-%m}",
        [
            "单号",
            "报销人",
            "分公司",
            "付款日期",
            "付款方式",
            "凭证号",
            "报销金额",
            "冲抵借支",
            "实付",
        ],
    )
    qs = sel.claim_list(user, month=month).filter(state=ClaimState.PAID).order_by("paid_on", "pk")
    for c in qs.iterator(chunk_size=1000):
        ws.append(
            [
                c.number,
                c.requester_name,
                c.branch.name if c.branch else "总部",
                c.paid_on,
                c.get_payment_method_display(),
                c.payment_reference,
                c.total,
                c.deducted,
                c.net_paid,
            ]
        )
        for cell in ws[ws.max_row][6:9]:
            cell.number_format = AMOUNT_FORMAT
    return _bytes(wb)
