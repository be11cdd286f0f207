"""What partners hear of by webhook from repairs (declared in repairs/plugin.py, sent by
service_ops.webhooks): the state changes of their return applications, repair orders and quotes.

Each source names the partners concerned (the dealer that shipped: the application's dealer, the
order's dealer) from columns the object already holds, and a small summary of the object, in the
vocabulary of the partner API (states as codes, the zh-hans label beside them, the API path to
read the whole object). Month-end statements are not a source: they belong to a branch, which is
not a partner (its people follow them on the statement pages)."""

from __future__ import annotations

from django.conf import settings
from django.utils import translation

from .choices import ApplicationState, OrderState, QuoteState


def _label(choices, value) -> str:
    with translation.override(settings.LANGUAGE_CODE):
        try:
            return str(choices(value).label)
        except ValueError:
            return str(value)


def _iso(value):
    return value.isoformat() if value is not None else None


# --- return applications ------------------------------------------------------------------------


def partners_of_application(application) -> list[int]:
    return [application.dealer_id] if application.dealer_id else []


def application_payload(application) -> dict:
    return {
        "number": application.number,
        "state": application.state,
        "state_display": _label(ApplicationState, application.state),
        "round": application.round,
        "platform": application.platform,
        "branch": application.branch_id,
        "dealer": application.dealer_id,
        "urgency": application.urgency,
        "reject_reason": application.reject_reason,
        "submitted_at": _iso(application.submitted_at),
        "approved_at": _iso(application.approved_at),
        "picked_up_at": _iso(application.picked_up_at),
        "received_at": _iso(application.received_at),
        "api_path": f"/api/v1/return-applications/{application.pk}/",
    }


# --- repair orders ------------------------------------------------------------------------------


def partners_of_order(order) -> list[int]:
    return [order.dealer_id] if order.dealer_id else []


def order_payload(order) -> dict:
    return {
        "number": order.number,
        "state": order.state,
        "state_display": _label(OrderState, order.state),
        "product_model": order.product_model,
        "serial_number": order.serial_number,
        "urgency": order.urgency,
        "in_warranty": order.in_warranty,
        "service_type": order.service_type,
        "carrier": order.carrier,
        "tracking_number": order.tracking_number,
        "shipped_on": _iso(order.shipped_on),
        "dealer": order.dealer_id,
        "api_path": f"/api/v1/repair-orders/{order.pk}/",
    }


# --- quotes -------------------------------------------------------------------------------------


def _order_of(quote):
    # one query, kept on the instance for the payload that follows
    return quote.order


def partners_of_quote(quote) -> list[int]:
    dealer_id = _order_of(quote).dealer_id
    return [dealer_id] if dealer_id else []


def quote_payload(quote) -> dict:
    order = _order_of(quote)
    return {
        "number": order.number,
        "state": quote.state,
        "state_display": _label(QuoteState, quote.state),
        "total": str(quote.total),
        "currency": "CNY",
        "sent_at": _iso(quote.sent_at),
        "answered_at": _iso(quote.answered_at),
        "order": {"id": order.pk, "number": order.number, "state": order.state},
        "api_path": f"/api/v1/quotes/{quote.pk}/",
    }
