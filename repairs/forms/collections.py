"""Forms of collections (收款): the receivables list's filters, a payment with its allocation
per open receivable, a transfer (划账) proposal, a reason (write-off, reversal, rejection) and the
period of a statement of account. The rules are the services'; the forms only read the input."""

from __future__ import annotations

from datetime import date

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from service_ops.forms import BootstrapMixin

from ..choices import PaymentMethod, ReceivableState
from ..selectors import collections as sel
from .orders import date_input


def amount_field(label, **kw) -> forms.DecimalField:
    return forms.DecimalField(
        label=label,
        max_digits=12,
        decimal_places=2,
        widget=forms.NumberInput(attrs={"step": "0.01", "inputmode": "decimal"}),
        **kw,
    )


class ReceivableFilterForm(BootstrapMixin, forms.Form):
    partner = forms.ModelChoiceField(
        label=_("往来单位"), queryset=None, required=False, empty_label=_("全部单位")
    )
    branch = forms.ModelChoiceField(
        label=_("分公司"), queryset=None, required=False, empty_label=_("全部分公司")
    )
    state = forms.ChoiceField(label=_("状态"), required=False)
    overdue = forms.BooleanField(label=_("只看逾期"), required=False)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["partner"].queryset = sel.partner_choices(user)
        self.fields["branch"].queryset = sel.branch_choices(user)
        self.fields["state"].choices = [("", _("全部状态")), *ReceivableState.choices]


class PaymentForm(BootstrapMixin, forms.Form):
    """A payment from one partner; one allocation field per open receivable (blank: the
    service allocates the amount oldest due first)."""

    method = forms.ChoiceField(
        label=_("收款方式"),
        choices=[c for c in PaymentMethod.choices if c[0] != PaymentMethod.DISPATCH],
    )
    amount = amount_field(_("收款金额"))
    received_on = forms.DateField(label=_("收款日期"), widget=date_input())
    reference = forms.CharField(label=_("凭证号"), max_length=64)
    note = forms.CharField(label=_("说明"), max_length=200, required=False)

    def __init__(self, *args, receivables=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.receivables = list(receivables)
        for r in self.receivables:
            self.fields[f"r{r.pk}"] = amount_field(
                _("分配到 %(no)s") % {"no": r.number}, required=False, min_value=0
            )
            self.fields[f"r{r.pk}"].widget.attrs["class"] = "form-control"
        if not self.is_bound:
            self.initial.setdefault("received_on", timezone.localdate())

    def allocation_fields(self):
        return [(r, self[f"r{r.pk}"]) for r in self.receivables]

    def allocations(self) -> list[tuple[int, object]]:
        data = self.cleaned_data
        return [(r.pk, data[f"r{r.pk}"]) for r in self.receivables if data.get(f"r{r.pk}")]


class TransferForm(BootstrapMixin, forms.Form):
    amount = amount_field(_("划账金额"))
    settled_on = forms.DateField(label=_("划账日期"), widget=date_input())
    reference = forms.CharField(label=_("调度凭证号"), max_length=64)
    note = forms.CharField(label=_("说明"), max_length=200, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("settled_on", timezone.localdate())


class ConfirmForm(forms.Form):
    """A confirmation button: nothing to type."""


class ReasonForm(BootstrapMixin, forms.Form):
    reason = forms.CharField(label=_("原因"), max_length=200)


class PeriodForm(BootstrapMixin, forms.Form):
    start = forms.DateField(label=_("起始日期"), widget=date_input(), required=False)
    end = forms.DateField(label=_("截止日期"), widget=date_input(), required=False)

    def clean(self):
        data = super().clean()
        if data.get("start") and data.get("end") and data["start"] > data["end"]:
            self.add_error("end", _("截止日期不能早于起始日期"))
        return data

    def period(self) -> tuple[date, date]:
        today = timezone.localdate()
        data = self.cleaned_data if self.is_bound and self.is_valid() else {}
        start = data.get("start") or today.replace(day=1)
        end = data.get("end") or today
        return start, max(start, end)
