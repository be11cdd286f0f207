"""Settlement with service points (网点结算, issue 20 item 7; DESIGN §2.6).

Fee rules are data (FeeRule): by service category, point grade, distance band, product model
and warranty, each in force from `effective_from` to `effective_to` (inclusive; open-ended when
blank). A visit is priced by the most specific rule in force on the visit's date (the local
date it was finished). "Most specific" is an order, compared field by field:

1. a rule naming a product model beats one that does not; a longer model prefix beats a shorter;
2. then a rule naming the service category;
3. then one naming the point grade;
4. then one naming the warranty (in or out, over "any");
5. then a bounded distance band over an open-ended one, a narrower band over a wider;
6. then the rule in force from the later date; last, the newer rule (higher id).

A rule is never edited once a line was priced with it: it is ended (`effective_to`) and a new
one added (services.settlement.fee_rule_add / fee_rule_end).

A finished visit of a service point becomes a line (SettlementLine, kind "visit") only through
its proof gates (selectors.settlement.visit_gates); the monthly batch builds one statement per
point and month (SettlementStatement) and never puts a visit on two lines (unique constraint).
State changes only through repairs.services.settlement."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMField, FSMModelMixin, transition

from network.choices import PointGrade
from network.models import OrgUnit
from network.visibility import scope_by_org
from service_ops.i18n import choice_label
from service_ops.reversing import reverse_id

from ..choices import (
    ServiceCategory,
    SettlementLineKind,
    SettlementLineState,
    SettlementState,
    WarrantyMatch,
)

S = SettlementState
L = SettlementLineState


class FeeRuleQuerySet(models.QuerySet):
    def in_force_between(self, first: date, last: date):
        """Rules in force on any day of [first, last]."""
        return self.filter(effective_from__lte=last).filter(
            Q(effective_to__isnull=True) | Q(effective_to__gte=first)
        )


class FeeRule(models.Model):
    """One price of a visit for a service point (网点服务费标准). Blank fields match any visit."""

    category = models.CharField(
        _("服务类别"), max_length=12, choices=ServiceCategory.choices, blank=True
    )
    grade = models.CharField(_("网点等级"), max_length=2, choices=PointGrade.choices, blank=True)
    km_from = models.DecimalField(
        _("距离起（公里）"), max_digits=7, decimal_places=1, default=Decimal("0")
    )
    km_to = models.DecimalField(
        _("距离止（公里）"),
        max_digits=7,
        decimal_places=1,
        null=True,
        blank=True,
        help_text=_("不含；留空表示不设上限"),
    )
    product_model = models.CharField(
        _("产品型号"), max_length=60, blank=True, help_text=_("型号前缀，留空表示全部型号")
    )
    warranty = models.CharField(
        _("保修"), max_length=4, choices=WarrantyMatch.choices, default=WarrantyMatch.ANY
    )
    amount = models.DecimalField(_("金额"), max_digits=10, decimal_places=2)
    effective_from = models.DateField(_("生效日期"))
    effective_to = models.DateField(
        _("失效日期"), null=True, blank=True, help_text=_("含当天；留空表示长期有效")
    )
    note = models.CharField(_("说明"), max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now, editable=False)

    objects = FeeRuleQuerySet.as_manager()

    class Meta:
        verbose_name = _("网点服务费规则")
        verbose_name_plural = _("网点服务费规则")
        ordering = ["-id"]
        constraints = [
            models.CheckConstraint(
                name="feerule_amount_not_negative",
                condition=Q(amount__gte=0),
                violation_error_message=_("金额不能为负数"),
            ),
            models.CheckConstraint(
                name="feerule_km_from_not_negative",
                condition=Q(km_from__gte=0),
                violation_error_message=_("距离不能为负数"),
            ),
            models.CheckConstraint(
                name="feerule_band_not_empty",
                condition=Q(km_to__isnull=True) | Q(km_to__gt=models.F("km_from")),
                violation_error_message=_("距离止必须大于距离起"),
            ),
            models.CheckConstraint(
                name="feerule_dates_in_order",
                condition=Q(effective_to__isnull=True)
                | Q(effective_to__gte=models.F("effective_from")),
                violation_error_message=_("失效日期不能早于生效日期"),
            ),
        ]

    def __str__(self):
        return f"#{self.pk} {self.describe()} ¥{self.amount}"

    def describe(self) -> str:
        parts = [
            choice_label(self, "category") if self.category else str(_("全部类别")),
            choice_label(self, "grade") if self.grade else str(_("全部等级")),
            self.band_label,
            self.product_model or str(_("全部型号")),
            choice_label(self, "warranty"),
        ]
        return " · ".join(parts)

    @property
    def band_label(self) -> str:
        if self.km_to is None:
            return f"≥{self.km_from} km" if self.km_from else str(_("不限距离"))
        return f"{self.km_from}–{self.km_to} km"

    def in_force_on(self, day: date) -> bool:
        return self.effective_from <= day and (
            self.effective_to is None or day <= self.effective_to
        )

    def matches(
        self, *, category: str, grade: str, km: Decimal, model: str, in_warranty: bool | None
    ) -> bool:
        if self.category and self.category != category:
            return False
        if self.grade and self.grade != grade:
            return False
        if km < self.km_from or (self.km_to is not None and km >= self.km_to):
            return False
        if self.product_model and not (model or "").upper().startswith(self.product_model.upper()):
            return False
        if self.warranty == WarrantyMatch.IN and in_warranty is not True:
            return False
        return not (self.warranty == WarrantyMatch.OUT and in_warranty is not False)

    def specificity(self) -> tuple:
        """The sort key of the order in the module's docstring (greater wins)."""
        width = (self.km_to - self.km_from) if self.km_to is not None else None
        return (
            len(self.product_model),
            bool(self.category),
            bool(self.grade),
            self.warranty != WarrantyMatch.ANY,
            width is not None,
            -(width or 0),
            self.effective_from,
            self.pk or 0,
        )

    def same_dimensions(self, other: FeeRule) -> bool:
        return (
            self.category == other.category
            and self.grade == other.grade
            and self.km_from == other.km_from
            and self.km_to == other.km_to
            and self.product_model.upper() == other.product_model.upper()
            and self.warranty == other.warranty
        )


def best_rule(rules, *, day: date, **visit) -> FeeRule | None:
    """The rule that prices a visit of `day` among `rules` (None: no rule applies)."""
    found = [r for r in rules if r.in_force_on(day) and r.matches(**visit)]
    return max(found, key=FeeRule.specificity) if found else None


# --- statements ---


def _is_network_specialist(instance, user) -> bool:
    from ..permissions import may_manage_settlement

    return may_manage_settlement(user)


def _may_approve(instance, user) -> bool:
    from ..permissions import may_approve_settlement

    return may_approve_settlement(user)


def _may_export(instance, user) -> bool:
    from ..permissions import may_export_settlement

    return may_export_settlement(user)


def _is_partner(user) -> bool:
    from network.choices import PARTNER_KINDS
    from network.visibility import user_org_unit

    unit = user_org_unit(user)
    return unit is not None and unit.kind in PARTNER_KINDS


class SettlementStatementQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Headquarters sees every statement; a branch those of the points under it; a service
        point its own once issued to it (a draft is headquarters' work in progress)."""
        qs = scope_by_org(self, user, "point")
        return qs.exclude(state=S.DRAFT) if _is_partner(user) else qs


class SettlementStatement(FSMModelMixin, models.Model):
    """One service point's statement for one month (网点月结算单)."""

    number = models.CharField(_("结算单号"), max_length=24, unique=True, editable=False)
    point = models.ForeignKey(
        OrgUnit,
        verbose_name=_("服务网点"),
        on_delete=models.PROTECT,
        related_name="settlement_statements",
    )
    month = models.DateField(_("月份"), help_text=_("该月第一天"))
    state = FSMField(
        _("状态"), max_length=10, choices=SettlementState.choices, default=S.DRAFT, protected=True
    )
    visits_total = models.DecimalField(
        _("服务费"), max_digits=12, decimal_places=2, default=Decimal("0")
    )
    rewards_total = models.DecimalField(
        _("奖励"), max_digits=12, decimal_places=2, default=Decimal("0")
    )
    penalties_total = models.DecimalField(
        _("扣罚"), max_digits=12, decimal_places=2, default=Decimal("0")
    )
    total = models.DecimalField(_("合计"), max_digits=12, decimal_places=2, default=Decimal("0"))
    generated_at = models.DateTimeField(_("生成时间"), default=timezone.now)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    issued_at = models.DateTimeField(_("下发时间"), null=True, blank=True)
    confirmed_at = models.DateTimeField(_("确认完成时间"), null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    approved_at = models.DateTimeField(_("审批时间"), null=True, blank=True)
    exported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    exported_at = models.DateTimeField(_("导出付款时间"), null=True, blank=True)

    objects = SettlementStatementQuerySet.as_manager()

    class Meta:
        verbose_name = _("网点结算单")
        verbose_name_plural = _("网点结算单")
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(fields=["point", "month"], name="settlement_point_month"),
        ]
        indexes = [
            models.Index(fields=["point", "-id"], name="settlement_point"),
            models.Index(fields=["state", "-id"], name="settlement_state"),
            models.Index(fields=["month", "-id"], name="settlement_month"),
        ]

    def __str__(self):
        return self.number

    def get_absolute_url(self):
        return reverse_id("repairs:settlement_detail", self.pk)

    @property
    def state_colour(self) -> str:
        return SettlementState.colour_of(self.state)

    @property
    def state_label(self) -> str:
        return choice_label(self, "state")

    @transition(field=state, source=S.DRAFT, target=S.ISSUED, permission=_is_network_specialist)
    def issue(self, *, actor):
        self.issued_by = actor
        self.issued_at = timezone.now()

    # The three below are run by the line services (channel "system", the actor logged) when
    # the point's answers or the specialist's resolutions complete the statement.
    @transition(field=state, source=S.ISSUED, target=S.CONFIRMED)
    def all_confirmed(self):
        self.confirmed_at = timezone.now()

    @transition(field=state, source=S.ISSUED, target=S.DISPUTED)
    def disputes_raised(self):
        pass

    @transition(field=state, source=S.DISPUTED, target=S.CONFIRMED)
    def disputes_resolved(self):
        self.confirmed_at = timezone.now()

    @transition(field=state, source=S.CONFIRMED, target=S.APPROVED, permission=_may_approve)
    def approve(self, *, actor):
        self.approved_by = actor
        self.approved_at = timezone.now()

    @transition(field=state, source=S.APPROVED, target=S.EXPORTED, permission=_may_export)
    def export(self, *, actor):
        self.exported_by = actor
        self.exported_at = timezone.now()


def _may_answer_line(instance, user) -> bool:
    from ..permissions import may_answer_settlement

    return may_answer_settlement(user, instance.statement)


class SettlementLineQuerySet(models.QuerySet):
    def visible_to(self, user):
        qs = scope_by_org(self, user, "statement__point")
        return qs.exclude(statement__state=S.DRAFT) if _is_partner(user) else qs


class SettlementLine(FSMModelMixin, models.Model):
    """A line of a statement: a payable visit at its rule's price (with what priced it, copied),
    or a reward or penalty the network specialist added with its reason (a penalty's amount is
    negative)."""

    statement = models.ForeignKey(
        SettlementStatement, on_delete=models.CASCADE, related_name="lines"
    )
    kind = models.CharField(_("类型"), max_length=8, choices=SettlementLineKind.choices)
    state = FSMField(
        _("确认状态"),
        max_length=10,
        choices=SettlementLineState.choices,
        default=L.PENDING,
        protected=True,
    )
    visit = models.ForeignKey(
        "repairs.Visit",
        verbose_name=_("上门服务"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="settlement_lines",
    )
    rule = models.ForeignKey(
        FeeRule,
        verbose_name=_("费用规则"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="lines",
    )
    fee_date = models.DateField(_("服务日期"), null=True, blank=True)
    description = models.CharField(_("摘要"), max_length=200)
    # what priced the visit, as it was when the line was made
    category = models.CharField(
        _("服务类别"), max_length=12, choices=ServiceCategory.choices, blank=True
    )
    grade = models.CharField(_("网点等级"), max_length=2, blank=True)
    distance_km = models.DecimalField(
        _("路程（公里）"), max_digits=7, decimal_places=1, null=True, blank=True
    )
    product_model = models.CharField(_("产品型号"), max_length=60, blank=True)
    in_warranty = models.BooleanField(_("保修期内"), null=True, blank=True)
    amount = models.DecimalField(_("金额"), max_digits=10, decimal_places=2)
    original_amount = models.DecimalField(
        _("原金额"), max_digits=10, decimal_places=2, null=True, blank=True
    )
    reason = models.CharField(_("原因"), max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    dispute_reason = models.CharField(_("异议原因"), max_length=200, blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    answered_at = models.DateTimeField(_("网点答复时间"), null=True, blank=True)
    resolution = models.CharField(_("处理意见"), max_length=200, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    resolved_at = models.DateTimeField(_("处理时间"), null=True, blank=True)

    objects = SettlementLineQuerySet.as_manager()

    class Meta:
        verbose_name = _("网点结算明细")
        verbose_name_plural = _("网点结算明细")
        ordering = ["statement", "id"]
        constraints = [
            # a visit is paid once, ever: re-running a month never duplicates it
            models.UniqueConstraint(fields=["visit"], name="settlementline_visit_once"),
            models.CheckConstraint(
                name="settlementline_visit_kind",
                condition=(Q(kind="visit") & Q(visit__isnull=False))
                | (~Q(kind="visit") & Q(visit__isnull=True)),
            ),
            models.CheckConstraint(
                name="settlementline_sign_of_kind",
                condition=(Q(kind="penalty") & Q(amount__lte=0))
                | (~Q(kind="penalty") & Q(amount__gte=0)),
            ),
        ]
        indexes = [
            models.Index(fields=["statement", "id"], name="settlementline_statement"),
            models.Index(
                fields=["state", "id"],
                name="settlementline_disputed",
                condition=Q(state="disputed"),
            ),
        ]

    def __str__(self):
        return f"{self.statement_id}/{self.pk} {self.description}"

    @property
    def state_colour(self) -> str:
        return SettlementLineState.colour_of(self.state)

    @property
    def state_label(self) -> str:
        return choice_label(self, "state")

    @property
    def kind_label(self) -> str:
        return choice_label(self, "kind")

    @transition(field=state, source=L.PENDING, target=L.CONFIRMED, permission=_may_answer_line)
    def confirm(self, *, actor):
        self.answered_by = actor
        self.answered_at = timezone.now()

    @transition(field=state, source=L.PENDING, target=L.DISPUTED, permission=_may_answer_line)
    def dispute(self, *, actor, reason: str):
        self.answered_by = actor
        self.answered_at = timezone.now()
        self.dispute_reason = reason[:200]

    @transition(
        field=state, source=L.DISPUTED, target=L.ADJUSTED, permission=_is_network_specialist
    )
    def adjust(self, *, actor, amount: Decimal, note: str):
        self.original_amount = self.amount
        self.amount = amount
        self.resolution = note[:200]
        self.resolved_by = actor
        self.resolved_at = timezone.now()

    @transition(field=state, source=L.DISPUTED, target=L.UPHELD, permission=_is_network_specialist)
    def uphold(self, *, actor, note: str):
        self.resolution = note[:200]
        self.resolved_by = actor
        self.resolved_at = timezone.now()
