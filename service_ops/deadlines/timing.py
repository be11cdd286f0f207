"""Pure time arithmetic of a timer, from its policy snapshot. No database writes."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from service_ops.workcalendar import clock

from .models import ASSIGNEE, LimitUnit

WARNING, BREACH = 1, 2
# Hour credits are kept to the microhour: a pause of any whole number of seconds moves the due time
# by exactly that many seconds once rounded back (see seconds_of).
CREDIT_PLACES = Decimal("0.000001")


def seconds_of(hours: Decimal) -> int:
    """Hours as whole seconds (limits, extensions and credits are whole seconds)."""
    return int((Decimal(hours) * 3600).to_integral_value(rounding=ROUND_HALF_UP))


def _add(unit: str, start: datetime, amount: Decimal) -> datetime:
    if unit == LimitUnit.WORKING_DAYS:
        return clock.add_working_days(start, int(amount))
    if unit == LimitUnit.WORKING_HOURS:
        return clock.add_working_seconds(start, seconds_of(amount))
    return start + timedelta(seconds=seconds_of(amount))


def due_at(snapshot: dict, started_at: datetime, extension: Decimal, credit: Decimal) -> datetime:
    total = Decimal(snapshot["limit"]) + Decimal(extension) + Decimal(credit)
    return _add(snapshot["unit"], started_at, total)


def warn_at(snapshot: dict, started_at: datetime, due: datetime, total: Decimal) -> datetime:
    """When the time left reaches the policy's margin (never before the start)."""
    margin = Decimal(snapshot["warn_before"])
    unit = snapshot["unit"]
    if unit == LimitUnit.WORKING_DAYS:
        days = int(margin)
        if days <= 0:
            return due
        moment = clock.cutoff(clock.nth_working_day_before(clock.local_date(due), days))
    elif unit == LimitUnit.WORKING_HOURS:
        moment = clock.add_working_seconds(started_at, seconds_of(max(total - margin, Decimal(0))))
    else:
        moment = due - timedelta(seconds=seconds_of(margin))
    return min(max(moment, started_at), due)


def credit_for_pause(unit: str, paused_at: datetime, resumed_at: datetime) -> Decimal:
    """What a pause gives back: the working days whose cut-off fell inside it, or hours."""
    if unit == LimitUnit.WORKING_DAYS:
        return Decimal(clock.working_days_between(paused_at, resumed_at))
    if unit == LimitUnit.WORKING_HOURS:
        seconds = clock.working_seconds_between(paused_at, resumed_at)
    else:
        seconds = max(0.0, (resumed_at - paused_at).total_seconds())
    return (Decimal(round(seconds)) / Decimal(3600)).quantize(CREDIT_PLACES)


def max_level(snapshot: dict) -> int:
    """1 warning, 2 breach (told to chain[0]), then one level per further chain entry."""
    return 1 + max(1, len(snapshot.get("escalation_chain") or []))


def level_time(snapshot: dict, level: int, warn: datetime, due: datetime) -> datetime | None:
    if level > max_level(snapshot):
        return None
    if level == WARNING:
        return warn
    if level == BREACH:
        return due
    interval = int(snapshot.get("escalation_interval") or 1)
    return clock.add_working_days(due, (level - BREACH) * interval)


def next_action_at(snapshot: dict, level: int, warn: datetime, due: datetime):
    return level_time(snapshot, level + 1, warn, due)


def level_reached(snapshot: dict, level: int, warn: datetime, due: datetime, now: datetime):
    """The highest level whose moment has come, above `level` (None if none). A sweep that was
    down for a while fires only the highest: people get one message, not a burst."""
    reached = None
    candidate = level + 1
    while True:
        moment = level_time(snapshot, candidate, warn, due)
        if moment is None or moment > now:
            return reached
        reached = candidate
        candidate += 1


def audience(snapshot: dict, level: int, *, has_assignee: bool = True) -> str:
    """Who a level is addressed to: the assignee for the warning, then the chain in order. A
    timer nobody has taken yet (a unit not picked up) speaks to the chain's first role instead,
    so a warning or breach is never addressed to no one."""
    chain = snapshot.get("escalation_chain") or [ASSIGNEE]
    who = ASSIGNEE if level <= WARNING else chain[min(level - BREACH, len(chain) - 1)]
    if who == ASSIGNEE and not has_assignee:
        return next((role for role in chain if role != ASSIGNEE), ASSIGNEE)
    return who
