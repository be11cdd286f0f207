"""The FilterSet of the repair-order list: the HTML list (search and state) and the API list
(every filter) use the same class."""

import django_filters
from django import forms
from django.contrib.contenttypes.models import ContentType
from django.db.models import Exists, F, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from service_ops.deadlines.models import OPEN_STATUSES, Deadline, DeadlineStatus

from ..choices import OrderState
from ..models import RepairOrder
from ..services.orders import LIMIT_KIND
from . import FilterForm, StateFilter, StrictBooleanFilter, search_q


class OneOrMoreSelect(forms.Select):
    """A plain select for the HTML list (one value, or "all") feeding a multiple-choice filter
    that the API may repeat (`state=a&state=b`)."""

    def __init__(self, *args, empty_label="", **kwargs):
        super().__init__(*args, **kwargs)
        self.empty_label = empty_label

    def value_from_datadict(self, data, files, name):
        values = data.getlist(name) if hasattr(data, "getlist") else data.get(name)
        if isinstance(values, str):
            values = [values]
        return [v for v in values or () if v]

    def optgroups(self, name, value, attrs=None):
        self.choices = [("", self.empty_label), *(c for c in self.choices if c[0] != "")]
        return super().optgroups(name, value, attrs)


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

    q = django_filters.CharFilter(method="search", label=_("单号、型号或出厂编号"), max_length=60)
    state = StateFilter(
        choices=OrderState.choices,
        label=_("状态"),
        help_text=_("可重复，如 state=waiting_consent&state=repairing"),
        widget=OneOrMoreSelect(empty_label=_("全部状态")),
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
    mine = StrictBooleanFilter(
        method="filter_mine", label=_("只看我的"), help_text=_("true：我领修的机器")
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
            "q",
            "state",
            "number",
            "application_number",
            "serial",
            "mine",
            "overdue",
            "shipped_after",
            "shipped_before",
        ]
        form = FilterForm

    def search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            search_q(
                value,
                substring=("number", "serial_number", "product_model"),
                exact=("number", "serial_number"),
            )
        )

    def filter_mine(self, queryset, name, value):
        user = getattr(self.request, "user", None)
        if value is None or user is None:
            return queryset
        mine = Q(technician_id=user.pk)
        return queryset.filter(mine if value else ~mine)

    def filter_overdue(self, queryset, name, value):
        if value is None:
            return queryset
        overdue = limit_overdue()
        return queryset.filter(overdue if value else ~overdue)
