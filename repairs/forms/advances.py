"""Forms of advances (借支) and expense claims (报销): the phone-friendly request forms (a claim's
lines with a receipt photo each, from the camera), finance's payment and repayment, a signer's
decision and the ageing filters. The rules are the services'; the forms only read the input."""

from __future__ import annotations

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from service_ops.forms import BootstrapMixin

from ..choices import AdvanceState, ClaimState, DisbursementMethod, ExpenseCategory
from ..models import RepairOrder, ServiceRequest, Visit
from ..models.advances import Advance
from ..selectors.advances import BUCKETS
from .orders import MonthField, date_input

OPEN = (AdvanceState.PAID, AdvanceState.PARTIALLY_SETTLED)


def _amount(label, **kw) -> forms.DecimalField:
    return forms.DecimalField(
        label=label,
        max_digits=12,
        decimal_places=2,
        min_value=0,
        widget=forms.NumberInput(attrs={"step": "0.01", "inputmode": "decimal"}),
        **kw,
    )


class LinkFieldsMixin(forms.Form):
    """What the money was for: one of the user's recent visits, or a number typed."""

    visit = forms.ModelChoiceField(
        label=_("关联上门服务"), queryset=Visit.objects.none(), required=False, empty_label="—"
    )
    reference = forms.CharField(
        label=_("关联单号"),
        max_length=24,
        required=False,
        help_text=_("报修单号或维修单号（可不填）"),
    )

    def setup_links(self, user):
        self.user = user
        self.fields["visit"].queryset = (
            Visit.objects.visible_to(user)
            .filter(engineer=user)
            .select_related("request")
            .order_by("-pk")[:30]
        )
        self.fields["visit"].label_from_instance = lambda v: (
            f"{v.request.number} #{v.sequence} {v.request.contact_name}"
        )

    def clean_visit(self):
        visit = self.cleaned_data.get("visit")
        if visit is not None and visit.engineer_id != self.user.pk:
            raise forms.ValidationError(_("只能选择自己的上门服务"))
        return visit

    def clean_reference(self):
        number = (self.cleaned_data.get("reference") or "").strip()
        self.service_request = self.repair_order = None
        if not number:
            return ""
        self.service_request = (
            ServiceRequest.objects.visible_to(self.user).filter(number__iexact=number).first()
        )
        if self.service_request is None:
            self.repair_order = (
                RepairOrder.objects.visible_to(self.user).filter(number__iexact=number).first()
            )
        if self.service_request is None and self.repair_order is None:
            raise forms.ValidationError(_("找不到该报修单或维修单"))
        return number

    def links(self):
        from ..services.advances import LinkInput

        return LinkInput(
            visit=self.cleaned_data.get("visit"),
            service_request=getattr(self, "service_request", None),
            repair_order=getattr(self, "repair_order", None),
        )


class AdvanceForm(BootstrapMixin, LinkFieldsMixin):
    amount = _amount(_("借支金额（元）"))
    purpose = forms.CharField(label=_("借支事由"), max_length=200)
    trip_destination = forms.CharField(label=_("出差目的地"), max_length=100, required=False)
    trip_start = forms.DateField(label=_("出差开始"), required=False, widget=date_input())
    trip_end = forms.DateField(label=_("出差结束"), required=False, widget=date_input())

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.setup_links(user)


class PhotoInput(forms.ClearableFileInput):
    """A picture straight from the phone's camera (or the gallery)."""

    def __init__(self):
        super().__init__(
            attrs={"accept": "image/jpeg,image/png,image/webp", "capture": "environment"}
        )


class ClaimForm(BootstrapMixin, LinkFieldsMixin):
    advance = forms.ModelChoiceField(
        label=_("冲抵借支"),
        queryset=Advance.objects.none(),
        required=False,
        empty_label=_("按时间先后自动冲抵"),
    )
    note = forms.CharField(label=_("说明"), max_length=200, required=False)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.setup_links(user)
        self.fields["advance"].queryset = Advance.objects.filter(
            requester=user, state__in=OPEN
        ).order_by("paid_on", "pk")
        self.fields["advance"].label_from_instance = lambda a: (
            f"{a.number} {a.purpose} ¥{a.amount - a.settled_amount}"
        )


class ExpenseLineForm(BootstrapMixin, forms.Form):
    category = forms.ChoiceField(label=_("费用类别"), choices=ExpenseCategory.choices)
    spent_on = forms.DateField(label=_("日期"), widget=date_input())
    days = forms.IntegerField(label=_("天数/晚数"), min_value=1, max_value=60, initial=1)
    amount = _amount(_("金额（元）"))
    note = forms.CharField(label=_("说明"), max_length=200, required=False)
    photo = forms.FileField(label=_("票据照片"), required=False, widget=PhotoInput())


ExpenseLineFormSet = forms.formset_factory(
    ExpenseLineForm, extra=2, min_num=1, validate_min=True, max_num=50, validate_max=True
)


class PhotoForm(BootstrapMixin, forms.Form):
    line = forms.IntegerField(widget=forms.HiddenInput)
    file = forms.FileField(label=_("票据照片"), widget=PhotoInput())


class PayForm(BootstrapMixin, forms.Form):
    paid_on = forms.DateField(label=_("付款日期"), widget=date_input())
    method = forms.ChoiceField(label=_("付款方式"), choices=DisbursementMethod.choices)
    reference = forms.CharField(label=_("付款凭证号"), max_length=60, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["paid_on"].initial = timezone.localdate()


class RepayForm(PayForm):
    amount = _amount(_("还款金额（元）"))

    field_order = ["amount", "paid_on", "method", "reference"]


class DecisionForm(BootstrapMixin, forms.Form):
    comment = forms.CharField(
        label=_("意见"), max_length=1000, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class CancelForm(BootstrapMixin, forms.Form):
    reason = forms.CharField(label=_("取消原因"), max_length=500, required=False)


class MoneyListForm(BootstrapMixin, forms.Form):
    state = forms.ChoiceField(label=_("状态"), required=False)
    mine = forms.BooleanField(label=_("只看我的"), required=False)

    def __init__(self, *args, states, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["state"].choices = [("", _("全部状态")), *states]


class AdvanceListForm(MoneyListForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, states=AdvanceState.choices, **kwargs)


class ClaimListForm(MoneyListForm):
    month = MonthField(label=_("付款月份"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, states=ClaimState.choices, **kwargs)


class AgeingFilterForm(BootstrapMixin, forms.Form):
    bucket = forms.ChoiceField(
        label=_("账龄"),
        required=False,
        choices=[("", _("全部账龄")), *[(k, label) for k, _l, _h, label in BUCKETS]],
    )
    by = forms.ChoiceField(
        label=_("汇总方式"),
        required=False,
        choices=[("branch", _("按分公司")), ("person", _("按借款人"))],
    )
