"""Faulty parts owed back (旧件返还, DESIGN §2.5): a part replaced under warranty records the faulty
part's serial and the new one's; the faulty part goes back to the headquarters' faulty stock
(旧件仓) by a due date, from the workshop at once, from a service point or an engineer later.

What the replacement belongs to (a repair order's part line, a field visit) is a generic
reference, so spareparts never imports the app that replaced the part. Changed only by
spareparts.services.faulty, through run_transition."""

from decimal import Decimal

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMField, FSMModelMixin, transition

from network.models import OrgUnit
from network.visibility import scope_by_org

from ..choices import FAULTY_COLOURS, FaultyState
from .catalogue import Part
from .stock import StockMovement


class FaultyPartReturnQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Headquarters (the parts warehouse's staff) sees every faulty part owed; a service
        point, a field office or a branch those its own subtree owes."""
        return scope_by_org(self, user, "owed_by_unit")


def _may_settle(instance, user) -> bool:
    from ..permissions import is_parts_staff

    return is_parts_staff(user)


class FaultyPartReturn(FSMModelMixin, models.Model):
    part = models.ForeignKey(
        Part, verbose_name=_("配件"), on_delete=models.PROTECT, related_name="faulty_returns"
    )
    faulty_serial = models.CharField(_("旧件序列号"), max_length=60)
    new_serial = models.CharField(_("新件序列号"), max_length=60)
    unit_cost = models.DecimalField(
        _("成本价"), max_digits=10, decimal_places=2, default=Decimal("0")
    )
    owed_by_unit = models.ForeignKey(
        OrgUnit, verbose_name=_("返还单位"), on_delete=models.PROTECT, related_name="+"
    )
    owed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("返还人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    due_on = models.DateField(_("应返还日期"))
    state = FSMField(
        _("状态"),
        max_length=12,
        choices=FaultyState.choices,
        default=FaultyState.OWED,
        protected=True,
    )
    source_type = models.ForeignKey(
        ContentType, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    source_id = models.PositiveBigIntegerField(null=True, blank=True)
    source_label = models.CharField(_("关联单据"), max_length=64, blank=True)
    received_movement = models.ForeignKey(
        StockMovement, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    received_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    closed_at = models.DateTimeField(_("结束时间"), null=True, blank=True)
    write_off_reason = models.CharField(_("核销原因"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("登记时间"), default=timezone.now)

    objects = FaultyPartReturnQuerySet.as_manager()

    class Meta:
        verbose_name = _("旧件返还")
        verbose_name_plural = _("旧件返还")
        ordering = ["-id"]
        constraints = [
            models.CheckConstraint(
                name="faultyreturn_written_off_has_reason",
                condition=~Q(state="written_off") | ~Q(write_off_reason=""),
            ),
        ]
        indexes = [
            models.Index(fields=["owed_by_unit", "-id"], name="faultyreturn_unit"),
            models.Index(fields=["source_type", "source_id"], name="faultyreturn_source"),
            models.Index(
                fields=["due_on", "id"], condition=Q(state="owed"), name="faultyreturn_owed"
            ),
        ]

    def __str__(self):
        return f"{self.part_id} {self.faulty_serial}"

    @property
    def colour(self) -> str:
        return FAULTY_COLOURS.get(self.state, "secondary")

    def is_overdue(self, today=None) -> bool:
        return self.state == FaultyState.OWED and self.due_on < (today or timezone.localdate())

    @transition(
        field=state, source=FaultyState.OWED, target=FaultyState.RECEIVED, permission=_may_settle
    )
    def receive(self, *, actor, movement):
        self.received_by = actor if getattr(actor, "is_authenticated", False) else None
        self.received_movement = movement
        self.closed_at = timezone.now()

    @transition(
        field=state,
        source=FaultyState.OWED,
        target=FaultyState.WRITTEN_OFF,
        permission=_may_settle,
    )
    def write_off(self, *, reason):
        self.write_off_reason = reason[:200]
        self.closed_at = timezone.now()
