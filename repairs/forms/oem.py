"""Forms of the car-factory unit pages (回购机, 江淮备用机). A form checks what was typed and hands
it to repairs.services.oem; the service's errors come back onto the form."""

from __future__ import annotations

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from service_ops.forms import BootstrapMixin

from ..choices import BackupCondition, BuybackDecision, BuybackGrade
from ..models import OemCustomer, OemStore

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
MONEY = forms.NumberInput(attrs={"inputmode": "decimal", "step": "0.01", "min": "0"})


class IntakeForm(BootstrapMixin, forms.Form):
    oem = forms.ModelChoiceField(
        label=_("车厂"),
        queryset=OemCustomer.objects.none(),
        error_messages={"required": _("请选择车厂"), "invalid_choice": _("请选择车厂")},
    )
    received_on = forms.DateField(
        label=_("收货日期"), widget=DATE, error_messages={"required": _("请填写收货日期")}
    )
    oem_reference = forms.CharField(label=_("车厂单号"), max_length=40, required=False)
    default_model = forms.CharField(
        label=_("型号"),
        max_length=60,
        required=False,
        help_text=_("各行未填写型号时使用。"),
    )
    serials = forms.CharField(
        label=_("出厂编号清单"),
        required=False,
        max_length=60000,
        widget=forms.Textarea(
            attrs={
                "rows": 8,
                "spellcheck": "false",
                "autocomplete": "off",
                "placeholder": "JH8801000123, NAV-J7, 黑屏\nJH8801000124, NAV-J7",
            }
        ),
        help_text=_(
            "每行一台：“出厂编号, 型号, 车厂反馈故障”（型号、故障可省略）；可从 Excel 直接粘贴。"
        ),
    )
    file = forms.FileField(
        label=_("或导入 Excel"),
        required=False,
        help_text=_("首行为表头：出厂编号（必填）、型号、故障。"),
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx"}),
    )
    note = forms.CharField(label=_("备注"), max_length=255, required=False)

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["oem"].queryset = OemCustomer.objects.visible_to(user).filter(is_active=True)
        if not self.is_bound:
            self.fields["received_on"].initial = timezone.localdate()

    def clean(self):
        data = super().clean()
        if not (data.get("serials") or "").strip() and not data.get("file"):
            self.add_error("serials", _("请填写出厂编号清单，或导入 Excel 文件"))
        return data


class InspectForm(BootstrapMixin, forms.Form):
    findings = forms.CharField(
        label=_("检测结果"),
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": _("请填写检测结果")},
    )
    fault_codes = forms.CharField(
        label=_("故障代码"),
        max_length=120,
        required=False,
        help_text=_("多个代码用逗号或空格分隔。"),
    )
    grade = forms.ChoiceField(
        label=_("等级"),
        choices=BuybackGrade.choices,
        widget=forms.RadioSelect,
        error_messages={"required": _("请选择等级"), "invalid_choice": _("请选择等级")},
    )


class DecideForm(BootstrapMixin, forms.Form):
    decision = forms.ChoiceField(
        label=_("处理决定"),
        choices=BuybackDecision.choices,
        widget=forms.RadioSelect,
        error_messages={"required": _("请选择处理决定"), "invalid_choice": _("请选择处理决定")},
    )
    repair_order_number = forms.CharField(
        label=_("关联维修单号"),
        max_length=24,
        required=False,
        help_text=_("维修时可选：已为该机开了维修单就填上；不填则在本页登记维修结果。"),
    )
    note = forms.CharField(label=_("说明"), max_length=255, required=False)


class FinishForm(BootstrapMixin, forms.Form):
    outcome = forms.CharField(
        label=_("处理结果"),
        max_length=255,
        error_messages={"required": _("请填写处理结果")},
        help_text=_("例如：翻新后入成品仓、更换主板后入库、拆件后报废。"),
    )
    cost_parts = forms.DecimalField(
        label=_("材料费"), min_value=0, max_value=100000, decimal_places=2, initial=0, widget=MONEY
    )
    cost_labour = forms.DecimalField(
        label=_("人工费"), min_value=0, max_value=100000, decimal_places=2, initial=0, widget=MONEY
    )
    cost_freight = forms.DecimalField(
        label=_("运费"), min_value=0, max_value=100000, decimal_places=2, initial=0, widget=MONEY
    )


UNIT_FORMS = {"inspect": InspectForm, "decide": DecideForm, "finish": FinishForm}


class LendForm(BootstrapMixin, forms.Form):
    store = forms.ModelChoiceField(
        label=_("借用门店"),
        queryset=OemStore.objects.none(),
        error_messages={"required": _("请选择门店"), "invalid_choice": _("请选择门店")},
    )
    failed_serial = forms.CharField(
        label=_("故障机出厂编号"),
        max_length=60,
        error_messages={"required": _("请填写故障机的出厂编号")},
    )
    failed_model = forms.CharField(label=_("故障机型号"), max_length=60, required=False)
    failed_fault = forms.CharField(
        label=_("故障现象"), max_length=255, error_messages={"required": _("请填写故障现象")}
    )
    lent_on = forms.DateField(
        label=_("借出日期"), widget=DATE, error_messages={"required": _("请填写借出日期")}
    )

    def __init__(self, *args, backup=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["store"].queryset = OemStore.objects.filter(
            oem_id=backup.oem_id if backup else None, is_active=True
        ).order_by("code")
        if not self.is_bound:
            self.fields["lent_on"].initial = timezone.localdate()


class ReturnForm(BootstrapMixin, forms.Form):
    returned_on = forms.DateField(
        label=_("归还日期"), widget=DATE, error_messages={"required": _("请填写归还日期")}
    )
    condition = forms.ChoiceField(
        label=_("归还状况"),
        choices=BackupCondition.choices,
        widget=forms.RadioSelect,
        initial=BackupCondition.GOOD,
        error_messages={"required": _("请选择归还状况")},
    )
    note = forms.CharField(label=_("说明"), max_length=255, required=False)
    failed_received = forms.BooleanField(label=_("故障机同时收到"), required=False, initial=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.fields["returned_on"].initial = timezone.localdate()


class ReceiveFailedForm(BootstrapMixin, forms.Form):
    received_on = forms.DateField(
        label=_("故障机收到日期"), widget=DATE, error_messages={"required": _("请填写日期")}
    )


class SendOriginalForm(BootstrapMixin, forms.Form):
    sent_on = forms.DateField(
        label=_("原机修复寄回日期"), widget=DATE, error_messages={"required": _("请填写日期")}
    )


SWAP_FORMS = {
    "return": ReturnForm,
    "receive_failed": ReceiveFailedForm,
    "send_original": SendOriginalForm,
}


class BackupStepForm(BootstrapMixin, forms.Form):
    comment = forms.CharField(label=_("说明"), max_length=255, required=False)


class ReconciliationForm(BootstrapMixin, forms.Form):
    note = forms.CharField(label=_("说明"), max_length=255, required=False)
