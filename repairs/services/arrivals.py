"""Unauthorised arrivals and their penalties, the happy fund."""

from __future__ import annotations

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from network.choices import OrgKind, Role
from network.models import OrgUnit
from network.selectors import role_holders
from service_ops.i18n import deferred
from service_ops.notifications.services import notify
from service_ops.numbering.services import next_document_number
from service_ops.transitions.models import ActionChannel
from service_ops.transitions.services import run_transition

from ..choices import (
    PenaltyKind,
    PenaltyState,
    Platform,
)
from ..models import (
    HappyFundEntry,
    Penalty,
    ReturnPolicy,
    UnauthorisedArrival,
)
from ..permissions import may_receive


def _first(users):
    return users[0] if users else None


@transaction.atomic
def arrival_record(
    *,
    actor,
    shipper_unit: OrgUnit,
    units: int = 1,
    description: str = "",
    return_carrier: str = "",
    return_tracking: str = "",
    arrived_at=None,
) -> UnauthorisedArrival:
    """Goods arrived with no approved application: refuse them (a return-to-sender record) and
    propose the penalties of the platform (DESIGN §2.1)."""
    if not may_receive(actor):
        raise ValidationError(_("只有后勤专员或仓管可以登记到货"))
    if units < 1:
        raise ValidationError({"units": _("台数至少为 1")})
    branch = shipper_unit.nearest(OrgKind.BRANCH)
    if branch is None:
        raise ValidationError({"shipper_unit": _("发货单位不属于任何分公司")})
    policy = ReturnPolicy.current()
    arrival = UnauthorisedArrival.objects.create(
        number=next_document_number("UA"),
        platform=branch.branch_kind,
        shipper_unit=shipper_unit,
        branch=branch,
        units=units,
        description=description,
        return_carrier=return_carrier,
        return_tracking=return_tracking,
        arrived_at=arrived_at or timezone.now(),
        recorded_by=actor,
    )
    fine = {"kind": PenaltyKind.FINE, "amount_min": policy.fine_min, "amount_max": policy.fine_max}
    proposals = []
    if arrival.platform == Platform.OPERATING:
        proposals.append((Role.BRANCH_MANAGER, branch, fine))
    else:
        points = Decimal(policy.engineer_points)
        proposals.append(
            (
                Role.LOCAL_ENGINEER,
                branch,
                {"kind": PenaltyKind.POINTS, "amount_min": points, "amount_max": points},
            )
        )
        province = branch.nearest(OrgKind.PROVINCE) or branch
        proposals.append((Role.PROVINCIAL_MANAGER, province, fine))
    Penalty.objects.bulk_create(
        [
            Penalty(
                arrival=arrival,
                role=role,
                org_unit=unit,
                person=_first(role_holders(role, unit)),
                **terms,
            )
            for role, unit, terms in proposals
        ]
    )
    heads = role_holders(Role.HEAD_OF_CS, branch)
    notify(
        recipients=heads,
        subject=deferred(
            gettext_noop("未经申请返厂，已拒收：%(no)s（%(unit)s，%(n)d 台），请确认负激励"),
            no=arrival.number,
            unit=shipper_unit.name,
            n=units,
        ),
        url=arrival.get_absolute_url(),
        category="penalty",
        source=arrival,
        action=True,  # done once the head of CS has decided the penalties
    )
    return arrival


def fund_balance() -> Decimal:
    last = HappyFundEntry.objects.order_by("-id").values_list("balance_after", flat=True).first()
    return last if last is not None else Decimal("0")


@transaction.atomic
def penalty_confirm(
    *, penalty_id: int, actor, amount: Decimal, channel: str = ActionChannel.WEB
) -> Penalty:
    """The head of customer service sets the amount within the range; a confirmed fine enters
    the happy-fund ledger."""
    amount = Decimal(amount)

    def _in_range(p):
        if not (p.amount_min <= amount <= p.amount_max):
            raise ValidationError(
                {
                    "amount": _("金额须在 %(a)s 至 %(b)s 之间")
                    % {"a": p.amount_min, "b": p.amount_max}
                }
            )

    penalty = run_transition(
        Penalty,
        penalty_id,
        transition="confirm",
        actor=actor,
        channel=channel,
        before=_in_range,
        kwargs={"amount": amount, "actor": actor},
        comment=str(amount),
    )
    if penalty.kind == PenaltyKind.FINE:
        # The policy row doubles as the fund's lock, so balances never interleave.
        ReturnPolicy.objects.select_for_update().filter(pk=ReturnPolicy.current().pk).first()
        HappyFundEntry.objects.create(
            penalty=penalty,
            amount=amount,
            balance_after=fund_balance() + amount,
            note=f"{penalty.arrival.number} {penalty.get_role_display()}",
            created_by=actor,
        )
    _settle_if_done(penalty.arrival_id, actor, channel)
    return penalty


@transaction.atomic
def penalty_waive(
    *, penalty_id: int, actor, note: str, channel: str = ActionChannel.WEB
) -> Penalty:
    if not note.strip():
        raise ValidationError({"note": _("请填写免除原因")})
    penalty = run_transition(
        Penalty,
        penalty_id,
        transition="waive",
        actor=actor,
        channel=channel,
        comment=note,
        kwargs={"actor": actor, "note": note},
    )
    _settle_if_done(penalty.arrival_id, actor, channel)
    return penalty


def _settle_if_done(arrival_id: int, actor, channel) -> None:
    if not Penalty.objects.filter(arrival_id=arrival_id, state=PenaltyState.PROPOSED).exists():
        run_transition(
            UnauthorisedArrival,
            arrival_id,
            transition="settle",
            actor=actor,
            channel=channel,
            check_permission=False,
        )


def fund_total_in() -> Decimal:
    return HappyFundEntry.objects.aggregate(s=Sum("amount"))["s"] or Decimal("0")
