"""Forms of the activation-code pages: a registered number, the code store's search and import."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from network.choices import OrgKind
from service_ops.forms import BootstrapMixin

from ..selectors.activation import sender_units_visible_to

MAX_UPLOAD_BYTES = 20 * 1024 * 1024


class UnitChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.name}（{obj.get_kind_display()} {obj.code}）"


class RegisteredNumberForm(BootstrapMixin, forms.Form):
    org_unit = UnitChoiceField(
        label=_("驻外办事处或特约维修网点"),
        queryset=None,
        empty_label=_("请选择"),
    )
    phone = forms.CharField(
        label=_("手机号码"),
        max_length=20,
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off"}),
        help_text=_("11 位手机号码，可带 +86、空格或连字符"),
    )
    note = forms.CharField(label=_("备注"), max_length=60, required=False)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["org_unit"].queryset = sender_units_visible_to(user).filter(is_active=True)


class NumberFilterForm(BootstrapMixin, forms.Form):
    """The list's filters (never invalid: an unknown value is ignored)."""

    ACTIVE = (("", _("全部")), ("1", _("启用")), ("0", _("已停用")))
    KINDS = (("", _("全部类型")), (OrgKind.FIELD_OFFICE.value, OrgKind.FIELD_OFFICE.label),
             (OrgKind.SERVICE_POINT.value, OrgKind.SERVICE_POINT.label))  # fmt: skip

    q = forms.CharField(label=_("搜索"), required=False, max_length=60)
    kind = forms.ChoiceField(label=_("类型"), choices=KINDS, required=False)
    active = forms.ChoiceField(label=_("状态"), choices=ACTIVE, required=False)
    unit = forms.IntegerField(required=False, widget=forms.HiddenInput, min_value=1)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["q"].widget.attrs["placeholder"] = _("号码、单位或备注")

    def values(self) -> dict:
        data = self.cleaned_data if self.is_valid() else {}
        active = data.get("active", "")
        return {
            "q": data.get("q", ""),
            "kind": data.get("kind", ""),
            "active": None if active == "" else active == "1",
            "unit": data.get("unit"),
        }


class CodeImportForm(BootstrapMixin, forms.Form):
    file = forms.FileField(
        label=_("激活码文件（Excel .xlsx）"),
        help_text=_(
            "第一个工作表，首行为表头：设备序列号、激活码，可选产品型号。已有的序列号将更新为新的激活码。"
        ),
        widget=forms.ClearableFileInput(
            attrs={
                "accept": ".xlsx,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
            }
        ),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_UPLOAD_BYTES:
            raise ValidationError(_("文件过大（最大 20 MB），请分成多个文件导入"))
        if not upload.name.lower().endswith(".xlsx"):
            raise ValidationError(_("请上传 Excel（.xlsx）文件"))
        return upload
