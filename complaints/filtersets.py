"""The FilterSet of the complaints' API list (the partner API: a dealer's or service point's own
complaints). The generic filters (repeatable state, ISO moments, strict booleans) are the ones
the repairs lists use (repairs/filtersets/__init__.py)."""

import django_filters
from django.utils.translation import gettext_lazy as _

from repairs.filtersets import DATETIME_HELP, MomentFilter, StateFilter, StrictBooleanFilter

from .choices import Category, ComplaintState, Severity
from .models import Complaint


class ComplaintFilterSet(django_filters.FilterSet):
    state = StateFilter(
        choices=ComplaintState.choices,
        label=_("状态"),
        help_text=_("可重复，如 state=accepted&state=investigating"),
    )
    category = django_filters.ChoiceFilter(choices=Category.choices, label=_("投诉类别"))
    severity = django_filters.ChoiceFilter(choices=Severity.choices, label=_("严重程度"))
    escalated = StrictBooleanFilter(
        method="filter_escalated",
        label=_("已升级"),
        help_text=_("true：有阶段超时并已自动升级的投诉；false：没有的"),
    )
    accepted_after = MomentFilter(
        field_name="accepted_at",
        lookup_expr="gte",
        label=_("受理时间不早于"),
        help_text=DATETIME_HELP,
    )
    accepted_before = MomentFilter(
        field_name="accepted_at",
        lookup_expr="lt",
        label=_("受理时间早于"),
        help_text=_("ISO 8601 时间或日期（日期视为当天 00:00 Asia/Shanghai），不含该时刻"),
    )
    serial = django_filters.CharFilter(
        field_name="serial_number",
        lookup_expr="iexact",
        max_length=60,
        label=_("设备序列号"),
        help_text=_("完整序列号（不区分大小写）"),
    )

    class Meta:
        model = Complaint
        fields = [
            "state",
            "category",
            "severity",
            "escalated",
            "accepted_after",
            "accepted_before",
            "serial",
        ]

    def filter_escalated(self, queryset, name, value):
        if value is None:
            return queryset
        return (
            queryset.filter(escalation_level__gt=0)
            if value
            else queryset.filter(escalation_level=0)
        )
