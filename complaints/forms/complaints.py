"""Forms of the complaint pages. They validate what was typed; the services decide."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from network.choices import PARTNER_KINDS
from network.models import OrgUnit
from service_ops.forms import BootstrapMixin, PersonChoiceField

from ..choices import ActionKind, Category, Channel, Classification, ProblemType, Severity

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
MONEY = {"max_digits": 10, "decimal_places": 2, "min_value": Decimal("0"), "required": False}
MAX_FILES = 5
MAX_FILE_BYTES = 10 * 1024 * 1024


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(d, initial) for d in data]
        return [single(data, initial)] if data else []


class ComplaintForm(BootstrapMixin, forms.Form):
    complainant_name = forms.CharField(label=_("投诉人"), max_length=60)
    complainant_phone = forms.CharField(label=_("联系电话"), max_length=40, required=False)
    complainant_unit = forms.ModelChoiceField(
        label=_("投诉单位"),
        queryset=OrgUnit.objects.none(),
        required=False,
        help_text=_("代理商或特约维修网点投诉时选择"),
    )
    channel = forms.ChoiceField(label=_("投诉渠道"), choices=Channel.choices, initial=Channel.CALL)
    category = forms.ChoiceField(label=_("投诉类别"), choices=Category.choices)
    product_model = forms.CharField(label=_("产品型号"), max_length=60, required=False)
    serial_number = forms.CharField(label=_("设备序列号"), max_length=60, required=False)
    call_ref = forms.CharField(label=_("关联来电"), max_length=40, required=False)
    order_ref = forms.CharField(
        label=_("关联单据"),
        max_length=40,
        required=False,
        help_text=_("返修申请、维修单或上门服务单号"),
    )
    content = forms.CharField(label=_("投诉内容"), widget=forms.Textarea(attrs={"rows": 4}))
    expected_outcome = forms.CharField(
        label=_("客户期望"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )
    amount_claimed = forms.DecimalField(label=_("索赔金额"), **MONEY)
    files = MultipleFileField(label=_("附件"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["complainant_unit"].queryset = OrgUnit.objects.filter(
            kind__in=PARTNER_KINDS
        ).order_by("name")

    def clean_files(self):
        files = self.cleaned_data.get("files") or []
        if len(files) > MAX_FILES:
            raise forms.ValidationError(_("最多上传 %(n)d 个附件") % {"n": MAX_FILES})
        for f in files:
            if f.size > MAX_FILE_BYTES:
                raise forms.ValidationError(_("单个附件不能超过 10 MB"))
        return files


class JudgeForm(BootstrapMixin, forms.Form):
    valid = forms.TypedChoiceField(
        label=_("投诉是否成立"),
        choices=(("1", _("成立，展开调查")), ("0", _("不成立，婉转答复客户并结案"))),
        coerce=lambda v: v == "1",
    )
    severity = forms.ChoiceField(label=_("严重程度"), choices=Severity.choices, required=False)
    reason = forms.CharField(
        label=_("不成立说明"),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        help_text=_("将以短信婉转告知客户"),
    )


class InvestigationForm(BootstrapMixin, forms.Form):
    cause = forms.CharField(label=_("投诉原因"), widget=forms.Textarea(attrs={"rows": 3}))
    problem_type = forms.ChoiceField(label=_("问题性质"), choices=ProblemType.choices)
    responsible_unit = forms.ModelChoiceField(
        label=_("责任部门"), queryset=OrgUnit.objects.order_by("path")
    )
    responsible_person = PersonChoiceField(
        label=_("责任人"),
        queryset=get_user_model().objects.filter(is_active=True).order_by("username"),
        required=False,
    )


class OptionForm(BootstrapMixin, forms.Form):
    description = forms.CharField(label=_("方案内容"), widget=forms.Textarea(attrs={"rows": 3}))
    compensation = forms.DecimalField(label=_("补偿金额"), **MONEY)
    promised_by = forms.DateField(label=_("承诺完成日期"), widget=DATE)


class ApproveForm(BootstrapMixin, forms.Form):
    option = forms.TypedChoiceField(label=_("选定方案"), coerce=int, choices=())
    comment = forms.CharField(
        label=_("审批意见"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )

    def __init__(self, *args, options=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["option"].choices = [(o.pk, o.description[:80]) for o in options]


class ConfirmForm(forms.Form):
    """A button with nothing to type; the service's refusal shows as the form's error."""


class CommentForm(BootstrapMixin, forms.Form):
    comment = forms.CharField(
        label=_("审批意见"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )


class ActionForm(BootstrapMixin, forms.Form):
    kind = forms.ChoiceField(label=_("措施类型"), choices=ActionKind.choices)
    description = forms.CharField(label=_("措施说明"), widget=forms.Textarea(attrs={"rows": 2}))
    amount = forms.DecimalField(label=_("金额"), **MONEY)


class ReplyForm(BootstrapMixin, forms.Form):
    reply = forms.CharField(
        label=_("客户意见"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )


class CallbackForm(BootstrapMixin, forms.Form):
    result = forms.CharField(label=_("回访结果"), widget=forms.Textarea(attrs={"rows": 2}))
    satisfied = forms.TypedChoiceField(
        label=_("客户是否满意"),
        choices=(("", "—"), ("1", _("满意")), ("0", _("不满意"))),
        coerce=lambda v: v == "1",
        empty_value=None,
        required=False,
    )


class CloseForm(BootstrapMixin, forms.Form):
    classification = forms.ChoiceField(label=_("投诉分类"), choices=Classification.choices)
    root_cause = forms.CharField(label=_("根本原因"), widget=forms.Textarea(attrs={"rows": 2}))
    improvement_action = forms.CharField(
        label=_("改进措施"), widget=forms.Textarea(attrs={"rows": 2})
    )
