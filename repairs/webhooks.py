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


# --- field service: service requests and offers (issue 20) ----------------------------------------


def partners_of_service_request(request) -> list[int]:
    """The dealer that filed it and the point that took it."""
    return [pk for pk in (request.dealer_id, request.assigned_unit_id) if pk]


def service_request_payload(request) -> dict:
    from .choices import ServiceRequestState

    return {
        "number": request.number,
        "state": request.state,
        "state_display": _label(ServiceRequestState, request.state),
        "category": request.category,
        "channel": request.channel,
        "serial_number": request.serial_number,
        "assigned_unit": request.assigned_unit_id,
        "dealer": request.dealer_id,
        "solved_at": _iso(request.solved_at),
        "closed_at": _iso(request.closed_at),
        "path": f"/api/v1/service-requests/{request.pk}/",
    }


def partners_of_offer(offer) -> list[int]:
    return [offer.to_unit_id] if offer.to_unit_id else []


def offer_payload(offer) -> dict:
    from .choices import DispatchState

    return {
        "request": offer.request_id,
        "state": offer.state,
        "state_display": _label(DispatchState, offer.state),
        "respond_by": _iso(offer.respond_by),
        "answered_at": _iso(offer.answered_at),
        "decline_reason": offer.decline_reason,
        "path": f"/api/v1/service-offers/{offer.pk}/",
    }
