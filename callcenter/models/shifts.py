"""Shifts of the call centre (排班, seed 004 §五–八, DESIGN §2.3): shift groups with their
members, lead and pattern, the roster (one row per agent and day), hand-over records (交接班记录),
leave requests (请假) and swaps (换班).

What "三班倒 + 上1休1" means here (our decision, the seed is not precise): the agents are in three
groups (A/B/C, two each to start); each group works one shift of 9:00–21:00 Asia/Shanghai on its
days on, and its days follow a repeating pattern of on/off days from an anchor date — one day on,
one day off ("10") by default. Every group has its own pattern and anchor, so the department sets
how the three groups take the days in turn (the demo: A on the even days, B on the odd days, C
with A — two groups one day, one the next); the pattern is data, the roster is made from it a
month at a time and then edited day by day: leave and swaps change the roster's rows, never the
pattern.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMField, FSMModelMixin, transition

from service_ops.reversing import reverse_id
from service_ops.workcalendar.clock import ZONE

from ..choices import StateChoices


class ShiftRules(models.Model):
    """The numbers of the shift rules (seed 004 §七, §八), editable in the admin. One row."""

    ordinary_notice_hours = models.PositiveSmallIntegerField(
        _("一般事假提前小时数"), default=24, help_text=_("一般事假需提前一天提出")
    )
    emergency_notice_hours = models.PositiveSmallIntegerField(
        _("突发事假提前小时数"), default=1, help_text=_("突发事假需在班前一小时提出")
    )
    holiday_notice_hours = models.PositiveSmallIntegerField(
        _("节假日请假提前小时数"),
        default=48,
        help_text=_("节假日原则上不允许请假，特殊情况需提前两天提出，经批准后生效"),
    )
    max_swaps_per_month = models.PositiveSmallIntegerField(
        _("每人每月换班上限"), default=5, help_text=_("按班次所在月份计，已批准和待处理的都算")
    )

    class Meta:
        verbose_name = _("排班规则参数")
        verbose_name_plural = _("排班规则参数")

    def __str__(self):
        return str(_("排班规则参数"))

    @classmethod
    def current(cls) -> ShiftRules:
        return cls.objects.order_by("pk").first() or cls.objects.create()


pattern_validator = RegexValidator(r"^[01]{1,28}$", _("用 1（上班）和 0（休息）表示，1 至 28 天"))


class ShiftGroup(models.Model):
    """A shift group (A/B/C): its members work its shifts; its lead (组长) approves their leave
    and swaps and hands out the work."""

    code = models.CharField(_("组别"), max_length=8, unique=True)
    name = models.CharField(_("名称"), max_length=40, blank=True)
    lead = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("组长"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="led_shift_groups",
    )
    starts = models.TimeField(_("上班时间"), default=time(9, 0))
    ends = models.TimeField(
        _("下班时间"), default=time(21, 0), help_text=_("早于上班时间表示次日下班")
    )
    pattern = models.CharField(
        _("轮班规律"),
        max_length=28,
        default="10",
        validators=[pattern_validator],
        help_text=_("从起算日开始循环：1 上班，0 休息。“10”即上一休一"),
    )
    anchor = models.DateField(_("起算日"), help_text=_("规律的第一天"))
    is_active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("班组")
        verbose_name_plural = _("班组")
        ordering = ["code"]

    def __str__(self):
        return self.name or str(_("%(code)s 组") % {"code": self.code})

    def works_on(self, day: date) -> bool:
        pattern = self.pattern or "1"
        return pattern[(day - self.anchor).days % len(pattern)] == "1"

    def shift_times(self, day: date) -> tuple[datetime, datetime]:
        return shift_span(day, self.starts, self.ends)


def shift_span(day: date, starts: time, ends: time) -> tuple[datetime, datetime]:
    """The aware start and end of a shift on `day` (local times; an end not after the start
    is on the next day)."""
    start = datetime.combine(day, starts, tzinfo=ZONE)
    end = datetime.combine(day, ends, tzinfo=ZONE)
    if end <= start:
        end += timedelta(days=1)
    return start, end


class ShiftMember(models.Model):
    """An agent's place in a group (one group per agent)."""

    group = models.ForeignKey(
        ShiftGroup, verbose_name=_("班组"), on_delete=models.CASCADE, related_name="members"
    )
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("坐席"),
        on_delete=models.CASCADE,
        related_name="shift_member",
    )

    class Meta:
        verbose_name = _("班组成员")
        verbose_name_plural = _("班组成员")
        ordering = ["group__code", "user_id"]

    def __str__(self):
        return f"{self.group.code} {self.user.get_full_name() or self.user.username}"


class RosterEntryQuerySet(models.QuerySet):
    def working(self):
        return self.filter(is_working=True)


class RosterSource(models.TextChoices):
    PATTERN = "pattern", _("按规律生成")
    MANUAL = "manual", _("组长调整")
    SWAP = "swap", _("换班")


class RosterEntry(models.Model):
    """One agent's shift on one day. `is_working=False` keeps a day the lead took the agent off
    (so generating the month again does not put it back); an approved leave sets `leave`; an
    approved swap moves the row to the other agent (`swap`)."""

    day = models.DateField(_("日期"))
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("坐席"),
        on_delete=models.CASCADE,
        related_name="roster_entries",
    )
    group = models.ForeignKey(
        ShiftGroup,
        verbose_name=_("班组"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    starts_at = models.DateTimeField(_("上班"))
    ends_at = models.DateTimeField(_("下班"))
    is_working = models.BooleanField(_("上班"), default=True)
    source = models.CharField(
        _("来源"), max_length=10, choices=RosterSource.choices, default=RosterSource.PATTERN
    )
    leave = models.ForeignKey(
        "LeaveRequest",
        verbose_name=_("请假"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="entries",
    )
    swap = models.ForeignKey(
        "ShiftSwap",
        verbose_name=_("换班"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    updated_at = models.DateTimeField(default=timezone.now)

    objects = RosterEntryQuerySet.as_manager()

    class Meta:
        verbose_name = _("排班")
        verbose_name_plural = _("排班")
        ordering = ["day", "agent_id"]
        constraints = [
            models.UniqueConstraint(fields=["agent", "day"], name="rosterentry_one_per_day"),
            models.CheckConstraint(
                name="rosterentry_ends_after_start", condition=Q(ends_at__gt=models.F("starts_at"))
            ),
        ]
        indexes = [
            # agents_on_shift: the day's working rows (a night shift: the day before's too)
            models.Index(
                fields=["day", "starts_at", "ends_at"],
                name="rosterentry_working_day",
                condition=Q(is_working=True, leave__isnull=True),
            ),
        ]

    def __str__(self):
        return f"{self.day} {self.agent}"

    @property
    def on_duty(self) -> bool:
        return self.is_working and self.leave_id is None


# --- the state machines --------------------------------------------------------------------------


class LeaveKind(models.TextChoices):
    ORDINARY = "ordinary", _("一般事假/病假")
    EMERGENCY = "emergency", _("突发事假")


class LeaveState(StateChoices):
    SUBMITTED = "submitted", _("待批准")
    APPROVED = "approved", _("已批准")
    REFUSED = "refused", _("未批准")
    CANCELLED = "cancelled", _("已撤销")


LeaveState.colours = {
    LeaveState.SUBMITTED: "warning",
    LeaveState.APPROVED: "success",
    LeaveState.REFUSED: "danger",
    LeaveState.CANCELLED: "secondary",
}


def _may_decide_leave(instance, user) -> bool:
    from ..selectors.shifts import may_decide_for

    return may_decide_for(user, instance.group_id) and user.pk != instance.agent_id


def _is_agent(instance, user) -> bool:
    return user.pk == instance.agent_id


class LeaveRequestQuerySet(models.QuerySet):
    def visible_to(self, user):
        from ..selectors.shifts import scoped

        return scoped(self, user, own=Q(agent=user), groups=("group",))


class LeaveRequest(FSMModelMixin, models.Model):
    """A leave request (请假) for one or more days of the agent's shifts."""

    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("请假人"),
        on_delete=models.PROTECT,
        related_name="leave_requests",
    )
    group = models.ForeignKey(
        ShiftGroup, verbose_name=_("班组"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    kind = models.CharField(_("类型"), max_length=12, choices=LeaveKind.choices)
    first_day = models.DateField(_("开始日期"))
    last_day = models.DateField(_("结束日期"))
    shift_starts_at = models.DateTimeField(_("首个班次开始"))
    on_holiday = models.BooleanField(_("含节假日"), default=False)
    reason = models.TextField(_("事由"), max_length=500)
    state = FSMField(
        _("状态"),
        max_length=12,
        choices=LeaveState.choices,
        default=LeaveState.SUBMITTED,
        protected=True,
    )
    submitted_at = models.DateTimeField(_("提交时间"), default=timezone.now)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("审批人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("审批时间"), null=True, blank=True)
    decision_note = models.CharField(_("审批意见"), max_length=200, blank=True)

    objects = LeaveRequestQuerySet.as_manager()

    class Meta:
        verbose_name = _("请假申请")
        verbose_name_plural = _("请假申请")
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["state", "id"], name="leaverequest_state_id"),
            models.Index(fields=["group", "state", "id"], name="leaverequest_group_state"),
            models.Index(fields=["agent", "id"], name="leaverequest_agent_id"),
        ]
        constraints = [
            models.CheckConstraint(
                name="leaverequest_days_in_order", condition=Q(last_day__gte=models.F("first_day"))
            ),
        ]

    def __str__(self):
        return self.number

    def get_absolute_url(self):

        return reverse_id("callcenter:leave_detail", self.pk)

    @property
    def number(self) -> str:
        return f"QJ{self.pk:06d}" if self.pk else "QJ"

    @property
    def state_colour(self) -> str:
        return LeaveState.colour_of(self.state)

    def clean(self):
        if self.first_day and self.last_day and self.last_day < self.first_day:
            raise ValidationError({"last_day": _("结束日期不能早于开始日期")})

    @transition(
        field=state,
        source=LeaveState.SUBMITTED,
        target=LeaveState.APPROVED,
        permission=_may_decide_leave,
    )
    def approve(self, *, actor, note="", at=None):
        self.decided_by, self.decided_at, self.decision_note = actor, at, note

    @transition(
        field=state,
        source=LeaveState.SUBMITTED,
        target=LeaveState.REFUSED,
        permission=_may_decide_leave,
    )
    def refuse(self, *, actor, note="", at=None):
        self.decided_by, self.decided_at, self.decision_note = actor, at, note

    @transition(
        field=state,
        source=[LeaveState.SUBMITTED, LeaveState.APPROVED],
        target=LeaveState.CANCELLED,
        permission=_is_agent,
    )
    def cancel(self):
        """The agent withdraws it (an approved one only before its first shift starts)."""


class SwapState(StateChoices):
    PROPOSED = "proposed", _("待对方同意")
    AGREED = "agreed", _("待组长批准")
    DECLINED = "declined", _("对方不同意")
    APPROVED = "approved", _("已批准")
    REFUSED = "refused", _("组长未批准")
    CANCELLED = "cancelled", _("已撤销")


SwapState.colours = {
    SwapState.PROPOSED: "info",
    SwapState.AGREED: "warning",
    SwapState.DECLINED: "secondary",
    SwapState.APPROVED: "success",
    SwapState.REFUSED: "danger",
    SwapState.CANCELLED: "secondary",
}
# Swaps that take a place of the monthly limit (seed 004 §八.3: 每人每月换班不得超过5次).
ACTIVE_SWAP_STATES = (SwapState.PROPOSED, SwapState.AGREED, SwapState.APPROVED)


def _is_partner(instance, user) -> bool:
    return user.pk == instance.partner_id


def _is_requester(instance, user) -> bool:
    return user.pk == instance.requester_id


def _may_decide_swap(instance, user) -> bool:
    from ..selectors.shifts import may_decide_for

    return (
        may_decide_for(user, instance.requester_group_id)
        or may_decide_for(user, instance.partner_group_id)
    ) and user.pk not in (instance.requester_id, instance.partner_id)


class ShiftSwapQuerySet(models.QuerySet):
    def visible_to(self, user):
        from ..selectors.shifts import scoped

        return scoped(
            self,
            user,
            own=Q(requester=user) | Q(partner=user),
            groups=("requester_group", "partner_group"),
        )


class ShiftSwap(FSMModelMixin, models.Model):
    """A swap (换班): the requester gives their shift on `requester_day` to the partner and takes
    the partner's shift on `partner_day` in return (还班). The partner agrees, then a lead
    approves; only then do the two roster rows change hands."""

    requester = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("申请人"),
        on_delete=models.PROTECT,
        related_name="swaps_requested",
    )
    partner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("对方"),
        on_delete=models.PROTECT,
        related_name="swaps_offered",
    )
    requester_group = models.ForeignKey(
        ShiftGroup, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    partner_group = models.ForeignKey(
        ShiftGroup, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    requester_entry = models.ForeignKey(
        RosterEntry,
        verbose_name=_("申请人的班次"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    partner_entry = models.ForeignKey(
        RosterEntry,
        verbose_name=_("对方的班次（还班）"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    requester_day = models.DateField(_("换出日期"))
    partner_day = models.DateField(_("还班日期"))
    # The calendar month the swap counts in: that of the requester's shift (first of the month).
    month = models.DateField(_("计入月份"))
    reason = models.CharField(_("事由"), max_length=200, blank=True)
    state = FSMField(
        _("状态"),
        max_length=12,
        choices=SwapState.choices,
        default=SwapState.PROPOSED,
        protected=True,
    )
    created_at = models.DateTimeField(_("申请时间"), default=timezone.now)
    answered_at = models.DateTimeField(_("对方答复时间"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("批准人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("批准时间"), null=True, blank=True)
    decision_note = models.CharField(_("意见"), max_length=200, blank=True)

    objects = ShiftSwapQuerySet.as_manager()

    class Meta:
        verbose_name = _("换班申请")
        verbose_name_plural = _("换班申请")
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["state", "id"], name="shiftswap_state_id"),
            models.Index(fields=["requester", "month"], name="shiftswap_requester_month"),
            models.Index(fields=["partner", "month"], name="shiftswap_partner_month"),
            models.Index(fields=["requester_group", "state", "id"], name="shiftswap_rgroup"),
            models.Index(fields=["partner_group", "state", "id"], name="shiftswap_pgroup"),
        ]
        constraints = [
            models.CheckConstraint(
                name="shiftswap_two_people", condition=~Q(requester=models.F("partner"))
            ),
        ]

    def __str__(self):
        return self.number

    def get_absolute_url(self):

        return reverse_id("callcenter:swap_detail", self.pk)

    @property
    def number(self) -> str:
        return f"HB{self.pk:06d}" if self.pk else "HB"

    @property
    def state_colour(self) -> str:
        return SwapState.colour_of(self.state)

    @transition(
        field=state, source=SwapState.PROPOSED, target=SwapState.AGREED, permission=_is_partner
    )
    def agree(self, *, at=None):
        self.answered_at = at

    @transition(
        field=state, source=SwapState.PROPOSED, target=SwapState.DECLINED, permission=_is_partner
    )
    def decline(self, *, at=None):
        self.answered_at = at

    @transition(
        field=state,
        source=[SwapState.PROPOSED, SwapState.AGREED],
        target=SwapState.CANCELLED,
        permission=_is_requester,
    )
    def cancel(self):
        pass

    @transition(
        field=state, source=SwapState.AGREED, target=SwapState.APPROVED, permission=_may_decide_swap
    )
    def approve(self, *, actor, note="", at=None):
        self.decided_by, self.decided_at, self.decision_note = actor, at, note

    @transition(
        field=state, source=SwapState.AGREED, target=SwapState.REFUSED, permission=_may_decide_swap
    )
    def refuse(self, *, actor, note="", at=None):
        self.decided_by, self.decided_at, self.decision_note = actor, at, note


class HandOverState(StateChoices):
    WRITTEN = "written", _("待接班确认")
    ACKNOWLEDGED = "acknowledged", _("已确认")


HandOverState.colours = {HandOverState.WRITTEN: "warning", HandOverState.ACKNOWLEDGED: "success"}


def _may_acknowledge(instance, user) -> bool:
    from ..selectors.shifts import is_call_centre

    return is_call_centre(user) and user.pk != instance.written_by_id


class HandOverQuerySet(models.QuerySet):
    def visible_to(self, user):
        from ..selectors.shifts import is_call_centre

        return self if is_call_centre(user) else self.none()


class HandOver(FSMModelMixin, models.Model):
    """A hand-over record (交接班记录, seed 004 §六.4): what the outgoing shift tells the
    incoming one — the equipment, the open problems (疑难问题), the staffing changes (人员调班情况).
    The incoming shift acknowledges it."""

    shift_day = models.DateField(_("交班日期"))
    group = models.ForeignKey(
        ShiftGroup,
        verbose_name=_("交班班组"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    written_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("交班人"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    written_at = models.DateTimeField(_("交班时间"), default=timezone.now)
    equipment = models.TextField(_("设备情况"), max_length=1000)
    problems = models.TextField(_("疑难问题"), max_length=2000, blank=True)
    staffing = models.TextField(_("人员调班情况"), max_length=1000, blank=True)
    state = FSMField(
        _("状态"),
        max_length=14,
        choices=HandOverState.choices,
        default=HandOverState.WRITTEN,
        protected=True,
    )
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("接班人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    acknowledged_at = models.DateTimeField(_("接班确认时间"), null=True, blank=True)

    objects = HandOverQuerySet.as_manager()

    class Meta:
        verbose_name = _("交接班记录")
        verbose_name_plural = _("交接班记录")
        ordering = ["-id"]
        indexes = [models.Index(fields=["state", "id"], name="handover_state_id")]

    def __str__(self):
        return self.number

    def get_absolute_url(self):

        return reverse_id("callcenter:handover_detail", self.pk)

    @property
    def number(self) -> str:
        return f"JJ{self.pk:06d}" if self.pk else "JJ"

    @property
    def state_colour(self) -> str:
        return HandOverState.colour_of(self.state)

    @transition(
        field=state,
        source=HandOverState.WRITTEN,
        target=HandOverState.ACKNOWLEDGED,
        permission=_may_acknowledge,
    )
    def acknowledge(self, *, actor, at=None):
        self.acknowledged_by, self.acknowledged_at = actor, at
