"""Responsibility and penalties (issue 18 item 4): a penalty proposed on a complaint against the
responsible person or a manager (seed 003 ⑦ ⑧: fines, bonus deductions, administrative
penalties), confirmed or waived with a reason by the head of customer service. The rows of one
person are their ledger (个人处罚台账)."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMField, FSMModelMixin, transition

from network.visibility import org_scope_q

from .. import permissions as perms
from ..choices import MONEY_KINDS, PENALTY_COLOURS, PenaltyCapacity, PenaltyKind, PenaltyState

P = PenaltyState


class ComplaintPenaltyQuerySet(models.QuerySet):
    def visible_to(self, user):
        """The complaint supervisor, the head of customer service and senior management see the
        penalties of complaints in their org scope (headquarters: all); anyone else, a dealer
        included, only the penalties against themself and those they proposed."""
        if not user or not user.is_authenticated:
            return self.none()
        own = Q(person=user) | Q(proposed_by=user)
        if perms.may_read_ledgers(user):
            q = org_scope_q(user, "org_unit")
            return self if q is None else self.filter(q | own)
        return self.filter(own)


class ComplaintPenalty(FSMModelMixin, models.Model):
    complaint = models.ForeignKey(
        "complaints.Complaint",
        verbose_name=_("投诉"),
        on_delete=models.PROTECT,
        related_name="penalties",
    )
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("被处罚人"),
        on_delete=models.PROTECT,
        related_name="complaint_penalties",
    )
    capacity = models.CharField(_("责任类别"), max_length=12, choices=PenaltyCapacity.choices)
    manager = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("其主管经理"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("直接责任人的部门经理（如另行处罚，另有一条记录）"),
    )
    person_unit = models.ForeignKey(
        "network.OrgUnit",
        verbose_name=_("所在单位"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    # the complaint's unit: whose supervisors see the row (the complaint's own scope)
    org_unit = models.ForeignKey(
        "network.OrgUnit", verbose_name=_("受理单位"), on_delete=models.PROTECT, related_name="+"
    )
    kind = models.CharField(_("处罚方式"), max_length=16, choices=PenaltyKind.choices)
    amount = models.DecimalField(
        _("金额"),
        max_digits=10,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0.01"))],
    )
    reason = models.TextField(_("处罚理由"), max_length=1000)
    state = FSMField(
        _("状态"), max_length=10, choices=PenaltyState.choices, default=P.PROPOSED, protected=True
    )
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    proposed_at = models.DateTimeField(_("提出时间"), default=timezone.now)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(_("决定时间"), null=True, blank=True)
    decision_note = models.CharField(_("决定说明"), max_length=500, blank=True)

    objects = ComplaintPenaltyQuerySet.as_manager()

    class Meta:
        verbose_name = _("客诉处罚")
        verbose_name_plural = _("客诉处罚")
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["person", "id"], name="cmp_penalty_person_id"),
            models.Index(fields=["org_unit", "id"], name="cmp_penalty_unit_id"),
            models.Index(fields=["person_unit", "id"], name="cmp_penalty_punit_id"),
            models.Index(fields=["complaint", "id"], name="cmp_penalty_complaint"),
            models.Index(
                fields=["proposed_at", "id"],
                name="cmp_penalty_pending",
                condition=Q(state="proposed"),
            ),
        ]
        constraints = [
            # economic penalties carry money, administrative ones none
            models.CheckConstraint(
                name="cmp_penalty_amount_by_kind",
                condition=(
                    Q(kind__in=sorted(MONEY_KINDS), amount__isnull=False, amount__gt=0)
                    | (~Q(kind__in=sorted(MONEY_KINDS)) & Q(amount__isnull=True))
                ),
            ),
        ]

    def __str__(self):
        return f"{self.complaint.number} {self.get_kind_display()}"

    def get_absolute_url(self):
        return reverse("complaints:penalty_detail", args=[self.pk])

    @property
    def is_money(self) -> bool:
        return self.kind in MONEY_KINDS

    @property
    def state_colour(self) -> str:
        return PENALTY_COLOURS.get(self.state, "secondary")

    @transition(
        field=state, source=P.PROPOSED, target=P.CONFIRMED, permission=perms.penalty_decider_perm
    )
    def confirm(self, *, actor, amount=None, note: str = ""):
        if amount is not None and self.is_money:
            self.amount = amount
        self.decided_by = actor
        self.decided_at = timezone.now()
        self.decision_note = note[:500]

    @transition(
        field=state, source=P.PROPOSED, target=P.WAIVED, permission=perms.penalty_decider_perm
    )
    def waive(self, *, actor, note: str):
        self.decided_by = actor
        self.decided_at = timezone.now()
        self.decision_note = note[:500]
