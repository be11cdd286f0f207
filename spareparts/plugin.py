"""What the spare parts (配件, DESIGN §2.5, issue 19 first slice) add to the platform: the
catalogue, the warehouses' stock and its ledger, stock counts, their menu entries, the partner
API (catalogue and availability), the audited catalogue, demo data and the volume benchmark.

Repairs draw parts by calling spareparts.services.stock (stock_reserve / stock_issue /
stock_release with a `source`: a repair order's part line) and record warranty replacements with
spareparts.services.faulty; spareparts never imports them. When stock arrives in a warehouse
(received, transferred in, returned, a reservation released) spareparts calls the platform hook
`parts_stock_arrived(part_id, warehouse_id, actor)` on commit, which repairs answers by reserving
its part lines waiting for that part.

Faulty parts owed back (旧件返还) run on the deadline engine: policy `faulty-part-return`, 15
working days by default (no seed gives a number; an admin edits the policy row)."""

from datetime import time

from django.utils.translation import gettext_lazy as _

from network.choices import Role
from service_ops.plugins import (
    Audited,
    DeadlineKind,
    DefaultPolicy,
    NavItem,
    PeriodicJob,
    Plugin,
    Report,
)

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
    periodic_jobs=(
        # 物料计划: every morning the parts supervisor hears what is below its reorder point
        PeriodicJob(
            name="spareparts-reorder-check",
            task="spareparts.tasks.check_reorder_points",
            run="spareparts.services.planning.planning_check_reorder",
            at=time(7, 30),
        ),
        # the consumption report's monthly roll-up: every ended month not rolled up yet
        PeriodicJob(
            name="spareparts-consumption-rollup",
            task="spareparts.tasks.rollup_consumption",
            run="spareparts.services.planning.planning_rollup_consumption",
            at=time(1, 10),
        ),
    ),
    inbox_providers=(
        "spareparts.selectors.requests.PartRequestProvider",
        "spareparts.selectors.requests.DealerQuoteProvider",
    ),
    nav_items=(
        NavItem(
            "spareparts:request_list",
            _("配件申请"),
            "bi-cart-check",
            order=703,
            # the units that request and the parts staff who serve them; not every
            # headquarters person's bar (the head of customer service's is full)
            roles=STOCK_ROLES,
            related=("spareparts:request_new", "spareparts:request_detail"),
        ),
        NavItem(
            "spareparts:quote_list",
            _("配件报价"),
            "bi-receipt",
            order=704,
            roles=PARTS_STAFF | frozenset({Role.DEALER_STAFF}),
            related=("spareparts:quote_new", "spareparts:quote_detail"),
        ),
        # 物料计划: the parts supervisor's reorder points (below first) and the consumption report
        NavItem(
            "spareparts:reorder_list",
            _("物料计划"),
            "bi-graph-down-arrow",
            order=709,
            roles=PARTS_STAFF,
            related=("spareparts:consumption", "spareparts:reorder_edit"),
            more=True,
        ),
        NavItem(
            "spareparts:part_list",
            _("配件目录"),
            "bi-gear-wide-connected",
            order=700,
            # everyone may look a part up, so under 更多: the parts staff reach it from the
            # stock pages' tabs, and the others' bars stay short
            more=True,
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
        NavItem(
            "spareparts:faulty_list",
            _("旧件返还"),
            "bi-arrow-return-left",
            order=708,
            roles=STOCK_ROLES,
            hq_too=True,
            more=True,
        ),
    ),
    deadline_kinds=(
        DeadlineKind(
            "parts.faulty_return",
            _("旧件返还"),
            list_url="spareparts:faulty_list",
            list_params=(("overdue", "overdue=on"),),
            policies=(
                DefaultPolicy(
                    code="faulty-part-return",
                    name="旧件返还期限（默认 15 个工作日）",
                    limit=15,
                    escalation_chain=("assignee", Role.PARTS_SUPERVISOR.value),
                ),
            ),
        ),
        # 配件申请 (配件发放流程): no seed gives a number. Defaults: approval within 1 working day
        # (seed 000's own answer time for a quote question, "在一天内给出处理意见", taken as the
        # model), picking and shipping within 2 working days; both escalate to the parts
        # supervisor. An admin edits the policy rows.
        DeadlineKind(
            "parts.request",
            _("配件申请"),
            list_url="spareparts:request_list",
            policies=(
                DefaultPolicy(
                    code="parts-request-approval",
                    name="配件申请审批（默认 1 个工作日）",
                    limit=1,
                    escalation_chain=("assignee", Role.PARTS_SUPERVISOR.value),
                ),
                DefaultPolicy(
                    code="parts-request-dispatch",
                    name="配件申请备货发货（默认 2 个工作日）",
                    limit=2,
                    escalation_chain=("assignee", Role.PARTS_SUPERVISOR.value),
                ),
            ),
        ),
        # 代理商购配件的报价: a quote is valid 7 days by default (no seed number); the sweep's
        # breach expires it (handler).
        DeadlineKind(
            "parts.quote",
            _("配件报价有效期"),
            list_url="spareparts:quote_list",
            policies=(
                DefaultPolicy(
                    code="parts-quote-validity",
                    name="配件报价有效期（默认 7 天 = 168 自然小时）",
                    limit=168,
                    unit="calendar_hours",
                    escalation_chain=("assignee",),
                ),
            ),
            handler="spareparts.services.quotes.QUOTE_EXPIRY_HANDLER",
            in_timer_inbox=False,
        ),
    ),
    api_urls="spareparts.api.urls",
    web_urls=("parts/", "spareparts.urls"),
    demo="spareparts.demo.load_demo",
    bench="spareparts.bench.BENCH",
    reports=(
        Report(
            "spareparts.consumption",
            _("配件消耗"),
            "spareparts:consumption",
            description=_("一段时间内消耗最多的配件或型号，按月（页面上可导出 Excel）"),
            icon="bi-graph-down-arrow",
            allowed="spareparts.permissions.sees_hq_figures",
        ),
    ),
    audited=(
        Audited("spareparts.Part", exclude=("updated_at",)),
        Audited("spareparts.Warehouse"),
    ),
)
