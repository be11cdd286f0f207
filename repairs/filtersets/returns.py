"""The FilterSets of return applications and approval steps.

`ReturnApplicationFilterSet` is the list's filters; the HTML list uses it as it is and the API
list through `ApiReturnApplicationFilterSet`, which keeps every one of its filters and adds what
integrators need: several states at once, exact times and the exact number or serial."""

import django_filters
from django import forms
from django.contrib.contenttypes.models import ContentType
from django.db.models import Exists, OuterRef, Q
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from network.visibility import subtree_ids
from service_ops.deadlines.models import Deadline, DeadlineStatus

from ..choices import ApplicationState, Platform, StepState
from ..models import ApprovalStep, ReturnApplication, ReturnLine
from ..models.returns import signable_q
from . import (
    DATE_WIDGET,
    DATETIME_HELP,
    FilterForm,
    IdFilter,
    MomentFilter,
    StateFilter,
    StrictBooleanFilter,
    search_q,
    visible_branches,
    visible_dealers,
    visible_provinces,
)

SERIAL_MATCHES = 500  # applications found by one serial number: a handful in practice


class ReturnApplicationFilterSet(django_filters.FilterSet):
    """The HTML list of return applications."""

    q = django_filters.CharFilter(method="search", label=_("单号或出厂编号"))
    state = django_filters.ChoiceFilter(
        choices=ApplicationState.choices, label=_("状态"), empty_label=_("全部状态")
    )
    branch = django_filters.ModelChoiceFilter(
        queryset=visible_branches, label=_("分公司"), empty_label=_("全部分公司")
    )
    province = django_filters.ModelChoiceFilter(
        queryset=visible_provinces,
        method="in_province",
        label=_("省区"),
        empty_label=_("全部省区"),
    )
    dealer = django_filters.ModelChoiceFilter(
        queryset=visible_dealers, label=_("代理商"), empty_label=_("全部代理商")
    )
    created_from = django_filters.DateFilter(
        field_name="created_at", lookup_expr="date__gte", label=_("创建日期从"), widget=DATE_WIDGET
    )
    created_to = django_filters.DateFilter(
        field_name="created_at", lookup_expr="date__lte", label=_("创建日期至"), widget=DATE_WIDGET
    )
    overdue = django_filters.BooleanFilter(
        field_name="overdue",
        label=_("审批超期"),
        widget=forms.Select(
            choices=[("", _("全部")), ("true", _("已超期")), ("false", _("未超期"))]
        ),
    )

    class Meta:
        model = ReturnApplication
        fields = [
            "q",
            "state",
            "branch",
            "province",
            "dealer",
            "created_from",
            "created_to",
            "overdue",
        ]
        form = FilterForm

    def search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        # the lines' matches first (an indexed lookup), so the filter is an OR of two indexed
        # conditions on the application row rather than an EXISTS per row
        by_serial = list(
            ReturnLine.objects.filter(serial_number__iexact=value)
            .values_list("application_id", flat=True)
            .distinct()[:SERIAL_MATCHES]
        )
        return queryset.filter(
            search_q(value, substring=("number",), exact=("number",)) | Q(pk__in=by_serial)
        )

    def in_province(self, queryset, name, value):
        if value is None:
            return queryset
        return queryset.filter(branch_id__in=subtree_ids(value))


def steps_overdue():
    """Whether an application has a step whose signature limit has been breached (the same
    test as repairs.selectors.application_list's `overdue` annotation)."""
    return Exists(
        Deadline.objects.filter(
            owner_type=ContentType.objects.get_for_model(ApprovalStep),
            owner_id__in=ApprovalStep.objects.filter(application=OuterRef(OuterRef("pk"))).values(
                "pk"
            ),
            status=DeadlineStatus.BREACHED,
        )
    )


class ApiReturnApplicationFilterSet(ReturnApplicationFilterSet):
    """The HTML list's filters (q, branch, province, dealer, overdue), with the API's own:
    `state` repeatable, `created_after` / `created_before` as moments, `number`, `serial` and
    `platform`. The HTML list's day-based `created_from` / `created_to` are left out here: the
    API has one way to say a time range."""

    created_from = None
    created_to = None
    state = StateFilter(
        choices=ApplicationState.choices,
        label=_("状态"),
        help_text=_("可重复，如 state=draft&state=rejected"),
    )
    overdue = StrictBooleanFilter(
        method="filter_overdue",
        label=_("审批超期"),
        help_text=_("true：有审批步骤已超过签字时限的申请；false：没有的"),
    )
    platform = django_filters.ChoiceFilter(choices=Platform.choices, label=_("平台"))
    created_after = MomentFilter(
        field_name="created_at",
        lookup_expr="gte",
        label=_("创建时间不早于"),
        help_text=DATETIME_HELP,
    )
    created_before = MomentFilter(
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

    class Meta(ReturnApplicationFilterSet.Meta):
        model = ReturnApplication
        fields = [
            "state",
            "platform",
            "created_after",
            "created_before",
            "number",
            "serial",
            "q",
            "branch",
            "province",
            "dealer",
            "overdue",
        ]

    @extend_schema_field(OpenApiTypes.INT)
    def in_province(self, queryset, name, value):
        """The province filter of the HTML list, documented as the province's id."""
        return super().in_province(queryset, name, value)

    def filter_serial(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        lines = ReturnLine.objects.filter(serial_number__iexact=value)
        return queryset.filter(pk__in=lines.values("application_id"))

    def filter_overdue(self, queryset, name, value):
        if value is None:
            return queryset
        overdue = steps_overdue()
        return queryset.filter(overdue if value else ~overdue)


class ApprovalStepFilterSet(django_filters.FilterSet):
    mine = django_filters.BooleanFilter(
        method="filter_mine",
        label=_("待我签字"),
        help_text=_("true：只列出调用者（本人或今日受托代理）可以签字的待签步骤"),
    )
    state = StateFilter(choices=StepState.choices, label=_("步骤状态"))
    application = IdFilter(field_name="application_id", label=_("申请 ID"))

    class Meta:
        model = ApprovalStep
        fields = ["mine", "state", "application"]

    def filter_mine(self, queryset, name, value):
        if not value:
            return queryset
        return queryset.filter(signable_q(self.request.user))
