"""Material planning (物料计划): reorder points kept by the parts staff, the daily check that tells
the parts supervisor what is below them (the page computes the list live), and the consumption
report's Excel export."""

from __future__ import annotations

from io import BytesIO

from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from network.choices import OrgKind, Role
from network.models import OrgUnit
from network.selectors import role_holders
from service_ops.i18n import deferred
from service_ops.notifications.services import notify

from ..models import Part, ReorderPoint, Warehouse
from ..permissions import is_parts_staff
from ..selectors.planning import below_reorder_points


def reorder_point_set(
    *, part: Part, warehouse: Warehouse, minimum: int, reorder_quantity: int, actor
) -> ReorderPoint:
    if not is_parts_staff(actor):
        raise PermissionDenied(_("只有配件仓人员可以设置补货点"))
    point, _created = ReorderPoint.objects.update_or_create(
        part=part,
        warehouse=warehouse,
        defaults={"minimum": minimum, "reorder_quantity": reorder_quantity},
    )
    return point


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


def consumption_export(rows) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    sheet = book.active
    sheet.title = _("配件消耗")
    sheet.append([_("月份"), _("配件编号"), _("名称"), _("领用出库"), _("销售出库"), _("合计")])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for r in rows:
        sheet.append([r.month.strftime("%Y-%m"), r.number, r.name, r.issued, r.sold, r.total])
    sheet.freeze_panes = "A2"
    buffer = BytesIO()
    book.save(buffer)
    return buffer.getvalue()
