"""Every write of the shifts (排班): the roster made from the groups' patterns and edited by the
leads, leave requests (请假), swaps (换班) and the hand-over log (交接班记录).

Rules (seed 004 §六–八, numbers in ShiftRules):
- leave: an ordinary leave at least 24 hours before the first shift it covers starts, an
  emergency one at least 1 hour before; a leave that covers a public holiday (the company
  calendar: a day off on a weekday, or a weekend day that is part of a longer holiday) only with
  approval and at least 48 hours ahead; shifts that came from a swap take no leave (换班和还班均
  不得请假). Every leave is approved by the agent's group lead (or a supervisor / the head of
  CS); the approved leave marks the roster rows it covers, which takes the agent off shift.
- swaps: the requester offers one of their shifts and asks for one of the partner's in return;
  the partner agrees, a lead approves, and only then do the two rows change hands. At most
  5 swaps a month a person: a swap counts for both people in the calendar month of the
  requester's shift while proposed, agreed or approved (declined, refused and cancelled ones free
  the place). The count is taken with both people's user rows locked, so two proposals racing
  for the last place cannot both get it.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from network.choices import Role
from network.models import RoleAssignment
from service_ops.i18n import deferred
from service_ops.notifications.services import notify
from service_ops.transitions.models import ActionChannel
from service_ops.transitions.services import run_transition
from service_ops.workcalendar import clock

from ..models.shifts import (
    ACTIVE_SWAP_STATES,
    HandOver,
    LeaveKind,
    LeaveRequest,
    LeaveState,
    RosterEntry,
    RosterSource,
    ShiftGroup,
    ShiftMember,
    ShiftRules,
    ShiftSwap,
    SwapState,
    shift_span,
)
from ..selectors.shifts import is_call_centre, may_edit_roster, month_days

WEB = ActionChannel.WEB


def _name(user) -> str:
    return user.get_full_name() or user.username


# --- holidays -------------------------------------------------------------------------------


def is_public_holiday(day: date) -> bool:
    """A public holiday on the company calendar: a day off that falls on a weekday, or a weekend
    day inside a longer run of days off (the Saturday of a Dragon Boat long weekend, the weekend
    inside National Day) — an ordinary weekend is no holiday for the call centre, which works
    every day."""
    with clock.pinned():
        if clock.is_working_day(day):
            return False
        if day.weekday() < 5:
            return True
        first = last = day
        while not clock.is_working_day(first - timedelta(days=1)) and (day - first).days < 14:
            first -= timedelta(days=1)
        while not clock.is_working_day(last + timedelta(days=1)) and (last - day).days < 14:
            last += timedelta(days=1)
        return (last - first).days + 1 >= 3


# --- the roster ----------------------------------------------------------------------------------


@transaction.atomic
def roster_generate(*, month: date, actor=None, groups=None) -> int:
    """Make the month's roster from the groups' patterns: one working row per member and day on.
    Idempotent: an agent-day that has a row already (edited, taken off, swapped, on leave) is
    left as it is, so running it again only fills in what is missing (a new member). Returns the
    rows made."""
    if actor is not None and not may_edit_roster(actor):
        raise PermissionDenied(_("只有组长、主管或客服部部长可以排班"))
    month = month.replace(day=1)
    days = month_days(month)
    qs = ShiftGroup.objects.filter(is_active=True)
    if groups is not None:
        qs = qs.filter(pk__in=[g.pk for g in groups])
    members = list(ShiftMember.objects.filter(group__in=qs).select_related("group"))
    taken = set(
        RosterEntry.objects.filter(
            day__gte=days[0], day__lte=days[-1], agent_id__in=[m.user_id for m in members]
        ).values_list("agent_id", "day")
    )
    rows = []
    now = timezone.now()
    for member in members:
        group = member.group
        for day in days:
            if (member.user_id, day) in taken or not group.works_on(day):
                continue
            start, end = group.shift_times(day)
            rows.append(
                RosterEntry(
                    day=day,
                    agent_id=member.user_id,
                    group=group,
                    starts_at=start,
                    ends_at=end,
                    source=RosterSource.PATTERN,
                    updated_at=now,
                )
            )
    RosterEntry.objects.bulk_create(rows, ignore_conflicts=True, batch_size=2000)
    return len(rows)


def _today(now=None) -> date:
    return clock.local_date(now or timezone.now())


@transaction.atomic
def roster_set_day(
    *,
    actor,
    day: date,
    agent,
    working: bool,
    starts: time | None = None,
    ends: time | None = None,
    now: datetime | None = None,
) -> RosterEntry | None:
    """The lead puts an agent on (with the shift's times) or takes them off one day. Past days
    are history and stay as they are."""
    if not may_edit_roster(actor):
        raise PermissionDenied(_("只有组长、主管或客服部部长可以排班"))
    now = now or timezone.now()
    if day < _today(now):
        raise ValidationError(_("不能修改今天以前的排班"))
    entry = RosterEntry.objects.select_for_update().filter(agent=agent, day=day).first()
    if not working:
        if entry is None or not entry.is_working:
            return entry
        entry.is_working = False
        entry.source = RosterSource.MANUAL
        entry.updated_at = now
        entry.save(update_fields=["is_working", "source", "updated_at"])
        return entry
    group = ShiftGroup.objects.filter(members__user=agent).first()
    default_starts = group.starts if group else time(9, 0)
    default_ends = group.ends if group else time(21, 0)
    start, end = shift_span(day, starts or default_starts, ends or default_ends)
    if entry is None:
        entry = RosterEntry(day=day, agent=agent, group=group)
    entry.starts_at, entry.ends_at = start, end
    entry.is_working = True
    entry.source = RosterSource.MANUAL
    entry.updated_at = now
    # an approved leave of the agent over this day takes the new shift too
    entry.leave = (
        LeaveRequest.objects.filter(
            agent=agent, state=LeaveState.APPROVED, first_day__lte=day, last_day__gte=day
        )
        .order_by("-id")
        .first()
    )
    entry.save()
    return entry


# --- leave ------------------------------------------------------------------------------------


def _approvers(group_ids) -> list:
    """Who is asked to decide: the leads of the groups; a lead-less group's: every 坐席组长; with
    no lead anywhere, the supervisors."""
    User = get_user_model()
    leads = set(
        ShiftGroup.objects.filter(pk__in=[g for g in group_ids if g], lead__isnull=False)
        .filter(lead__is_active=True)
        .values_list("lead_id", flat=True)
    )
    if not leads or ShiftGroup.objects.filter(pk__in=group_ids, lead__isnull=True).exists():
        leads |= set(
            RoleAssignment.objects.filter(role=Role.CALL_CENTRE_LEAD).values_list(
                "user_id", flat=True
            )
        )
    if not leads:
        leads = set(
            RoleAssignment.objects.filter(role=Role.SUPERVISOR).values_list("user_id", flat=True)
        )
    return list(User.objects.filter(pk__in=leads, is_active=True).order_by("pk"))


def _group_id_of(user) -> int | None:
    return ShiftMember.objects.filter(user=user).values_list("group_id", flat=True).first()


@transaction.atomic
def leave_submit(
    *,
    actor,
    kind: str,
    first_day: date,
    last_day: date,
    reason: str,
    now: datetime | None = None,
) -> LeaveRequest:
    now = now or timezone.now()
    if kind not in LeaveKind.values:
        raise ValidationError({"kind": _("请选择请假类型")})
    if last_day < first_day:
        raise ValidationError({"last_day": _("结束日期不能早于开始日期")})
    if (last_day - first_day).days > 31:
        raise ValidationError({"last_day": _("一次请假最长 31 天，更长请分次申请")})
    if not reason.strip():
        raise ValidationError({"reason": _("请填写请假事由")})
    # the agent's row lock: two submissions for the same days do not both pass the overlap check
    get_user_model().objects.select_for_update().filter(pk=actor.pk).first()
    entries = list(
        RosterEntry.objects.working()
        .filter(agent=actor, day__gte=first_day, day__lte=last_day, leave__isnull=True)
        .order_by("starts_at")
    )
    if not entries:
        raise ValidationError({"first_day": _("所选日期内您没有排班，无需请假")})
    if any(e.source == RosterSource.SWAP for e in entries):
        raise ValidationError({"first_day": _("换班和还班的班次不得请假")})
    if LeaveRequest.objects.filter(
        agent=actor,
        state=LeaveState.SUBMITTED,
        first_day__lte=last_day,
        last_day__gte=first_day,
    ).exists():
        raise ValidationError({"first_day": _("这些日期已有待批准的请假申请")})
    rules = ShiftRules.current()
    first_start = entries[0].starts_at
    if first_start <= now:
        raise ValidationError(
            {"first_day": _("该班次已经开始，不能再请假；如有急事请直接联系组长")}
        )
    on_holiday = any(is_public_holiday(e.day) for e in entries)
    left = first_start - now
    if on_holiday:
        if left < timedelta(hours=rules.holiday_notice_hours):
            raise ValidationError(
                {
                    "first_day": _(
                        "节假日原则上不允许请假；特殊情况需至少提前 %(h)d 小时提出，现已来不及"
                    )
                    % {"h": rules.holiday_notice_hours}
                }
            )
    elif kind == LeaveKind.ORDINARY:
        if left < timedelta(hours=rules.ordinary_notice_hours):
            raise ValidationError(
                {
                    "kind": _(
                        "一般事假需至少提前 %(h)d 小时（一天）提出；临时有急事请选择“突发事假”"
                    )
                    % {"h": rules.ordinary_notice_hours}
                }
            )
    elif left < timedelta(hours=rules.emergency_notice_hours):
        raise ValidationError(
            {
                "kind": _("突发事假需在班前 %(h)d 小时之前提出，现已来不及，请直接联系组长")
                % {"h": rules.emergency_notice_hours}
            }
        )
    leave = LeaveRequest.objects.create(
        agent=actor,
        group_id=_group_id_of(actor),
        kind=kind,
        first_day=first_day,
        last_day=last_day,
        shift_starts_at=first_start,
        on_holiday=on_holiday,
        reason=reason.strip(),
        submitted_at=now,
    )
    notify(
        recipients=_approvers([leave.group_id]),
        subject=deferred(
            gettext_noop("请假待批准：%(name)s %(first)s 至 %(last)s")
            if not on_holiday
            else gettext_noop("节假日请假待批准：%(name)s %(first)s 至 %(last)s"),
            name=_name(actor),
            first=str(first_day),
            last=str(last_day),
        ),
        url=leave.get_absolute_url(),
        category="shifts",
        source=leave,
        action=True,
    )
    return leave


def _mark_leave(leave: LeaveRequest) -> int:
    return (
        RosterEntry.objects.working()
        .filter(
            agent_id=leave.agent_id,
            day__gte=leave.first_day,
            day__lte=leave.last_day,
            leave__isnull=True,
        )
        .exclude(source=RosterSource.SWAP)
        .update(leave=leave, updated_at=timezone.now())
    )


def _leave_decided(leave: LeaveRequest, text: str) -> None:
    notify(
        recipients=[leave.agent],
        subject=deferred(text, no=leave.number, first=str(leave.first_day)),
        url=leave.get_absolute_url(),
        category="shifts",
        source=leave,
    )


@transaction.atomic
def leave_approve(
    *, leave_id: int, actor, note: str = "", now=None, channel: str = WEB
) -> LeaveRequest:
    now = now or timezone.now()
    leave = run_transition(
        LeaveRequest,
        leave_id,
        transition="approve",
        actor=actor,
        channel=channel,
        comment=note,
        kwargs={"actor": actor, "note": note, "at": now},
    )
    _mark_leave(leave)
    _leave_decided(leave, gettext_noop("您的请假已批准：%(no)s（%(first)s 起）"))
    return leave


@transaction.atomic
def leave_refuse(
    *, leave_id: int, actor, note: str = "", now=None, channel: str = WEB
) -> LeaveRequest:
    if not note.strip():
        raise ValidationError({"note": _("请填写不批准的原因")})
    leave = run_transition(
        LeaveRequest,
        leave_id,
        transition="refuse",
        actor=actor,
        channel=channel,
        comment=note,
        kwargs={"actor": actor, "note": note, "at": now or timezone.now()},
    )
    _leave_decided(leave, gettext_noop("您的请假未获批准：%(no)s（%(first)s 起）"))
    return leave


@transaction.atomic
def leave_cancel(*, leave_id: int, actor, now=None, channel: str = WEB) -> LeaveRequest:
    now = now or timezone.now()

    def not_started(leave):
        if leave.state == LeaveState.APPROVED and leave.shift_starts_at <= now:
            raise ValidationError(_("请假的班次已经开始，不能撤销"))

    leave = run_transition(
        LeaveRequest,
        leave_id,
        transition="cancel",
        actor=actor,
        channel=channel,
        before=not_started,
    )
    RosterEntry.objects.filter(leave=leave).update(leave=None, updated_at=now)
    return leave


# --- swaps ------------------------------------------------------------------------------------


def _swap_errors(requester, partner, mine: RosterEntry, theirs: RosterEntry, now) -> None:
    """What makes a swap impossible now (raised as field errors)."""
    if partner.pk == requester.pk:
        raise ValidationError({"partner_entry": _("不能和自己换班")})
    if mine.agent_id != requester.pk or not mine.on_duty:
        raise ValidationError({"requester_entry": _("这个班次已不是您的班")})
    if theirs.agent_id != partner.pk or not theirs.on_duty:
        raise ValidationError({"partner_entry": _("这个班次已不是对方的班")})
    if mine.starts_at <= now:
        raise ValidationError({"requester_entry": _("这个班次已经开始，不能再换班")})
    if theirs.starts_at <= now:
        raise ValidationError({"partner_entry": _("对方的班次已经开始，不能再换班")})
    if mine.day == theirs.day:
        raise ValidationError({"partner_entry": _("请选择对方另一天的班次作为还班")})
    busy = RosterEntry.objects.working().filter(
        Q(agent=partner, day=mine.day) | Q(agent=requester, day=theirs.day)
    )
    for entry in busy:
        if entry.agent_id == partner.pk:
            raise ValidationError(
                {"requester_entry": _("对方 %(day)s 已有班次") % {"day": mine.day}}
            )
        raise ValidationError({"partner_entry": _("您 %(day)s 已有班次") % {"day": theirs.day}})


def swaps_in_month(user_ids, month: date) -> dict[int, int]:
    """{user id: swaps taking a place of the monthly limit in `month`} — one query."""
    counts = dict.fromkeys(user_ids, 0)
    rows = ShiftSwap.objects.filter(
        Q(requester_id__in=user_ids) | Q(partner_id__in=user_ids),
        month=month,
        state__in=ACTIVE_SWAP_STATES,
    ).values_list("requester_id", "partner_id")
    for requester_id, partner_id in rows:
        for pk in (requester_id, partner_id):
            if pk in counts:
                counts[pk] += 1
    return counts


@transaction.atomic
def swap_propose(
    *,
    actor,
    requester_entry: RosterEntry,
    partner_entry: RosterEntry,
    reason: str = "",
    now: datetime | None = None,
) -> ShiftSwap:
    now = now or timezone.now()
    User = get_user_model()
    partner_id = partner_entry.agent_id
    # Both people's rows, in id order (no deadlock between two proposals naming the same pair):
    # the monthly count below is then taken by one proposal at a time per person.
    people = {
        u.pk: u
        for u in User.objects.select_for_update()
        .filter(pk__in={actor.pk, partner_id})
        .order_by("pk")
    }
    partner = people.get(partner_id)
    if partner is None or not partner.is_active:
        raise ValidationError({"partner_entry": _("对方账号已停用")})
    mine = RosterEntry.objects.select_for_update().get(pk=requester_entry.pk)
    theirs = RosterEntry.objects.select_for_update().get(pk=partner_entry.pk)
    _swap_errors(actor, partner, mine, theirs, now)
    if ShiftSwap.objects.filter(
        Q(requester_entry__in=(mine, theirs)) | Q(partner_entry__in=(mine, theirs)),
        state__in=(SwapState.PROPOSED, SwapState.AGREED),
    ).exists():
        raise ValidationError(_("其中一个班次已有待处理的换班申请"))
    month = mine.day.replace(day=1)
    limit = ShiftRules.current().max_swaps_per_month
    counts = swaps_in_month([actor.pk, partner.pk], month)
    if counts[actor.pk] >= limit:
        raise ValidationError(
            {
                "requester_entry": _("您 %(m)s 的换班已达 %(n)d 次（每人每月不得超过 %(n)d 次）")
                % {"m": month.strftime("%Y-%m"), "n": limit}
            }
        )
    if counts[partner.pk] >= limit:
        raise ValidationError(
            {
                "partner_entry": _(
                    "%(name)s %(m)s 的换班已达 %(n)d 次（每人每月不得超过 %(n)d 次）"
                )
                % {"name": _name(partner), "m": month.strftime("%Y-%m"), "n": limit}
            }
        )
    swap = ShiftSwap.objects.create(
        requester=actor,
        partner=partner,
        requester_group_id=_group_id_of(actor),
        partner_group_id=_group_id_of(partner),
        requester_entry=mine,
        partner_entry=theirs,
        requester_day=mine.day,
        partner_day=theirs.day,
        month=month,
        reason=reason.strip(),
        created_at=now,
    )
    notify(
        recipients=[partner],
        subject=deferred(
            gettext_noop("%(name)s 想和您换班：您上 %(give)s 的班，对方上您 %(take)s 的班"),
            name=_name(actor),
            give=str(mine.day),
            take=str(theirs.day),
        ),
        url=swap.get_absolute_url(),
        category="shifts",
        source=swap,
        action=True,
    )
    return swap


def _swap_answer(swap_id, actor, transition, now, channel) -> ShiftSwap:
    def still_possible(swap):
        if transition == "agree":
            _swap_errors(
                swap.requester, swap.partner, swap.requester_entry, swap.partner_entry, now
            )

    return run_transition(
        ShiftSwap,
        swap_id,
        transition=transition,
        actor=actor,
        channel=channel,
        before=still_possible,
        kwargs={"at": now},
    )


@transaction.atomic
def swap_agree(*, swap_id: int, actor, now=None, channel: str = WEB) -> ShiftSwap:
    now = now or timezone.now()
    swap = _swap_answer(swap_id, actor, "agree", now, channel)
    notify(
        recipients=_approvers([swap.requester_group_id, swap.partner_group_id]),
        subject=deferred(
            gettext_noop("换班待批准：%(a)s %(d1)s ⇄ %(b)s %(d2)s"),
            a=_name(swap.requester),
            d1=str(swap.requester_day),
            b=_name(swap.partner),
            d2=str(swap.partner_day),
        ),
        url=swap.get_absolute_url(),
        category="shifts",
        source=swap,
        action=True,
    )
    return swap


@transaction.atomic
def swap_decline(*, swap_id: int, actor, now=None, channel: str = WEB) -> ShiftSwap:
    swap = _swap_answer(swap_id, actor, "decline", now or timezone.now(), channel)
    notify(
        recipients=[swap.requester],
        subject=deferred(
            gettext_noop("%(name)s 不同意换班：%(no)s"), name=_name(actor), no=swap.number
        ),
        url=swap.get_absolute_url(),
        category="shifts",
        source=swap,
    )
    return swap


@transaction.atomic
def swap_cancel(*, swap_id: int, actor, channel: str = WEB) -> ShiftSwap:
    return run_transition(ShiftSwap, swap_id, transition="cancel", actor=actor, channel=channel)


@transaction.atomic
def swap_approve(*, swap_id: int, actor, note: str = "", now=None, channel: str = WEB) -> ShiftSwap:
    """The lead approves: the requester's row goes to the partner and the partner's row to the
    requester (the rows are locked; what changed since the agreement is refused)."""
    now = now or timezone.now()

    def still_possible(swap):
        entries = {
            e.pk: e
            for e in RosterEntry.objects.select_for_update()
            .filter(pk__in=(swap.requester_entry_id, swap.partner_entry_id))
            .order_by("pk")
        }
        swap._entries = entries
        _swap_errors(
            swap.requester,
            swap.partner,
            entries[swap.requester_entry_id],
            entries[swap.partner_entry_id],
            now,
        )

    swap = run_transition(
        ShiftSwap,
        swap_id,
        transition="approve",
        actor=actor,
        channel=channel,
        comment=note,
        before=still_possible,
        kwargs={"actor": actor, "note": note, "at": now},
    )
    mine = swap._entries[swap.requester_entry_id]
    theirs = swap._entries[swap.partner_entry_id]
    # a day either had been taken off keeps a non-working row: it gives way to the shift
    RosterEntry.objects.filter(
        Q(agent_id=swap.partner_id, day=mine.day) | Q(agent_id=swap.requester_id, day=theirs.day),
        is_working=False,
    ).delete()
    try:
        with transaction.atomic():
            for entry, agent_id in ((mine, swap.partner_id), (theirs, swap.requester_id)):
                entry.agent_id = agent_id
                entry.source = RosterSource.SWAP
                entry.swap = swap
                entry.updated_at = now
                entry.save(update_fields=["agent", "source", "swap", "updated_at"])
    except IntegrityError as exc:  # pragma: no cover - the checks above make it unreachable
        raise ValidationError(_("换班后会出现同一天两个班次，请先调整排班")) from exc
    notify(
        recipients=[swap.requester, swap.partner],
        subject=deferred(
            gettext_noop("换班已批准：%(a)s 上 %(d2)s，%(b)s 上 %(d1)s"),
            a=_name(swap.requester),
            d1=str(swap.requester_day),
            b=_name(swap.partner),
            d2=str(swap.partner_day),
        ),
        url=swap.get_absolute_url(),
        category="shifts",
        source=swap,
    )
    return swap


@transaction.atomic
def swap_refuse(*, swap_id: int, actor, note: str = "", now=None, channel: str = WEB) -> ShiftSwap:
    if not note.strip():
        raise ValidationError({"note": _("请填写不批准的原因")})
    swap = run_transition(
        ShiftSwap,
        swap_id,
        transition="refuse",
        actor=actor,
        channel=channel,
        comment=note,
        kwargs={"actor": actor, "note": note, "at": now or timezone.now()},
    )
    notify(
        recipients=[swap.requester, swap.partner],
        subject=deferred(gettext_noop("换班未获组长批准：%(no)s"), no=swap.number),
        url=swap.get_absolute_url(),
        category="shifts",
        source=swap,
    )
    return swap


# --- hand-over ---------------------------------------------------------------------------------


@transaction.atomic
def handover_write(
    *, actor, equipment: str, problems: str = "", staffing: str = "", now=None
) -> HandOver:
    if not is_call_centre(actor):
        raise PermissionDenied(_("只有呼叫中心人员可以填写交接班记录"))
    if not equipment.strip():
        raise ValidationError({"equipment": _("请填写设备情况（正常也请注明“正常”）")})
    now = now or timezone.now()
    return HandOver.objects.create(
        shift_day=_today(now),
        group_id=_group_id_of(actor),
        written_by=actor,
        written_at=now,
        equipment=equipment.strip(),
        problems=problems.strip(),
        staffing=staffing.strip(),
    )


@transaction.atomic
def handover_acknowledge(*, handover_id: int, actor, now=None, channel: str = WEB) -> HandOver:
    return run_transition(
        HandOver,
        handover_id,
        transition="acknowledge",
        actor=actor,
        channel=channel,
        kwargs={"actor": actor, "at": now or timezone.now()},
    )
