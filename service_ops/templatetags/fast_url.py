"""`{% url %}` through service_ops.reversing: a builtin (settings.TEMPLATES) that replaces
Django's tag for every template, the admin's included.

A queue of 50 cards wrote ~140 URLs a page, each a full reverse() (~40 µs); an URL with no
argument or one integer id is now joined from parts reversed once (the same string, as
tests/core/test_fast_paths.py checks for every such URL). Anything else — keyword arguments,
several arguments, a non-integer, a request with an explicit `current_app` — goes to Django's
tag unchanged."""

from __future__ import annotations

from django import template
from django.template.defaulttags import URLNode
from django.template.defaulttags import url as django_url
from django.urls import NoReverseMatch
from django.utils.html import conditional_escape

from service_ops.reversing import reverse_id, reverse_plain

register = template.Library()


class FastURLNode(URLNode):
    def render(self, context):
        if self.kwargs or len(self.args) > 1 or hasattr(context.get("request"), "current_app"):
            return super().render(context)
        args = [arg.resolve(context) for arg in self.args]
        if args and (type(args[0]) is not int or args[0] < 0):
            return super().render(context)
        view_name = self.view_name.resolve(context)
        url = ""
        try:
            url = reverse_id(view_name, args[0]) if args else reverse_plain(view_name)
        except NoReverseMatch:
            if self.asvar is None:
                raise
        if self.asvar:
            context[self.asvar] = url
            return ""
        return conditional_escape(url) if context.autoescape else url


@register.tag
def url(parser, token):
    node = django_url(parser, token)
    return FastURLNode(node.view_name, node.args, node.kwargs, node.asvar)
