"""FilterSets of the repairs lists, one module per sub-domain; each FilterSet serves the HTML list
and the API list alike (as NetBox does). Here: the filters and helpers they share.

Serial numbers are matched with a subquery rather than a join, so a filtered list needs no
DISTINCT and keeps its keyset pagination on the primary key."""

from datetime import UTC

import django_filters
from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from network.choices import OrgKind
from network.models import OrgUnit
from service_ops.forms import BootstrapMixin


def _visible_units(request, kind):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return OrgUnit.objects.none()
    return OrgUnit.objects.visible_to(user).filter(kind=kind).order_by("path")


def visible_branches(request):
    return _visible_units(request, OrgKind.BRANCH)


def visible_provinces(request):
    return _visible_units(request, OrgKind.PROVINCE)


def visible_dealers(request):
    return _visible_units(request, OrgKind.DEALER)


class StateFilter(django_filters.MultipleChoiceFilter):
    """Repeatable `state=`: a plain `state IN (…)` on the row. django-filter's default DISTINCT
    for multiple choices is for joins; a state is the row's own column, so it needs none (and a
    DISTINCT would cost the keyset page its index order)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("distinct", False)
        super().__init__(*args, **kwargs)


SUBSTRING_MIN = 3  # pg_trgm indexes a substring of 3 characters or more


def search_q(value: str, *, substring: tuple[str, ...], exact: tuple[str, ...]) -> Q:
    """The search box: substrings of the `substring` fields from 3 characters on (the trigram
    indexes of migration repairs 0005 answer them); a shorter term would scan every row, so it
    matches whole values of the `exact` fields only (their UPPER() indexes answer iexact)."""
    fields, lookup = (substring, "icontains") if len(value) >= SUBSTRING_MIN else (exact, "iexact")
    q = Q()
    for field in fields:
        q |= Q(**{f"{field}__{lookup}": value})
    return q


class FilterForm(BootstrapMixin, forms.Form):
    pass


DATE_WIDGET = forms.DateInput(attrs={"type": "date"})


DATETIME_HELP = _("ISO 8601 时间或日期（日期视为当天 00:00 Asia/Shanghai）")


class MomentFormField(forms.DateTimeField):
    """An ISO 8601 time or date (a date or a time without offset is Asia/Shanghai), as UTC.

    Python takes offsets up to ±23:59 and years 1–9999 in any offset; PostgreSQL refuses an offset
    beyond ±15:59 ("time zone displacement out of range", a 500 found by the API fuzz test), and
    a moment that is outside years 1–9999 in UTC has no Python value at all. Normalised to UTC,
    every moment either queries or is a field error."""

    default_error_messages = {"out_of_range": _("时间超出可支持的范围")}

    def to_python(self, value):
        moment = super().to_python(value)
        if moment is None:
            return None
        try:
            return moment.astimezone(UTC)
        except OverflowError:
            raise forms.ValidationError(
                self.error_messages["out_of_range"], code="out_of_range"
            ) from None


class MomentFilter(django_filters.DateTimeFilter):
    field_class = MomentFormField


@extend_schema_field(OpenApiTypes.INT)
class IdFilter(django_filters.NumberFilter):
    """An integer id (NumberFilter alone is described as a decimal number in the schema)."""


class StrictNullBooleanField(forms.NullBooleanField):
    """true / false (or 1 / 0), or empty for "either"; anything else is a field error rather than
    silently ignored."""

    widget = forms.Select(choices=[("", _("全部")), ("true", _("是")), ("false", _("否"))])
    default_error_messages = {"invalid": _("请填写 true 或 false")}
    ACCEPTED = {"true": True, "1": True, "false": False, "0": False}

    def to_python(self, value):
        if value in (None, ""):
            return None
        if isinstance(value, bool):
            return value
        key = str(value).strip().lower()
        if key not in self.ACCEPTED:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        return self.ACCEPTED[key]


class StrictBooleanFilter(django_filters.BooleanFilter):
    field_class = StrictNullBooleanField
