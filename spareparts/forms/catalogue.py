"""Forms of the catalogue: a part, the list's filters and the Excel import."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from service_ops.forms import BootstrapMixin

from ..models import Part
from ..services.catalogue import SEPARATORS

MAX_UPLOAD_BYTES = 10 * 1024 * 1024
MAX_PICTURE_BYTES = 5 * 1024 * 1024


class PartForm(BootstrapMixin, forms.ModelForm):
    fits = forms.CharField(
        label=_("适用型号"),
        required=False,
        max_length=2000,
        help_text=_("多个型号用逗号、顿号或空格分开"),
    )

    class Meta:
        model = Part
        fields = [
            "number",
            "name_zh",
            "name_en",
            "unit",
            "list_price",
            "cost",
            "reorder_level",
            "serialised",
            "is_active",
            "picture",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.order_fields(["number", "name_zh", "name_en", "fits"])
        if self.instance.pk:
            self.fields["number"].disabled = True
            self.initial["fits"] = "、".join(self.instance.fits_list())
        self.fields["picture"].widget.attrs["accept"] = "image/jpeg,image/png,image/webp"

    def clean_number(self):
        return (self.cleaned_data.get("number") or "").strip().upper()

    def clean_fits(self):
        models = sorted({m for m in SEPARATORS.split(self.cleaned_data.get("fits") or "") if m})
        if any(len(m) > 60 for m in models):
            raise ValidationError(_("适用型号过长（每个最多 60 字）"))
        self.cleaned_data["fits_list"] = models
        return "、".join(models)

    def clean_picture(self):
        picture = self.cleaned_data.get("picture")
        if picture and getattr(picture, "size", 0) > MAX_PICTURE_BYTES:
            raise ValidationError(_("图片不能超过 5 MB"))
        return picture

    def clean(self):
        data = super().clean()
        data["fits_list"] = self.cleaned_data.get("fits_list", [])
        return data


class PartFilterForm(BootstrapMixin, forms.Form):
    """The list's filters (never invalid: an unknown value is ignored)."""

    ACTIVE = (("", _("全部")), ("1", _("启用")), ("0", _("已停用")))

    q = forms.CharField(label=_("编号或名称"), required=False, max_length=60)
    model = forms.CharField(label=_("适用型号"), required=False, max_length=60)
    active = forms.ChoiceField(label=_("状态"), choices=ACTIVE, required=False)

    def values(self) -> dict:
        data = self.cleaned_data if self.is_valid() else {}
        return {
            "search": data.get("q", ""),
            "product_model": data.get("model", ""),
            "active": data.get("active", ""),
        }


class PartImportForm(BootstrapMixin, forms.Form):
    file = forms.FileField(
        label=_("配件目录文件（Excel .xlsx）"),
        help_text=_(
            "第一行为表头：配件编号、名称、英文名称、适用型号、单位、销售价、成本价、安全库存、启用"
        ),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_UPLOAD_BYTES:
            raise ValidationError(_("文件不能超过 10 MB"))
        if not upload.name.lower().endswith(".xlsx"):
            raise ValidationError(_("请上传 Excel（.xlsx）文件"))
        return upload
