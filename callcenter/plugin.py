"""What the call centre adds to the platform: the callback (回访) timer and the hook other
processes call to ask for one (a shipped repair, later a closed complaint); activation-code
queries; the inbound call log (来电登记, the agent desk) and its follow-ups (跟进事项) with their
timers, the job that ends their waits, their 我的工作 entries and menu entries."""

from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from network.choices import Role
from service_ops.plugins import DeadlineKind, DefaultPolicy, NavItem, PeriodicJob, Plugin

CALLBACK_KIND = "callcenter.callback"
CALLBACK_POLICY = "callback-3wd"
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

PLUGIN = Plugin(
    periodic_jobs=(
        # 等待至某日: a waiting follow-up's timer resumes on its date
        PeriodicJob(
            name="resume-follow-ups",
            task="callcenter.tasks.resume_follow_ups",
            run="callcenter.services.followups.follow_ups_resume_due",
            every=300,
        ),
    ),
    nav_items=(
        NavItem(
            "callcenter:call_desk",
            _("来电登记"),
            "bi-headset",
            order=900,
            roles=DESK_ROLES,
        ),
        NavItem(
            "callcenter:call_list",
            _("来电记录"),
            "bi-telephone-inbound",
            order=905,
            roles=CALL_READERS,
            related=("callcenter:call_detail",),
        ),
        NavItem(
            "callcenter:follow_up_list",
            _("跟进事项"),
            "bi-arrow-repeat",
            order=910,
            roles=CALL_READERS,
            related=("callcenter:follow_up_detail", "callcenter:follow_up_act"),
        ),
        NavItem(
            "callcenter:activation_query_list",
            _("激活码查询"),
            "bi-key",
            order=960,
            roles=frozenset({Role.NETWORK_SPECIALIST, Role.HEAD_OF_CS}),
            more=True,
        ),
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
        # Listed in 我的工作 with their follow-up (FollowUpProvider), not as bare timers.
        DeadlineKind(
            FOLLOW_UP_KIND,
            _("跟进回复"),
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
    inbox_providers=("callcenter.selectors.calls.FollowUpProvider",),
    hooks={"request_callback": "callcenter.hooks.request_callback"},
    api_urls="callcenter.api.urls",
    web_urls=("callcenter/", "callcenter.urls"),
    demo="callcenter.demo.load_demo",
    bench="callcenter.bench.BENCH",  # the SMS gateway's push (激活码查询)
)
