"""Stock counts (盘点): a sheet for one warehouse, draft → counted → approved | rejected.

Made with one line per part the warehouse holds, each with the on-hand quantity at that moment
(`expected`, a snapshot); the warehouse staff enter what they found (`counted`) and submit; the
parts-warehouse supervisor (配件仓主管) approves — the differences become count-adjustment
movements, against the balance as it is at approval (stock moved since the snapshot is kept) —
or rejects. State changes only through spareparts.services.counts (run_transition)."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMField, FSMModelMixin, transition

from ..choices import COUNT_COLOURS, CountState
from .catalogue import Part
from .stock import Warehouse, scope_warehouse


def _may_count(instance, user) -> bool:
    from ..permissions import may_operate

    return may_operate(user, instance.warehouse)


def _may_decide(instance, user) -> bool:
    from ..permissions import may_approve_count

    return may_approve_count(user, instance)


class StockCountQuerySet(models.QuerySet):
    def visible_to(self, user):
        return scope_warehouse(self, user)


class StockCount(FSMModelMixin, models.Model):
    number = models.CharField(_("盘点单号"), max_length=24, unique=True, editable=False)
    warehouse = models.ForeignKey(
        Warehouse, verbose_name=_("仓库"), on_delete=models.PROTECT, related_name="counts"
    )
    state = FSMField(
        _("状态"),
        max_length=12,
        choices=CountState.choices,
        default=CountState.DRAFT,
        protected=True,
    )
    note = models.CharField(_("备注"), max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", editable=False
    )
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now, editable=False)
    counted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
    )
    counted_at = models.DateTimeField(_("提交时间"), null=True, blank=True, editable=False)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
    )
    decided_at = models.DateTimeField(_("审批时间"), null=True, blank=True, editable=False)

    objects = StockCountQuerySet.as_manager()

    class Meta:
        verbose_name = _("盘点单")
        verbose_name_plural = _("盘点单")
        ordering = ["-id"]
        indexes = [models.Index(fields=["warehouse", "-id"], name="stockcount_warehouse")]

    def __str__(self):
        return self.number

    @property
    def colour(self) -> str:
        return COUNT_COLOURS.get(self.state, "secondary")

    @transition(
        field=state, source=CountState.DRAFT, target=CountState.COUNTED, permission=_may_count
    )
    def submit(self, *, actor=None):
        self.counted_by = actor
        self.counted_at = timezone.now()

    @transition(
        field=state, source=CountState.COUNTED, target=CountState.APPROVED, permission=_may_decide
    )
    def approve(self, *, actor=None):
        self.decided_by = actor
        self.decided_at = timezone.now()

    @transition(
        field=state, source=CountState.COUNTED, target=CountState.REJECTED, permission=_may_decide
    )
    def reject(self, *, actor=None):
        self.decided_by = actor
        self.decided_at = timezone.now()


class StockCountLine(models.Model):
    count = models.ForeignKey(StockCount, on_delete=models.CASCADE, related_name="lines")
    part = models.ForeignKey(
        Part, verbose_name=_("配件"), on_delete=models.PROTECT, related_name="+"
    )
    expected = models.IntegerField(_("账面数量"))
    counted = models.PositiveIntegerField(_("实盘数量"), null=True, blank=True)

    class Meta:
        verbose_name = _("盘点明细")
        verbose_name_plural = _("盘点明细")
        ordering = ["part__number"]
        constraints = [
            models.UniqueConstraint(fields=["count", "part"], name="stockcountline_unique"),
            models.CheckConstraint(
                name="stockcountline_expected_not_negative", condition=Q(expected__gte=0)
            ),
        ]

    @property
    def difference(self) -> int | None:
        return None if self.counted is None else self.counted - self.expected
