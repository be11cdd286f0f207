"""Forms of the shift pages (排班). They validate what was typed; the services decide."""

from __future__ import annotations

from django import forms
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from service_ops.forms import BootstrapMixin

from ..models.shifts import LeaveKind, RosterEntry
from ..selectors.shifts import swap_partners, upcoming_entries

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
TIME = forms.TimeInput(attrs={"type": "time"}, format="%H:%M")


def shift_label(entry: RosterEntry) -> str:
    start = timezone.localtime(entry.starts_at)
    end = timezone.localtime(entry.ends_at)
    weekday = _("周一 周二 周三 周四 周五 周六 周日").split()[entry.day.weekday()]
    return f"{entry.day:%m-%d} {weekday} {start:%H:%M}–{end:%H:%M}"


class ShiftChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return shift_label(obj)


class PersonChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        member = getattr(obj, "shift_member", None)
        name = obj.get_full_name() or obj.username
        return f"{member.group.code} {name}" if member else name


class LeaveForm(BootstrapMixin, forms.Form):
    kind = forms.ChoiceField(
        label=_("请假类型"),
        choices=LeaveKind.choices,
        help_text=_("一般事假需提前一天提出；突发事假需在班前一小时提出；节假日需提前两天并经批准"),
    )
    first_day = forms.DateField(label=_("开始日期"), widget=DATE)
    last_day = forms.DateField(label=_("结束日期"), widget=DATE, required=False)
    reason = forms.CharField(
        label=_("事由"), max_length=500, widget=forms.Textarea(attrs={"rows": 3})
    )

    def clean(self):
        data = super().clean()
        if data.get("first_day") and not data.get("last_day"):
            data["last_day"] = data["first_day"]
        return data


class SwapForm(BootstrapMixin, forms.Form):
    """My shift to give away, the partner and the day of theirs I take in return (还班)."""

    requester_entry = ShiftChoiceField(
        label=_("我的班次（换出）"), queryset=RosterEntry.objects.none(), empty_label=_("请选择")
    )
    partner = PersonChoiceField(
        label=_("换班对象"), queryset=get_user_model().objects.none(), empty_label=_("请选择")
    )
    partner_day = forms.DateField(
        label=_("还班日期"), widget=DATE, help_text=_("对方这天的班由您来上")
    )
    reason = forms.CharField(label=_("事由"), max_length=200, required=False)

    error_fields = {"partner_entry": "partner_day"}

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["requester_entry"].queryset = upcoming_entries(user).filter(leave__isnull=True)
        self.fields["partner"].queryset = swap_partners(user)

    def clean(self):
        data = super().clean()
        partner, day = data.get("partner"), data.get("partner_day")
        if partner and day:
            entry = (
                RosterEntry.objects.working()
                .filter(agent=partner, day=day, leave__isnull=True)
                .first()
            )
            if entry is None:
                self.add_error("partner_day", _("对方这天没有班次"))
            data["partner_entry"] = entry
        return data


class NoteForm(BootstrapMixin, forms.Form):
    note = forms.CharField(label=_("意见"), max_length=200, required=False)


class HandOverForm(BootstrapMixin, forms.Form):
    equipment = forms.CharField(
        label=_("设备情况"),
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("电话、耳麦、电脑、系统是否正常"),
    )
    problems = forms.CharField(
        label=_("疑难问题"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("未解决的来电、待回访的客户、需要跟进的事项"),
    )
    staffing = forms.CharField(
        label=_("人员调班情况"),
        max_length=1000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class RosterDayForm(BootstrapMixin, forms.Form):
    agent = PersonChoiceField(
        label=_("坐席"), queryset=get_user_model().objects.none(), empty_label=_("请选择")
    )
    working = forms.TypedChoiceField(
        label=_("安排"),
        choices=(("1", _("上班")), ("0", _("休息"))),
        coerce=lambda v: v == "1",
    )
    starts = forms.TimeField(label=_("上班时间"), widget=TIME, required=False)
    ends = forms.TimeField(label=_("下班时间"), widget=TIME, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["agent"].queryset = (
            get_user_model()
            .objects.filter(shift_member__isnull=False, is_active=True)
            .select_related("shift_member__group")
            .order_by("shift_member__group__code", "pk")
        )


class MonthForm(BootstrapMixin, forms.Form):
    month = forms.CharField(label=_("月份"), widget=forms.TextInput(attrs={"type": "month"}))

    def clean_month(self):
        from datetime import date

        value = self.cleaned_data["month"]
        try:
            year, month = (int(p) for p in value.split("-")[:2])
            return date(year, month, 1)
        except (ValueError, TypeError) as exc:
            raise ValidationError(_("请选择月份")) from exc
