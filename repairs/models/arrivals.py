"""Unauthorised arrivals (未经申请擅自返回), their penalties, the happy fund (快乐基金) and the
configurable numbers of the return rules (ReturnPolicy)."""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMField, FSMModelMixin, transition

from network.choices import Role
from network.models import OrgUnit
from network.visibility import scope_by_org
from service_ops.i18n import choice_label

from ..choices import (
    ArrivalState,
    PenaltyKind,
    PenaltyState,
    Platform,
)
from ..permissions import system_only


class ReturnPolicy(models.Model):
    """The numbers of the return rules (DESIGN §2.1, §2.2), editable in the admin. One row."""

    fine_min = models.DecimalField(
        _("罚款下限（元）"), max_digits=8, decimal_places=2, default=Decimal("200")
    )
    fine_max = models.DecimalField(
        _("罚款上限（元）"), max_digits=8, decimal_places=2, default=Decimal("500")
    )
    engineer_points = models.PositiveSmallIntegerField(_("维修工程师扣分"), default=20)
    returned_stock_pmc_threshold = models.PositiveSmallIntegerField(
        _("退货转 PMC 的台数下限"), default=10
    )
    province_ranking_top = models.PositiveSmallIntegerField(_("省区排名标记前 N 名"), default=5)
    branch_ranking_top = models.PositiveSmallIntegerField(_("分公司排名标记前 N 名"), default=3)
    # Not in the seed (it says only 老化): the workshop's own minimum, editable here.
    burn_in_minimum_hours = models.PositiveSmallIntegerField(
        _("老化最短时长（小时）"),
        default=4,
        help_text=_("老化开始后至少经过这么多小时才能结束老化"),
    )

    class Meta:
        verbose_name = _("返修规则参数")
        verbose_name_plural = _("返修规则参数")
        constraints = [
            models.CheckConstraint(
                name="returnpolicy_fine_range", condition=Q(fine_max__gte=models.F("fine_min"))
            ),
        ]

    def __str__(self):
        return str(_("返修规则参数"))

    @classmethod
    def current(cls) -> "ReturnPolicy":
        return cls.objects.order_by("pk").first() or cls.objects.create()


class UnauthorisedArrivalQuerySet(models.QuerySet):
    def visible_to(self, user):
        return scope_by_org(self, user, "branch", "shipper_unit")


class UnauthorisedArrival(FSMModelMixin, models.Model):
    """Goods that arrived without an approved application: refused (一律不予受理) and returned."""

    number = models.CharField(_("单号"), max_length=24, unique=True, editable=False)
    platform = models.CharField(_("平台"), max_length=12, choices=Platform.choices, editable=False)
    shipper_unit = models.ForeignKey(
        OrgUnit, verbose_name=_("发货单位"), on_delete=models.PROTECT, related_name="+"
    )
    branch = models.ForeignKey(
        OrgUnit, verbose_name=_("分公司"), on_delete=models.PROTECT, related_name="+"
    )
    arrived_at = models.DateTimeField(_("到货时间"), default=timezone.now)
    units = models.PositiveIntegerField(_("台数"), default=1)
    description = models.TextField(_("货物说明"), blank=True, max_length=1000)
    return_carrier = models.CharField(_("退回承运商"), max_length=60, blank=True)
    return_tracking = models.CharField(_("退回单号"), max_length=60, blank=True)
    state = FSMField(
        _("状态"),
        max_length=20,
        choices=ArrivalState.choices,
        default=ArrivalState.REFUSED,
        protected=True,
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    objects = UnauthorisedArrivalQuerySet.as_manager()

    class Meta:
        verbose_name = _("未经申请到货")
        verbose_name_plural = _("未经申请到货")
        ordering = ["-id"]

    def __str__(self):
        return self.number

    def get_absolute_url(self):
        from service_ops.reversing import reverse_id

        return reverse_id("repairs:arrival_detail", self.pk)

    @property
    def state_colour(self) -> str:
        """The Bootstrap colour of the state badge."""
        return ArrivalState.colour_of(self.state)

    @transition(
        field=state,
        source=ArrivalState.REFUSED,
        target=ArrivalState.PENALTIES_CONFIRMED,
        permission=system_only,
    )
    def settle(self):
        """All penalties are decided."""


def _is_head_of_cs(instance, user) -> bool:
    from ..permissions import may_decide_penalties

    return may_decide_penalties(user)


class PenaltyQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Penalties follow their arrival's visibility."""
        return self.filter(arrival__in=UnauthorisedArrival.objects.visible_to(user))


class Penalty(FSMModelMixin, models.Model):
    arrival = models.ForeignKey(
        UnauthorisedArrival, on_delete=models.CASCADE, related_name="penalties"
    )
    role = models.CharField(_("责任角色"), max_length=32, choices=Role.choices)
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("责任人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="penalties",
    )
    org_unit = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(_("类型"), max_length=8, choices=PenaltyKind.choices)
    amount_min = models.DecimalField(_("下限"), max_digits=8, decimal_places=2)
    amount_max = models.DecimalField(_("上限"), max_digits=8, decimal_places=2)
    amount = models.DecimalField(
        _("确认金额/分数"), max_digits=8, decimal_places=2, null=True, blank=True
    )
    state = FSMField(
        _("状态"),
        max_length=10,
        choices=PenaltyState.choices,
        default=PenaltyState.PROPOSED,
        protected=True,
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    note = models.CharField(_("备注"), max_length=200, blank=True)

    objects = PenaltyQuerySet.as_manager()

    class Meta:
        verbose_name = _("负激励")
        verbose_name_plural = _("负激励")
        ordering = ["arrival", "id"]
        constraints = [
            models.CheckConstraint(
                name="penalty_amount_within_range",
                condition=Q(amount__isnull=True)
                | (Q(amount__gte=models.F("amount_min")) & Q(amount__lte=models.F("amount_max"))),
            )
        ]

    def __str__(self):
        return f"{choice_label(self, 'role')} {choice_label(self, 'kind')}"

    def get_absolute_url(self):
        return self.arrival.get_absolute_url()

    @property
    def state_colour(self) -> str:
        """The Bootstrap colour of the state badge."""
        return PenaltyState.colour_of(self.state)

    @transition(
        field=state,
        source=PenaltyState.PROPOSED,
        target=PenaltyState.CONFIRMED,
        permission=_is_head_of_cs,
    )
    def confirm(self, *, amount, actor):
        self.amount = amount
        self.decided_by = actor
        self.decided_at = timezone.now()

    @transition(
        field=state,
        source=PenaltyState.PROPOSED,
        target=PenaltyState.WAIVED,
        permission=_is_head_of_cs,
    )
    def waive(self, *, actor, note=""):
        self.decided_by = actor
        self.decided_at = timezone.now()
        self.note = note[:200]


class HappyFundEntry(models.Model):
    """The happy fund (快乐基金) ledger: confirmed fines come in; each row keeps the balance."""

    penalty = models.OneToOneField(
        Penalty, on_delete=models.PROTECT, null=True, blank=True, related_name="fund_entry"
    )
    amount = models.DecimalField(_("金额"), max_digits=10, decimal_places=2)
    balance_after = models.DecimalField(_("余额"), max_digits=12, decimal_places=2)
    note = models.CharField(_("说明"), max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("快乐基金流水")
        verbose_name_plural = _("快乐基金流水")
        ordering = ["-id"]
