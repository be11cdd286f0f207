"""The complaint record (顾客投诉登记表, seed 004) and what its closed loop adds to it: the
solution options, the approvals, the actions taken, the attachments, and the rule numbers."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Upper
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMField, FSMModelMixin, transition

from network.visibility import org_scope_q
from service_ops.reversing import reverse_id

from .. import permissions as perms
from ..choices import (
    ActionKind,
    ApprovalDecision,
    ApprovalLevel,
    Category,
    Channel,
    Classification,
    ComplaintState,
    ProblemType,
    Severity,
)

S = ComplaintState


class ComplaintRules(models.Model):
    """The numbers of the severity suggestion, editable in the admin. One row."""

    major_amount = models.DecimalField(
        _("重大投诉索赔金额"),
        max_digits=10,
        decimal_places=2,
        default=Decimal("5000"),
        help_text=_("客户索赔或期望补偿达到此金额即建议列为重大投诉"),
    )
    repeat_days = models.PositiveSmallIntegerField(
        _("重复投诉统计天数"), default=90, help_text=_("在此天数内同一序列号或同一客户再次投诉")
    )
    repeat_count = models.PositiveSmallIntegerField(
        _("重复投诉次数"),
        default=1,
        help_text=_("统计天数内已有这么多次投诉，新的投诉即建议列为重大投诉"),
    )
    major_categories = models.JSONField(
        _("重大投诉类别"), default=list, blank=True, help_text=_("这些类别的投诉建议列为重大投诉")
    )

    class Meta:
        verbose_name = _("客诉规则参数")
        verbose_name_plural = _("客诉规则参数")

    def __str__(self):
        return str(_("客诉规则参数"))

    @classmethod
    def current(cls) -> ComplaintRules:
        return cls.objects.order_by("pk").first() or cls.objects.create()


class ComplaintQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Headquarters sees every complaint; a branch or office the complaints of its subtree;
        a dealer or service point the complaints it filed or is the complainant of."""
        if not user or not user.is_authenticated:
            return self.none()
        q = org_scope_q(user, "org_unit")
        if q is None:
            return self
        partner_q = org_scope_q(user, "complainant_unit")
        return self.filter(q | partner_q) if partner_q is not None else self.filter(q)

    def open(self):
        return self.exclude(state__in=[S.INVALID, S.CLOSED])


class Complaint(FSMModelMixin, models.Model):
    number = models.CharField(_("投诉编号"), max_length=24, unique=True)
    state = FSMField(
        _("状态"), max_length=24, choices=ComplaintState.choices, default=S.ACCEPTED, protected=True
    )
    # who complains
    customer = models.ForeignKey(
        "callcenter.Customer",
        verbose_name=_("客户"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="complaints",
    )
    complainant_unit = models.ForeignKey(
        "network.OrgUnit",
        verbose_name=_("投诉单位"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="complaints_filed",
        help_text=_("代理商或特约维修网点投诉时填写"),
    )
    complainant_name = models.CharField(_("投诉人"), max_length=60)
    complainant_phone = models.CharField(_("联系电话"), max_length=40, blank=True)
    channel = models.CharField(_("投诉渠道"), max_length=12, choices=Channel.choices)
    # what about
    category = models.CharField(_("投诉类别"), max_length=24, choices=Category.choices)
    product_model = models.CharField(_("产品型号"), max_length=60, blank=True)
    serial_number = models.CharField(_("设备序列号"), max_length=60, blank=True, db_index=True)
    call_ref = models.CharField(_("关联来电"), max_length=40, blank=True)
    order_ref = models.CharField(
        _("关联单据"), max_length=40, blank=True, help_text=_("返修申请、维修单或上门服务单号")
    )
    content = models.TextField(_("投诉内容"))
    expected_outcome = models.TextField(_("客户期望"), blank=True)
    amount_claimed = models.DecimalField(
        _("索赔金额"),
        max_digits=10,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0"))],
    )
    severity = models.CharField(
        _("严重程度"), max_length=12, choices=Severity.choices, default=Severity.ORDINARY
    )
    severity_suggested = models.CharField(
        _("建议严重程度"), max_length=12, choices=Severity.choices, default=Severity.ORDINARY
    )
    severity_reasons = models.JSONField(_("建议依据"), default=list, blank=True)
    severity_confirmed = models.BooleanField(_("严重程度已确认"), default=False)
    # who and where
    org_unit = models.ForeignKey(
        "network.OrgUnit",
        verbose_name=_("受理单位"),
        on_delete=models.PROTECT,
        related_name="complaints",
    )
    handler = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("处理人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="complaints_handled",
    )
    accepted_at = models.DateTimeField(_("受理时间"), default=timezone.now)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("受理人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="complaints_accepted",
    )
    acknowledged_at = models.DateTimeField(_("受理确认时间"), null=True, blank=True)
    # judgment
    judged_at = models.DateTimeField(_("判断时间"), null=True, blank=True)
    invalid_reason = models.TextField(_("不成立说明"), blank=True)
    # investigation
    cause = models.TextField(_("投诉原因"), blank=True)
    problem_type = models.CharField(
        _("问题性质"), max_length=12, choices=ProblemType.choices, blank=True
    )
    responsible_unit = models.ForeignKey(
        "network.OrgUnit",
        verbose_name=_("责任部门"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="complaints_responsible",
    )
    responsible_person = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("责任人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="complaints_responsible",
    )
    round = models.PositiveSmallIntegerField(_("方案轮次"), default=0)
    chosen_option = models.ForeignKey(
        "complaints.SolutionOption",
        verbose_name=_("选定方案"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    customer_reply = models.TextField(_("客户意见"), blank=True)
    confirmed_at = models.DateTimeField(_("客户确认时间"), null=True, blank=True)
    # callback and evaluation
    callback_result = models.TextField(_("回访结果"), blank=True)
    callback_satisfied = models.BooleanField(_("客户满意"), null=True, blank=True)
    classification = models.CharField(
        _("投诉分类"), max_length=20, choices=Classification.choices, blank=True
    )
    root_cause = models.TextField(_("根本原因"), blank=True)
    improvement_action = models.TextField(_("改进措施"), blank=True)
    closed_at = models.DateTimeField(_("结案时间"), null=True, blank=True)
    # the highest escalation a stage's timer reached (0 none, 1 supervisor, 2 head of CS, 3 senior)
    escalation_level = models.PositiveSmallIntegerField(_("升级层级"), default=0)

    objects = ComplaintQuerySet.as_manager()

    class Meta:
        verbose_name = _("客诉")
        verbose_name_plural = _("客诉")
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["org_unit", "id"], name="complaint_unit_id"),
            models.Index(fields=["complainant_unit", "id"], name="complaint_partner_id"),
            models.Index(
                fields=["handler", "id"],
                name="complaint_open_handler",
                condition=~Q(state__in=["invalid", "closed"]),
            ),
            models.Index(fields=["customer", "accepted_at"], name="complaint_customer_at"),
            models.Index(fields=["serial_number", "accepted_at"], name="complaint_serial_at"),
            # the per-serial timeline and the call desk match a serial case-insensitively
            models.Index(Upper("serial_number"), name="complaint_serial_upper"),
            # the statistics' period (accepted from–to)
            models.Index(fields=["accepted_at"], name="complaint_accepted_at"),
        ]

    def __str__(self):
        return self.number

    def get_absolute_url(self):
        return reverse_id("complaints:detail", self.pk)

    @property
    def is_major(self) -> bool:
        return self.severity == Severity.MAJOR

    @property
    def is_open(self) -> bool:
        return self.state not in (S.INVALID, S.CLOSED)

    # --- transitions (run by complaints.services through run_transition) -----------------------

    def _has_investigation(self) -> bool:
        return bool(self.cause.strip() and self.problem_type and self.responsible_unit_id)

    def _is_ordinary(self) -> bool:
        return not self.is_major

    def _is_major(self) -> bool:
        return self.is_major

    @transition(
        field=state, source=S.ACCEPTED, target=S.INVESTIGATING, permission=perms.handler_perm
    )
    def judge_valid(self):
        self.judged_at = timezone.now()

    @transition(field=state, source=S.ACCEPTED, target=S.INVALID, permission=perms.handler_perm)
    def judge_invalid(self, *, reason: str):
        self.judged_at = timezone.now()
        self.invalid_reason = reason
        self.closed_at = timezone.now()

    @transition(
        field=state,
        source=S.INVESTIGATING,
        target=S.PROPOSED,
        conditions=[_has_investigation],
        permission=perms.handler_perm,
    )
    def propose(self):
        self.round += 1

    @transition(
        field=state,
        source=S.PROPOSED,
        target=S.APPROVED,
        conditions=[_is_ordinary],
        permission=perms.approver_perm,
    )
    def approve(self, *, option):
        self.chosen_option = option

    @transition(
        field=state,
        source=S.PROPOSED,
        target=S.SENIOR_REVIEW,
        conditions=[_is_major],
        permission=perms.approver_perm,
    )
    def approve_for_senior(self, *, option):
        self.chosen_option = option

    @transition(
        field=state, source=S.SENIOR_REVIEW, target=S.APPROVED, permission=perms.senior_perm
    )
    def approve_senior(self):
        pass

    @transition(
        field=state,
        source=[S.PROPOSED, S.SENIOR_REVIEW],
        target=S.INVESTIGATING,
        permission=perms.approver_or_senior_perm,
    )
    def return_solution(self):
        self.chosen_option = None

    @transition(
        field=state, source=S.APPROVED, target=S.IMPLEMENTING, permission=perms.handler_perm
    )
    def start_implementation(self):
        pass

    @transition(
        field=state,
        source=S.IMPLEMENTING,
        target=S.AWAITING_CUSTOMER,
        permission=perms.handler_perm,
    )
    def finish_implementation(self):
        pass

    @transition(
        field=state, source=S.AWAITING_CUSTOMER, target=S.CALLBACK, permission=perms.handler_perm
    )
    def customer_accepts(self, *, reply: str = ""):
        self.customer_reply = reply
        self.confirmed_at = timezone.now()

    @transition(
        field=state,
        source=S.AWAITING_CUSTOMER,
        target=S.INVESTIGATING,
        permission=perms.handler_perm,
    )
    def customer_rejects(self, *, reply: str):
        self.customer_reply = reply
        self.chosen_option = None

    @transition(field=state, source=S.CALLBACK, target=S.EVALUATING, permission=perms.handler_perm)
    def record_callback(self, *, result: str, satisfied: bool | None):
        self.callback_result = result
        self.callback_satisfied = satisfied

    @transition(field=state, source=S.EVALUATING, target=S.CLOSED, permission=perms.handler_perm)
    def close(self, *, classification: str, root_cause: str, improvement_action: str):
        self.classification = classification
        self.root_cause = root_cause
        self.improvement_action = improvement_action
        self.closed_at = timezone.now()


def _visible_through_complaint(qs, user):
    return qs.filter(complaint__in=Complaint.objects.visible_to(user).values("pk"))


class ComplaintAttachmentQuerySet(models.QuerySet):
    def visible_to(self, user):
        return _visible_through_complaint(self, user)


class ComplaintAttachment(models.Model):
    complaint = models.ForeignKey(Complaint, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(_("附件"), upload_to="complaints/%Y/%m/")
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    uploaded_at = models.DateTimeField(default=timezone.now)

    objects = ComplaintAttachmentQuerySet.as_manager()

    class Meta:
        verbose_name = _("客诉附件")
        verbose_name_plural = _("客诉附件")
        ordering = ["id"]

    @property
    def filename(self) -> str:
        return self.file.name.rsplit("/", 1)[-1]


class SolutionOption(models.Model):
    """One of the solutions proposed in a round (seed 004: 部门研讨提出不同相关解决方案)."""

    complaint = models.ForeignKey(Complaint, on_delete=models.CASCADE, related_name="options")
    round = models.PositiveSmallIntegerField(_("方案轮次"))
    description = models.TextField(_("方案内容"))
    compensation = models.DecimalField(
        _("补偿金额"),
        max_digits=10,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0"))],
    )
    promised_by = models.DateField(_("承诺完成日期"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("处理方案")
        verbose_name_plural = _("处理方案")
        ordering = ["round", "id"]

    def __str__(self):
        return self.description[:40]


class ComplaintApproval(models.Model):
    complaint = models.ForeignKey(Complaint, on_delete=models.CASCADE, related_name="approvals")
    round = models.PositiveSmallIntegerField(_("方案轮次"))
    level = models.CharField(_("审批层级"), max_length=12, choices=ApprovalLevel.choices)
    decision = models.CharField(_("审批结果"), max_length=12, choices=ApprovalDecision.choices)
    option = models.ForeignKey(
        SolutionOption, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    comment = models.TextField(_("审批意见"), blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("方案审批")
        verbose_name_plural = _("方案审批")
        ordering = ["id"]


class ComplaintAction(models.Model):
    """What was done to implement the solution (seed 003: 赔偿损失、改善服务、处理事件责任人)."""

    complaint = models.ForeignKey(Complaint, on_delete=models.CASCADE, related_name="actions")
    kind = models.CharField(_("措施类型"), max_length=24, choices=ActionKind.choices)
    description = models.TextField(_("措施说明"))
    amount = models.DecimalField(
        _("金额"),
        max_digits=10,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0"))],
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("实施措施")
        verbose_name_plural = _("实施措施")
        ordering = ["id"]
