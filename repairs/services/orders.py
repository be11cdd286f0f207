"""Repair orders: lots and their limits, the technician's steps, warranty, quotes and consent,
loaners, the overdue review, shipping back and the month-end statement (DESIGN §2.2)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop, pgettext_lazy

from network.choices import Role
from network.selectors import acts_as, role_holders
from service_ops import plugins
from service_ops.deadlines.models import OPEN_STATUSES, Deadline, DeadlineStatus
from service_ops.deadlines.services import (
    close_open_deadlines_of,
    deadline_extend,
    deadline_pause,
    deadline_reassign,
    deadline_resume,
    deadline_start,
    open_deadlines_of,
)
from service_ops.i18n import Deferred, deferred, join, of_lazy
from service_ops.notifications.services import notify, tasks_done
from service_ops.numbering.services import next_document_number
from service_ops.transitions.models import ActionChannel
from service_ops.transitions.services import run_transition
from service_ops.workcalendar import clock

from ..choices import (
    DelayReason,
    OrderState,
    QuoteLineKind,
    QuoteState,
    ReviewDecision,
    ServiceType,
    StatementState,
    WaitReason,
    WarrantyExclusion,
)
from ..models import (
    CustomerContact,
    Loan,
    LoanerUnit,
    LotLimitRule,
    MonthlyStatement,
    Quote,
    QuoteLine,
    RepairLot,
    RepairOrder,
    ReturnPolicy,
    ReviewItem,
    ReviewMeeting,
    StatementLine,
)
from ..models.orders import DelayNotice, month_bounds
from ..permissions import (
    answers_on_behalf,
    has_role,
    may_answer_quote,
    may_build_statements,
    may_handle_loaners,
    may_post_delay_notice,
    may_record_contact,
)

LIMIT_KIND = "repair.limit"
QUOTE_SEND_POLICY = "quote-send"
QUOTE_CONSENT_POLICY = "quote-consent"
QUOTE_CONSENT_KIND = "repair.quote_consent"
LOANER_POLICY = "loaner-return"
CLOSED_STATES = (OrderState.SHIPPED, OrderState.CLOSED)
FREE_REPAIR_CHARGES = (QuoteLineKind.PARTS, QuoteLineKind.UPGRADE)
GOODS_KINDS = (QuoteLineKind.PARTS, QuoteLineKind.MATERIALS)  # the statement's 配件及材料费


def limit_deadline(order: RepairOrder) -> Deadline | None:
    return open_deadlines_of(order, kind=LIMIT_KIND).first()


# --- lots -----------------------------------------------------------------------------------
def rule_for(size: int) -> LotLimitRule:
    rule = (
        LotLimitRule.objects.filter(min_units__lte=size)
        .filter(Q(max_units__isnull=True) | Q(max_units__gte=size))
        .select_related("policy")
        .order_by("-min_units")
        .first()
    )
    if rule is None:
        raise ValidationError(_("没有适用于 %(n)d 台的维修时限规则") % {"n": size})
    return rule


def open_repair_orders(application, received_units, actor) -> RepairLot:
    """Receiving an application opens one repair order per received unit, grouped in a lot whose
    size sets each order's limit; the clock starts at receipt (shipping time never counts)."""
    units = list(received_units)
    rule = rule_for(len(units))
    received_at = application.received_at or timezone.now()
    lot = RepairLot.objects.create(
        number=next_document_number("LOT"),
        application=application,
        branch=application.branch,
        dealer=application.dealer,
        size=len(units),
        policy_code=rule.policy.code,
        received_at=received_at,
    )
    for unit in units:
        line = unit.line
        order = RepairOrder.objects.create(
            number=next_document_number("RO"),
            lot=lot,
            received_unit=unit,
            branch=application.branch,
            dealer=application.dealer,
            product_model=unit.product_model,
            serial_number=unit.serial_number,
            purchase_date=line.purchase_date if line else None,
            urgency=application.urgency,
            fault_description=line.fault_description if line else "",
        )
        deadline_start(
            policy=rule.policy,
            owner=order,
            org_unit=application.branch,
            started_at=received_at,
            label=deferred(
                gettext_noop("维修时限 %(no)s %(m)s %(s)s"),
                no=order.number,
                m=order.product_model,
                s=order.serial_number,
            ),
        )
        _warranty_from_line(order, line)
    return lot


def _warranty_from_line(order: RepairOrder, line) -> None:
    """A first warranty reading from the application's checkboxes; the technician confirms it."""
    exclusions = []
    if line is not None:
        if not (line.has_warranty_card and line.has_proof_of_purchase):
            exclusions.append(WarrantyExclusion.NO_CARD_OR_PROOF)
        if not line.has_seller_stamp:
            exclusions.append(WarrantyExclusion.NO_SELLER_STAMP)
    if not order.serial_number:
        exclusions.append(WarrantyExclusion.SERIAL_MISSING)
    result = assess_warranty(
        purchase_date=order.purchase_date, on=timezone.localdate(), exclusions=exclusions
    )
    RepairOrder.objects.filter(pk=order.pk).update(
        in_warranty=result.in_warranty,
        warranty_reasons=result.stored_reasons,
        service_type=result.service_type,
    )


# --- warranty -------------------------------------------------------------------------------
@dataclass
class WarrantyResult:
    in_warranty: bool
    # msgids with parameters (service_ops.i18n): shown in the reader's language
    reasons: list[Deferred]
    service_type: str

    @property
    def stored_reasons(self) -> list[dict]:
        """As RepairOrder.warranty_reasons keeps them."""
        return [r.to_dict() for r in self.reasons]


def _one_year_after(day: date) -> date:
    if day.year >= date.max.year:  # a stored 9999-12-31 must not stop the receipt
        return date.max
    try:
        return day.replace(year=day.year + 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year + 1, day=28)


def assess_warranty(
    *, purchase_date: date | None, on: date, exclusions: list[str], under_contract: bool = False
) -> WarrantyResult:
    """Free repair within one year of purchase unless one of the seed's exclusions applies."""
    reasons = []
    valid = set(WarrantyExclusion.values)
    unknown = [e for e in exclusions if e not in valid]
    if unknown:
        raise ValidationError({"exclusions": _("未知的判定项：%(x)s") % {"x": ", ".join(unknown)}})
    if purchase_date is None:
        reasons.append(deferred(gettext_noop("无购买日期，无法确认保修期")))
    elif on > _one_year_after(purchase_date):
        reasons.append(
            deferred(gettext_noop("已过保修期（购买日期 %(d)s，保修一年）"), d=purchase_date)
        )
    reasons += [of_lazy(WarrantyExclusion(e).label) for e in exclusions]
    in_warranty = not reasons
    if under_contract:
        service_type = ServiceType.CONTRACT
    else:
        service_type = ServiceType.FREE if in_warranty else ServiceType.PAID
    if in_warranty:
        reasons = [deferred(gettext_noop("购买一年内，无除外情形"))]
    return WarrantyResult(in_warranty, reasons, service_type)


@transaction.atomic
def order_assess_warranty(
    *, order_id: int, actor, exclusions: list[str], under_contract: bool = False
) -> RepairOrder:
    order = RepairOrder.objects.select_for_update().select_related("lot").get(pk=order_id)
    if not (has_role(actor, Role.TECHNICIAN) or has_role(actor, Role.REPAIR_SUPERVISOR)):
        raise PermissionDenied(_("只有技术员可以判定保修"))
    result = assess_warranty(
        purchase_date=order.purchase_date,
        on=timezone.localdate(order.lot.received_at),
        exclusions=exclusions,
        under_contract=under_contract,
    )
    order.in_warranty = result.in_warranty
    order.warranty_reasons = result.stored_reasons
    order.service_type = result.service_type
    order.save(update_fields=["in_warranty", "warranty_reasons", "service_type"])
    return order


# --- the technician's steps -----------------------------------------------------------------
def _step(order_id, transition, actor, channel, comment="", **kwargs) -> RepairOrder:
    order = run_transition(
        RepairOrder,
        order_id,
        transition=transition,
        actor=actor,
        channel=channel,
        comment=comment,
        kwargs=kwargs or None,
    )
    _parts_follow(order, actor)  # issue 19: the order's part lines follow its step
    return order


def _parts_follow(order: RepairOrder, actor) -> None:
    """Issue 19: the part lines follow the order (repairs.services.parts): issued when the repair
    starts (or put on the waiting-for-parts hold), released when it goes back unrepaired."""
    from .parts import follow_order

    follow_order(order, actor=actor)


@transaction.atomic
def order_pick_up(
    *, order_id: int, actor, comment: str = "", channel=ActionChannel.WEB
) -> RepairOrder:
    """The technician signs for the unit. Two technicians at once: the row lock queues them and
    the second finds the unit already picked up (409)."""
    order = _step(order_id, "pick_up", actor, channel, comment=comment, technician=actor)
    deadline = limit_deadline(order)
    if deadline:
        deadline_reassign(deadline=deadline, assignee=actor, actor=actor)
    return order


@transaction.atomic
def order_start_repair(
    *, order_id: int, actor, diagnosis: str = "", channel=ActionChannel.WEB
) -> RepairOrder:
    """Free and contract units only: a paid unit goes through a quote first (raise_quote)."""
    order = RepairOrder.objects.get(pk=order_id)
    if order.state == OrderState.DIAGNOSING and not order.is_free_repair():
        raise ValidationError(
            _("%(no)s 不在保修期内（收费维修）：请先提出报价，发货方同意后才能开始维修")
            % {"no": order.number}
        )
    # issue 19: a free repair's paid part lines are charged only with the customer's consent
    from .parts import paid_lines_without_quote

    if order.state == OrderState.DIAGNOSING and paid_lines_without_quote(order):
        raise ValidationError(
            _("%(no)s 有收费配件：请先提出报价，发货方同意后才能开始维修") % {"no": order.number}
        )
    return _step(order_id, "start_repair", actor, channel, comment=diagnosis, diagnosis=diagnosis)


@transaction.atomic
def order_wait_for_parts(
    *, order_id: int, actor, reason: str, until: date | None = None, channel=ActionChannel.WEB
) -> RepairOrder:
    if not reason.strip():
        raise ValidationError({"reason": _("请说明等待的配件和原因")})
    return _step(
        order_id, "wait_for_parts", actor, channel, comment=reason, reason=reason, until=until
    )


@transaction.atomic
def order_parts_arrived(
    *, order_id: int, actor, comment: str = "", channel=ActionChannel.WEB
) -> RepairOrder:
    return _step(order_id, "parts_arrived", actor, channel, comment=comment)


@transaction.atomic
def order_finish_repair(
    *, order_id: int, actor, notes: str = "", channel=ActionChannel.WEB
) -> RepairOrder:
    # issue 19: a serialised part replaced under warranty records both serials first
    from .parts import missing_serials, paid_lines_without_quote

    unconsented = paid_lines_without_quote(RepairOrder.objects.get(pk=order_id))
    if unconsented:
        raise ValidationError(
            _("有未经客户同意的收费配件：%(p)s。请提出补充报价，或移除这些配件")
            % {"p": "、".join(ln.part.number for ln in unconsented)}
        )
    missing = missing_serials(order_id)
    if missing:
        raise ValidationError(
            _("请先登记保修更换配件的旧件和新件序列号：%(p)s")
            % {"p": "、".join(ln.part.number for ln in missing)}
        )
    return _step(order_id, "finish_repair", actor, channel, comment=notes, notes=notes)


@transaction.atomic
def order_finish_burn_in(
    *, order_id: int, actor, comment: str = "", channel=ActionChannel.WEB
) -> RepairOrder:
    """Refused before the policy's minimum burn-in time has passed since the repair finished."""
    order = RepairOrder.objects.select_for_update().get(pk=order_id)
    hours = ReturnPolicy.current().burn_in_minimum_hours
    earliest = order.burn_in_ends_earliest(hours)
    if order.state == OrderState.BURN_IN and earliest and timezone.now() < earliest:
        raise ValidationError(
            _("老化至少 %(h)s 小时：%(no)s 最早 %(at)s 才能结束老化")
            % {
                "h": hours,
                "no": order.number,
                "at": formats.date_format(timezone.localtime(earliest), "SHORT_DATETIME_FORMAT"),
            }
        )
    return _step(order_id, "finish_burn_in", actor, channel, comment=comment)


@transaction.atomic
def order_qc(
    *, order_id: int, actor, passed: bool, note: str = "", channel=ActionChannel.WEB
) -> RepairOrder:
    if not passed and not note.strip():
        raise ValidationError({"note": _("质检不合格请写明原因")})
    return _step(order_id, "pass_qc" if passed else "fail_qc", actor, channel, comment=note)


@transaction.atomic
def order_extend(*, order_id: int, actor, working_days: int, reason: str) -> Deadline:
    """A supervisor grants a special case more time; the total never exceeds the policy ceiling
    (15 working days from receipt)."""
    if not has_role(actor, Role.REPAIR_SUPERVISOR) and not has_role(actor, Role.HEAD_OF_CS):
        raise PermissionDenied(_("只有维修主管可以延长维修时限"))
    order = RepairOrder.objects.get(pk=order_id)
    deadline = limit_deadline(order)
    if deadline is None:
        raise ValidationError(_("该维修单没有进行中的时限"))
    return deadline_extend(
        deadline=deadline, amount=Decimal(working_days), reason=reason, actor=actor
    )


# --- quotes ---------------------------------------------------------------------------------
@dataclass
class QuoteLineInput:
    kind: str
    amount: Decimal
    description: str = ""


def _clerks(order: RepairOrder):
    return role_holders(Role.LOGISTICS_CLERK, order.branch)


def _shipper_recipients(order: RepairOrder):
    application = order.lot.application
    people = [application.applicant]
    if order.dealer_id:
        people += [u for u in role_holders(Role.DEALER_STAFF, order.dealer) if u not in people]
    return people


@transaction.atomic
def order_raise_quote(
    *,
    order_id: int,
    actor,
    lines: list[QuoteLineInput],
    diagnosis: str = "",
    channel=ActionChannel.WEB,
) -> Quote:
    """The technician raises the charges; the clerk must send them within 1 working day. The
    order's paid part lines are added at their price (issue 19)."""
    from .parts import quote_attach_lines, quote_lines_for, unquoted_paid_lines

    manual = list(lines)
    errors = duplicate_quote_lines(manual, [ln.part.number for ln in unquoted_paid_lines(order_id)])
    lines = manual + quote_lines_for(order_id)
    if not lines:
        raise ValidationError({"lines": _("请至少填写一项费用")})
    for i, line in enumerate(lines, start=1):
        if line.kind not in QuoteLineKind.values:
            errors.append(_("第 %(n)d 项费用类型无效") % {"n": i})
        if Decimal(line.amount) <= 0:
            errors.append(_("第 %(n)d 项金额必须大于 0") % {"n": i})
    if RepairOrder.objects.get(pk=order_id).is_free_repair():
        # In warranty the repair is free: the seed allows charging only for parts added at the
        # customer's wish and for upgrades, and the reason goes on each line.
        for i, line in enumerate(lines, start=1):
            if line.kind not in FREE_REPAIR_CHARGES:
                errors.append(_("第 %(n)d 项：保修期内的机器只能收取增补配件费或升级费") % {"n": i})
            elif not line.description.strip():
                errors.append(
                    _("第 %(n)d 项：保修期内收费须写明原因（增补了什么配件、升级了什么）")
                    % {"n": i}
                )
    if errors:
        raise ValidationError({"lines": errors})
    order = _step(order_id, "raise_quote", actor, channel, comment=diagnosis, diagnosis=diagnosis)
    quote = Quote.objects.create(
        order=order, raised_by=actor, total=sum(Decimal(x.amount) for x in lines)
    )
    QuoteLine.objects.bulk_create(
        [
            QuoteLine(quote=quote, kind=x.kind, amount=Decimal(x.amount), description=x.description)
            for x in lines
        ]
    )
    quote_attach_lines(order_id, quote)  # issue 19: the paid lines it charges
    clerks = _clerks(order)
    deadline_start(
        policy=QUOTE_SEND_POLICY,
        owner=quote,
        org_unit=order.branch,
        assignee=clerks[0] if clerks else None,
        label=deferred(gettext_noop("发送报价 %(no)s ¥%(t)s"), no=order.number, t=quote.total),
    )
    notify(
        recipients=clerks,
        subject=deferred(gettext_noop("待发送报价：%(no)s ¥%(t)s"), no=order.number, t=quote.total),
        url=order.get_absolute_url(),
        category="quote",
        source=quote,
        action=True,
    )
    return quote


def duplicate_quote_lines(lines: list[QuoteLineInput], part_numbers: list[str]) -> list[str]:
    """The technician's own lines twice (same kind and description), or a parts line naming a
    part the order's paid part lines already put on the quote at its price: each would be
    charged twice."""
    errors, seen = [], {}
    for i, line in enumerate(lines, start=1):
        text = " ".join((line.description or "").split()).casefold()
        if text:
            first = seen.setdefault((line.kind, text), i)
            if first != i:
                errors.append(
                    _("第 %(n)d 项与第 %(m)d 项重复：同一费用请合并为一项") % {"n": i, "m": first}
                )
                continue
        if line.kind == QuoteLineKind.PARTS:
            named = [p for p in part_numbers if p.casefold() in text]
            if named:
                errors.append(
                    _("第 %(n)d 项：%(p)s 已作为收费配件按单价计入报价，请勿重复填写")
                    % {"n": i, "p": "、".join(named)}
                )
    return errors


@transaction.atomic
def quote_send(*, quote_id: int, actor, channel=ActionChannel.WEB) -> Quote:
    """The clerk sends the quote to the shipper: the consent clock (2 working days) starts and the
    repair clock pauses while the ball is with the customer."""
    quote = run_transition(
        Quote, quote_id, transition="send", actor=actor, channel=channel, kwargs={"actor": actor}
    )
    close_open_deadlines_of(quote, actor=actor)
    order = _step(quote.order_id, "send_quote", actor, channel)
    deadline_start(
        policy=QUOTE_CONSENT_POLICY,
        owner=quote,
        org_unit=order.branch,
        assignee=actor,
        label=deferred(gettext_noop("等待报价确认 %(no)s ¥%(t)s"), no=order.number, t=quote.total),
    )
    limit = limit_deadline(order)
    if limit and limit.status != DeadlineStatus.PAUSED:
        deadline_pause(
            deadline=limit,
            reason=deferred(gettext_noop("等待客户确认报价")),
            ball_holder="customer",
            actor=actor,
        )
    lines = "\n".join(
        f"- {ln.get_kind_display()} {ln.description} ¥{ln.amount}" for ln in quote.lines.all()
    )
    notify(
        recipients=_shipper_recipients(order),
        subject=deferred(
            gettext_noop("维修报价待确认：%(no)s %(m)s ¥%(t)s"),
            no=order.number,
            m=order.product_model,
            t=quote.total,
        ),
        body=deferred(
            gettext_noop("%(lines)s\n请在 2 个工作日内确认，逾期未答复将不作维修直接退回。"),
            lines=lines,
        ),
        url=order.get_absolute_url(),
        category="quote",
        source=quote,
        action=True,  # done once answered (or returned unanswered)
        urgent=True,
    )
    return quote


@transaction.atomic
def quote_answer(
    *,
    quote_id: int,
    actor,
    consent: bool,
    note: str = "",
    channel=ActionChannel.WEB,
    signature: str = "",
    signed_copy=None,
) -> Quote:
    """The shipper's answer. A consent given in the browser carries its proof: the answering
    person's typed signature, or the quote signed and stamped (the clerk recording an answer
    that came by fax or mail must attach it). A partner's API token is its own proof."""
    quote = Quote.objects.select_related("order__lot__application").get(pk=quote_id)
    if not may_answer_quote(actor, quote.order):
        raise PermissionDenied(_("只有发货方可以确认报价"))
    signature = signature.strip()
    if consent and channel == ActionChannel.WEB:
        on_behalf = answers_on_behalf(actor, quote.order)
        if on_behalf and signed_copy is None:
            raise ValidationError(
                {"signed_copy": _("代客户记录同意时，请上传客户签字盖章的报价回传件")}
            )
        if not on_behalf and not signature and signed_copy is None:
            raise ValidationError(
                {"signature": _("同意维修须签名（输入您的姓名），或上传签字盖章的报价回传件")}
            )
    quote = run_transition(
        Quote,
        quote_id,
        transition="consent" if consent else "decline",
        actor=actor,
        channel=channel,
        comment=note,
        check_permission=False,
        kwargs={"actor": actor, "note": note, "signature": signature, "signed_copy": signed_copy},
    )
    close_open_deadlines_of(quote, actor=actor)
    order = run_transition(
        RepairOrder,
        quote.order_id,
        transition="consent" if consent else "decline",
        actor=actor,
        channel=channel,
        comment=note,
        check_permission=False,
    )
    _parts_follow(order, actor)  # issue 19: issued on consent, released on a refusal
    _resume_limit(order, actor)
    recipients = [order.technician] if order.technician_id else []
    notify(
        recipients=recipients + _clerks(order),
        subject=deferred(
            gettext_noop("客户同意维修：%(no)s")
            if consent
            else gettext_noop("客户不同意维修，退回：%(no)s"),
            no=order.number,
        ),
        url=order.get_absolute_url(),
        category="quote",
        source=order,
    )
    return quote


def _resume_limit(order: RepairOrder, actor) -> None:
    limit = open_deadlines_of(order, kind=LIMIT_KIND).filter(status=DeadlineStatus.PAUSED).first()
    if limit:
        deadline_resume(deadline=limit, actor=actor)


def _return_unanswered(quote: Quote, actor=None) -> None:
    """No answer within the limit, the customer having been contacted: back unrepaired."""
    run_transition(
        Quote,
        quote.pk,
        transition="expire",
        channel=ActionChannel.SYSTEM,
        actor=actor,
        comment=deferred(gettext_noop("超时未答复，已联系客户")),
    )
    close_open_deadlines_of(quote, actor=actor)
    order = run_transition(
        RepairOrder,
        quote.order_id,
        transition="no_answer",
        channel=ActionChannel.SYSTEM,
        actor=actor,
        comment=deferred(gettext_noop("报价超时未答复，不修退回")),
    )
    _parts_follow(order, actor)  # issue 19: the reservations are released
    _resume_limit(order, actor)
    notify(
        recipients=_shipper_recipients(order) + _clerks(order),
        subject=deferred(
            gettext_noop("报价逾期未答复，机器将不作维修退回：%(no)s"), no=order.number
        ),
        url=order.get_absolute_url(),
        category="quote",
        source=order,
    )


@transaction.atomic
def order_record_contact(
    *, order_id: int, actor, summary: str, channel: str = "phone", at: datetime | None = None
) -> CustomerContact:
    """Record a contact with the customer. If the quote's answer time has already run out, the
    unit now goes back unrepaired (the rule needs the contact first)."""
    if not may_record_contact(actor):
        raise PermissionDenied(_("只有后勤专员、维修主管或客服部长可以记录客户沟通"))
    if not summary.strip():
        raise ValidationError({"summary": _("请填写沟通内容")})
    at = at or timezone.now()
    order = RepairOrder.objects.select_for_update().get(pk=order_id)
    contact = CustomerContact.objects.create(
        order=order, contacted_at=at, channel=channel, summary=summary, recorded_by=actor
    )
    RepairOrder.objects.filter(pk=order.pk).update(customer_contacted_at=at)
    quote = order.quotes.filter(state=QuoteState.SENT).first()
    if quote is not None and order.state == OrderState.WAITING_CONSENT:
        consent_timer = open_deadlines_of(quote, kind=QUOTE_CONSENT_KIND).first()
        if consent_timer is not None and consent_timer.status == DeadlineStatus.BREACHED:
            _return_unanswered(quote, actor)
    return contact


class QuoteConsentHandler:
    """What the sweep does when a quote's 2 working days run out: with a customer contact
    recorded since the quote was sent, the unit goes back unrepaired; without one, nothing
    happens silently — the clerk is told to contact the customer first."""

    def on_fired(self, actions):
        breached = [a for a in actions if a.breached_now]
        if not breached:
            return
        quotes = Quote.objects.filter(
            pk__in=[a.owner_id for a in breached], state=QuoteState.SENT
        ).select_related("order")
        by_id = {q.pk: q for q in quotes}
        for action in breached:
            quote = by_id.get(action.owner_id)
            if quote is None:
                continue
            order = quote.order
            if order.customer_contacted_at and order.customer_contacted_at >= quote.sent_at:
                _return_unanswered(quote)
            else:
                action.extra_recipient_ids += [c.pk for c in _clerks(order)]
                notify(
                    recipients=_clerks(order),
                    subject=deferred(
                        gettext_noop("报价确认已超时，请先联系客户再退回：%(no)s"), no=order.number
                    ),
                    url=order.get_absolute_url(),
                    category="quote",
                    source=quote,
                    action=True,
                    urgent=True,
                )


# Registered for QUOTE_CONSENT_KIND from repairs/plugin.py (AppConfig.ready).
QUOTE_CONSENT_HANDLER = QuoteConsentHandler()


class RepairLimitHandler:
    """A repair limit that breaches is told to the shipper (the seed: 超期须告知客户), with the
    promise that a new waiting limit follows from the review meeting."""

    def on_fired(self, actions):
        breached = [a.owner_id for a in actions if a.breached_now]
        if not breached:
            return
        from .returns import shipper_side

        orders = RepairOrder.objects.filter(pk__in=breached).select_related(
            "lot__application__applicant", "lot__application__dealer"
        )
        staff_of: dict = {}
        for order in orders:
            notify(
                recipients=shipper_side(order.lot.application, staff_of),
                subject=deferred(
                    gettext_noop("维修超期：%(no)s（%(m)s %(s)s）"),
                    no=order.number,
                    m=order.product_model,
                    s=order.serial_number,
                ),
                body=deferred(
                    gettext_noop(
                        "这台机器未能在承诺的维修时限内修好。我们正在处理，新的等待时限确定后会另行通知。"
                    )
                ),
                url=order.get_absolute_url(),
                category="repair",
                source=order,
            )


REPAIR_LIMIT_HANDLER = RepairLimitHandler()


# --- packing and shipping back ----------------------------------------------------------------
MAX_PARCELS = 99


@transaction.atomic
def order_pack(
    *, order_id: int, actor, packing_list: str, parcels: int = 1, channel=ActionChannel.WEB
) -> RepairOrder:
    """包装: what went into the box (one item per line) and how many parcels carry it; the
    labels are printed from the order page (repairs:order_packing_label)."""
    items = [line.strip() for line in (packing_list or "").splitlines() if line.strip()]
    errors = {}
    if not items:
        errors["packing_list"] = _("请填写装箱清单（每行一项，如：主机 ×1）")
    if not 1 <= (parcels or 0) <= MAX_PARCELS:
        errors["parcels"] = _("件数应在 1 到 %(n)s 之间") % {"n": MAX_PARCELS}
    if errors:
        raise ValidationError(errors)
    return _step(
        order_id,
        "pack",
        actor,
        channel,
        comment=deferred(pgettext_lazy("parcels", "%(n)s 件"), n=parcels),
        packer=actor,
        packing_list="\n".join(items),
        parcels=parcels,
    )


@transaction.atomic
def order_ship(
    *,
    order_id: int,
    actor,
    carrier: str,
    tracking_number: str,
    shipped_on: date | None = None,
    channel=ActionChannel.WEB,
) -> RepairOrder:
    errors = {}
    if not carrier.strip():
        errors["carrier"] = _("请填写承运商")
    if not tracking_number.strip():
        errors["tracking_number"] = _("请填写运单号")
    if errors:
        raise ValidationError(errors)
    order = _step(
        order_id,
        "ship",
        actor,
        channel,
        comment=f"{carrier} {tracking_number}",
        carrier=carrier.strip(),
        tracking_number=tracking_number.strip(),
        shipped_on=shipped_on or timezone.localdate(),
    )
    close_open_deadlines_of(order, kind=LIMIT_KIND, actor=actor)
    close_open_deadlines_of(order, kind=WAITING_KIND, actor=actor)
    application = order.lot.application
    notify(
        recipients=_shipper_recipients(order),
        subject=deferred(
            gettext_noop("维修机已发回：%(no)s %(m)s，%(c)s %(t)s"),
            no=order.number,
            m=order.product_model,
            c=carrier,
            t=tracking_number,
        ),
        url=order.get_absolute_url(),
        category="logistics",
        source=order,
    )
    # Through the call centre's declared hook: repairs knows nothing of its internals.
    plugins.call_hook(
        "request_callback",
        subject=order,
        purpose="repair_shipped",
        contact_name=application.contact_name,
        contact_phone=application.contact_phone,
    )
    return order


@transaction.atomic
def order_close(*, order_id: int, actor, channel=ActionChannel.WEB) -> RepairOrder:
    return _step(order_id, "close", actor, channel)


# --- loaners --------------------------------------------------------------------------------
@transaction.atomic
def loan_lend(
    *, order_id: int, loaner_id: int, actor, carrier: str = "", tracking_number: str = ""
) -> Loan:
    """Lend a loaner unit (备用机): the responsible person signs, it ships, the customer is told
    to collect it; its return is a timer."""
    if not may_handle_loaners(actor):
        raise PermissionDenied(_("只有维修主管或后勤专员可以借出备用机"))
    loaner = LoanerUnit.objects.select_for_update().get(pk=loaner_id)
    if not loaner.is_available:
        raise ValidationError({"loaner": _("该备用机已借出")})
    order = RepairOrder.objects.get(pk=order_id)
    loan = Loan(
        loaner=loaner,
        order=order,
        responsible=actor,
        carrier=carrier,
        tracking_number=tracking_number,
        due_back=timezone.localdate(),
    )
    loan.save()
    deadline = deadline_start(
        policy=LOANER_POLICY,
        owner=loan,
        org_unit=order.branch,
        assignee=actor,
        label=deferred(
            gettext_noop("备用机归还 %(s)s（%(no)s）"), s=loaner.serial_number, no=order.number
        ),
    )
    Loan.objects.filter(pk=loan.pk).update(due_back=clock.local_date(deadline.due_at))
    loan.refresh_from_db()
    LoanerUnit.objects.filter(pk=loaner.pk).update(is_available=False)
    notify(
        recipients=_shipper_recipients(order),
        subject=deferred(
            gettext_noop("备用机已发出，请提货：%(m)s %(s)s（%(c)s %(t)s）"),
            m=loaner.product_model,
            s=loaner.serial_number,
            c=carrier,
            t=tracking_number,
        ),
        body=deferred(gettext_noop("请于 %(d)s 前归还。"), d=loan.due_back),
        url=order.get_absolute_url(),
        category="loaner",
        source=order,
    )
    return loan


@transaction.atomic
def loan_return(*, loan_id: int, actor, channel=ActionChannel.WEB) -> Loan:
    if not may_handle_loaners(actor):
        raise PermissionDenied(_("只有维修主管或后勤专员可以登记备用机归还"))
    loan = run_transition(
        Loan, loan_id, transition="give_back", actor=actor, channel=channel, check_permission=False
    )
    close_open_deadlines_of(loan, actor=actor)
    LoanerUnit.objects.filter(pk=loan.loaner_id).update(is_available=True)
    return loan


# --- the Wednesday / Saturday review --------------------------------------------------------
WAITING_KIND = "repair.waiting_limit"
WAITING_POLICY = "repair-waiting-limit"
MAX_WAIT_DAYS = 90  # a promise further out than a quarter is not a waiting limit


def waiting_deadline(order: RepairOrder) -> Deadline | None:
    """The open waiting limit (给出等待时限) a review gave the unit, if any."""
    return open_deadlines_of(order, kind=WAITING_KIND).first()


def review_candidates(now: datetime) -> dict[int, Deadline]:
    """{order id: its repair-limit timer} of the units the review discusses: the limit breached
    and the unit not shipped — also while the clock is paused for a quote — unless a waiting limit
    given at a review still runs (a breached one brings the unit back). Undecided units carry over
    by the same rule."""
    order_type = ContentType.objects.get_for_model(RepairOrder)
    limits = Deadline.objects.filter(
        owner_type=order_type,
        kind=LIMIT_KIND,
        status__in=OPEN_STATUSES,
        breached_at__isnull=False,
    )
    promised = set(
        Deadline.objects.filter(
            owner_type=order_type,
            kind=WAITING_KIND,
            status__in=OPEN_STATUSES,
            breached_at__isnull=True,
        ).values_list("owner_id", flat=True)
    )
    return {d.owner_id: d for d in limits if d.owner_id not in promised}


@transaction.atomic
def review_build(*, held_on: date | None = None, now: datetime | None = None) -> ReviewMeeting:
    """The list of units not shipped within their limit (idempotent per day). The overdue days
    count from the original limit: a waiting limit never rewrites the breach."""
    now = now or timezone.now()
    held_on = held_on or clock.local_date(now)
    meeting, _created = ReviewMeeting.objects.get_or_create(held_on=held_on)
    existing = set(meeting.items.values_list("order_id", flat=True))
    ReviewItem.objects.bulk_create(
        [
            ReviewItem(
                meeting=meeting,
                order_id=order_id,
                overdue_days=clock.working_days_between(limit.due_at, now),
            )
            for order_id, limit in review_candidates(now).items()
            if order_id not in existing
        ]
    )
    return meeting


def _promise_wait(item: ReviewItem, *, until: date | None, reason: str, note: str, actor):
    """给出等待时限: a new promised date with its own timer, told to the customer; the repair
    limit and its breach stay as they were, for the statistics."""
    errors = {}
    if reason not in WaitReason.values:
        errors["wait_reason"] = _("请选择等待原因（技术问题或缺配件）")
    today = timezone.localdate()
    if until is None:
        errors["new_wait_until"] = _("请给出新的等待时限")
    elif until <= today:
        errors["new_wait_until"] = _("等待时限须晚于今天")
    elif until > today + timedelta(days=MAX_WAIT_DAYS):
        errors["new_wait_until"] = _("等待时限不能超过 %(n)s 天") % {"n": MAX_WAIT_DAYS}
    elif not clock.is_working_day(until):
        errors["new_wait_until"] = _("等待时限应为工作日")
    if errors:
        raise ValidationError(errors)
    order = item.order
    close_open_deadlines_of(order, kind=WAITING_KIND, actor=actor)  # a new promise replaces it
    deadline_start(
        policy=WAITING_POLICY,
        owner=order,
        org_unit=order.branch,
        assignee=order.technician,
        label=deferred(
            gettext_noop("%(no)s 等待时限（%(r)s）"), no=order.number, r=WaitReason(reason).label
        ),
        actor=actor,
        limit=Decimal(clock.working_days_in(today + timedelta(days=1), until)),
    )
    from .returns import shipper_side

    notify(
        recipients=shipper_side(order.lot.application),
        subject=deferred(
            gettext_noop("新的等待时限：%(no)s 预计 %(d)s 前修好"),
            no=order.number,
            d=until.isoformat(),
        ),
        body=note,
        url=order.get_absolute_url(),
        category="repair",
        source=order,
    )


def _send_back_unrepaired(item: ReviewItem, *, note: str, actor) -> None:
    order = item.order
    if order.state not in (OrderState.DIAGNOSING, OrderState.REPAIRING, OrderState.WAITING_PARTS):
        raise ValidationError(
            {
                "decision": _("%(no)s 当前状态为「%(s)s」，不能直接不修退回")
                % {"no": order.number, "s": order.get_state_display()}
            }
        )
    given_up = run_transition(
        RepairOrder,
        order.pk,
        transition="give_up",
        actor=actor,
        channel=ActionChannel.WEB,
        comment=note or deferred(gettext_noop("超期评审决定不修退回")),
        check_permission=False,
    )
    _parts_follow(given_up, actor)  # issue 19: the reservations are released
    notify(
        recipients=_shipper_recipients(order),
        subject=deferred(gettext_noop("%(no)s 经评审暂无解决方案，将不修退回"), no=order.number),
        body=note,
        url=order.get_absolute_url(),
        category="repair",
        source=order,
    )


@transaction.atomic
def review_decide(
    *,
    item_id: int,
    actor,
    decision: str,
    note: str = "",
    new_wait_until: date | None = None,
    wait_reason: str = "",
    loaner_id: int | None = None,
    customer_contacted: bool = False,
) -> ReviewItem:
    """One unit's decision at the review. Each starts its flow in the same transaction: a waiting
    limit (its own timer), a loaner lent, an escalation to the head of CS, or the unit sent back
    unrepaired. A decision is recorded once; a unit still overdue at the next meeting is decided
    there again."""
    if not (
        has_role(actor, Role.REPAIR_SUPERVISOR)
        or has_role(actor, Role.HEAD_OF_CS)
        or has_role(actor, Role.LOGISTICS_CLERK)
    ):
        raise PermissionDenied(_("只有维修主管、后勤专员或客服部长可以记录评审决定"))
    if decision not in ReviewDecision.values:
        raise ValidationError({"decision": _("请选择决定")})
    item = ReviewItem.objects.select_for_update().select_related("order__lot").get(pk=item_id)
    if item.decision:
        raise ValidationError(
            {
                "decision": _("已记录决定「%(d)s」；仍超期的机器在下次评审会再决定")
                % {"d": item.get_decision_display()}
            }
        )
    if item.order.state in (OrderState.SHIPPED, OrderState.CLOSED):
        raise ValidationError({"decision": _("该机器已发货，无需再决定")})
    if decision == ReviewDecision.MORE_TIME:
        _promise_wait(item, until=new_wait_until, reason=wait_reason, note=note, actor=actor)
    elif decision == ReviewDecision.LOANER:
        if not loaner_id:
            raise ValidationError({"loaner": _("请选择借出的备用机")})
        item.loan = loan_lend(order_id=item.order_id, loaner_id=loaner_id, actor=actor)
    elif decision == ReviewDecision.ESCALATE:
        notify(
            recipients=role_holders(Role.HEAD_OF_CS, item.order.branch),
            subject=deferred(gettext_noop("超期维修上报：%(no)s"), no=item.order.number),
            body=note,
            url=item.order.get_absolute_url(),
            category="review",
            source=item.order,
            urgent=True,
        )
    elif decision == ReviewDecision.RETURN:
        _send_back_unrepaired(item, note=note, actor=actor)
    item.decision = decision
    item.note = note[:255]
    item.new_wait_until = new_wait_until if decision == ReviewDecision.MORE_TIME else None
    item.wait_reason = wait_reason if decision == ReviewDecision.MORE_TIME else ""
    item.customer_contacted = customer_contacted
    item.decided_by = actor
    item.decided_at = timezone.now()
    item.save()
    if customer_contacted:
        CustomerContact.objects.create(
            order=item.order, summary=note or _("评审结果已告知客户"), recorded_by=actor
        )
        RepairOrder.objects.filter(pk=item.order_id).update(customer_contacted_at=timezone.now())
    return item


# --- month-end statement --------------------------------------------------------------------
@transaction.atomic
def statement_build(*, branch, month: date, actor) -> MonthlyStatement:
    """Sum the repair and parts fees of the branch's units shipped in the month (consented
    quotes). A confirmed statement is locked and cannot be rebuilt."""
    if not may_build_statements(actor):
        raise PermissionDenied(_("只有后勤专员或客服部长可以生成对账单"))
    month = month.replace(day=1)
    statement, _created = MonthlyStatement.objects.select_for_update().get_or_create(
        branch=branch, month=month
    )
    if statement.state != StatementState.DRAFT:
        raise ValidationError(_("该对账单已由分公司经理确认，不能修改"))
    start, end = month_bounds(month)
    quotes = (
        Quote.objects.filter(
            state=QuoteState.CONSENTED,
            order__branch=branch,
            order__shipped_at__gte=start,
            order__shipped_at__lt=end,
        )
        .select_related("order")
        .prefetch_related("lines")
    )
    statement.lines.all().delete()
    lines = []
    for quote in quotes:
        # materials are goods like parts, not labour (¥420.50 of materials was booked as labour)
        parts = sum((ln.amount for ln in quote.lines.all() if ln.kind in GOODS_KINDS), Decimal(0))
        repair = sum(
            (ln.amount for ln in quote.lines.all() if ln.kind not in GOODS_KINDS), Decimal(0)
        )
        lines.append(
            StatementLine(
                statement=statement, order=quote.order, repair_fee=repair, parts_fee=parts
            )
        )
    StatementLine.objects.bulk_create(lines)
    _statement_part_lines(statement, start, end)  # issue 19
    statement.repair_fees = sum((ln.repair_fee for ln in lines), Decimal(0))
    statement.parts_fees = sum((ln.parts_fee for ln in lines), Decimal(0))
    statement.total = statement.repair_fees + statement.parts_fees
    statement.generated_at = timezone.now()
    statement.save()
    if statement.is_final():
        _ask_for_signature(statement, len(lines))
    return statement


def _statement_part_lines(statement: MonthlyStatement, start, end) -> None:
    """Issue 19: each issued part line of the branch's units shipped in the month, at its price:
    a warranty line free (its cost is the warranty claim's parts cost), a paid one charged. The
    charge itself is in the consented quote's parts line (added from the part lines), so the
    statement's totals stay the quotes'."""
    from ..choices import PartLineState
    from ..models import RepairPartLine, StatementPartLine

    statement.part_lines.all().delete()
    issued = (
        RepairPartLine.objects.filter(
            state=PartLineState.ISSUED,
            order__branch=statement.branch,
            order__shipped_at__gte=start,
            order__shipped_at__lt=end,
        )
        .select_related("part")
        .order_by("order_id", "id")
    )
    rows = [
        StatementPartLine(
            statement=statement,
            order_id=ln.order_id,
            line=ln,
            part_number=ln.part.number,
            part_name=ln.part.name_zh,
            quantity=ln.quantity,
            unit_price=ln.unit_price,
            in_warranty=ln.in_warranty,
            charged=ln.charged,
            cost=ln.cost,
        )
        for ln in issued
    ]
    StatementPartLine.objects.bulk_create(rows)
    statement.warranty_parts_cost = sum((r.cost for r in rows if r.in_warranty), Decimal(0))


def _month_label(statement: MonthlyStatement) -> str:
    return f"{statement.month:%Y-%m}"


def _ask_for_signature(statement: MonthlyStatement, units: int) -> None:
    """A statement built after its month ended waits for the branch manager's signature: tell
    them (待办, done once they confirm). A rebuild replaces the request with the new total."""
    tasks_done(statement, category="statement")
    notify(
        recipients=role_holders(Role.BRANCH_MANAGER, statement.branch),
        subject=deferred(
            gettext_noop("%(m)s 月结对账单待您签字确认：%(b)s ¥%(t)s"),
            m=_month_label(statement),
            b=statement.branch.name,
            t=statement.total,
        ),
        body=deferred(
            gettext_noop("共 %(n)d 台收费维修。请核对后签字确认，确认后提交销售调度部划账。"),
            n=units,
        ),
        url=statement.get_absolute_url(),
        category="statement",
        source=statement,
        action=True,
    )


@transaction.atomic
def statement_confirm(*, statement_id: int, actor, channel=ActionChannel.WEB) -> MonthlyStatement:
    """The branch manager's confirmation locks the statement. Only a statement built after its
    month ended can be confirmed: one confirmed mid-month would leave every unit shipped later
    that month billed nowhere."""
    statement = MonthlyStatement.objects.get(pk=statement_id)
    if statement.waits_for_month_end():
        raise ValidationError(
            _("%(m)s 尚未结束：月结对账单在月末之后确认，之后发货的机器也要入账")
            % {"m": f"{statement.month:%Y-%m}"}
        )
    if not statement.is_final():
        raise ValidationError(_("对账单生成于月末之前，请重新生成后再确认"))
    statement = run_transition(
        MonthlyStatement,
        statement_id,
        transition="confirm",
        actor=actor,
        channel=channel,
        kwargs={"actor": actor},
    )
    # issue 22: the confirmed statement becomes the branch's receivable, in this transaction
    from .collections import receivable_for_statement

    receivable_for_statement(statement=statement, actor=actor)
    notify(
        recipients=role_holders(Role.LOGISTICS_CLERK, statement.branch),
        subject=deferred(
            gettext_noop("%(m)s 月结对账单已由分公司经理确认，待提交销售调度部：%(b)s ¥%(t)s"),
            m=_month_label(statement),
            b=statement.branch.name,
            t=statement.total,
        ),
        url=statement.get_absolute_url(),
        category="statement",
        source=statement,
        action=True,
    )
    return statement


@transaction.atomic
def statement_hand_over(*, statement_id: int, actor, channel=ActionChannel.WEB) -> MonthlyStatement:
    """Customer service submits the confirmed statement to sales dispatch
    (将确认结果提交销售调度部): the dispatchers responsible for the branch are asked to settle it
    with finance."""
    if not may_build_statements(actor):
        raise PermissionDenied(_("只有后勤专员或客服部长可以提交销售调度部"))
    statement = MonthlyStatement.objects.select_related("branch").get(pk=statement_id)
    dispatchers = role_holders(Role.SALES_DISPATCHER, statement.branch)
    if not dispatchers and statement.state == StatementState.CONFIRMED:
        raise ValidationError(
            _("没有负责 %(b)s 的销售调度员：请先在组织架构中指定，再提交销售调度部")
            % {"b": statement.branch.name}
        )
    statement = run_transition(
        MonthlyStatement,
        statement_id,
        transition="hand_over",
        actor=actor,
        channel=channel,
        kwargs={"actor": actor},
    )
    notify(
        recipients=dispatchers,
        subject=deferred(
            gettext_noop("%(m)s 月结对账单待划账：%(b)s ¥%(t)s"),
            m=_month_label(statement),
            b=statement.branch.name,
            t=statement.total,
        ),
        body=deferred(
            gettext_noop(
                "分公司经理已签字确认。请与财务协商划账，划账后登记划账日期、金额和凭证号。"
            )
        ),
        url=statement.get_absolute_url(),
        category="statement",
        source=statement,
        action=True,
    )
    return statement


def settlement_input_errors(
    *, settled_on: date | None, amount: Decimal | None, reference: str
) -> dict[str, str]:
    """{field: message} of a transfer record that cannot be right whatever the statement: no
    date or a future one, no amount or a negative one, no voucher number (the form shows them
    all at once; the service refuses them)."""
    errors: dict[str, str] = {}
    if settled_on is None:
        errors["settled_on"] = _("请填写划账日期")
    elif settled_on > timezone.localdate():
        errors["settled_on"] = _("划账日期不能晚于今天")
    if amount is None:
        errors["amount"] = _("请填写划账金额")
    elif amount < 0:
        errors["amount"] = _("划账金额不能为负数")
    elif amount != amount.quantize(Decimal("0.01")):
        errors["amount"] = _("划账金额最多两位小数")
    if not (reference or "").strip():
        errors["reference"] = _("请填写划账凭证号")
    return errors


@transaction.atomic
def statement_settle(
    *,
    statement_id: int,
    actor,
    settled_on: date | None,
    amount: Decimal | None,
    reference: str,
    note: str = "",
    channel=ActionChannel.WEB,
) -> MonthlyStatement:
    """The dispatcher records the transfer agreed with finance (调度员与财务协商划账): date,
    amount, voucher number, note. The amount is the statement's total; a different amount is
    accepted only with the reason in the note. Once settled, a second record is refused."""
    statement = MonthlyStatement.objects.select_related("branch").get(pk=statement_id)
    if not acts_as(actor, Role.SALES_DISPATCHER, statement.branch):
        raise PermissionDenied(_("只有负责该分公司的销售调度员可以登记划账"))
    reference = (reference or "").strip()
    note = (note or "").strip()
    errors = settlement_input_errors(settled_on=settled_on, amount=amount, reference=reference)
    if errors:
        raise ValidationError(errors)

    def recheck(locked: MonthlyStatement) -> None:
        # under the row lock; a statement no longer waiting is refused by the transition (409)
        if locked.state != StatementState.HANDED_OVER:
            return
        late: dict[str, str] = {}
        confirmed_on = clock.local_date(locked.confirmed_at) if locked.confirmed_at else None
        if confirmed_on and settled_on < confirmed_on:
            late["settled_on"] = _("划账日期不能早于分公司经理确认日期（%(d)s）") % {
                "d": confirmed_on.isoformat()
            }
        if amount != locked.total and not note:
            late["note"] = _("划账金额与对账单合计 ¥%(t)s 不符：请在说明中写明差额原因") % {
                "t": locked.total
            }
        if late:
            raise ValidationError(late)

    statement = run_transition(
        MonthlyStatement,
        statement_id,
        transition="settle",
        actor=actor,
        channel=channel,
        comment=f"{reference} ¥{amount}",
        before=recheck,
        kwargs={
            "actor": actor,
            "settled_on": settled_on,
            "amount": amount,
            "reference": reference,
            "note": note,
        },
    )
    # issue 22: the dispatcher's 划账 is proposed against the statement's receivable
    from .collections import transfer_from_statement

    transfer_from_statement(statement=statement, actor=actor)
    difference = statement.settlement_difference
    body = deferred(
        gettext_noop("划账日期 %(d)s，金额 ¥%(a)s，凭证号 %(r)s。"),
        d=settled_on.isoformat(),
        a=amount,
        r=reference,
    )
    if difference:
        body = join(
            body, deferred(gettext_noop("与对账单合计相差 ¥%(x)s：%(n)s"), x=difference, n=note)
        )
    notify(
        recipients=_unique(
            role_holders(Role.BRANCH_MANAGER, statement.branch)
            + role_holders(Role.FINANCE, statement.branch)
        ),
        subject=deferred(
            gettext_noop("%(m)s 月结对账单已划账：%(b)s ¥%(a)s"),
            m=_month_label(statement),
            b=statement.branch.name,
            a=amount,
        ),
        body=body,
        url=statement.get_absolute_url(),
        category="statement",
        source=statement,
    )
    return statement


def _unique(people: list) -> list:
    seen: set[int] = set()
    return [p for p in people if not (p.pk in seen or seen.add(p.pk))]


def register_receipt_hook() -> None:
    from . import returns

    if open_repair_orders not in returns.on_received:
        returns.on_received.append(open_repair_orders)


register_receipt_hook()


# --- delay notices (原材料问题或其它不可抗因素) --------------------------------------------------
@transaction.atomic
def delay_notice_post(
    *, actor, order_ids, reason: str, message: str, expected_until: date | None = None
) -> DelayNotice:
    """Tell every shipper of the given open units that they will be late, and why: one
    notification per person listing their units, and a contact recorded on each order."""
    if not may_post_delay_notice(actor):
        raise PermissionDenied(_("只有后勤专员或维修主管可以发布延误通知"))
    errors = {}
    if reason not in DelayReason.values:
        errors["reason"] = _("请选择原因")
    if not message.strip():
        errors["message"] = _("请填写通知内容")
    if expected_until is not None and expected_until < timezone.localdate():
        errors["expected_until"] = _("预计恢复日期不能早于今天")
    orders = list(
        RepairOrder.objects.filter(pk__in=list(order_ids))
        .exclude(state__in=CLOSED_STATES)
        .select_related("lot__application__applicant", "lot__application__dealer", "branch")
        .order_by("number")
    )
    if not orders and "message" not in errors:
        errors["orders"] = _("没有符合条件的在修机器")
    if errors:
        raise ValidationError(errors)
    notice = DelayNotice.objects.create(
        number=next_document_number("DN"),
        reason=reason,
        message=message.strip(),
        expected_until=expected_until,
        posted_by=actor,
    )
    notice.orders.set(orders)
    label = DelayReason(reason).label
    CustomerContact.objects.bulk_create(
        [
            CustomerContact(
                order=order,
                channel="notice",
                summary=(
                    _("延误通知 %(no)s（%(why)s）：%(msg)s")
                    % {"no": notice.number, "why": label, "msg": notice.message}
                )[:255],
                recorded_by=actor,
            )
            for order in orders
        ]
    )
    from .returns import shipper_side

    units_of: dict = {}
    staff_of: dict = {}
    for order in orders:
        for person in shipper_side(order.lot.application, staff_of):
            units_of.setdefault(person, []).append(order)
    until = (
        deferred(gettext_noop("预计 %(d)s 恢复。"), d=expected_until.isoformat())
        if expected_until
        else ""
    )
    for person, theirs in units_of.items():
        listed = "\n".join(
            f"- {o.number} {o.product_model} {o.serial_number}".rstrip() for o in theirs
        )
        notify(
            recipients=[person],
            subject=deferred(
                gettext_noop("延误通知：%(n)d 台机器维修延后（%(why)s）"), n=len(theirs), why=label
            ),
            body=join(notice.message, until, listed, sep="\n"),
            url=theirs[0].get_absolute_url(),
            category="repair",
            source=notice,
        )
    return notice
