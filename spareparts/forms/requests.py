"""Forms of the part requests and dealer quotes: the warehouse (or dealer) and up to LINES lines
of a part number and a quantity; the approval's quantities; a rejection's reason; the
settlement's reference."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ..models import Part

LINES = 5


class LinesForm(forms.Form):
    note = forms.CharField(label=gettext_lazy("说明"), max_length=200, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for i in range(1, LINES + 1):
            self.fields[f"part_{i}"] = forms.CharField(
                label=gettext_lazy("配件编号"),
                max_length=40,
                required=False,
                widget=forms.TextInput(attrs={"class": "form-control form-control-sm"}),
            )
            self.fields[f"quantity_{i}"] = forms.IntegerField(
                label=gettext_lazy("数量"),
                min_value=1,
                max_value=9999,
                required=False,
                widget=forms.NumberInput(attrs={"class": "form-control form-control-sm"}),
            )

    def line_rows(self):
        return [(self[f"part_{i}"], self[f"quantity_{i}"]) for i in range(1, LINES + 1)]

    def clean(self):
        data = super().clean()
        numbers = {
            i: (data.get(f"part_{i}") or "").strip()
            for i in range(1, LINES + 1)
            if (data.get(f"part_{i}") or "").strip()
        }
        found = {p.number: p for p in Part.objects.filter(number__in=numbers.values())}
        lines = []
        for i in range(1, LINES + 1):
            number, quantity = numbers.get(i), data.get(f"quantity_{i}")
            if not number and quantity is None:
                continue
            if not number:
                self.add_error(f"part_{i}", _("请填写配件编号"))
            elif number not in found or not found[number].is_active:
                self.add_error(f"part_{i}", _("没有此配件编号"))
            elif quantity is None:
                self.add_error(f"quantity_{i}", _("请填写数量"))
            else:
                lines.append((found[number], quantity))
        if not lines and not self.errors:
            raise forms.ValidationError(_("请至少填写一种配件"))
        data["lines"] = lines
        return data


class RequestForm(LinesForm):
    warehouse = forms.ModelChoiceField(label=gettext_lazy("申请仓库"), queryset=None)
    field_order = ["warehouse"]

    def __init__(self, *args, warehouses, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["warehouse"].queryset = warehouses
        only = list(warehouses[:2])
        if len(only) == 1:
            self.fields["warehouse"].initial = only[0].pk


class QuoteForm(LinesForm):
    dealer = forms.ModelChoiceField(label=gettext_lazy("代理商"), queryset=None)
    field_order = ["dealer"]

    def __init__(self, *args, dealers, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["dealer"].queryset = dealers
        only = list(dealers[:2])
        if len(only) == 1:
            self.fields["dealer"].initial = only[0].pk


class ReasonForm(forms.Form):
    reason = forms.CharField(label=gettext_lazy("原因"), max_length=200, required=False)


class SettleForm(forms.Form):
    how = forms.ChoiceField(
        label=gettext_lazy("方式"),
        choices=[("paid", gettext_lazy("已付款")), ("invoiced", gettext_lazy("开票挂账"))],
    )
    reference = forms.CharField(label=gettext_lazy("付款凭证号或发票号"), max_length=60)
