"""Pages of return-to-factory applications (返修机返厂申请): create and follow them, sign them,
the logistics clerk's board, unauthorised arrivals and their penalties, the happy fund,
returned-stock processing and the year-end ranking.

Views stay thin: every read is scoped with `visible_to(user)` (out of scope → 404), every write
goes through a service. A service's ValidationError becomes form errors (the page keeps what was
typed), PermissionDenied a 403, and TransitionNotAllowed a clear message and a redirect."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Count, Prefetch, Q
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_fsm import TransitionNotAllowed

from network.choices import Role
from network.selectors import acts_as
from network.visibility import sees_everything, user_org_unit
from service_ops.transitions.models import ActionChannel
from service_ops.transitions.services import available_actions, run_transition

from . import forms as f
from .choices import (
    APPLICATION_STATE_COLOURS,
    ApplicationState,
    FreightTerms,
    PenaltyState,
    ReturnedStockState,
)
from .exports import XLSX_CONTENT_TYPE, ranking_workbook
from .filtersets import ReturnApplicationFilterSet
from .models import (
    ApprovalStep,
    HappyFundEntry,
    ReturnApplication,
    ReturnedStockApplication,
    ReturnPolicy,
)
from .permissions import (
    has_role,
    is_applicant_side,
    may_create_application,
    may_decide_penalties,
    may_handle_logistics,
    may_receive,
)
from .selectors import (
    application_list,
    application_steps,
    chain_template_steps,
    logistics_board,
    signature_queue,
    step_deadlines,
    visible_arrivals,
    visible_penalties,
    with_time_left,
    year_end_ranking,
)
from .services import penalties as penalty_services
from .services import returns as rma

PAGE_SIZE = 25
PRINT_MIN_ROWS = 6
EDITABLE_STATES = (ApplicationState.DRAFT, ApplicationState.REJECTED)
WITHDRAWABLE_STATES = (
    ApplicationState.DRAFT,
    ApplicationState.IN_APPROVAL,
    ApplicationState.REJECTED,
)
STOCK_TRANSITIONS = {"start", "finish"}


# --- helpers ------------------------------------------------------------------------------------


def not_allowed_text() -> str:
    """What a TransitionNotAllowed tells the user (the state changed under them)."""
    return _("此操作在当前状态下不允许")


def _not_allowed(request, url):
    messages.error(request, not_allowed_text())
    return redirect(url)


def _safe_next(request, default: str) -> str:
    target = request.POST.get("next") or request.GET.get("next")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default


def _with_colours(applications):
    rows = list(applications)
    for app in rows:
        app.state_colour = APPLICATION_STATE_COLOURS.get(app.state, "secondary")
    return rows


def _colour(app):
    app.state_colour = APPLICATION_STATE_COLOURS.get(app.state, "secondary")
    return app


def _visible_application(user, pk: int) -> ReturnApplication:
    return _colour(get_object_or_404(application_list(user), pk=pk))


# --- reads of these pages (candidates for repairs/selectors.py) ---------------------------------


# --- list, create, edit --------------------------------------------------------------------------


@login_required
@require_GET
def return_list(request):
    filterset = ReturnApplicationFilterSet(
        request.GET or None, queryset=application_list(request.user), request=request
    )
    page = Paginator(filterset.qs.order_by("-id"), PAGE_SIZE).get_page(request.GET.get("page"))
    page.object_list = _with_colours(page.object_list)
    return render(
        request,
        "repairs/return_list.html",
        {
            "filter": filterset,
            "page": page,
            "can_create": may_create_application(request.user),
            "state_colours": APPLICATION_STATE_COLOURS,
        },
    )


def _render_form(request, *, form, formset, application=None, line_errors=(), status=200):
    return render(
        request,
        "repairs/return_form.html",
        {
            "form": form,
            "formset": formset,
            "application": application,
            "line_errors": line_errors,
        },
        status=status,
    )


def _save_application(request, *, form, formset, application=None):
    """Validate, then create or update and (on "submit") submit in one transaction: when the
    submission fails nothing is half-saved and the page keeps what was typed."""
    action = request.POST.get("action", "draft")
    if action == "add_line":
        return _render_form(
            request,
            form=f.quiet(form),
            formset=f.with_extra_row(formset),
            application=application,
        )
    form_ok, lines_ok = form.is_valid(), formset.is_valid()
    if not (form_ok and lines_ok):
        return _render_form(
            request, form=form, formset=formset, application=application, status=400
        )
    try:
        with transaction.atomic():
            if application is None:
                application = rma.rma_create(
                    applicant=request.user, header=form.to_input(), lines=formset.line_inputs()
                )
            else:
                application = rma.rma_update(
                    application_id=application.pk,
                    actor=request.user,
                    header=form.to_input(),
                    lines=formset.line_inputs(),
                )
            if action == "submit":
                rma.rma_submit(
                    application_id=application.pk, actor=request.user, channel=ActionChannel.WEB
                )
    except ValidationError as exc:
        line_errors = f.apply_service_errors(exc, form, keep=["lines"]).get("lines", [])
        return _render_form(
            request,
            form=form,
            formset=formset,
            application=application if application and application.pk else None,
            line_errors=line_errors,
            status=400,
        )
    except TransitionNotAllowed:
        form.add_error(None, not_allowed_text())
        return _render_form(
            request, form=form, formset=formset, application=application, status=409
        )
    if action == "submit":
        messages.success(request, _("已提交 %(no)s，等待第 1 步签字") % {"no": application.number})
    else:
        messages.success(request, _("已保存草稿 %(no)s") % {"no": application.number})
    return redirect(application)


@login_required
@require_http_methods(["GET", "POST"])
def return_create(request):
    if not may_create_application(request.user):
        raise PermissionDenied
    if request.method == "POST":
        form = f.ReturnHeaderForm(request.POST, user=request.user)
        formset = f.line_formset(request.POST)
        return _save_application(request, form=form, formset=formset)
    unit = user_org_unit(request.user)
    initial = {"contact_name": request.user.get_full_name() or request.user.get_username()}
    profile = getattr(request.user, "profile", None)
    if profile is not None and profile.phone:
        initial["contact_phone"] = profile.phone
    if unit is not None and unit.address:
        initial["pickup_address"] = unit.address
    return _render_form(
        request,
        form=f.ReturnHeaderForm(initial=initial, user=request.user),
        formset=f.line_formset(),
    )


@login_required
@require_GET
def return_line_row(request):
    """One more empty line for the form (htmx): the row, and the formset's new total out of band."""
    try:
        index = int(request.GET.get(f"{f.LINES_PREFIX}-TOTAL_FORMS", "1"))
    except ValueError:
        index = 1
    if not 0 <= index < f.MAX_LINES:
        return HttpResponse(status=204)
    return render(
        request,
        "repairs/partials/line_row.html",
        {"line": f.blank_line_form(index), "number": index + 1, "new_total": index + 1},
    )


@login_required
@require_http_methods(["GET", "POST"])
def return_edit(request, pk: int):
    application = _visible_application(request.user, pk)
    if not is_applicant_side(request.user, application):
        raise PermissionDenied
    if application.state not in EDITABLE_STATES:
        return _not_allowed(request, application.get_absolute_url())
    if request.method == "POST":
        form = f.ReturnHeaderForm(request.POST, user=request.user)
        formset = f.line_formset(request.POST, lines=application.lines.all())
        return _save_application(request, form=form, formset=formset, application=application)
    return _render_form(
        request,
        form=f.ReturnHeaderForm(
            initial=f.ReturnHeaderForm.initial_from(application), user=request.user
        ),
        formset=f.line_formset(lines=application.lines.all()),
        application=application,
    )


# --- detail, submit, withdraw, sign ------------------------------------------------------------


def _render_detail(request, application, *, status=200, **forms):
    user = request.user
    progress, earlier_rounds = application_steps(application)
    applicant_side = is_applicant_side(user, application)
    state = application.state
    attachments = list(application.attachments.select_related("uploaded_by", "line"))
    for attachment in attachments:
        attachment.display_name = attachment.file.name.rsplit("/", 1)[-1]
    may_sign = bool(
        progress.pending and acts_as(user, progress.pending.role, progress.pending.org_unit)
    )
    context = {
        "application": application,
        "lines": list(application.lines.all()),
        "progress": progress,
        "earlier_rounds": earlier_rounds,
        "received_units": list(application.received_units.select_related("line")),
        "discrepancies": list(application.discrepancies.all()),
        "attachments": attachments,
        "can_edit": applicant_side and state in EDITABLE_STATES,
        "can_withdraw": applicant_side and state in WITHDRAWABLE_STATES,
        "can_sign": may_sign,
        "can_book": may_handle_logistics(user) and state == ApplicationState.APPROVED,
        "can_count": may_handle_logistics(user) and state == ApplicationState.PICKUP_BOOKED,
        "can_receive": may_receive(user) and state == ApplicationState.PICKED_UP,
        "can_close": may_handle_logistics(user) and state == ApplicationState.RECEIVED,
        "can_attach": applicant_side or may_receive(user),
        "collect": application.freight_terms == FreightTerms.COLLECT,
        "withdraw_form": forms.get("withdraw_form") or f.WithdrawForm(),
        "decision_form": forms.get("decision_form") or f.DecisionForm(),
        "attachment_form": forms.get("attachment_form")
        or f.AttachmentForm(application=application),
    }
    return render(request, "repairs/return_detail.html", context, status=status)


@login_required
@require_GET
def return_detail(request, pk: int):
    return _render_detail(request, _visible_application(request.user, pk))


@login_required
@require_POST
def return_submit(request, pk: int):
    application = _visible_application(request.user, pk)
    try:
        rma.rma_submit(application_id=application.pk, actor=request.user, channel=ActionChannel.WEB)
    except ValidationError as exc:
        for message in (m for ms in f.service_errors(exc).values() for m in ms):
            messages.error(request, message)
        return redirect(application)
    except TransitionNotAllowed:
        return _not_allowed(request, application.get_absolute_url())
    messages.success(request, _("已提交，等待第 1 步签字"))
    return redirect(application)


@login_required
@require_POST
def return_withdraw(request, pk: int):
    application = _visible_application(request.user, pk)
    if not is_applicant_side(request.user, application):
        raise PermissionDenied
    form = f.WithdrawForm(request.POST)
    if form.is_valid():
        try:
            rma.rma_withdraw(
                application_id=application.pk,
                actor=request.user,
                reason=form.cleaned_data["reason"],
                channel=ActionChannel.WEB,
            )
        except ValidationError as exc:
            f.apply_service_errors(exc, form)
        except TransitionNotAllowed:
            return _not_allowed(request, application.get_absolute_url())
        else:
            messages.success(request, _("已撤回 %(no)s") % {"no": application.number})
            return redirect(application)
    return _render_detail(request, application, withdraw_form=form, status=400)


def _visible_step(user, pk: int) -> ApprovalStep:
    return get_object_or_404(
        ApprovalStep.objects.filter(
            application__in=ReturnApplication.objects.visible_to(user)
        ).select_related(
            "application__branch", "application__dealer", "application__applicant", "org_unit"
        ),
        pk=pk,
    )


def _card(request, step, form, *, outcome="", status=200):
    step.deadline = step_deadlines([step]).get(step.pk)
    with_time_left([step.deadline])
    step.total = ApprovalStep.objects.filter(
        application_id=step.application_id, round=step.round
    ).count()
    return render(
        request,
        "repairs/partials/signature_card.html",
        {"step": step, "form": form, "outcome": outcome},
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def step_decide(request, pk: int):
    """Approve or reject one step (one tap; a rejection needs a reason). htmx posts get the card
    back; plain posts are redirected to `next` (the queue or the application)."""
    step = _visible_step(request.user, pk)
    back = _safe_next(request, step.application.get_absolute_url())
    if request.method == "GET":
        return render(
            request,
            "repairs/step_decide.html",
            {"step": step, "form": f.DecisionForm(), "next": back},
        )
    form = f.DecisionForm(request.POST)
    if form.is_valid():
        try:
            rma.rma_decide(
                step_id=step.pk,
                actor=request.user,
                approve=form.approve,
                comment=form.cleaned_data["comment"],
                channel=ActionChannel.WEB,
            )
        except ValidationError as exc:
            f.apply_service_errors(exc, form)
        except TransitionNotAllowed:
            if request.htmx:
                step.refresh_from_db()
                return _card(request, step, form, outcome="not_allowed")
            return _not_allowed(request, back)
        else:
            step.refresh_from_db()
            if request.htmx:
                return _card(request, step, form, outcome=step.state)
            if form.approve:
                messages.success(request, _("已同意：%(s)s") % {"s": step})
            else:
                messages.success(request, _("已驳回：%(s)s") % {"s": step})
            return redirect(back)
    if request.htmx:
        return _card(request, step, form)
    return render(
        request,
        "repairs/step_decide.html",
        {"step": step, "form": form, "next": back},
        status=400,
    )


@login_required
@require_GET
def signature_queue_page(request):
    steps = signature_queue(request.user).prefetch_related(
        "application__lines",
        Prefetch(
            "application__steps",
            queryset=ApprovalStep.objects.order_by("round", "position"),
            to_attr="all_steps",
        ),
    )
    page = Paginator(steps, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = list(page.object_list)
    deadlines = step_deadlines(rows)
    with_time_left(deadlines.values())
    for step in rows:
        step.deadline = deadlines.get(step.pk)
        step.total = sum(1 for s in step.application.all_steps if s.round == step.round)
    page.object_list = rows
    return render(
        request,
        "repairs/signature_queue.html",
        {"page": page, "form": f.DecisionForm()},
    )


# --- printable form and attachments ------------------------------------------------------------


@login_required
@require_GET
def return_print(request, pk: int):
    application = _visible_application(request.user, pk)
    progress, _earlier = application_steps(application)
    lines = list(application.lines.all())
    return render(
        request,
        "repairs/return_print.html",
        {
            "application": application,
            "lines": lines,
            "blank_rows": range(max(0, PRINT_MIN_ROWS - len(lines))),
            "steps": progress.steps,
            "chain": [] if progress.steps else chain_template_steps(application),
        },
    )


@login_required
@require_POST
def attachment_upload(request, pk: int):
    application = _visible_application(request.user, pk)
    if not (is_applicant_side(request.user, application) or may_receive(request.user)):
        raise PermissionDenied
    form = f.AttachmentForm(request.POST, request.FILES, application=application)
    if not form.is_valid():
        return _render_detail(request, application, attachment_form=form, status=400)
    form.save(actor=request.user)
    messages.success(request, _("已上传附件"))
    return redirect(f"{application.get_absolute_url()}#attachments")


@login_required
@require_GET
def attachment_download(request, pk: int, attachment_pk: int):
    application = _visible_application(request.user, pk)
    attachment = get_object_or_404(application.attachments, pk=attachment_pk)
    name = attachment.file.name.rsplit("/", 1)[-1]
    try:
        handle = attachment.file.open("rb")
    except FileNotFoundError as exc:
        raise Http404 from exc
    return FileResponse(
        handle,
        as_attachment=not name.lower().endswith((".jpg", ".jpeg", ".png", ".gif", ".webp", ".pdf")),
        filename=name,
    )


# --- logistics ----------------------------------------------------------------------------------


def _require_logistics(user):
    if not (may_handle_logistics(user) or may_receive(user)):
        raise PermissionDenied


@login_required
@require_GET
def logistics_board_page(request):
    _require_logistics(request.user)
    columns = logistics_board(request.user)
    for column in columns:
        column["rows"] = _with_colours(column["rows"])
    return render(
        request,
        "repairs/logistics_board.html",
        {
            "columns": columns,
            "is_clerk": may_handle_logistics(request.user),
            "is_receiver": may_receive(request.user),
        },
    )


def _logistics_action(request, pk, *, form_class, service, title, allowed, success, **form_kw):
    """GET: the form beside the application's summary. POST: validate, call the service; its
    errors land on the form (the COD refusal included)."""
    application = _visible_application(request.user, pk)
    if not allowed(request.user):
        raise PermissionDenied
    back = _safe_next(request, application.get_absolute_url())
    if form_kw.pop("needs_application", False):
        form_kw["application"] = application
    form = form_class(request.POST or None, **form_kw)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                result = service(application, form.cleaned_data)
            except ValidationError as exc:
                f.apply_service_errors(exc, form)
            except TransitionNotAllowed:
                return _not_allowed(request, back)
            else:
                level, text = success(result)
                messages.add_message(request, level, text)
                return redirect(back)
        status = 400
    return render(
        request,
        "repairs/logistics_form.html",
        {
            "application": application,
            "lines": list(application.lines.all()),
            "form": form,
            "title": title,
            "next": back,
            "collect": application.freight_terms == FreightTerms.COLLECT,
        },
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def return_book_pickup(request, pk: int):
    def call(app, data):
        return rma.rma_book_pickup(application_id=app.pk, actor=request.user, **data)

    return _logistics_action(
        request,
        pk,
        form_class=f.BookPickupForm,
        service=call,
        title=_("安排提货"),
        allowed=may_handle_logistics,
        success=lambda app: (
            messages.SUCCESS,
            _("已安排提货：%(d)s，司机 %(n)s") % {"d": app.pickup_date, "n": app.driver_name},
        ),
    )


@login_required
@require_http_methods(["GET", "POST"])
def return_record_pickup(request, pk: int):
    def call(app, data):
        return rma.rma_record_pickup(application_id=app.pk, actor=request.user, **data)

    def success(app):
        if app.discrepancies.exists():
            return messages.WARNING, _("已提货，清点数量与申请或发货方不符，已记录差异并通知发货方")
        return messages.SUCCESS, _("已提货，数量相符：%(n)d 台") % {"n": app.counted_units}

    return _logistics_action(
        request,
        pk,
        form_class=f.PickupCountForm,
        service=call,
        title=_("提货清点"),
        allowed=may_handle_logistics,
        success=success,
    )


@login_required
@require_http_methods(["GET", "POST"])
def return_receive(request, pk: int):
    def call(app, data):
        return rma.rma_receive(
            application_id=app.pk,
            actor=request.user,
            units=data["units"],
            freight_terms=data["freight_terms"],
        )

    def success(app):
        received = app.received_units.count()
        if app.has_discrepancies:
            return messages.WARNING, _("已收货 %(n)d 台，发现 %(d)d 处差异，已通知发货方") % {
                "n": received,
                "d": app.discrepancies.exclude(kind="count_mismatch").count(),
            }
        return messages.SUCCESS, _("已收货 %(n)d 台，与申请一致") % {"n": received}

    return _logistics_action(
        request,
        pk,
        form_class=f.ReceiveForm,
        service=call,
        title=_("收货登记"),
        allowed=may_receive,
        success=success,
        needs_application=True,
    )


@login_required
@require_POST
def return_close(request, pk: int):
    application = _visible_application(request.user, pk)
    if not may_handle_logistics(request.user):
        raise PermissionDenied
    form = f.CloseForm(request.POST)
    comment = form.cleaned_data["comment"] if form.is_valid() else ""
    try:
        rma.rma_close(
            application_id=application.pk,
            actor=request.user,
            comment=comment,
            channel=ActionChannel.WEB,
        )
    except TransitionNotAllowed:
        return _not_allowed(request, _safe_next(request, application.get_absolute_url()))
    messages.success(request, _("已关闭 %(no)s") % {"no": application.number})
    return redirect(_safe_next(request, application.get_absolute_url()))


# --- unauthorised arrivals, penalties, happy fund ----------------------------------------------


@login_required
@require_GET
def arrival_list(request):
    arrivals = visible_arrivals(request.user).annotate(
        open_penalties=Count("penalties", filter=_proposed_q())
    )
    page = Paginator(arrivals.order_by("-id"), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "repairs/arrival_list.html",
        {"page": page, "can_record": may_receive(request.user)},
    )


def _proposed_q():
    return Q(penalties__state=PenaltyState.PROPOSED)


@login_required
@require_http_methods(["GET", "POST"])
def arrival_create(request):
    if not may_receive(request.user):
        raise PermissionDenied
    form = f.ArrivalForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            arrival = penalty_services.arrival_record(
                actor=request.user,
                shipper_unit=data["shipper_unit"],
                units=data["units"],
                description=data["description"],
                return_carrier=data["return_carrier"],
                return_tracking=data["return_tracking"],
                arrived_at=data.get("arrived_at"),
            )
        except ValidationError as exc:
            f.apply_service_errors(exc, form)
        else:
            messages.success(
                request,
                _("已登记 %(no)s：拒收并退回，负激励待客服部部长确认") % {"no": arrival.number},
            )
            return redirect(arrival)
    status = 400 if request.method == "POST" else 200
    return render(request, "repairs/arrival_form.html", {"form": form}, status=status)


def _render_arrival(request, arrival, *, bound=None, status=200):
    penalties = list(arrival.penalties.select_related("person", "org_unit", "decided_by"))
    can_decide = may_decide_penalties(request.user)
    for penalty in penalties:
        if can_decide and penalty.state == PenaltyState.PROPOSED:
            penalty.confirm_form = (bound or {}).get(("confirm", penalty.pk)) or (
                f.PenaltyConfirmForm(penalty=penalty)
            )
            penalty.waive_form = (bound or {}).get(("waive", penalty.pk)) or f.PenaltyWaiveForm(
                penalty=penalty
            )
    return render(
        request,
        "repairs/arrival_detail.html",
        {"arrival": arrival, "penalties": penalties, "can_decide": can_decide},
        status=status,
    )


@login_required
@require_GET
def arrival_detail(request, pk: int):
    return _render_arrival(request, get_object_or_404(visible_arrivals(request.user), pk=pk))


def _penalty_action(request, pk: int, action: str):
    penalty = get_object_or_404(visible_penalties(request.user), pk=pk)
    if not may_decide_penalties(request.user):
        raise PermissionDenied
    arrival_url = penalty.arrival.get_absolute_url()
    if action == "confirm":
        form = f.PenaltyConfirmForm(request.POST, penalty=penalty)
    else:
        form = f.PenaltyWaiveForm(request.POST, penalty=penalty)
    if form.is_valid():
        try:
            if action == "confirm":
                penalty_services.penalty_confirm(
                    penalty_id=penalty.pk,
                    actor=request.user,
                    amount=form.cleaned_data["amount"],
                    channel=ActionChannel.WEB,
                )
            else:
                penalty_services.penalty_waive(
                    penalty_id=penalty.pk,
                    actor=request.user,
                    note=form.cleaned_data["note"],
                    channel=ActionChannel.WEB,
                )
        except ValidationError as exc:
            f.apply_service_errors(exc, form)
        except TransitionNotAllowed:
            return _not_allowed(request, arrival_url)
        else:
            if action == "confirm":
                messages.success(request, _("已确认：%(p)s") % {"p": penalty})
            else:
                messages.success(request, _("已免除：%(p)s") % {"p": penalty})
            return redirect(_safe_next(request, arrival_url))
    arrival = get_object_or_404(visible_arrivals(request.user), pk=penalty.arrival_id)
    return _render_arrival(request, arrival, bound={(action, penalty.pk): form}, status=400)


@login_required
@require_POST
def penalty_confirm(request, pk: int):
    return _penalty_action(request, pk, "confirm")


@login_required
@require_POST
def penalty_waive(request, pk: int):
    return _penalty_action(request, pk, "waive")


@login_required
@require_GET
def penalty_list(request):
    state = request.GET.get("state", "")
    penalties = visible_penalties(request.user).order_by("-arrival_id", "id")
    if state in PenaltyState.values:
        penalties = penalties.filter(state=state)
    page = Paginator(penalties, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "repairs/penalty_list.html",
        {"page": page, "state": state, "states": PenaltyState.choices},
    )


@login_required
@require_GET
def happy_fund(request):
    if not (sees_everything(request.user) or may_decide_penalties(request.user)):
        raise PermissionDenied
    entries = HappyFundEntry.objects.select_related("created_by", "penalty__arrival").order_by(
        "-id"
    )
    page = Paginator(entries, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "repairs/happy_fund.html",
        {
            "page": page,
            "balance": penalty_services.fund_balance(),
            "total_in": penalty_services.fund_total_in(),
        },
    )


# --- returned stock (呆滞/退货产品处理申请) ------------------------------------------------


def _may_file_stock(user) -> bool:
    return has_role(user, Role.MARKETING)


@login_required
@require_GET
def returned_stock_list(request):
    rows = (
        ReturnedStockApplication.objects.visible_to(request.user)
        .select_related("filed_by", "filed_by_unit")
        .order_by("-id")
    )
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    for row in page.object_list:
        row.actions = [a for a in available_actions(row, request.user) if a in STOCK_TRANSITIONS]
    return render(
        request,
        "repairs/returned_stock_list.html",
        {
            "page": page,
            "can_file": _may_file_stock(request.user),
            "threshold": ReturnPolicy.current().returned_stock_pmc_threshold,
            "state_colours": {
                ReturnedStockState.ROUTED: "primary",
                ReturnedStockState.IN_PROCESS: "warning",
                ReturnedStockState.DONE: "success",
            },
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def returned_stock_create(request):
    if not _may_file_stock(request.user):
        raise PermissionDenied
    unit = user_org_unit(request.user)
    if unit is None:
        raise PermissionDenied
    form = f.ReturnedStockForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            application = penalty_services.returned_stock_file(
                actor=request.user, filed_by_unit=unit, **form.cleaned_data
            )
        except ValidationError as exc:
            f.apply_service_errors(exc, form)
        else:
            messages.success(
                request,
                _("已提交 %(no)s，分派：%(r)s")
                % {"no": application.number, "r": application.get_route_display()},
            )
            return redirect("repairs:returned_stock_list")
    try:
        preview = int(form["quantity"].value() or 0)
    except (TypeError, ValueError):
        preview = 0
    return render(
        request,
        "repairs/returned_stock_form.html",
        {
            "form": form,
            "quantity": preview,
            "threshold": ReturnPolicy.current().returned_stock_pmc_threshold,
        },
        status=400 if request.method == "POST" else 200,
    )


@login_required
@require_GET
def returned_stock_route(request):
    """The route a quantity would take (htmx preview on the filing form)."""
    try:
        quantity = int(request.GET.get("quantity", ""))
    except ValueError:
        quantity = 0
    threshold = ReturnPolicy.current().returned_stock_pmc_threshold
    return render(
        request,
        "repairs/partials/route_preview.html",
        {"quantity": quantity, "threshold": threshold},
    )


@login_required
@require_POST
def returned_stock_transition(request, pk: int, transition: str):
    if transition not in STOCK_TRANSITIONS:
        raise Http404
    stock = get_object_or_404(ReturnedStockApplication.objects.visible_to(request.user), pk=pk)
    try:
        run_transition(
            ReturnedStockApplication,
            stock.pk,
            transition=transition,
            actor=request.user,
            channel=ActionChannel.WEB,
        )
    except TransitionNotAllowed:
        return _not_allowed(request, reverse("repairs:returned_stock_list"))
    if transition == "start":
        messages.success(request, _("%(no)s 已开始处理") % {"no": stock.number})
    else:
        messages.success(request, _("%(no)s 已处理完成") % {"no": stock.number})
    return redirect("repairs:returned_stock_list")


# --- year-end ranking -----------------------------------------------------------------------


def _ranking_year(request) -> int:
    return f.YearForm(request.GET).year_or(f.this_year())


def _require_ranking(user):
    if not (sees_everything(user) or has_role(user, Role.HEAD_OF_CS)):
        raise PermissionDenied


def _chart(rows) -> dict:
    return {
        "names": [row.unit.name for row in rows],
        "units": [row.units for row in rows],
        "flagged": [row.flagged for row in rows],
    }


@login_required
@require_GET
def ranking(request):
    _require_ranking(request.user)
    year = _ranking_year(request)
    data = year_end_ranking(year)
    policy = ReturnPolicy.current()
    this_year = f.this_year()
    return render(
        request,
        "repairs/ranking.html",
        {
            "year": year,
            "years": list(range(this_year, this_year - 6, -1)),
            "provinces": data["provinces"],
            "branches": data["branches"],
            "province_top": policy.province_ranking_top,
            "branch_top": policy.branch_ranking_top,
            "chart": {"provinces": _chart(data["provinces"]), "branches": _chart(data["branches"])},
        },
    )


@login_required
@require_GET
def ranking_export(request):
    _require_ranking(request.user)
    year = _ranking_year(request)
    content = ranking_workbook(year, year_end_ranking(year))
    response = HttpResponse(content, content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="return-ranking-{year}.xlsx"'
    return response
