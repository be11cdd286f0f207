"""The visit page's forms (上门服务, on a phone): check-in, a photo, the report, a part, the
signature, finishing solved or not, and the dispatcher's fault confirmation. Each form only
reads and shapes what was typed; repairs.services.visits decides (its ValidationError lands back
on the form through service_ops.actions.run_action)."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from service_ops.forms import BootstrapMixin
from spareparts.models import Part

from ..choices import PhotoKind
from ..services import visits as vs


class CheckInForm(BootstrapMixin, forms.Form):
    """Filled by the page's script from the browser's Geolocation API; where the browser gives
    no location the engineer says why."""

    latitude = forms.DecimalField(
        required=False, max_digits=9, decimal_places=6, widget=forms.HiddenInput
    )
    longitude = forms.DecimalField(
        required=False, max_digits=9, decimal_places=6, widget=forms.HiddenInput
    )
    accuracy_m = forms.FloatField(required=False, min_value=0, widget=forms.HiddenInput)
    location_unavailable_reason = forms.CharField(
        label=_("未能定位的原因"),
        max_length=200,
        required=False,
        widget=forms.TextInput(attrs={"placeholder": _("例如：浏览器拒绝定位、室内无信号")}),
    )


class PhotoForm(BootstrapMixin, forms.Form):
    kind = forms.ChoiceField(label=_("照片类型"), choices=PhotoKind.choices)
    file = forms.FileField(
        label=_("照片"),
        widget=forms.ClearableFileInput(attrs={"accept": "image/*", "capture": "environment"}),
    )
    upload_key = forms.CharField(max_length=64, required=False, widget=forms.HiddenInput)


class ReportForm(BootstrapMixin, forms.Form):
    diagnosis = forms.CharField(
        label=_("故障诊断"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    work_report = forms.CharField(
        label=_("处理情况"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    distance_km = forms.DecimalField(
        label=_("路程（公里）"),
        required=False,
        min_value=0,
        max_value=vs.MAX_DISTANCE_KM,
        max_digits=7,
        decimal_places=1,
        help_text=_("到客户处的单程距离"),
        widget=forms.NumberInput(attrs={"inputmode": "decimal", "step": "0.1"}),
    )


class PartForm(BootstrapMixin, forms.Form):
    part_number = forms.CharField(label=_("配件"), max_length=40, widget=forms.Select)
    quantity = forms.IntegerField(
        label=_("数量"),
        min_value=1,
        max_value=vs.MAX_PART_QUANTITY,
        initial=1,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )

    def __init__(self, *args, balances=(), **kwargs):
        super().__init__(*args, **kwargs)
        choices = [("", _("请选择"))] + [
            (
                b.part.number,
                f"{b.part.number} {b.part.name_zh}（{_('可用')} {b.available}）",
            )
            for b in balances
        ]
        self.fields["part_number"].widget.choices = choices

    def clean_part_number(self):
        number = self.cleaned_data["part_number"].strip()
        part = Part.objects.filter(number__iexact=number, is_active=True).first()
        if part is None:
            raise ValidationError(_("没有编号为 %(n)s 的启用配件") % {"n": number})
        self.part = part
        return number


class SignatureForm(BootstrapMixin, forms.Form):
    signature = forms.CharField(widget=forms.HiddenInput, required=False)
    stand_in = forms.TypedChoiceField(
        label=_("签字人"),
        choices=[("0", _("报修联系人本人")), ("1", _("他人代签"))],
        coerce=lambda v: v == "1",
        initial="0",
        widget=forms.RadioSelect,
    )
    signer_name = forms.CharField(label=_("代签人姓名"), max_length=60, required=False)


class FinishSolvedForm(BootstrapMixin, forms.Form):
    solved = forms.BooleanField(initial=True, required=False, widget=forms.HiddenInput)


class FinishIncompleteForm(BootstrapMixin, forms.Form):
    incomplete_reason = forms.CharField(
        label=_("未解决原因"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("提交后报修单升级，由派单员确认故障并重新派单"),
    )


class ConfirmFaultForm(BootstrapMixin, forms.Form):
    fault_confirmed = forms.CharField(
        label=_("确认的故障"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("再次上门需要处理的故障及需携带的配件"),
    )
