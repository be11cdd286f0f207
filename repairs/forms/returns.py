"""Forms of the return-application pages. A form validates the input and hands it to a service;
it never writes a state field. Service ValidationErrors are mapped back onto the form
(`service_ops.actions.apply_service_errors`) so the page shows them in place and keeps what was
typed."""

from __future__ import annotations

import re
from collections.abc import Iterable

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.forms.utils import ErrorDict
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from network.choices import OrgKind
from network.models import OrgUnit
from network.visibility import user_org_unit
from service_ops.forms import BootstrapMixin

from ..choices import FreightTerms, IntakeChannel, Platform, ShippingMethod, Urgency
from ..models import ReturnApplication, ReturnAttachment, ReturnLine
from ..services.returns import HeaderInput, LineInput
from ..validators import validate_purchase_date

MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024
ATTACHMENT_TYPES = {
    ".jpg": (b"\xff\xd8\xff",),
    ".jpeg": (b"\xff\xd8\xff",),
    ".png": (b"\x89PNG\r\n\x1a\n",),
    ".gif": (b"GIF87a", b"GIF89a"),
    ".webp": (b"RIFF",),
    ".pdf": (b"%PDF-",),
}


# --- the application: header and lines ----------------------------------------------------------


class ReturnHeaderForm(BootstrapMixin, forms.Form):
    contact_name = forms.CharField(label=_("联系人"), max_length=60)
    contact_phone = forms.CharField(
        label=_("联系电话"),
        max_length=40,
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "tel", "inputmode": "tel"}),
    )
    dealer = forms.ModelChoiceField(
        label=_("代理商"),
        queryset=OrgUnit.objects.none(),
        required=False,
        empty_label=_("请选择代理商"),
        help_text=_("管理型分公司代代理商提交时必填"),
    )
    pickup_address = forms.CharField(label=_("提货地址"), max_length=255, required=False)
    shipping_method = forms.ChoiceField(
        label=_("发货方式"), choices=ShippingMethod.choices, initial=ShippingMethod.LOGISTICS
    )
    freight_terms = forms.ChoiceField(
        label=_("运费"),
        choices=FreightTerms.choices,
        initial=FreightTerms.PREPAID,
        help_text=_("运费须由发货方自付，到付一律拒收。"),
    )
    urgency = forms.ChoiceField(
        label=_("紧急程度"),
        choices=Urgency.choices,
        initial=Urgency.NORMAL,
        required=False,  # 普通 unless said
        help_text=_("紧急的机器在维修组优先安排。"),
    )
    remarks = forms.CharField(
        label=_("备注"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["contact_name"].widget.attrs["autocomplete"] = "name"
        unit = user_org_unit(user)
        branch = unit.nearest(OrgKind.BRANCH) if unit and unit.kind != OrgKind.DEALER else None
        if branch is not None and branch.branch_kind == Platform.MANAGED:
            self.fields["dealer"].queryset = OrgUnit.objects.filter(
                kind=OrgKind.DEALER, path__startswith=branch.path, is_active=True
            ).order_by("name")
            self.fields["dealer"].required = True
        else:  # a dealer applies for itself; an operating branch has no dealer
            del self.fields["dealer"]

    def to_input(self) -> HeaderInput:
        data = self.cleaned_data
        return HeaderInput(
            contact_name=data["contact_name"],
            contact_phone=data["contact_phone"],
            shipping_method=data["shipping_method"],
            freight_terms=data["freight_terms"],
            urgency=data.get("urgency") or Urgency.NORMAL,
            pickup_address=data.get("pickup_address", ""),
            remarks=data.get("remarks", ""),
            dealer=data.get("dealer"),
        )

    @staticmethod
    def initial_from(application: ReturnApplication) -> dict:
        return {
            "contact_name": application.contact_name,
            "contact_phone": application.contact_phone,
            "dealer": application.dealer_id,
            "pickup_address": application.pickup_address,
            "shipping_method": application.shipping_method,
            "freight_terms": application.freight_terms,
            "urgency": application.urgency,
            "remarks": application.remarks,
        }


class ReturnLineForm(BootstrapMixin, forms.Form):
    product_model = forms.CharField(label=_("产品型号"), max_length=60)
    serial_number = forms.CharField(
        label=_("出厂编号"),
        max_length=60,
        required=False,
        help_text=_("有编号时数量为 1"),
        widget=forms.TextInput(attrs={"autocapitalize": "characters", "spellcheck": "false"}),
    )
    quantity = forms.IntegerField(
        label=_("数量"),
        min_value=1,
        max_value=9999,
        initial=1,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    purchase_date = forms.DateField(
        label=_("购买日期"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    has_warranty_card = forms.BooleanField(label=_("有保修卡"), required=False, initial=True)
    has_proof_of_purchase = forms.BooleanField(label=_("有购买凭证"), required=False, initial=True)
    has_seller_stamp = forms.BooleanField(
        label=_("保修卡有销售店印章"), required=False, initial=True
    )
    fault_description = forms.CharField(
        label=_("故障描述"), widget=forms.Textarea(attrs={"rows": 2})
    )

    def clean_purchase_date(self):
        value = self.cleaned_data.get("purchase_date")
        validate_purchase_date(value)
        return value

    def clean(self):
        data = super().clean()
        if (data.get("serial_number") or "").strip() and data.get("quantity", 1) != 1:
            self.add_error("quantity", _("有出厂编号的明细数量必须为 1"))
        return data

    def to_input(self) -> LineInput:
        data = self.cleaned_data
        return LineInput(
            product_model=data["product_model"],
            serial_number=data.get("serial_number", ""),
            quantity=data["quantity"],
            purchase_date=data.get("purchase_date"),
            has_warranty_card=data.get("has_warranty_card", False),
            has_proof_of_purchase=data.get("has_proof_of_purchase", False),
            has_seller_stamp=data.get("has_seller_stamp", False),
            fault_description=data["fault_description"],
        )

    @staticmethod
    def initial_from(line: ReturnLine) -> dict:
        return {
            "product_model": line.product_model,
            "serial_number": line.serial_number,
            "quantity": line.quantity,
            "purchase_date": line.purchase_date,
            "has_warranty_card": line.has_warranty_card,
            "has_proof_of_purchase": line.has_proof_of_purchase,
            "has_seller_stamp": line.has_seller_stamp,
            "fault_description": line.fault_description,
        }


class BaseLineFormSet(forms.BaseFormSet):
    def add_fields(self, form, index):
        super().add_fields(form, index)
        if "DELETE" in form.fields:
            form.fields["DELETE"].label = _("删除此行")
            form.fields["DELETE"].widget.attrs["class"] = "form-check-input"

    def clean(self):
        super().clean()
        if any(self.errors):
            return
        seen = set()
        for form in self.forms:
            if not form.cleaned_data or self._should_delete_form(form):
                continue
            serial = (form.cleaned_data.get("serial_number") or "").strip().upper()
            if serial and serial in seen:
                form.add_error("serial_number", _("出厂编号重复"))
            seen.add(serial)
        if not self.line_inputs():
            raise ValidationError(_("至少填写一台返修机"))

    def line_inputs(self) -> list[LineInput]:
        return [
            form.to_input()
            for form in self.forms
            if form.is_valid() and form.cleaned_data and not self._should_delete_form(form)
        ]


LINES_PREFIX = "lines"
MAX_LINES = 200


def _line_formset_class(extra: int):
    return forms.formset_factory(
        ReturnLineForm,
        formset=BaseLineFormSet,
        extra=extra,
        can_delete=True,
        max_num=MAX_LINES,
        absolute_max=MAX_LINES,
    )


def line_formset(data=None, *, lines: Iterable[ReturnLine] = (), extra: int = 0):
    """The lines formset; on edit the existing lines are its initial rows, on create one empty
    row. `extra` adds empty rows (the no-JavaScript "add a row" button)."""
    initial = [ReturnLineForm.initial_from(line) for line in lines]
    formset_class = _line_formset_class(extra + (0 if initial else 1))
    return formset_class(data, initial=initial or None, prefix=LINES_PREFIX)


def with_extra_row(formset):
    """The same bound data plus one empty row (keeps what was typed)."""
    data = formset.data.copy()
    total = formset.total_form_count()
    if total < MAX_LINES:
        data[f"{LINES_PREFIX}-TOTAL_FORMS"] = str(total + 1)
    return quiet(_line_formset_class(0)(data, prefix=LINES_PREFIX))


class IntakeForm(BootstrapMixin, forms.Form):
    """The clerk's part of an application that came by fax or e-mail: whose it is, how it came,
    and the scan of the form as received. Its field names are the service's (rma_intake)."""

    sender_unit = forms.ModelChoiceField(
        label=_("申请单位"),
        queryset=OrgUnit.objects.filter(
            Q(kind=OrgKind.DEALER) | Q(kind=OrgKind.BRANCH, branch_kind=Platform.OPERATING),
            is_active=True,
        ).order_by("kind", "code"),
        empty_label=_("请选择发来申请表的分公司或代理商"),
        help_text=_("经营型分公司或代理商（管理平台由代理商提报）；其人员为申请人，审批照常进行。"),
    )
    channel = forms.ChoiceField(
        label=_("收到方式"),
        choices=[(c.value, c.label) for c in (IntakeChannel.FAX, IntakeChannel.EMAIL)],
    )
    scanned_form = forms.FileField(
        label=_("申请表扫描件"),
        help_text=_("收到的传真或邮件附件（PDF 或图片，10 MB 以内）；页面出错时需重新选择文件。"),
        widget=forms.ClearableFileInput(attrs={"accept": "application/pdf,image/*"}),
    )


def quiet(form_or_formset):
    """Show bound data without validating it (adding a row is not a save)."""
    if isinstance(form_or_formset, forms.BaseFormSet):
        form_or_formset._errors = []
        form_or_formset._non_form_errors = form_or_formset.error_class()
        for form in form_or_formset.forms:
            form._errors = ErrorDict()
    else:
        form_or_formset._errors = ErrorDict()
    return form_or_formset


def blank_line_form(index: int) -> ReturnLineForm:
    """One more empty row for the formset (htmx "add a row")."""
    formset = _line_formset_class(0)(prefix=LINES_PREFIX)
    form = ReturnLineForm(
        auto_id=formset.auto_id,
        prefix=formset.add_prefix(index),
        empty_permitted=True,
        use_required_attribute=False,
    )
    formset.add_fields(form, index)
    form.fields["product_model"].widget.attrs["autofocus"] = True
    return form


class WithdrawForm(BootstrapMixin, forms.Form):
    reason = forms.CharField(
        label=_("撤回原因"), max_length=500, widget=forms.Textarea(attrs={"rows": 2})
    )


class DecisionForm(BootstrapMixin, forms.Form):
    APPROVE, REJECT = "approve", "reject"

    decision = forms.ChoiceField(choices=[(APPROVE, _("同意")), (REJECT, _("驳回"))])
    comment = forms.CharField(
        label=_("意见"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2, "placeholder": _("驳回时必填")}),
    )

    def clean(self):
        data = super().clean()
        if data.get("decision") == self.REJECT and not (data.get("comment") or "").strip():
            self.add_error("comment", _("驳回时请填写原因"))
        return data

    @property
    def approve(self) -> bool:
        return self.cleaned_data["decision"] == self.APPROVE


# --- logistics --------------------------------------------------------------------------------


class BookPickupForm(BootstrapMixin, forms.Form):
    pickup_date = forms.DateField(
        label=_("提货日期"), widget=forms.DateInput(attrs={"type": "date"})
    )
    driver_name = forms.CharField(label=_("司机"), max_length=40)
    driver_phone = forms.CharField(
        label=_("司机电话"),
        max_length=40,
        required=False,
        widget=forms.TextInput(attrs={"type": "tel", "inputmode": "tel"}),
    )
    vehicle_plate = forms.CharField(label=_("车牌"), max_length=20, required=False)

    def clean_pickup_date(self):
        value = self.cleaned_data["pickup_date"]
        if value < timezone.localdate():
            raise ValidationError(_("提货日期不能早于今天"))
        return value


class PickupCountForm(BootstrapMixin, forms.Form):
    counted_units = forms.IntegerField(label=_("提货清点台数"), min_value=0, max_value=99999)
    shipper_count = forms.IntegerField(label=_("发货方台数"), min_value=0, max_value=99999)
    note = forms.CharField(label=_("说明"), required=False, max_length=255)


# Between a model and its serial: a tab, a comma or a semicolon; or else the last space (model
# names have spaces in them: "XG-3200 控制器 SN0001").
FIELD_SPLIT = re.compile(r"\s*[\t,，;；]\s*")


class ReceiveForm(BootstrapMixin, forms.Form):
    """Units received, one a line: "SERIAL" or "MODEL SERIAL" (a scanner types the serial and a
    newline). A serial alone takes the model of the application line with that serial, else the
    application's only model."""

    units = forms.CharField(
        label=_("收到的机器"),
        widget=forms.Textarea(
            attrs={
                "rows": 8,
                "spellcheck": "false",
                "autocapitalize": "characters",
                "autocomplete": "off",
                "placeholder": "SN0001\nGPS-X1 SN0002",
            }
        ),
        help_text=_(
            "扫码或输入，每行一台：“序列号”或“型号 序列号”（型号可含空格；也可用 Tab 或逗号分隔）。"
        ),
    )
    freight_terms = forms.ChoiceField(
        label=_("到货运费"),
        choices=FreightTerms.choices,
        initial=FreightTerms.PREPAID,
        widget=forms.RadioSelect,
        help_text=_("到付一律拒收。"),
    )

    def __init__(self, *args, application: ReturnApplication, **kwargs):
        super().__init__(*args, **kwargs)
        self.application_lines = list(application.lines.all())

    def clean_units(self) -> list[tuple[str, str]]:
        by_serial = {
            ln.serial_number.upper(): ln.product_model
            for ln in self.application_lines
            if ln.serial_number
        }
        models_ = {ln.product_model.upper(): ln.product_model for ln in self.application_lines}
        only_model = next(iter(models_.values())) if len(models_) == 1 else None
        units, errors, seen = [], [], set()
        raw_lines = [r.strip() for r in self.cleaned_data["units"].splitlines()]
        for n, raw in enumerate(raw_lines, start=1):
            if not raw:
                continue
            parts = [p for p in FIELD_SPLIT.split(raw) if p]
            if len(parts) == 1 and raw.upper() not in by_serial and raw.upper() not in models_:
                parts = raw.rsplit(None, 1)
            if len(parts) == 2:
                parts[0] = " ".join(parts[0].split())  # one space inside a model name
            if len(parts) > 2:
                errors.append(_("第 %(n)d 行：格式应为“序列号”或“型号 序列号”") % {"n": n})
                continue
            if len(parts) == 2:
                model, serial = parts
            else:
                token = parts[0]
                if token.upper() in by_serial:
                    model, serial = by_serial[token.upper()], token
                elif token.upper() in models_ and token.upper() not in by_serial:
                    model, serial = models_[token.upper()], ""  # a unit without a serial label
                elif only_model:
                    model, serial = only_model, token
                else:
                    errors.append(
                        _("第 %(n)d 行：%(s)s 不在申请中且申请有多个型号，请写成“型号 序列号”")
                        % {"n": n, "s": token}
                    )
                    continue
            if serial and serial.upper() in seen:
                errors.append(_("第 %(n)d 行：序列号 %(s)s 重复") % {"n": n, "s": serial})
                continue
            if serial:
                seen.add(serial.upper())
            units.append((model, serial))
        if errors:
            raise ValidationError(errors)
        if not units:
            raise ValidationError(_("请至少录入一台收到的机器"))
        return units


class CommentForm(BootstrapMixin, forms.Form):
    """An optional note on an action that needs nothing else (closing an application)."""

    comment = forms.CharField(label=_("备注"), required=False, max_length=500)


# --- attachments --------------------------------------------------------------------------------


class AttachmentForm(BootstrapMixin, forms.Form):
    file = forms.FileField(
        label=_("附件"),
        help_text=_("图片（JPG、PNG、GIF、WebP）或 PDF，单个不超过 10 MB"),
        widget=forms.ClearableFileInput(attrs={"accept": "image/*,application/pdf"}),
    )
    line = forms.ModelChoiceField(
        label=_("对应机器"),
        queryset=ReturnLine.objects.none(),
        required=False,
        empty_label=_("整张申请"),
    )

    def __init__(self, *args, application: ReturnApplication, **kwargs):
        super().__init__(*args, **kwargs)
        self.application = application
        self.fields["line"].queryset = application.lines.all()

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_ATTACHMENT_BYTES:
            raise ValidationError(_("文件不能超过 10 MB"))
        name = upload.name.lower()
        ext = name[name.rfind(".") :] if "." in name else ""
        signatures = ATTACHMENT_TYPES.get(ext)
        if signatures is None:
            raise ValidationError(_("只接受图片（JPG、PNG、GIF、WebP）或 PDF 文件"))
        head = upload.read(16)
        upload.seek(0)
        if not any(head.startswith(sig) for sig in signatures):
            raise ValidationError(_("文件内容与扩展名不符"))
        return upload

    def save(self, *, actor) -> ReturnAttachment:
        """An attachment is not a state change: it is written here (candidate for a service)."""
        return ReturnAttachment.objects.create(
            application=self.application,
            line=self.cleaned_data.get("line"),
            file=self.cleaned_data["file"],
            uploaded_by=actor,
        )


# --- ranking --------------------------------------------------------------


class YearForm(forms.Form):
    year = forms.IntegerField(min_value=2000, max_value=2100, required=False)

    def year_or(self, default: int) -> int:
        if self.is_valid() and self.cleaned_data.get("year"):
            return self.cleaned_data["year"]
        return default


def this_year() -> int:
    return timezone.localdate().year
