"""Forms of the callback screens. Each validates what was typed and hands it to a service; none
writes a state field. A service's ValidationError is put back on the form by run_action."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from network.choices import OrgKind
from network.models import OrgUnit
from service_ops.forms import BootstrapMixin

from ..choices import CallbackPurpose, CallResult, Satisfaction


def time_input() -> forms.TimeInput:
    return forms.TimeInput(attrs={"type": "time"}, format="%H:%M")


class CallResultForm(BootstrapMixin, forms.Form):
    """One call: its call result, and the business result when the customer was reached."""

    attempts = forms.IntegerField(widget=forms.HiddenInput, min_value=0)
    result = forms.ChoiceField(
        label=_("呼叫结果"), choices=CallResult.choices, widget=forms.RadioSelect
    )
    satisfaction = forms.TypedChoiceField(
        label=_("满意度"),
        choices=[(v, f"{v} {label}") for v, label in Satisfaction.choices],
        coerce=int,
        empty_value=None,
        required=False,
        widget=forms.RadioSelect,
        help_text=_("接通且有效时必填：1 非常不满意 … 5 非常满意"),
    )
    comments = forms.CharField(
        label=_("客户意见和建议"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    is_valid = forms.TypedChoiceField(
        label=_("回访是否有效"),
        choices=[("1", _("有效")), ("0", _("无效"))],
        coerce=lambda v: v == "1",
        initial="1",
        widget=forms.RadioSelect,
        required=False,
        empty_value=True,
    )
    invalid_reason = forms.CharField(
        label=_("无效原因"),
        required=False,
        max_length=200,
        help_text=_("例如：非本人、不了解情况、号码已转他人"),
    )
    note = forms.CharField(label=_("拨打备注"), required=False, max_length=200)
    preferred_from = forms.TimeField(
        label=_("客户方便接听（起）"), required=False, widget=time_input()
    )
    preferred_to = forms.TimeField(
        label=_("客户方便接听（止）"), required=False, widget=time_input()
    )

    def __init__(self, *args, task=None, **kwargs):
        kwargs.setdefault("auto_id", "call-%s")
        super().__init__(*args, **kwargs)
        if task is not None and not self.is_bound:
            self.initial["attempts"] = task.attempt_count


class PreferredTimeForm(BootstrapMixin, forms.Form):
    preferred_from = forms.TimeField(label=_("方便接听（起）"), required=False, widget=time_input())
    preferred_to = forms.TimeField(label=_("方便接听（止）"), required=False, widget=time_input())

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "pref-%s")
        super().__init__(*args, **kwargs)


class CancelForm(BootstrapMixin, forms.Form):
    reason = forms.CharField(label=_("取消原因"), max_length=200)

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "cancel-%s")
        super().__init__(*args, **kwargs)


def department_choices():
    return OrgUnit.objects.filter(
        kind__in=[OrgKind.HEADQUARTERS, OrgKind.BRANCH, OrgKind.FIELD_OFFICE]
    ).order_by("path")


class CallbackFilterForm(BootstrapMixin, forms.Form):
    """The supervisors' list filter (GET)."""

    purpose = forms.ChoiceField(
        label=_("回访目的"), required=False, choices=[("", _("全部")), *CallbackPurpose.choices]
    )
    state = forms.ChoiceField(
        label=_("状态"),
        required=False,
        choices=[
            ("", _("全部")),
            ("open", _("未完成")),
            ("pending", _("待回访")),
            ("assigned", _("已分配")),
            ("done", _("已回访")),
            ("unreached", _("未联系上")),
            ("cancelled", _("已取消")),
        ],
    )
    org_unit = forms.ModelChoiceField(
        label=_("所属单位"), required=False, queryset=OrgUnit.objects.none()
    )
    start = forms.DateField(
        label=_("创建日期自"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    end = forms.DateField(
        label=_("至"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    assignee = forms.ChoiceField(label=_("坐席"), required=False, choices=[])

    def __init__(self, *args, agents=(), **kwargs):
        kwargs.setdefault("auto_id", "f-%s")
        super().__init__(*args, **kwargs)
        self.fields["org_unit"].queryset = department_choices()
        self.fields["assignee"].choices = [("", _("全部")), ("none", _("未分配"))] + [
            (str(a.pk), a.get_full_name() or a.username) for a in agents
        ]


class InstallationForm(BootstrapMixin, forms.Form):
    customer_name = forms.CharField(label=_("客户姓名"), max_length=60)
    customer_phone = forms.CharField(label=_("客户电话"), max_length=40)
    product_model = forms.CharField(label=_("产品型号"), max_length=60)
    serial_number = forms.CharField(label=_("出厂编号"), max_length=60, required=False)
    installed_on = forms.DateField(
        label=_("安装日期"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    org_unit = forms.ModelChoiceField(
        label=_("所属单位"), required=False, queryset=OrgUnit.objects.none()
    )
    note = forms.CharField(label=_("备注"), max_length=200, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["org_unit"].queryset = department_choices()
