"""`reverse()` for the URLs a page writes many times: an object's page by its integer id (a list
of 25 rows links each one twice) and the menu's entries.

Django's reverse() costs ~40 µs (the resolver's candidates, quoting, the script prefix); a list
page called it 50–100 times. `reverse_id(name, pk)` reverses the name once with a marker id and
then only joins the parts around it; the result is remembered per URL name, script prefix,
URLconf and language (a prefixed URL differs by each), and equals `reverse(name, args=[pk])` for
every integer id (tests/core/test_reversing.py). Anything else goes to reverse() itself."""

from __future__ import annotations

from django.conf import settings
from django.urls import NoReverseMatch, get_script_prefix, get_urlconf, reverse
from django.utils.translation import get_language

_MARKER = 918_273_645_546_372_819
_parts: dict[tuple, tuple[str, str] | None] = {}
_plain: dict[tuple, str] = {}


def _key(viewname: str) -> tuple:
    return (
        viewname,
        get_script_prefix(),
        get_urlconf() or settings.ROOT_URLCONF,
        get_language(),
    )


def reverse_id(viewname: str, pk, *rest) -> str:
    """reverse(viewname, args=[pk, *rest]) for an integer pk; `rest` is a few fixed words
    after it (an action's slug), remembered with the name."""
    if type(pk) is not int or pk < 0:
        return reverse(viewname, args=[pk, *rest])
    key = (*_key(viewname), *rest)
    parts = _parts.get(key, False)
    if parts is False:
        try:
            url = reverse(viewname, args=[_MARKER, *rest])
        except NoReverseMatch:  # a pattern that takes no such id: reverse() says what it says
            url = ""
        marker = str(_MARKER)
        parts = tuple(url.split(marker)) if url.count(marker) == 1 else None
        _parts[key] = parts
    if parts is None:
        return reverse(viewname, args=[pk, *rest])
    return f"{parts[0]}{pk}{parts[1]}"


def reverse_plain(viewname: str) -> str:
    """reverse(viewname) of a URL without arguments, remembered the same way."""
    key = _key(viewname)
    url = _plain.get(key)
    if url is None:
        url = _plain[key] = reverse(viewname)
    return url
