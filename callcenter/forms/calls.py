"""Forms of the agent desk (来电登记) and of a follow-up's steps. A form validates what was typed
and hands it to callcenter.services; the services' errors come back onto the form."""

from __future__ import annotations

from datetime import datetime

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from service_ops.deadlines.models import BallHolder
from service_ops.forms import BootstrapMixin
from service_ops.workcalendar import clock

from ..choices import CallCategory, CallOutcome
from ..services.calls import internal_staff, transfer_offices

LOCAL_MINUTE = "%Y-%m-%dT%H:%M"


class LocalMinuteInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, attrs=None):
        super().__init__(attrs, format=LOCAL_MINUTE)


def moment_field(label, *, required=False, help_text=""):
    return forms.DateTimeField(
        label=label,
        required=required,
        input_formats=[LOCAL_MINUTE, "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"],
        widget=LocalMinuteInput(),
        help_text=help_text,
    )


class StaffChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, user):
        name = user.get_full_name() or user.get_username()
        profile = getattr(user, "profile", None)
        return f"{name}（{profile.org_unit.name}）" if profile else name


def staff_field(label, *, required=False):
    """A select of the people who may be asked to reply (added per form instance, so it carries
    its Bootstrap class itself)."""
    return StaffChoiceField(
        label=label,
        required=required,
        queryset=internal_staff()
        .select_related("profile__org_unit")
        .order_by("profile__org_unit__path", "first_name", "username"),
        empty_label=_("（稍后找人）") if not required else "---------",
        widget=forms.Select(attrs={"class": "form-select"}),
    )


def default_due(now: datetime | None = None) -> datetime:
    """The reply is promised by the end of the next working day unless the agent says otherwise."""
    return timezone.localtime(clock.add_working_days(now or timezone.now(), 1))


class CallForm(BootstrapMixin, forms.Form):
    """The agent desk. The field order is the focus order; access keys are listed on the page."""

    phone = forms.CharField(
        label=_("来电号码"),
        max_length=60,
        error_messages={"required": _("请填写来电号码")},
        widget=forms.TextInput(
            attrs={
                "autofocus": True,
                "inputmode": "tel",
                "autocomplete": "off",
                "accesskey": "t",
                "placeholder": _("如 138 0000 1111、0757-2288 6000 转 8012"),
            }
        ),
    )
    caller = forms.CharField(required=False, widget=forms.HiddenInput)
    caller_name = forms.CharField(
        label=_("来电人姓名"),
        max_length=60,
        required=False,
        help_text=_("未找到来电方时填写，即为新客户建档"),
        widget=forms.TextInput(attrs={"accesskey": "n", "autocomplete": "off"}),
    )
    new_customer_city = forms.CharField(label=_("所在城市"), max_length=40, required=False)
    product_model = forms.CharField(
        label=_("产品型号"),
        max_length=60,
        required=False,
        widget=forms.TextInput(attrs={"accesskey": "m", "autocomplete": "off"}),
    )
    serial_number = forms.CharField(
        label=_("出厂编号"),
        max_length=60,
        required=False,
        widget=forms.TextInput(attrs={"accesskey": "s", "autocomplete": "off"}),
    )
    category = forms.ChoiceField(
        label=_("来电类别"),
        choices=CallCategory.choices,
        widget=forms.RadioSelect,
        error_messages={"required": _("请选择来电类别")},
    )
    summary = forms.CharField(
        label=_("来电内容摘要"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3, "accesskey": "z"}),
        error_messages={"required": _("请填写来电内容摘要")},
    )
    outcome = forms.ChoiceField(
        label=_("处理结果"),
        choices=CallOutcome.choices,
        initial=CallOutcome.ANSWERED,
        widget=forms.RadioSelect,
        error_messages={"required": _("请选择处理结果")},
    )
    answer = forms.CharField(
        label=_("答复内容"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    question = forms.CharField(
        label=_("待回复问题"),
        max_length=2000,
        required=False,
        help_text=_("不填则用来电内容摘要"),
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    due_at = moment_field(_("要求回复时间"))
    transfer_office = forms.ModelChoiceField(
        label=_("转至办事处"), queryset=transfer_offices(), required=False
    )
    started_at = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignee"] = staff_field(_("回复人"))
        # keep the focus order: the assignee right after the question
        order = list(self.fields)
        order.remove("assignee")
        order.insert(order.index("due_at"), "assignee")
        self.order_fields(order)
        if not self.is_bound:
            self.initial.setdefault("due_at", default_due())
            self.initial.setdefault("started_at", timezone.now().isoformat())

    def clean_started_at(self):
        text = self.cleaned_data.get("started_at") or ""
        try:
            moment = datetime.fromisoformat(text)
        except ValueError:
            return None
        return moment if timezone.is_aware(moment) else None

    def service_kwargs(self) -> dict:
        data = dict(self.cleaned_data)
        if not data.get("caller"):
            data["new_customer_name"] = data.get("caller_name", "")
        return data


class AssignForm(BootstrapMixin, forms.Form):
    assignee = forms.Field(required=False)  # replaced in __init__ (the queryset is per request)
    due_at = moment_field(_("要求回复时间"), required=True)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignee"] = staff_field(_("回复人"), required=True)
        self.order_fields(["assignee", "due_at"])


class AnswerForm(BootstrapMixin, forms.Form):
    reply = forms.CharField(
        label=_("回复内容"),
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 4, "autofocus": True}),
        help_text=_("坐席将按此内容回电客户"),
    )


class CallBackForm(BootstrapMixin, forms.Form):
    note = forms.CharField(
        label=_("回电记录"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3, "autofocus": True}),
    )
    close = forms.BooleanField(label=_("问题已解决，同时关闭"), required=False, initial=True)


class CloseForm(BootstrapMixin, forms.Form):
    note = forms.CharField(label=_("关闭说明"), max_length=255, required=False)


class CancelForm(BootstrapMixin, forms.Form):
    note = forms.CharField(label=_("取消原因"), max_length=255)


class WaitForm(BootstrapMixin, forms.Form):
    until = moment_field(_("等待至"), required=True, help_text=_("到时计时自动恢复"))
    reason = forms.CharField(
        label=_("等待原因"), max_length=150, help_text=_("例如：客户出差，约定下周一再联系")
    )
    ball_holder = forms.ChoiceField(
        label=_("等待哪一方"), choices=BallHolder.choices, initial=BallHolder.CUSTOMER
    )


class ResumeForm(BootstrapMixin, forms.Form):
    pass
