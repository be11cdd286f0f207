"""`{{ user|person }}`: a person's full name, else the username, else "" for nobody — a builtin
(settings.TEMPLATES) for every template.

It replaces `{{ x.get_full_name|default:x.username }}`, which raised VariableDoesNotExist (a
500) whenever `x` itself was None: Django resolves a filter's argument strictly."""

from __future__ import annotations

from django import template

register = template.Library()


@register.filter(is_safe=False)
def person(user) -> str:
    if not user:
        return ""
    get_full_name = getattr(user, "get_full_name", None)
    full = get_full_name() if get_full_name else ""
    return full or (user.get_username() if hasattr(user, "get_username") else str(user))
