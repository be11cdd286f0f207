"""Models of the network's life (网点流程): the application to join (申请入网), qualification
documents (资质文件), GPS-upgrade qualification decisions, quarterly evaluations (考核) and grade
changes, training sessions (驻外技术员培训) and their attendees.

Gathered into the `network` app by network/models.py. State changes only through
network.life.services (run_transition: locked row, permission, transition log)."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMField, FSMModelMixin, transition

from service_ops.i18n import choice_label
from service_ops.reversing import reverse_id

from ..choices import PointGrade
from ..visibility import org_scope_q
from .choices import (
    ApplicationState,
    Attendance,
    DocumentKind,
    EvaluationState,
    TrainingMode,
    TrainingState,
)

A = ApplicationState
E = EvaluationState
T = TrainingState


def _perm(name):
    """An FSM permission that asks network.life.permissions at call time."""

    def check(instance, user) -> bool:
        from . import permissions

        return getattr(permissions, name)(user)

    check.__name__ = name
    return check


class LifeRules(models.Model):
    """The numbers of the evaluation and of the document watch, editable in the admin. One row.
    The seeds give none of them; these are the department's defaults (see README)."""

    weight_dispatch = models.PositiveSmallIntegerField(
        _("权重：按时接单"), default=25, help_text=_("派单在接单时限内答复的比例")
    )
    weight_visit = models.PositiveSmallIntegerField(
        _("权重：按时上门"), default=25, help_text=_("在预约时段结束前到达的上门比例")
    )
    weight_satisfaction = models.PositiveSmallIntegerField(
        _("权重：回访满意"), default=35, help_text=_("回访成功的服务中客户满意的比例")
    )
    weight_complaints = models.PositiveSmallIntegerField(
        _("权重：无投诉"), default=15, help_text=_("每有一起成立的投诉扣去下项的分数")
    )
    points_per_complaint = models.PositiveSmallIntegerField(
        _("每起投诉扣分"), default=5, help_text=_("从“无投诉”一项中扣，扣完为止")
    )
    grade_a = models.PositiveSmallIntegerField(_("A级分数线"), default=90)
    grade_b = models.PositiveSmallIntegerField(_("B级分数线"), default=80)
    grade_c = models.PositiveSmallIntegerField(_("C级分数线"), default=65)
    document_warning_days = models.PositiveSmallIntegerField(_("资质到期提前提醒天数"), default=30)

    class Meta:
        verbose_name = _("网点考核规则参数")
        verbose_name_plural = _("网点考核规则参数")

    def __str__(self):
        return str(_("网点考核规则参数"))

    @classmethod
    def current(cls) -> LifeRules:
        return cls.objects.order_by("pk").first() or cls.objects.create()

    def grade_for(self, score: Decimal | None) -> str | None:
        if score is None:
            return None
        if score >= self.grade_a:
            return PointGrade.A
        if score >= self.grade_b:
            return PointGrade.B
        if score >= self.grade_c:
            return PointGrade.C
        return PointGrade.D


# --- the application to join (申请入网) ----------------------------------------------------------


class PointApplicationQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Headquarters sees every application; a branch or office those filed under it. A
        partner never sees one (the candidate has no account yet)."""
        if not user or not user.is_authenticated:
            return self.none()
        q = org_scope_q(user, "parent")
        return self if q is None else self.filter(q)


class PointApplication(FSMModelMixin, models.Model):
    """A candidate service point's application (申请入网): who it is, where, what it can do, the
    areas it would cover and the contract offered; its qualification documents hang on it.
    Approval makes the org unit (特约维修网点) under `parent`, its profile, areas and prepaid
    account."""

    number = models.CharField(_("申请编号"), max_length=24, unique=True)
    state = FSMField(
        _("状态"),
        max_length=14,
        choices=ApplicationState.choices,
        default=A.SUBMITTED,
        protected=True,
    )
    name = models.CharField(_("网点名称"), max_length=120)
    parent = models.ForeignKey(
        "network.OrgUnit",
        verbose_name=_("所属分公司或办事处"),
        on_delete=models.PROTECT,
        related_name="point_applications",
    )
    proposed_code = models.CharField(
        _("网点编码"), max_length=32, blank=True, help_text=_("留空则入网时自动编号")
    )
    contact_name = models.CharField(_("联系人"), max_length=60)
    phone = models.CharField(_("电话"), max_length=40)
    province = models.CharField(_("省"), max_length=20)
    city = models.CharField(_("市"), max_length=30, blank=True)
    district = models.CharField(_("区县"), max_length=30, blank=True)
    address = models.CharField(_("地址"), max_length=255)
    skills = models.JSONField(_("服务技能"), default=list, blank=True)
    product_models = models.JSONField(_("可服务型号"), default=list, blank=True)
    capacity = models.PositiveSmallIntegerField(_("同时在办上限"), default=10)
    technicians = models.PositiveSmallIntegerField(_("技术员人数"), default=1)
    grade = models.CharField(
        _("初定等级"), max_length=2, choices=PointGrade.choices, default=PointGrade.C
    )
    contract_start = models.DateField(_("合同开始"), null=True, blank=True)
    contract_end = models.DateField(_("合同结束"), null=True, blank=True)
    areas = models.JSONField(
        _("服务区域"), default=list, blank=True, help_text=_("[[省, 市, 区县], …]")
    )
    gps_upgrade_requested = models.BooleanField(_("申请GPS升级资质"), default=False)
    note = models.TextField(_("说明"), blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("提交人"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    submitted_at = models.DateTimeField(_("提交时间"), default=timezone.now)
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("审核人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )
    decided_at = models.DateTimeField(_("审核时间"), null=True, blank=True, editable=False)
    decision_note = models.TextField(_("审核意见"), blank=True, editable=False)
    org_unit = models.OneToOneField(
        "network.OrgUnit",
        verbose_name=_("入网网点"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="application",
        editable=False,
    )

    objects = PointApplicationQuerySet.as_manager()

    class Meta:
        verbose_name = _("入网申请")
        verbose_name_plural = _("入网申请")
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["parent", "-id"], name="pointapp_parent"),
            models.Index(fields=["state", "-id"], name="pointapp_state"),
        ]

    def __str__(self):
        return f"{self.number} {self.name}"

    def get_absolute_url(self):
        return reverse_id("network:application_detail", self.pk)

    @property
    def state_colour(self) -> str:
        return ApplicationState.colour_of(self.state)

    @property
    def area_labels(self) -> list[str]:
        return ["".join(p for p in area if p) for area in self.areas or []]

    @transition(
        field=state, source=A.SUBMITTED, target=A.UNDER_REVIEW, permission=_perm("may_review")
    )
    def start_review(self, *, actor=None):
        self.reviewer = actor

    @transition(
        field=state, source=A.UNDER_REVIEW, target=A.APPROVED, permission=_perm("may_review")
    )
    def approve(self, *, actor=None, note: str = "", org_unit=None):
        self.reviewer = actor
        self.decided_at = timezone.now()
        self.decision_note = note
        self.org_unit = org_unit

    @transition(
        field=state,
        source=[A.SUBMITTED, A.UNDER_REVIEW],
        target=A.REJECTED,
        permission=_perm("may_review"),
    )
    def reject(self, *, actor=None, note: str = ""):
        self.reviewer = actor
        self.decided_at = timezone.now()
        self.decision_note = note


# --- qualification documents (资质文件) ----------------------------------------------------------


class QualificationDocumentQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Staff see the documents of the points in their subtree and of the applications filed
        there; a service point its own documents only."""
        if not user or not user.is_authenticated:
            return self.none()
        q = org_scope_q(user, "org_unit")
        if q is None:
            return self
        app_q = org_scope_q(user, "application__parent")
        return self.filter(q | app_q)


class QualificationDocument(models.Model):
    """A qualification document on file (营业执照, 技术员证书, …) with its validity. Uploaded with
    an application, it moves to the point when the application is approved. A daily job warns
    of those about to expire (and again once expired) unless a newer one of the same kind and
    holder has been filed."""

    org_unit = models.ForeignKey(
        "network.OrgUnit",
        verbose_name=_("网点"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="qualification_documents",
    )
    application = models.ForeignKey(
        PointApplication,
        verbose_name=_("入网申请"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="documents",
    )
    kind = models.CharField(_("资质类型"), max_length=24, choices=DocumentKind.choices)
    number = models.CharField(_("证书编号"), max_length=60, blank=True)
    holder_name = models.CharField(
        _("持证人"), max_length=60, blank=True, help_text=_("技术员证书填写持证人姓名")
    )
    issued_on = models.DateField(_("发证日期"), null=True, blank=True)
    expires_on = models.DateField(_("有效期至"), null=True, blank=True, help_text=_("长期有效留空"))
    file = models.FileField(_("文件"), upload_to="network/documents/%Y/%m/")
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    uploaded_at = models.DateTimeField(_("上传时间"), default=timezone.now)
    # the expiry watch: the level last warned of (1 soon, 2 expired) for which expiry date
    warned_level = models.PositiveSmallIntegerField(default=0, editable=False)
    warned_for = models.DateField(null=True, blank=True, editable=False)

    objects = QualificationDocumentQuerySet.as_manager()

    class Meta:
        verbose_name = _("资质文件")
        verbose_name_plural = _("资质文件")
        ordering = ["kind", "-expires_on", "-id"]
        indexes = [
            models.Index(
                fields=["expires_on"],
                name="qualdoc_expiring",
                condition=Q(org_unit__isnull=False, expires_on__isnull=False),
            ),
        ]
        constraints = [
            models.CheckConstraint(
                name="qualdoc_belongs_somewhere",
                condition=Q(org_unit__isnull=False) | Q(application__isnull=False),
            ),
        ]

    def __str__(self):
        return f"{choice_label(self, 'kind')} {self.number or self.holder_name}".strip()

    def expired(self, on=None) -> bool:
        return self.expires_on is not None and self.expires_on < (on or timezone.localdate())


class GpsQualificationDecision(models.Model):
    """A decision to grant or revoke a point's GPS-upgrade qualification (GPS升级网点), with its
    reason and evidence; OrgUnit.gps_upgrade follows the latest decision."""

    org_unit = models.ForeignKey(
        "network.OrgUnit",
        verbose_name=_("网点"),
        on_delete=models.CASCADE,
        related_name="gps_decisions",
    )
    granted = models.BooleanField(_("授予"))
    reason = models.TextField(_("理由"))
    evidence = models.FileField(
        _("证明材料"), upload_to="network/gps/%Y/%m/", blank=True, help_text=_("授予时必须上传")
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(_("决定时间"), default=timezone.now)

    class Meta:
        verbose_name = _("GPS升级资质决定")
        verbose_name_plural = _("GPS升级资质决定")
        ordering = ["-decided_at", "-id"]

    def __str__(self):
        return f"{self.org_unit} {'+' if self.granted else '-'}GPS"


# --- evaluation (考核) and grade changes ---------------------------------------------------------


class PointEvaluationQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Staff see the evaluations of the points in their subtree; a point its own."""
        if not user or not user.is_authenticated:
            return self.none()
        q = org_scope_q(user, "org_unit")
        return self if q is None else self.filter(q)


class PointEvaluation(FSMModelMixin, models.Model):
    """One point's evaluation for one quarter: the facts (from repairs and complaints through the
    `service_point_facts` hook), the rates and the score, the grade the score suggests, and the
    grade the network specialist confirms."""

    org_unit = models.ForeignKey(
        "network.OrgUnit",
        verbose_name=_("网点"),
        on_delete=models.CASCADE,
        related_name="evaluations",
    )
    period = models.CharField(_("考核期"), max_length=8, help_text=_("如 2026Q3"))
    period_start = models.DateField(_("开始日期"))
    period_end = models.DateField(_("结束日期"), help_text=_("不含当天"))
    state = FSMField(
        _("状态"),
        max_length=10,
        choices=EvaluationState.choices,
        default=E.PROPOSED,
        protected=True,
    )
    facts = models.JSONField(_("考核数据"), default=dict, blank=True, editable=False)
    dispatch_rate = models.DecimalField(
        _("按时接单率"), max_digits=5, decimal_places=1, null=True, blank=True, editable=False
    )
    visit_rate = models.DecimalField(
        _("按时上门率"), max_digits=5, decimal_places=1, null=True, blank=True, editable=False
    )
    satisfaction_rate = models.DecimalField(
        _("回访满意率"), max_digits=5, decimal_places=1, null=True, blank=True, editable=False
    )
    complaints = models.PositiveIntegerField(_("被投诉次数"), default=0, editable=False)
    score = models.DecimalField(
        _("得分"),
        max_digits=5,
        decimal_places=1,
        null=True,
        blank=True,
        editable=False,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
    )
    grade_before = models.CharField(
        _("原等级"), max_length=2, choices=PointGrade.choices, editable=False
    )
    suggested_grade = models.CharField(
        _("建议等级"), max_length=2, choices=PointGrade.choices, editable=False
    )
    confirmed_grade = models.CharField(
        _("确认等级"), max_length=2, choices=PointGrade.choices, blank=True, editable=False
    )
    computed_at = models.DateTimeField(_("计算时间"), default=timezone.now, editable=False)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("确认人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )
    confirmed_at = models.DateTimeField(_("确认时间"), null=True, blank=True, editable=False)
    note = models.TextField(_("确认说明"), blank=True, editable=False)

    objects = PointEvaluationQuerySet.as_manager()

    class Meta:
        verbose_name = _("网点考核")
        verbose_name_plural = _("网点考核")
        ordering = ["-period_start", "-id"]
        indexes = [
            models.Index(fields=["org_unit", "-id"], name="pointeval_org_unit"),
            models.Index(fields=["state", "-id"], name="pointeval_state"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["org_unit", "period"], name="pointeval_once_a_period"),
        ]

    def __str__(self):
        return f"{self.org_unit} {self.period}"

    def get_absolute_url(self):
        return reverse_id("network:evaluation_detail", self.pk)

    @property
    def state_colour(self) -> str:
        return EvaluationState.colour_of(self.state)

    @property
    def suggested_colour(self) -> str:
        from .choices import GRADE_COLOURS

        return GRADE_COLOURS.get(self.suggested_grade, "secondary")

    @property
    def suggests_change(self) -> bool:
        return self.suggested_grade != self.grade_before

    @transition(
        field=state, source=E.PROPOSED, target=E.CONFIRMED, permission=_perm("may_manage_points")
    )
    def confirm(self, *, actor=None, grade: str = "", note: str = ""):
        self.confirmed_grade = grade
        self.confirmed_by = actor
        self.confirmed_at = timezone.now()
        self.note = note


class GradeChange(models.Model):
    """Every change of a point's grade: from, to, why (an evaluation or a decision), who."""

    org_unit = models.ForeignKey(
        "network.OrgUnit",
        verbose_name=_("网点"),
        on_delete=models.CASCADE,
        related_name="grade_changes",
    )
    from_grade = models.CharField(_("原等级"), max_length=2, choices=PointGrade.choices)
    to_grade = models.CharField(_("新等级"), max_length=2, choices=PointGrade.choices)
    evaluation = models.ForeignKey(
        PointEvaluation,
        verbose_name=_("考核"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="grade_changes",
    )
    reason = models.TextField(_("原因"), blank=True)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    changed_at = models.DateTimeField(_("时间"), default=timezone.now)

    class Meta:
        verbose_name = _("网点等级变更")
        verbose_name_plural = _("网点等级变更")
        ordering = ["-changed_at", "-id"]

    def __str__(self):
        return f"{self.org_unit} {self.from_grade}→{self.to_grade}"


# --- training (驻外技术员培训) -------------------------------------------------------------------


class TrainingSessionQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Staff see the sessions organised in their subtree and above it for them (a session
        of headquarters is for everyone under it): by the organiser's unit in the caller's
        subtree, or one the caller attends."""
        if not user or not user.is_authenticated:
            return self.none()
        q = org_scope_q(user, "org_unit")
        if q is None:
            return self
        return self.filter(
            q | Q(pk__in=TrainingAttendee.objects.filter(user=user).values("session"))
        )


class TrainingSession(FSMModelMixin, models.Model):
    """A training session (培训): topic, when, who trains, where (or online), the materials; then
    who attended and who passed."""

    number = models.CharField(_("培训编号"), max_length=24, unique=True)
    state = FSMField(
        _("状态"), max_length=10, choices=TrainingState.choices, default=T.PLANNED, protected=True
    )
    topic = models.CharField(_("培训主题"), max_length=120)
    description = models.TextField(_("内容说明"), blank=True)
    starts_at = models.DateTimeField(_("开始时间"))
    hours = models.DecimalField(
        _("学时"),
        max_digits=4,
        decimal_places=1,
        default=Decimal("2"),
        validators=[MinValueValidator(Decimal("0.5")), MaxValueValidator(Decimal("80"))],
    )
    trainer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("讲师"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="trainings_given",
    )
    trainer_name = models.CharField(_("外部讲师"), max_length=60, blank=True)
    mode = models.CharField(_("形式"), max_length=8, choices=TrainingMode.choices)
    place = models.CharField(
        _("地点或链接"), max_length=200, help_text=_("现场培训填写地点，线上培训填写会议链接")
    )
    materials = models.FileField(_("培训资料"), upload_to="network/training/%Y/%m/", blank=True)
    pass_score = models.PositiveSmallIntegerField(_("合格分数"), default=60)
    org_unit = models.ForeignKey(
        "network.OrgUnit",
        verbose_name=_("组织单位"),
        on_delete=models.PROTECT,
        related_name="training_sessions",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    objects = TrainingSessionQuerySet.as_manager()

    class Meta:
        verbose_name = _("培训")
        verbose_name_plural = _("培训")
        ordering = ["-starts_at", "-id"]
        indexes = [models.Index(fields=["org_unit", "-id"], name="training_org_unit")]

    def __str__(self):
        return f"{self.number} {self.topic}"

    def get_absolute_url(self):
        return reverse_id("network:training_detail", self.pk)

    @property
    def state_colour(self) -> str:
        return TrainingState.colour_of(self.state)

    @property
    def trainer_label(self) -> str:
        if self.trainer_id:
            return self.trainer.get_full_name() or self.trainer.username
        return self.trainer_name

    @transition(
        field=state, source=T.PLANNED, target=T.HELD, permission=_perm("may_manage_training")
    )
    def hold(self):
        """Attendance and scores recorded."""

    @transition(
        field=state, source=T.PLANNED, target=T.CANCELLED, permission=_perm("may_manage_training")
    )
    def cancel(self):
        pass


class TrainingAttendee(models.Model):
    """One person on a session: invited, then present or absent, with a score and pass mark."""

    session = models.ForeignKey(
        TrainingSession, verbose_name=_("培训"), on_delete=models.CASCADE, related_name="attendees"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("学员"),
        on_delete=models.CASCADE,
        related_name="trainings",
    )
    org_unit = models.ForeignKey(
        "network.OrgUnit",
        verbose_name=_("所属单位"),
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("报名时学员所属的单位"),
    )
    attendance = models.CharField(
        _("出勤"), max_length=8, choices=Attendance.choices, default=Attendance.INVITED
    )
    score = models.DecimalField(
        _("成绩"),
        max_digits=5,
        decimal_places=1,
        null=True,
        blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
    )
    passed = models.BooleanField(_("合格"), null=True, blank=True)
    note = models.CharField(_("备注"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("培训学员")
        verbose_name_plural = _("培训学员")
        ordering = ["session", "id"]
        indexes = [models.Index(fields=["user", "-session"], name="trainee_user")]
        constraints = [
            models.UniqueConstraint(fields=["session", "user"], name="trainee_once_a_session"),
        ]

    def __str__(self):
        return f"{self.session} {self.user}"
