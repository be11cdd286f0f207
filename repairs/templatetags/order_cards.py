"""The parts of a repair order's card that its other pages show too (the order list, the order
page, its lot and the review), from the same writers as the cards (repairs/markup/orders.py).

    {% load order_cards %}
    {% order_limit_badges order %}     the repair limit's time left, and why it is paused
    {% order_meta order show_technician=True %}   unit, lot, branch and dealer (and technician)
"""

from __future__ import annotations

from django import template
from django.utils.safestring import mark_safe

from ..markup import orders as markup

register = template.Library()


@register.simple_tag
def order_limit_badges(order):
    return mark_safe(markup.limit_badges(order))  # noqa: S308 — escaped by the writer


@register.simple_tag
def order_meta(order, show_technician=False):
    return mark_safe(markup.order_meta(order, show_technician))  # noqa: S308 — escaped there
