"""Filters of the service network, shared by the HTML lists and the API (NetBox style).

Scope first, then filter: pass a queryset already limited by `visible_to(user)`; the `parent`
choices are limited to the units the requesting user may see."""

import django_filters
from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from service_ops.forms import BootstrapMixin

from .choices import BranchKind, OrgKind
from .models import OrgUnit


def visible_units(request):
    """Units the requesting user may see (none without a request, e.g. schema generation)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return OrgUnit.objects.none()
    return OrgUnit.objects.visible_to(user).order_by("path")


class BootstrapFilterForm(BootstrapMixin, forms.Form):
    pass


class OrgUnitFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label=_("搜索"))
    kind = django_filters.ChoiceFilter(
        choices=OrgKind.choices, label=_("类型"), empty_label=_("全部类型")
    )
    branch_kind = django_filters.ChoiceFilter(
        choices=BranchKind.choices, label=_("分公司类型"), empty_label=_("全部")
    )
    parent = django_filters.ModelChoiceFilter(
        queryset=visible_units, label=_("上级"), empty_label=_("全部")
    )

    class Meta:
        model = OrgUnit
        fields = ["q", "kind", "branch_kind", "parent"]
        form = BootstrapFilterForm

    def search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(name__icontains=value) | Q(code__icontains=value))
