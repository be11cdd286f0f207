"""Every change to a complaint: a locked row, the permission, the FSM transition through
run_transition (logged), the stage timers, and messages through the outbox after commit."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from network.models import OrgUnit
from network.visibility import user_org_unit
from service_ops import plugins
from service_ops.notifications.services import queue_sms
from service_ops.numbering.services import next_document_number
from service_ops.transitions.services import run_transition

from .. import permissions as perms
from ..choices import (
    ActionKind,
    ApprovalDecision,
    ApprovalLevel,
    Category,
    Channel,
    Classification,
    ComplaintState,
    ProblemType,
    Severity,
    SeverityReason,
    Stage,
)
from ..models import (
    Complaint,
    ComplaintAction,
    ComplaintApproval,
    ComplaintAttachment,
    ComplaintRules,
    SolutionOption,
)
from . import stages
from .feedback import feedback_from_complaint

S = ComplaintState
NUMBER_PREFIX = "KS"
CALLBACK_PURPOSE = "客诉处理完毕回访"


# --- severity --------------------------------------------------------------------------------


def suggest_severity(
    *, category: str, amount=None, serial: str = "", customer_id=None, at=None, exclude_pk=None
) -> tuple[str, list[str]]:
    """The rule's suggestion (ComplaintRules): a major category, a claim at or above the amount,
    or earlier complaints on the same serial or by the same customer within the window. Two
    queries at most; the handler confirms or changes it at the judgment."""
    rules = ComplaintRules.current()
    at = at or timezone.now()
    reasons = []
    if category in (rules.major_categories or []):
        reasons.append(SeverityReason.CATEGORY.value)
    if amount is not None and Decimal(amount) >= rules.major_amount:
        reasons.append(SeverityReason.AMOUNT.value)
    since = at - timedelta(days=rules.repeat_days)
    earlier = Complaint.objects.filter(accepted_at__gte=since, accepted_at__lte=at)
    if exclude_pk:
        earlier = earlier.exclude(pk=exclude_pk)
    if serial.strip() and earlier.filter(serial_number=serial.strip()).count() >= max(
        rules.repeat_count, 1
    ):
        reasons.append(SeverityReason.REPEAT_SERIAL.value)
    if customer_id and earlier.filter(customer_id=customer_id).count() >= max(
        rules.repeat_count, 1
    ):
        reasons.append(SeverityReason.REPEAT_CUSTOMER.value)
    return (Severity.MAJOR if reasons else Severity.ORDINARY), reasons


# --- helpers ---------------------------------------------------------------------------------


def _locked(complaint) -> Complaint:
    pk = complaint.pk if isinstance(complaint, Complaint) else complaint
    return Complaint.objects.select_for_update().get(pk=pk)


def _require(condition: bool):
    if not condition:
        raise PermissionDenied(_("您没有权限执行此操作"))


def _sms(complaint: Complaint, text) -> None:
    """Tell the complainant by SMS when a phone number is known (the outbox sends after commit)."""
    if complaint.complainant_phone:
        queue_sms(phone=complaint.complainant_phone, text=str(text), source=complaint)


def _root_unit():
    return OrgUnit.objects.filter(parent__isnull=True).order_by("pk").first()


# --- accept ----------------------------------------------------------------------------------


@transaction.atomic
def create_complaint(
    *,
    actor,
    complainant_name: str,
    content: str,
    category: str,
    channel: str,
    complainant_phone: str = "",
    customer=None,
    complainant_unit=None,
    product_model: str = "",
    serial_number: str = "",
    call_ref: str = "",
    order_ref: str = "",
    expected_outcome: str = "",
    amount_claimed=None,
    files=(),
    at=None,
    check_permission: bool = True,
) -> Complaint:
    """Accept a complaint (投诉受理): its number, the severity suggestion, and the first stage
    timers (acknowledge today, judge in a working day, a solution in 72 hours)."""
    if check_permission:
        _require(perms.may_file(actor))
    errors = {}
    if not (complainant_name or "").strip():
        errors["complainant_name"] = _("请填写投诉人")
    if not (content or "").strip():
        errors["content"] = _("请填写投诉内容")
    if category not in Category.values:
        errors["category"] = _("请选择投诉类别")
    if errors:
        raise ValidationError(errors)
    at = at or timezone.now()
    if customer is not None and not complainant_phone:
        complainant_phone = customer.phone
    org_unit = (
        (customer.org_unit if customer is not None and customer.org_unit_id else None)
        or complainant_unit
        or user_org_unit(actor)
        or _root_unit()
    )
    severity, reasons = suggest_severity(
        category=category,
        amount=amount_claimed,
        serial=serial_number,
        customer_id=customer.pk if customer is not None else None,
        at=at,
    )
    handler = actor if perms.has_role(actor, perms.HANDLER) else None
    complaint = Complaint.objects.create(
        number=next_document_number(NUMBER_PREFIX, at=at),
        customer=customer,
        complainant_unit=complainant_unit,
        complainant_name=complainant_name.strip(),
        complainant_phone=(complainant_phone or "").strip(),
        channel=channel,
        category=category,
        product_model=product_model.strip(),
        serial_number=serial_number.strip(),
        call_ref=call_ref.strip(),
        order_ref=order_ref.strip(),
        content=content.strip(),
        expected_outcome=expected_outcome.strip(),
        amount_claimed=amount_claimed,
        severity=severity,
        severity_suggested=severity,
        severity_reasons=reasons,
        org_unit=org_unit,
        handler=handler,
        accepted_at=at,
        accepted_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    for f in files:
        ComplaintAttachment.objects.create(
            complaint=complaint, file=f, uploaded_by=complaint.accepted_by
        )
    stages.start_stage(
        complaint, Stage.ACKNOWLEDGE, at=at, limit=stages.same_day_hours(at), actor=actor
    )
    stages.start_stage(complaint, Stage.JUDGE, at=at, actor=actor)
    stages.start_stage(complaint, Stage.SOLUTION, at=at, actor=actor)
    return complaint


@transaction.atomic
def take_over(complaint, *, actor) -> Complaint:
    """A complaint-team member takes the complaint as its handler; its open timers follow."""
    from service_ops.deadlines.services import deadline_reassign, open_deadlines_of

    complaint = _locked(complaint)
    _require(perms.has_role(actor, perms.HANDLER) and complaint.is_open)
    complaint.handler = actor
    complaint.save(update_fields=["handler"])
    for d in open_deadlines_of(complaint).exclude(policy__code__startswith="complaint-approval"):
        deadline_reassign(deadline=d, assignee=actor, actor=actor)
    return complaint


@transaction.atomic
def acknowledge(complaint, *, actor) -> Complaint:
    """受理确认: the complainant is told the complaint is registered and being handled."""
    complaint = _locked(complaint)
    _require(perms.may_handle(complaint, actor))
    if complaint.acknowledged_at is not None or not complaint.is_open:
        raise ValidationError(_("该投诉已确认受理"))
    complaint.acknowledged_at = timezone.now()
    complaint.save(update_fields=["acknowledged_at"])
    stages.close_stage(complaint, Stage.ACKNOWLEDGE, actor=actor)
    _sms(
        complaint,
        _("【客服中心】您好，您的投诉（编号 %(number)s）已受理，我们将尽快调查并给您答复。")
        % {"number": complaint.number},
    )
    return complaint


# --- judge -----------------------------------------------------------------------------------


def judge(complaint, *, actor, valid: bool, severity: str = "", reason: str = "") -> Complaint:
    """投诉判断: valid → investigation (severity confirmed by the handler); not valid → the
    explanation recorded, the complainant told politely, closed as invalid."""
    if not valid and not (reason or "").strip():
        raise ValidationError({"reason": _("投诉不成立时请填写说明")})
    if valid and severity not in Severity.values:
        raise ValidationError({"severity": _("请确认严重程度")})
    with transaction.atomic():
        if valid:

            def confirm(instance):
                changed = instance.severity != severity
                instance.severity = severity
                instance.severity_confirmed = True
                instance._severity_changed = changed

            complaint = run_transition(
                Complaint, complaint.pk, transition="judge_valid", actor=actor, before=confirm
            )
            if complaint._severity_changed:
                stages.switch_severity(complaint, actor=actor)
            stages.close_stage(complaint, Stage.JUDGE, actor=actor)
            # a valid product-quality complaint is fed back to development (信息反馈)
            feedback_from_complaint(complaint=complaint, actor=actor)
            if complaint.acknowledged_at is None:
                Complaint.objects.filter(pk=complaint.pk).update(acknowledged_at=timezone.now())
                stages.close_stage(complaint, Stage.ACKNOWLEDGE, actor=actor)
        else:
            complaint = run_transition(
                Complaint,
                complaint.pk,
                transition="judge_invalid",
                actor=actor,
                kwargs={"reason": reason.strip()},
                comment=reason.strip(),
            )
            stages.close_stage(complaint, Stage.ACKNOWLEDGE, actor=actor)
            stages.close_stage(complaint, Stage.JUDGE, actor=actor)
            stages.end_all(complaint, actor=actor, cancel=True)
            _sms(
                complaint,
                _(
                    "【客服中心】您好，关于您的投诉（编号 %(number)s），经核实：%(reason)s"
                    "。感谢您的理解和监督，如有疑问欢迎随时来电。"
                )
                % {"number": complaint.number, "reason": reason.strip()},
            )
    return complaint


# --- investigate and propose -----------------------------------------------------------------


@transaction.atomic
def record_investigation(
    complaint,
    *,
    actor,
    cause: str,
    problem_type: str,
    responsible_unit,
    responsible_person=None,
) -> Complaint:
    complaint = _locked(complaint)
    _require(perms.may_handle(complaint, actor))
    if complaint.state != S.INVESTIGATING:
        raise ValidationError(_("只有调查中的投诉可以填写调查结果"))
    errors = {}
    if not (cause or "").strip():
        errors["cause"] = _("请填写投诉原因")
    if problem_type not in ProblemType.values:
        errors["problem_type"] = _("请选择问题性质")
    if responsible_unit is None:
        errors["responsible_unit"] = _("请选择责任部门")
    if errors:
        raise ValidationError(errors)
    complaint.cause = cause.strip()
    complaint.problem_type = problem_type
    complaint.responsible_unit = responsible_unit
    complaint.responsible_person = responsible_person
    complaint.save(
        update_fields=["cause", "problem_type", "responsible_unit", "responsible_person"]
    )
    return complaint


@transaction.atomic
def add_option(complaint, *, actor, description: str, promised_by, compensation=None):
    complaint = _locked(complaint)
    _require(perms.may_handle(complaint, actor))
    if complaint.state != S.INVESTIGATING:
        raise ValidationError(_("只有调查中的投诉可以添加处理方案"))
    errors = {}
    if not (description or "").strip():
        errors["description"] = _("请填写方案内容")
    if promised_by is None:
        errors["promised_by"] = _("请填写承诺完成日期")
    elif promised_by < timezone.localdate():
        errors["promised_by"] = _("承诺完成日期不能早于今天")
    if errors:
        raise ValidationError(errors)
    return SolutionOption.objects.create(
        complaint=complaint,
        round=complaint.round + 1,
        description=description.strip(),
        promised_by=promised_by,
        compensation=compensation,
        created_by=actor,
    )


def current_options(complaint):
    return complaint.options.filter(
        round=complaint.round if complaint.state != S.INVESTIGATING else complaint.round + 1
    )


def propose(complaint, *, actor) -> Complaint:
    """提出处理方案: one or more options of this round go to the executive manager. The 72-hour
    solution clock stops; the approval clock (1 working day) starts."""

    def check(instance):
        if instance.state != S.INVESTIGATING:
            return  # run_transition answers "not allowed now"
        if not instance.options.filter(round=instance.round + 1).exists():
            raise ValidationError(_("请至少添加一个处理方案"))
        if not instance._has_investigation():
            raise ValidationError(_("请先填写调查结果（原因、问题性质、责任部门）"))

    with transaction.atomic():
        complaint = run_transition(
            Complaint, complaint.pk, transition="propose", actor=actor, before=check
        )
        stages.pause_solution(complaint, actor=actor)
        stages.start_stage(
            complaint,
            Stage.APPROVAL,
            assignee=stages.first_holder(perms.EXECUTIVE_MANAGER, complaint.org_unit),
            actor=actor,
        )
    return complaint


# --- approve ---------------------------------------------------------------------------------


def approve(complaint, *, actor, option_id, comment: str = "") -> Complaint:
    """The executive manager picks the best option (seed 004). An ordinary complaint is approved;
    a major one goes on to senior management with its own approval clock."""
    with transaction.atomic():
        current = _locked(complaint)
        option = current.options.filter(pk=option_id, round=current.round).first()
        if option is None:
            raise ValidationError({"option": _("请选择本轮的一个处理方案")})
        transition = "approve_for_senior" if current.is_major else "approve"
        complaint = run_transition(
            Complaint,
            current.pk,
            transition=transition,
            actor=actor,
            kwargs={"option": option},
            comment=comment,
        )
        ComplaintApproval.objects.create(
            complaint=complaint,
            round=complaint.round,
            level=ApprovalLevel.EXECUTIVE,
            decision=ApprovalDecision.APPROVED,
            option=option,
            comment=comment,
            actor=actor,
        )
        stages.close_stage(complaint, Stage.APPROVAL, actor=actor)
        if complaint.state == S.SENIOR_REVIEW:
            senior = stages.first_holder(perms.SENIOR_MANAGEMENT, complaint.org_unit)
            stages.start_stage(complaint, Stage.APPROVAL, assignee=senior, actor=actor)
    return complaint


def approve_senior(complaint, *, actor, comment: str = "") -> Complaint:
    with transaction.atomic():
        complaint = run_transition(
            Complaint, complaint.pk, transition="approve_senior", actor=actor, comment=comment
        )
        ComplaintApproval.objects.create(
            complaint=complaint,
            round=complaint.round,
            level=ApprovalLevel.SENIOR,
            decision=ApprovalDecision.APPROVED,
            option=complaint.chosen_option,
            comment=comment,
            actor=actor,
        )
        stages.close_stage(complaint, Stage.APPROVAL, actor=actor)
    return complaint


def return_solution(complaint, *, actor, comment: str) -> Complaint:
    """The approver sends the options back: a new round is prepared; the solution clock resumes."""
    if not (comment or "").strip():
        raise ValidationError({"comment": _("退回时请填写审批意见")})
    with transaction.atomic():
        before_state = Complaint.objects.get(pk=complaint.pk).state
        complaint = run_transition(
            Complaint, complaint.pk, transition="return_solution", actor=actor, comment=comment
        )
        ComplaintApproval.objects.create(
            complaint=complaint,
            round=complaint.round,
            level=ApprovalLevel.SENIOR
            if before_state == S.SENIOR_REVIEW
            else ApprovalLevel.EXECUTIVE,
            decision=ApprovalDecision.RETURNED,
            comment=comment.strip(),
            actor=actor,
        )
        stages.close_stage(complaint, Stage.APPROVAL, actor=actor)
        stages.resume_solution(complaint, actor=actor)
    return complaint


# --- implement -------------------------------------------------------------------------------


def start_implementation(complaint, *, actor) -> Complaint:
    """The approved solution is carried out by the date it promises (its own timer)."""
    with transaction.atomic():
        complaint = run_transition(
            Complaint, complaint.pk, transition="start_implementation", actor=actor
        )
        now = timezone.now()
        stages.start_stage(
            complaint,
            Stage.IMPLEMENTATION,
            at=now,
            limit=stages.hours_until_end_of(complaint.chosen_option.promised_by, now),
            actor=actor,
        )
    return complaint


@transaction.atomic
def add_action(complaint, *, actor, kind: str, description: str, amount=None) -> ComplaintAction:
    complaint = _locked(complaint)
    _require(perms.may_handle(complaint, actor))
    if complaint.state != S.IMPLEMENTING:
        raise ValidationError(_("只有实施中的投诉可以登记措施"))
    errors = {}
    if kind not in ActionKind.values:
        errors["kind"] = _("请选择措施类型")
    if not (description or "").strip():
        errors["description"] = _("请填写措施说明")
    if kind == ActionKind.COMPENSATION and amount is None:
        errors["amount"] = _("经济补偿请填写金额")
    if errors:
        raise ValidationError(errors)
    return ComplaintAction.objects.create(
        complaint=complaint, kind=kind, description=description.strip(), amount=amount, actor=actor
    )


def finish_implementation(complaint, *, actor) -> Complaint:
    """The actions are done: the complainant is told and asked to confirm (通知顾客)."""

    def check(instance):
        if not instance.actions.exists():
            raise ValidationError(_("请至少登记一项实施措施"))

    with transaction.atomic():
        complaint = run_transition(
            Complaint, complaint.pk, transition="finish_implementation", actor=actor, before=check
        )
        stages.close_stage(complaint, Stage.IMPLEMENTATION, actor=actor)
        _sms(
            complaint,
            _(
                "【客服中心】您好，您的投诉（编号 %(number)s）的处理方案已实施："
                "%(solution)s。请您确认是否接受。"
            )
            % {"number": complaint.number, "solution": complaint.chosen_option.description[:60]},
        )
    return complaint


# --- the customer's answer -------------------------------------------------------------------


def customer_accepts(complaint, *, actor, reply: str = "") -> Complaint:
    """The customer accepts: the solution clock ends; the call centre is asked for a callback
    (回访) and the callback clock (3 working days) starts."""
    with transaction.atomic():
        complaint = run_transition(
            Complaint,
            complaint.pk,
            transition="customer_accepts",
            actor=actor,
            kwargs={"reply": (reply or "").strip()},
            comment=(reply or "").strip(),
        )
        stages.close_stage(complaint, Stage.SOLUTION, actor=actor)
        stages.start_stage(complaint, Stage.CALLBACK, actor=actor)
        plugins.call_hook(
            "request_callback",
            subject=complaint,
            purpose=CALLBACK_PURPOSE,
            contact_name=complaint.complainant_name,
            contact_phone=complaint.complainant_phone,
        )
    return complaint


def customer_rejects(complaint, *, actor, reply: str) -> Complaint:
    """The customer does not accept: back to a new solution; the 72-hour clock resumes where it
    stopped at the proposal (the time with the approvers and the customer does not count)."""
    if not (reply or "").strip():
        raise ValidationError({"reply": _("请填写客户不接受的原因")})
    with transaction.atomic():
        complaint = run_transition(
            Complaint,
            complaint.pk,
            transition="customer_rejects",
            actor=actor,
            kwargs={"reply": reply.strip()},
            comment=reply.strip(),
        )
        stages.resume_solution(complaint, actor=actor)
    return complaint


# --- callback and closing --------------------------------------------------------------------


def record_callback(complaint, *, actor, result: str, satisfied) -> Complaint:
    if not (result or "").strip():
        raise ValidationError({"result": _("请填写回访结果")})
    with transaction.atomic():
        complaint = run_transition(
            Complaint,
            complaint.pk,
            transition="record_callback",
            actor=actor,
            kwargs={"result": result.strip(), "satisfied": satisfied},
            comment=result.strip(),
        )
        stages.close_stage(complaint, Stage.CALLBACK, actor=actor)
    return complaint


def close(
    complaint, *, actor, classification: str, root_cause: str, improvement_action: str
) -> Complaint:
    """总结评价: classified for the statistics, with its root cause and the improvement action."""
    errors = {}
    if classification not in Classification.values:
        errors["classification"] = _("请选择投诉分类")
    if not (root_cause or "").strip():
        errors["root_cause"] = _("请填写根本原因")
    if not (improvement_action or "").strip():
        errors["improvement_action"] = _("请填写改进措施")
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        complaint = run_transition(
            Complaint,
            complaint.pk,
            transition="close",
            actor=actor,
            kwargs={
                "classification": classification,
                "root_cause": root_cause.strip(),
                "improvement_action": improvement_action.strip(),
            },
        )
        stages.end_all(complaint, actor=actor)
    return complaint


# --- the partner API ---------------------------------------------------------------------------


def complaint_file_by_partner(
    *,
    actor,
    serial_number: str,
    product_model: str,
    category: str,
    content: str,
    expected_outcome: str,
    complainant_name: str = "",
    complainant_phone: str = "",
    order_ref: str = "",
    amount_claimed=None,
) -> Complaint:
    """A dealer or service point files a complaint through the partner API (issue 18 item 7): the
    complainant is always the caller's own unit, the channel the API; accepted like any other
    (create_complaint: number, suggested severity, the first stage timers)."""
    _require(perms.may_file_as_partner(actor))
    unit = user_org_unit(actor)
    errors = {}
    for name, value, message in (
        ("serial_number", serial_number, _("请填写设备序列号")),
        ("product_model", product_model, _("请填写产品型号")),
        ("expected_outcome", expected_outcome, _("请填写期望的处理结果")),
    ):
        if not (value or "").strip():
            errors[name] = message
    if errors:
        raise ValidationError(errors)
    return create_complaint(
        actor=actor,
        complainant_unit=unit,
        complainant_name=(complainant_name or "").strip() or unit.name,
        complainant_phone=(complainant_phone or "").strip() or unit.phone,
        channel=Channel.API,
        category=category,
        product_model=product_model,
        serial_number=serial_number,
        content=content,
        expected_outcome=expected_outcome,
        order_ref=order_ref,
        amount_claimed=amount_claimed,
        check_permission=False,
    )
