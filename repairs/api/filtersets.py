"""FilterSets of the repairs API.

The return-application list uses the HTML list's FilterSet (repairs.filtersets, one FilterSet for
both, as NetBox does) and adds what integrators need: several states at once, exact times and the
exact number or serial. The repair-order FilterSet is plain django-filter and serves an HTML list
as well.

Serial numbers are matched with a subquery rather than a join, so a filtered list needs no
DISTINCT and keeps its keyset pagination on the primary key."""

import django_filters
from django import forms
from django.contrib.contenttypes.models import ContentType
from django.db.models import Exists, F, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from service_ops.deadlines.models import OPEN_STATUSES, Deadline, DeadlineStatus

from .. import filtersets as html
from ..choices import ApplicationState, OrderState, Platform, StepState
from ..models import ApprovalStep, RepairOrder, ReturnApplication, ReturnLine
from ..selectors import signature_queue
from ..services.orders import LIMIT_KIND

DATETIME_HELP = _("ISO 8601 时间或日期（日期视为当天 00:00 Asia/Shanghai）")


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


class ReturnApplicationFilterSet(html.ReturnApplicationFilterSet):
    """The HTML list's filters (q, branch, province, dealer, overdue), with the API's own:
    `state` repeatable, `created_after` / `created_before` as moments, `number`, `serial` and
    `platform`. The HTML list's day-based `created_from` / `created_to` are left out here: the
    API has one way to say a time range."""

    created_from = None
    created_to = None
    state = django_filters.MultipleChoiceFilter(
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
    created_after = django_filters.DateTimeFilter(
        field_name="created_at",
        lookup_expr="gte",
        label=_("创建时间不早于"),
        help_text=DATETIME_HELP,
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

    class Meta(html.ReturnApplicationFilterSet.Meta):
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


# --- repair orders ------------------------------------------------------------------------------
def limit_overdue(now=None):
    """Whether an order's repair limit (an open timer) is past its due time: breached by the
    sweep, or past due and not yet swept, or paused after its due time had already passed."""
    now = now or timezone.now()
    past_due = (
        Q(status=DeadlineStatus.BREACHED)
        | Q(breached_at__isnull=False)
        | Q(status=DeadlineStatus.RUNNING, due_at__lte=now)
        | Q(status=DeadlineStatus.PAUSED, due_at__lte=F("paused_at"))
    )
    return Exists(
        Deadline.objects.filter(
            past_due,
            owner_type=ContentType.objects.get_for_model(RepairOrder),
            owner_id=OuterRef("pk"),
            kind=LIMIT_KIND,
            status__in=OPEN_STATUSES,
        )
    )


class RepairOrderFilterSet(django_filters.FilterSet):
    """Filters of the repair-order list (API and HTML alike). The queryset passed in is already
    scoped: RepairOrder.objects.visible_to(user)."""

    state = django_filters.MultipleChoiceFilter(
        choices=OrderState.choices,
        label=_("状态"),
        help_text=_("可重复，如 state=waiting_consent&state=repairing"),
    )
    number = django_filters.CharFilter(
        field_name="number", lookup_expr="iexact", label=_("维修单号"), help_text=_("完整单号")
    )
    application_number = django_filters.CharFilter(
        field_name="lot__application__number",
        lookup_expr="iexact",
        label=_("返厂申请单号"),
        help_text=_("完整的返厂申请单号，如 RMA-202611-0042"),
    )
    serial = django_filters.CharFilter(
        field_name="serial_number",
        lookup_expr="iexact",
        label=_("出厂编号"),
        help_text=_("完整出厂编号（不区分大小写）"),
    )
    overdue = StrictBooleanFilter(
        method="filter_overdue",
        label=_("维修超期"),
        help_text=_("true：维修时限已过（未发货）；false：未超期或已发货"),
    )
    shipped_after = django_filters.DateFilter(
        field_name="shipped_on",
        lookup_expr="gte",
        label=_("发货日期不早于"),
        help_text=_("YYYY-MM-DD，含当天"),
    )
    shipped_before = django_filters.DateFilter(
        field_name="shipped_on",
        lookup_expr="lt",
        label=_("发货日期早于"),
        help_text=_("YYYY-MM-DD，不含当天"),
    )

    class Meta:
        model = RepairOrder
        fields = [
            "state",
            "number",
            "application_number",
            "serial",
            "overdue",
            "shipped_after",
            "shipped_before",
        ]

    def filter_overdue(self, queryset, name, value):
        if value is None:
            return queryset
        overdue = limit_overdue()
        return queryset.filter(overdue if value else ~overdue)
