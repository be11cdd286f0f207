"""Forms of the penalties: the proposal on a complaint and the head of customer service's
decision. They validate what was typed; the services decide (a waiver's reason included)."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from service_ops.forms import BootstrapMixin, PersonChoiceField

from ..choices import PenaltyKind

MONEY = {
    "max_digits": 10,
    "decimal_places": 2,
    "min_value": Decimal("0.01"),
    "required": False,
}


def _people():
    return get_user_model().objects.filter(is_active=True).order_by("username")


class PenaltyProposeForm(BootstrapMixin, forms.Form):
    person = PersonChoiceField(label=_("被处罚人（直接责任人）"), queryset=None)
    kind = forms.ChoiceField(label=_("处罚方式"), choices=PenaltyKind.choices)
    amount = forms.DecimalField(
        label=_("金额（元）"), help_text=_("罚款、扣除奖金填写；行政处罚不填"), **MONEY
    )
    manager = PersonChoiceField(
        label=_("其主管经理"), queryset=None, required=False, help_text=_("部门经理或相关管理人员")
    )
    manager_kind = forms.ChoiceField(
        label=_("主管经理处罚方式"),
        choices=(("", _("不处罚")), *PenaltyKind.choices),
        required=False,
    )
    manager_amount = forms.DecimalField(label=_("主管经理处罚金额（元）"), **MONEY)
    reason = forms.CharField(
        label=_("处罚理由"), max_length=1000, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["person"].queryset = _people()
        self.fields["manager"].queryset = _people()


class PenaltyConfirmForm(BootstrapMixin, forms.Form):
    amount = forms.DecimalField(
        label=_("确认金额（元）"), help_text=_("不填则按提出的金额"), **MONEY
    )
    note = forms.CharField(
        label=_("说明"), max_length=500, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class PenaltyWaiveForm(BootstrapMixin, forms.Form):
    # required by the service, which answers with the field's error
    note = forms.CharField(
        label=_("免除原因"),
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
