"""Demo shifts (排班): groups A (call_agent, agent2), B (agent3, agent4) and C (agent5, agent6)
led by cc_lead, one day on and one off from 9:00 to 21:00 (A and C on the same days, B on the
others), the roster of this month and the next, a leave and two swaps waiting, a hand-over."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from service_ops.workcalendar.clock import add_months

from ..models.shifts import RosterEntry, ShiftGroup, ShiftMember
from ..services import shifts as svc

GROUPS = (
    ("A", ("call_agent", "agent2"), 0),
    ("B", ("agent3", "agent4"), 1),
    ("C", ("agent5", "agent6"), 0),
)


def _next_shift(user, after):
    return (
        RosterEntry.objects.working()
        .filter(agent=user, starts_at__gt=after, leave__isnull=True)
        .order_by("starts_at")
        .first()
    )


def load(*, units, users, stdout=None) -> None:
    if ShiftGroup.objects.exists() or "cc_lead" not in users:
        return
    now = timezone.now()
    month = timezone.localdate().replace(day=1)
    lead = users["cc_lead"]
    for code, members, offset in GROUPS:
        group = ShiftGroup.objects.create(
            code=code, name=f"{code} 组", lead=lead, anchor=month + timedelta(days=offset)
        )
        for username in members:
            ShiftMember.objects.create(group=group, user=users[username])
    for m in (month, add_months(month, 1)):
        svc.roster_generate(month=m)

    soon = now + timedelta(days=2)
    # agent2 asks for a day off (an ordinary leave, two days ahead): waits for cc_lead
    shift = _next_shift(users["agent2"], soon)
    svc.leave_submit(
        actor=users["agent2"],
        kind="ordinary",
        first_day=shift.day,
        last_day=shift.day,
        reason="孩子学校开家长会",
        now=now,
    )
    # agent3 (B) and agent5 (C) agreed a swap: waits for cc_lead's approval
    mine = _next_shift(users["agent3"], soon)
    theirs = _next_shift(users["agent5"], mine.starts_at)
    swap = svc.swap_propose(
        actor=users["agent3"], requester_entry=mine, partner_entry=theirs, reason="家里有事"
    )
    svc.swap_agree(swap_id=swap.pk, actor=users["agent5"])
    # agent4 (B) asks call_agent (A) to swap: waits for call_agent's answer
    mine = _next_shift(users["agent4"], soon)
    theirs = _next_shift(users["call_agent"], mine.starts_at)
    svc.swap_propose(
        actor=users["agent4"], requester_entry=mine, partner_entry=theirs, reason="去医院复查"
    )
    svc.handover_write(
        actor=users["call_agent"],
        equipment="3 号座席耳麦有杂音，已报修；其余设备正常",
        problems="长沙湘江机电的刘经理来电询问 JR-0001 维修进度，已答应明天上午 10 点前回电",
        staffing="agent2 后天请假，待组长批准",
        now=now,
    )
    if stdout is not None:
        stdout.write("Shifts: groups A/B/C, two months of roster, a leave and swaps waiting.")
