"""Inbound calls (来电登记) and their follow-ups (跟进事项), DESIGN §2.3 and the seed's 呼入流程:
a call is logged by the agent on the headset while it lasts; what cannot be answered on the call
becomes a follow-up — a named person replies by a due time, the agent calls the customer back —
or is handed to the expert seat, the complaint team or a field office.

A call is a record (no state machine): once logged it is not edited. A follow-up is a state
machine; every change goes through callcenter.services.followups (run_transition)."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMField, FSMModelMixin, transition

from network.choices import PARTNER_KINDS
from network.visibility import org_scope_q, scope_by_org, user_org_unit
from service_ops.reversing import reverse_id

from ..choices import (
    OPEN_FOLLOW_UP_STATES,
    CallCategory,
    CallerKind,
    CallOutcome,
    FollowUpState,
    colour_of,
)


def _is_partner(user) -> bool:
    unit = user_org_unit(user)
    return unit is not None and unit.kind in PARTNER_KINDS


class InboundCallQuerySet(models.QuerySet):
    def visible_to(self, user):
        """The call centre (headquarters) sees every call; a branch or field office the calls
        about its subtree (a transferred call, a caller of its region): `org_unit_id IN (…)`
        on the row, one indexed column. Partners see none: a call holds the agent's notes.
        (A person asked to reply elsewhere opens the call through its follow-up:
        `visible_by_pk`.)"""
        if not user or not user.is_authenticated or _is_partner(user):
            return self.none()
        return scope_by_org(self, user, "org_unit")

    def visible_by_pk(self, user, pk):
        """One call by its id: visible_to, or the call of a follow-up the user replies to."""
        if not user or not user.is_authenticated or _is_partner(user):
            return self.none()
        return self.filter(pk=pk).filter(
            Q(pk__in=self.visible_to(user).filter(pk=pk).values("pk")) | Q(follow_up__assignee=user)
        )


class InboundCall(models.Model):
    number = models.CharField(_("来电编号"), max_length=24, unique=True, editable=False)
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("接听坐席"),
        on_delete=models.PROTECT,
        related_name="inbound_calls",
        editable=False,
    )
    # the unit the call concerns (visibility): the caller's own unit, the customer's region, the
    # office it was transferred to; headquarters when none
    org_unit = models.ForeignKey(
        "network.OrgUnit",
        verbose_name=_("所属组织"),
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
    )
    caller_kind = models.CharField(
        _("来电方类型"), max_length=16, choices=CallerKind.choices, editable=False
    )
    customer = models.ForeignKey(
        "callcenter.Customer",
        verbose_name=_("客户"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="calls",
        editable=False,
    )
    caller_unit = models.ForeignKey(
        "network.OrgUnit",
        verbose_name=_("来电单位"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
    )
    caller_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("来电员工"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
    )
    caller_name = models.CharField(_("来电人"), max_length=120, blank=True)
    # normal form (callcenter.phones); indexed with its LIKE-prefix twin on PostgreSQL
    caller_phone = models.CharField(_("来电号码"), max_length=40, db_index=True)
    caller_extension = models.CharField(_("分机"), max_length=8, blank=True)
    product_model = models.CharField(_("产品型号"), max_length=60, blank=True)
    serial_number = models.CharField(_("出厂编号"), max_length=60, blank=True, db_index=True)
    category = models.CharField(_("来电类别"), max_length=16, choices=CallCategory.choices)
    summary = models.TextField(_("来电内容摘要"), max_length=2000)
    outcome = models.CharField(_("处理结果"), max_length=16, choices=CallOutcome.choices)
    answer = models.TextField(_("答复内容"), max_length=2000, blank=True)
    transfer_office = models.ForeignKey(
        "network.OrgUnit",
        verbose_name=_("转至办事处"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    # 接手: the expert seat, the complaint team or the office took the handed-over call
    taken_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("接手人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )
    taken_at = models.DateTimeField(_("接手时间"), null=True, blank=True, editable=False)
    started_at = models.DateTimeField(_("开始登记"), editable=False)
    ended_at = models.DateTimeField(_("登记完成"), default=timezone.now, editable=False)

    objects = InboundCallQuerySet.as_manager()

    class Meta:
        verbose_name = _("来电记录")
        verbose_name_plural = _("来电记录")
        ordering = ["-id"]
        indexes = [
            # the lists newest first, per filter (keyset on the id)
            models.Index(fields=["org_unit", "-id"], name="inboundcall_unit"),
            models.Index(fields=["category", "-id"], name="inboundcall_category"),
            models.Index(fields=["outcome", "-id"], name="inboundcall_outcome"),
            models.Index(fields=["agent", "-id"], name="inboundcall_agent"),
            models.Index(fields=["ended_at"], name="inboundcall_ended"),
            models.Index(fields=["customer", "-id"], name="inboundcall_customer"),
            models.Index(
                fields=["outcome", "-id"],
                name="inboundcall_handover_open",
                condition=Q(
                    outcome__in=["expert", "complaint_team", "transferred"], taken_at__isnull=True
                ),
            ),
        ]

    def __str__(self):
        return self.number

    def get_absolute_url(self):
        return reverse_id("callcenter:call_detail", self.pk)

    @property
    def outcome_colour(self) -> str:
        return colour_of(CallOutcome, self.outcome)

    @property
    def seconds(self) -> int:
        """How long logging the call took, from opening the form to saving it."""
        return max(0, int((self.ended_at - self.started_at).total_seconds()))

    @property
    def caller_label(self) -> str:
        return self.caller_name or self.caller_phone


# --- follow-ups ---------------------------------------------------------------------------------


def _may_assign(instance, user) -> bool:
    from ..permissions import may_assign

    return may_assign(user, instance)


def _may_answer(instance, user) -> bool:
    return user is not None and instance.assignee_id == user.pk


def _may_call_back(instance, user) -> bool:
    from ..permissions import may_call_back

    return may_call_back(user, instance)


def _may_close(instance, user) -> bool:
    from ..permissions import may_close

    return may_close(user, instance)


class FollowUpQuerySet(models.QuerySet):
    def visible_to(self, user):
        """As the call (its unit copied onto the row): the call centre all; a unit its
        subtree's; the person who replies or holds it their own."""
        if not user or not user.is_authenticated or _is_partner(user):
            return self.none()
        q = org_scope_q(user, "org_unit")
        if q is None:
            return self
        return self.filter(q | Q(assignee=user) | Q(holder=user))

    def open(self):
        return self.filter(state__in=OPEN_FOLLOW_UP_STATES)


class FollowUp(FSMModelMixin, models.Model):
    """稍后回复: what the agent could not answer on the call. The named person replies by the due
    time (a `callcenter.follow_up` timer: chased, then escalated to the head of customer
    service); their reply starts the agent's call-back timer (`callcenter.follow_up_callback`)."""

    call = models.OneToOneField(
        InboundCall, on_delete=models.CASCADE, related_name="follow_up", editable=False
    )
    # the call's unit, copied (visibility on the row itself, no join)
    org_unit = models.ForeignKey(
        "network.OrgUnit",
        verbose_name=_("所属组织"),
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
    )
    state = FSMField(
        _("状态"),
        max_length=12,
        choices=FollowUpState.choices,
        default=FollowUpState.OPEN,
        protected=True,
    )
    question = models.TextField(_("待回复问题"), max_length=2000)
    # whoever holds the ball now: the agent while open, the assignee while assigned, the agent who
    # calls back once answered (kept by the service; 我的工作 and "mine" read it)
    holder = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("当前处理人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("回复人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="follow_ups",
        editable=False,
    )
    due_at = models.DateTimeField(_("要求回复时间"), editable=False)
    assigned_at = models.DateTimeField(_("分派时间"), null=True, blank=True, editable=False)
    reply = models.TextField(_("回复内容"), max_length=4000, blank=True, editable=False)
    replied_at = models.DateTimeField(_("回复时间"), null=True, blank=True, editable=False)
    callback_note = models.TextField(_("回电记录"), max_length=2000, blank=True, editable=False)
    called_back_at = models.DateTimeField(_("回电时间"), null=True, blank=True, editable=False)
    called_back_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("回电坐席"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )
    closed_at = models.DateTimeField(_("关闭时间"), null=True, blank=True, editable=False)
    close_note = models.CharField(_("关闭说明"), max_length=255, blank=True, editable=False)
    # 等待至某日: the timer is paused with this reason until this moment (never a fake due date)
    waiting_until = models.DateTimeField(_("等待至"), null=True, blank=True, editable=False)
    waiting_reason = models.CharField(_("等待原因"), max_length=200, blank=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    objects = FollowUpQuerySet.as_manager()

    class Meta:
        verbose_name = _("跟进事项")
        verbose_name_plural = _("跟进事项")
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["state", "-id"], name="followup_state"),
            models.Index(fields=["org_unit", "-id"], name="followup_unit"),
            models.Index(fields=["holder", "state"], name="followup_holder"),
            models.Index(fields=["assignee", "-id"], name="followup_assignee"),
            models.Index(
                fields=["waiting_until"],
                name="followup_waiting",
                condition=Q(waiting_until__isnull=False),
            ),
        ]

    def __str__(self):
        return self.number

    def get_absolute_url(self):
        return reverse_id("callcenter:follow_up_detail", self.pk)

    @property
    def number(self) -> str:
        return f"{self.call.number}-GJ" if self.call_id else "GJ"

    @property
    def state_colour(self) -> str:
        return colour_of(FollowUpState, self.state)

    @property
    def is_waiting(self) -> bool:
        return self.waiting_until is not None

    # --- transitions: callcenter.services.followups calls these through run_transition ---------
    @transition(
        field=state,
        source=[FollowUpState.OPEN, FollowUpState.ASSIGNED],
        target=FollowUpState.ASSIGNED,
        permission=_may_assign,
    )
    def assign(self, *, assignee, due_at):
        self.assignee = assignee
        self.holder = assignee
        self.due_at = due_at
        self.assigned_at = timezone.now()

    @transition(
        field=state,
        source=FollowUpState.ASSIGNED,
        target=FollowUpState.ANSWERED,
        permission=_may_answer,
    )
    def answer(self, *, reply, holder):
        self.reply = reply
        self.replied_at = timezone.now()
        self.holder = holder

    @transition(
        field=state,
        source=FollowUpState.ANSWERED,
        target=FollowUpState.CALLED_BACK,
        permission=_may_call_back,
    )
    def call_back(self, *, actor, note):
        self.callback_note = note
        self.called_back_at = timezone.now()
        self.called_back_by = actor
        self.holder = actor

    @transition(
        field=state,
        source=FollowUpState.CALLED_BACK,
        target=FollowUpState.CLOSED,
        permission=_may_close,
    )
    def close(self, *, note=""):
        self.close_note = note
        self.closed_at = timezone.now()
        self.holder = None

    @transition(
        field=state,
        source=[FollowUpState.OPEN, FollowUpState.ASSIGNED, FollowUpState.ANSWERED],
        target=FollowUpState.CANCELLED,
        permission=_may_close,
    )
    def cancel(self, *, note):
        self.close_note = note
        self.closed_at = timezone.now()
        self.holder = None
        self.waiting_until = None
        self.waiting_reason = ""
