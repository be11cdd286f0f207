"""Text the system writes, rendered in the reader's language (issue 15 item 19).

Rule: store codes and parameters, render when read. A `Deferred` is a msgid (the zh-hans source
string, kept literally at the call site inside `gettext_noop` so makemessages extracts it) and its
parameters. It is stored as JSON beside the zh-hans rendering (which stays for search, e-mail and
SMS, and old readers) and rendered with gettext in the active language by `str()`:

    deferred(gettext_noop("待您签字：%(label)s"), label=step.name)

Parameters are plain values (str, int, float, bool, None), decimals and dates (stored as their
text: language-neutral), lazy choice labels (`SomeChoices.X.label`: stored as their msgid, so they
render translated) and nested deferred texts. A parameter that is data an admin may edit (a step
name seeded from a template) is passed as `data_text(name)`: rendered through the catalogue, and
shown as typed when the catalogue does not know it.

A msgid whose translation does not fit its parameters falls back to the zh-hans msgid, and a
stored value that is not a deferred text at all is shown as it is.
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.utils import translation
from django.utils.functional import Promise

__all__ = [
    "Deferred",
    "choice",
    "data_text",
    "deferred",
    "from_json",
    "join",
    "msgid_of",
    "of_lazy",
    "render",
    "render_list",
    "render_zh",
    "split",
]


class Deferred:
    """A msgid with parameters, rendered in the active language by str()."""

    __slots__ = ("_json", "context", "msgid", "params")

    def __init__(self, msgid: str, params: dict | None = None, context: str = ""):
        self.msgid = str(msgid)
        self.params = params or {}
        self.context = context
        self._json: str | None = None

    # --- rendering ---------------------------------------------------------------------------

    def __str__(self) -> str:
        if self.context:
            text = translation.pgettext(self.context, self.msgid)
        else:
            text = translation.gettext(self.msgid) if self.msgid else ""
        if not self.params:
            return text
        values = {k: str(v) if isinstance(v, Deferred) else v for k, v in self.params.items()}
        try:
            return text % values
        except (KeyError, TypeError, ValueError):
            try:
                return self.msgid % values
            except (KeyError, TypeError, ValueError):
                return self.msgid

    def __repr__(self) -> str:
        return f"Deferred({self.msgid!r}, {self.params!r})"

    def __eq__(self, other) -> bool:
        if isinstance(other, Deferred):
            return self.to_dict() == other.to_dict()
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self.to_json())

    # --- storing -----------------------------------------------------------------------------

    def to_dict(self) -> dict:
        out: dict[str, Any] = {"m": self.msgid}
        if self.params:
            out["p"] = {
                k: v.to_dict() if isinstance(v, Deferred) else v for k, v in self.params.items()
            }
        if self.context:
            out["c"] = self.context
        return out

    def to_json(self) -> str:
        if self._json is None:
            self._json = json.dumps(self.to_dict(), ensure_ascii=False, separators=(",", ":"))
        return self._json

    @classmethod
    def from_dict(cls, data: dict) -> Deferred:
        if "j" in data:
            return Joined([_part(x) for x in data["j"]], data.get("s", ""))
        params = {k: _part(v) for k, v in (data.get("p") or {}).items()}
        return cls(data.get("m", ""), params, data.get("c", ""))


def _part(value):
    if isinstance(value, dict) and ("m" in value or "j" in value):
        return Deferred.from_dict(value)
    return value


class Joined(Deferred):
    """Texts (plain or deferred) joined by a separator: a body made of a system sentence and
    what a person typed, or of several system lines."""

    __slots__ = ("parts", "sep")

    def __init__(self, parts: list, sep: str = ""):
        super().__init__("")
        self.parts = [p for p in parts if p is not None]
        self.sep = sep

    def __str__(self) -> str:
        return self.sep.join(str(p) for p in self.parts)

    def __repr__(self) -> str:
        return f"Joined({self.parts!r}, {self.sep!r})"

    def to_dict(self) -> dict:
        parts = [p.to_dict() if isinstance(p, Deferred) else p for p in self.parts]
        return {"j": parts, "s": self.sep} if self.sep else {"j": parts}


def join(*parts, sep: str = "") -> Joined:
    """`join(deferred(...), typed_note, sep="\n")`: each part rendered on its own, then joined."""
    return Joined([_param(p) for p in parts], sep)


def _param(value):
    """A parameter as it is stored: JSON-safe, translatable where it was."""
    if isinstance(value, str):
        return str(value)  # a SafeString too
    if value is None or isinstance(value, (bool, int, float, Deferred)):
        return value
    if isinstance(value, Promise):
        return of_lazy(value)
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dt.datetime):
        from django.utils import timezone

        local = timezone.localtime(value) if timezone.is_aware(value) else value
        return local.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def of_lazy(value: Promise):
    """gettext_lazy("…") → its msgid, deferred; pgettext_lazy keeps its context. Anything else
    lazy is rendered now, in the site's language."""
    try:
        func, args = value.__reduce__()[1][:2]
    except (AttributeError, IndexError, TypeError, ValueError):
        func, args = None, ()
    name = getattr(func, "__name__", "")
    if name == "gettext" and len(args) == 1:
        return Deferred(args[0])
    if name == "pgettext" and len(args) == 2:
        return Deferred(args[1], context=args[0])
    with translation.override(settings.LANGUAGE_CODE):
        return str(value)


def msgid_of(label) -> str:
    """The msgid of a lazy label (a choice's), or the text itself."""
    value = of_lazy(label) if isinstance(label, Promise) else label
    return value.msgid if isinstance(value, Deferred) else str(value)


def deferred(msgid: str, params: dict | None = None, /, **kwargs) -> Deferred:
    """The call sites' constructor: `deferred(gettext_noop("…%(no)s…"), no=order.number)`;
    `deferred(pgettext_lazy("context", "…"), …)` for a msgid that needs a context."""
    merged = {**(params or {}), **kwargs}
    context = ""
    if isinstance(msgid, Promise):  # pgettext_lazy("context", "…"): a msgid with a context
        base = of_lazy(msgid)
        msgid, context = (base.msgid, base.context) if isinstance(base, Deferred) else (base, "")
    return Deferred(msgid, {k: _param(v) for k, v in merged.items()}, context)


def data_text(value) -> Deferred | str:
    """Data an admin may edit but that was seeded from a marked string (a step or policy name):
    rendered through the catalogue, as typed when the catalogue does not know it."""
    if isinstance(value, Deferred) or not value:
        return value or ""
    return Deferred(str(value))


def choice(instance, field_name: str):
    """The label of a model field's choice as a parameter that renders translated (what
    get_FOO_display gives, kept lazy so `deferred` stores its msgid)."""
    value = getattr(instance, field_name)
    labels = dict(instance._meta.get_field(field_name).flatchoices)
    return labels.get(value, value)


def from_json(data) -> Deferred | None:
    """The stored JSON (a dict from a JSONField, or its text) back as a Deferred."""
    if data is None or data == "":
        return None
    if isinstance(data, str):
        try:
            data = json.loads(data)
        except ValueError:
            return None
    if isinstance(data, dict) and ("m" in data or "j" in data):
        return Deferred.from_dict(data)
    return None


def render(stored: str, data) -> str:
    """What a reader sees: the deferred text in the active language when there is one, else the
    stored text as it was written (typed by a person, or written before item 19)."""
    text = from_json(data)
    return str(text) if text is not None else (stored or "")


def render_list(items) -> list[str]:
    """A stored list of system texts (deferred dicts; plain strings from before item 19, which
    still go through the catalogue: a known sentence without parameters translates)."""
    out = []
    for item in items or ():
        text = from_json(item) if isinstance(item, dict) else None
        if text is not None:
            out.append(str(text))
        elif isinstance(item, str) and item:
            out.append(translation.gettext(item))
        else:
            out.append("" if item is None else str(item))
    return out


def render_zh(value) -> str:
    """A text (plain or deferred) in the site's language, as stored for search, e-mail and SMS."""
    if not isinstance(value, Deferred):
        return "" if value is None else str(value)
    with translation.override(settings.LANGUAGE_CODE):
        return str(value)


def split(value) -> tuple[str, dict | None]:
    """(text in the site's language, JSON dict or None) for a column pair `x` / `x_i18n`."""
    if isinstance(value, Deferred):
        return render_zh(value), value.to_dict()
    return ("" if value is None else str(value)), None


# --- choice labels -------------------------------------------------------------------------------

_choice_label_maps: dict[tuple[type, str, str | None], dict] = {}


def choice_label(obj, field_name: str) -> str:
    """`obj.get_<field>_display()`, from a map of the field's choices made once per model, field
    and language. Django's builds a hashable copy of every choice on each call, translating each
    lazy label (~0.4 ms for the roles' 20 choices): too slow for a list of a hundred rows."""
    key = (type(obj), field_name, translation.get_language())
    labels = _choice_label_maps.get(key)
    if labels is None:
        field = obj._meta.get_field(field_name)
        labels = _choice_label_maps[key] = {v: str(label) for v, label in field.flatchoices}
    value = getattr(obj, field_name)
    return labels.get(value, value)
