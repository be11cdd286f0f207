"""The top-up form (登记充值)."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from service_ops.forms import BootstrapMixin


class TopUpForm(BootstrapMixin, forms.Form):
    amount = forms.DecimalField(
        label=_("充值金额（元）"),
        max_digits=12,
        decimal_places=2,
        min_value=Decimal("0.01"),
        max_value=Decimal("1000000"),
        widget=forms.NumberInput(attrs={"inputmode": "decimal", "step": "0.01"}),
    )
    bank_reference = forms.CharField(
        label=_("银行流水号"),
        max_length=64,
        help_text=_("银行回单上的流水号或交易参考号；同一笔汇款只能入账一次"),
    )
    note = forms.CharField(label=_("备注"), max_length=200, required=False)
    # one key per rendered form: submitting the same form twice posts one entry
    form_key = forms.UUIDField(widget=forms.HiddenInput, required=False)

    def clean(self):
        data = super().clean()
        if not data.get("form_key") and "form_key" not in self.errors:
            self.add_error(None, _("表单已失效，请刷新页面后重新填写"))
        elif "form_key" in self.errors:
            self.errors.pop("form_key")
            self.add_error(None, _("表单已失效，请刷新页面后重新填写"))
        return data
