"""Pages of return-to-factory applications (返修机返厂申请): create and follow them, sign them,
print them, attach files, and the logistics clerk's board (book the pickup, count, receive, close).

Views stay thin: every read is scoped with `visible_to(user)` (out of scope → 404), every write
goes through a service, and POST actions follow `service_ops.actions` (form errors in place,
PermissionDenied a 403, "not allowed now" a clear message and a redirect)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Prefetch
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_fsm import TransitionNotAllowed

from network.selectors import acts_as
from network.visibility import user_org_unit
from service_ops.actions import (
    apply_service_errors,
    not_allowed,
    not_allowed_text,
    run_action,
    safe_next,
    service_errors,
)
from service_ops.files import stored_file_response
from service_ops.paging import keyset_page
from service_ops.transitions.models import ActionChannel

from ..choices import (
    ApplicationState,
    FreightTerms,
)
from ..filtersets.returns import ReturnApplicationFilterSet
from ..forms import returns as f
from ..markup.returns import LogisticsCard
from ..models import (
    ApprovalStep,
    ReturnApplication,
    ReturnAttachment,
)
from ..permissions import (
    is_applicant_side,
    may_create_application,
    may_enter_on_behalf,
    may_handle_logistics,
    may_receive,
)
from ..selectors.returns import (
    application_list,
    application_steps,
    chain_template_steps,
    logistics_board,
    signature_queue,
    step_deadlines,
    with_time_left,
)
from ..services import returns as rma

PAGE_SIZE = 25
PRINT_MIN_ROWS = 6
EDITABLE_STATES = (ApplicationState.DRAFT, ApplicationState.REJECTED)
WITHDRAWABLE_STATES = (
    ApplicationState.DRAFT,
    ApplicationState.IN_APPROVAL,
    ApplicationState.REJECTED,
)


# --- helpers ------------------------------------------------------------------------------------


def _visible_application(user, pk: int) -> ReturnApplication:
    return get_object_or_404(application_list(user), pk=pk)


# --- list, create, edit --------------------------------------------------------------------------


@login_required
@require_GET
def return_list(request):
    filterset = ReturnApplicationFilterSet(
        request.GET or None, queryset=application_list(request.user), request=request
    )
    page = keyset_page(filterset.qs, request.GET, size=PAGE_SIZE)
    return render(
        request,
        "repairs/return_list.html",
        {
            "filter": filterset,
            "page": page,
            "can_create": may_create_application(request.user),
            "can_enter_on_behalf": may_enter_on_behalf(request.user),
        },
    )


def _render_form(
    request, *, form, formset, application=None, line_errors=(), status=200, intake=None
):
    return render(
        request,
        "repairs/return_form.html",
        {
            "form": form,
            "formset": formset,
            "application": application,
            "line_errors": line_errors,
            "intake": intake,
        },
        status=status,
    )


def _save_application(request, *, form, formset, application=None, intake=None):
    """Validate, then create or update and (on "submit") submit in one transaction: when the
    submission fails nothing is half-saved and the page keeps what was typed. `intake` is the
    clerk's form of an application that came by fax or e-mail (who sent it, how, the scan)."""
    action = request.POST.get("action", "draft")
    if action == "add_line":
        return _render_form(
            request,
            form=f.quiet(form),
            formset=f.with_extra_row(formset),
            application=application,
            intake=intake and f.quiet(intake),
        )
    form_ok, lines_ok = form.is_valid(), formset.is_valid()
    intake_ok = intake is None or intake.is_valid()
    if not (form_ok and lines_ok and intake_ok):
        return _render_form(
            request,
            form=form,
            formset=formset,
            application=application,
            status=400,
            intake=intake,
        )
    try:
        with transaction.atomic():
            if intake is not None:
                application = rma.rma_intake(
                    actor=request.user,
                    header=form.to_input(),
                    lines=formset.line_inputs(),
                    **intake.cleaned_data,
                )
            elif application is None:
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
        kept = apply_service_errors(exc, form, keep=["lines", *f.IntakeForm.base_fields])
        for name in f.IntakeForm.base_fields:
            for text in kept.get(name, []):
                intake.add_error(name, text)
        line_errors = kept.get("lines", [])
        return _render_form(
            request,
            form=form,
            formset=formset,
            application=application if application and application.pk else None,
            line_errors=line_errors,
            status=400,
            intake=intake,
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
@require_http_methods(["GET", "POST"])
def return_intake(request):
    """代为录入: the clerk enters an application that arrived by fax or e-mail for its sender."""
    if not may_enter_on_behalf(request.user):
        raise PermissionDenied
    if request.method == "POST":
        return _save_application(
            request,
            form=f.ReturnHeaderForm(request.POST, user=request.user),
            formset=f.line_formset(request.POST),
            intake=f.IntakeForm(request.POST, request.FILES),
        )
    return _render_form(
        request,
        form=f.ReturnHeaderForm(user=request.user),
        formset=f.line_formset(),
        intake=f.IntakeForm(),
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
        return not_allowed(request, application.get_absolute_url())
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
        for message in (m for ms in service_errors(exc).values() for m in ms):
            messages.error(request, message)
        return redirect(application)
    except TransitionNotAllowed:
        return not_allowed(request, application.get_absolute_url())
    messages.success(request, _("已提交，等待第 1 步签字"))
    return redirect(application)


@login_required
@require_POST
def return_withdraw(request, pk: int):
    application = _visible_application(request.user, pk)
    if not is_applicant_side(request.user, application):
        raise PermissionDenied
    return run_action(
        request,
        f.WithdrawForm(request.POST),
        lambda data: rma.rma_withdraw(
            application_id=application.pk,
            actor=request.user,
            reason=data["reason"],
            channel=ActionChannel.WEB,
        ),
        application.get_absolute_url(),
        invalid=lambda form: _render_detail(request, application, withdraw_form=form, status=400),
        message=_("已撤回 %(no)s") % {"no": application.number},
    )


def _visible_step(user, pk: int) -> ApprovalStep:
    return get_object_or_404(
        ApprovalStep.objects.visible_to(user).select_related(
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
    back = safe_next(request, step.application.get_absolute_url())
    if request.method == "GET":
        return render(
            request,
            "repairs/step_decide.html",
            {"step": step, "form": f.DecisionForm(), "next": back},
        )
    form = f.DecisionForm(request.POST)

    def decided(_result):
        step.refresh_from_db()
        if request.htmx:
            return _card(request, step, form, outcome=step.state)
        return None

    def refused():
        if request.htmx:
            step.refresh_from_db()
            return _card(request, step, form, outcome="not_allowed")
        return not_allowed(request, back)

    def invalid(form):
        if request.htmx:
            return _card(request, step, form)
        return render(
            request,
            "repairs/step_decide.html",
            {"step": step, "form": form, "next": back},
            status=400,
        )

    return run_action(
        request,
        form,
        lambda data: rma.rma_decide(
            step_id=step.pk,
            actor=request.user,
            approve=form.approve,
            comment=data["comment"],
            channel=ActionChannel.WEB,
        ),
        back,
        invalid=invalid,
        on_success=decided,
        on_not_allowed=refused,
        message=lambda _result: (
            _("已同意：%(s)s") % {"s": step} if form.approve else _("已驳回：%(s)s") % {"s": step}
        ),
    )


@login_required
@require_GET
def signature_queue_page(request):
    steps = signature_queue(request.user).prefetch_related(
        "application__lines",
        "application__attachments",
        Prefetch(
            "application__steps",
            queryset=ApprovalStep.objects.order_by("round", "position"),
            to_attr="all_steps",
        ),
    )
    page = keyset_page(steps, request.GET, size=PAGE_SIZE, oldest_first=True)
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
    attachment = get_object_or_404(
        ReturnAttachment.objects.visible_to(request.user).filter(application_id=pk),
        pk=attachment_pk,
    )
    return stored_file_response(attachment.file)


@login_required
@require_GET
def intake_scan(request, pk: int):
    """The fax or e-mail an application was entered from, for whoever may see the application."""
    return stored_file_response(_visible_application(request.user, pk).intake_scan)


# --- logistics ----------------------------------------------------------------------------------


def _require_logistics(user):
    if not (may_handle_logistics(user) or may_receive(user)):
        raise PermissionDenied


@login_required
@require_GET
def logistics_board_page(request):
    _require_logistics(request.user)
    columns = logistics_board(request.user)
    card = LogisticsCard(
        request, is_clerk=may_handle_logistics(request.user), is_receiver=may_receive(request.user)
    )
    for column in columns:
        column["cards"] = [card(app, column["state"]) for app in column["rows"]]
    return render(request, "repairs/logistics_board.html", {"columns": columns})


def _logistics_action(request, pk, *, form_class, service, title, allowed, success, **form_kw):
    """GET: the form beside the application's summary. POST: validate, call the service; its
    errors land on the form (the COD refusal included)."""
    application = _visible_application(request.user, pk)
    if not allowed(request.user):
        raise PermissionDenied
    back = safe_next(request, application.get_absolute_url())
    if form_kw.pop("needs_application", False):
        form_kw["application"] = application
    form = form_class(request.POST or None, **form_kw)

    def page(form, status=200):
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

    if request.method != "POST":
        return page(form)
    return run_action(
        request,
        form,
        lambda data: service(application, data),
        back,
        invalid=lambda form: page(form, status=400),
        message=success,
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
    return run_action(
        request,
        f.CommentForm(request.POST),
        lambda data: rma.rma_close(
            application_id=application.pk,
            actor=request.user,
            comment=data["comment"],
            channel=ActionChannel.WEB,
        ),
        safe_next(request, application.get_absolute_url()),
        invalid=lambda form: _render_detail(request, application, status=400),
        message=_("已关闭 %(no)s") % {"no": application.number},
    )
