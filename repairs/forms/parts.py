"""The order page's part forms (issue 19): add a part line, change a line's warranty decision,
record a warranty replacement's serials, remove a line. Registered in forms/orders.py ACTIONS, so
the order page's one action view (views/orders.py order_act) runs them like every other step."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from spareparts.models import Part

from ..models import RepairPartLine
from ..services import parts as rp
from .orders import OrderActionForm

WARRANTY_CHOICES = [("", _("按维修单判定")), ("1", _("保修免费")), ("0", _("收费"))]


class AddPartForm(OrderActionForm):
    action, button, done = "add_part", _("添加配件"), _("已添加配件")

    part_number = forms.CharField(
        label=_("配件编号"),
        max_length=40,
        widget=forms.TextInput(attrs={"placeholder": _("例如：GPS-MB-01")}),
    )
    quantity = forms.IntegerField(
        label=_("数量"), min_value=1, max_value=rp.MAX_QUANTITY, initial=1
    )
    in_warranty = forms.ChoiceField(label=_("保修"), choices=WARRANTY_CHOICES, required=False)
    warranty_note = forms.CharField(
        label=_("保修变更原因"),
        max_length=200,
        required=False,
        help_text=_("与维修单的保修判定不同时必填"),
    )

    def clean_part_number(self):
        number = self.cleaned_data["part_number"].strip()
        part = Part.objects.filter(number__iexact=number, is_active=True).first()
        if part is None:
            raise ValidationError(_("没有编号为 %(n)s 的启用配件") % {"n": number})
        self.part = part
        return number

    def submit(self):
        choice = self.cleaned_data.get("in_warranty") or ""
        line = rp.part_line_add(
            order_id=self.order.pk,
            actor=self.user,
            part=self.part,
            quantity=self.cleaned_data["quantity"],
            in_warranty=None if choice == "" else choice == "1",
            warranty_note=self._text("warranty_note"),
        )
        if not line.in_warranty and self.order.state != "diagnosing":
            self.done = _("已添加收费配件：请提出补充报价，客户同意后领用")
        elif line.state == "waiting":
            self.done = _("已添加配件：库存不足，等待到货")


class _LineForm(OrderActionForm):
    line = forms.IntegerField(widget=forms.HiddenInput)

    def clean_line(self):
        pk = self.cleaned_data["line"]
        if not RepairPartLine.objects.filter(pk=pk, order_id=self.order.pk).exists():
            raise ValidationError(_("该维修单没有这项配件"))
        return pk


class PartWarrantyForm(_LineForm):
    action, button, done = "part_warranty", _("更改保修判定"), _("已更改配件的保修判定")

    in_warranty = forms.TypedChoiceField(
        label=_("保修"),
        choices=[("1", _("保修免费")), ("0", _("收费"))],
        coerce=lambda v: v == "1",
    )
    note = forms.CharField(label=_("原因"), max_length=200)

    def submit(self):
        rp.part_line_set_warranty(
            line_id=self.cleaned_data["line"],
            actor=self.user,
            in_warranty=self.cleaned_data["in_warranty"],
            note=self._text("note"),
        )


class PartSerialsForm(_LineForm):
    action, button, done = "part_serials", _("登记更换"), _("已登记旧件和新件序列号")

    faulty_serial = forms.CharField(label=_("旧件序列号"), max_length=60)
    new_serial = forms.CharField(label=_("新件序列号"), max_length=60)

    def submit(self):
        rp.part_line_record_serials(
            line_id=self.cleaned_data["line"],
            actor=self.user,
            faulty_serial=self._text("faulty_serial"),
            new_serial=self._text("new_serial"),
        )


class RemovePartForm(_LineForm):
    action, button, done = "remove_part", _("移除"), _("已移除配件，预留已释放")

    def submit(self):
        rp.part_line_remove(line_id=self.cleaned_data["line"], actor=self.user)


class ReplacementForm(forms.Form):
    """The field form (手机登记保修更换): which issued warranty line, the faulty part's serial, the
    new part's serial, and whether the faulty part is handed in now or owed back."""

    line = forms.TypedChoiceField(label=_("更换的配件"), coerce=int)
    faulty_serial = forms.CharField(
        label=_("旧件序列号"),
        max_length=60,
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false"}
        ),
    )
    new_serial = forms.CharField(
        label=_("新件序列号"),
        max_length=60,
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false"}
        ),
    )
    handed_in = forms.BooleanField(
        label=_("旧件已当场交回总部旧件仓"),
        required=False,
        help_text=_("不勾选：旧件由您在期限内返还，逾期提醒配件仓主管"),
    )

    def __init__(self, *args, lines, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["line"].choices = [
            (ln.pk, f"{ln.part.number} {ln.part.name} ×{ln.quantity}") for ln in lines
        ]
        if len(lines) == 1:
            self.fields["line"].initial = lines[0].pk


PART_ACTIONS = {
    form.action: form for form in (AddPartForm, PartWarrantyForm, PartSerialsForm, RemovePartForm)
}
