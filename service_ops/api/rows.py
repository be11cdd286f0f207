"""Lists served from `.values()` rows: the serializer's JSON without a model instance per row.

A compiled serializer (service_ops.api.compiled) still needs model instances: at a page of 50
repair orders a third of the time went into building them (with their joined lot, application
and technician) and most of the rest into DRF's field machinery (a timezone lookup and
conversion per datetime). A `RowPlan` reads a read-only serializer once and answers which
columns its fields read (`columns`, for `.values()`, joined paths as `lot__number`) and, per
list, a function that turns one values() row into the serializer's dict: the same keys in the
same order, values converted as the fields' own `to_representation` would — datetimes in the
active timezone with DRF's ISO 8601 format, dates as ISO, choice labels from a map made once per
list. What a column cannot give (method fields, lists of related rows, model properties) the
caller computes from the row: `plan.builder(name=function, …)`, a missing one is an error.

The serializer stays the schema and serves the detail; tests compare the two outputs byte for
byte (tests/core/test_compiled_serializers.py). A field kind the plan does not know goes through
the field's own `to_representation`, so a new field is correct before it is fast.
"""

from __future__ import annotations

from collections.abc import Callable
from operator import itemgetter

from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.utils import timezone, translation
from rest_framework import ISO_8601, serializers
from rest_framework.fields import empty
from rest_framework.relations import PrimaryKeyRelatedField
from rest_framework.settings import api_settings

from .compiled import DisplayField

# DRF fields whose to_representation returns a non-None value of these model fields unchanged
_INTEGERS = {
    "IntegerField",
    "SmallIntegerField",
    "BigIntegerField",
    "PositiveIntegerField",
    "PositiveSmallIntegerField",
    "PositiveBigIntegerField",
    "AutoField",
    "BigAutoField",
    "SmallAutoField",
}
_SAME = {
    serializers.CharField: {"CharField", "TextField", "SlugField", "EmailField", "URLField"},
    serializers.ChoiceField: {"CharField"},
    serializers.IntegerField: _INTEGERS,
    serializers.BigIntegerField: _INTEGERS,  # unless coerced to a string (below)
    serializers.BooleanField: {"BooleanField"},
    serializers.FloatField: {"FloatField"},
    serializers.JSONField: {"JSONField"},
}


def datetime_text(tz=None) -> Callable:
    """DRF's DateTimeField.to_representation (ISO 8601, in the active timezone, "Z" for UTC)
    with the timezone looked up once."""
    tz = tz or (timezone.get_current_timezone() if timezone.settings.USE_TZ else None)

    def text(value):
        if not value:
            return None
        value = value.astimezone(tz) if tz is not None else value
        out = value.isoformat()
        return out[:-6] + "Z" if out.endswith("+00:00") else out

    return text


def _date_text(value):
    return value.isoformat() if value else None


def _model_path(model, attrs: list[str]) -> list[models.Field] | None:
    """The model fields along a source path (relations, then the last field), or None when a
    step is not a concrete field (a property, a method, a reverse relation)."""
    out = []
    for i, attr in enumerate(attrs):
        try:
            field = model._meta.get_field(attr)
        except FieldDoesNotExist:
            return None
        if not field.concrete or field.many_to_many:
            return None
        out.append(field)
        if i < len(attrs) - 1:
            if not field.is_relation:
                return None
            model = field.related_model
    return out


def _link_may_vanish(path: list[models.Field], field) -> bool:
    """A nullable link before the last step: DRF then answers None (allow_null), the default,
    or leaves the key out — values() cannot tell a null link from a null column."""
    broken = any(step.null for step in path[:-1])
    return broken and not field.allow_null and field.default is empty


class RowPlan:
    """The columns a read-only serializer reads and how each becomes its value."""

    def __init__(
        self, serializer_class, *, model=None, prefix: str = "", link: str = "", computed=()
    ):
        self.serializer_class = serializer_class
        self.model = model or serializer_class.Meta.model
        self.link = link  # the foreign key column that led here: it holds this row's id
        self.computed = set(computed)
        self.columns: list[str] = []
        self._steps: list[tuple] = []
        for field in serializer_class()._readable_fields:
            self._add(field, prefix)
        unknown = self.computed - {step[0] for step in self._steps if step[1] == "computed"}
        if unknown:
            raise ValueError(f"{serializer_class.__name__} has no fields {sorted(unknown)}")

    def _column(self, column: str) -> str:
        if column not in self.columns:
            self.columns.append(column)
        return column

    def _add(self, field, prefix: str) -> None:
        name = field.field_name
        if name in self.computed:
            self._steps.append((name, "computed", None, None))
            return
        attrs = field.source_attrs
        column = prefix + "__".join(attrs)
        if self.link and attrs == [self.model._meta.pk.name]:
            column = self.link  # lot__id is lot: no second column
        if isinstance(field, serializers.BaseSerializer) and not isinstance(
            field, serializers.ListSerializer
        ):
            if attrs:  # one related row: None when its link is null
                path = _model_path(self.model, attrs)
                if path is None or _link_may_vanish(path, field):
                    raise ValueError(f"{name}: compute it (source {field.source!r})")
                inner = RowPlan(
                    type(field),
                    model=path[-1].related_model,
                    prefix=column + "__",
                    link=column,
                )
                self._column(column)
            else:  # source="*": the same row
                inner = RowPlan(type(field), model=self.model, prefix=prefix)
            for col in inner.columns:
                self._column(col)
            self._steps.append((name, "one", column if attrs else None, inner))
            return
        if isinstance(field, serializers.SerializerMethodField | serializers.BaseSerializer):
            raise ValueError(f"{name}: compute it ({type(field).__name__})")
        path = _model_path(self.model, attrs) if attrs else None
        if path is None or _link_may_vanish(path, field):
            raise ValueError(f"{name}: compute it (source {field.source!r})")
        self._column(column)
        internal = path[-1].get_internal_type()
        if isinstance(field, DisplayField):
            self._steps.append((name, "label", column, field.choices))
        elif isinstance(field, PrimaryKeyRelatedField) and path[-1].is_relation:
            self._steps.append((name, "same", column, None))
        elif (
            type(field) is serializers.DateTimeField
            and _iso(field)
            and internal == ("DateTimeField")
        ):
            self._steps.append((name, "datetime", column, None))
        elif type(field) is serializers.DateField and _iso(field) and internal == "DateField":
            self._steps.append((name, "date", column, None))
        elif internal in _SAME.get(type(field), ()) and not getattr(
            field, "coerce_to_string", api_settings.COERCE_BIGINT_TO_STRING
        ):
            self._steps.append((name, "same", column, None))
        else:  # the field's own conversion (decimals, anything new)
            self._steps.append((name, "field", column, field.to_representation))

    def builder(self, *, tz=None, **computed: Callable[[dict], object]) -> Callable[[dict], dict]:
        """The row → dict function for one list (the active language and timezone now)."""
        missing = self.computed - set(computed)
        if missing:
            raise ValueError(f"{self.serializer_class.__name__}: compute {sorted(missing)}")
        text = datetime_text(tz)
        steps = []
        for name, how, column, payload in self._steps:
            if how == "computed":
                steps.append((name, computed[name]))
            elif how == "same":
                steps.append((name, itemgetter(column)))
            elif how == "label":
                steps.append((name, _labels(column, payload)))
            elif how == "datetime":
                steps.append((name, _through(column, text)))
            elif how == "date":
                steps.append((name, _through(column, _date_text)))
            elif how == "field":
                steps.append((name, _unless_none(column, payload)))
            else:
                steps.append((name, _nested(column, payload.builder(tz=tz))))

        def build(row: dict) -> dict:
            return {name: get(row) for name, get in steps}

        return build


def _iso(field) -> bool:
    """The field writes ISO 8601 (the settings' default), in the active timezone."""
    if isinstance(field, serializers.DateTimeField):
        fmt = getattr(field, "format", api_settings.DATETIME_FORMAT)
        if hasattr(field, "timezone"):
            return False
    else:
        fmt = getattr(field, "format", api_settings.DATE_FORMAT)
    return fmt is not None and fmt.lower() == ISO_8601


_LABELS: dict[tuple[int, str | None], dict] = {}


def _labels(column, choices):
    # the labels in the active language, translated once per process (a plan's choices live
    # as long as the plan)
    key = (id(choices), translation.get_language())
    labels = _LABELS.get(key)
    if labels is None:
        labels = _LABELS[key] = {value: str(label) for value, label in choices}
    return lambda row: labels.get(row[column], row[column])


def _through(column, convert):
    return lambda row: convert(row[column])


def _unless_none(column, convert):
    def get(row):
        value = row[column]
        return None if value is None else convert(value)

    return get


def _nested(column, build):
    if column is None:
        return build
    return lambda row: None if row[column] is None else build(row)
