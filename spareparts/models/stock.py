"""Warehouses and their stock (DESIGN §2.5): the ledger and the balances derived from it.

- `Warehouse`: the headquarters parts warehouse (总部配件仓), a field office's (办事处), a service
  point's (特约维修网点) or an engineer's own stock. Every warehouse belongs to an org unit (an
  engineer's: the unit the engineer sits in), so the network's one visibility rule scopes it.
- `StockMovement`: the append-only ledger. Each row says how the on-hand and the reserved
  quantities of one part in one warehouse changed, who did it and why, what it came from (a
  generic reference: a repair order, a count sheet) and, for a transfer, the pair it belongs to.
  Nothing updates or deletes a row: spareparts.services.stock only inserts them.
- `StockBalance`: one row per (part, warehouse) holding on-hand and reserved, changed in the same
  transaction as the movement under that row's lock; the database refuses a negative quantity or
  more reserved than on hand. The sum of a balance's movements equals it (tests check).
- `Reservation`: a quantity set aside for a purpose (next slice: a repair order's part line),
  reserved → issued | released, through run_transition."""

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMField, FSMModelMixin, transition

from network.models import OrgUnit
from network.visibility import scope_by_org

from ..choices import (
    COLOURS,
    MovementKind,
    ReservationState,
    WarehouseKind,
    availability_of,
)
from .catalogue import Part


class WarehouseQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Headquarters (the parts warehouse's staff included) sees every warehouse; any other
        unit the warehouses of its own subtree: a dealer or service point only its own."""
        return scope_by_org(self, user, "org_unit")


class Warehouse(models.Model):
    code = models.CharField(_("仓库编码"), max_length=32, unique=True)
    name = models.CharField(_("仓库名称"), max_length=120)
    kind = models.CharField(_("类型"), max_length=16, choices=WarehouseKind.choices)
    org_unit = models.ForeignKey(
        OrgUnit, verbose_name=_("所属组织"), on_delete=models.PROTECT, related_name="warehouses"
    )
    engineer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("工程师"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="own_warehouses",
    )
    is_active = models.BooleanField(_("启用"), default=True)

    objects = WarehouseQuerySet.as_manager()

    class Meta:
        verbose_name = _("仓库")
        verbose_name_plural = _("仓库")
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                name="warehouse_engineer_only_for_engineer_stock",
                condition=(Q(kind=WarehouseKind.ENGINEER) & Q(engineer__isnull=False))
                | (~Q(kind=WarehouseKind.ENGINEER) & Q(engineer__isnull=True)),
            ),
            models.UniqueConstraint(
                fields=["engineer"],
                condition=Q(engineer__isnull=False),
                name="warehouse_one_per_engineer",
            ),
        ]

    def __str__(self):
        return self.name


def scope_warehouse(qs, user, field: str = "warehouse"):
    """Rows of the warehouses `user` sees: no filter for headquarters, else `warehouse_id IN
    (…)` with the ids read first (no join, so each warehouse's index serves the page)."""
    from network.visibility import org_scope_q

    if org_scope_q(user, "org_unit") is None:
        return qs
    ids = list(Warehouse.objects.visible_to(user).values_list("pk", flat=True))
    return qs.filter(**{f"{field}_id__in": ids})


class StockBalanceQuerySet(models.QuerySet):
    def visible_to(self, user):
        return scope_warehouse(self, user)


class StockBalance(models.Model):
    """On hand and reserved of one part in one warehouse. Changed only by
    spareparts.services.stock, under this row's lock, with the movement that explains it."""

    part = models.ForeignKey(Part, on_delete=models.PROTECT, related_name="balances")
    warehouse = models.ForeignKey(Warehouse, on_delete=models.PROTECT, related_name="balances")
    on_hand = models.IntegerField(_("在库"), default=0)
    reserved = models.IntegerField(_("已预留"), default=0)
    updated_at = models.DateTimeField(_("更新时间"), default=timezone.now)

    objects = StockBalanceQuerySet.as_manager()

    class Meta:
        verbose_name = _("库存余额")
        verbose_name_plural = _("库存余额")
        constraints = [
            models.UniqueConstraint(fields=["warehouse", "part"], name="stockbalance_unique"),
            models.CheckConstraint(
                name="stockbalance_on_hand_not_negative", condition=Q(on_hand__gte=0)
            ),
            models.CheckConstraint(
                name="stockbalance_reserved_not_negative", condition=Q(reserved__gte=0)
            ),
            models.CheckConstraint(
                name="stockbalance_reserved_within_on_hand", condition=Q(reserved__lte=F("on_hand"))
            ),
        ]
        indexes = [models.Index(fields=["part", "warehouse"], name="stockbalance_part")]

    def __str__(self):
        return f"{self.part_id}@{self.warehouse_id}: {self.on_hand}/{self.reserved}"

    @property
    def available(self) -> int:
        return self.on_hand - self.reserved

    @property
    def is_low(self) -> bool:
        return self.available <= self.part.reorder_level

    @property
    def availability(self) -> str:
        return availability_of(self.available, self.part.reorder_level)


class StockMovementQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Movements of the warehouses the user sees (the warehouse ids first, one query: the
        ledger is then read by its (warehouse, -id) index)."""
        return scope_warehouse(self, user)


class StockMovement(models.Model):
    """One line of the ledger (库存流水). Append-only."""

    part = models.ForeignKey(Part, on_delete=models.PROTECT, related_name="movements")
    warehouse = models.ForeignKey(Warehouse, on_delete=models.PROTECT, related_name="movements")
    kind = models.CharField(_("类型"), max_length=16, choices=MovementKind.choices)
    # signed changes: the movement's quantity as it acts on each column of the balance
    on_hand_change = models.IntegerField(_("在库变动"), default=0)
    reserved_change = models.IntegerField(_("预留变动"), default=0)
    # the balance right after it (a running balance for the ledger page, checked by the tests)
    on_hand_after = models.IntegerField(_("变动后在库"))
    reserved_after = models.IntegerField(_("变动后预留"))
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("经办人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    reason = models.CharField(_("原因"), max_length=200, blank=True)
    source_type = models.ForeignKey(
        ContentType, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    source_id = models.PositiveBigIntegerField(null=True, blank=True)
    source_label = models.CharField(_("关联单据"), max_length=64, blank=True)
    transfer_id = models.UUIDField(_("调拨单"), null=True, blank=True, db_index=True)
    reservation = models.ForeignKey(
        "Reservation",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="movements",
    )
    created_at = models.DateTimeField(_("时间"), default=timezone.now)

    objects = StockMovementQuerySet.as_manager()

    class Meta:
        verbose_name = _("库存流水")
        verbose_name_plural = _("库存流水")
        ordering = ["-id"]
        constraints = [
            models.CheckConstraint(
                name="stockmovement_changes_something",
                condition=~Q(on_hand_change=0) | ~Q(reserved_change=0),
            ),
            models.CheckConstraint(
                name="stockmovement_after_not_negative",
                condition=Q(on_hand_after__gte=0)
                & Q(reserved_after__gte=0)
                & Q(reserved_after__lte=F("on_hand_after")),
            ),
        ]
        indexes = [
            models.Index(fields=["warehouse", "-id"], name="stockmovement_warehouse"),
            models.Index(fields=["part", "-id"], name="stockmovement_part"),
            models.Index(fields=["source_type", "source_id"], name="stockmovement_source"),
            # the consumption report's live months (those not rolled up yet): the issues and
            # sales of a period read from the index alone
            models.Index(
                fields=["created_at"],
                include=["part", "kind", "on_hand_change"],
                condition=Q(kind__in=["issue", "sale"]),
                name="stockmovement_consumed",
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {self.quantity:+d}"

    @property
    def quantity(self) -> int:
        """The movement's quantity, signed by its kind: the on-hand change, or for a reservation
        (which moves nothing physically) the reserved change."""
        return self.on_hand_change or self.reserved_change

    @property
    def colour(self) -> str:
        return COLOURS.get(self.kind, "secondary")


def _may_close_reservation(instance, user) -> bool:
    from ..permissions import may_draw

    return may_draw(user, instance.warehouse)


class Reservation(FSMModelMixin, models.Model):
    """A quantity of one part set aside in one warehouse for a purpose (a repair order's line, in
    the next slice). Changed only by spareparts.services.stock (stock_issue, stock_release)."""

    part = models.ForeignKey(Part, on_delete=models.PROTECT, related_name="reservations")
    warehouse = models.ForeignKey(Warehouse, on_delete=models.PROTECT, related_name="reservations")
    quantity = models.PositiveIntegerField(_("数量"))
    state = FSMField(
        _("状态"),
        max_length=12,
        choices=ReservationState.choices,
        default=ReservationState.RESERVED,
        protected=True,
    )
    reserved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    reason = models.CharField(_("原因"), max_length=200, blank=True)
    source_type = models.ForeignKey(
        ContentType, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    source_id = models.PositiveBigIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(_("预留时间"), default=timezone.now)
    closed_at = models.DateTimeField(_("结束时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("预留")
        verbose_name_plural = _("预留")
        constraints = [
            models.CheckConstraint(
                name="reservation_quantity_positive", condition=Q(quantity__gt=0)
            )
        ]
        indexes = [
            models.Index(fields=["source_type", "source_id"], name="reservation_source"),
            models.Index(
                fields=["warehouse", "part"],
                condition=Q(state="reserved"),
                name="reservation_open",
            ),
        ]

    def __str__(self):
        return f"{self.part_id}×{self.quantity} @ {self.warehouse_id}"

    @transition(
        field=state,
        source=ReservationState.RESERVED,
        target=ReservationState.ISSUED,
        permission=_may_close_reservation,
    )
    def issue(self):
        self.closed_at = timezone.now()

    @transition(
        field=state,
        source=ReservationState.RESERVED,
        target=ReservationState.RELEASED,
        permission=_may_close_reservation,
    )
    def release(self):
        self.closed_at = timezone.now()
