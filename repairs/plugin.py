"""What repairs (return applications, arrivals, repair orders) adds to the platform: its
periodic jobs, menu entries, deadline kinds, work-inbox providers, defaults, demo data and pages.

The platform reads this (service_ops/plugins.py); nothing under service_ops/ names repairs."""

from datetime import time

from django.utils.translation import gettext_lazy as _

from network.choices import PARTNER_ROLES
from network.choices import Role as R
from service_ops.plugins import (
    Audited,
    DeadlineKind,
    DefaultPolicy,
    NavItem,
    PeriodicJob,
    Plugin,
    Report,
    ReportMailing,
    WebhookSource,
)

APPROVER_ROLES = frozenset(
    {
        R.FIELD_CS_SUPERVISOR,
        R.BRANCH_MANAGER,
        R.PROVINCIAL_MANAGER,
        R.HEAD_OF_CS,
        R.LOCAL_ENGINEER,
    }
)
# People who follow repairs without working them: partners, branches, provinces, the call centre.
REPAIR_FOLLOWER_ROLES = PARTNER_ROLES | frozenset(
    {
        R.BRANCH_ENGINEER,
        R.LOCAL_ENGINEER,
        R.FIELD_CS_SUPERVISOR,
        R.BRANCH_MANAGER,
        R.PROVINCIAL_MANAGER,
        R.CALL_AGENT,
        R.EXPERT_AGENT,
        R.COMPLAINT_TEAM,
        R.SUPERVISOR,
    }
)
# People who work returned stock (呆滞/退货产品): the clerk, the warehouse, PMC, the repair team.
STOCK_ROLES = frozenset(
    {R.LOGISTICS_CLERK, R.WAREHOUSE_KEEPER, R.REPAIR_SUPERVISOR, R.PMC, R.HEAD_OF_CS}
)
ORDER_PAGES = ("repairs:order_detail", "repairs:lot_detail")
# car-factory units (车厂回购机流程, issue 22): headquarters' customer service
OEM_NAV_ROLES = frozenset(
    {R.LOGISTICS_CLERK, R.WAREHOUSE_KEEPER, R.TECHNICIAN, R.REPAIR_SUPERVISOR, R.HEAD_OF_CS}
)
# field service (issue 20): who follows service requests, who answers offers, who keeps units
FIELD_REQUEST_ROLES = frozenset(
    {
        R.SERVICE_DISPATCHER,
        R.HEAD_OF_CS,
        R.CALL_AGENT,
        R.EXPERT_AGENT,
        R.CALL_CENTRE_LEAD,
        R.FIELD_CS_SUPERVISOR,
        R.BRANCH_ENGINEER,
        R.LOCAL_ENGINEER,
        R.NETWORK_SPECIALIST,
        R.DEALER_STAFF,
        R.SERVICE_POINT_STAFF,
    }
)
FIELD_OFFER_ROLES = frozenset({R.SERVICE_POINT_STAFF, R.LOCAL_ENGINEER, R.BRANCH_ENGINEER})
FIELD_UNIT_ROLES = FIELD_REQUEST_ROLES - {R.SERVICE_POINT_STAFF}
# 网点结算: the point's staff, the network specialist, the head of CS who approves, finance
SETTLEMENT_ROLES = frozenset({R.SERVICE_POINT_STAFF, R.NETWORK_SPECIALIST, R.HEAD_OF_CS, R.FINANCE})
# issue 20 (field-visit): who works visits on site, and who follows them
FIELD_VISIT_ROLES = frozenset(
    {
        R.BRANCH_ENGINEER,
        R.LOCAL_ENGINEER,
        R.SERVICE_POINT_STAFF,
        R.SERVICE_DISPATCHER,
        R.FIELD_CS_SUPERVISOR,
    }
)


# issue 22 (advances 借支 and expense claims 报销): every employee files their own; approvers and
# finance have their own pages
MONEY_STAFF_ROLES = frozenset(set(R.values) - PARTNER_ROLES)
MONEY_APPROVER_ROLES = frozenset(
    {R.BRANCH_MANAGER, R.PROVINCIAL_MANAGER, R.HEAD_OF_CS, R.FINANCE, R.FIELD_CS_SUPERVISOR}
)


def _workday_start():
    from service_ops.workcalendar import clock

    return clock.workday_start()


PLUGIN = Plugin(
    periodic_jobs=(
        # 每周三、六: the list of units not shipped within their limit, for the review meeting.
        PeriodicJob(
            name="build-review-list",
            task="repairs.tasks.build_review_list",
            run="repairs.tasks.review_list_build_and_tell",
            at=_workday_start,
            weekdays=(2, 5),
        ),
        # 预约提醒: from the policy's reminder hour, each visit of tomorrow is reminded once
        # (engineer by notification, customer by SMS); the job looks every quarter of an hour so
        # an edited reminder hour needs no restart.
        PeriodicJob(
            name="field-visit-reminders",
            task="repairs.tasks.send_visit_reminders",
            run="repairs.services.field_requests.send_visit_reminders",
            every=900,
        ),
        # 借支催还 (issue 22): advances outstanding longer than MoneyPolicy.reminder_days are
        # reminded to their holder and supervisor every morning (again every few days).
        PeriodicJob(
            name="advance-reminders",
            task="repairs.tasks.send_advance_reminders",
            run="repairs.services.advances.send_advance_reminders",
            at=_workday_start,
        ),
        # 网点结算 (issue 20 item 7): every morning last month's statements of the service points
        # are built or, while still drafts, refreshed; nothing is ever duplicated.
        PeriodicJob(
            name="settlement-monthly-batch",
            task="repairs.tasks.settlement_monthly_batch",
            run="repairs.services.settlement.settlement_monthly_run",
            at=_workday_start,
        ),
        # issue 21: the reports' monthly roll-ups (technicians, field visits, turnaround) up to
        # midnight, after the SLA dashboard's night rebuild; the reports add the day live.
        PeriodicJob(
            name="refresh-report-rollups",
            task="repairs.tasks.refresh_report_rollups",
            run="repairs.services.rollups.refresh_report_rollups",
            at=time(2, 45),
        ),
    ),
    nav_items=(
        NavItem(
            "repairs:return_list",
            _("返厂申请"),
            "bi-box-seam",
            order=100,
            related=("repairs:return_detail", "repairs:return_create", "repairs:return_edit"),
        ),
        NavItem(
            "repairs:signature_queue", _("待我签字"), "bi-pen", order=110, roles=APPROVER_ROLES
        ),
        NavItem(
            "repairs:logistics_board",
            _("物流看板"),
            "bi-truck",
            order=120,
            roles=frozenset({R.LOGISTICS_CLERK, R.WAREHOUSE_KEEPER}),
        ),
        NavItem(
            "repairs:technician_queue",
            _("维修工作台"),
            "bi-wrench-adjustable",
            order=130,
            roles=frozenset({R.TECHNICIAN, R.REPAIR_SUPERVISOR}),
            related=ORDER_PAGES,
        ),
        NavItem(
            "repairs:order_board",
            _("维修看板"),
            "bi-kanban",
            order=140,
            roles=frozenset({R.LOGISTICS_CLERK, R.HEAD_OF_CS, R.REPAIR_SUPERVISOR}),
        ),
        NavItem(
            "repairs:review_list",
            _("超期评审"),
            "bi-people",
            order=142,
            roles=frozenset({R.LOGISTICS_CLERK, R.REPAIR_SUPERVISOR}),
            related=("repairs:review_detail",),
            more=True,
        ),
        NavItem(
            "repairs:loaner_list",
            _("备用机"),
            "bi-phone",
            order=144,
            roles=frozenset({R.LOGISTICS_CLERK, R.REPAIR_SUPERVISOR, R.HEAD_OF_CS}),
            more=True,
        ),
        NavItem(
            "repairs:order_list",
            _("维修单"),
            "bi-cpu",
            order=150,
            roles=REPAIR_FOLLOWER_ROLES,  # the workshop and the clerks reach it from their pages
            related=ORDER_PAGES,
        ),
        NavItem(
            "repairs:statement_list",
            _("月结对账"),
            "bi-receipt",
            order=160,
            roles=frozenset(
                {
                    R.HEAD_OF_CS,
                    R.BRANCH_MANAGER,
                    R.LOGISTICS_CLERK,
                    R.REPAIR_SUPERVISOR,
                    R.SALES_DISPATCHER,  # 销售调度部: hand-over and 划账
                    R.FINANCE,
                }
            ),
            related=("repairs:statement_detail",),
        ),
        NavItem(
            "repairs:arrival_list",
            _("未经申请到货"),
            "bi-sign-stop",
            order=162,
            roles=frozenset({R.LOGISTICS_CLERK, R.WAREHOUSE_KEEPER, R.HEAD_OF_CS}),
            related=("repairs:arrival_detail", "repairs:arrival_create"),
            more=True,
        ),
        NavItem(
            "repairs:penalty_list",
            _("负激励"),
            "bi-exclamation-octagon",
            order=164,
            roles=frozenset(
                {R.HEAD_OF_CS, R.BRANCH_MANAGER, R.PROVINCIAL_MANAGER, R.LOCAL_ENGINEER}
            ),
            more=True,
        ),
        NavItem(
            "repairs:happy_fund",
            _("快乐基金"),
            "bi-piggy-bank",
            order=166,
            roles=frozenset({R.HEAD_OF_CS}),
            more=True,
        ),
        NavItem(
            "repairs:returned_stock_list",
            _("退货产品处理"),
            "bi-recycle",
            order=167,
            roles=STOCK_ROLES | {R.MARKETING},
            related=(
                "repairs:returned_stock_detail",
                "repairs:returned_stock_create",
                "repairs:returned_stock_act",
            ),
            more=True,
        ),
        NavItem(
            "repairs:task_order_list",
            _("生产任务单"),
            "bi-clipboard-check",
            order=168,
            roles=STOCK_ROLES,
            related=("repairs:task_order_print",),
            more=True,
        ),
        NavItem(
            "repairs:visit_list",
            _("我的上门"),
            "bi-geo-alt",
            order=145,
            roles=FIELD_VISIT_ROLES,
            related=("repairs:visit_detail",),
        ),
        NavItem(
            "repairs:ranking",
            _("年度排名"),
            "bi-bar-chart",
            order=170,
            roles=frozenset({R.HEAD_OF_CS}),
            hq_too=True,
            more=True,
        ),
        # field service, issue 20: requests and dispatch (派单), offers to answer, installed base
        NavItem(
            "repairs:service_request_list",
            _("报修单"),
            "bi-telephone-inbound",
            order=180,
            roles=FIELD_REQUEST_ROLES,
            related=(
                "repairs:service_request_detail",
                "repairs:service_request_new",
                "repairs:visit_appointment",
            ),
        ),
        NavItem(
            "repairs:offer_list",
            _("待接派单"),
            "bi-inboxes",
            order=182,
            roles=FIELD_OFFER_ROLES,
            related=("repairs:offer_detail",),
        ),
        NavItem(
            "repairs:installed_unit_list",
            _("装机档案"),
            "bi-qr-code",
            order=184,
            roles=FIELD_UNIT_ROLES,
            related=(
                "repairs:installed_unit_detail",
                "repairs:installed_unit_new",
                "repairs:installed_unit_edit",
                "repairs:installed_unit_label",
            ),
            more=True,
        ),
        # 网点结算 (issue 20 item 7)
        NavItem(
            "repairs:settlement_list",
            _("网点结算"),
            "bi-cash-coin",
            order=172,
            roles=SETTLEMENT_ROLES,
            related=("repairs:settlement_detail",),
        ),
        NavItem(
            "repairs:fee_rule_list",
            _("网点服务费规则"),
            "bi-sliders",
            order=174,
            roles=frozenset({R.NETWORK_SPECIALIST, R.FINANCE, R.HEAD_OF_CS}),
            related=("repairs:fee_rule_new", "repairs:fee_rule_end"),
            more=True,
        ),
        # 车厂回购机流程 (issue 22 items 4 and 5): buy-back batches, the OEM's backup pool
        NavItem(
            "repairs:oem_batch_list",
            _("回购机"),
            "bi-car-front",
            order=176,
            roles=OEM_NAV_ROLES,
            related=(
                "repairs:oem_batch_detail",
                "repairs:oem_batch_create",
                "repairs:oem_unit_act",
            ),
            more=True,
        ),
        NavItem(
            "repairs:oem_backup_list",
            _("车厂备用机"),
            "bi-arrow-left-right",
            order=178,
            roles=frozenset({R.LOGISTICS_CLERK, R.REPAIR_SUPERVISOR, R.HEAD_OF_CS}),
            related=(
                "repairs:oem_backup_lend",
                "repairs:oem_swap_list",
                "repairs:oem_swap_detail",
                "repairs:oem_reconciliation",
            ),
            more=True,
        ),
        # 收款 (issue 22 item 3): finance's desk and ageing, the dispatcher's 划账, the partner's
        # own account (dealer staff, the branch manager)
        NavItem(
            "repairs:collection_desk",
            _("收款台"),
            "bi-cash-stack",
            order=176,
            roles=frozenset({R.FINANCE, R.SALES_DISPATCHER}),  # the head opens it from 账龄
            related=(
                "repairs:receivable_list",
                "repairs:receivable_detail",
                "repairs:payment_new",
                "repairs:payment_detail",
                "repairs:collection_ageing",
                "repairs:partner_account",
            ),
        ),
        NavItem(
            "repairs:my_account",
            _("我的往来账"),
            "bi-journal-text",
            order=178,
            roles=frozenset({R.DEALER_STAFF, R.BRANCH_MANAGER}),
        ),
        # advances and expense claims (issue 22)
        NavItem(
            "repairs:advance_list",
            _("借支报销"),
            "bi-wallet2",
            order=190,
            roles=MONEY_STAFF_ROLES,
            related=(
                "repairs:advance_detail",
                "repairs:advance_new",
                "repairs:claim_list",
                "repairs:claim_detail",
                "repairs:claim_new",
            ),
        ),
        NavItem(
            "repairs:money_approvals",
            _("借支报销审批"),
            "bi-check2-square",
            order=192,
            roles=MONEY_APPROVER_ROLES,
        ),
        NavItem(
            "repairs:money_desk",
            _("财务付款台"),
            "bi-bank",
            order=194,
            roles=frozenset({R.FINANCE}),
            related=("repairs:money_ageing",),
        ),
    ),
    deadline_kinds=(
        # Default policies of these kinds are seeded by repairs' migrations (0002, 0004) and
        # put back by `seed_defaults`; all of them are data, editable in the admin.
        # A step's timer shows in 我的工作 with its step (SignatureProvider), for deputies too.
        DeadlineKind(
            "rma.approval_step",
            _("返厂申请审批步骤"),
            in_timer_inbox=False,
            partner=("repairs.ApprovalStep", "application__dealer"),
            list_url="repairs:return_list",
            list_params=(("overdue", "overdue=true"),),
        ),
        DeadlineKind(
            "repair.limit",
            _("维修时限"),
            handler="repairs.services.orders.REPAIR_LIMIT_HANDLER",
            partner=("repairs.RepairOrder", "dealer"),
            list_url="repairs:order_list",
            list_params=(("overdue", "overdue=true"),),
        ),
        DeadlineKind(
            "repair.quote_send",
            _("报价发送"),
            list_url="repairs:order_board",
            partner=("repairs.Quote", "order__dealer"),
        ),
        DeadlineKind(
            "repair.quote_consent",
            _("报价确认"),
            handler="repairs.services.orders.QUOTE_CONSENT_HANDLER",
            list_url="repairs:order_board",
            partner=("repairs.Quote", "order__dealer"),
        ),
        DeadlineKind(
            "repair.loaner_return",
            _("备用机归还"),
            list_url="repairs:loaner_list",
            partner=("repairs.Loan", "order__dealer"),
        ),
        # 给出等待时限: the date promised at a review, its own timer (the limit's amount is set
        # per timer from the promised date; the repair limit keeps its breach for the statistics)
        DeadlineKind(
            "repair.waiting_limit",
            _("等待时限"),
            list_url="repairs:review_list",
            partner=("repairs.RepairOrder", "dealer"),
            policies=(
                DefaultPolicy(
                    code="repair-waiting-limit",
                    name="评审给出的等待时限",
                    limit=1,
                    escalation_chain=("assignee", "repair_supervisor", "logistics_clerk"),
                ),
            ),
        ),
        # 领机维修期限 of returned stock: the clerk picks one of the seed's four, in calendar
        # days (24-hour days from the task order's issue; repairs.services.stock says why).
        # Held first by the clerk who issued the task order, then by whoever took the goods.
        DeadlineKind(
            "repair.returned_stock",
            _("领机维修期限"),
            list_url="repairs:returned_stock_list",
            policies=tuple(
                DefaultPolicy(
                    code=f"returned-stock-{days}d",
                    name=f"退货产品领机维修期限（{days} 天）",
                    limit=days * 24,
                    unit="calendar_hours",
                    escalation_chain=("assignee", "logistics_clerk", "head_of_cs"),
                )
                for days in (5, 10, 15, 30)
            ),
        ),
        # 接单时限: an offer (派单) is answered within FieldServicePolicy.accept_minutes of working
        # time (each timer's own amount; the policy row below is its unit and chain); the breach
        # expires the offer and re-dispatches (repairs.services.field_requests).
        DeadlineKind(
            "field.dispatch_accept",
            _("派单接单时限"),
            policies=(
                DefaultPolicy(
                    code="field-dispatch-accept",
                    name="派单接单时限（默认 2 个工作小时，以上门服务规则参数为准）",
                    limit=2,
                    unit="working_hours",
                    escalation_chain=("assignee",),
                ),
            ),
            handler="repairs.services.field_requests.OFFER_EXPIRY_HANDLER",
            in_timer_inbox=False,
            # the unit the offer went to (a service point, or the branch's own engineers)
            partner=("repairs.Dispatch", "to_unit"),
        ),
        # 江淮备用机: a backup lent to an OEM store is due back in 20 working days (the seed is
        # silent; repairs.services.oem says why), warned a working day before, then told to the
        # coordinator who lent it and escalated to the head of customer service. Listed in
        # 我的工作 by repairs.selectors.oem.OemWorkProvider with the swap.
        DeadlineKind(
            "repair.oem_backup_return",
            _("车厂备用机归还"),
            list_url="repairs:oem_swap_list",
            list_params=(("open", "open=1"), ("overdue", "overdue=1")),
            in_timer_inbox=False,
            policies=(
                DefaultPolicy(
                    code="oem-backup-return",
                    name="车厂备用机归还期限（20 个工作日）",
                    limit=20,
                    escalation_chain=("assignee", "head_of_cs"),
                ),
            ),
        ),
        # 收款到期 (issue 22 item 3): a receivable's due date (账期, CollectionPolicy) in calendar
        # hours per timer; the warning and the breach reach the partner (the handler), then
        # finance, the branch manager and the head of CS one working day apart.
        DeadlineKind(
            "collection.due",
            _("应收款到期"),
            handler="repairs.services.collections.DUE_HANDLER",
            list_url="repairs:receivable_list",
            list_params=(("overdue", "overdue=true"),),
            in_timer_inbox=False,
            policies=(
                DefaultPolicy(
                    code="collection-due",
                    name="应收款到期收款（账期以收款政策为准）",
                    limit=30 * 24,
                    unit="calendar_hours",
                    escalation_chain=("finance", "branch_manager", "head_of_cs"),
                ),
            ),
        ),
        # issue 22: each step of an advance's or a claim's chain, 2 working days, escalating to
        # the head of customer service and then senior management; shown with its step in
        # 我的工作 (MoneyApprovalProvider).
        DeadlineKind(
            "money.approval_step",
            _("借支报销审批步骤"),
            in_timer_inbox=False,
            list_url="repairs:money_approvals",
            policies=(
                DefaultPolicy(
                    code="money-approval-step",
                    name="借支报销审批步骤（2 个工作日）",
                    limit=2,
                    escalation_chain=("assignee", "head_of_cs", "senior_management"),
                ),
            ),
        ),
    ),
    inbox_providers=(
        "repairs.selectors.work.SignatureProvider",
        "repairs.selectors.work.RejectedApplicationProvider",
        "repairs.selectors.work.QuoteAnswerProvider",
        "repairs.selectors.work.PenaltyProvider",
        "repairs.selectors.work.StatementProvider",
        "repairs.selectors.work.StatementHandOverProvider",
        "repairs.selectors.work.StatementSettlementProvider",
        "repairs.selectors.work.ReviewDecisionProvider",
        "repairs.selectors.work.OverdueWorkshopProvider",
        "repairs.selectors.field_requests.DispatcherProvider",
        "repairs.selectors.field_requests.OfferProvider",
        # issue 20 (field-visit): today's and overdue visits; faults to confirm
        "repairs.selectors.visits.VisitWorkProvider",
        "repairs.selectors.visits.FaultConfirmationProvider",
        "repairs.selectors.settlement.PointStatementProvider",
        "repairs.selectors.settlement.SettlementStaffProvider",
        "repairs.selectors.oem.OemWorkProvider",
        # 收款 (issue 22): finance's receivables past due and transfers to confirm; the
        # dispatcher's statements and receivables to propose a 划账 for
        "repairs.selectors.collections.OverdueReceivableProvider",
        "repairs.selectors.collections.TransferToConfirmProvider",
        "repairs.selectors.collections.TransferToProposeProvider",
        # issue 22: money steps to sign, advances and claims for finance to pay, returned ones
        "repairs.selectors.advances.MoneyApprovalProvider",
        "repairs.selectors.advances.MoneyPaymentProvider",
        "repairs.selectors.advances.MoneyReturnedProvider",
    ),
    hooks={
        "callback_responsible": "repairs.hooks.callback_responsible",
        "caller_history": "repairs.hooks.caller_history",
        "serial_timeline": "repairs.hooks.serial_timeline",
        # issue 19: stock arrived in a warehouse → the part lines waiting for it are reserved
        "parts_stock_arrived": "repairs.hooks.parts_stock_arrived",
        # issue 20: the network's quarterly evaluation of service points
        "service_point_facts": "repairs.hooks.service_point_facts",
        # issue 20: the call centre's call page offers "create a service request" from the call
        "call_actions": "repairs.hooks.call_actions",
        # issue 20 (field-visit): a field visit's callback closed in the call centre
        "callback_verdict": "repairs.hooks.callback_verdict",
    },
    seed_defaults="repairs.defaults.seed_defaults",
    demo="repairs.demo.load_demo",
    web_urls=("repairs/", "repairs.urls"),
    # the unit's QR code opens /u/<token>/ (short, printed on the warranty card; no login)
    extra_web_urls=(("u/", "repairs.public_urls"),),
    api_urls="repairs.api.urls",
    bench="repairs.bench.BENCH",
    # issue 21: the repairs reports (and the year-end ranking) on the platform's /reports/ index;
    # the month-end summary (the four reports of last month) mailed on the 1st.
    reports=(
        Report(
            "repairs.turnaround",
            _("维修周转时间"),
            "repairs:report",
            query="report=turnaround",
            description=_("领机到发货的工作时间，按批次台数和月份的中位数与 90 分位"),
            icon="bi-stopwatch",
            allowed="repairs.permissions.may_read_reports",
            export="repairs.exports.export_turnaround",
        ),
        Report(
            "repairs.qc",
            _("一次质检合格率与二次维修率"),
            "repairs:report",
            query="report=qc",
            description=_("按型号"),
            icon="bi-patch-check",
            allowed="repairs.permissions.may_read_reports",
            export="repairs.exports.export_qc",
        ),
        Report(
            "repairs.warranty",
            _("保修与收费占比"),
            "repairs:report",
            query="report=warranty",
            description=_("按月份"),
            icon="bi-pie-chart",
            allowed="repairs.permissions.may_read_reports",
            export="repairs.exports.export_warranty",
        ),
        Report(
            "repairs.faults",
            _("型号常见故障"),
            "repairs:report",
            query="report=faults",
            description=_("维修单登记的故障，按型号"),
            icon="bi-bug",
            allowed="repairs.permissions.may_read_reports",
            export="repairs.exports.export_faults",
        ),
        Report(
            "repairs.month_summary",
            _("月度维修汇总"),
            "repairs:report",
            query="report=turnaround",
            description=_("以上四张报表合在一个 Excel 里，每月 1 日发给客服部部长"),
            icon="bi-calendar-month",
            allowed="repairs.permissions.may_read_reports",
            export="repairs.exports.export_month_summary",
            mailings=(
                ReportMailing(
                    "repairs-month-end-summary",
                    params="repairs.exports.last_month_params",
                    roles=frozenset({R.HEAD_OF_CS}),
                    monthday=1,
                    label=_("月度维修汇总"),
                ),
            ),
        ),
        # the supervisors' reports: field visits, penalties and the happy fund, and the
        # technicians' monthly evaluation (mailed to the repair supervisor on the 1st)
        Report(
            "repairs.field_visits",
            _("上门服务统计"),
            "repairs:supervision_report",
            query="report=field",
            description=_("一次解决率、多次派单、上门准时，按月份和服务网点"),
            icon="bi-geo-alt",
            allowed="repairs.permissions.may_read_reports",
            export="repairs.exports.export_field_visits",
        ),
        Report(
            "repairs.penalties",
            _("负激励与快乐基金"),
            "repairs:supervision_report",
            query="report=penalties",
            description=_("罚款与扣分的提出、确认、免除，快乐基金收支和余额"),
            icon="bi-piggy-bank",
            allowed="repairs.permissions.may_read_reports",
            export="repairs.exports.export_penalties",
        ),
        Report(
            "repairs.technicians",
            _("技术员月度考评"),
            "repairs:supervision_report",
            query="report=technicians",
            description=_("台数、二次维修、回访满意度、客诉和得分，每月 1 日发给维修主管"),
            icon="bi-person-check",
            allowed="repairs.permissions.may_read_reports",
            export="repairs.exports.export_technicians",
            mailings=(
                ReportMailing(
                    "repairs-technician-evaluation",
                    params="repairs.exports.last_month_params",
                    roles=frozenset({R.REPAIR_SUPERVISOR}),
                    monthday=1,
                    label=_("技术员月度考评"),
                ),
            ),
        ),
        # 收款 (issue 22 item 3): the ageing of what branches and dealers owe
        Report(
            "repairs.collection_ageing",
            _("应收账款账龄"),
            "repairs:collection_ageing",
            description=_("按分公司和往来单位，未到期、逾期 1–30、31–60、61–90、90 天以上"),
            icon="bi-hourglass-split",
            allowed="repairs.permissions.may_see_collection_desk",
            export="repairs.collection_exports.export_ageing",
        ),
        Report(
            "repairs.ranking",
            _("年度返修排名"),
            "repairs:ranking",
            description=_("省区与分公司返修台数排名（含 Excel）"),
            icon="bi-bar-chart",
            allowed="repairs.permissions.may_see_ranking",
        ),
    ),
    # Partners (the dealer that shipped) hear of these by signed webhook (repairs/webhooks.py).
    # Month-end statements are not here: they belong to a branch, which is not a partner.
    webhook_events=(
        WebhookSource(
            model="repairs.ReturnApplication",
            event="return_application.state_changed",
            partners="repairs.webhooks.partners_of_application",
            payload="repairs.webhooks.application_payload",
            label=_("返厂申请状态变化"),
        ),
        WebhookSource(
            model="repairs.RepairOrder",
            event="repair_order.state_changed",
            partners="repairs.webhooks.partners_of_order",
            payload="repairs.webhooks.order_payload",
            label=_("维修单状态变化"),
        ),
        WebhookSource(
            model="repairs.Quote",
            event="quote.state_changed",
            partners="repairs.webhooks.partners_of_quote",
            payload="repairs.webhooks.quote_payload",
            label=_("维修报价状态变化"),
        ),
        # field service: the dealer that filed a request and the point that took it hear of its
        # states; a point hears of its offers (offered, accepted, declined, expired, withdrawn).
        WebhookSource(
            model="repairs.ServiceRequest",
            event="service_request.state_changed",
            partners="repairs.webhooks.partners_of_service_request",
            payload="repairs.webhooks.service_request_payload",
            label=_("报修单状态变化"),
        ),
        WebhookSource(
            model="repairs.Dispatch",
            event="service_offer.state_changed",
            partners="repairs.webhooks.partners_of_offer",
            payload="repairs.webhooks.offer_payload",
            label=_("派单状态变化"),
        ),
    ),
    # The rule tables: approval chains and their steps, lot limits, the return policy (its fines
    # are the only prices so far) and the loaner pool (whether a unit is lent follows its loans).
    audited=(
        Audited("repairs.ApprovalChainTemplate"),
        Audited("repairs.ApprovalStepTemplate"),
        Audited("repairs.LotLimitRule"),
        Audited("repairs.ReturnPolicy"),
        Audited("repairs.LoanerUnit", exclude=("is_available",)),
        Audited("repairs.FeeRule"),  # 网点服务费规则: ended, never edited after use
        Audited("repairs.OemCustomer"),  # 车厂客户 and its stores (issue 22)
        Audited("repairs.OemStore"),
        Audited("repairs.CollectionPolicy"),  # 收款账期 (issue 22)
        # issue 22: the money rules (chains, limits, threshold and reminder days)
        Audited("repairs.MoneyChainTemplate"),
        Audited("repairs.MoneyStepTemplate"),
        Audited("repairs.MoneyPolicy"),
        Audited("repairs.ExpenseLimit"),
    ),
)
