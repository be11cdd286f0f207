"""Product feedback to the development department (信息反馈, issue 18 item 5; seed 000: 负责产品
市场信息的收集、整理、反馈、回复、追踪): a product-quality complaint, or a pattern of repairs of
one model with the same fault, becomes a feedback record; the development department's reply is
recorded and followed up until the complaint team verifies it."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMField, FSMModelMixin, transition

from network.visibility import org_scope_q

from .. import permissions as perms
from ..choices import FEEDBACK_COLOURS, FEEDBACK_OPEN_STATES, FeedbackSource, FeedbackState

F = FeedbackState


class FeedbackRules(models.Model):
    """The numbers of the repair-pattern detection, editable in the admin. One row."""

    pattern_repairs = models.PositiveSmallIntegerField(
        _("同故障维修单数"),
        default=5,
        help_text=_("同一型号、同一故障描述的维修单在统计天数内达到此数即反馈开发部"),
    )
    pattern_days = models.PositiveSmallIntegerField(_("统计天数"), default=30)

    class Meta:
        verbose_name = _("信息反馈规则参数")
        verbose_name_plural = _("信息反馈规则参数")

    def __str__(self):
        return str(_("信息反馈规则参数"))

    @classmethod
    def current(cls) -> FeedbackRules:
        return cls.objects.order_by("pk").first() or cls.objects.create()


class ProductFeedbackQuerySet(models.QuerySet):
    def visible_to(self, user):
        """The complaint desk's people (complaint team, supervisors, head of CS, senior
        management, the call centre's filers) within their org scope; nobody else."""
        if not user or not user.is_authenticated or not perms.may_use_desk(user):
            return self.none()
        q = org_scope_q(user, "org_unit")
        return self if q is None else self.filter(q)

    def open(self):
        return self.filter(state__in=FEEDBACK_OPEN_STATES)


class ProductFeedback(FSMModelMixin, models.Model):
    number = models.CharField(_("反馈编号"), max_length=24, unique=True)
    product_model = models.CharField(_("产品型号"), max_length=60, db_index=True)
    source = models.CharField(_("来源"), max_length=16, choices=FeedbackSource.choices)
    # what makes two signals the same problem: "quality" for complaints, "repair:<hash>" for a
    # fault; one open feedback per (model, key) (a named partial unique constraint)
    pattern_key = models.CharField(_("问题标识"), max_length=64)
    fault = models.CharField(_("故障"), max_length=200, blank=True)
    complaints = models.ManyToManyField(
        "complaints.Complaint", verbose_name=_("来源投诉"), blank=True, related_name="feedback"
    )
    repair_count = models.PositiveIntegerField(_("期内维修单数"), default=0)
    repair_refs = models.JSONField(_("维修单号"), default=list, blank=True)
    content = models.TextField(_("反馈内容"), max_length=4000)
    org_unit = models.ForeignKey(
        "network.OrgUnit", verbose_name=_("反馈单位"), on_delete=models.PROTECT, related_name="+"
    )
    state = FSMField(
        _("状态"), max_length=10, choices=FeedbackState.choices, default=F.OPEN, protected=True
    )
    created_at = models.DateTimeField(_("反馈时间"), default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # the development department's reply, recorded on its behalf (see permissions.py)
    reply = models.TextField(_("开发部回复"), blank=True, max_length=4000)
    replied_by_name = models.CharField(_("开发部回复人"), max_length=60, blank=True)
    reply_planned_by = models.DateField(_("承诺改进日期"), null=True, blank=True)
    replied_at = models.DateTimeField(_("回复时间"), null=True, blank=True)
    reply_recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    verification = models.TextField(_("验证结果"), blank=True, max_length=2000)
    closed_at = models.DateTimeField(_("关闭时间"), null=True, blank=True)

    objects = ProductFeedbackQuerySet.as_manager()

    class Meta:
        verbose_name = _("产品信息反馈")
        verbose_name_plural = _("产品信息反馈")
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["org_unit", "id"], name="cmp_feedback_unit_id"),
            models.Index(
                fields=["product_model", "id"],
                name="cmp_feedback_open_model",
                condition=Q(state__in=["open", "answered", "tracking"]),
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["product_model", "pattern_key"],
                condition=Q(state__in=["open", "answered", "tracking"]),
                name="cmp_feedback_one_open_per_pattern",
            ),
        ]

    def __str__(self):
        return self.number

    def get_absolute_url(self):
        return reverse("complaints:feedback_detail", args=[self.pk])

    @property
    def state_colour(self) -> str:
        return FEEDBACK_COLOURS.get(self.state, "secondary")

    @property
    def is_open(self) -> bool:
        return self.state in FEEDBACK_OPEN_STATES

    @transition(field=state, source=F.OPEN, target=F.ANSWERED, permission=perms.feedback_reply_perm)
    def record_reply(self, *, actor, reply: str, replied_by_name: str, planned_by=None):
        self.reply = reply
        self.replied_by_name = replied_by_name
        self.reply_planned_by = planned_by
        self.replied_at = timezone.now()
        self.reply_recorded_by = actor

    @transition(
        field=state, source=F.ANSWERED, target=F.TRACKING, permission=perms.feedback_track_perm
    )
    def start_tracking(self):
        pass

    @transition(
        field=state,
        source=[F.ANSWERED, F.TRACKING],
        target=F.OPEN,
        permission=perms.feedback_track_perm,
    )
    def ask_again(self):
        """The reply does not solve it: the development department is asked again."""

    @transition(
        field=state,
        source=[F.ANSWERED, F.TRACKING],
        target=F.CLOSED,
        permission=perms.feedback_track_perm,
    )
    def close(self, *, verification: str):
        self.verification = verification
        self.closed_at = timezone.now()


class FeedbackNote(models.Model):
    """A tracking entry (追踪记录): what the complaint team saw of the promised improvement."""

    feedback = models.ForeignKey(ProductFeedback, on_delete=models.CASCADE, related_name="notes")
    text = models.TextField(_("跟踪记录"), max_length=2000)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("反馈跟踪记录")
        verbose_name_plural = _("反馈跟踪记录")
        ordering = ["id"]
