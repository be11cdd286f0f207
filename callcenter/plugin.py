"""What the call centre adds to the platform: the callback (回访) timer and the hook other
processes call to ask for one (a shipped repair, later a resolved complaint or a field visit),
the agents' queue and the supervisors' lists, installed customers' scheduled callbacks, the
callback reports and their weekly mail to the head of customer service; activation-code queries
by SMS with the network specialist's pages (registered numbers, the code store, prepaid balances
and top-ups) and the service points' partner API; the shifts (排班): their pages in the menu and
the leave, swap and hand-over tasks in 我的工作; the inbound call log (来电登记, the agent desk)
and its follow-ups (跟进事项) with their timers, the job that ends their waits, their 我的工作
entries and menu entries."""

from datetime import time

from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from network.choices import Role
from service_ops.plugins import (
    Audited,
    DeadlineKind,
    DefaultPolicy,
    NavItem,
    PeriodicJob,
    Plugin,
    Report,
    ReportMailing,
)

CALLBACK_KIND = "callcenter.callback"
CALLBACK_POLICY = "callback-3wd"
DISSATISFIED_POLICY = "callback-dissatisfied-3wd"
# A follow-up's reply: due when the agent promised (each timer gets its own limit, from the call
# to that moment, in calendar hours). The policy's own 4 hours only set the warning: 25 % of it,
# an hour before the due time. Breached → the assignee is chased; a working day later → 客服部部长.
FOLLOW_UP_KIND = "callcenter.follow_up"
FOLLOW_UP_POLICY = "follow-up-reply"
# The agent's call back once the reply is in: 4 working hours (same day for a reply before 14:00).
FOLLOW_UP_CALLBACK_KIND = "callcenter.follow_up_callback"
FOLLOW_UP_CALLBACK_POLICY = "follow-up-callback-4wh"

DESK_ROLES = frozenset(
    {Role.CALL_AGENT, Role.CALL_CENTRE_LEAD, Role.EXPERT_AGENT, Role.HEAD_OF_CS, Role.SUPERVISOR}
)
CALL_READERS = DESK_ROLES | {Role.COMPLAINT_TEAM}


AGENTS = frozenset({Role.CALL_AGENT, Role.CALL_CENTRE_LEAD, Role.EXPERT_AGENT})
SUPERVISORS = frozenset({Role.CALL_CENTRE_LEAD, Role.HEAD_OF_CS, Role.SUPERVISOR})

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
ACTIVATION_STAFF = frozenset({Role.NETWORK_SPECIALIST, Role.HEAD_OF_CS})

PLUGIN = Plugin(
    periodic_jobs=(
        # 等待至某日: a waiting follow-up's timer resumes on its date
        PeriodicJob(
            name="resume-follow-ups",
            task="callcenter.tasks.resume_follow_ups",
            run="callcenter.services.followups.follow_ups_resume_due",
            every=300,
        ),
        # browser imports of activation codes nobody is running (a lost nudge, a killed worker)
        PeriodicJob(
            name="resume-code-imports",
            task="callcenter.tasks.resume_code_imports",
            run="callcenter.services.codes.code_import_resume",
            every=300,
        ),
        # Installed customers: the 1-week / 1 / 3 / 6 / 12-month callbacks whose day has come.
        PeriodicJob(
            name="callback-installations",
            task="callcenter.tasks.installation_callbacks",
            run="callcenter.services.callbacks.installation_callbacks_due",
            at=time(7, 30),
        ),
        # Seed 002: 每个礼拜上交一次回访满意度报表 — Monday morning, last week's figures.
        PeriodicJob(
            name="callback-weekly-report",
            task="callcenter.tasks.weekly_callback_report",
            run="callcenter.services.callbacks.weekly_report_send",
            at=time(9, 0),
            weekdays=(0,),
        ),
    ),
    nav_items=(
        NavItem(
            "callcenter:call_desk",
            _("来电登记"),
            "bi-headset",
            order=880,
            roles=DESK_ROLES,
        ),
        NavItem(
            "callcenter:call_list",
            _("来电记录"),
            "bi-telephone-inbound",
            order=885,
            roles=CALL_READERS,
            related=("callcenter:call_detail",),
        ),
        NavItem(
            "callcenter:follow_up_list",
            _("跟进事项"),
            "bi-arrow-repeat",
            order=890,
            roles=CALL_READERS,
            related=("callcenter:follow_up_detail", "callcenter:follow_up_act"),
        ),
        NavItem(
            "callcenter:callback_queue",
            _("回访"),
            "bi-telephone-outbound",
            order=900,
            roles=AGENTS,
            related=("callcenter:callback_detail",),
        ),
        NavItem(
            "callcenter:callback_list",
            _("回访任务"),
            "bi-list-check",
            order=905,
            roles=SUPERVISORS,
            related=(
                "callcenter:callback_detail",
                "callcenter:callback_lists",
                "callcenter:callback_list_new",
            ),
        ),
        NavItem(
            "callcenter:overview",
            _("呼叫中心概览"),
            "bi-speedometer2",
            order=899,
            roles=SUPERVISORS,
        ),
        NavItem(
            "callcenter:callback_report",
            _("回访统计"),
            "bi-graph-up",
            order=910,
            roles=SUPERVISORS,
            more=True,
        ),
        NavItem(
            "callcenter:installation_list",
            _("安装客户"),
            "bi-house-gear",
            order=915,
            roles=AGENTS | SUPERVISORS,
            related=("callcenter:installation_create",),
            more=True,
        ),
        NavItem(
            "callcenter:activation_query_list",
            _("激活码查询"),
            "bi-key",
            order=960,
            roles=ACTIVATION_STAFF,
            more=True,
        ),
        NavItem(
            "callcenter:number_list",
            _("登记号码"),
            "bi-phone",
            order=961,
            roles=ACTIVATION_STAFF,
            more=True,
            related=("callcenter:number_create", "callcenter:number_edit"),
        ),
        NavItem(
            "callcenter:code_list",
            _("激活码库"),
            "bi-upc-scan",
            order=962,
            roles=ACTIVATION_STAFF,
            more=True,
            related=("callcenter:code_import", "callcenter:code_import_status"),
        ),
        NavItem(
            "callcenter:prepaid_unit_list",
            _("预存款充值"),
            "bi-wallet2",
            order=963,
            roles=ACTIVATION_STAFF,
            more=True,
            related=("callcenter:prepaid_ledger", "callcenter:prepaid_top_up"),
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
        "callcenter.selectors.callbacks.CallbackProvider",
        "callcenter.selectors.calls.FollowUpProvider",
    ),
    deadline_kinds=(
        DeadlineKind(
            CALLBACK_KIND,
            _("回访"),
            list_url="callcenter:callback_list",
            policies=(
                # DESIGN §2.3: every completed repair and closed complaint is called back within
                # 3 working days; unresolved work escalates to the head of customer service.
                DefaultPolicy(
                    code=CALLBACK_POLICY,
                    name=gettext_noop("回访（3 个工作日内）"),  # data; shown through the catalogue
                    limit=3,
                    escalation_chain=(Role.CALL_AGENT.value, Role.HEAD_OF_CS.value),
                ),
                # The second callback after a dissatisfied answer (不满意二次回访).
                DefaultPolicy(
                    code=DISSATISFIED_POLICY,
                    name=gettext_noop("不满意二次回访（3 个工作日内）"),
                    limit=3,
                    escalation_chain=(Role.CALL_AGENT.value, Role.HEAD_OF_CS.value),
                ),
            ),
            # 我的工作 lists callbacks with their task (CallbackProvider), not as bare timers.
            in_timer_inbox=False,
        ),
        # Listed in 我的工作 with their follow-up (FollowUpProvider), not as bare timers.
        DeadlineKind(
            FOLLOW_UP_KIND,
            _("跟进回复"),
            list_url="callcenter:follow_up_list",
            policies=(
                DefaultPolicy(
                    code=FOLLOW_UP_POLICY,
                    name=gettext_noop("跟进事项回复（按约定时间）"),
                    limit=4,
                    unit="calendar_hours",
                    escalation_chain=("assignee", Role.HEAD_OF_CS.value),
                ),
            ),
            in_timer_inbox=False,
        ),
        DeadlineKind(
            FOLLOW_UP_CALLBACK_KIND,
            _("跟进回电"),
            list_url="callcenter:follow_up_list",
            policies=(
                DefaultPolicy(
                    code=FOLLOW_UP_CALLBACK_POLICY,
                    name=gettext_noop("收到回复后回电客户（4 个工作小时）"),
                    limit=4,
                    unit="working_hours",
                    escalation_chain=(
                        "assignee",
                        Role.CALL_CENTRE_LEAD.value,
                        Role.HEAD_OF_CS.value,
                    ),
                ),
            ),
            in_timer_inbox=False,
        ),
    ),
    hooks={
        "request_callback": "callcenter.hooks.request_callback",
        "serial_timeline": "callcenter.hooks.serial_timeline",
        # issue 21: how the callbacks on another app's records ended (its reports count them)
        "callback_outcomes": "callcenter.hooks.callback_outcomes",
    },
    seed_defaults="callcenter.defaults.seed_defaults",
    api_urls="callcenter.api.urls",
    web_urls=("callcenter/", "callcenter.urls"),
    demo="callcenter.demo.load_demo",
    bench="callcenter.bench.BENCH",  # codes, callbacks, shifts: data, pages and partner API
    # The platform's /reports/ index (issue 21); seed 002's weekly satisfaction report also goes
    # out as Excel on Monday morning (the summary notice above links to the page).
    reports=(
        Report(
            "callcenter.callbacks",
            _("回访统计"),
            "callcenter:callback_report",
            description=_("接通率、有效率与满意度，按部门和月份"),
            icon="bi-graph-up",
            allowed="callcenter.plugin.may_read_callback_report",
            export="callcenter.exports.export_callback_report",
            mailings=(
                ReportMailing(
                    "callcenter-weekly-satisfaction",
                    params="callcenter.exports.last_week_params",
                    roles=frozenset({Role.HEAD_OF_CS}),
                    weekdays=(0,),
                    label=_("回访满意度周报"),
                ),
            ),
        ),
        Report(
            "callcenter.overview",
            _("呼叫中心概览"),
            "callcenter:overview",
            description=_("来电、回访与坐席的当日和近期数字"),
            icon="bi-speedometer2",
            roles=SUPERVISORS,
        ),
    ),
    audited=(
        Audited("callcenter.CallbackRules", exclude=("updated_at",)),
        # the numbers activation-code queries are accepted from: who registered, moved or
        # deactivated which number, and when
        Audited("callcenter.RegisteredNumber"),
    ),
)


def may_read_callback_report(user) -> bool:
    """Who opens the callback report (callcenter.views.reports)."""
    from .permissions import may_assign_callbacks, may_read_callbacks

    return may_assign_callbacks(user=user) or may_read_callbacks(user)
