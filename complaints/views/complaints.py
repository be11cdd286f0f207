"""The complaint pages: the desk, the new-complaint form, the complaint page and its actions.
Thin: scope through the selectors, validate with the forms, change through the services."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from service_ops.actions import run_action
from service_ops.files import stored_file_response
from service_ops.paging import keyset_page
from service_ops.transitions.services import available_actions
from service_ops.workcalendar import clock

from .. import permissions as perms
from ..choices import ComplaintState, Severity
from ..exports import XLSX_CONTENT_TYPE, statistics_workbook
from ..forms import complaints as f
from ..models import ComplaintAttachment
from ..selectors import complaints as sel
from ..services import complaints as svc
from ..services.stages import ESCALATION_LABELS, stage_of
from ..statistics import chart_data, complaint_statistics, period_from

S = ComplaintState


def _desk_user(request):
    if not perms.may_use_desk(request.user):
        raise PermissionDenied


@login_required
@require_GET
def desk(request):
    _desk_user(request)
    view = request.GET.get("view", "")
    view = view if view in sel.VIEWS else ""
    severity = request.GET.get("severity", "")
    severity = severity if severity in Severity.values else ""
    page = keyset_page(sel.desk_list(request.user, view=view, severity=severity), request.GET)
    now = timezone.now()
    mine = sel.my_by_time_left(request.user)
    waiting = sel.unassigned(request.user) if perms.has_role(request.user, perms.HANDLER) else []
    with clock.pinned():  # one calendar check for the whole list
        for c in (*mine, *waiting):
            c.left = clock.time_left(now, c.next_due) if c.next_due else None
    views = [
        ("open", _("处理中")),
        ("mine", _("我处理的")),
        ("escalated", _("已升级")),
        ("closed", _("已结案")),
    ]
    return render(
        request,
        "complaints/desk.html",
        {
            "page": page,
            "view": view,
            "views": views,
            "severity": severity,
            "severities": Severity.choices,
            "mine": mine,
            "waiting": waiting,
            "may_file": perms.may_file(request.user),
            "may_read_statistics": perms.may_read_statistics(request.user),
            "escalation_labels": {k: _(v) for k, v in ESCALATION_LABELS.items()},
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def new(request):
    if not perms.may_file(request.user):
        raise PermissionDenied
    if request.method == "POST":
        form = f.ComplaintForm(request.POST, request.FILES)

        def call(data):
            return svc.create_complaint(
                actor=request.user,
                complainant_name=data["complainant_name"],
                complainant_phone=data["complainant_phone"],
                complainant_unit=data["complainant_unit"],
                channel=data["channel"],
                category=data["category"],
                product_model=data["product_model"],
                serial_number=data["serial_number"],
                call_ref=data["call_ref"],
                order_ref=data["order_ref"],
                content=data["content"],
                expected_outcome=data["expected_outcome"],
                amount_claimed=data["amount_claimed"],
                files=data["files"],
            )

        return run_action(
            request,
            form,
            call,
            lambda c: c.get_absolute_url(),
            invalid=lambda form: render(request, "complaints/new.html", {"form": form}, status=400),
            message=lambda c: _("投诉已受理：%(no)s") % {"no": c.number},
        )
    return render(request, "complaints/new.html", {"form": f.ComplaintForm()})


def _get(request, pk):
    # The complaint page is the complaint team's and the call centre's: a partner follows its own
    # complaints through the partner API (not built yet), which shows the stage, not the
    # investigation.
    _desk_user(request)
    complaint = sel.complaint_for(request.user, pk)
    if complaint is None:
        raise Http404
    return complaint


def _forms_for(complaint, user, bound=None, bound_name=""):
    """The action forms the user may use on the complaint now, by action name."""
    state = complaint.state
    moves = set(available_actions(complaint, user))
    handles = perms.may_handle(complaint, user)
    found = {}

    def put(name, factory):
        if bound_name == name:
            found[name] = bound
        else:
            form = factory()
            form.prefix = name  # several forms on one page: their fields' ids stay unique
            found[name] = form

    if complaint.is_open and complaint.handler_id is None and perms.has_role(user, perms.HANDLER):
        put("take", f.ConfirmForm)
    if handles and complaint.is_open and complaint.acknowledged_at is None and state == S.ACCEPTED:
        put("acknowledge", f.ConfirmForm)
    if "judge_valid" in moves:
        put(
            "judge",
            lambda: f.JudgeForm(initial={"severity": complaint.severity, "valid": "1"}),
        )
    if handles and state == S.INVESTIGATING:
        put(
            "investigate",
            lambda: f.InvestigationForm(
                initial={
                    "cause": complaint.cause,
                    "problem_type": complaint.problem_type,
                    "responsible_unit": complaint.responsible_unit_id,
                    "responsible_person": complaint.responsible_person_id,
                }
            ),
        )
        put("option", f.OptionForm)
    if "propose" in moves or (handles and state == S.INVESTIGATING):
        put("propose", f.ConfirmForm)
    if "approve" in moves or "approve_for_senior" in moves:
        options = [o for o in complaint.options.all() if o.round == complaint.round]
        put("approve", lambda: f.ApproveForm(options=options))
    if "approve_senior" in moves:
        put("approve_senior", f.CommentForm)
    if "return_solution" in moves:
        put("return", f.CommentForm)
    if "start_implementation" in moves:
        put("start", f.ConfirmForm)
    if handles and state == S.IMPLEMENTING:
        put("action", f.ActionForm)
    if "finish_implementation" in moves:
        put("finish", f.ConfirmForm)
    if "customer_accepts" in moves:
        put("accept", f.ReplyForm)
        put("reject", f.ReplyForm)
    if "record_callback" in moves:
        put("callback", f.CallbackForm)
    if "close" in moves:
        put("close", f.CloseForm)
    return found


def _render_page(request, complaint, *, bound=None, bound_name="", status=200):
    parts = sel.page_parts(complaint)
    now = timezone.now()
    with clock.pinned():
        for t in parts["timers"]:
            t.stage = stage_of(t)
            t.left = clock.time_left(now, t.due_at) if t.is_open else None
    forms = _forms_for(complaint, request.user, bound, bound_name)
    return render(
        request,
        "complaints/detail.html",
        {
            "complaint": complaint,
            "forms": forms,
            "escalation_label": _(ESCALATION_LABELS[complaint.escalation_level])
            if complaint.escalation_level
            else "",
            "severity_reasons": complaint.severity_reasons,
            **parts,
        },
        status=status,
    )


@login_required
@require_GET
def detail(request, pk: int):
    complaint = _get(request, pk)
    return _render_page(request, complaint)


ACTIONS = {
    # name: (form class, call(complaint, user, data, request) -> result, message)
    "take": (f.ConfirmForm, lambda c, u, d: svc.take_over(c, actor=u), _l("已接手")),
    "acknowledge": (f.ConfirmForm, lambda c, u, d: svc.acknowledge(c, actor=u), _l("已确认受理")),
    "judge": (
        f.JudgeForm,
        lambda c, u, d: svc.judge(
            c, actor=u, valid=d["valid"], severity=d["severity"], reason=d["reason"]
        ),
        _l("已判断"),
    ),
    "investigate": (
        f.InvestigationForm,
        lambda c, u, d: svc.record_investigation(
            c,
            actor=u,
            cause=d["cause"],
            problem_type=d["problem_type"],
            responsible_unit=d["responsible_unit"],
            responsible_person=d["responsible_person"],
        ),
        _l("调查结果已保存"),
    ),
    "option": (
        f.OptionForm,
        lambda c, u, d: svc.add_option(
            c,
            actor=u,
            description=d["description"],
            promised_by=d["promised_by"],
            compensation=d["compensation"],
        ),
        _l("方案已添加"),
    ),
    "propose": (f.ConfirmForm, lambda c, u, d: svc.propose(c, actor=u), _l("方案已提交审批")),
    "approve": (
        f.ApproveForm,
        lambda c, u, d: svc.approve(c, actor=u, option_id=d["option"], comment=d["comment"]),
        _l("已批准"),
    ),
    "approve_senior": (
        f.CommentForm,
        lambda c, u, d: svc.approve_senior(c, actor=u, comment=d["comment"]),
        _l("已批准"),
    ),
    "return": (
        f.CommentForm,
        lambda c, u, d: svc.return_solution(c, actor=u, comment=d["comment"]),
        _l("方案已退回"),
    ),
    "start": (
        f.ConfirmForm,
        lambda c, u, d: svc.start_implementation(c, actor=u),
        _l("已开始实施"),
    ),
    "action": (
        f.ActionForm,
        lambda c, u, d: svc.add_action(
            c, actor=u, kind=d["kind"], description=d["description"], amount=d["amount"]
        ),
        _l("措施已登记"),
    ),
    "finish": (
        f.ConfirmForm,
        lambda c, u, d: svc.finish_implementation(c, actor=u),
        _l("已通知客户确认"),
    ),
    "accept": (
        f.ReplyForm,
        lambda c, u, d: svc.customer_accepts(c, actor=u, reply=d["reply"]),
        _l("客户已接受，已请呼叫中心回访"),
    ),
    "reject": (
        f.ReplyForm,
        lambda c, u, d: svc.customer_rejects(c, actor=u, reply=d["reply"]),
        _l("客户不接受，请重新制定方案"),
    ),
    "callback": (
        f.CallbackForm,
        lambda c, u, d: svc.record_callback(
            c, actor=u, result=d["result"], satisfied=d["satisfied"]
        ),
        _l("回访结果已登记"),
    ),
    "close": (
        f.CloseForm,
        lambda c, u, d: svc.close(
            c,
            actor=u,
            classification=d["classification"],
            root_cause=d["root_cause"],
            improvement_action=d["improvement_action"],
        ),
        _l("已结案"),
    ),
}


# Who may press each button (the services check again under the row lock).
ACTION_PERMISSIONS = {
    "take": lambda c, u: perms.has_role(u, perms.HANDLER),
    "approve": perms.may_approve,
    "approve_senior": perms.may_approve_senior,
    "return": perms.approver_or_senior_perm,
}


@login_required
@require_POST
def act(request, pk: int, action: str):
    if action not in ACTIONS:
        raise Http404
    complaint = _get(request, pk)
    if not ACTION_PERMISSIONS.get(action, perms.may_handle)(complaint, request.user):
        raise PermissionDenied
    form_class, call, message = ACTIONS[action]
    if action == "approve":
        options = [o for o in complaint.options.all() if o.round == complaint.round]
        form = form_class(request.POST, options=options, prefix=action)
    else:
        form = form_class(request.POST, prefix=action)
    url = complaint.get_absolute_url()
    return run_action(
        request,
        form,
        lambda data: call(complaint, request.user, data),
        url,
        invalid=lambda form: _render_page(
            request, _get(request, pk), bound=form, bound_name=action, status=400
        ),
        message=str(message),
        not_allowed_url=url,
    )


@login_required
@require_GET
def attachment(request, pk: int, attachment_pk: int):
    _desk_user(request)
    found = (
        ComplaintAttachment.objects.visible_to(request.user)
        .filter(pk=attachment_pk, complaint_id=pk)
        .first()
    )
    if found is None:
        raise Http404
    return stored_file_response(found.file)


# --- the per-serial timeline -------------------------------------------------------------------


@login_required
@require_GET
def serial_search(request):
    """The timeline's search box: a serial number typed in goes to its timeline."""
    _desk_user(request)
    serial = sel.normal_serial(request.GET.get("serial", ""))
    if serial:
        return redirect("complaints:serial_timeline", serial=serial)
    return render(request, "complaints/serial_timeline.html", {"serial": "", "items": []})


@login_required
@require_GET
def serial_timeline(request, serial: str):
    """Everything known about one serial number, newest first: calls, return applications,
    repair orders, complaints (and on-site visits once field service answers the hook)."""
    _desk_user(request)
    serial = sel.normal_serial(serial)
    if not serial:
        raise Http404
    items = sel.serial_timeline(request.user, serial)
    return render(
        request,
        "complaints/serial_timeline.html",
        {
            "serial": serial,
            "items": items,
            "limit": sel.TIMELINE_LIMIT,
            "escalation_labels": {k: _(v) for k, v in ESCALATION_LABELS.items()},
        },
    )


# --- statistics ------------------------------------------------------------------------------


def _statistics(request):
    if not perms.may_read_statistics(request.user):
        raise PermissionDenied
    start, end = period_from(request.GET, timezone.localdate())
    return complaint_statistics(request.user, start, end)


@login_required
@require_GET
def statistics(request):
    stats = _statistics(request)
    return render(
        request,
        "complaints/statistics.html",
        {"stats": stats, "chart": chart_data(stats)},
    )


@login_required
@require_GET
def statistics_xlsx(request):
    stats = _statistics(request)
    response = HttpResponse(statistics_workbook(stats), content_type=XLSX_CONTENT_TYPE)
    name = f"complaints-{stats.start:%Y%m%d}-{stats.end:%Y%m%d}.xlsx"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
