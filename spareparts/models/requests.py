"""Part requests (配件申请, 配件发放流程): a field office, a service point or an engineer asks the
headquarters parts warehouse for parts for its own warehouse. requested → approved → picked →
shipped → received, or rejected with a reason. Approving is the parts supervisor's (配件仓主管,
who keeps the 物料计划); picking, shipping the parts staff's; receiving the requester's side.

Picking reserves the approved quantities in the headquarters warehouse; shipping takes them out
(a transfer out: the parts are in transit); receiving puts them into the requesting warehouse
(the transfer in, with the same transfer id). State changes only through
spareparts.services.requests (run_transition)."""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMField, FSMModelMixin, transition

from ..choices import REQUEST_COLOURS, RequestState
from .catalogue import Part
from .stock import Reservation, Warehouse, scope_warehouse


def _may_approve(instance, user) -> bool:
    from ..permissions import may_approve_request

    return may_approve_request(user)


def _may_dispatch(instance, user) -> bool:
    from ..permissions import is_parts_staff

    return is_parts_staff(user)


def _may_receive(instance, user) -> bool:
    from ..permissions import may_operate

    return may_operate(user, instance.warehouse)


class PartRequestQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Headquarters sees every request; a unit those of the warehouses it sees."""
        return scope_warehouse(self, user)


class PartRequest(FSMModelMixin, models.Model):
    number = models.CharField(_("申请单号"), max_length=24, unique=True, editable=False)
    warehouse = models.ForeignKey(
        Warehouse,
        verbose_name=_("申请仓库"),
        on_delete=models.PROTECT,
        related_name="part_requests",
    )
    source_warehouse = models.ForeignKey(
        Warehouse,
        verbose_name=_("发货仓库"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    state = FSMField(
        _("状态"),
        max_length=12,
        choices=RequestState.choices,
        default=RequestState.REQUESTED,
        protected=True,
    )
    note = models.CharField(_("说明"), max_length=200, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("申请人"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("申请时间"), default=timezone.now, editable=False)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(_("审批时间"), null=True, blank=True)
    reject_reason = models.CharField(_("驳回原因"), max_length=200, blank=True)
    transfer_id = models.UUIDField(_("调拨单"), default=uuid.uuid4, editable=False)
    shipped_at = models.DateTimeField(_("发货时间"), null=True, blank=True)
    received_at = models.DateTimeField(_("收货时间"), null=True, blank=True)

    objects = PartRequestQuerySet.as_manager()

    class Meta:
        verbose_name = _("配件申请")
        verbose_name_plural = _("配件申请")
        ordering = ["-id"]
        constraints = [
            models.CheckConstraint(
                name="partrequest_rejected_has_reason",
                condition=~Q(state="rejected") | ~Q(reject_reason=""),
            ),
        ]
        indexes = [
            models.Index(fields=["warehouse", "-id"], name="partrequest_warehouse"),
            models.Index(
                fields=["state", "id"],
                condition=Q(state__in=["requested", "approved", "picked"]),
                name="partrequest_pending",
            ),
        ]

    def __str__(self):
        return self.number

    def get_absolute_url(self):
        return reverse("spareparts:request_detail", args=[self.pk])

    @property
    def colour(self) -> str:
        return REQUEST_COLOURS.get(self.state, "secondary")

    @transition(
        field=state,
        source=RequestState.REQUESTED,
        target=RequestState.APPROVED,
        permission=_may_approve,
    )
    def approve(self, *, actor):
        self.decided_by = actor
        self.decided_at = timezone.now()

    @transition(
        field=state,
        source=[RequestState.REQUESTED, RequestState.APPROVED],
        target=RequestState.REJECTED,
        permission=_may_approve,
    )
    def reject(self, *, actor, reason):
        self.decided_by = actor
        self.decided_at = timezone.now()
        self.reject_reason = reason[:200]

    @transition(
        field=state,
        source=RequestState.APPROVED,
        target=RequestState.PICKED,
        permission=_may_dispatch,
    )
    def pick(self):
        pass

    @transition(
        field=state,
        source=RequestState.PICKED,
        target=RequestState.SHIPPED,
        permission=_may_dispatch,
    )
    def ship(self):
        self.shipped_at = timezone.now()

    @transition(
        field=state,
        source=RequestState.SHIPPED,
        target=RequestState.RECEIVED,
        permission=_may_receive,
    )
    def receive(self):
        self.received_at = timezone.now()


class PartRequestLine(models.Model):
    request = models.ForeignKey(PartRequest, on_delete=models.CASCADE, related_name="lines")
    part = models.ForeignKey(
        Part, verbose_name=_("配件"), on_delete=models.PROTECT, related_name="+"
    )
    quantity = models.PositiveIntegerField(_("申请数量"))
    approved_quantity = models.PositiveIntegerField(_("批准数量"), null=True, blank=True)
    reservation = models.ForeignKey(
        Reservation, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("申请明细")
        verbose_name_plural = _("申请明细")
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["request", "part"], name="partrequestline_unique"),
            models.CheckConstraint(
                name="partrequestline_quantity_positive", condition=Q(quantity__gt=0)
            ),
            models.CheckConstraint(
                name="partrequestline_approved_within_asked",
                condition=Q(approved_quantity__isnull=True)
                | Q(approved_quantity__lte=models.F("quantity")),
            ),
        ]

    @property
    def granted(self) -> int:
        return self.approved_quantity if self.approved_quantity is not None else self.quantity
