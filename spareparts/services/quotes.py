"""Dealers buying parts (代理商购配件的报价): ask, quote (priced from the list price less the
dealer's discount, valid for the policy's days), accept or decline, record the payment or the
invoice, ship (stock_sell out of the headquarters warehouse: `sale` movements). Every step
through run_transition; the other side is told on commit."""

from __future__ import annotations

from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from network.choices import Role
from network.models import OrgUnit
from network.selectors import role_holders
from service_ops.deadlines.services import close_open_deadlines_of, deadline_start
from service_ops.i18n import deferred
from service_ops.notifications.services import notify
from service_ops.numbering.services import next_document_number
from service_ops.transitions.models import ActionChannel
from service_ops.transitions.services import run_transition

from ..choices import QuoteState
from ..models import DealerDiscount, DealerQuote, DealerQuoteLine
from ..permissions import is_parts_staff, may_ask_quote
from .requests import _clean_lines, hq_warehouse
from .stock import stock_sell

NUMBER_PREFIX = "BJ"
VALIDITY_POLICY = "parts-quote-validity"
CENT = Decimal("0.01")
HUNDRED = Decimal("100")


def discount_for(dealer: OrgUnit) -> Decimal:
    """The dealer's discount (percent): its own row, else the default row, else 0."""
    rows = dict(
        DealerDiscount.objects.filter(dealer_id__in=[dealer.pk]).values_list("dealer_id", "percent")
    )
    if dealer.pk in rows:
        return rows[dealer.pk]
    default = (
        DealerDiscount.objects.filter(dealer__isnull=True)
        .order_by("pk")
        .values_list("percent", flat=True)[:1]
    )
    return next(iter(default), Decimal("0"))


def unit_price(list_price: Decimal, percent: Decimal) -> Decimal:
    """List price less the discount, to the cent (half up)."""
    return (list_price * (HUNDRED - percent) / HUNDRED).quantize(CENT, rounding=ROUND_HALF_UP)


def _price(quote: DealerQuote) -> None:
    """(Re)price every line from the catalogue now, and the total."""
    percent = discount_for(quote.dealer)
    lines = list(quote.lines.select_related("part"))
    total = Decimal("0")
    for line in lines:
        line.list_price = line.part.list_price
        line.unit_price = unit_price(line.list_price, percent)
        line.amount = line.unit_price * line.quantity
        total += line.amount
    DealerQuoteLine.objects.bulk_update(lines, ["list_price", "unit_price", "amount"])
    quote.discount_percent = percent
    quote.total = total
    DealerQuote.objects.filter(pk=quote.pk).update(discount_percent=percent, total=total)


def _dealer_people(quote: DealerQuote) -> list:
    return [quote.asked_by, *role_holders(Role.DEALER_STAFF, quote.dealer)]


def _tell(quote: DealerQuote, recipients, text: str, *, action=False) -> None:
    people = {u.pk: u for u in recipients if u is not None}
    if people:
        notify(
            recipients=list(people.values()),
            subject=deferred(text, no=quote.number, d=quote.dealer.name, t=str(quote.total)),
            url=quote.get_absolute_url(),
            category="parts",
            source=quote,
            action=action,
        )


def _parts_staff(quote: DealerQuote) -> list:
    unit = quote.warehouse.org_unit
    return [
        u for role in (Role.PARTS_CLERK, Role.PARTS_SUPERVISOR) for u in role_holders(role, unit)
    ]


@transaction.atomic
def quote_ask(
    *, dealer: OrgUnit, lines, actor, note: str = "", channel: str = ActionChannel.WEB
) -> DealerQuote:
    """询价: a dealer (or the parts staff on its behalf) asks for parts; priced at once from the
    catalogue, the parts staff confirm the quote."""
    if not may_ask_quote(actor, dealer):
        raise PermissionDenied(_("您不能为该代理商询价"))
    cleaned = _clean_lines(lines)
    warehouse = hq_warehouse()
    if warehouse is None:
        raise ValidationError(_("没有总部配件仓，无法报价"), code="no_hq")
    quote = DealerQuote.objects.create(
        number=next_document_number(NUMBER_PREFIX),
        dealer=dealer,
        warehouse=warehouse,
        note=(note or "")[:200],
        asked_by=actor,
    )
    DealerQuoteLine.objects.bulk_create(
        DealerQuoteLine(quote=quote, part=part, quantity=q) for part, q in cleaned
    )
    _price(quote)
    _tell(
        quote, _parts_staff(quote), gettext_noop("代理商询价待报价：%(no)s（%(d)s）"), action=True
    )
    return quote


@transaction.atomic
def quote_send(*, quote_id: int, actor) -> DealerQuote:
    """报价: the parts staff price the lines from the catalogue as it is now and send the quote;
    it is valid for the policy's days (deadline parts.quote: expired when not accepted)."""
    if not is_parts_staff(actor):
        raise PermissionDenied(_("只有配件仓人员可以报价"))

    def price(instance):
        _price(instance)

    quote = run_transition(
        DealerQuote,
        quote_id,
        transition="quote",
        actor=actor,
        kwargs={"actor": actor, "valid_until": None},
        before=price,
    )
    deadline = deadline_start(
        policy=VALIDITY_POLICY,
        owner=quote,
        org_unit=quote.dealer,
        assignee=quote.asked_by if not is_parts_staff(quote.asked_by) else None,
        actor=actor,
        label=deferred(gettext_noop("报价单 %(no)s 待代理商确认"), no=quote.number),
    )
    quote.valid_until = deadline.due_at or (timezone.now() + timedelta(days=7))
    DealerQuote.objects.filter(pk=quote.pk).update(valid_until=quote.valid_until)
    _tell(
        quote, _dealer_people(quote), gettext_noop("配件报价 %(no)s：¥%(t)s，请确认"), action=True
    )
    return quote


def _answer_check(actor):
    def check(instance: DealerQuote) -> None:
        expired = instance.valid_until and instance.valid_until < timezone.now()
        if instance.state == QuoteState.QUOTED and expired:
            raise ValidationError(_("报价已过有效期"), code="expired")

    return check


@transaction.atomic
def quote_accept(*, quote_id: int, actor, channel: str = ActionChannel.WEB) -> DealerQuote:
    """The dealer accepts the quote (within its validity)."""
    quote = run_transition(
        DealerQuote,
        quote_id,
        transition="accept",
        actor=actor,
        channel=channel,
        before=_answer_check(actor),
    )
    close_open_deadlines_of(quote, actor=actor)
    _tell(
        quote,
        _parts_staff(quote),
        gettext_noop("报价单 %(no)s 已被接受，待收款或开票"),
        action=True,
    )
    return quote


@transaction.atomic
def quote_decline(
    *, quote_id: int, actor, reason: str = "", channel: str = ActionChannel.WEB
) -> DealerQuote:
    quote = run_transition(
        DealerQuote,
        quote_id,
        transition="decline",
        actor=actor,
        channel=channel,
        comment=reason or "",
        kwargs={"reason": reason or ""},
    )
    close_open_deadlines_of(quote, actor=actor)
    return quote


@transaction.atomic
def quote_settle(*, quote_id: int, actor, how: str, reference: str) -> DealerQuote:
    """Record the payment (`how="paid"`) or the invoice on account (`how="invoiced"`)."""
    reference = (reference or "").strip()
    if not reference:
        raise ValidationError({"reference": [_("请填写付款凭证号或发票号")]}, code="required")
    transition = {"paid": "record_payment", "invoiced": "record_invoice"}.get(how)
    if transition is None:
        raise ValidationError({"how": [_("请选择收款或开票")]}, code="invalid")
    quote = run_transition(
        DealerQuote,
        quote_id,
        transition=transition,
        actor=actor,
        comment=reference,
        kwargs={"reference": reference},
    )
    _tell(quote, _dealer_people(quote), gettext_noop("报价单 %(no)s 已登记收款/开票，待发货"))
    return quote


@transaction.atomic
def quote_ship(*, quote_id: int, actor) -> DealerQuote:
    """发货: each line sold out of the headquarters warehouse (a `sale` movement); not enough
    available of any part refuses the whole shipment."""

    def sell(instance: DealerQuote) -> None:
        for line in instance.lines.select_related("part").order_by("part_id"):
            stock_sell(
                part=line.part,
                warehouse=instance.warehouse,
                quantity=line.quantity,
                actor=actor,
                reason=_("报价单 %(no)s 发货") % {"no": instance.number},
                source=instance,
            )

    quote = run_transition(DealerQuote, quote_id, transition="ship", actor=actor, before=sell)
    _tell(quote, _dealer_people(quote), gettext_noop("报价单 %(no)s 的配件已发货"))
    return quote


class QuoteExpiryHandler:
    """Deadline kind parts.quote: a quote not accepted by its due time expires (the sweep's
    breach; the dealer was told when it was sent)."""

    def on_fired(self, actions) -> None:
        ids = [a.owner_id for a in actions if a.breached_now]
        for pk in DealerQuote.objects.filter(pk__in=ids, state=QuoteState.QUOTED).values_list(
            "pk", flat=True
        ):
            run_transition(
                DealerQuote,
                pk,
                transition="expire",
                channel=ActionChannel.SYSTEM,
                check_permission=False,
                comment=deferred(gettext_noop("报价已过有效期")),
            )


QUOTE_EXPIRY_HANDLER = QuoteExpiryHandler()
