from decimal import Decimal

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Q
from django.db.models.fields.json import KT
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from service_ops.i18n import data_text, render


class LimitUnit(models.TextChoices):
    WORKING_DAYS = "working_days", _("工作日")
    WORKING_HOURS = "working_hours", _("工作小时")
    CALENDAR_HOURS = "calendar_hours", _("自然小时")


class DeadlineStatus(models.TextChoices):
    RUNNING = "running", _("计时中")
    PAUSED = "paused", _("暂停")
    BREACHED = "breached", _("已超期")
    MET = "met", _("按时完成")
    LATE = "late", _("超期完成")
    CANCELLED = "cancelled", _("已取消")


OPEN_STATUSES = (DeadlineStatus.RUNNING, DeadlineStatus.PAUSED, DeadlineStatus.BREACHED)
SWEPT_STATUSES = (DeadlineStatus.RUNNING, DeadlineStatus.BREACHED)


class BallHolder(models.TextChoices):
    FACTORY = "factory", _("工厂")
    DEALER = "dealer", _("代理商")
    CUSTOMER = "customer", _("客户")
    SUPPLIER = "supplier", _("供应商")
    CARRIER = "carrier", _("承运商")


# The escalation chain speaks in these words besides role codes.
ASSIGNEE = "assignee"


class DeadlinePolicy(models.Model):
    """A time limit as data. Timers copy it when they start, so an edit never rewrites a running
    promise."""

    code = models.SlugField(_("代码"), max_length=64, unique=True)
    name = models.CharField(_("名称"), max_length=120)
    kind = models.CharField(
        _("对象类型"),
        max_length=64,
        db_index=True,
        help_text=_("处理超期的业务对象类型，例如 rma.approval_step"),
    )
    unit = models.CharField(_("单位"), max_length=16, choices=LimitUnit.choices)
    limit = models.DecimalField(_("时限"), max_digits=8, decimal_places=2)
    max_total = models.DecimalField(
        _("延长后的上限"),
        max_digits=8,
        decimal_places=2,
        null=True,
        blank=True,
        help_text=_("延期后的总时限不得超过此值（例如维修时限不超过 15 个工作日）"),
    )
    warn_before = models.DecimalField(
        _("提前预警"),
        max_digits=8,
        decimal_places=2,
        null=True,
        blank=True,
        help_text=_("剩余多少时提醒；留空：工作日时限提前 1 个工作日，小时时限剩余 25% 时"),
    )
    escalation_chain = models.JSONField(
        _("升级链"),
        default=list,
        blank=True,
        help_text=_('超期后依次通知的角色，例如 ["assignee", "repair_supervisor", "head_of_cs"]'),
    )
    escalation_interval = models.PositiveSmallIntegerField(_("升级间隔（工作日）"), default=1)
    is_active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("时限策略")
        verbose_name_plural = _("时限策略")
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(name="deadlinepolicy_limit_positive", condition=Q(limit__gt=0)),
        ]

    def __str__(self):
        return f"{self.name} ({self.limit} {self.get_unit_display()})"

    def effective_warn_before(self) -> Decimal:
        if self.warn_before is not None:
            return self.warn_before
        if self.unit == LimitUnit.WORKING_DAYS:
            return Decimal("1")
        return (self.limit * Decimal("0.25")).quantize(Decimal("0.01"))

    def snapshot(self) -> dict:
        return {
            "code": self.code,
            "kind": self.kind,
            "unit": self.unit,
            "limit": str(self.limit),
            "max_total": str(self.max_total) if self.max_total is not None else None,
            "warn_before": str(self.effective_warn_before()),
            "escalation_chain": list(self.escalation_chain or []),
            "escalation_interval": self.escalation_interval,
        }


class Deadline(models.Model):
    """One running timer of any process object (approval step, repair limit, quote consent…)."""

    policy = models.ForeignKey(DeadlinePolicy, on_delete=models.PROTECT, related_name="deadlines")
    policy_snapshot = models.JSONField(editable=False)
    kind = models.CharField(max_length=64, db_index=True, editable=False)
    label = models.CharField(_("说明"), max_length=200, blank=True)
    # What the system wrote, as msgids and parameters ({"label": …, "pause_reason": …}, see
    # service_ops.i18n), rendered in the reader's language; label and pause_reason keep the
    # zh-hans text. A key is absent for text typed by a person.
    texts = models.JSONField(null=True, blank=True, editable=False)
    # No separate index on owner_type or assignee: the composite indexes below start with them.
    # Every sweep rewrites its rows' index entries, so each spare index costs there.
    owner_type = models.ForeignKey(ContentType, on_delete=models.CASCADE, db_index=False)
    owner_id = models.PositiveBigIntegerField()
    owner = GenericForeignKey("owner_type", "owner_id")
    org_unit = models.ForeignKey(
        "network.OrgUnit",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        help_text=_("升级链中的角色按此组织查找"),
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="deadlines",
        verbose_name=_("责任人"),
        db_index=False,
    )
    status = models.CharField(
        _("状态"), max_length=10, choices=DeadlineStatus.choices, default=DeadlineStatus.RUNNING
    )
    started_at = models.DateTimeField(_("开始"))
    due_at = models.DateTimeField(_("到期"))
    warn_at = models.DateTimeField(_("预警"))
    # The next warning, breach or escalation moment; NULL when nothing more is to fire.
    next_action_at = models.DateTimeField(null=True, blank=True)
    # Bumped when an extension reopens a breached timer, so its levels can fire again.
    cycle = models.PositiveSmallIntegerField(default=0, editable=False)
    level = models.PositiveSmallIntegerField(
        _("升级级别"), default=0, help_text=_("0 未触发，1 已预警，2 已超期，3 起逐级升级")
    )
    extension = models.DecimalField(_("延长"), max_digits=8, decimal_places=2, default=0)
    extension_reason = models.CharField(_("延期原因"), max_length=200, blank=True)
    paused_at = models.DateTimeField(_("暂停于"), null=True, blank=True)
    pause_reason = models.CharField(_("暂停原因"), max_length=200, blank=True)
    ball_holder = models.CharField(
        _("等待方"), max_length=10, choices=BallHolder.choices, blank=True
    )
    paused_credit = models.DecimalField(
        _("暂停补偿"),
        max_digits=16,
        decimal_places=6,
        default=0,
        help_text=_("暂停期间按策略单位累计补回的时间（小时精确到秒）"),
    )
    paused_seconds = models.PositiveBigIntegerField(_("暂停总时长（秒）"), default=0)
    breached_at = models.DateTimeField(_("超期于"), null=True, blank=True)
    closed_at = models.DateTimeField(_("结束于"), null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    # The first role of the copied escalation chain: who an unassigned timer waits for (我的工作).
    # Computed by the database from the snapshot, which never changes after the start, so a
    # plain indexed column replaces a JSON path read on every open timer.
    waiting_role = models.GeneratedField(
        expression=KT("policy_snapshot__escalation_chain__0"),
        output_field=models.CharField(max_length=40, null=True),
        db_persist=True,
    )

    class Meta:
        verbose_name = _("时限")
        verbose_name_plural = _("时限")
        indexes = [
            # The sweep's only index: running (and breached, still escalating) rows. An index that
            # also covered paused rows made an empty sweep grow with them.
            models.Index(
                fields=["next_action_at"],
                name="deadline_due_open",
                condition=Q(status__in=["running", "breached"]),
            ),
            models.Index(fields=["owner_type", "owner_id"], name="deadline_owner"),
            models.Index(fields=["assignee", "status"], name="deadline_assignee_status"),
            # 我的工作: open unassigned timers by the role they wait for, in the caller's units
            models.Index(
                fields=["waiting_role", "org_unit"],
                name="deadline_waiting_role",
                condition=Q(status__in=["running", "paused", "breached"], assignee__isnull=True),
            ),
            # Boards and queues rank thousands of owners by their open timers: a small index
            # (open rows only) that answers (owner, kind, status, due) without the table.
            models.Index(
                fields=["owner_type", "owner_id"],
                include=["kind", "status", "due_at"],
                name="deadline_open_owner",
                condition=Q(status__in=["running", "paused", "breached"]),
            ),
            # Overdue lists (a kind's breached timers, most overdue first): without it PostgreSQL
            # intersected the kind's million rows with the open ones (30 ms at a million orders).
            models.Index(
                fields=["kind", "due_at"],
                name="deadline_breached_kind",
                condition=Q(status="breached"),
            ),
            # The SLA dashboard's refresh (service_ops.dashboards) reads the days' closed timers
            # with a verdict: only closed rows enter it, so the sweep's updates never touch it.
            # With the verdict beside it, the dashboard's "met / late in 30 days" lists count
            # from the index alone: PostgreSQL counted them by a sequential scan of the table
            # (5 ms, or 200–400 ms when those pages were not in memory, at a million orders).
            models.Index(
                fields=["closed_at"],
                include=["status"],
                name="deadline_closed_verdict",
                condition=Q(status__in=["met", "late"]),
            ),
        ]

    def __str__(self):
        return self.label_text or f"{self.kind}#{self.owner_id}"

    @property
    def label_text(self) -> str:
        """The label in the reader's (the active) language."""
        return render(self.label, (self.texts or {}).get("label"))

    @property
    def pause_reason_text(self) -> str:
        return render(self.pause_reason, (self.texts or {}).get("pause_reason"))

    @property
    def extension_reason_text(self) -> str:
        return render(self.extension_reason, (self.texts or {}).get("extension_reason"))

    @property
    def policy_name(self) -> str:
        """The policy's name in the reader's language (a seeded name through the catalogue)."""
        return str(data_text(self.policy.name))

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def unit(self) -> str:
        return self.policy_snapshot["unit"]

    def time_left(self, now=None):
        from service_ops.workcalendar.clock import time_left

        return time_left(now or timezone.now(), self.due_at)


class DeadlinePause(models.Model):
    deadline = models.ForeignKey(Deadline, on_delete=models.CASCADE, related_name="pauses")
    paused_at = models.DateTimeField(_("暂停于"))
    resumed_at = models.DateTimeField(_("恢复于"), null=True, blank=True)
    reason = models.CharField(_("原因"), max_length=200)
    reason_i18n = models.JSONField(null=True, blank=True, editable=False)  # service_ops.i18n
    ball_holder = models.CharField(_("等待方"), max_length=10, choices=BallHolder.choices)
    credited = models.DecimalField(_("补回"), max_digits=16, decimal_places=6, default=0)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )

    class Meta:
        verbose_name = _("暂停记录")
        verbose_name_plural = _("暂停记录")
        ordering = ["paused_at"]

    @property
    def reason_text(self) -> str:
        return render(self.reason, self.reason_i18n)


class DeadlineAction(models.Model):
    """One fired level of one timer. The unique constraint makes each warning and escalation happen
    once, even when sweeps overlap or a worker dies mid-batch."""

    # Indexed by the unique constraint, which starts with it.
    deadline = models.ForeignKey(
        Deadline, on_delete=models.CASCADE, related_name="actions", db_index=False
    )
    cycle = models.PositiveSmallIntegerField(default=0)
    level = models.PositiveSmallIntegerField()
    fired_at = models.DateTimeField()

    class Meta:
        verbose_name = _("时限动作")
        verbose_name_plural = _("时限动作")
        constraints = [
            models.UniqueConstraint(
                fields=["deadline", "cycle", "level"], name="deadlineaction_once"
            )
        ]


class DeadlineLog(models.Model):
    class Kind(models.TextChoices):
        START = "start", _("开始")
        PAUSE = "pause", _("暂停")
        RESUME = "resume", _("恢复")
        EXTEND = "extend", _("延期")
        RECOMPUTE = "recompute", _("日历变更重算")
        CLOSE = "close", _("结束")
        CANCEL = "cancel", _("取消")
        REASSIGN = "reassign", _("转交")
        # Written by the sweep, one per fired level (detail: the subject people were told).
        WARN = "warn", _("预警")
        BREACH = "breach", _("超期")
        ESCALATE = "escalate", _("超期升级")

    deadline = models.ForeignKey(Deadline, on_delete=models.CASCADE, related_name="log")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    at = models.DateTimeField(default=timezone.now)
    due_before = models.DateTimeField(null=True, blank=True)
    due_after = models.DateTimeField(null=True, blank=True)
    detail = models.CharField(max_length=255, blank=True)
    detail_i18n = models.JSONField(null=True, blank=True, editable=False)  # service_ops.i18n
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )

    class Meta:
        verbose_name = _("时限日志")
        verbose_name_plural = _("时限日志")
        ordering = ["at", "id"]

    @property
    def detail_text(self) -> str:
        return render(self.detail, self.detail_i18n)
