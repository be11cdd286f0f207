"""Dealers buying parts (代理商购配件的报价, seed 000: the quotes to dealers are headquarters'
work): a dealer asks for parts, the parts staff quote them — each line priced from the
catalogue's list price less the dealer's discount (DealerDiscount: a row per dealer, or the
default row for every dealer; none means no discount) — the dealer accepts (web or API), the
parts staff record the payment or the invoice (on account), and shipping sells the parts out of
the headquarters warehouse (`sale` movements). A quote not accepted within its validity expires
(deadline kind parts.quote). State changes only through spareparts.services.quotes."""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMField, FSMModelMixin, transition

from network.models import OrgUnit
from network.visibility import scope_by_org

from ..choices import QUOTE_COLOURS, QuoteState
from .catalogue import Part
from .stock import Warehouse


class DealerDiscount(models.Model):
    """A dealer's discount off the list price (折扣); the row without a dealer is the default."""

    dealer = models.OneToOneField(
        OrgUnit,
        verbose_name=_("代理商"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="parts_discount",
    )
    percent = models.DecimalField(
        _("折扣（%）"),
        max_digits=5,
        decimal_places=2,
        default=Decimal("0"),
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))],
    )

    class Meta:
        verbose_name = _("代理商配件折扣")
        verbose_name_plural = _("代理商配件折扣")
        constraints = [
            models.CheckConstraint(
                name="dealerdiscount_percent_range",
                condition=Q(percent__gte=0) & Q(percent__lte=100),
            ),
        ]

    def __str__(self):
        return f"{self.dealer or _('默认')}: {self.percent}%"


def _may_quote(instance, user) -> bool:
    from ..permissions import is_parts_staff

    return is_parts_staff(user)


def _may_answer(instance, user) -> bool:
    from ..permissions import may_answer_quote

    return may_answer_quote(user, instance)


class DealerQuoteQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Headquarters sees every quote; a dealer only its own (its branch its subtree's)."""
        return scope_by_org(self, user, "dealer")


class DealerQuote(FSMModelMixin, models.Model):
    number = models.CharField(_("报价单号"), max_length=24, unique=True, editable=False)
    dealer = models.ForeignKey(
        OrgUnit, verbose_name=_("代理商"), on_delete=models.PROTECT, related_name="parts_quotes"
    )
    warehouse = models.ForeignKey(
        Warehouse, verbose_name=_("发货仓库"), on_delete=models.PROTECT, related_name="+"
    )
    state = FSMField(
        _("状态"),
        max_length=12,
        choices=QuoteState.choices,
        default=QuoteState.ASKED,
        protected=True,
    )
    note = models.CharField(_("说明"), max_length=200, blank=True)
    discount_percent = models.DecimalField(
        _("折扣（%）"), max_digits=5, decimal_places=2, default=Decimal("0")
    )
    total = models.DecimalField(_("金额"), max_digits=12, decimal_places=2, default=Decimal("0"))
    asked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("询价人"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("询价时间"), default=timezone.now, editable=False)
    quoted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    quoted_at = models.DateTimeField(_("报价时间"), null=True, blank=True)
    valid_until = models.DateTimeField(_("有效期至"), null=True, blank=True)
    accepted_at = models.DateTimeField(_("接受时间"), null=True, blank=True)
    settlement_reference = models.CharField(_("付款或发票号"), max_length=60, blank=True)
    settled_at = models.DateTimeField(_("收款/开票时间"), null=True, blank=True)
    shipped_at = models.DateTimeField(_("发货时间"), null=True, blank=True)
    closed_reason = models.CharField(_("原因"), max_length=200, blank=True)

    objects = DealerQuoteQuerySet.as_manager()

    class Meta:
        verbose_name = _("代理商报价单")
        verbose_name_plural = _("代理商报价单")
        ordering = ["-id"]
        constraints = [
            models.CheckConstraint(
                name="dealerquote_total_not_negative", condition=Q(total__gte=0)
            ),
        ]
        indexes = [models.Index(fields=["dealer", "-id"], name="dealerquote_dealer")]

    def __str__(self):
        return self.number

    def get_absolute_url(self):
        return reverse("spareparts:quote_detail", args=[self.pk])

    @property
    def colour(self) -> str:
        return QUOTE_COLOURS.get(self.state, "secondary")

    @transition(
        field=state, source=QuoteState.ASKED, target=QuoteState.QUOTED, permission=_may_quote
    )
    def quote(self, *, actor, valid_until):
        self.quoted_by = actor
        self.quoted_at = timezone.now()
        self.valid_until = valid_until

    @transition(
        field=state, source=QuoteState.QUOTED, target=QuoteState.ACCEPTED, permission=_may_answer
    )
    def accept(self):
        self.accepted_at = timezone.now()

    @transition(
        field=state,
        source=[QuoteState.ASKED, QuoteState.QUOTED],
        target=QuoteState.DECLINED,
        permission=_may_answer,
    )
    def decline(self, *, reason=""):
        self.closed_reason = (reason or "")[:200]

    @transition(field=state, source=QuoteState.QUOTED, target=QuoteState.EXPIRED)
    def expire(self):
        pass

    @transition(
        field=state, source=QuoteState.ACCEPTED, target=QuoteState.PAID, permission=_may_quote
    )
    def record_payment(self, *, reference):
        self.settlement_reference = reference[:60]
        self.settled_at = timezone.now()

    @transition(
        field=state, source=QuoteState.ACCEPTED, target=QuoteState.INVOICED, permission=_may_quote
    )
    def record_invoice(self, *, reference):
        self.settlement_reference = reference[:60]
        self.settled_at = timezone.now()

    @transition(
        field=state,
        source=[QuoteState.PAID, QuoteState.INVOICED],
        target=QuoteState.SHIPPED,
        permission=_may_quote,
    )
    def ship(self):
        self.shipped_at = timezone.now()


class DealerQuoteLine(models.Model):
    quote = models.ForeignKey(DealerQuote, on_delete=models.CASCADE, related_name="lines")
    part = models.ForeignKey(
        Part, verbose_name=_("配件"), on_delete=models.PROTECT, related_name="+"
    )
    quantity = models.PositiveIntegerField(_("数量"))
    list_price = models.DecimalField(
        _("销售价"), max_digits=10, decimal_places=2, default=Decimal("0")
    )
    unit_price = models.DecimalField(
        _("单价"), max_digits=10, decimal_places=2, default=Decimal("0")
    )
    amount = models.DecimalField(_("小计"), max_digits=12, decimal_places=2, default=Decimal("0"))

    class Meta:
        verbose_name = _("报价明细")
        verbose_name_plural = _("报价明细")
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["quote", "part"], name="dealerquoteline_unique"),
            models.CheckConstraint(
                name="dealerquoteline_quantity_positive", condition=Q(quantity__gt=0)
            ),
        ]
