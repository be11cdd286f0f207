"""Forms of the settlement with service points (网点结算): a fee rule and its end, the monthly
build, a reward or penalty, the point's dispute, the specialist's resolution, the list's
filters. The rules are the services'; the forms only read the input."""

from __future__ import annotations

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from network.choices import OrgKind
from network.models import OrgUnit
from service_ops.forms import BootstrapMixin

from ..choices import SettlementLineKind, SettlementState
from ..models.settlement import FeeRule
from .orders import MonthField, date_input, previous_month


def _amount_field(label, **kw) -> forms.DecimalField:
    return forms.DecimalField(
        label=label,
        max_digits=10,
        decimal_places=2,
        widget=forms.NumberInput(attrs={"step": "0.01", "inputmode": "decimal"}),
        **kw,
    )


def visible_points(user):
    """The service points the user may see (headquarters: all; a point: itself)."""
    return (
        OrgUnit.objects.visible_to(user)
        .filter(kind=OrgKind.SERVICE_POINT)
        .order_by("code")
        .only("id", "code", "name")
    )


class FeeRuleForm(BootstrapMixin, forms.ModelForm):
    replaces = forms.ModelChoiceField(
        label=_("替换该规则"),
        queryset=FeeRule.objects.none(),
        required=False,
        empty_label=_("不替换"),
        help_text=_("选中的规则在新规则生效前一天结束"),
    )

    class Meta:
        model = FeeRule
        fields = [
            "category",
            "grade",
            "km_from",
            "km_to",
            "product_model",
            "warranty",
            "amount",
            "effective_from",
            "effective_to",
            "note",
        ]
        widgets = {"effective_from": date_input(), "effective_to": date_input()}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        today = timezone.localdate()
        self.fields["replaces"].queryset = FeeRule.objects.in_force_between(today, today)
        self.fields["category"].choices = [
            ("", _("全部类别")),
            *self.fields["category"].choices[1:],
        ]
        self.fields["grade"].choices = [("", _("全部等级")), *self.fields["grade"].choices[1:]]
        if not self.is_bound:
            self.initial.setdefault("effective_from", today)


class FeeRuleEndForm(BootstrapMixin, forms.Form):
    last_day = forms.DateField(label=_("最后有效日期"), widget=date_input())


class SettlementBuildForm(BootstrapMixin, forms.Form):
    month = MonthField(label=_("月份"))
    point = forms.ModelChoiceField(
        label=_("服务网点"), queryset=OrgUnit.objects.none(), required=False,
        empty_label=_("全部网点"),
    )  # fmt: skip

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["point"].queryset = visible_points(user)
        if not self.is_bound:
            self.initial.setdefault("month", previous_month())


class AdjustmentLineForm(BootstrapMixin, forms.Form):
    kind = forms.ChoiceField(
        label=_("类型"),
        choices=[(SettlementLineKind.REWARD, _("奖励")), (SettlementLineKind.PENALTY, _("扣罚"))],
    )
    amount = _amount_field(_("金额（元）"), min_value=0)
    reason = forms.CharField(label=_("原因"), max_length=200)


class DisputeForm(BootstrapMixin, forms.Form):
    reason = forms.CharField(
        label=_("异议原因"), max_length=200, error_messages={"required": _("请填写异议原因")}
    )


class ResolveForm(BootstrapMixin, forms.Form):
    decision = forms.ChoiceField(
        label=_("处理"),
        choices=[("uphold", _("维持原额")), ("adjust", _("调整金额"))],
        widget=forms.RadioSelect,
        initial="uphold",
    )
    amount = _amount_field(_("调整后金额（元）"), required=False)
    note = forms.CharField(
        label=_("处理意见"), max_length=200, error_messages={"required": _("请填写处理意见")}
    )


class SettlementFilterForm(BootstrapMixin, forms.Form):
    month = MonthField(label=_("月份"), required=False)
    point = forms.ModelChoiceField(
        label=_("服务网点"), queryset=OrgUnit.objects.none(), required=False,
        empty_label=_("全部网点"),
    )  # fmt: skip
    state = forms.ChoiceField(label=_("状态"), required=False)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["point"].queryset = visible_points(user)
        self.fields["state"].choices = [("", _("全部状态")), *SettlementState.choices]
