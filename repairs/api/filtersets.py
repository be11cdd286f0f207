"""FilterSets of the return-application API (the HTML list may reuse them, as NetBox does).

Serial numbers are matched with a subquery rather than a join, so a filtered list needs no
DISTINCT and keeps its keyset pagination on the primary key."""

import django_filters
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from ..choices import ApplicationState, Platform, StepState
from ..models import ApprovalStep, ReturnApplication, ReturnLine
from ..selectors import signature_queue


@extend_schema_field(OpenApiTypes.INT)
class IdFilter(django_filters.NumberFilter):
    """An integer id (NumberFilter alone is described as a decimal number in the schema)."""


class ReturnApplicationFilterSet(django_filters.FilterSet):
    state = django_filters.MultipleChoiceFilter(
        choices=ApplicationState.choices,
        label=_("状态"),
        help_text=_("可重复，如 state=draft&state=rejected"),
    )
    platform = django_filters.ChoiceFilter(choices=Platform.choices, label=_("平台"))
    created_after = django_filters.DateTimeFilter(
        field_name="created_at",
        lookup_expr="gte",
        label=_("创建时间不早于"),
        help_text=_("ISO 8601 时间或日期（日期视为当天 00:00 Asia/Shanghai）"),
    )
    created_before = django_filters.DateTimeFilter(
        field_name="created_at",
        lookup_expr="lt",
        label=_("创建时间早于"),
        help_text=_("ISO 8601 时间或日期（日期视为当天 00:00 Asia/Shanghai），不含该时刻"),
    )
    number = django_filters.CharFilter(
        field_name="number", lookup_expr="iexact", label=_("单号"), help_text=_("完整单号")
    )
    serial = django_filters.CharFilter(
        method="filter_serial",
        label=_("出厂编号"),
        help_text=_("包含该出厂编号（不区分大小写）的申请"),
    )

    class Meta:
        model = ReturnApplication
        fields = ["state", "platform", "created_after", "created_before", "number", "serial"]

    def filter_serial(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        lines = ReturnLine.objects.filter(serial_number__iexact=value)
        return queryset.filter(pk__in=lines.values("application_id"))


class ApprovalStepFilterSet(django_filters.FilterSet):
    mine = django_filters.BooleanFilter(
        method="filter_mine",
        label=_("待我签字"),
        help_text=_("true：只列出调用者（本人或今日受托代理）可以签字的待签步骤"),
    )
    state = django_filters.MultipleChoiceFilter(choices=StepState.choices, label=_("步骤状态"))
    application = IdFilter(field_name="application_id", label=_("申请 ID"))

    class Meta:
        model = ApprovalStep
        fields = ["mine", "state", "application"]

    def filter_mine(self, queryset, name, value):
        if not value:
            return queryset
        queue = signature_queue(self.request.user)
        return queryset.filter(pk__in=queue.values("pk"))
