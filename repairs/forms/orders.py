"""Forms of the repair-order screens. Each action form validates the input and hands it to a
service (`submit`); it never writes a state field. `permitted` is the role gate of actions whose
service does not check the actor itself; the services check everything else. A service's
ValidationError is put back on the form (`service_ops.actions.apply_service_errors`, renamed by
`error_fields`), so the page keeps what was typed."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import TransitionNotAllowed

from service_ops.forms import BootstrapMixin
from service_ops.i18n import msgid_of

from .. import permissions as perm
from ..choices import (
    DelayReason,
    QuoteLineKind,
    QuoteState,
    ReviewDecision,
    WaitReason,
    WarrantyExclusion,
)
from ..models import LoanerUnit, RepairOrder
from ..selectors import orders as sel
from ..services import orders as ro

MAX_QUOTE_LINES = 10
QUOTE_LINE_ROWS = 3


def date_input() -> forms.DateInput:
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


# --- actions on one order ----------------------------------------------------------------------


class OrderActionForm(BootstrapMixin, forms.Form):
    """One step on an order. Subclasses name the action, its button and what it reports."""

    action = ""
    button = ""
    done = ""  # shown after the step succeeded
    error_fields: dict[str, str] = {}

    def __init__(self, *args, order: RepairOrder, user, **kwargs):
        kwargs.setdefault("auto_id", f"o{order.pk}-{self.action}-%s")
        super().__init__(*args, **kwargs)
        self.order = order
        self.user = user

    def permitted(self) -> bool:
        return True

    def submit(self):
        raise NotImplementedError

    def _text(self, name: str) -> str:
        return (self.cleaned_data.get(name) or "").strip()


class PickUpForm(OrderActionForm):
    action, button, done = "pick_up", _("领机"), _("已领机，请开始检测")

    def submit(self):
        ro.order_pick_up(order_id=self.order.pk, actor=self.user)


class StartRepairForm(OrderActionForm):
    action, button, done = "start_repair", _("开始维修"), _("已开始维修")

    diagnosis = forms.CharField(
        label=_("检测结果"),
        required=False,
        max_length=1000,
        widget=forms.TextInput(attrs={"placeholder": _("检测结果（可选）")}),
    )

    def submit(self):
        ro.order_start_repair(
            order_id=self.order.pk, actor=self.user, diagnosis=self._text("diagnosis")
        )


class QuoteLineForm(BootstrapMixin, forms.Form):
    kind = forms.ChoiceField(
        label=_("费用类型"),
        choices=[("", _("费用类型")), *QuoteLineKind.choices],
        required=False,
    )
    description = forms.CharField(label=_("说明"), max_length=120, required=False)
    amount = forms.DecimalField(
        label=_("金额（元）"),
        required=False,
        min_value=Decimal("0.01"),
        max_digits=10,
        decimal_places=2,
        widget=forms.NumberInput(attrs={"step": "0.01", "min": "0.01", "inputmode": "decimal"}),
    )

    def clean(self):
        data = super().clean()
        kind, amount = data.get("kind"), data.get("amount")
        if (kind or data.get("description")) and amount is None and "amount" not in self.errors:
            self.add_error("amount", _("请填写金额"))
        if amount is not None and not kind:
            self.add_error("kind", _("请选择费用类型"))
        return data

    @property
    def is_blank(self) -> bool:
        data = getattr(self, "cleaned_data", {})
        return not (data.get("kind") or data.get("description") or data.get("amount"))


QuoteLineFormSet = forms.formset_factory(
    QuoteLineForm, extra=QUOTE_LINE_ROWS, max_num=MAX_QUOTE_LINES, validate_max=True
)


class RaiseQuoteForm(OrderActionForm):
    action, button, done = "raise_quote", _("提交报价"), _("已提出报价，等待后勤专员发送")

    diagnosis = forms.CharField(
        label=_("检测结果"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2, "placeholder": _("例如：主板损坏，已过保")}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.lines = QuoteLineFormSet(
            self.data if self.is_bound else None,
            prefix="lines",
            auto_id=f"o{self.order.pk}-quote-%s",
        )

    def is_valid(self) -> bool:
        form_ok = super().is_valid()
        return self.lines.is_valid() and form_ok

    def line_inputs(self) -> list[ro.QuoteLineInput]:
        return [
            ro.QuoteLineInput(
                kind=line.cleaned_data["kind"],
                amount=line.cleaned_data["amount"],
                description=(line.cleaned_data.get("description") or "").strip(),
            )
            for line in self.lines
            if not line.is_blank
        ]

    @property
    def total(self) -> Decimal:
        return sum((x.amount for x in self.line_inputs()), Decimal(0))

    def submit(self):
        ro.order_raise_quote(
            order_id=self.order.pk,
            actor=self.user,
            lines=self.line_inputs(),
            diagnosis=self._text("diagnosis"),
        )


class WaitForPartsForm(OrderActionForm):
    action, button, done = "wait_for_parts", _("登记等配件"), _("已登记等配件")

    reason = forms.CharField(
        label=_("等待的配件及原因"),
        max_length=200,
        required=False,  # the service says what is missing, in its words
        widget=forms.TextInput(attrs={"placeholder": _("例如：缺 GPS 模块，供应商补货")}),
    )
    until = forms.DateField(label=_("预计到件"), required=False, widget=date_input())

    def submit(self):
        ro.order_wait_for_parts(
            order_id=self.order.pk,
            actor=self.user,
            reason=self._text("reason"),
            until=self.cleaned_data.get("until"),
        )


class PartsArrivedForm(OrderActionForm):
    action, button, done = "parts_arrived", _("配件已到"), _("配件已到，继续维修")

    def submit(self):
        ro.order_parts_arrived(order_id=self.order.pk, actor=self.user)


class FinishRepairForm(OrderActionForm):
    action, button, done = "finish_repair", _("维修完成"), _("维修完成，开始老化")

    notes = forms.CharField(
        label=_("维修记录"),
        required=False,
        max_length=1000,
        widget=forms.TextInput(attrs={"placeholder": _("维修记录（可选）")}),
    )

    def submit(self):
        ro.order_finish_repair(order_id=self.order.pk, actor=self.user, notes=self._text("notes"))


class FinishBurnInForm(OrderActionForm):
    action, button, done = "finish_burn_in", _("老化完成"), _("老化完成，待质检")

    @property
    def minimum_hours(self) -> int:
        return sel.return_policy().burn_in_minimum_hours

    @property
    def earliest(self):
        """When the burn-in may end at the soonest (the card shows it; the service enforces it)."""
        return self.order.burn_in_ends_earliest(self.minimum_hours)

    @property
    def too_early(self) -> bool:
        return self.earliest is not None and timezone.now() < self.earliest

    def submit(self):
        ro.order_finish_burn_in(order_id=self.order.pk, actor=self.user)


class QcForm(OrderActionForm):
    PASS, FAIL = "pass", "fail"

    action, button = "qc", _("质检")

    result = forms.ChoiceField(choices=[(PASS, _("合格")), (FAIL, _("不合格"))])
    note = forms.CharField(
        label=_("质检说明"),
        required=False,
        max_length=500,
        widget=forms.TextInput(attrs={"placeholder": _("质检说明（不合格必填）")}),
    )

    @property
    def passed(self) -> bool:
        return self.cleaned_data.get("result") == self.PASS

    @property
    def done(self):
        if self.passed:
            return _("质检合格，待包装")
        return _("质检不合格，退回二次维修")

    def submit(self):
        ro.order_qc(
            order_id=self.order.pk, actor=self.user, passed=self.passed, note=self._text("note")
        )


class PackForm(OrderActionForm):
    action, button, done = "pack", _("包装完成"), _("已包装，待后勤专员发货")

    packing_list = forms.CharField(
        label=_("装箱清单"),
        max_length=1000,
        required=False,  # the service says what is missing, in its words
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("每行一项，如：主机 ×1"),
    )
    parcels = forms.IntegerField(
        label=_("件数"), min_value=1, max_value=ro.MAX_PARCELS, initial=1, required=False
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # the unit itself always goes in the box; the technician adds what came with it
        self.initial.setdefault(
            "packing_list", _("%(m)s 主机 ×1") % {"m": self.order.product_model}
        )

    def permitted(self) -> bool:
        return perm.is_technician(self.user)

    def submit(self):
        ro.order_pack(
            order_id=self.order.pk,
            actor=self.user,
            packing_list=self.cleaned_data.get("packing_list") or "",
            parcels=self.cleaned_data.get("parcels") or 0,
        )


class WarrantyForm(OrderActionForm):
    action, button, done = "warranty", _("判定保修"), _("已更新保修判定")

    exclusions = forms.MultipleChoiceField(
        label=_("不属免费保修的情形"),
        choices=WarrantyExclusion.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    under_contract = forms.BooleanField(label=_("合同服务"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # stored as msgids (service_ops.i18n), or zh-hans text on orders judged before item 19
        reasons = {
            r.get("m") if isinstance(r, dict) else r for r in self.order.warranty_reasons or []
        }
        self.initial.setdefault(
            "exclusions",
            [value for value, label in WarrantyExclusion.choices if msgid_of(label) in reasons],
        )
        self.initial.setdefault("under_contract", self.order.service_type == "contract")

    def permitted(self) -> bool:
        return perm.is_technician(self.user)

    def submit(self):
        ro.order_assess_warranty(
            order_id=self.order.pk,
            actor=self.user,
            exclusions=self.cleaned_data["exclusions"],
            under_contract=self.cleaned_data["under_contract"],
        )


def _open_quote(order: RepairOrder, state: str):
    quote = order.quotes.filter(state=state).order_by("-id").first()
    if quote is None:
        raise TransitionNotAllowed(f"no {state} quote on order {order.pk}")
    return quote


class SendQuoteForm(OrderActionForm):
    action, button, done = "send_quote", _("发送报价"), _("已发送报价，等待发货方 2 个工作日内确认")

    def submit(self):
        ro.quote_send(quote_id=_open_quote(self.order, QuoteState.RAISED).pk, actor=self.user)


class AnswerQuoteForm(OrderActionForm):
    CONSENT, DECLINE = "consent", "decline"

    action, button = "answer_quote", _("确认报价")

    answer = forms.ChoiceField(choices=[(CONSENT, _("同意维修")), (DECLINE, _("不同意维修"))])
    note = forms.CharField(label=_("说明"), required=False, max_length=200)
    signature = forms.CharField(label=_("签名（输入您的姓名）"), required=False, max_length=60)
    signed_copy = forms.FileField(label=_("或上传签字盖章的报价回传件"), required=False)

    error_fields = {"signature": "signature", "signed_copy": "signed_copy"}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.on_behalf:
            self.fields["note"].widget.attrs["placeholder"] = _("如：电话，王经理同意")
        else:
            self.fields["note"].widget.attrs["placeholder"] = _("说明（可选）")

    @property
    def on_behalf(self) -> bool:
        return perm.answers_on_behalf(self.user, self.order)

    @property
    def consent(self) -> bool:
        return self.cleaned_data.get("answer") == self.CONSENT

    @property
    def done(self):
        return _("已同意维修") if self.consent else _("已不同意维修，机器将不修退回")

    def clean(self):
        data = super().clean()
        if self.on_behalf and not (data.get("note") or "").strip():
            self.add_error("note", _("代客户记录答复时，请注明答复方式（电话、传真等）和答复人"))
        return data

    def permitted(self) -> bool:
        return perm.may_answer_quote(self.user, self.order)

    def submit(self):
        ro.quote_answer(
            quote_id=_open_quote(self.order, QuoteState.SENT).pk,
            actor=self.user,
            consent=self.consent,
            note=self._text("note"),
            signature=self._text("signature"),
            signed_copy=self.cleaned_data.get("signed_copy"),
        )


CONTACT_CHANNELS = sel.CONTACT_CHANNELS


class ContactForm(OrderActionForm):
    action, button, done = "contact", _("记录沟通"), _("已记录客户沟通")

    channel = forms.ChoiceField(label=_("方式"), choices=CONTACT_CHANNELS, initial="phone")
    summary = forms.CharField(
        label=_("沟通内容"),
        max_length=255,
        required=False,  # the service says so, in its words
        widget=forms.TextInput(attrs={"placeholder": _("例如：已电话提醒确认报价")}),
    )

    def permitted(self) -> bool:
        return perm.may_record_contact(self.user)

    def submit(self):
        ro.order_record_contact(
            order_id=self.order.pk,
            actor=self.user,
            summary=self._text("summary"),
            channel=self.cleaned_data["channel"],
        )


class ShipForm(OrderActionForm):
    action, button, done = "ship", _("发货"), _("已发货，已通知发货方")

    carrier = forms.CharField(label=_("承运商"), max_length=60)
    tracking_number = forms.CharField(label=_("运单号"), max_length=60)
    shipped_on = forms.DateField(label=_("发货日期"), widget=date_input())

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.initial.setdefault("shipped_on", timezone.localdate())

    def clean_shipped_on(self):
        value = self.cleaned_data["shipped_on"]
        if value > timezone.localdate():
            raise ValidationError(_("发货日期不能晚于今天"))
        return value

    def submit(self):
        data = self.cleaned_data
        ro.order_ship(
            order_id=self.order.pk,
            actor=self.user,
            carrier=data["carrier"].strip(),
            tracking_number=data["tracking_number"].strip(),
            shipped_on=data["shipped_on"],
        )


class CloseForm(OrderActionForm):
    action, button, done = "close", _("关闭归档"), _("已关闭归档")

    def submit(self):
        ro.order_close(order_id=self.order.pk, actor=self.user)


class LendForm(OrderActionForm):
    action, button, done = "lend", _("借出备用机"), _("备用机已借出，已通知客户提货")

    loaner = forms.ModelChoiceField(
        label=_("备用机"), queryset=LoanerUnit.objects.none(), empty_label=_("请选择在库备用机")
    )
    carrier = forms.CharField(label=_("承运商"), max_length=60, required=False)
    tracking_number = forms.CharField(label=_("运单号"), max_length=60, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["loaner"].queryset = LoanerUnit.objects.filter(is_available=True)

    def permitted(self) -> bool:
        return perm.may_handle_loaners(self.user)

    def submit(self):
        data = self.cleaned_data
        ro.loan_lend(
            order_id=self.order.pk,
            loaner_id=data["loaner"].pk,
            actor=self.user,
            carrier=data["carrier"].strip(),
            tracking_number=data["tracking_number"].strip(),
        )


class ExtendForm(OrderActionForm):
    action, button, done = "extend", _("延长时限"), _("已延长维修时限")
    error_fields = {"amount": "working_days"}

    working_days = forms.IntegerField(
        label=_("延长工作日"),
        min_value=1,
        max_value=15,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    reason = forms.CharField(
        label=_("特殊情况说明"),
        max_length=200,
        widget=forms.TextInput(attrs={"placeholder": _("例如：原材料缺货，供应商 3 天后到")}),
        help_text=_("自收货起总时限不超过 15 个工作日。"),
    )

    def permitted(self) -> bool:
        return perm.is_repair_supervisor(self.user)

    def submit(self):
        ro.order_extend(
            order_id=self.order.pk,
            actor=self.user,
            working_days=self.cleaned_data["working_days"],
            reason=self._text("reason"),
        )


ACTIONS: dict[str, type[OrderActionForm]] = {
    form.action: form
    for form in (
        PickUpForm,
        StartRepairForm,
        RaiseQuoteForm,
        WaitForPartsForm,
        PartsArrivedForm,
        FinishRepairForm,
        FinishBurnInForm,
        QcForm,
        PackForm,
        WarrantyForm,
        SendQuoteForm,
        AnswerQuoteForm,
        ContactForm,
        ShipForm,
        CloseForm,
        LendForm,
        ExtendForm,
    )
}


# issue 19: the part lines' forms (forms/parts.py) run through the same action view
from .parts import PART_ACTIONS  # noqa: E402

ACTIONS.update(PART_ACTIONS)


def action_forms(order, user, actions, *, bound: OrderActionForm | None = None) -> dict:
    """{action: form} for the actions the user may take now; `bound` (a form that failed)
    replaces its blank twin so its errors and input show."""
    result = {name: ACTIONS[name](order=order, user=user) for name in actions if name in ACTIONS}
    if bound is not None:
        result[bound.action] = bound
    return result


# --- the review, statements, lists --------------------------------------------------------------


class ReviewDecisionForm(BootstrapMixin, forms.Form):
    decision = forms.ChoiceField(
        label=_("决定"), choices=[("", _("请选择")), *ReviewDecision.choices], required=False
    )
    wait_reason = forms.ChoiceField(
        label=_("等待原因"),
        choices=[("", _("请选择")), *WaitReason.choices],
        required=False,
        help_text=_("给出等待时限时必填"),
    )
    new_wait_until = forms.DateField(
        label=_("新的等待时限"),
        required=False,
        widget=date_input(),
        help_text=_("给出等待时限时必填：新的承诺日期，另起计时，原超期仍计入统计"),
    )
    loaner = forms.TypedChoiceField(
        label=_("借出的备用机"),
        coerce=int,
        empty_value=None,
        required=False,
        help_text=_("借出备用机时必填"),
    )
    customer_contacted = forms.BooleanField(label=_("已告知客户"), required=False)
    note = forms.CharField(label=_("说明"), max_length=255, required=False)

    def __init__(self, *args, item, loaners=(), **kwargs):
        kwargs.setdefault("auto_id", f"item{item.pk}-%s")
        super().__init__(*args, **kwargs)
        self.item = item
        # the pool is read once for every item of the meeting (the view passes it)
        self.fields["loaner"].choices = [("", _("请选择")), *((u.pk, str(u)) for u in loaners)]

    def submit(self, actor):
        data = self.cleaned_data
        return ro.review_decide(
            item_id=self.item.pk,
            actor=actor,
            decision=data["decision"],
            note=(data.get("note") or "").strip(),
            new_wait_until=data.get("new_wait_until"),
            wait_reason=data.get("wait_reason") or "",
            loaner_id=data.get("loaner"),
            customer_contacted=data["customer_contacted"],
        )


class MonthField(forms.DateField):
    widget = forms.DateInput(attrs={"type": "month", "placeholder": "YYYY-MM"}, format="%Y-%m")
    input_formats = ["%Y-%m", "%Y-%m-%d"]

    def to_python(self, value):
        day = super().to_python(value)
        return day.replace(day=1) if day else day


class StatementBuildForm(BootstrapMixin, forms.Form):
    branch = forms.ModelChoiceField(label=_("分公司"), queryset=None, empty_label=_("请选择分公司"))
    month = MonthField(label=_("月份"))

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["branch"].queryset = sel.visible_branches(user)
        if not self.is_bound:
            self.initial.setdefault("month", previous_month())

    def submit(self, actor):
        return ro.statement_build(
            branch=self.cleaned_data["branch"], month=self.cleaned_data["month"], actor=actor
        )


class StatementSettleForm(BootstrapMixin, forms.Form):
    """The dispatcher's record of the transfer agreed with finance (划账). The date, amount and
    note rules are the service's (the messages of a missing field are the same)."""

    settled_on = forms.DateField(
        label=_("划账日期"),
        widget=date_input(),
        error_messages={"required": _("请填写划账日期")},
    )
    amount = forms.DecimalField(
        label=_("划账金额（元）"),
        max_digits=12,
        decimal_places=2,
        widget=forms.NumberInput(attrs={"step": "0.01", "inputmode": "decimal"}),
        error_messages={"required": _("请填写划账金额")},
    )
    reference = forms.CharField(
        label=_("划账凭证号"),
        max_length=64,
        error_messages={"required": _("请填写划账凭证号")},
    )
    note = forms.CharField(
        label=_("说明"),
        max_length=255,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("划账金额与对账单合计不符时必填，写明差额原因"),
    )

    def __init__(self, *args, statement, **kwargs):
        super().__init__(*args, **kwargs)
        self.statement = statement
        if not self.is_bound:
            self.initial.setdefault("amount", statement.total)
            self.initial.setdefault("settled_on", timezone.localdate())

    def clean(self):
        data = super().clean()
        errors = ro.settlement_input_errors(
            settled_on=data.get("settled_on"),
            amount=data.get("amount"),
            reference=data.get("reference") or "",
        )
        for field, message in errors.items():
            if field not in self.errors:  # a missing or unreadable value says so already
                self.add_error(field, message)
        return data

    def submit(self, actor):
        data = self.cleaned_data
        return ro.statement_settle(
            statement_id=self.statement.pk,
            actor=actor,
            settled_on=data.get("settled_on"),
            amount=data.get("amount"),
            reference=data.get("reference") or "",
            note=data.get("note") or "",
        )


def previous_month():
    first = timezone.localdate().replace(day=1)
    return (first - timezone.timedelta(days=1)).replace(day=1)


class StatementFilterForm(BootstrapMixin, forms.Form):
    month = MonthField(label=_("月份"), required=False)
    branch = forms.ModelChoiceField(
        label=_("分公司"), queryset=None, required=False, empty_label=_("全部分公司")
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["branch"].queryset = sel.visible_branches(user)

    def filters(self) -> dict:
        if not self.is_valid():
            return {}
        branch = self.cleaned_data.get("branch")
        return {"month": self.cleaned_data.get("month"), "branch_id": branch.pk if branch else None}


class DelayNoticeForm(BootstrapMixin, forms.Form):
    """原材料问题或其它不可抗因素: which open units are late (every unit of a model, or listed by
    number), why, and until when; the service tells each shipper about their own units."""

    reason = forms.ChoiceField(label=_("原因"), choices=DelayReason.choices)
    message = forms.CharField(
        label=_("通知内容"),
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("发货方看到的说明，例如：主板芯片缺货，供应商预计下周到货。"),
    )
    expected_until = forms.DateField(
        label=_("预计恢复"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    product_model = forms.CharField(
        label=_("型号（该型号全部在修机器）"), max_length=60, required=False
    )
    order_numbers = forms.CharField(
        label=_("或维修单号（每行一个）"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "spellcheck": "false"}),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user

    def clean(self):
        data = super().clean()
        if (
            not (data.get("product_model") or "").strip()
            and not (data.get("order_numbers") or "").strip()
        ):
            raise ValidationError(_("请填写型号或维修单号"))
        return data

    def order_ids(self) -> list[int]:
        data = self.cleaned_data
        open_orders = RepairOrder.objects.visible_to(self.user).exclude(state__in=ro.CLOSED_STATES)
        model = data["product_model"].strip()
        numbers = [n.strip().upper() for n in data["order_numbers"].splitlines() if n.strip()]
        chosen = open_orders.none()
        if model:
            chosen = chosen | open_orders.filter(product_model__iexact=model)
        if numbers:
            chosen = chosen | open_orders.filter(number__in=numbers)
        return list(chosen.values_list("pk", flat=True)[:5000])

    def submit(self, actor):
        data = self.cleaned_data
        return ro.delay_notice_post(
            actor=actor,
            order_ids=self.order_ids(),
            reason=data["reason"],
            message=data["message"],
            expected_until=data.get("expected_until"),
        )
