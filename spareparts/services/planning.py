"""Material planning (物料计划): reorder points kept by the parts staff, the daily check that tells
the parts supervisor what is below them (the page computes the list live), and the consumption
report's Excel export."""

from __future__ import annotations

from io import BytesIO

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q, Sum
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from network.choices import OrgKind, Role
from network.models import OrgUnit
from network.selectors import role_holders
from service_ops.i18n import deferred
from service_ops.notifications.services import notify

from ..choices import MovementKind
from ..models import (
    ConsumptionMonth,
    ConsumptionRollup,
    Part,
    ReorderPoint,
    StockMovement,
    Warehouse,
)
from ..permissions import is_parts_staff, may_operate
from ..selectors.planning import CONSUMED, below_reorder_points, month_start, next_month

ROLLUP_MONTHS_A_RUN = 36


def reorder_point_set(
    *, part: Part, warehouse: Warehouse, minimum: int, reorder_quantity: int, actor
) -> ReorderPoint:
    """Set (create or change) a part's reorder point in a warehouse: below `minimum` available,
    order `reorder_quantity`. The parts staff, for a warehouse they may operate (every one)."""
    if not is_parts_staff(actor) or not may_operate(actor, warehouse):
        raise PermissionDenied(_("只有配件仓人员可以设置补货点"))
    errors = {}
    if not isinstance(minimum, int) or not 1 <= minimum <= 1_000_000:
        errors["minimum"] = _("最低库存应在 1 到 1000000 之间")
    if not isinstance(reorder_quantity, int) or not 1 <= reorder_quantity <= 1_000_000:
        errors["reorder_quantity"] = _("补货数量应在 1 到 1000000 之间")
    if not part.is_active:
        errors["part"] = _("配件已停用")
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        point, _created = ReorderPoint.objects.select_for_update().update_or_create(
            part=part,
            warehouse=warehouse,
            defaults={"minimum": minimum, "reorder_quantity": reorder_quantity},
        )
    return point


@transaction.atomic
def reorder_point_remove(*, point_id: int, actor) -> None:
    point = ReorderPoint.objects.select_for_update().select_related("warehouse").get(pk=point_id)
    if not is_parts_staff(actor) or not may_operate(actor, point.warehouse):
        raise PermissionDenied(_("只有配件仓人员可以设置补货点"))
    point.delete()


def _rollup_month(month) -> int:
    """Sum one ended month's issues and sales per part into ConsumptionMonth and mark the month
    rolled up, in one transaction (a concurrent run of the same month fails on the marker's
    unique month and rolls back). Returns the number of parts."""
    start, end = month_start(month), month_start(next_month(month))
    with transaction.atomic():
        rows = (
            StockMovement.objects.filter(
                kind__in=CONSUMED, created_at__gte=start, created_at__lt=end
            )
            .values("part_id")
            .annotate(
                issued=Sum("on_hand_change", filter=Q(kind=MovementKind.ISSUE)),
                sold=Sum("on_hand_change", filter=Q(kind=MovementKind.SALE)),
            )
        )
        ConsumptionMonth.objects.filter(month=month).delete()
        made = ConsumptionMonth.objects.bulk_create(
            [
                ConsumptionMonth(
                    month=month,
                    part_id=r["part_id"],
                    issued=-(r["issued"] or 0),
                    sold=-(r["sold"] or 0),
                )
                for r in rows
            ],
            batch_size=2000,
        )
        ConsumptionRollup.objects.create(month=month, rolled_at=timezone.now(), parts=len(made))
    return len(made)


def planning_rollup_consumption(*, now=None) -> int:
    """The daily job: roll up every ended month not rolled up yet (from the ledger's first
    consumption, at most ROLLUP_MONTHS_A_RUN a run). The ledger is append-only and each movement
    is dated when written, so an ended month never changes; the report reads the months not
    rolled up live. Returns how many months were rolled up."""
    this_month = timezone.localdate(now).replace(day=1)
    first = (
        StockMovement.objects.filter(kind__in=CONSUMED)
        .order_by("created_at")
        .values_list("created_at", flat=True)
        .first()
    )
    if first is None:
        return 0
    month = timezone.localtime(first).date().replace(day=1)
    done = set(ConsumptionRollup.objects.filter(month__gte=month).values_list("month", flat=True))
    rolled = 0
    while month < this_month and rolled < ROLLUP_MONTHS_A_RUN:
        if month not in done:
            try:
                _rollup_month(month)
            except IntegrityError:
                pass  # another run rolled it up meanwhile
            else:
                rolled += 1
        month = next_month(month)
    return rolled


def planning_check_reorder(*, now=None) -> int:
    """The daily job: count the reorder points below their minimum and tell the parts
    supervisor, with a link to the live page. Returns how many are below."""
    below = below_reorder_points()
    if not below:
        return 0
    hq = OrgUnit.objects.filter(kind=OrgKind.HEADQUARTERS).order_by("pk").first()
    people = role_holders(Role.PARTS_SUPERVISOR, hq) if hq else []
    if people:
        notify(
            recipients=people,
            subject=deferred(gettext_noop("%(n)s 种配件低于补货点"), n=len(below)),
            body=deferred(
                gettext_noop("%(d)s：%(items)s"),
                d=timezone.localdate(now).isoformat() if now else timezone.localdate().isoformat(),
                items="、".join(f"{p.part.number}@{p.warehouse.code}" for p in below[:20]),
            ),
            url=reverse("spareparts:reorder_list"),
            category="parts",
        )
    return len(below)


def consumption_export(report) -> bytes:
    """The report as shown (its page of lines), in a workbook: one row per part (or model), a
    column per month, the period's issued, sold and total, and a totals row."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    sheet = book.active
    sheet.title = _("配件消耗")
    by_part = report.group == "part"
    head = [_("配件编号"), _("名称")] if by_part else [_("适用型号")]
    sheet.append(
        [
            *head,
            *(m.strftime("%Y-%m") for m in report.months),
            _("领用出库"),
            _("销售出库"),
            _("合计"),
        ]
    )
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for line in report.lines:
        first = [line.number, line.label] if by_part else [line.key]
        sheet.append([*first, *line.months, line.issued, line.sold, line.total])
    pad = [""] if by_part else []
    sheet.append(
        [
            _("合计"),
            *pad,
            *report.month_totals,
            sum(x.issued for x in report.lines),
            sum(x.sold for x in report.lines),
            report.shown_total,
        ]
    )
    for cell in sheet[sheet.max_row]:
        cell.font = Font(bold=True)
    sheet.freeze_panes = "C2" if by_part else "B2"
    buffer = BytesIO()
    book.save(buffer)
    return buffer.getvalue()
