"""Cheap serialization of read-only lists: the same JSON as DRF, without DRF's per-row cost.

DRF walks every field of every row through `Field.get_attribute` (an `inspect` test per value),
rebuilds nested serializers' fields per row and Django's `get_FOO_display` hashes the choices per
call: a 50-row page of repair orders spent 90 % of its time there. `CompiledListSerializer` reads
the child serializer's fields once per list into a plan — (name, getter, to_representation) —
and runs the plan per row. The values still go through each field's own `to_representation`, so
the output is DRF's (tests/core/test_compiled_serializers.py compares the two on real rows).

`DisplayField` replaces `CharField(source="get_state_display")`: one dict lookup per value,
the labels translated once per list.
"""

from __future__ import annotations

import types
from collections.abc import Callable, Mapping

from django.core.exceptions import ObjectDoesNotExist
from django.db.models.manager import BaseManager
from django.utils.translation import get_language
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.fields import SkipField, empty
from rest_framework.relations import PKOnlyObject

_SKIP = object()


@extend_schema_field(OpenApiTypes.STR)
class DisplayField(serializers.Field):
    """The label of a choice (`state_display` for `source="state"`), as get_FOO_display gives it,
    from a dict built once per language. The choices come from the model field of the parent
    ModelSerializer's model, or are given (`choices=`) for a plain Serializer."""

    def __init__(self, *, choices=None, **kwargs):
        kwargs["read_only"] = True
        super().__init__(**kwargs)
        self.choices = None if choices is None else list(choices)
        self._labels: dict[str, dict] = {}

    def bind(self, field_name, parent):
        super().bind(field_name, parent)
        if self.choices is None:
            model = parent.Meta.model
            self.choices = list(model._meta.get_field(self.source_attrs[-1]).flatchoices)

    def to_representation(self, value):
        language = get_language() or ""
        labels = self._labels.get(language)
        if labels is None:
            labels = self._labels[language] = {k: str(v) for k, v in self.choices}
        return labels.get(value, value)


def _getter(field) -> Callable:
    """Field.get_attribute without its per-value `inspect`: follow `source_attrs`, call bound
    methods (get_FOO_display, properties are plain attributes), and on a missing link answer as
    DRF does — the default, else None when null is allowed, else leave the key out."""
    attrs = field.source_attrs
    if not attrs:  # source="*"
        return lambda obj: obj
    if type(field).get_attribute is not serializers.Field.get_attribute:
        # relations answer with a PKOnlyObject from the row's own column: keep their way
        def own(obj):
            try:
                return field.get_attribute(obj)
            except SkipField:
                return _SKIP

        return own

    def missing():
        if field.default is not empty:
            return field.get_default()
        if field.allow_null:
            return None
        if not field.required:
            return _SKIP
        raise AttributeError(field.source)

    def get(obj):
        for attr in attrs:
            if obj is None:
                return missing()
            try:
                obj = obj[attr] if isinstance(obj, Mapping) else getattr(obj, attr)
            except ObjectDoesNotExist:
                return None
            except (KeyError, AttributeError):
                return missing()
            if isinstance(obj, types.MethodType | types.FunctionType):
                obj = obj()
        return obj

    return get


_PLANS: dict[type, list] = {}


def _plan(serializer_class) -> list[tuple[str, str, object, object]]:
    """(name, how, getter, convert) per readable field, made once per serializer class from a
    prototype (no context). `how` is "value" (getter, then the prototype field's
    to_representation), "method" (the running serializer's get_<name>), "one"/"many" (a nested
    serializer's own plan) or "bound" (a nested serializer with method fields of its own: the
    running serializer's bound field, DRF's way)."""
    plan = _PLANS.get(serializer_class)
    if plan is not None:
        return plan
    plan = []
    for field in serializer_class()._readable_fields:
        name = field.field_name
        if isinstance(field, serializers.SerializerMethodField):
            plan.append((name, "method", None, field.method_name))
        elif isinstance(field, serializers.BaseSerializer):
            many = isinstance(field, serializers.ListSerializer)
            inner = field.child if many else field
            if any(how in ("method", "bound") for _n, how, _g, _c in _plan(type(inner))):
                plan.append((name, "bound", None, None))
            else:
                plan.append((name, "many" if many else "one", _getter(field), type(inner)))
        else:
            plan.append((name, "value", _getter(field), field.to_representation))
    _PLANS[serializer_class] = plan
    return plan


def represent(serializer, obj) -> dict:
    """`serializer.to_representation(obj)` by its class's plan."""
    out = {}
    for name, how, get, convert in _plan(type(serializer)):
        if how == "method":
            out[name] = getattr(serializer, convert)(obj)
            continue
        if how == "bound":
            field = serializer.fields[name]
            try:
                value = field.get_attribute(obj)
            except SkipField:
                continue
            out[name] = None if value is None else field.to_representation(value)
            continue
        value = get(obj)
        if value is _SKIP:
            continue
        if value is None or (type(value) is PKOnlyObject and value.pk is None):
            out[name] = None
        elif how == "value":
            out[name] = convert(value)
        elif how == "one":
            out[name] = represent_as(convert, value)
        else:
            rows = value.all() if isinstance(value, BaseManager) else value
            out[name] = [represent_as(convert, row) for row in rows]
    return out


def represent_as(serializer_class, obj) -> dict:
    """A nested serializer without methods: its plan needs no instance of its own."""
    return represent(_prototype(serializer_class), obj)


_PROTOTYPES: dict[type, serializers.BaseSerializer] = {}


def _prototype(serializer_class):
    proto = _PROTOTYPES.get(serializer_class)
    if proto is None:
        proto = _PROTOTYPES[serializer_class] = serializer_class()
    return proto


class CompiledListSerializer(serializers.ListSerializer):
    """`many=True` for read-only serializers: set `Meta.list_serializer_class` to this. The
    child's fields are never rebuilt for the request; its get_<name> methods run on the child
    (so they see the list's context)."""

    def to_representation(self, data):
        rows = data.all() if isinstance(data, BaseManager) else data
        child = self.child
        return [represent(child, row) for row in rows]


def nested(parent: serializers.BaseSerializer, serializer_class) -> Callable[[object], dict]:
    """A nested representation for a SerializerMethodField: one instance per parent serializer
    (sharing its context) instead of a serializer built, and its fields copied, per row."""
    cache = parent.__dict__.setdefault("_compiled_nested", {})
    child = cache.get(serializer_class)
    if child is None:
        child = cache[serializer_class] = serializer_class(context=parent.context)
    return lambda obj: represent(child, obj)
