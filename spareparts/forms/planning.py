"""Forms of material planning (物料计划): the consumption report's period, grouping and model;
the reorder list's filters; a reorder point's minimum and reorder quantity (inline on a row or as
a new point by part number and warehouse)."""

from __future__ import annotations

from datetime import date

from django import forms
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ..models import Warehouse
from ..selectors.planning import GROUP_MODEL, GROUP_PART, MAX_MONTHS, months_between
from .stock import PartNumberField

MONTH_FORMATS = ["%Y-%m", "%Y-%m-%d"]


def default_period(today: date | None = None) -> tuple[date, date]:
    """The twelve months up to and including the current one."""
    today = today or timezone.localdate()
    until = today.replace(day=1)
    year, month = until.year, until.month - 11
    if month < 1:
        year, month = year - 1, month + 12
    return date(year, month, 1), until


class MonthInput(forms.DateInput):
    input_type = "month"

    def format_value(self, value):
        if isinstance(value, date):
            return value.strftime("%Y-%m")
        return value


class ConsumptionForm(forms.Form):
    since = forms.DateField(
        label=gettext_lazy("起始月份"),
        required=False,
        input_formats=MONTH_FORMATS,
        widget=MonthInput(attrs={"class": "form-control form-control-sm"}),
    )
    until = forms.DateField(
        label=gettext_lazy("截止月份"),
        required=False,
        input_formats=MONTH_FORMATS,
        widget=MonthInput(attrs={"class": "form-control form-control-sm"}),
    )
    group = forms.ChoiceField(
        label=gettext_lazy("汇总方式"),
        required=False,
        choices=[(GROUP_PART, gettext_lazy("按配件")), (GROUP_MODEL, gettext_lazy("按适用型号"))],
        widget=forms.Select(attrs={"class": "form-select form-select-sm"}),
    )
    product_model = forms.CharField(
        label=gettext_lazy("适用型号"),
        max_length=60,
        required=False,
        widget=forms.TextInput(attrs={"class": "form-control form-control-sm"}),
    )

    def clean(self):
        data = super().clean()
        since, until = default_period()
        since = (data.get("since") or since).replace(day=1)
        until = (data.get("until") or until).replace(day=1)
        if until < since:
            self.add_error("until", _("截止月份不能早于起始月份"))
        elif len(months_between(since, until)) > MAX_MONTHS:
            self.add_error("until", _("一次最多统计 %(n)s 个月") % {"n": MAX_MONTHS})
        data["since"], data["until"] = since, until
        data["group"] = data.get("group") or GROUP_PART
        return data

    def values(self) -> dict:
        """The report's arguments: the form's when valid, else the default period by part."""
        if self.is_bound and self.is_valid():
            d = self.cleaned_data
            return {
                "since": d["since"],
                "until": d["until"],
                "group": d["group"],
                "product_model": d.get("product_model") or "",
            }
        since, until = default_period()
        return {"since": since, "until": until, "group": GROUP_PART, "product_model": ""}


class ReorderFilterForm(forms.Form):
    warehouse = forms.ModelChoiceField(
        label=gettext_lazy("仓库"),
        queryset=Warehouse.objects.none(),
        required=False,
        empty_label=gettext_lazy("全部仓库"),
        widget=forms.Select(attrs={"class": "form-select form-select-sm"}),
    )
    part = forms.CharField(
        label=gettext_lazy("配件编号"),
        max_length=40,
        required=False,
        widget=forms.TextInput(attrs={"class": "form-control form-control-sm"}),
    )
    show = forms.ChoiceField(
        label=gettext_lazy("范围"),
        required=False,
        choices=[("below", gettext_lazy("低于补货点")), ("all", gettext_lazy("全部补货点"))],
        widget=forms.Select(attrs={"class": "form-select form-select-sm"}),
    )

    def __init__(self, *args, warehouses, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["warehouse"].queryset = warehouses


class ReorderPointForm(forms.Form):
    """A point's two numbers (inline on its row)."""

    minimum = forms.IntegerField(
        label=gettext_lazy("最低库存"),
        min_value=1,
        max_value=1_000_000,
        widget=forms.NumberInput(attrs={"class": "form-control form-control-sm", "size": 5}),
    )
    reorder_quantity = forms.IntegerField(
        label=gettext_lazy("补货数量"),
        min_value=1,
        max_value=1_000_000,
        widget=forms.NumberInput(attrs={"class": "form-control form-control-sm", "size": 5}),
    )


class NewReorderPointForm(ReorderPointForm):
    """A new point (or a change of one) by part number and warehouse."""

    warehouse = forms.ModelChoiceField(
        label=gettext_lazy("仓库"),
        queryset=Warehouse.objects.none(),
        empty_label=gettext_lazy("请选择"),
        widget=forms.Select(attrs={"class": "form-select form-select-sm"}),
    )
    part = PartNumberField()
    field_order = ["warehouse", "part", "minimum", "reorder_quantity"]

    def __init__(self, *args, warehouses, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["warehouse"].queryset = warehouses
