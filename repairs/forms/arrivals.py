"""Forms of the unauthorised-arrival and penalty pages."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from network.choices import OrgKind
from network.models import OrgUnit
from service_ops.forms import BootstrapMixin


class ArrivalForm(BootstrapMixin, forms.Form):
    shipper_unit = forms.ModelChoiceField(
        label=_("发货单位"),
        queryset=OrgUnit.objects.none(),
        empty_label=_("请选择发货单位"),
        help_text=_("分公司、代理商或网点"),
    )
    units = forms.IntegerField(label=_("台数"), min_value=1, max_value=99999, initial=1)
    arrived_at = forms.DateTimeField(
        label=_("到货时间"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        help_text=_("留空为现在"),
    )
    description = forms.CharField(
        label=_("货物说明"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    return_carrier = forms.CharField(label=_("退回承运商"), max_length=60, required=False)
    return_tracking = forms.CharField(label=_("退回单号"), max_length=60, required=False)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["shipper_unit"].queryset = (
            OrgUnit.objects.visible_to(user)
            .filter(
                kind__in=[OrgKind.BRANCH, OrgKind.DEALER, OrgKind.SERVICE_POINT],
                is_active=True,
            )
            .order_by("path")
        )

    def clean_arrived_at(self):
        value = self.cleaned_data.get("arrived_at")
        if value and value > timezone.now():
            raise ValidationError(_("到货时间不能晚于现在"))
        return value


class PenaltyConfirmForm(BootstrapMixin, forms.Form):
    amount = forms.DecimalField(
        label=_("确认金额/分数"),
        max_digits=8,
        decimal_places=2,
        widget=forms.NumberInput(attrs={"inputmode": "decimal", "step": "0.01"}),
    )

    def __init__(self, *args, penalty, **kwargs):
        kwargs.setdefault("prefix", f"p{penalty.pk}")
        kwargs.setdefault("initial", {"amount": penalty.amount_min})
        super().__init__(*args, **kwargs)
        widget = self.fields["amount"].widget
        widget.attrs.update({"min": penalty.amount_min, "max": penalty.amount_max})


class PenaltyWaiveForm(BootstrapMixin, forms.Form):
    note = forms.CharField(label=_("免除原因"), max_length=200)

    def __init__(self, *args, penalty, **kwargs):
        kwargs.setdefault("prefix", f"w{penalty.pk}")
        super().__init__(*args, **kwargs)
