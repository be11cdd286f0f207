"""Reads of car-factory units (回购机, 江淮备用机): the scoped lists, a batch's totals, the
month's reconciliation figures, and the 我的工作 provider (units to inspect or decide, backups
overdue). Each runs a constant number of queries."""

from __future__ import annotations

import calendar
from datetime import date, datetime
from decimal import Decimal

from django.db.models import Case, Count, Min, Q, Sum, Value, When
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from service_ops.deadlines.models import OPEN_STATUSES, Deadline
from service_ops.deadlines.timing import WARNING
from service_ops.work import WorkItem

from ..choices import BackupSwapState, BackupUnitState, BuybackBatchState, BuybackUnitState
from ..models import BackupSwap, BackupUnit, BuybackBatch, BuybackUnit, OemCustomer
from ..permissions import (
    may_decide_buyback,
    may_handle_oem_backups,
    may_inspect_buyback,
    may_see_oem,
)


def oems(user):
    return OemCustomer.objects.visible_to(user).filter(is_active=True).order_by("code")


def batch_list(user, params=None):
    """Buy-back batches, newest first, filtered by OEM, state, received month or a serial."""
    params = params or {}
    rows = BuybackBatch.objects.visible_to(user).select_related("oem")
    oem = params.get("oem", "")
    if oem.isdigit():
        rows = rows.filter(oem_id=int(oem))
    state = params.get("state", "")
    if state in BuybackBatchState.values:
        rows = rows.filter(state=state)
    serial = (params.get("q") or "").strip().upper()
    if serial:
        rows = rows.filter(
            Q(number=serial)
            | Q(pk__in=BuybackUnit.objects.filter(serial_number=serial).values("batch_id"))
        )
    return rows


def with_progress(rows):
    """A page's batches with their counts per state and their cost (on the 25 rows only)."""
    return rows.annotate(
        done=Count("units", filter=Q(units__state=BuybackUnitState.DONE)),
        to_inspect=Count("units", filter=Q(units__state=BuybackUnitState.RECEIVED)),
        cost=Sum("units__cost_parts") + Sum("units__cost_labour") + Sum("units__cost_freight"),
    )


def batch_totals(batch: BuybackBatch) -> dict:
    totals = batch.units.aggregate(
        parts=Sum("cost_parts"),
        labour=Sum("cost_labour"),
        freight=Sum("cost_freight"),
        **{state: Count("pk", filter=Q(state=state)) for state in BuybackUnitState.values},
        **{
            f"decision_{d}": Count("pk", filter=Q(decision=d))
            for d in ("refurbish", "repair", "scrap")
        },
    )
    for key in ("parts", "labour", "freight"):
        totals[key] = totals[key] or Decimal("0.00")
    totals["total"] = totals["parts"] + totals["labour"] + totals["freight"]
    return totals


def backup_list(user, params=None):
    params = params or {}
    rows = BackupUnit.objects.visible_to(user).select_related("oem")
    oem = params.get("oem", "")
    if oem.isdigit():
        rows = rows.filter(oem_id=int(oem))
    state = params.get("state", "")
    if state in BackupUnitState.values:
        rows = rows.filter(state=state)
    serial = (params.get("q") or "").strip().upper()
    if serial:
        rows = rows.filter(serial_number=serial)
    return rows


def swap_list(user, params=None, *, today: date | None = None):
    """Swaps, newest first; `open=1` only those not back yet, `overdue=1` those past due."""
    params = params or {}
    today = today or timezone.localdate()
    rows = BackupSwap.objects.visible_to(user).select_related("store", "backup", "oem")
    oem = params.get("oem", "")
    if oem.isdigit():
        rows = rows.filter(oem_id=int(oem))
    if params.get("overdue") in ("1", "true"):
        rows = rows.filter(state=BackupSwapState.LENT, due_back__lt=today)
    elif params.get("open") in ("1", "true"):
        rows = rows.filter(state=BackupSwapState.LENT)
    serial = (params.get("q") or "").strip().upper()
    if serial:
        rows = rows.filter(
            Q(number=serial) | Q(failed_serial=serial) | Q(backup__serial_number=serial)
        )
    return rows


def month_bounds(month: date) -> tuple[date, date]:
    first = month.replace(day=1)
    return first, first.replace(day=calendar.monthrange(first.year, first.month)[1])


RECONCILIATION_PAGE_ROWS = 100  # the page's table; the Excel file carries every swap


def reconciliation_figures(oem: OemCustomer, month: date, *, limit: int | None = None) -> dict:
    """The month with the OEM: swaps lent and returned in it, outstanding and overdue at its
    end (or today, for the running month), the pool by state, and the swaps that touched the
    month (lent in it, returned in it, or out over it). Plain JSON values, kept on the row.

    The totals are counted by the database; `rows` holds every swap (lent first first), or with
    `limit` the first `limit` of them with the overdue ones ahead — a large OEM's month is
    thousands of swaps, which the page does not draw and the Excel file does."""
    first, last = month_bounds(month)
    today = timezone.localdate()
    as_of = min(last, today)
    touched = BackupSwap.objects.filter(oem=oem, lent_on__lte=last).filter(
        Q(returned_on__isnull=True) | Q(returned_on__gte=first)
    )
    outstanding = Q(returned_on__isnull=True) | Q(returned_on__gt=as_of)
    overdue = outstanding & Q(due_back__lt=as_of)
    totals = touched.aggregate(
        swaps=Count("pk"),
        lent=Count("pk", filter=Q(lent_on__gte=first)),
        returned=Count("pk", filter=Q(returned_on__gte=first, returned_on__lte=last)),
        outstanding=Count("pk", filter=outstanding),
        overdue=Count("pk", filter=overdue),
    )
    rows = touched.select_related("store", "backup").annotate(
        is_overdue=Case(When(overdue, then=Value(True)), default=Value(False))
    )
    if limit is None:
        rows = rows.order_by("lent_on", "id")
    else:
        rows = rows.order_by("-is_overdue", "lent_on", "id")[:limit]
    pool = dict(
        BackupUnit.objects.filter(oem=oem).values_list("state").annotate(n=Count("pk")).order_by()
    )
    return {
        "month": first.strftime("%Y-%m"),
        "as_of": as_of.isoformat(),
        **totals,
        "pool": pool,
        "rows": [
            {
                "number": s.number,
                "store": s.store.name,
                "store_code": s.store.code,
                "backup": s.backup.serial_number,
                "model": s.backup.product_model,
                "failed_serial": s.failed_serial,
                "failed_fault": s.failed_fault,
                "lent_on": s.lent_on.isoformat(),
                "due_back": s.due_back.isoformat(),
                "returned_on": s.returned_on.isoformat() if s.returned_on else "",
                "condition": s.return_condition,
                "failed_received_on": (
                    s.failed_received_on.isoformat() if s.failed_received_on else ""
                ),
                "original_sent_back_on": (
                    s.original_sent_back_on.isoformat() if s.original_sent_back_on else ""
                ),
                "overdue": bool(s.is_overdue),
            }
            for s in rows
        ],
    }


# --- 我的工作 -------------------------------------------------------------------------------


class OemWorkProvider:
    """Buy-back units waiting for inspection (technicians) or a decision (the supervisor), one
    item per batch; backups due back (the coordinator and the repair supervisor), one per swap
    with its timer, once warned (due within a working day) or past due. The timer provider does
    not list these timers again (in_timer_inbox=False)."""

    name = "repairs.oem"
    label = gettext_lazy("车厂回购机与备用机")

    def items(self, user, *, now: datetime, limit: int) -> list[WorkItem]:
        if not may_see_oem(user):
            return []
        items: list[WorkItem] = []
        waiting = []
        if may_inspect_buyback(user):
            waiting.append((BuybackUnitState.RECEIVED, _("%(no)s：%(n)d 台回购机待检测")))
        if may_decide_buyback(user):
            waiting.append((BuybackUnitState.INSPECTED, _("%(no)s：%(n)d 台回购机待决定")))
        for state, text in waiting:
            batches = (
                BuybackUnit.objects.filter(state=state)
                .values("batch_id", "batch__number", "batch__oem__name")
                .annotate(n=Count("pk"), since=Min("batch__created_at"))
                .order_by("batch_id")[:limit]
            )
            for row in batches:
                items.append(
                    WorkItem(
                        key=f"repairs.oem_batch:{row['batch_id']}:{state}",
                        kind=self.name,
                        kind_label=self.label,
                        what=text % {"no": row["batch__number"], "n": row["n"]},
                        url=reverse("repairs:oem_batch_detail", args=[row["batch_id"]]),
                        since=row["since"],
                        where=row["batch__oem__name"],
                    )
                )
        if may_handle_oem_backups(user):
            # warned (due within a working day) or past due, soonest first
            timers = {
                d.owner_id: d
                for d in Deadline.objects.filter(
                    kind="repair.oem_backup_return", status__in=OPEN_STATUSES, level__gte=WARNING
                ).order_by("due_at", "id")[:limit]
            }
            swaps = sorted(
                BackupSwap.objects.filter(
                    pk__in=list(timers), state=BackupSwapState.LENT
                ).select_related("store", "backup"),
                key=lambda s: (s.due_back, s.pk),
            )
            for swap in swaps:
                timer = timers.get(swap.pk)
                items.append(
                    WorkItem(
                        key=f"repairs.oem_swap:{swap.pk}",
                        kind=self.name,
                        kind_label=self.label,
                        what=_("备用机 %(s)s 待归还（%(no)s，应还 %(d)s）")
                        % {
                            "s": swap.backup.serial_number,
                            "no": swap.number,
                            "d": swap.due_back.isoformat(),
                        },
                        url=swap.get_absolute_url(),
                        since=timer.started_at if timer else swap.created_at,
                        due_at=timer.due_at if timer else None,
                        deadline=timer,
                        where=swap.store.name,
                    )
                )
        return items[:limit]
