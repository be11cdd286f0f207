"""What the call centre adds to the platform so far: the callback (回访) timer and the hook other
processes call to ask for one (a shipped repair, later a closed complaint); the shifts (排班):
their pages in the menu and the leave, swap and hand-over tasks in 我的工作."""

from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from network.choices import Role
from service_ops.plugins import DeadlineKind, DefaultPolicy, NavItem, Plugin

CALLBACK_KIND = "callcenter.callback"
CALLBACK_POLICY = "callback-3wd"

SHIFT_PAGES = (
    "callcenter:roster",
    "callcenter:roster_day",
    "callcenter:my_shifts",
    "callcenter:leave_list",
    "callcenter:leave_new",
    "callcenter:leave_detail",
    "callcenter:swap_list",
    "callcenter:swap_new",
    "callcenter:swap_detail",
)

PLUGIN = Plugin(
    nav_items=(
        NavItem(
            "callcenter:activation_query_list",
            _("激活码查询"),
            "bi-key",
            order=960,
            roles=frozenset({Role.NETWORK_SPECIALIST, Role.HEAD_OF_CS}),
            more=True,
        ),
        # 排班 (seed 004): my shifts for the agents, the month roster for leads and supervisors
        NavItem(
            "callcenter:my_shifts",
            _("我的排班"),
            "bi-calendar-week",
            order=900,
            roles=frozenset({Role.CALL_AGENT}),
            related=SHIFT_PAGES,
        ),
        NavItem(
            "callcenter:roster",
            _("排班"),
            "bi-calendar3",
            order=901,
            roles=frozenset({Role.CALL_CENTRE_LEAD, Role.SUPERVISOR, Role.HEAD_OF_CS}),
            related=SHIFT_PAGES,
        ),
        NavItem(
            "callcenter:handover_list",
            _("交接班记录"),
            "bi-journal-text",
            order=902,
            roles=frozenset({Role.CALL_AGENT, Role.CALL_CENTRE_LEAD, Role.SUPERVISOR}),
            related=("callcenter:handover_new", "callcenter:handover_detail"),
            more=True,
        ),
    ),
    inbox_providers=(
        "callcenter.selectors.shifts.ShiftApprovalProvider",
        "callcenter.selectors.shifts.SwapConsentProvider",
        "callcenter.selectors.shifts.HandOverProvider",
    ),
    deadline_kinds=(
        DeadlineKind(
            CALLBACK_KIND,
            _("回访"),
            policies=(
                # DESIGN §2.3: every completed repair and closed complaint is called back within
                # 3 working days; unresolved work escalates to the head of customer service.
                DefaultPolicy(
                    code=CALLBACK_POLICY,
                    name=gettext_noop("回访（3 个工作日内）"),  # data; shown through the catalogue
                    limit=3,
                    escalation_chain=(Role.CALL_AGENT.value, Role.HEAD_OF_CS.value),
                ),
            ),
        ),
    ),
    hooks={"request_callback": "callcenter.hooks.request_callback"},
    api_urls="callcenter.api.urls",
    web_urls=("callcenter/", "callcenter.urls"),
    demo="callcenter.demo.load_demo",
    bench="callcenter.bench.BENCH",  # the SMS gateway's push (激活码查询)
)
