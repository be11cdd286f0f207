"""Field service's front half (驻外工程师服务流程, seed 001; issue 20 items 1–4): the installed
base, service requests (报修) from staff, a call, a dealer or the unit's QR code, their dispatch
(派单) by the rules to a service point or a field office (or by hand to an engineer), the answer
to an offer within its limit, the appointment and the day-before reminder.

Every state change goes through run_transition (row lock, transition log, webhooks, tasks done).
An offer's limit is a timer of the deadline engine (kind `field.dispatch_accept`, policy
`field-dispatch-accept`, in working hours; each timer's amount is the policy row's
accept_minutes at the moment of the offer): its breach expires the offer and offers the request
to the next candidate (OFFER_EXPIRY_HANDLER), or, with nobody left, puts it back to `new` and
tells the dispatchers.

On accept the visit is created here (planned; sequence = the request's last + 1; `follows` the
last visit when the request comes back after an escalation); everything from check-in on is
repairs.services.visits'."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from network.choices import OrgKind, Role
from network.models import OrgUnit
from network.selectors import held_roles, role_holders
from network.visibility import user_org_unit
from service_ops.deadlines.services import close_open_deadlines_of, deadline_start
from service_ops.i18n import deferred
from service_ops.notifications.services import notify, queue_sms
from service_ops.numbering.services import next_document_number
from service_ops.transitions.models import ActionChannel
from service_ops.transitions.services import run_transition

from ..choices import DispatchState, RequestChannel, ServiceRequestState, VisitState
from ..models import (
    Dispatch,
    FieldServicePolicy,
    InstalledUnit,
    ServiceRequest,
    Visit,
    VisitReschedule,
)
from ..permissions import (
    FIELD_ANSWER_ROLES,
    may_answer_offer,
    may_dispatch,
    may_file_service_request,
    may_keep_units,
    may_schedule_visit,
)
from ..selectors.field_requests import dispatch_candidates, tried_unit_ids

R = ServiceRequestState
D = DispatchState
NUMBER_PREFIX = "BX"
ACCEPT_KIND = "field.dispatch_accept"
ACCEPT_POLICY = "field-dispatch-accept"
SYSTEM = ActionChannel.SYSTEM
ENGINEER_ROLES = frozenset({Role.LOCAL_ENGINEER, Role.BRANCH_ENGINEER})
REMINDER_TEXT = gettext_noop(
    "【售后服务】您的报修 %(no)s 已预约 %(when)s 上门服务。请准备保修卡、购买凭证，"
    "并确认设备在现场；如需改约请回复或致电服务热线。"
)


# --- the installed base ------------------------------------------------------------------------


def _check_purchase_date(value) -> None:
    if value is not None and value > timezone.localdate():
        raise ValidationError({"purchase_date": [_("购买日期不能晚于今天")]}, code="future")


@transaction.atomic
def installed_unit_save(*, unit: InstalledUnit, actor) -> InstalledUnit:
    """Create or edit a unit of the installed base (装机档案). The serial is unique
    (upper-cased); the purchase date is never in the future."""
    if not may_keep_units(actor):
        raise PermissionDenied(_("您不能维护装机档案"))
    _check_purchase_date(unit.purchase_date)
    unit.serial_number = (unit.serial_number or "").strip().upper()
    clash = InstalledUnit.objects.filter(serial_number=unit.serial_number).exclude(pk=unit.pk)
    if not unit.serial_number or clash.exists():
        raise ValidationError(
            {
                "serial_number": [
                    _("该出厂编号已建档") if unit.serial_number else _("请填写出厂编号")
                ]
            },
            code="serial",
        )
    unit.save()
    return unit


# --- filing a request --------------------------------------------------------------------------


def _owner_for(*, unit, dealer, org_unit, actor) -> OrgUnit | None:
    """Who owns a request: the one given, the unit's office, the dealer's branch, else the
    filer's own unit when it is not a partner."""
    if org_unit is not None:
        return org_unit
    if unit is not None:
        return unit.org_unit
    if dealer is not None:
        return dealer.nearest(OrgKind.BRANCH) or dealer.parent
    mine = user_org_unit(actor)
    return mine if mine is not None and not mine.is_partner else None


@transaction.atomic
def request_file(
    *,
    channel: str,
    category: str,
    contact_name: str,
    contact_phone: str,
    address: str,
    province: str = "",
    city: str = "",
    district: str = "",
    preferred_time: str = "",
    description: str = "",
    unit: InstalledUnit | None = None,
    serial_number: str = "",
    product_model: str = "",
    org_unit: OrgUnit | None = None,
    dealer: OrgUnit | None = None,
    actor=None,
    auto_dispatch: bool = True,
    api: bool = False,
) -> ServiceRequest:
    """报修: a new service request, then dispatched by the rules at once (when `auto_dispatch`).
    `actor` None: the public QR page (channel qr). The warranty is read from the unit on the
    day of filing."""
    if actor is not None and channel != RequestChannel.QR and not may_file_service_request(actor):
        raise PermissionDenied(_("您不能登记报修"))
    if unit is None and serial_number:
        unit = InstalledUnit.objects.filter(serial_number=serial_number.strip().upper()).first()
    owner = _owner_for(unit=unit, dealer=dealer, org_unit=org_unit, actor=actor)
    if owner is None:
        raise ValidationError({"org_unit": [_("请选择受理单位")]}, code="required")
    request = ServiceRequest(
        number=next_document_number(NUMBER_PREFIX, width=5),
        category=category,
        channel=channel,
        unit=unit,
        serial_number=(unit.serial_number if unit else serial_number.strip().upper())[:60],
        product_model=(unit.product_model if unit else product_model.strip())[:60],
        contact_name=contact_name.strip()[:60],
        contact_phone=contact_phone.strip()[:40],
        province=(province or (unit.province if unit else "")).strip()[:20],
        city=(city or (unit.city if unit else "")).strip()[:30],
        district=(district or (unit.district if unit else "")).strip()[:30],
        address=address.strip()[:200],
        preferred_time=preferred_time.strip()[:60],
        description=description.strip(),
        in_warranty=unit.in_warranty() if unit else None,
        org_unit=owner,
        dealer=dealer,
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    request.full_clean(exclude=["state", "unit", "org_unit", "dealer", "created_by", "number"])
    request.save()
    if auto_dispatch:
        _dispatch_by_rules(request, actor=None, channel=SYSTEM, filed=True)
    return request


# --- dispatch ----------------------------------------------------------------------------------


def _dispatchers(request: ServiceRequest) -> list:
    return role_holders(Role.SERVICE_DISPATCHER, request.org_unit)


def _unit_people(unit_id: int) -> list:
    User = get_user_model()
    return list(
        User.objects.filter(
            is_active=True,
            profile__org_unit_id=unit_id,
            role_assignments__role__in=FIELD_ANSWER_ROLES,
        ).distinct()
    )


def _offer(
    request_id: int,
    *,
    to_unit: OrgUnit | None,
    to_engineer=None,
    rule: str,
    actor,
    channel: str,
    manual: bool,
    comment: str = "",
) -> Dispatch:
    """Offer the request (dispatch transition) and start the offer's accept timer."""
    policy = FieldServicePolicy.current()
    now = timezone.now()
    request = run_transition(
        ServiceRequest,
        request_id,
        transition="dispatch",
        actor=actor,
        channel=channel,
        check_permission=False,
        comment=comment or rule,
    )
    offer = Dispatch.objects.create(
        request=request,
        to_unit=to_unit,
        to_engineer=to_engineer,
        rule=rule[:200],
        manual=manual,
        dispatched_by=actor if getattr(actor, "is_authenticated", False) else None,
        offered_at=now,
    )
    timer = deadline_start(
        policy=ACCEPT_POLICY,
        owner=offer,
        org_unit=request.org_unit,
        assignee=to_engineer,
        started_at=now,
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        label=deferred(gettext_noop("派单 %(no)s 待接单"), no=request.number),
        limit=(Decimal(policy.accept_minutes) / Decimal(60)).quantize(Decimal("0.01")),
    )
    offer.respond_by = timer.due_at
    offer.save(update_fields=["respond_by"])
    people = [to_engineer] if to_engineer is not None else _unit_people(to_unit.pk)
    if people:
        notify(
            recipients=people,
            subject=deferred(
                gettext_noop("新派单 %(no)s：请在 %(by)s 前接单或拒单"),
                no=request.number,
                by=timezone.localtime(offer.respond_by).strftime("%Y-%m-%d %H:%M"),
            ),
            url=reverse("repairs:offer_detail", args=[offer.pk]),
            category="field",
            source=offer,
            action=True,
        )
    return offer


def _tell_dispatchers(request: ServiceRequest, text: str) -> None:
    people = _dispatchers(request)
    if people:
        notify(
            recipients=people,
            subject=deferred(text, no=request.number),
            url=request.get_absolute_url(),
            category="field",
            source=request,
            action=True,
        )


def _dispatch_by_rules(request: ServiceRequest, *, actor, channel: str, filed=False):
    """Offer to the best candidate not yet tried; with none, a dispatched request goes back to
    `new` and the dispatchers are told (a new one stays new and they are told too)."""
    candidates = dispatch_candidates(request, exclude_unit_ids=tried_unit_ids(request))
    if candidates:
        best = candidates[0]
        return _offer(
            request.pk,
            to_unit=best.unit,
            rule=best.reason(),
            actor=actor,
            channel=channel,
            manual=False,
        )
    if request.state == R.DISPATCHED:
        run_transition(
            ServiceRequest,
            request.pk,
            transition="undispatch",
            actor=actor,
            channel=channel,
            check_permission=False,
            comment=deferred(gettext_noop("派单规则找不到其他可派网点")),
        )
    _tell_dispatchers(
        request,
        gettext_noop("报修单 %(no)s 无可派网点，请人工派单")
        if not filed
        else gettext_noop("新报修单 %(no)s 待派单（规则未找到网点）"),
    )
    return None


@transaction.atomic
def request_auto_dispatch(*, request_id: int, actor) -> Dispatch | None:
    """The dispatcher's button: dispatch a new or escalated request by the rules."""
    if not may_dispatch(actor):
        raise PermissionDenied(_("只有派单员可以派单"))
    request = ServiceRequest.objects.select_for_update().get(pk=request_id)
    if request.state not in (R.NEW, R.ESCALATED):
        from django_fsm import TransitionNotAllowed

        raise TransitionNotAllowed(
            "only a new or escalated request is dispatched by the rules",
            object=request,
            method=request.dispatch,
        )
    _require_fault_confirmed(request)
    return _dispatch_by_rules(request, actor=actor, channel=ActionChannel.WEB)


def _require_fault_confirmed(request: ServiceRequest) -> None:
    """Seed 001: a visit that did not solve the fault escalates the event; the fault is
    confirmed (repairs.services.visits.request_confirm_fault) before an engineer goes again."""
    if request.state == R.ESCALATED and not request.fault_confirmed.strip():
        raise ValidationError(
            {"fault_confirmed": [_("升级的报修单须先确认故障，再派单")]}, code="fault_unconfirmed"
        )


def _withdraw_open(request: ServiceRequest, *, actor, channel: str, reason: str) -> None:
    """An override takes the request from whoever holds an offer or an accepted dispatch of it
    (their planned visit is cancelled)."""
    for offer in request.dispatches.filter(state__in=[D.OFFERED, D.ACCEPTED]):
        was_accepted = offer.state == D.ACCEPTED
        run_transition(
            Dispatch, offer.pk, transition="withdraw", actor=actor, channel=channel,
            check_permission=False, comment=reason,
        )  # fmt: skip
        close_open_deadlines_of(offer, actor=actor)
        if was_accepted:
            for visit in request.visits.filter(state=VisitState.PLANNED):
                run_transition(
                    Visit, visit.pk, transition="cancel", actor=actor, channel=channel,
                    check_permission=False, comment=reason,
                )  # fmt: skip


@transaction.atomic
def request_override(
    *,
    request_id: int,
    actor,
    to_unit: OrgUnit | None = None,
    to_engineer=None,
    reason: str = "",
    channel: str = ActionChannel.WEB,
) -> Dispatch:
    """改派: a dispatcher withdraws the open offer (or the accepted dispatch) and offers the
    request to a unit or an engineer of their choosing."""
    if not may_dispatch(actor):
        raise PermissionDenied(_("只有派单员可以改派"))
    reason = (reason or "").strip()
    if to_unit is None and to_engineer is None:
        raise ValidationError({"to_unit": [_("请选择网点或工程师")]}, code="required")
    if to_unit is not None and to_unit.kind not in (OrgKind.SERVICE_POINT, OrgKind.FIELD_OFFICE):
        raise ValidationError({"to_unit": [_("只能派给网点或驻外办事处")]}, code="kind")
    request = ServiceRequest.objects.select_for_update().get(pk=request_id)
    if request.state not in (R.NEW, R.DISPATCHED, R.ACCEPTED, R.ESCALATED):
        from django_fsm import TransitionNotAllowed

        raise TransitionNotAllowed(
            "the request is past dispatch", object=request, method=request.dispatch
        )
    _require_fault_confirmed(request)
    _withdraw_open(request, actor=actor, channel=channel, reason=reason)
    if to_engineer is not None and to_unit is None:
        to_unit = user_org_unit(to_engineer)
    return _offer(
        request.pk,
        to_unit=to_unit,
        to_engineer=to_engineer,
        rule=_("人工派单") + (f"：{reason}" if reason else ""),
        actor=actor,
        channel=channel,
        manual=True,
        comment=reason,
    )


@transaction.atomic
def request_cancel(*, request_id: int, actor, reason: str) -> ServiceRequest:
    if not may_dispatch(actor):
        raise PermissionDenied(_("只有派单员可以取消报修"))
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": [_("请填写取消原因")]}, code="required")
    request = ServiceRequest.objects.select_for_update().get(pk=request_id)
    if request.state in (R.NEW, R.DISPATCHED, R.ACCEPTED, R.ESCALATED):
        _withdraw_open(request, actor=actor, channel=ActionChannel.WEB, reason=reason)
    return run_transition(
        ServiceRequest, request_id, transition="cancel", actor=actor, comment=reason,
        check_permission=False,
    )  # fmt: skip


# --- answering an offer ------------------------------------------------------------------------


def _locked_offer(offer_id: int, actor) -> Dispatch:
    offer = Dispatch.objects.select_for_update().select_related("request").get(pk=offer_id)
    if not may_answer_offer(actor, offer):
        raise PermissionDenied(_("这张派单不是派给您或您的单位的"))
    return offer


@transaction.atomic
def offer_accept(*, offer_id: int, actor, engineer=None, channel: str = ActionChannel.WEB) -> Visit:
    """接单: the offer is accepted, the request assigned to the unit (and the engineer: the one
    the offer named, the one chosen, else the person accepting when they are an engineer), and
    its visit created, planned."""
    offer = _locked_offer(offer_id, actor)
    if engineer is None:
        engineer = offer.to_engineer
    if engineer is None and offer.to_unit_id is None:
        engineer = actor
    if engineer is None and held_roles(actor) & ENGINEER_ROLES:
        engineer = actor
    if engineer is not None and offer.to_unit_id and engineer.pk != actor.pk:
        home = user_org_unit(engineer)
        if home is None or home.pk != offer.to_unit_id:
            raise ValidationError({"engineer": [_("工程师须是本单位的人员")]}, code="engineer")
    offer = run_transition(
        Dispatch, offer.pk, transition="accept", actor=actor, channel=channel,
        check_permission=False,
    )  # fmt: skip
    close_open_deadlines_of(offer, actor=actor)

    def assign(instance: ServiceRequest) -> None:
        instance.assigned_unit_id = offer.to_unit_id
        instance.engineer = engineer

    request = run_transition(
        ServiceRequest, offer.request_id, transition="accept", actor=actor, channel=channel,
        check_permission=False, before=assign,
    )  # fmt: skip
    last = request.visits.exclude(state=VisitState.CANCELLED).order_by("-sequence").first()
    top = request.visits.aggregate(n=Max("sequence"))["n"] or 0
    visit = Visit.objects.create(
        request=request,
        sequence=top + 1,
        follows=last,
        engineer=engineer,
        service_unit_id=offer.to_unit_id,
    )
    notify(
        recipients=_dispatchers(request),
        subject=deferred(
            gettext_noop("报修单 %(no)s 已接单：%(who)s"),
            no=request.number,
            who=str(offer.to_engineer or offer.to_unit),
        ),
        url=request.get_absolute_url(),
        category="field",
        source=request,
    )
    return visit


@transaction.atomic
def offer_decline(
    *, offer_id: int, actor, reason: str, channel: str = ActionChannel.WEB
) -> Dispatch | None:
    """拒单 with a reason: the request goes to the next candidate by the rules (never back to one
    that declined or let an offer lapse); with none left, back to new for the dispatcher.
    Returns the next offer (or None)."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": [_("请填写拒单原因")]}, code="required")
    offer = _locked_offer(offer_id, actor)
    offer = run_transition(
        Dispatch, offer.pk, transition="decline", actor=actor, channel=channel,
        check_permission=False, comment=reason, kwargs={"reason": reason[:200]},
    )  # fmt: skip
    close_open_deadlines_of(offer, actor=actor)
    request = ServiceRequest.objects.select_for_update().get(pk=offer.request_id)
    return _dispatch_by_rules(request, actor=actor, channel=channel)


def offer_expire(*, offer_id: int) -> Dispatch | None:
    """The offer's limit passed unanswered (the sweep's breach): expired, and the request
    offered to the next candidate, or back to new."""
    with transaction.atomic():
        offer = Dispatch.objects.select_for_update().get(pk=offer_id)
        if offer.state != D.OFFERED:
            return None
        run_transition(
            Dispatch, offer.pk, transition="expire", channel=SYSTEM,
            comment=deferred(gettext_noop("超过接单时限未答复")),
        )  # fmt: skip
        close_open_deadlines_of(offer)
        request = ServiceRequest.objects.select_for_update().get(pk=offer.request_id)
        if request.state != R.DISPATCHED:
            return None
        return _dispatch_by_rules(request, actor=None, channel=SYSTEM)


class OfferExpiryHandler:
    """Deadline kind field.dispatch_accept: the breach of an offer's limit expires it and
    re-dispatches (a warning before it does nothing but tell)."""

    def on_fired(self, actions) -> None:
        for action in actions:
            if action.breached_now:
                offer_expire(offer_id=action.owner_id)


OFFER_EXPIRY_HANDLER = OfferExpiryHandler()


# --- the appointment ---------------------------------------------------------------------------


@transaction.atomic
def visit_schedule(*, visit_id: int, actor, start: datetime, end: datetime, reason: str = ""):
    """预约: the window agreed with the customer. Moving an agreed window is a reschedule (改约),
    recorded with its reason; a new date earns a new day-before reminder."""
    visit = Visit.objects.select_for_update().select_related("request").get(pk=visit_id)
    if not may_schedule_visit(actor, visit):
        raise PermissionDenied(_("您不能为这次上门预约"))
    if visit.state != VisitState.PLANNED:
        raise ValidationError(_("只有待上门的服务可以预约或改约"), code="state")
    if start is None or end is None or end <= start:
        raise ValidationError({"window_end": [_("结束时间须晚于开始时间")]}, code="window")
    if end - start > timedelta(hours=12):
        raise ValidationError({"window_end": [_("预约时段不能超过 12 小时")]}, code="window")
    if start < timezone.now() - timedelta(minutes=5):
        raise ValidationError({"window_start": [_("预约时间不能早于现在")]}, code="past")
    reason = (reason or "").strip()
    if visit.window_start is not None:
        if (visit.window_start, visit.window_end) == (start, end):
            return visit
        if not reason:
            raise ValidationError({"reason": [_("改约请填写原因")]}, code="required")
        VisitReschedule.objects.create(
            visit=visit,
            old_start=visit.window_start,
            old_end=visit.window_end,
            new_start=start,
            new_end=end,
            reason=reason[:200],
            actor=actor,
        )
        if timezone.localtime(visit.window_start).date() != timezone.localtime(start).date():
            visit.reminder_sent_at = None
    visit.window_start, visit.window_end = start, end
    visit.save(update_fields=["window_start", "window_end", "reminder_sent_at"])
    return visit


def _visit_people(visit: Visit) -> list:
    if visit.engineer_id:
        return [visit.engineer]
    return _unit_people(visit.service_unit_id) if visit.service_unit_id else []


def send_visit_reminders(*, now: datetime | None = None, limit: int = 500) -> int:
    """The day-before reminder (预约提醒): from the policy's reminder hour, each planned visit
    with tomorrow's window is reminded once — its engineer (or unit) by notification, the
    customer by SMS with what to bring. Claimed with a conditional update, so overlapping runs
    remind once. Returns the visits reminded."""
    now = now or timezone.now()
    policy = FieldServicePolicy.current()
    local = timezone.localtime(now)
    if local.hour < policy.reminder_hour:
        return 0
    tomorrow = local.date() + timedelta(days=1)
    tz = timezone.get_current_timezone()
    start = datetime.combine(tomorrow, datetime.min.time(), tzinfo=tz)
    end = start + timedelta(days=1)
    ids = list(
        Visit.objects.filter(
            state=VisitState.PLANNED,
            reminder_sent_at__isnull=True,
            window_start__gte=start,
            window_start__lt=end,
        )
        .order_by("window_start", "id")
        .values_list("pk", flat=True)[:limit]
    )
    sent = 0
    for pk in ids:
        with transaction.atomic():
            if not Visit.objects.filter(pk=pk, reminder_sent_at__isnull=True).update(
                reminder_sent_at=now
            ):
                continue
            visit = Visit.objects.select_related("request", "engineer").get(pk=pk)
            request = visit.request
            when = (
                f"{timezone.localtime(visit.window_start):%m-%d %H:%M}"
                f"–{timezone.localtime(visit.window_end):%H:%M}"
            )
            people = _visit_people(visit)
            if people:
                notify(
                    recipients=people,
                    subject=deferred(
                        gettext_noop("明天上门：%(no)s %(when)s，%(addr)s"),
                        no=request.number,
                        when=when,
                        addr=f"{request.city}{request.district}{request.address}",
                    ),
                    body=deferred(
                        gettext_noop("请提醒客户准备保修卡、购买凭证；带好工牌和所需配件。")
                    ),
                    url=request.get_absolute_url(),
                    category="field",
                    source=visit,
                )
            if request.contact_phone:
                from django.utils import translation

                with translation.override("zh-hans"):
                    text = _(REMINDER_TEXT) % {"no": request.number, "when": when}
                queue_sms(phone=request.contact_phone, text=text, source=visit, category="field")
            sent += 1
    return sent
