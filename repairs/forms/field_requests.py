"""Forms of the installed base, the service requests (staff and the public QR page), the
dispatcher's override, the answer to an offer and the appointment."""

from __future__ import annotations

import re

from django import forms
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from network.choices import OrgKind, PointStatus, Role
from network.models import OrgUnit
from service_ops.forms import BootstrapMixin

from ..choices import RequestChannel, ServiceCategory
from ..models import InstalledUnit

PHONE = re.compile(r"^[0-9+\-\s()]{7,20}$")
OWNER_KINDS = (OrgKind.BRANCH, OrgKind.FIELD_OFFICE)
DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


def _phone(value: str) -> str:
    value = (value or "").strip()
    if not PHONE.match(value) or sum(c.isdigit() for c in value) < 7:
        raise ValidationError(_("请填写有效的电话号码"), code="phone")
    return value


class InstalledUnitForm(BootstrapMixin, forms.ModelForm):
    class Meta:
        model = InstalledUnit
        fields = [
            "serial_number",
            "product_model",
            "owner_name",
            "owner_phone",
            "province",
            "city",
            "district",
            "address",
            "purchase_date",
            "warranty_months",
            "warranty_card_number",
            "dealer",
            "seller_name",
            "org_unit",
        ]
        widgets = {"purchase_date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")}

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        visible = OrgUnit.objects.visible_to(user).filter(is_active=True).order_by("path")
        self.fields["dealer"].queryset = visible.filter(kind=OrgKind.DEALER)
        self.fields["org_unit"].queryset = visible.filter(kind__in=OWNER_KINDS)
        self.fields["warranty_months"].widget.attrs.update({"min": 0, "max": 120})

    def clean_serial_number(self):
        value = (self.cleaned_data.get("serial_number") or "").strip().upper()
        clash = InstalledUnit.objects.filter(serial_number=value).exclude(pk=self.instance.pk)
        if clash.exists():
            raise ValidationError(_("该出厂编号已建档"), code="unique")
        return value

    def clean_purchase_date(self):
        value = self.cleaned_data.get("purchase_date")
        if value and value > timezone.localdate():
            raise ValidationError(_("购买日期不能晚于今天"), code="future")
        return value

    def clean_warranty_months(self):
        value = self.cleaned_data.get("warranty_months")
        if value is not None and value > 120:
            raise ValidationError(_("保修月数不能超过 120"), code="max")
        return value

    def clean_owner_phone(self):
        value = self.cleaned_data.get("owner_phone")
        return _phone(value) if value else ""


class ServiceRequestForm(BootstrapMixin, forms.Form):
    """报修 entered by staff (from a call too: the call page's link prefills it)."""

    channel = forms.ChoiceField(
        label=_("报修渠道"),
        choices=[(RequestChannel.STAFF, RequestChannel.STAFF.label),
                 (RequestChannel.CALL, RequestChannel.CALL.label)],
        initial=RequestChannel.STAFF,
    )  # fmt: skip
    category = forms.ChoiceField(label=_("服务类别"), choices=ServiceCategory.choices)
    serial_number = forms.CharField(
        label=_("出厂编号"),
        max_length=60,
        required=False,
        help_text=_("已建档的设备自动带出型号和保修"),
    )
    product_model = forms.CharField(label=_("产品型号"), max_length=60, required=False)
    contact_name = forms.CharField(label=_("联系人"), max_length=60)
    contact_phone = forms.CharField(label=_("联系电话"), max_length=40)
    province = forms.CharField(label=_("省"), max_length=20)
    city = forms.CharField(label=_("市"), max_length=30)
    district = forms.CharField(label=_("区县"), max_length=30, required=False)
    address = forms.CharField(label=_("详细地址"), max_length=200)
    preferred_time = forms.CharField(label=_("期望上门时间"), max_length=60, required=False)
    description = forms.CharField(
        label=_("故障描述"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )
    org_unit = forms.ModelChoiceField(
        label=_("受理单位"),
        queryset=OrgUnit.objects.none(),
        required=False,
        help_text=_("留空：设备的所属单位，或您本单位"),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["org_unit"].queryset = (
            OrgUnit.objects.visible_to(user)
            .filter(is_active=True, kind__in=OWNER_KINDS)
            .order_by("path")
        )

    def clean_contact_phone(self):
        return _phone(self.cleaned_data.get("contact_phone"))

    def clean_serial_number(self):
        return (self.cleaned_data.get("serial_number") or "").strip().upper()


class PublicFaultForm(BootstrapMixin, forms.Form):
    """The QR page's "report a fault" (扫码报修). `website` is a honeypot: people never see it
    (hidden from the eye and from screen readers), bots fill it in."""

    contact_name = forms.CharField(label=_("联系人"), max_length=60)
    contact_phone = forms.CharField(
        label=_("联系电话"),
        max_length=40,
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel"}),
    )
    address = forms.CharField(
        label=_("设备所在地址"),
        max_length=200,
        widget=forms.TextInput(attrs={"autocomplete": "street-address"}),
    )
    category = forms.ChoiceField(
        label=_("服务类别"), choices=ServiceCategory.choices, initial=ServiceCategory.REPAIR
    )
    description = forms.CharField(
        label=_("故障描述"), max_length=1000, widget=forms.Textarea(attrs={"rows": 3})
    )
    preferred_time = forms.CharField(
        label=_("期望上门时间"), max_length=60, required=False, help_text=_("例如：明天下午")
    )
    website = forms.CharField(
        label=_("请勿填写"),
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off", "tabindex": "-1"}),
    )

    def clean_contact_phone(self):
        return _phone(self.cleaned_data.get("contact_phone"))

    @property
    def is_bot(self) -> bool:
        return bool((self.data.get("website") or "").strip())


def _engineers_of(unit_ids):
    return (
        get_user_model()
        .objects.filter(
            is_active=True,
            profile__org_unit_id__in=unit_ids,
            role_assignments__role__in=[Role.LOCAL_ENGINEER, Role.BRANCH_ENGINEER],
        )
        .distinct()
        .order_by("username")
    )


class _UserChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return obj.get_full_name() or obj.username


class OverrideForm(BootstrapMixin, forms.Form):
    to_unit = forms.ModelChoiceField(
        label=_("派给网点"), queryset=OrgUnit.objects.none(), required=False
    )
    to_engineer = _UserChoice(
        label=_("或派给工程师"), queryset=get_user_model().objects.none(), required=False
    )
    reason = forms.CharField(label=_("改派说明"), max_length=200, required=False)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        units = (
            OrgUnit.objects.visible_to(user)
            .filter(
                is_active=True,
                kind__in=[OrgKind.SERVICE_POINT, OrgKind.FIELD_OFFICE],
                service_profile__status=PointStatus.ACTIVE,
            )
            .order_by("path")
        )
        self.fields["to_unit"].queryset = units
        scope = OrgUnit.objects.visible_to(user).filter(
            kind__in=[OrgKind.BRANCH, OrgKind.FIELD_OFFICE, OrgKind.SERVICE_POINT]
        )
        self.fields["to_engineer"].queryset = _engineers_of(scope.values("pk"))

    def clean(self):
        data = super().clean()
        if not data.get("to_unit") and not data.get("to_engineer"):
            raise ValidationError(_("请选择网点或工程师"), code="required")
        return data


class AcceptForm(BootstrapMixin, forms.Form):
    engineer = _UserChoice(
        label=_("上门工程师"),
        queryset=get_user_model().objects.none(),
        required=False,
        help_text=_("留空：由您本人上门（工程师）或稍后安排"),
    )

    def __init__(self, *args, offer, **kwargs):
        super().__init__(*args, **kwargs)
        if offer.to_unit_id:
            self.fields["engineer"].queryset = _engineers_of([offer.to_unit_id])


class ReasonForm(BootstrapMixin, forms.Form):
    reason = forms.CharField(label=_("原因"), max_length=200)


class AppointmentForm(BootstrapMixin, forms.Form):
    window_start = forms.DateTimeField(label=_("预约开始"), widget=DATETIME)
    window_end = forms.DateTimeField(label=_("预约结束"), widget=DATETIME)
    reason = forms.CharField(
        label=_("改约原因"), max_length=200, required=False, help_text=_("改约时必填")
    )
