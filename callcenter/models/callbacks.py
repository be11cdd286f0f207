"""Callbacks (回访), DESIGN §2.3 and seeds 001/002/004.

A `CallbackRequest` is one worked callback task: created by other processes through the
`request_callback` hook (a shipped repair, a resolved complaint, a field visit), by the daily
installation job (1 week / 1 / 3 / 6 / 12 months), by a supervisor's list or by a dissatisfied
answer (不满意二次回访). Its promise is a `callcenter.callback` timer of the deadline engine
(owner = this row). Agents work it from a queue that offers only what may be called now
(`CallbackRules`: calling windows, the customer's own time, spacing of retries); each call is a
`CallbackAttempt` with its call result, and the business result (satisfaction, comments, valid
or invalid) is the task's, written once when the customer was reached."""

from __future__ import annotations

import re
from datetime import datetime, time

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMField, FSMModelMixin, transition

from service_ops.i18n import choice_label
from service_ops.reversing import reverse_id

from ..choices import (
    OPEN_CALLBACK_STATES,
    CallbackPurpose,
    CallbackState,
    CallResult,
    CloseReason,
    Satisfaction,
)
from ..permissions import (
    is_assignee,
    may_assign_callbacks,
    may_take_callbacks,
    system_only,
)

WINDOW_RE = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")


def parse_windows(text: str) -> list[tuple[time, time]]:
    """ "10:00-11:30, 14:30-17:30" → [(10:00, 11:30), (14:30, 17:30)]; ValueError when malformed."""
    windows = []
    for part in re.split(r"[,，;；\s]+(?=\d)", (text or "").strip()):
        if not part.strip():
            continue
        match = WINDOW_RE.match(part)
        if not match:
            raise ValueError(part)
        h1, m1, h2, m2 = (int(g) for g in match.groups())
        start, end = time(h1, m1), time(h2, m2)
        if not start < end:
            raise ValueError(part)
        windows.append((start, end))
    if not windows:
        raise ValueError(text)
    return sorted(windows)


class CallbackRules(models.Model):
    """The call centre's calling rules (one row, edited in the admin; every number is data).

    Defaults from the seeds: calls inside 10:00–11:30 and 14:30–17:30 on working days (seed 002's
    best times; seed 004's 一个避免: never in the customer's rest time — lunch, evenings, weekends
    and holidays), a not-reached call retried at most 3 times, 2 hours apart at least, and nobody
    surveyed twice within 30 days (a second callback after a dissatisfied answer excepted)."""

    windows = models.CharField(
        _("拨打时段"),
        max_length=120,
        default="10:00-11:30, 14:30-17:30",
        help_text=_("以逗号分隔，例如 10:00-11:30, 14:30-17:30"),
    )
    working_days_only = models.BooleanField(
        _("仅工作日拨打"), default=True, help_text=_("避免在客户休息日打扰（按公司日历）")
    )
    preferred_earliest = models.TimeField(
        _("客户约定时间最早"),
        default=time(9, 0),
        help_text=_("客户自己说的方便时间可在拨打时段之外，但不早于此时间"),
    )
    preferred_latest = models.TimeField(_("客户约定时间最晚"), default=time(21, 0))
    max_attempts = models.PositiveSmallIntegerField(
        _("最多拨打次数"), default=3, validators=[MinValueValidator(1), MaxValueValidator(10)]
    )
    retry_gap_minutes = models.PositiveIntegerField(
        _("重拨间隔（分钟）"), default=120, validators=[MinValueValidator(5)]
    )
    no_repeat_days = models.PositiveSmallIntegerField(
        _("免打扰天数"),
        default=30,
        help_text=_("同一客户在此天数内已回访过的，不再回访（不满意二次回访除外）"),
    )
    dissatisfied_at_most = models.PositiveSmallIntegerField(
        _("不满意阈值"),
        default=2,
        validators=[MinValueValidator(1), MaxValueValidator(4)],
        help_text=_("满意度小于等于此值视为不满意：二次回访、关怀短信、通知责任部门"),
    )
    care_sms = models.CharField(
        _("关怀短信内容"),
        max_length=300,
        default=(
            "尊敬的%(name)s，感谢您接受回访。给您带来的不便我们深表歉意，相关部门将尽快处理，"
            "并会再次与您联系。"
        ),
        help_text=_("可用 %(name)s 代表客户称呼"),
    )
    updated_at = models.DateTimeField(_("修改时间"), auto_now=True)

    class Meta:
        verbose_name = _("回访规则")
        verbose_name_plural = _("回访规则")

    def __str__(self):
        return str(_("回访规则"))

    @classmethod
    def current(cls) -> CallbackRules:
        rules = cls.objects.order_by("pk").first()
        return rules if rules is not None else cls.objects.create()

    def clean(self):
        try:
            parse_windows(self.windows)
        except ValueError as exc:
            raise ValidationError({"windows": _("拨打时段格式不正确：%(v)s") % {"v": exc}}) from exc
        if not self.preferred_earliest < self.preferred_latest:
            raise ValidationError({"preferred_latest": _("最晚时间须晚于最早时间")})
        try:
            self.care_sms % {"name": "x"}
        except (KeyError, ValueError, TypeError) as exc:
            raise ValidationError({"care_sms": _("短信内容中只能使用 %(name)s")}) from exc

    def window_list(self) -> list[tuple[time, time]]:
        try:
            return parse_windows(self.windows)
        except ValueError:  # a stored value never crashes a later step: fall back to the seeds'
            return [(time(10, 0), time(11, 30)), (time(14, 30), time(17, 30))]


class CallbackListQuerySet(models.QuerySet):
    def visible_to(self, user):
        from ..selectors.lists import lists_visible_to

        return lists_visible_to(user, self)


class CallbackList(models.Model):
    """A supervisor's callback list (专项回访名单): customers chosen by filters, one task each
    (purpose 专项回访, `CallbackRequest.batch` = this list). A customer may be on many lists (one
    task per list), never twice on the same one."""

    name = models.CharField(_("名单名称"), max_length=100)
    note = models.TextField(
        _("回访主题说明"),
        max_length=1000,
        blank=True,
        help_text=_("与话术一起显示给坐席：本次回访的目的和要问的问题"),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("创建人"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)
    org_unit = models.ForeignKey(
        "network.OrgUnit",
        verbose_name=_("所属单位"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("创建人所在单位（谁能看到这个名单）"),
    )
    filters = models.JSONField(_("筛选条件"), default=dict, blank=True)
    size = models.PositiveIntegerField(_("客户数"), default=0)

    objects = CallbackListQuerySet.as_manager()

    class Meta:
        verbose_name = _("回访名单")
        verbose_name_plural = _("回访名单")
        ordering = ["-id"]
        indexes = [models.Index(fields=["org_unit", "-id"], name="callbacklist_org_unit")]

    def __str__(self):
        return f"{self.number} {self.name}"

    def get_absolute_url(self):
        return reverse("callcenter:callback_list") + f"?batch={self.pk}"

    @property
    def number(self) -> str:
        return f"MD{self.pk:06d}" if self.pk else "MD"


class CallbackQuerySet(models.QuerySet):
    def visible_to(self, user):
        from ..selectors.callbacks import callbacks_visible_to

        return callbacks_visible_to(user, self)

    def open(self):
        return self.filter(state__in=OPEN_CALLBACK_STATES)


class CallbackRequest(FSMModelMixin, models.Model):
    """A callback task (回访任务). Created through `callcenter.hooks.request_callback`, idempotent
    per (subject, purpose); a supervisor's list task (专项回访) once per (list, subject) instead, so
    a customer may be on this quarter's list and next quarter's."""

    subject_type = models.ForeignKey(ContentType, on_delete=models.CASCADE)
    subject_id = models.PositiveBigIntegerField()
    subject = GenericForeignKey("subject_type", "subject_id")
    purpose = models.CharField(_("回访目的"), max_length=40, choices=CallbackPurpose.choices)
    contact_name = models.CharField(_("联系人"), max_length=60, blank=True)
    # normal form (callcenter.phones): the caller's history finds the callbacks of a number
    contact_phone = models.CharField(_("电话"), max_length=40, blank=True, db_index=True)
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)

    state = FSMField(
        _("状态"),
        max_length=16,
        choices=CallbackState.choices,
        default=CallbackState.PENDING,
        protected=True,
    )
    customer = models.ForeignKey(
        "callcenter.Customer",
        verbose_name=_("客户"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="callbacks",
    )
    org_unit = models.ForeignKey(
        "network.OrgUnit",
        verbose_name=_("所属单位"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("回访对象所属的分公司或部门（统计用）"),
    )
    parent = models.ForeignKey(
        "self",
        verbose_name=_("原回访"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="followups",
    )
    note = models.CharField(_("说明"), max_length=200, blank=True)
    batch = models.ForeignKey(
        CallbackList,
        verbose_name=_("回访名单"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="tasks",
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("坐席"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="callbacks",
    )
    assigned_at = models.DateTimeField(_("分配时间"), null=True, blank=True)
    # Copied from the timer when it starts: the queue's order (the timer stays the promise).
    due_at = models.DateTimeField(_("应回访时间"), null=True, blank=True)
    # The time of day the customer said suits them (一个避免: their rest time is not it).
    preferred_from = models.TimeField(_("方便接听（起）"), null=True, blank=True)
    preferred_to = models.TimeField(_("方便接听（止）"), null=True, blank=True)
    next_attempt_at = models.DateTimeField(_("最早下次拨打"), null=True, blank=True)
    attempt_count = models.PositiveSmallIntegerField(_("已拨打次数"), default=0)

    # The business result: written once, when the customer was reached.
    reached_at = models.DateTimeField(_("接通时间"), null=True, blank=True)
    satisfaction = models.PositiveSmallIntegerField(
        _("满意度"), null=True, blank=True, choices=Satisfaction.choices
    )
    comments = models.TextField(_("客户意见"), blank=True, max_length=2000)
    is_valid = models.BooleanField(_("有效回访"), null=True, blank=True)
    invalid_reason = models.CharField(_("无效原因"), max_length=200, blank=True)
    closed_at = models.DateTimeField(_("关闭时间"), null=True, blank=True)
    close_reason = models.CharField(
        _("关闭原因"), max_length=24, choices=CloseReason.choices, blank=True
    )

    objects = CallbackQuerySet.as_manager()

    class Meta:
        verbose_name = _("回访任务")
        verbose_name_plural = _("回访任务")
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["subject_type", "subject_id", "purpose"],
                name="callbackrequest_once_per_purpose",
                condition=~Q(purpose="supervisor_list"),
            ),
            models.UniqueConstraint(
                fields=["batch", "subject_type", "subject_id"],
                name="callbackrequest_once_per_list",
                condition=Q(batch__isnull=False),
            ),
            models.CheckConstraint(
                name="callbackrequest_satisfaction_1_to_5",
                condition=Q(satisfaction__isnull=True)
                | Q(satisfaction__gte=1, satisfaction__lte=5),
            ),
        ]
        indexes = [
            # the agents' queue: open tasks by due time (the callable filter runs on few rows)
            models.Index(
                fields=["due_at", "id"],
                name="callback_open_due",
                condition=Q(state__in=["pending", "assigned"]),
            ),
            models.Index(fields=["assignee", "state"], name="callback_assignee_state"),
            # the supervisors' list, newest first, by state, purpose or unit
            models.Index(fields=["state", "-id"], name="callback_state"),
            models.Index(fields=["purpose", "-id"], name="callback_purpose"),
            models.Index(fields=["org_unit", "-id"], name="callback_org_unit"),
            # a list's tasks and its progress
            models.Index(
                fields=["batch", "state"],
                name="callback_batch_state",
                condition=Q(batch__isnull=False),
            ),
            # "not surveyed twice within N days" and the customer's history
            models.Index(fields=["customer", "reached_at"], name="callback_customer_reached"),
            # reports: closed tasks by the time they closed
            models.Index(
                fields=["closed_at"],
                name="callback_closed_at",
                condition=Q(closed_at__isnull=False),
            ),
        ]

    def __str__(self):
        return f"{self.number} {choice_label(self, 'purpose')} {self.contact_name}".strip()

    def get_absolute_url(self):
        return reverse_id("callcenter:callback_detail", self.pk)

    @property
    def number(self) -> str:
        return f"HF{self.pk:08d}" if self.pk else "HF"

    @property
    def state_colour(self) -> str:
        return CallbackState.colour_of(self.state)

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_CALLBACK_STATES

    @property
    def is_dissatisfied_followup(self) -> bool:
        return self.purpose == CallbackPurpose.DISSATISFIED

    @property
    def deadline(self):
        from service_ops.deadlines.services import open_deadlines_of

        from ..plugin import CALLBACK_KIND

        return open_deadlines_of(self, kind=CALLBACK_KIND).first()

    def promised_at(self):
        """The open timer's due time, else the copy taken when it started."""
        deadline = self.deadline
        return deadline.due_at if deadline else self.due_at

    # --- transitions (run only through callcenter.services.callbacks) ------------------------
    @transition(
        field=state,
        source=[CallbackState.PENDING, CallbackState.ASSIGNED],
        target=CallbackState.ASSIGNED,
        permission=may_assign_callbacks,
    )
    def assign(self, *, assignee, at: datetime):
        self.assignee = assignee
        self.assigned_at = at

    @transition(
        field=state,
        source=[CallbackState.PENDING, CallbackState.ASSIGNED],
        target=CallbackState.ASSIGNED,
        permission=may_take_callbacks,
    )
    def take(self, *, agent, at: datetime):
        self.assignee = agent
        self.assigned_at = at

    @transition(
        field=state,
        source=CallbackState.ASSIGNED,
        target=CallbackState.ASSIGNED,
        permission=is_assignee,
    )
    def retry_later(self, *, next_attempt_at: datetime):
        self.next_attempt_at = next_attempt_at

    @transition(
        field=state,
        source=CallbackState.ASSIGNED,
        target=CallbackState.DONE,
        permission=is_assignee,
    )
    def reach(self, *, at, satisfaction, comments, is_valid, invalid_reason):
        self.reached_at = at
        self.closed_at = at
        self.satisfaction = satisfaction
        self.comments = comments
        self.is_valid = is_valid
        self.invalid_reason = invalid_reason
        self.next_attempt_at = None

    @transition(
        field=state,
        source=CallbackState.ASSIGNED,
        target=CallbackState.UNREACHED,
        permission=is_assignee,
    )
    def give_up(self, *, at, reason):
        self.closed_at = at
        self.close_reason = reason
        self.next_attempt_at = None

    @transition(
        field=state,
        source=[CallbackState.PENDING, CallbackState.ASSIGNED],
        target=CallbackState.CANCELLED,
        permission=may_assign_callbacks,
    )
    def cancel(self, *, at):
        self.closed_at = at
        self.close_reason = CloseReason.CANCELLED

    @transition(
        field=state,
        source=[CallbackState.PENDING, CallbackState.ASSIGNED],
        target=CallbackState.CANCELLED,
        permission=system_only,
    )
    def skip(self, *, at, reason):
        self.closed_at = at
        self.close_reason = reason


class CallbackAttempt(models.Model):
    """One call of a callback task and its call result (呼叫结果)."""

    task = models.ForeignKey(
        CallbackRequest, on_delete=models.CASCADE, related_name="attempts", verbose_name=_("回访")
    )
    number = models.PositiveSmallIntegerField(_("第几次"))
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("坐席"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    at = models.DateTimeField(_("拨打时间"), default=timezone.now)
    result = models.CharField(_("呼叫结果"), max_length=16, choices=CallResult.choices)
    note = models.CharField(_("备注"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("回访拨打记录")
        verbose_name_plural = _("回访拨打记录")
        ordering = ["task", "number"]
        constraints = [
            models.UniqueConstraint(fields=["task", "number"], name="callbackattempt_once"),
        ]

    def __str__(self):
        return f"{self.task_id} #{self.number} {choice_label(self, 'result')}"
