"""Filters of the partner API's catalogue and availability lists (django-filter)."""

import django_filters

from .models import Part, StockBalance


class PartFilterSet(django_filters.FilterSet):
    number = django_filters.CharFilter(
        method="filter_number", max_length=40, label="配件编号（开头几位即可）"
    )
    model = django_filters.CharFilter(method="filter_model", max_length=60, label="适用型号")
    q = django_filters.CharFilter(method="filter_q", max_length=60, label="编号或名称")

    class Meta:
        model = Part
        fields = ["number", "model", "q"]

    def filter_number(self, qs, name, value):
        return qs.filter(number__istartswith=value.strip()) if value.strip() else qs

    def filter_model(self, qs, name, value):
        return qs.fitting(value)

    def filter_q(self, qs, name, value):
        return qs.search(value)


class AvailabilityFilterSet(django_filters.FilterSet):
    number = django_filters.CharFilter(
        method="filter_number", max_length=40, label="配件编号（开头几位即可）"
    )
    warehouse = django_filters.NumberFilter(field_name="warehouse_id", label="仓库 id")

    class Meta:
        model = StockBalance
        fields = ["number", "warehouse"]

    def filter_number(self, qs, name, value):
        return qs.filter(part__number__istartswith=value.strip()) if value.strip() else qs
