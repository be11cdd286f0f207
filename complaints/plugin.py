"""What the complaint closed loop (客诉闭环, issue 18, DESIGN §2.4) adds to the platform: the stage
timers with their escalation up the chain of authority, the desk in the menu, and the hook the
call centre hands complaints over through.

Stage limits (issue 18 item 3; seed 001: a solution within 72 hours; seed 003: a stage past its
response limit escalates automatically to a higher authority): each stage is a policy per
severity, because a major complaint's chain goes one level higher (to senior management). The
engine fires the warning and the breach to the handler, then one level per further chain entry,
each once, a working day apart (service_ops/deadlines/timing.py)."""

from datetime import time

from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from network.choices import Role
from service_ops.plugins import (
    DeadlineKind,
    DefaultPolicy,
    NavItem,
    PeriodicJob,
    Plugin,
    Report,
)

from . import permissions as perms
from .choices import Severity, Stage

STAGE_KIND = "complaints.stage"
# 信息反馈 (issue 18 item 5): the development department's reply. 5 working days is our default
# (the seeds give no number); the policy row is editable. Breached: the complaint supervisor, who
# chases development; a working day later the head of customer service.
FEEDBACK_KIND = "complaints.feedback"
FEEDBACK_REPLY_POLICY = "complaint-feedback-reply"

ORDINARY_CHAIN = ("assignee", perms.COMPLAINT_SUPERVISOR, perms.EXECUTIVE_MANAGER)
MAJOR_CHAIN = (*ORDINARY_CHAIN, perms.SENIOR_MANAGEMENT)

# (stage, limit, unit, name) — the names are data, shown through the catalogue.
STAGE_LIMITS = (
    # 受理确认当天: the service gives each timer the hours to the day's cut-off (see services).
    (Stage.ACKNOWLEDGE, 8, "calendar_hours", gettext_noop("客诉受理确认（当个工作日内）")),
    (Stage.JUDGE, 1, "working_days", gettext_noop("客诉判断（1 个工作日内）")),
    (Stage.SOLUTION, 72, "calendar_hours", gettext_noop("客诉提出方案（受理后 72 小时内）")),
    (Stage.APPROVAL, 1, "working_days", gettext_noop("客诉方案审批（1 个工作日内）")),
    # 实施: due on the date the chosen solution promises (the service gives the timer its limit).
    (Stage.IMPLEMENTATION, 72, "calendar_hours", gettext_noop("客诉方案实施（按方案承诺日期）")),
    (Stage.CALLBACK, 3, "working_days", gettext_noop("客诉回访（客户确认后 3 个工作日内）")),
)


def policy_code(stage: str, severity: str) -> str:
    return f"complaint-{stage}" + ("-major" if severity == Severity.MAJOR else "")


def _policies():
    for stage, limit, unit, name in STAGE_LIMITS:
        yield DefaultPolicy(
            code=policy_code(stage, Severity.ORDINARY),
            name=name,
            limit=limit,
            unit=unit,
            escalation_chain=ORDINARY_CHAIN,
        )
        yield DefaultPolicy(
            code=policy_code(stage, Severity.MAJOR),
            name=name,  # the same stage; its chain reaches senior management
            limit=limit,
            unit=unit,
            escalation_chain=MAJOR_CHAIN,
        )


PLUGIN = Plugin(
    periodic_jobs=(
        # 信息反馈: a pattern of repairs of one model with the same fault becomes feedback
        PeriodicJob(
            name="complaints-repair-patterns",
            task="complaints.tasks.detect_repair_patterns",
            run="complaints.services.feedback.feedback_detect_repair_patterns",
            at=time(6, 30),
        ),
    ),
    inbox_providers=("complaints.selectors.penalties.PenaltyDecisionProvider",),
    nav_items=(
        NavItem(
            "complaints:desk",
            _("客诉"),
            "bi-megaphone",
            order=420,
            roles=frozenset(perms.DESK_ROLES | {Role.CALL_CENTRE_LEAD.value}),
            related=("complaints:new", "complaints:detail", "complaints:serial_timeline"),
        ),
        NavItem(
            "complaints:statistics",
            _("客诉统计"),
            "bi-bar-chart-line",
            order=422,
            roles=perms.STATISTICS_ROLES,
            more=True,
        ),
        NavItem(
            "complaints:penalty_list",
            _("客诉处罚台账"),
            "bi-journal-x",
            order=421,
            roles=perms.LEDGER_ROLES,
            related=("complaints:penalty_detail", "complaints:ledger"),
            more=True,
        ),
        NavItem(
            "complaints:feedback_list",
            _("信息反馈"),
            "bi-chat-square-text",
            order=422,
            roles=perms.DESK_ROLES,
            related=("complaints:feedback_detail",),
            more=True,
        ),
    ),
    deadline_kinds=(
        DeadlineKind(
            STAGE_KIND,
            _("客诉阶段"),
            list_url="complaints:desk",
            policies=tuple(_policies()),
            handler="complaints.services.stages.STAGE_HANDLER",
        ),
        DeadlineKind(
            FEEDBACK_KIND,
            _("信息反馈回复"),
            list_url="complaints:feedback_list",
            policies=(
                DefaultPolicy(
                    code=FEEDBACK_REPLY_POLICY,
                    name=gettext_noop("开发部回复信息反馈（5 个工作日内）"),
                    limit=5,
                    escalation_chain=(perms.COMPLAINT_SUPERVISOR, perms.EXECUTIVE_MANAGER),
                ),
            ),
        ),
    ),
    hooks={
        "open_complaint": "complaints.hooks.open_complaint",
        # the per-serial timeline: each app answers with its own records of the serial
        "serial_timeline": "complaints.hooks.serial_timeline",
        "caller_history": "complaints.hooks.caller_history",
        "service_point_facts": "complaints.hooks.service_point_facts",
        # issue 21: the supervisors' reports of repairs (penalties, technicians' evaluation)
        "penalty_summary": "complaints.hooks.penalty_summary",
        "person_complaints": "complaints.hooks.person_complaints",
    },
    web_urls=("complaints/", "complaints.urls"),
    api_urls="complaints.api.urls",
    demo="complaints.demo.load_demo",
    bench="complaints.bench.BENCH",
    reports=(
        Report(
            "complaints.statistics",
            _("客诉统计"),
            "complaints:statistics",
            description=_("按类别、渠道、责任部门和月份，含处理时效"),
            icon="bi-bar-chart-line",
            allowed="complaints.permissions.may_read_statistics",
            export="complaints.exports.export_statistics",
        ),
    ),
)
