"""Logging an inbound call (来电登记, the seed's 呼入流程) and taking over a handed-over one.

`call_log` writes the call (and, for a caller nobody knows yet, their Customer record) in one
transaction with what its outcome asks for: a follow-up with its timer, the expert seat's or the
complaint team's 待办, the field office's. Notifications are an outbox (sent after commit)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from network.choices import PARTNER_KINDS, OrgKind, Role
from network.models import OrgUnit
from network.selectors import role_holders
from service_ops import plugins
from service_ops.i18n import choice, deferred
from service_ops.notifications.services import notify, tasks_done
from service_ops.numbering.services import next_document_number

from ..choices import CallCategory, CallerKind, CallOutcome
from ..models import Customer, InboundCall
from ..models.activation import normalise_serial
from ..permissions import may_log_call, may_take_over
from ..phones import split_phone

User = get_user_model()

NUMBER_PREFIX = "LD"  # 来电
TRANSFER_KINDS = (OrgKind.FIELD_OFFICE, OrgKind.BRANCH)
# How long an opened desk form may count as the call's start (a form left open over lunch
# measures nothing); beyond it the call counts from this long before it was saved.
MAX_LOGGING_TIME = timedelta(hours=2)
MAX_FOLLOW_UP_AHEAD = timedelta(days=60)

UNIT_KINDS = {
    OrgKind.DEALER: CallerKind.DEALER,
    OrgKind.SERVICE_POINT: CallerKind.SERVICE_POINT,
    OrgKind.FIELD_OFFICE: CallerKind.FIELD_OFFICE,
}


@dataclass
class Caller:
    kind: str
    name: str = ""
    customer: Customer | None = None
    unit: OrgUnit | None = None
    user: object | None = None


def root_unit(actor=None) -> OrgUnit:
    """Headquarters: the root of the actor's tree (the call centre sits there)."""
    profile = getattr(actor, "profile", None) if actor is not None else None
    if profile is not None:
        ids = profile.org_unit.ancestor_ids()
        if ids:
            return OrgUnit.objects.get(pk=ids[-1])
    return OrgUnit.objects.filter(parent__isnull=True).order_by("id").first()


def caller_key(obj) -> str:
    """The key the desk form carries for a found caller: customer:<id>, unit:<id>, staff:<id>."""
    if isinstance(obj, Customer):
        return f"customer:{obj.pk}"
    if isinstance(obj, OrgUnit):
        return f"unit:{obj.pk}"
    return f"staff:{obj.pk}"


def resolve_caller(key: str) -> Caller | None:
    """The caller a desk key names, or None when it names nothing (any more)."""
    kind, _sep, pk = (key or "").partition(":")
    if not pk.isdigit():
        return None
    if kind == "customer":
        customer = Customer.objects.filter(pk=pk).first()
        return customer and Caller(CallerKind.CUSTOMER, customer.name, customer=customer)
    if kind == "unit":
        unit = OrgUnit.objects.filter(pk=pk, is_active=True).first()
        if unit is None:
            return None
        return Caller(UNIT_KINDS.get(unit.kind, CallerKind.ORG_UNIT), unit.name, unit=unit)
    if kind == "staff":
        user = (
            User.objects.filter(pk=pk, is_active=True, profile__isnull=False)
            .select_related("profile__org_unit")
            .first()
        )
        if user is None:
            return None
        name = user.get_full_name() or user.get_username()
        return Caller(CallerKind.STAFF, name, unit=user.profile.org_unit, user=user)
    return None


def _scope_unit(caller: Caller, outcome: str, office: OrgUnit | None, root: OrgUnit) -> OrgUnit:
    if outcome == CallOutcome.TRANSFERRED and office is not None:
        return office
    if caller.unit is not None:
        return caller.unit
    if caller.customer is not None and caller.customer.org_unit_id:
        return caller.customer.org_unit
    return root


def _started(started_at: datetime | None, now: datetime) -> datetime:
    if started_at is None or started_at > now:
        return now
    return max(started_at, now - MAX_LOGGING_TIME)


def internal_staff():
    """People who can be asked to reply to a follow-up: active company staff (not partners)."""
    return User.objects.filter(is_active=True, profile__isnull=False).exclude(
        profile__org_unit__kind__in=list(PARTNER_KINDS)
    )


def transfer_offices():
    return OrgUnit.objects.filter(is_active=True, kind__in=TRANSFER_KINDS).order_by("path")


def _check(
    *,
    phone: str,
    caller_key_: str,
    new_customer_name: str,
    category: str,
    summary: str,
    outcome: str,
    due_at,
    assignee,
    transfer_office,
    now: datetime,
) -> tuple[str, str, Caller]:
    errors: dict[str, list[str]] = {}
    number, extension = split_phone(phone)
    if not number:
        errors.setdefault("phone", []).append(_("请填写来电号码"))
    elif not number.isdigit() or not 3 <= len(number) <= 20:
        errors.setdefault("phone", []).append(_("来电号码只能是 3–20 位数字（可带分机）"))
    caller = None
    if caller_key_:
        caller = resolve_caller(caller_key_)
        if caller is None:
            errors.setdefault("caller", []).append(_("所选来电方不存在，请重新查找"))
    elif new_customer_name.strip():
        caller = Caller(CallerKind.CUSTOMER, new_customer_name.strip())
    else:
        caller = Caller(CallerKind.UNKNOWN)
    if category not in CallCategory.values:
        errors.setdefault("category", []).append(_("请选择来电类别"))
    if not summary.strip():
        errors.setdefault("summary", []).append(_("请填写来电内容摘要"))
    if outcome not in CallOutcome.values:
        errors.setdefault("outcome", []).append(_("请选择处理结果"))
    if outcome == CallOutcome.FOLLOW_UP:
        if due_at is None:
            errors.setdefault("due_at", []).append(_("需跟进回复时请填写要求回复时间"))
        elif due_at <= now:
            errors.setdefault("due_at", []).append(_("要求回复时间必须晚于现在"))
        elif due_at > now + MAX_FOLLOW_UP_AHEAD:
            errors.setdefault("due_at", []).append(
                _("要求回复时间不能超过 60 天；需要等待到某日，请登记后暂停并写明原因")
            )
        if assignee is not None and not internal_staff().filter(pk=assignee.pk).exists():
            errors.setdefault("assignee", []).append(_("回复人必须是公司在职员工"))
    if outcome == CallOutcome.TRANSFERRED:
        if transfer_office is None:
            errors.setdefault("transfer_office", []).append(_("转办事处时请选择办事处"))
        elif transfer_office.kind not in TRANSFER_KINDS or not transfer_office.is_active:
            errors.setdefault("transfer_office", []).append(_("只能转至驻外办事处或分公司"))
    if errors:
        raise ValidationError(errors)
    return number, extension, caller


@transaction.atomic
def call_log(
    *,
    actor,
    phone: str,
    category: str,
    summary: str,
    outcome: str,
    caller: str = "",
    new_customer_name: str = "",
    new_customer_city: str = "",
    caller_name: str = "",
    product_model: str = "",
    serial_number: str = "",
    answer: str = "",
    question: str = "",
    assignee=None,
    due_at: datetime | None = None,
    transfer_office: OrgUnit | None = None,
    started_at: datetime | None = None,
) -> InboundCall:
    """Log one inbound call with its outcome (see the module's docstring)."""
    if not may_log_call(actor):
        raise PermissionDenied(_("只有呼叫中心坐席可以登记来电"))
    now = timezone.now()
    number, extension, found = _check(
        phone=phone,
        caller_key_=caller,
        new_customer_name=new_customer_name,
        category=category,
        summary=summary,
        outcome=outcome,
        due_at=due_at,
        assignee=assignee,
        transfer_office=transfer_office,
        now=now,
    )
    root = root_unit(actor)
    if found.kind == CallerKind.CUSTOMER and found.customer is None:
        # 新客户: created in place, the number as called (its extension apart)
        found.customer = Customer.objects.create(
            name=found.name[:60],
            phone=number,
            phone_extension=extension,
            city=new_customer_city.strip()[:40],
        )
    name = (caller_name or "").strip() or found.name
    call = InboundCall.objects.create(
        number=next_document_number(NUMBER_PREFIX, at=now, width=5),
        agent=actor,
        org_unit=_scope_unit(found, outcome, transfer_office, root),
        caller_kind=found.kind,
        customer=found.customer,
        caller_unit=found.unit,
        caller_user=found.user,
        caller_name=name[:120],
        caller_phone=number,
        caller_extension=extension[:8],
        product_model=product_model.strip()[:60],
        serial_number=normalise_serial(serial_number)[:60],
        category=category,
        summary=summary.strip(),
        outcome=outcome,
        answer=answer.strip(),
        transfer_office=transfer_office if outcome == CallOutcome.TRANSFERRED else None,
        started_at=_started(started_at, now),
        ended_at=now,
    )
    if outcome == CallOutcome.FOLLOW_UP:
        from .followups import followup_open

        call.follow_up = followup_open(
            call=call,
            actor=actor,
            question=question.strip() or call.summary,
            due_at=due_at,
            assignee=assignee,
        )
    elif outcome in (CallOutcome.EXPERT, CallOutcome.COMPLAINT_TEAM, CallOutcome.TRANSFERRED):
        _hand_over(call, root)
    return call


def _hand_over(call: InboundCall, root: OrgUnit) -> None:
    """整理、汇总并移交: the expert seat, the complaint team or the office is asked to take it."""
    if call.outcome == CallOutcome.TRANSFERRED:
        recipients = list(
            User.objects.filter(is_active=True, profile__org_unit=call.transfer_office)
        )
        subject = deferred(
            gettext_noop("转办事处来电 %(no)s：%(cat)s %(who)s"),
            no=call.number,
            cat=choice(call, "category"),
            who=call.caller_label,
        )
    else:
        role = Role.EXPERT_AGENT if call.outcome == CallOutcome.EXPERT else Role.COMPLAINT_TEAM
        recipients = role_holders(role, root)
        subject = deferred(
            gettext_noop("移交专家坐席 %(no)s：%(cat)s %(who)s")
            if call.outcome == CallOutcome.EXPERT
            else gettext_noop("移交客诉小组 %(no)s：%(cat)s %(who)s"),
            no=call.number,
            cat=choice(call, "category"),
            who=call.caller_label,
        )
    if not recipients:  # nobody holds the seat: the head of customer service takes it
        recipients = role_holders(Role.HEAD_OF_CS, root)
    notify(
        recipients=recipients,
        subject=subject,
        body=call.summary[:500],
        url=call.get_absolute_url(),
        category="call",
        source=call,
        action=True,  # done once somebody takes it over (call_take_over)
    )
    if call.outcome == CallOutcome.COMPLAINT_TEAM:
        # The complaint closed loop opens its complaint when that app is installed; without it
        # the hand-over is this notification and the call's record.
        plugins.call_hook(
            "open_complaint",
            customer_id=call.customer_id,
            phone=call.caller_phone,
            name=call.caller_name,
            serial=call.serial_number,
            product_model=call.product_model,
            content=call.summary,
            channel="call",
            source=call,
            actor=call.agent,
            # a quality problem is the complaint team's product-quality category at once; the
            # handler judges the rest
            category="product_quality" if call.category == CallCategory.QUALITY else "other",
        )


@transaction.atomic
def call_take_over(*, call_id: int, actor) -> InboundCall:
    """接手: the first of the asked people to take the handed-over call; the others' 待办 close."""
    call = InboundCall.objects.select_for_update().get(pk=call_id)
    if call.outcome not in (
        CallOutcome.EXPERT,
        CallOutcome.COMPLAINT_TEAM,
        CallOutcome.TRANSFERRED,
    ):
        raise ValidationError(_("此来电没有移交，无需接手"))
    if not may_take_over(actor, call):
        raise PermissionDenied(_("您不能接手此来电"))
    if call.taken_at is not None:
        raise ValidationError(
            _("此来电已由 %(who)s 接手")
            % {"who": call.taken_by.get_full_name() if call.taken_by else "—"}
        )
    call.taken_by = actor
    call.taken_at = timezone.now()
    call.save(update_fields=["taken_by", "taken_at"])
    tasks_done(call)
    return call
