"""django-filter's DRF backend, without building a FilterSet for a request that filters nothing.

A FilterSet deep-copies its declared filters and builds and validates a bound form on every
request (~0.9 ms of the ~4 ms an empty partner list costs). When no query parameter names one
of its filters, the answer is the queryset unchanged — what the FilterSet would return, as
every filter leaves the queryset alone for an empty value — so the backend returns it without
constructing one. A FilterSet with a required filter, or one that overrides `filter_queryset`
or `qs` (none here so far), is always built."""

from __future__ import annotations

from django_filters import FilterSet
from django_filters.rest_framework import DjangoFilterBackend


def _filters_nothing_when_empty(filterset_class) -> bool:
    cached = filterset_class.__dict__.get("_service_ops_skippable")
    if cached is None:
        cached = (
            filterset_class.filter_queryset is FilterSet.filter_queryset
            and filterset_class.qs is FilterSet.qs
            and not any(f.extra.get("required") for f in filterset_class.base_filters.values())
        )
        filterset_class._service_ops_skippable = cached
    return cached


class FilterBackend(DjangoFilterBackend):
    def filter_queryset(self, request, queryset, view):
        filterset_class = self.get_filterset_class(view, queryset)
        if filterset_class is None:
            return queryset
        params = request.query_params
        if _filters_nothing_when_empty(filterset_class) and not any(
            name in params for name in filterset_class.base_filters
        ):
            return queryset
        return super().filter_queryset(request, queryset, view)
