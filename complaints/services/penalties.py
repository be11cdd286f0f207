"""Penalties on a complaint (issue 18 item 4): proposed by the complaint's handler while the
complaint is investigated or its solution carried out (seed 004: 实施处理方案——对直接责任者和部门
经理要按照有关规定进行处罚), then confirmed or waived with a reason by the head of customer
service through run_transition (locked row, permission, transition log)."""

from __future__ import annotations

from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from network.choices import Role
from network.selectors import role_holders
from network.visibility import user_org_unit
from service_ops.i18n import deferred
from service_ops.notifications.services import notify
from service_ops.transitions.models import ActionChannel
from service_ops.transitions.services import run_transition

from .. import permissions as perms
from ..choices import MONEY_KINDS, ComplaintState, PenaltyCapacity, PenaltyKind
from ..models import Complaint, ComplaintPenalty

S = ComplaintState
# Investigation (the responsible person is found) through implementation (seed 004: the
# penalty is part of carrying the solution out).
PROPOSABLE_STATES = frozenset(
    {S.INVESTIGATING, S.PROPOSED, S.SENIOR_REVIEW, S.APPROVED, S.IMPLEMENTING}
)
MAX_AMOUNT = Decimal("99999999.99")


def _check_line(kind: str, amount, reason: str, prefix: str = "") -> dict:
    errors = {}
    if kind not in PenaltyKind.values:
        errors[f"{prefix}kind"] = _("请选择处罚方式")
    elif kind in MONEY_KINDS:
        if amount is None:
            errors[f"{prefix}amount"] = _("罚款或扣除奖金请填写金额")
        elif not (Decimal("0") < Decimal(amount) <= MAX_AMOUNT):
            errors[f"{prefix}amount"] = _("金额须大于 0")
    elif amount is not None:
        errors[f"{prefix}amount"] = _("行政处罚不填写金额")
    if not (reason or "").strip():
        errors["reason"] = _("请填写处罚理由")
    return errors


def _money(kind: str, amount):
    return Decimal(amount).quantize(Decimal("0.01")) if kind in MONEY_KINDS else None


@transaction.atomic
def penalty_propose(
    *,
    complaint: Complaint | int,
    actor,
    person,
    kind: str,
    reason: str,
    amount=None,
    manager=None,
    manager_kind: str = "",
    manager_amount=None,
) -> list[ComplaintPenalty]:
    """Record the responsible person's penalty and, when `manager_kind` is given, their
    manager's (seed 003 ⑧: 对相关管理人员给予经济处罚). The head of customer service is asked to
    decide (我的工作 and an action notification). Returns the rows made."""
    pk = complaint.pk if isinstance(complaint, Complaint) else complaint
    complaint = Complaint.objects.select_for_update().get(pk=pk)
    if not perms.may_propose_penalty(complaint, actor):
        raise PermissionDenied(_("您没有权限执行此操作"))
    if complaint.state not in PROPOSABLE_STATES:
        raise ValidationError(_("只有调查至实施阶段的投诉可以提出处罚"))
    errors = {}
    if person is None:
        errors["person"] = _("请选择被处罚人")
    errors.update(_check_line(kind, amount, reason))
    if manager_kind:
        if manager is None:
            errors["manager"] = _("对主管经理提出处罚时请选择主管经理")
        errors.update(_check_line(manager_kind, manager_amount, reason, "manager_"))
    elif manager_amount is not None:
        errors["manager_kind"] = _("请选择主管经理的处罚方式")
    if person is not None and manager is not None and person.pk == manager.pk:
        errors["manager"] = _("主管经理不能是被处罚人本人")
    if errors:
        raise ValidationError(errors)
    reason = reason.strip()
    rows = [
        ComplaintPenalty(
            complaint=complaint,
            person=person,
            capacity=PenaltyCapacity.RESPONSIBLE,
            manager=manager,
            person_unit=user_org_unit(person) or complaint.responsible_unit,
            org_unit=complaint.org_unit,
            kind=kind,
            amount=_money(kind, amount),
            reason=reason,
            proposed_by=actor,
        )
    ]
    if manager_kind:
        rows.append(
            ComplaintPenalty(
                complaint=complaint,
                person=manager,
                capacity=PenaltyCapacity.MANAGER,
                person_unit=user_org_unit(manager) or complaint.responsible_unit,
                org_unit=complaint.org_unit,
                kind=manager_kind,
                amount=_money(manager_kind, manager_amount),
                reason=reason,
                proposed_by=actor,
            )
        )
    for row in rows:
        row.save()
        notify(
            recipients=role_holders(Role.HEAD_OF_CS, complaint.org_unit),
            subject=deferred(
                gettext_noop("客诉 %(number)s 提出处罚：%(kind)s，请确认或免除"),
                number=complaint.number,
                kind=PenaltyKind(row.kind).label,
            ),
            url=row.get_absolute_url(),
            category="penalty",
            source=row,
            action=True,  # done once the head of customer service decides
        )
    return rows


@transaction.atomic
def penalty_confirm(
    *,
    penalty: ComplaintPenalty | int,
    actor,
    amount=None,
    note: str = "",
    channel: str = ActionChannel.WEB,
) -> ComplaintPenalty:
    """The head of customer service confirms; an economic penalty's amount may be set anew."""
    pk = penalty.pk if isinstance(penalty, ComplaintPenalty) else penalty

    def check(instance):
        if amount is not None and instance.is_money and not (0 < Decimal(amount) <= MAX_AMOUNT):
            raise ValidationError({"amount": _("金额须大于 0")})
        if amount is not None and not instance.is_money:
            raise ValidationError({"amount": _("行政处罚不填写金额")})

    penalty = run_transition(
        ComplaintPenalty,
        pk,
        transition="confirm",
        actor=actor,
        channel=channel,
        before=check,
        kwargs={
            "actor": actor,
            "amount": Decimal(amount).quantize(Decimal("0.01")) if amount is not None else None,
            "note": (note or "").strip(),
        },
        comment=(note or "").strip(),
    )
    # the person hears of it, with a link to their own ledger
    notify(
        recipients=[penalty.person],
        subject=deferred(
            gettext_noop("客诉 %(number)s 对您的处罚已确认：%(kind)s"),
            number=penalty.complaint.number,
            kind=PenaltyKind(penalty.kind).label,
        ),
        url=reverse("complaints:ledger", args=[penalty.person_id]),
        category="penalty",
    )
    return penalty


def penalty_waive(
    *, penalty: ComplaintPenalty | int, actor, note: str, channel: str = ActionChannel.WEB
) -> ComplaintPenalty:
    """The head of customer service waives it; the reason is required and kept."""
    if not (note or "").strip():
        raise ValidationError({"note": _("请填写免除原因")})
    pk = penalty.pk if isinstance(penalty, ComplaintPenalty) else penalty
    return run_transition(
        ComplaintPenalty,
        pk,
        transition="waive",
        actor=actor,
        channel=channel,
        kwargs={"actor": actor, "note": note.strip()},
        comment=note.strip(),
    )
