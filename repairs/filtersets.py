"""Filters of return applications, shared by the HTML list and (later) the API.

Scope first, then filter: the queryset passed in is already `application_list(user)` (visible to
the user, annotated with `unit_count` and `overdue`); the branch, province and dealer choices are
limited to the units the requesting user may see."""

import django_filters
from django import forms
from django.db.models import Exists, OuterRef, Q
from django.utils.translation import gettext_lazy as _

from network.choices import OrgKind
from network.models import OrgUnit
from service_ops.forms import BootstrapMixin

from .choices import ApplicationState
from .models import ReturnApplication, ReturnLine


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


class FilterForm(BootstrapMixin, forms.Form):
    pass


DATE_WIDGET = forms.DateInput(attrs={"type": "date"})


class ReturnApplicationFilterSet(django_filters.FilterSet):
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
        serial = ReturnLine.objects.filter(application=OuterRef("pk"), serial_number__iexact=value)
        return queryset.filter(Q(number__icontains=value) | Exists(serial))

    def in_province(self, queryset, name, value):
        if value is None:
            return queryset
        return queryset.filter(branch__path__startswith=value.path)
