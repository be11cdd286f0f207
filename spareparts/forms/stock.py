"""Forms of the stock pages: receive, transfer, scrap, the ledger's filters and the count."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from service_ops.forms import BootstrapMixin

from ..choices import MovementKind
from ..models import Part, Warehouse


class WarehouseChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.name}（{obj.get_kind_display()} {obj.code}）"


class PartNumberField(forms.CharField):
    """A part by its number (the catalogue has thousands: no select)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("label", _("配件编号"))
        kwargs.setdefault("max_length", 40)
        super().__init__(**kwargs)
        self.widget.attrs.update({"autocomplete": "off", "list": "part-numbers"})

    def clean(self, value):
        number = (super().clean(value) or "").strip().upper()
        part = Part.objects.filter(number=number).first()
        if part is None:
            raise ValidationError(_("没有这个配件编号：%(n)s") % {"n": number})
        if not part.is_active:
            raise ValidationError(_("配件已停用：%(n)s") % {"n": number})
        return part


class _StockForm(BootstrapMixin, forms.Form):
    part = PartNumberField()
    quantity = forms.IntegerField(label=_("数量"), min_value=1, max_value=1_000_000)
    reason = forms.CharField(label=_("原因"), max_length=200, required=False)

    def __init__(self, *args, warehouses, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["warehouse"].queryset = warehouses


class ReceiveForm(_StockForm):
    warehouse = WarehouseChoiceField(label=_("入库仓库"), queryset=None, empty_label=_("请选择"))
    field_order = ["warehouse", "part", "quantity", "reason"]


class ScrapForm(_StockForm):
    warehouse = WarehouseChoiceField(label=_("仓库"), queryset=None, empty_label=_("请选择"))
    field_order = ["warehouse", "part", "quantity", "reason"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reason"].required = True
        self.fields["reason"].label = _("报废原因")


class TransferForm(_StockForm):
    warehouse = WarehouseChoiceField(label=_("调出仓库"), queryset=None, empty_label=_("请选择"))
    to_warehouse = WarehouseChoiceField(
        label=_("调入仓库"), queryset=Warehouse.objects.none(), empty_label=_("请选择")
    )
    field_order = ["warehouse", "to_warehouse", "part", "quantity", "reason"]

    def __init__(self, *args, destinations, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["to_warehouse"].queryset = destinations


class MovementFilterForm(BootstrapMixin, forms.Form):
    KINDS = (("", _("全部类型")), *MovementKind.choices)

    part = forms.CharField(label=_("配件编号"), required=False, max_length=40)
    warehouse = forms.IntegerField(required=False, widget=forms.HiddenInput, min_value=1)
    kind = forms.ChoiceField(label=_("类型"), choices=KINDS, required=False)
    since = forms.DateField(
        label=_("从"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    until = forms.DateField(
        label=_("到"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args, warehouses=None, **kwargs):
        super().__init__(*args, **kwargs)
        if warehouses is not None:
            self.fields["warehouse"] = forms.TypedChoiceField(
                label=_("仓库"),
                required=False,
                coerce=int,
                choices=[("", _("全部仓库")), *((w.pk, w.name) for w in warehouses)],
            )
            self.fields["warehouse"].widget.attrs["class"] = "form-select"
            self.order_fields(["part", "warehouse", "kind", "since", "until"])

    def values(self) -> dict:
        if not self.is_valid():
            return {}
        data = self.cleaned_data
        part_id = None
        if data.get("part"):
            part_id = (
                Part.objects.filter(number=data["part"].strip().upper())
                .values_list("pk", flat=True)
                .first()
            ) or -1
        return {
            "part_id": part_id,
            "warehouse_id": data.get("warehouse") or None,
            "kind": data.get("kind", ""),
            "since": data.get("since"),
            "until": data.get("until"),
        }


class CountNewForm(BootstrapMixin, forms.Form):
    warehouse = WarehouseChoiceField(label=_("仓库"), queryset=None, empty_label=_("请选择"))
    note = forms.CharField(label=_("备注"), max_length=200, required=False)

    def __init__(self, *args, warehouses, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["warehouse"].queryset = warehouses


class CountLinesForm(forms.Form):
    """One field per line of the sheet: `line_<id>`."""

    def __init__(self, *args, lines, **kwargs):
        super().__init__(*args, **kwargs)
        self.lines = lines
        for line in lines:
            self.fields[f"line_{line.pk}"] = forms.IntegerField(
                label=f"{line.part.number} {line.part.name}",
                min_value=0,
                max_value=10_000_000,
                required=False,
                initial=line.counted,
                widget=forms.NumberInput(
                    attrs={"class": "form-control form-control-sm", "inputmode": "numeric"}
                ),
            )

    def counted(self) -> dict[int, int | None]:
        return {line.pk: self.cleaned_data.get(f"line_{line.pk}") for line in self.lines}

    def bound_lines(self):
        return [(line, self[f"line_{line.pk}"]) for line in self.lines]


class DecisionForm(BootstrapMixin, forms.Form):
    comment = forms.CharField(
        label=_("意见"), max_length=500, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
