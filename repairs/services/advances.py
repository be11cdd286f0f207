"""Advances (借支) and expense claims (报销): create, submit, sign the chain, pay, settle, remind.

The chain is data (MoneyChainTemplate): at submission its steps are copied onto the document as
MoneyStep rows, each kept or left out by its condition (always; amount above the finance
threshold of MoneyPolicy; a line over its category's ExpenseLimit) and by whether anyone holds
the role for the requester (an HQ person has no branch manager above them; nobody signs their
own request). Each opened step has a deadline timer (kind "money.approval_step", working days,
escalating) and shows in the signer's 我的工作.

Finance pays an approved advance (it is then outstanding), records repayments, and pays an
approved claim net of the claimant's open advances: the advance the claim names first, then the
others oldest first (by payment date); each deduction is an AdvanceSettlement row and an advance
fully covered becomes settled.

Every state change goes through service_ops.transitions.run_transition (locked row, permission,
FSM transition, log); timers and notifications are written in the same transaction."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from django_fsm import TransitionNotAllowed, can_proceed

from network.choices import OrgKind, Role
from network.selectors import role_holders
from network.visibility import user_org_unit
from service_ops.deadlines.services import (
    close_open_deadlines_of,
    deadline_cancel,
    deadline_start,
    open_deadlines_of,
)
from service_ops.i18n import data_text, deferred
from service_ops.notifications.services import notify
from service_ops.numbering.services import next_document_number
from service_ops.transitions.models import ActionChannel
from service_ops.transitions.services import run_transition

from ..choices import (
    AdvanceSettlementKind,
    AdvanceState,
    ClaimState,
    DisbursementMethod,
    ExpenseCategory,
    MoneyDocKind,
    MoneyHolderScope,
    MoneyStepCondition,
    StepState,
)
from ..models.advances import (
    Advance,
    AdvanceSettlement,
    ExpenseClaim,
    ExpenseLimit,
    ExpenseLine,
    MoneyChainTemplate,
    MoneyPolicy,
    MoneyStep,
    ReceiptPhoto,
)
from ..permissions import has_role

APPROVAL_STEP_KIND = "money.approval_step"
DEFAULT_STEP_POLICY = "money-approval-step"
OPEN_ADVANCE = (AdvanceState.PAID, AdvanceState.PARTIALLY_SETTLED)
MAX_LINES = 50
MAX_PHOTOS_PER_LINE = 5
MAX_AMOUNT = Decimal("1000000")
REMINDER_BATCH = 500


# --- inputs -------------------------------------------------------------------------------------
@dataclass
class LinkInput:
    """What the money was for: a visit, a service request, a repair order (each optional)."""

    visit: object | None = None
    service_request: object | None = None
    repair_order: object | None = None


@dataclass
class ExpenseLineInput:
    category: str
    spent_on: date | None
    amount: Decimal | None
    days: int = 1
    note: str = ""
    photos: list = field(default_factory=list)


# --- helpers ------------------------------------------------------------------------------------
def _units_of(requester):
    unit = user_org_unit(requester)
    if unit is None or unit.is_partner:
        raise PermissionDenied(_("只有公司员工可以申请借支或报销"))
    return unit, unit.nearest(OrgKind.BRANCH)


def _check_links(requester, links: LinkInput) -> None:
    from ..models import RepairOrder, ServiceRequest, Visit

    errors = {}
    for name, model, obj in (
        ("visit", Visit, links.visit),
        ("service_request", ServiceRequest, links.service_request),
        ("repair_order", RepairOrder, links.repair_order),
    ):
        if obj is not None and not model.objects.visible_to(requester).filter(pk=obj.pk).exists():
            errors[name] = _("找不到该单据，或您无权查看")
    if errors:
        raise ValidationError(errors)


def _check_payment(paid_on: date | None, method: str) -> None:
    errors = {}
    if paid_on is None:
        errors["paid_on"] = _("请填写付款日期")
    elif paid_on > timezone.localdate():
        errors["paid_on"] = _("付款日期不能晚于今天")
    if method not in DisbursementMethod.values:
        errors["method"] = _("请选择付款方式")
    if errors:
        raise ValidationError(errors)


def _require_finance(actor) -> None:
    if not has_role(actor, Role.FINANCE):
        raise PermissionDenied(_("只有财务可以执行此操作"))


def _finance_people(unit):
    hq = unit.nearest(OrgKind.HEADQUARTERS) or unit
    return role_holders(Role.FINANCE, hq)


def _supervisors(doc) -> list:
    """Who hears about the requester's open advance: their branch manager, else (HQ staff) the
    head of customer service."""
    found = role_holders(Role.BRANCH_MANAGER, doc.org_unit)
    if not found:
        found = role_holders(Role.HEAD_OF_CS, doc.org_unit)
    return [u for u in found if u.pk != doc.requester_id]


def _label(doc) -> str:
    return _("借支") if isinstance(doc, Advance) else _("报销")


# --- advances -----------------------------------------------------------------------------------
def _advance_fields(
    *,
    amount: Decimal | None,
    purpose: str,
    trip_destination: str,
    trip_start: date | None,
    trip_end: date | None,
    links: LinkInput,
) -> dict:
    errors = {}
    if amount is None or amount <= 0:
        errors["amount"] = _("借支金额须大于 0")
    elif amount >= MAX_AMOUNT:
        errors["amount"] = _("借支金额过大，请核对")
    if not (purpose or "").strip():
        errors["purpose"] = _("请填写借支事由")
    if trip_start and trip_end and trip_end < trip_start:
        errors["trip_end"] = _("出差结束日期不能早于开始日期")
    if not (links.visit or links.service_request or links.repair_order or trip_destination.strip()):
        errors["trip_destination"] = _("请填写出差目的地，或选择关联的上门服务、报修单或维修单")
    if errors:
        raise ValidationError(errors)
    return {
        "amount": amount,
        "purpose": purpose.strip(),
        "trip_destination": trip_destination.strip(),
        "trip_start": trip_start,
        "trip_end": trip_end,
        "visit": links.visit,
        "service_request": links.service_request,
        "repair_order": links.repair_order,
    }


@transaction.atomic
def advance_create(
    *,
    requester,
    amount: Decimal | None,
    purpose: str,
    trip_destination: str = "",
    trip_start: date | None = None,
    trip_end: date | None = None,
    links: LinkInput | None = None,
    submit: bool = False,
    channel: str = ActionChannel.WEB,
) -> Advance:
    """A draft advance of `requester` (submitted at once with `submit`)."""
    links = links or LinkInput()
    unit, branch = _units_of(requester)
    data = _advance_fields(
        amount=amount,
        purpose=purpose,
        trip_destination=trip_destination,
        trip_start=trip_start,
        trip_end=trip_end,
        links=links,
    )
    _check_links(requester, links)
    advance = Advance(requester=requester, org_unit=unit, branch=branch, **data)
    advance.number = next_document_number("JZ")
    advance.save()
    if submit:
        advance = advance_submit(advance_id=advance.pk, actor=requester, channel=channel)
    return advance


@transaction.atomic
def advance_submit(*, advance_id: int, actor, channel: str = ActionChannel.WEB) -> Advance:
    advance = run_transition(
        Advance,
        advance_id,
        transition="submit",
        actor=actor,
        channel=channel,
        before=lambda doc: _require_chain(MoneyDocKind.ADVANCE),
    )
    _start_chain(advance, kind=MoneyDocKind.ADVANCE, actor=actor, channel=channel)
    return Advance.objects.get(pk=advance.pk)


@transaction.atomic
def advance_cancel(
    *, advance_id: int, actor, reason: str = "", channel: str = ActionChannel.WEB
) -> Advance:
    advance = run_transition(
        Advance, advance_id, transition="cancel", actor=actor, channel=channel, comment=reason
    )
    _cancel_open_steps(advance, actor=actor)
    return advance


@transaction.atomic
def advance_pay(
    *,
    advance_id: int,
    actor,
    paid_on: date | None,
    method: str,
    reference: str = "",
    channel: str = ActionChannel.WEB,
) -> Advance:
    """Finance records the payment of an approved advance: it is outstanding from now on."""
    _check_payment(paid_on, method)
    advance = run_transition(
        Advance,
        advance_id,
        transition="pay",
        actor=actor,
        channel=channel,
        kwargs={
            "paid_on": paid_on,
            "payment_method": method,
            "reference": reference.strip()[:60],
            "actor": actor,
        },
        comment=deferred(
            gettext_noop("付款日期 %(d)s %(ref)s"),
            d=paid_on,
            ref=reference.strip()[:60],
        ),
    )
    notify(
        recipients=[advance.requester],
        subject=deferred(
            gettext_noop("借支已付款：%(no)s ¥%(a)s"), no=advance.number, a=str(advance.amount)
        ),
        body=deferred(gettext_noop("请在出差结束后及时报销冲抵或还款。")),
        url=advance.get_absolute_url(),
        category="finance",
        source=advance,
    )
    return advance


def _settle(advance: Advance, amount: Decimal, *, actor, channel, comment) -> Advance:
    """Apply `amount` to a locked, open advance (its settlement row is the caller's)."""
    full = amount >= advance.amount - advance.settled_amount
    return run_transition(
        Advance,
        advance.pk,
        transition="settle" if full else "settle_part",
        actor=actor,
        channel=channel,
        check_permission=False,
        kwargs={"amount": amount},
        comment=comment,
    )


@transaction.atomic
def advance_repay(
    *,
    advance_id: int,
    actor,
    amount: Decimal | None,
    paid_on: date | None,
    method: str,
    reference: str = "",
    channel: str = ActionChannel.WEB,
) -> Advance:
    """Finance records money the holder paid back (repayment, 还款)."""
    _require_finance(actor)
    advance = Advance.objects.select_for_update().get(pk=advance_id)
    if advance.state not in OPEN_ADVANCE:
        raise TransitionNotAllowed(
            f"'repay' is not allowed from '{advance.state}'", object=advance, method=advance.settle
        )
    errors = {}
    try:
        _check_payment(paid_on, method)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if amount is None or amount <= 0:
        errors["amount"] = _("还款金额须大于 0")
    elif amount > advance.outstanding:
        errors["amount"] = _("还款金额不能超过未核销余额 ¥%(o)s") % {"o": advance.outstanding}
    if errors:
        raise ValidationError(errors)
    AdvanceSettlement.objects.create(
        advance=advance,
        kind=AdvanceSettlementKind.REPAYMENT,
        amount=amount,
        on=paid_on,
        method=method,
        reference=reference.strip()[:60],
        recorded_by=actor,
    )
    advance = _settle(
        advance,
        amount,
        actor=actor,
        channel=channel,
        comment=deferred(gettext_noop("还款 ¥%(a)s"), a=str(amount)),
    )
    notify(
        recipients=[advance.requester],
        subject=deferred(
            gettext_noop("借支还款已登记：%(no)s ¥%(a)s，未核销 ¥%(o)s"),
            no=advance.number,
            a=str(amount),
            o=str(advance.outstanding),
        ),
        url=advance.get_absolute_url(),
        category="finance",
        source=advance,
    )
    return advance


# --- expense claims -----------------------------------------------------------------------------
def _check_lines(lines: list[ExpenseLineInput]) -> None:
    if not lines:
        raise ValidationError({"lines": _("至少填写一条报销明细")})
    if len(lines) > MAX_LINES:
        raise ValidationError({"lines": _("每张报销单最多 %(n)d 条明细") % {"n": MAX_LINES}})
    errors = []
    today = timezone.localdate()
    for i, line in enumerate(lines, start=1):
        if line.category not in ExpenseCategory.values:
            errors.append(_("第 %(n)d 行：请选择费用类别") % {"n": i})
        if line.amount is None or line.amount <= 0:
            errors.append(_("第 %(n)d 行：金额须大于 0") % {"n": i})
        elif line.amount >= MAX_AMOUNT:
            errors.append(_("第 %(n)d 行：金额过大，请核对") % {"n": i})
        if line.spent_on is None:
            errors.append(_("第 %(n)d 行：请填写日期") % {"n": i})
        elif line.spent_on > today:
            errors.append(_("第 %(n)d 行：日期不能晚于今天") % {"n": i})
        elif line.spent_on < today - timedelta(days=366):
            errors.append(_("第 %(n)d 行：超过一年的费用不能报销") % {"n": i})
        if not 1 <= (line.days or 0) <= 60:
            errors.append(_("第 %(n)d 行：天数须在 1 到 60 之间") % {"n": i})
    if errors:
        raise ValidationError({"lines": errors})


@transaction.atomic
def claim_create(
    *,
    claimant,
    lines: list[ExpenseLineInput],
    advance: Advance | None = None,
    links: LinkInput | None = None,
    note: str = "",
    submit: bool = False,
    channel: str = ActionChannel.WEB,
) -> ExpenseClaim:
    """A draft claim of `claimant` with its lines (and their receipt photos); each line is
    measured against its category's limit now (the chain reads `over_limit` at submission)."""
    from .visits import check_photo

    links = links or LinkInput()
    unit, branch = _units_of(claimant)
    _check_lines(lines)
    _check_links(claimant, links)
    if advance is not None and advance.requester_id != claimant.pk:
        raise ValidationError({"advance": _("只能冲抵自己的借支")})
    for i, line in enumerate(lines, start=1):
        if len(line.photos) > MAX_PHOTOS_PER_LINE:
            raise ValidationError(
                {
                    "lines": _("第 %(n)d 行：最多 %(m)d 张票据照片")
                    % {"n": i, "m": MAX_PHOTOS_PER_LINE}
                }
            )
        for photo in line.photos:
            check_photo(photo)
    limits = {lim.category: lim for lim in ExpenseLimit.objects.all()}
    claim = ExpenseClaim(
        requester=claimant,
        org_unit=unit,
        branch=branch,
        advance=advance,
        note=note.strip()[:200],
        visit=links.visit,
        service_request=links.service_request,
        repair_order=links.repair_order,
    )
    claim.number = next_document_number("BX")
    rows = []
    for line in lines:
        limit = limits.get(line.category)
        over = limit.excess(line.amount, line.days) if limit else Decimal("0")
        rows.append(
            ExpenseLine(
                category=line.category,
                spent_on=line.spent_on,
                days=line.days,
                amount=line.amount,
                note=line.note.strip()[:200],
                over_by=over,
            )
        )
    claim.total = sum((r.amount for r in rows), Decimal("0"))
    claim.over_limit = any(r.over_by > 0 for r in rows)
    claim.save()
    for row in rows:
        row.claim = claim
    ExpenseLine.objects.bulk_create(rows)
    for row, line in zip(
        ExpenseLine.objects.filter(claim=claim).order_by("pk"), lines, strict=True
    ):
        for photo in line.photos:
            _store_photo(row, photo, actor=claimant)
    if submit:
        claim = claim_submit(claim_id=claim.pk, actor=claimant, channel=channel)
    return claim


def _store_photo(line: ExpenseLine, file, *, actor) -> ReceiptPhoto:
    from .visits import check_photo

    extension = check_photo(file)
    photo = ReceiptPhoto(line=line, uploaded_by=actor)
    photo.file.save(f"{line.claim_id}-{line.pk}.{extension}", file, save=False)
    photo.save()
    return photo


@transaction.atomic
def claim_add_photo(*, line_id: int, actor, file) -> ReceiptPhoto:
    """A receipt photo added to a line of a draft or returned claim (from the phone's camera)."""
    claim_id = ExpenseLine.objects.values_list("claim_id", flat=True).get(pk=line_id)
    claim = ExpenseClaim.objects.select_for_update().get(pk=claim_id)
    if claim.requester_id != getattr(actor, "pk", None):
        raise PermissionDenied(_("只有报销人可以上传票据"))
    if claim.state not in (ClaimState.DRAFT, ClaimState.REJECTED):
        raise TransitionNotAllowed(
            f"'add_photo' is not allowed from '{claim.state}'", object=claim, method=claim.submit
        )
    line = ExpenseLine.objects.get(pk=line_id)
    if line.photos.count() >= MAX_PHOTOS_PER_LINE:
        raise ValidationError(
            {"file": _("每条明细最多 %(m)d 张票据照片") % {"m": MAX_PHOTOS_PER_LINE}}
        )
    return _store_photo(line, file, actor=actor)


def _receipts_present(claim: ExpenseClaim) -> None:
    missing = list(
        claim.lines.filter(photos__isnull=True).order_by("pk").values_list("pk", flat=True)
    )
    if missing:
        raise ValidationError(
            {"lines": _("还有 %(n)d 条明细没有票据照片，请先上传") % {"n": len(missing)}}
        )


@transaction.atomic
def claim_submit(*, claim_id: int, actor, channel: str = ActionChannel.WEB) -> ExpenseClaim:
    def _check(claim):
        _require_chain(MoneyDocKind.CLAIM)
        _receipts_present(claim)

    claim = run_transition(
        ExpenseClaim, claim_id, transition="submit", actor=actor, channel=channel, before=_check
    )
    _start_chain(claim, kind=MoneyDocKind.CLAIM, actor=actor, channel=channel)
    return ExpenseClaim.objects.get(pk=claim.pk)


@transaction.atomic
def claim_cancel(
    *, claim_id: int, actor, reason: str = "", channel: str = ActionChannel.WEB
) -> ExpenseClaim:
    claim = run_transition(
        ExpenseClaim, claim_id, transition="cancel", actor=actor, channel=channel, comment=reason
    )
    _cancel_open_steps(claim, actor=actor)
    return claim


def deduction_plan(claim: ExpenseClaim, advances: list[Advance]) -> list[tuple[Advance, Decimal]]:
    """(advance, amount) deducted from the claim's total: the advance the claim names first,
    then the claimant's other open advances oldest first (payment date, then number)."""
    ordered = sorted(
        advances,
        key=lambda a: (a.pk != claim.advance_id, a.paid_on or date.min, a.pk),
    )
    remaining = claim.total
    plan = []
    for advance in ordered:
        if remaining <= 0:
            break
        take = min(remaining, advance.amount - advance.settled_amount)
        if take > 0:
            plan.append((advance, take))
            remaining -= take
    return plan


@transaction.atomic
def claim_pay(
    *,
    claim_id: int,
    actor,
    paid_on: date | None,
    method: str,
    reference: str = "",
    channel: str = ActionChannel.WEB,
) -> ExpenseClaim:
    """Finance pays an approved claim net of the claimant's open advances (deduction_plan); each
    deduction settles (part of) its advance. The claim is locked first, then the advances in
    key order, so two payments never deduct the same balance twice."""
    _require_finance(actor)
    _check_payment(paid_on, method)
    claim = ExpenseClaim.objects.select_for_update().get(pk=claim_id)
    if not can_proceed(claim.pay):
        raise TransitionNotAllowed(
            f"'pay' is not allowed from '{claim.state}'", object=claim, method=claim.pay
        )
    advances = list(
        Advance.objects.select_for_update()
        .filter(requester_id=claim.requester_id, state__in=OPEN_ADVANCE)
        .order_by("pk")
    )
    plan = deduction_plan(claim, advances)
    deducted = Decimal("0")
    for advance, amount in plan:
        AdvanceSettlement.objects.create(
            advance=advance,
            kind=AdvanceSettlementKind.CLAIM,
            claim=claim,
            amount=amount,
            on=paid_on,
            recorded_by=actor,
        )
        _settle(
            advance,
            amount,
            actor=actor,
            channel=channel,
            comment=deferred(
                gettext_noop("报销单 %(no)s 冲抵 ¥%(a)s"), no=claim.number, a=str(amount)
            ),
        )
        deducted += amount
    claim = run_transition(
        ExpenseClaim,
        claim.pk,
        transition="pay",
        actor=actor,
        channel=channel,
        kwargs={
            "paid_on": paid_on,
            "payment_method": method,
            "reference": reference.strip()[:60],
            "actor": actor,
            "deducted": deducted,
        },
        comment=deferred(
            gettext_noop("报销 ¥%(t)s，冲抵借支 ¥%(d)s，实付 ¥%(n)s"),
            t=str(claim.total),
            d=str(deducted),
            n=str(claim.total - deducted),
        ),
    )
    notify(
        recipients=[claim.requester],
        subject=deferred(
            gettext_noop("报销已付款：%(no)s 实付 ¥%(n)s（冲抵借支 ¥%(d)s）"),
            no=claim.number,
            n=str(claim.net_paid),
            d=str(deducted),
        ),
        url=claim.get_absolute_url(),
        category="finance",
        source=claim,
    )
    return claim


# --- the chain ------------------------------------------------------------------------------------
def _require_chain(kind: str) -> None:
    if not MoneyChainTemplate.objects.filter(kind=kind).exists():
        raise ValidationError(_("尚未配置审批链，请联系管理员"))


def _doc_field(doc) -> str:
    return "advance" if isinstance(doc, Advance) else "claim"


def _applies(condition: str, doc, policy: MoneyPolicy) -> bool:
    amount = doc.amount if isinstance(doc, Advance) else doc.total
    if condition == MoneyStepCondition.ABOVE_THRESHOLD:
        return amount > policy.finance_threshold
    if condition == MoneyStepCondition.OVER_LIMIT:
        return bool(getattr(doc, "over_limit", False))
    return True


def chain_for(doc, kind: str) -> list[MoneyStep]:
    """The unsaved step rows `doc` gets now from its chain template (positions renumbered)."""
    policy = MoneyPolicy.current()
    template = MoneyChainTemplate.objects.get(kind=kind)
    hq = doc.org_unit.nearest(OrgKind.HEADQUARTERS) or doc.org_unit
    steps, seen = [], set()
    for t in template.steps.select_related("deadline_policy").order_by("position"):
        if not _applies(t.condition, doc, policy):
            continue
        unit = doc.org_unit if t.holder_scope == MoneyHolderScope.REQUESTER_UNIT else hq
        holders = role_holders(t.role, unit)
        if t.holder_scope == MoneyHolderScope.REQUESTER_UNIT and not holders:
            continue  # nobody above the requester holds it (HQ staff have no branch manager)
        if holders and all(h.pk == doc.requester_id for h in holders):
            continue  # nobody signs their own request
        holder_ids = tuple(sorted(h.pk for h in holders))
        if (t.role, holder_ids) in seen:
            continue  # the same people already sign an earlier step
        seen.add((t.role, holder_ids))
        steps.append(
            MoneyStep(
                **{_doc_field(doc): doc},
                round=doc.round,
                position=len(steps) + 1,
                name=t.name,
                role=t.role,
                org_unit=unit,
                condition=t.condition,
                deadline_policy_code=t.deadline_policy.code if t.deadline_policy_id else "",
            )
        )
    return steps


def _start_chain(doc, *, kind: str, actor, channel: str) -> None:
    steps = chain_for(doc, kind)
    if not steps:
        _approve(doc, actor=actor, channel=ActionChannel.SYSTEM, comment="")
        return
    MoneyStep.objects.bulk_create(steps)
    first = MoneyStep.objects.select_related("org_unit").get(
        **{_doc_field(doc): doc}, round=doc.round, position=1
    )
    _open_step(first, doc, actor=actor)


def _open_step(step: MoneyStep, doc, *, actor) -> None:
    run_transition(step, transition="open", channel=ActionChannel.SYSTEM, actor=actor)
    holders = role_holders(step.role, step.org_unit)
    label = deferred(
        gettext_noop("%(no)s 第 %(k)d 步：%(name)s"),
        no=doc.number,
        k=step.position,
        name=data_text(step.name),
    )
    deadline_start(
        policy=step.deadline_policy_code or DEFAULT_STEP_POLICY,
        owner=step,
        org_unit=step.org_unit,
        assignee=holders[0] if holders else None,
        label=label,
    )
    notify(
        recipients=holders,
        subject=deferred(gettext_noop("待您审批：%(label)s"), label=label),
        url=doc.get_absolute_url(),
        category="approval",
        source=step,
        action=True,
    )


def _approve(doc, *, actor, channel, comment) -> None:
    doc = run_transition(
        type(doc),
        doc.pk,
        transition="approve",
        actor=actor,
        channel=channel,
        check_permission=False,
        comment=comment,
    )
    notify(
        recipients=_finance_people(doc.org_unit),
        subject=deferred(
            gettext_noop("%(what)s已批准，待付款：%(no)s"),
            what=_label(doc),
            no=doc.number,
        ),
        url=doc.get_absolute_url(),
        category="finance",
        source=doc,
        action=True,  # done once finance pays it
    )
    notify(
        recipients=[doc.requester],
        subject=deferred(gettext_noop("%(what)s已批准：%(no)s"), what=_label(doc), no=doc.number),
        url=doc.get_absolute_url(),
        category="approval",
        source=doc,
    )


def _cancel_open_steps(doc, *, actor) -> None:
    for step in MoneyStep.objects.filter(
        **{_doc_field(doc): doc},
        round=doc.round,
        state__in=[StepState.WAITING, StepState.PENDING],
    ):
        run_transition(step, transition="cancel", channel=ActionChannel.SYSTEM, actor=actor)
        for deadline in open_deadlines_of(step):
            deadline_cancel(
                deadline=deadline, reason=deferred(gettext_noop("单据已取消或驳回")), actor=actor
            )


@transaction.atomic
def money_decide(
    *,
    step_id: int,
    actor,
    approve: bool,
    comment: str = "",
    channel: str = ActionChannel.WEB,
) -> MoneyStep:
    """Sign one step of an advance's or a claim's chain. The document is locked first, so
    concurrent signers queue; the step must still be pending (else TransitionNotAllowed → 409)
    and the actor must hold its role or stand in for a holder (else PermissionDenied → 403)."""
    if not approve and not (comment or "").strip():
        raise ValidationError({"comment": _("驳回时请填写原因")})
    advance_id, claim_id = MoneyStep.objects.values_list("advance_id", "claim_id").get(pk=step_id)
    model = Advance if advance_id else ExpenseClaim
    doc = model.objects.select_for_update().get(pk=advance_id or claim_id)
    step = run_transition(
        MoneyStep,
        step_id,
        transition="approve" if approve else "reject",
        actor=actor,
        channel=channel,
        comment=comment,
        kwargs={"actor": actor, "comment": comment},
    )
    close_open_deadlines_of(step, actor=actor)
    if approve:
        following = (
            MoneyStep.objects.filter(
                **{_doc_field(doc): doc},
                round=step.round,
                position__gt=step.position,
                state=StepState.WAITING,
            )
            .select_related("org_unit")
            .order_by("position")
            .first()
        )
        if following is not None:
            _open_step(following, doc, actor=actor)
        else:
            _approve(doc, actor=actor, channel=channel, comment=comment)
        return step
    _cancel_open_steps(doc, actor=actor)
    doc = run_transition(
        model,
        doc.pk,
        transition="reject",
        actor=actor,
        channel=channel,
        check_permission=False,
        comment=comment,
        kwargs={"reason": comment},
    )
    notify(
        recipients=[doc.requester],
        subject=deferred(gettext_noop("%(what)s被退回：%(no)s"), what=_label(doc), no=doc.number),
        body=comment,
        url=doc.get_absolute_url(),
        category="approval",
        source=doc,
        action=True,  # resubmit or cancel
    )
    return step


# --- reminders ------------------------------------------------------------------------------------
def send_advance_reminders(*, now: datetime | None = None) -> int:
    """The periodic job (repairs/plugin.py): advances outstanding longer than the policy's
    reminder days are reminded to their holder and the holder's supervisor, again every
    `reminder_every_days` while they stay open. Returns how many advances were reminded."""
    now = now or timezone.now()
    policy = MoneyPolicy.current()
    today = timezone.localdate(now)
    due_before = today - timedelta(days=policy.reminder_days)
    again_before = now - timedelta(days=policy.reminder_every_days)
    from django.db.models import Q

    advances = list(
        Advance.objects.filter(state__in=OPEN_ADVANCE, paid_on__lt=due_before)
        .filter(Q(last_reminded_at__isnull=True) | Q(last_reminded_at__lte=again_before))
        .select_related("requester", "org_unit")
        .order_by("paid_on", "pk")[:REMINDER_BATCH]
    )
    for advance in advances:
        with transaction.atomic():
            claimed = Advance.objects.filter(
                Q(last_reminded_at__isnull=True) | Q(last_reminded_at__lte=again_before),
                pk=advance.pk,
            ).update(last_reminded_at=now)
            if not claimed:
                continue  # another run took it
            days = (today - advance.paid_on).days
            subject = deferred(
                gettext_noop("借支 %(no)s 已付款 %(d)d 天，未核销 ¥%(o)s，请尽快报销或还款"),
                no=advance.number,
                d=days,
                o=str(advance.outstanding),
            )
            notify(
                recipients=[advance.requester],
                subject=subject,
                url=advance.get_absolute_url(),
                category="finance",
                source=advance,
            )
            notify(
                recipients=_supervisors(advance),
                subject=deferred(
                    gettext_noop("%(who)s 的借支 %(no)s 已付款 %(d)d 天未核销：¥%(o)s"),
                    who=advance.requester_name,
                    no=advance.number,
                    d=days,
                    o=str(advance.outstanding),
                ),
                url=advance.get_absolute_url(),
                category="finance",
                source=advance,
            )
    return len(advances)


# --- default rule rows --------------------------------------------------------------------------
# The seed names advances and claims without their numbers; these are the department's choices
# (issue 22), all editable in the admin. Seeded after migrate and after a test flush, kept when
# an admin changed them.
DEFAULT_LIMITS = {
    # category: (per line, per day)
    ExpenseCategory.TRAVEL: (None, Decimal("300.00")),  # 交通 300 元/天
    ExpenseCategory.LODGING: (None, Decimal("300.00")),  # 住宿 300 元/晚
    ExpenseCategory.LOCAL_PARTS: (Decimal("2000.00"), None),  # 本地购件 2,000 元/笔
    ExpenseCategory.FREIGHT: (Decimal("500.00"), None),  # 运费 500 元/笔
    ExpenseCategory.OTHER: (Decimal("500.00"), None),  # 其他 500 元/笔
}
# (position, name, role, scope, condition); names are catalogue msgids (data_text)
DEFAULT_CHAINS = {
    MoneyDocKind.ADVANCE: (
        "借支审批链",
        (
            (1, gettext_noop("上级审批"), Role.BRANCH_MANAGER, "requester_unit", "always"),
            (2, gettext_noop("客服部部长审批"), Role.HEAD_OF_CS, "headquarters", "always"),
            (3, gettext_noop("财务审批"), Role.FINANCE, "headquarters", "above_threshold"),
        ),
    ),
    MoneyDocKind.CLAIM: (
        "报销审批链",
        (
            (1, gettext_noop("上级审批"), Role.BRANCH_MANAGER, "requester_unit", "always"),
            (2, gettext_noop("超标审批"), Role.HEAD_OF_CS, "headquarters", "over_limit"),
            (3, gettext_noop("大额审批"), Role.HEAD_OF_CS, "headquarters", "above_threshold"),
            (4, gettext_noop("财务审核"), Role.FINANCE, "headquarters", "always"),
        ),
    ),
}


def seed_money_defaults() -> None:
    """Idempotent: the policy row, a limit per category and the two chains, where missing."""
    from ..models.advances import MoneyStepTemplate

    MoneyPolicy.current()
    for category, (per_line, per_day) in DEFAULT_LIMITS.items():
        ExpenseLimit.objects.get_or_create(
            category=category, defaults={"per_line": per_line, "per_day": per_day}
        )
    for kind, (name, steps) in DEFAULT_CHAINS.items():
        chain, created = MoneyChainTemplate.objects.get_or_create(
            kind=kind, defaults={"name": name}
        )
        if created or not chain.steps.exists():
            MoneyStepTemplate.objects.bulk_create(
                [
                    MoneyStepTemplate(
                        chain=chain,
                        position=position,
                        name=step_name,
                        role=role,
                        holder_scope=scope,
                        condition=condition,
                    )
                    for position, step_name, role, scope, condition in steps
                ]
            )
