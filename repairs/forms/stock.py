"""Forms of the returned-stock pages (呆滞/退货产品处理申请). A form validates what was typed and
hands it to repairs.services.stock; the service's errors come back onto the form."""

from __future__ import annotations

import re

from django import forms
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from network.choices import Role
from service_ops.forms import BootstrapMixin

from ..choices import StockLimitDays, StockTreatment, Urgency
from ..models import ReturnedStockApplication
from ..services.stock import MAX_LINES, LineCount, StockLineInput

# Between the fields of a list line: a tab, a comma or a semicolon (full-width ones too).
FIELD_SPLIT = re.compile(r"\s*[\t,，;；]\s*")


def parse_stock_lines(text: str) -> list[StockLineInput]:
    """The 返修产品清单, one line a row: "型号", "型号, 数量", "型号, 出厂编号" or
    "型号, 出厂编号, 数量" (a serial means one unit)."""
    lines, errors = [], []
    rows = [r.strip() for r in (text or "").splitlines()]
    for n, raw in enumerate(rows, start=1):
        if not raw:
            continue
        parts = [p.strip() for p in FIELD_SPLIT.split(raw)]
        model, serial, quantity = parts[0], "", "1"
        if len(parts) == 2:
            if parts[1].isdigit():
                quantity = parts[1]
            else:
                serial = parts[1]
        elif len(parts) == 3:
            serial, quantity = parts[1], parts[2]
        elif len(parts) > 3:
            errors.append(_("第 %(n)d 行：格式应为“型号, 出厂编号, 数量”") % {"n": n})
            continue
        if not quantity.isdigit() or int(quantity) < 1:
            errors.append(_("第 %(n)d 行：数量必须是正整数") % {"n": n})
            continue
        if serial and int(quantity) != 1:
            errors.append(_("第 %(n)d 行：填写了出厂编号的一项只能是 1 台") % {"n": n})
            continue
        lines.append(
            StockLineInput(product_model=model, serial_number=serial, quantity=int(quantity))
        )
    if errors:
        raise ValidationError(errors)
    return lines


class ReturnedStockForm(BootstrapMixin, forms.Form):
    lines = forms.CharField(
        label=_("返修产品清单"),
        max_length=20000,
        widget=forms.Textarea(
            attrs={
                "rows": 6,
                "spellcheck": "false",
                "autocomplete": "off",
                "placeholder": "GPS-X1, 12\nGPS-X2, SN0001\nGPS-X3, SN0002, 1",
            }
        ),
        help_text=_("每行一项：“型号, 数量”或“型号, 出厂编号”（有出厂编号的一项为 1 台）。"),
        error_messages={"required": _("请填写返修产品清单")},
    )
    treatment = forms.ChoiceField(
        label=_("处理要求"),
        choices=StockTreatment.choices,
        initial=StockTreatment.REWORK,
        error_messages={"invalid_choice": _("请选择处理要求（改制、返工或分拆报废）")},
    )
    urgency = forms.ChoiceField(
        label=_("紧急程度"),
        choices=Urgency.choices,
        initial=Urgency.NORMAL,
        help_text=_("紧急的优先派生产任务单。"),
        error_messages={"invalid_choice": _("请选择紧急程度")},
    )
    remarks = forms.CharField(
        label=_("备注"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def clean_lines(self) -> list[StockLineInput]:
        lines = parse_stock_lines(self.cleaned_data["lines"])
        if not lines:
            raise ValidationError(_("请至少填写一项退货产品"))
        if len(lines) > MAX_LINES:
            raise ValidationError(_("一张申请最多 %(n)d 项") % {"n": MAX_LINES})
        return lines


class CollectForm(BootstrapMixin, forms.Form):
    """通知司机货物的提取."""

    driver_name = forms.CharField(
        label=_("司机"), max_length=40, error_messages={"required": _("请填写司机姓名")}
    )
    driver_phone = forms.CharField(
        label=_("司机电话"),
        max_length=40,
        required=False,
        widget=forms.TextInput(attrs={"type": "tel", "inputmode": "tel"}),
    )
    collected_on = forms.DateField(
        label=_("提货日期"),
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"required": _("请填写提货日期"), "invalid": _("请输入有效的日期")},
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("initial", {"collected_on": timezone.localdate()})
        super().__init__(*args, **kwargs)


class CheckForm(BootstrapMixin, forms.Form):
    """仓管验货核对: the counted quantity and the model found, for every line of the list."""

    note = forms.CharField(
        label=_("验货说明"),
        required=False,
        max_length=255,
        help_text=_("差异的原因、清单外多出的货物等。"),
    )

    def __init__(self, *args, application: ReturnedStockApplication, **kwargs):
        super().__init__(*args, **kwargs)
        self.stock_lines = list(application.lines.all())
        for line in self.stock_lines:
            label = f"{line.product_model} {line.serial_number}".strip()
            self.fields[f"count_{line.pk}"] = forms.IntegerField(
                label=_("%(l)s 实收数量（清单 %(q)d）") % {"l": label, "q": line.quantity},
                min_value=0,
                max_value=99999,
                initial=line.quantity,
                widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
                error_messages={
                    "required": _("请填写实收数量"),
                    "invalid": _("请输入整数"),
                    "min_value": _("实收数量不能小于 0"),
                    "max_value": _("实收数量不能超过 99999"),
                },
            )
            self.fields[f"model_{line.pk}"] = forms.CharField(
                label=_("%(l)s 实收型号") % {"l": label},
                max_length=60,
                required=False,
                initial=line.product_model,
            )
        # the note after the lines
        self.order_fields([*(k for k in self.fields if k != "note"), "note"])
        for name in self.fields:  # BootstrapMixin styled the fields that existed before these
            widget = self.fields[name].widget
            if "form-control" not in widget.attrs.get("class", ""):
                widget.attrs["class"] = f"{widget.attrs.get('class', '')} form-control".strip()

    def line_fields(self):
        return [
            (line, self[f"count_{line.pk}"], self[f"model_{line.pk}"]) for line in self.stock_lines
        ]

    def counts(self) -> dict[int, LineCount]:
        return {
            line.pk: LineCount(
                counted_quantity=self.cleaned_data[f"count_{line.pk}"],
                counted_model=self.cleaned_data.get(f"model_{line.pk}", ""),
            )
            for line in self.stock_lines
        }


class IssueForm(BootstrapMixin, forms.Form):
    """制定领机的维修期限 and 派生产任务单."""

    limit_days = forms.TypedChoiceField(
        label=_("领机维修期限"),
        choices=StockLimitDays.choices,
        coerce=int,
        widget=forms.RadioSelect,
        help_text=_("自然日，从派单时起算。"),
        error_messages={
            "required": _("请选择领机维修期限"),
            "invalid_choice": _("领机维修期限只能是 5、10、15 或 30 天"),
        },
    )


def repair_team_people():
    return (
        get_user_model()
        .objects.filter(
            is_active=True,
            role_assignments__role__in=[Role.TECHNICIAN, Role.REPAIR_SUPERVISOR],
        )
        .distinct()
        .order_by("username")
    )


class TakeForm(BootstrapMixin, forms.Form):
    """The hand-over: the repair team's person who came to the warehouse signs (their name); PMC
    confirms with its name."""

    signed_by = forms.ModelChoiceField(
        label=_("领机人"),
        queryset=get_user_model().objects.none(),
        required=False,
        empty_label=_("我本人"),
        error_messages={"invalid_choice": _("领机人须是维修组人员")},
    )
    signature = forms.CharField(
        label=_("签名"),
        max_length=60,
        required=False,
        help_text=_("领机人填写姓名，作为签收。"),
    )

    def __init__(self, *args, pmc: bool, **kwargs):
        super().__init__(*args, **kwargs)
        if pmc:
            del self.fields["signed_by"]
            self.fields["signature"].help_text = _("PMC 确认交接，填写姓名。")
        else:
            self.fields["signed_by"].queryset = repair_team_people()
            self.fields["signature"].required = True
            self.fields["signature"].error_messages["required"] = _("请领机人签名（填写姓名）")


class FinishForm(BootstrapMixin, forms.Form):
    work_done = forms.CharField(
        label=_("处理结果"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("改制、返工或分拆报废的结果：完成数量、报废数量、入库情况等。"),
        error_messages={"required": _("请填写处理结果")},
    )
