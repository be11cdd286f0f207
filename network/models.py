from decimal import Decimal

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMField, FSMModelMixin, transition

from service_ops.i18n import choice_label

from .choices import (
    PARTNER_KINDS,
    BranchKind,
    LedgerEntryKind,
    OrgKind,
    PointGrade,
    PointStatus,
    Role,
)


class OrgUnitQuerySet(models.QuerySet):
    def visible_to(self, user):
        from .visibility import scope_by_org

        return scope_by_org(self, user, "")


class OrgUnit(models.Model):
    """One node of the service network tree: HQ → province → branch → offices, dealers, points.

    `path` is the chain of ancestor ids ("/1/4/9/"), kept by save(), so a subtree is one indexed
    `startswith` filter instead of a recursive query.
    """

    code = models.CharField(_("编码"), max_length=32, unique=True)
    name = models.CharField(_("名称"), max_length=120)
    kind = models.CharField(_("类型"), max_length=20, choices=OrgKind.choices)
    branch_kind = models.CharField(
        _("分公司类型"), max_length=12, choices=BranchKind.choices, blank=True
    )
    parent = models.ForeignKey(
        "self",
        verbose_name=_("上级"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    path = models.CharField(max_length=255, editable=False, db_index=True, default="")
    gps_upgrade = models.BooleanField(_("GPS升级网点"), default=False)
    contact_name = models.CharField(_("联系人"), max_length=60, blank=True)
    phone = models.CharField(_("电话"), max_length=40, blank=True)
    address = models.CharField(_("地址"), max_length=255, blank=True)
    is_active = models.BooleanField(_("启用"), default=True)

    objects = OrgUnitQuerySet.as_manager()

    class Meta:
        verbose_name = _("组织")
        verbose_name_plural = _("组织")
        ordering = ["path"]
        constraints = [
            models.CheckConstraint(
                name="orgunit_branch_kind_only_on_branches",
                condition=(Q(kind=OrgKind.BRANCH) & ~Q(branch_kind=""))
                | (~Q(kind=OrgKind.BRANCH) & Q(branch_kind="")),
            ),
        ]

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        super().save(*args, **kwargs)
        path = f"{self.parent.path if self.parent_id else '/'}{self.pk}/"
        if path != self.path:
            old = self.path
            type(self).objects.filter(pk=self.pk).update(path=path)
            self.path = path
            if old:  # moved: rewrite the subtree's paths
                for child in type(self).objects.filter(path__startswith=old).exclude(pk=self.pk):
                    child.save()

    @property
    def is_partner(self) -> bool:
        return self.kind in PARTNER_KINDS

    def ancestor_ids(self) -> list[int]:
        """Own id first, then each ancestor up to the root."""
        return [int(part) for part in reversed(self.path.strip("/").split("/")) if part]

    def nearest(self, kind: str):
        """This unit or its nearest ancestor of the given kind (e.g. the branch of a dealer)."""
        ids = self.ancestor_ids()
        units = {u.pk: u for u in OrgUnit.objects.filter(pk__in=ids, kind=kind)}
        return next((units[i] for i in ids if i in units), None)


class StaffProfile(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("账号"),
        on_delete=models.CASCADE,
        related_name="profile",
    )
    org_unit = models.ForeignKey(
        OrgUnit, verbose_name=_("所属组织"), on_delete=models.PROTECT, related_name="staff"
    )
    title = models.CharField(_("职务"), max_length=60, blank=True)
    phone = models.CharField(_("手机"), max_length=40, blank=True, db_index=True)
    email_notifications = models.BooleanField(_("邮件通知"), default=True)
    sms_notifications = models.BooleanField(_("短信通知"), default=False)
    escalation_digest = models.BooleanField(
        _("升级通知改为每日汇总"),
        default=False,
        help_text=_("主管可选择每天收一封汇总邮件，而不是每次升级一封。"),
    )

    class Meta:
        verbose_name = _("员工档案")
        verbose_name_plural = _("员工档案")

    def __str__(self):
        return f"{self.user.get_full_name() or self.user.username} ({self.org_unit})"

    @property
    def is_partner(self) -> bool:
        return self.org_unit.is_partner


class RoleAssignment(models.Model):
    """A person holds a role for an org unit (and, by the lookup rule, for the units below it)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("账号"),
        on_delete=models.CASCADE,
        related_name="role_assignments",
    )
    role = models.CharField(_("角色"), max_length=32, choices=Role.choices)
    org_unit = models.ForeignKey(
        OrgUnit, verbose_name=_("负责组织"), on_delete=models.CASCADE, related_name="role_holders"
    )

    class Meta:
        verbose_name = _("角色")
        verbose_name_plural = _("角色")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "role", "org_unit"], name="roleassignment_unique"
            )
        ]
        indexes = [models.Index(fields=["role", "org_unit"], name="roleassignment_lookup")]

    def __str__(self):
        return f"{choice_label(self, 'role')} @ {self.org_unit}"


class Delegation(models.Model):
    """A deputy acts for an absent person (all roles, or one) for a date range."""

    principal = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("被代理人"),
        on_delete=models.CASCADE,
        related_name="delegations_given",
    )
    deputy = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("代理人"),
        on_delete=models.CASCADE,
        related_name="delegations_taken",
    )
    role = models.CharField(
        _("角色"),
        max_length=32,
        choices=Role.choices,
        blank=True,
        help_text=_("留空表示代理全部角色"),
    )
    starts_on = models.DateField(_("开始日期"))
    ends_on = models.DateField(_("结束日期"))
    note = models.CharField(_("备注"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("代理授权")
        verbose_name_plural = _("代理授权")
        constraints = [
            models.CheckConstraint(
                name="delegation_dates_ordered", condition=Q(ends_on__gte=models.F("starts_on"))
            ),
            models.CheckConstraint(
                name="delegation_not_self", condition=~Q(deputy=models.F("principal"))
            ),
        ]

    def __str__(self):
        return f"{self.deputy} → {self.principal} ({self.starts_on}–{self.ends_on})"


class PrepaidAccount(models.Model):
    """Prepaid balance of a dealer or service point.

    Changed only by network.services.prepaid_post."""

    org_unit = models.OneToOneField(
        OrgUnit, verbose_name=_("组织"), on_delete=models.PROTECT, related_name="prepaid_account"
    )
    balance = models.DecimalField(_("余额"), max_digits=12, decimal_places=2, default=Decimal("0"))
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("预存款账户")
        verbose_name_plural = _("预存款账户")
        constraints = [
            models.CheckConstraint(
                name="prepaidaccount_balance_never_negative", condition=Q(balance__gte=0)
            )
        ]

    def __str__(self):
        return f"{self.org_unit} ¥{self.balance}"


class PrepaidEntry(models.Model):
    account = models.ForeignKey(PrepaidAccount, on_delete=models.PROTECT, related_name="entries")
    kind = models.CharField(_("类型"), max_length=12, choices=LedgerEntryKind.choices)
    amount = models.DecimalField(_("金额"), max_digits=12, decimal_places=2)
    balance_after = models.DecimalField(_("变动后余额"), max_digits=12, decimal_places=2)
    reference = models.CharField(_("关联单据"), max_length=64, blank=True)
    note = models.CharField(_("备注"), max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    created_at = models.DateTimeField(_("时间"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("预存款流水")
        verbose_name_plural = _("预存款流水")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(name="prepaidentry_amount_positive", condition=Q(amount__gt=0))
        ]

    def __str__(self):
        return f"{choice_label(self, 'kind')} ¥{self.amount}"


class PartnerToken(models.Model):
    """An API token of one partner client. Only a SHA-256 digest is stored (a password hasher
    costs ~0.5 s per check); the plaintext is shown once, when issued."""

    org_unit = models.ForeignKey(
        OrgUnit,
        verbose_name=_("组织"),
        on_delete=models.CASCADE,
        related_name="api_tokens",
        limit_choices_to={"kind__in": sorted(PARTNER_KINDS)},
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("服务账号"),
        on_delete=models.CASCADE,
        related_name="api_tokens",
    )
    name = models.CharField(_("名称"), max_length=80)
    prefix = models.CharField(_("前缀"), max_length=12, unique=True, editable=False)
    digest = models.CharField(max_length=64, editable=False)
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)
    expires_at = models.DateTimeField(_("过期时间"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("吊销时间"), null=True, blank=True)
    last_used_at = models.DateTimeField(_("最近使用"), null=True, blank=True, editable=False)
    # Rotation: the successor, issued while this one keeps working until its (shortened) expiry.
    replaced_by = models.OneToOneField(
        "self",
        verbose_name=_("轮换为"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="replaces",
    )
    throttle_rate = models.CharField(
        _("调用频率上限"),
        max_length=20,
        blank=True,
        validators=[
            RegexValidator(r"^\d+/(s|sec|second|m|min|minute|h|hour|d|day)$", _("格式如 600/min"))
        ],
        help_text=_("每个令牌单独计数，如 600/min；留空用默认值"),
    )

    class Meta:
        verbose_name = _("API 令牌")
        verbose_name_plural = _("API 令牌")

    def __str__(self):
        return f"{self.name} ({self.prefix}…)"

    def is_usable(self, now=None) -> bool:
        now = now or timezone.now()
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > now)


def _standing_perm(instance, user) -> bool:
    from .life.permissions import may_manage_points

    return may_manage_points(user)


def _system_only(instance, user) -> bool:
    return False


class ServicePointProfile(FSMModelMixin, models.Model):
    """What the network knows of a service point (特约维修网点) or a field office as a service
    provider: its grade, its standing, its skills and product lines, its contract and how much
    open work it takes at once. The dispatch rules read it; the network's life (onboarding,
    evaluation, suspension) changes it through network.services only."""

    org_unit = models.OneToOneField(
        OrgUnit,
        verbose_name=_("网点"),
        on_delete=models.PROTECT,
        related_name="service_profile",
    )
    grade = models.CharField(
        _("网点等级"), max_length=2, choices=PointGrade.choices, default=PointGrade.C
    )
    # Changed only by network.life.services (run_transition: locked row, log with the reason).
    status = FSMField(
        _("合作状态"),
        max_length=12,
        choices=PointStatus.choices,
        default=PointStatus.ACTIVE,
        editable=False,
        protected=True,
    )
    skills = models.JSONField(
        _("服务技能"), default=list, blank=True, help_text=_("如 安装、维修、保养、巡检、GPS升级")
    )
    product_models = models.JSONField(
        _("可服务型号"), default=list, blank=True, help_text=_("留空表示全部型号")
    )
    capacity = models.PositiveSmallIntegerField(
        _("同时在办上限"), default=10, help_text=_("派单时超过此数量的网点排在后面")
    )
    contract_start = models.DateField(_("合同开始"), null=True, blank=True)
    contract_end = models.DateField(_("合同结束"), null=True, blank=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("网点档案")
        verbose_name_plural = _("网点档案")
        indexes = [models.Index(fields=["status", "grade"], name="servicepoint_status_grade")]

    def __str__(self):
        return f"{self.org_unit} {choice_label(self, 'grade')}"

    @property
    def state_colour(self) -> str:
        from .life.choices import POINT_STATUS_COLOURS

        return POINT_STATUS_COLOURS.get(self.status, "secondary")

    @property
    def grade_colour(self) -> str:
        from .life.choices import GRADE_COLOURS

        return GRADE_COLOURS.get(self.grade, "secondary")

    # -- the point's standing (网点流程): services only, each change logged with its reason --
    @transition(
        field=status,
        source=PointStatus.ONBOARDING,
        target=PointStatus.ACTIVE,
        permission=_system_only,
    )
    def activate(self):
        """Its application to join was approved."""

    @transition(
        field=status,
        source=PointStatus.ACTIVE,
        target=PointStatus.SUSPENDED,
        permission=_standing_perm,
    )
    def suspend(self):
        """No dispatches while suspended (the dispatch rules read status=active)."""

    @transition(
        field=status,
        source=PointStatus.SUSPENDED,
        target=PointStatus.ACTIVE,
        permission=_standing_perm,
    )
    def reinstate(self):
        pass

    @transition(
        field=status,
        source=[PointStatus.ACTIVE, PointStatus.SUSPENDED],
        target=PointStatus.TERMINATED,
        permission=_standing_perm,
    )
    def terminate(self):
        """The contract ends; the org unit is switched off by the service."""


class ServiceArea(models.Model):
    """An area a field office or a service point covers (服务区域): a province, a city, or a
    district of it. A service request's address is matched against these, the most specific
    first (district, then city, then province)."""

    org_unit = models.ForeignKey(
        OrgUnit, verbose_name=_("服务单位"), on_delete=models.CASCADE, related_name="service_areas"
    )
    province = models.CharField(_("省"), max_length=20)
    city = models.CharField(_("市"), max_length=30, blank=True)
    district = models.CharField(_("区县"), max_length=30, blank=True)

    class Meta:
        verbose_name = _("服务区域")
        verbose_name_plural = _("服务区域")
        ordering = ["province", "city", "district"]
        indexes = [
            models.Index(fields=["province", "city", "district"], name="servicearea_place"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["org_unit", "province", "city", "district"], name="servicearea_unique"
            )
        ]

    def __str__(self):
        return "".join(p for p in (self.province, self.city, self.district) if p)


# The network's life (网点流程): applications, documents, evaluations, trainings.
from .life.models import (  # noqa: E402, F401
    GpsQualificationDecision,
    GradeChange,
    LifeRules,
    PointApplication,
    PointEvaluation,
    QualificationDocument,
    TrainingAttendee,
    TrainingSession,
)
