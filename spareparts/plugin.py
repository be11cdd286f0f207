"""What the spare parts (配件, DESIGN §2.5, issue 19 first slice) add to the platform: the
catalogue, the warehouses' stock and its ledger, stock counts, their menu entries, the partner
API (catalogue and availability), the audited catalogue, demo data and the volume benchmark.

Hooks for the next slice (repairs drawing parts): spareparts.services.stock.stock_reserve /
stock_issue / stock_release take a `source` (a repair order's part line) and are called directly;
no platform hook is needed yet."""

from django.utils.translation import gettext_lazy as _

from network.choices import Role
from service_ops.plugins import Audited, NavItem, Plugin

PARTS_STAFF = frozenset({Role.PARTS_SUPERVISOR, Role.PARTS_CLERK})
# who works a warehouse's stock besides the parts warehouse: field offices, service points
STOCK_ROLES = PARTS_STAFF | frozenset(
    {
        Role.FIELD_CS_SUPERVISOR,
        Role.BRANCH_ENGINEER,
        Role.LOCAL_ENGINEER,
        Role.SERVICE_POINT_STAFF,
        Role.TECHNICIAN,
        Role.REPAIR_SUPERVISOR,
    }
)
STOCK_PAGES = (
    "spareparts:warehouse_detail",
    "spareparts:receive",
    "spareparts:transfer",
    "spareparts:scrap",
)

PLUGIN = Plugin(
    nav_items=(
        NavItem(
            "spareparts:part_list",
            _("配件目录"),
            "bi-gear-wide-connected",
            order=700,
            related=(
                "spareparts:part_detail",
                "spareparts:part_new",
                "spareparts:part_edit",
                "spareparts:part_import",
            ),
        ),
        NavItem(
            "spareparts:warehouse_list",
            _("配件库存"),
            "bi-box-seam",
            order=705,
            roles=STOCK_ROLES | frozenset({Role.DEALER_STAFF}),
            hq_too=True,
            related=STOCK_PAGES,
        ),
        NavItem(
            "spareparts:movement_list",
            _("库存流水"),
            "bi-journal-arrow-down",
            order=706,
            roles=STOCK_ROLES,
            hq_too=True,
            more=True,
        ),
        NavItem(
            "spareparts:count_list",
            _("盘点"),
            "bi-clipboard-check",
            order=707,
            roles=STOCK_ROLES,
            related=("spareparts:count_new", "spareparts:count_detail"),
            more=True,
        ),
    ),
    api_urls="spareparts.api.urls",
    web_urls=("parts/", "spareparts.urls"),
    demo="spareparts.demo.load_demo",
    bench="spareparts.bench.BENCH",
    audited=(
        Audited("spareparts.Part", exclude=("updated_at",)),
        Audited("spareparts.Warehouse"),
    ),
)
