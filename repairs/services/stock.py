"""Returned stock (呆滞/退货产品处理申请, DESIGN §2.2 last bullets): file, collect, check against
the list, set the 领机维修期限 and issue the production task order, hand over, finish.

Every state change goes through service_ops.transitions.run_transition (locked row, permission,
FSM transition, log); the timer and the notifications are written in the same transaction
(notifications are an outbox: the commit only nudges the sender)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from network.choices import Role
from network.models import OrgUnit
from network.selectors import role_holders
from service_ops import plugins
from service_ops.deadlines.models import Deadline
from service_ops.deadlines.services import (
    close_open_deadlines_of,
    deadline_reassign,
    deadline_start,
    open_deadlines_of,
)
from service_ops.i18n import choice, deferred
from service_ops.notifications.services import notify
from service_ops.numbering.services import next_document_number
from service_ops.transitions.models import ActionChannel
from service_ops.transitions.services import run_transition

from ..choices import ReturnedStockRoute, StockLimitDays, StockTreatment, Urgency
from ..models import ReturnedStockApplication, ReturnedStockLine, ReturnPolicy
from ..permissions import (
    has_role,
    may_check_stock,
    may_file_returned_stock,
    may_handle_stock_logistics,
    may_take_stock,
    stock_handler_role,
)

STOCK_KIND = "repair.returned_stock"
# 领机维修期限 — CALENDAR days, not working days. The seed writes "5天、10天、15天、30天" here,
# while two slides earlier it writes "3个工作日 / 7个工作日 / 15个工作日" for the repair limits
# and "2个工作日" for a quote: where it means working days it says so. The four choices are a
# working week, two weeks, half a month and a month, the horizon the marketing centre plans
# unsold stock in; the goods are the company's own (no customer's clock to protect), and PMC /
# production plans in calendar time. So each choice is a policy of N × 24 calendar hours from the
# task order's issue (the engine's calendar-hour unit; an admin may edit the rows, a running
# timer keeps the copy it started with).
LIMIT_POLICIES = {days: f"returned-stock-{days}d" for days in StockLimitDays.values}
MAX_LINES = 200
MAX_AHEAD_DAYS = 60  # a collection booked further ahead than this is a typing mistake


@dataclass
class StockLineInput:
    product_model: str
    quantity: int = 1
    serial_number: str = ""


def stock_timer(application: ReturnedStockApplication) -> Deadline | None:
    return open_deadlines_of(application, kind=STOCK_KIND).first()


def last_timer(application: ReturnedStockApplication) -> Deadline | None:
    """The application's limit timer, open or closed (the detail and the print page show it)."""
    return (
        Deadline.objects.filter(
            owner_type=ContentType.objects.get_for_model(ReturnedStockApplication),
            owner_id=application.pk,
            kind=STOCK_KIND,
        )
        .select_related("policy", "assignee")
        .order_by("-id")
        .first()
    )


def route_for(units: int) -> str:
    threshold = ReturnPolicy.current().returned_stock_pmc_threshold
    return ReturnedStockRoute.PMC if units >= threshold else ReturnedStockRoute.REPAIR_TEAM


def _people(role: str, application: ReturnedStockApplication) -> list:
    return role_holders(role, application.filed_by_unit)


# --- 1. the marketing centre files -----------------------------------------------------------
def _clean_lines(lines: list[StockLineInput]) -> list[StockLineInput]:
    if not lines:
        raise ValidationError({"lines": _("请至少填写一项退货产品")})
    if len(lines) > MAX_LINES:
        raise ValidationError({"lines": _("一张申请最多 %(n)d 项") % {"n": MAX_LINES}})
    errors, clean = [], []
    for i, line in enumerate(lines, start=1):
        model = (line.product_model or "").strip()
        serial = (line.serial_number or "").strip()
        if not model:
            errors.append(_("第 %(n)d 项：请填写产品型号") % {"n": i})
        elif len(model) > 60:
            errors.append(_("第 %(n)d 项：产品型号不能超过 60 个字符") % {"n": i})
        if len(serial) > 60:
            errors.append(_("第 %(n)d 项：出厂编号不能超过 60 个字符") % {"n": i})
        if not isinstance(line.quantity, int) or line.quantity < 1:
            errors.append(_("第 %(n)d 项：数量至少为 1") % {"n": i})
        elif line.quantity > 99999:
            errors.append(_("第 %(n)d 项：数量不能超过 99999") % {"n": i})
        elif serial and line.quantity != 1:
            errors.append(_("第 %(n)d 项：填写了出厂编号的一项只能是 1 台") % {"n": i})
        clean.append(
            StockLineInput(product_model=model, quantity=line.quantity, serial_number=serial)
        )
    if errors:
        raise ValidationError({"lines": errors})
    return clean


@transaction.atomic
def returned_stock_file(
    *,
    actor,
    filed_by_unit: OrgUnit,
    lines: list[StockLineInput],
    treatment: str = StockTreatment.REWORK,
    urgency: str = Urgency.NORMAL,
    remarks: str = "",
) -> ReturnedStockApplication:
    """呆滞/退货产品处理申请 with its 返修产品清单: 10 units or more go to PMC / production, fewer
    to the repair team (the route is checked again on the counted goods)."""
    if not may_file_returned_stock(actor):
        raise PermissionDenied(_("只有营销中心可以提交退货产品处理申请"))
    errors = {}
    if treatment not in StockTreatment.values:
        errors["treatment"] = _("请选择处理要求（改制、返工或分拆报废）")
    if urgency not in Urgency.values:
        errors["urgency"] = _("请选择紧急程度")
    if len(remarks) > 1000:
        errors["remarks"] = _("备注不能超过 1000 个字符")
    try:
        lines = _clean_lines(lines)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if errors:
        raise ValidationError(errors)
    quantity = sum(line.quantity for line in lines)
    models = list(dict.fromkeys(line.product_model for line in lines))
    summary = "、".join(models)
    if len(summary) > 255:
        summary = summary[:254] + "…"
    application = ReturnedStockApplication.objects.create(
        number=next_document_number("RS"),
        filed_by=actor,
        filed_by_unit=filed_by_unit,
        product_models=summary,
        quantity=quantity,
        treatment=treatment,
        urgency=urgency,
        remarks=remarks.strip(),
        route=route_for(quantity),
    )
    ReturnedStockLine.objects.bulk_create(
        [
            ReturnedStockLine(
                application=application,
                product_model=line.product_model,
                serial_number=line.serial_number,
                quantity=line.quantity,
            )
            for line in lines
        ]
    )
    subject = deferred(
        gettext_noop("退货产品处理申请 %(no)s：%(m)s × %(q)d，%(r)s"),
        no=application.number,
        m=application.product_models,
        q=quantity,
        r=choice(application, "route"),
    )
    notify(
        recipients=_people(Role.LOGISTICS_CLERK, application),
        subject=deferred(gettext_noop("请通知司机提货：%(s)s"), s=subject),
        url=application.get_absolute_url(),
        category="returned_stock",
        source=application,
        action=True,  # done once the collection is recorded
        urgent=application.is_urgent,
    )
    notify(
        recipients=_people(stock_handler_role(application), application),
        subject=subject,
        url=application.get_absolute_url(),
        category="returned_stock",
        source=application,
    )
    return application


# --- 2. the driver collects ------------------------------------------------------------------
@transaction.atomic
def returned_stock_collect(
    *,
    application_id: int,
    actor,
    driver_name: str,
    collected_on: date,
    driver_phone: str = "",
    channel: str = ActionChannel.WEB,
) -> ReturnedStockApplication:
    """通知司机货物的提取: the clerk records the driver and the collection date."""
    if not may_handle_stock_logistics(actor):
        raise PermissionDenied(_("只有后勤专员可以安排司机提货"))
    application = ReturnedStockApplication.objects.get(pk=application_id)
    errors = {}
    if not driver_name.strip():
        errors["driver_name"] = _("请填写司机姓名")
    if collected_on < timezone.localdate(application.created_at):
        errors["collected_on"] = _("提货日期不能早于申请日期")
    elif collected_on > timezone.localdate() + timedelta(days=MAX_AHEAD_DAYS):
        errors["collected_on"] = _("提货日期不能晚于 %(n)d 天之后") % {"n": MAX_AHEAD_DAYS}
    if errors:
        raise ValidationError(errors)
    application = run_transition(
        ReturnedStockApplication,
        application_id,
        transition="collect",
        actor=actor,
        channel=channel,
        comment=deferred(
            gettext_noop("司机 %(n)s，%(d)s 提货"), n=driver_name.strip(), d=collected_on
        ),
        kwargs={
            "driver_name": driver_name.strip(),
            "driver_phone": driver_phone.strip(),
            "collected_on": collected_on,
        },
    )
    notify(
        recipients=_people(Role.WAREHOUSE_KEEPER, application),
        subject=deferred(
            gettext_noop("退货产品 %(no)s 将于 %(d)s 由司机 %(n)s 提回，到货后请按清单验货"),
            no=application.number,
            d=collected_on,
            n=application.driver_name,
        ),
        url=application.get_absolute_url(),
        category="returned_stock",
        source=application,
        action=True,
    )
    return application


# --- 3. the warehouse checks the goods against the list ------------------------------------
@dataclass
class LineCount:
    counted_quantity: int
    counted_model: str = ""


@transaction.atomic
def returned_stock_check(
    *,
    application_id: int,
    actor,
    counts: dict[int, LineCount],
    note: str = "",
    channel: str = ActionChannel.WEB,
) -> ReturnedStockApplication:
    """仓管验货核对: the counted quantity (and the model found) of every line of the list. A
    difference is recorded on its line and the filer told; the route follows the counted goods
    (10 listed but 9 arrived: the repair team takes them)."""
    if not may_check_stock(actor):
        raise PermissionDenied(_("只有仓管或后勤专员可以验货"))
    lines = list(ReturnedStockLine.objects.filter(application_id=application_id).order_by("id"))
    errors = []
    for i, line in enumerate(lines, start=1):
        count = counts.get(line.pk)
        if count is None:
            errors.append(
                _("第 %(n)d 项（%(m)s）未填写实收数量") % {"n": i, "m": line.product_model}
            )
        elif count.counted_quantity < 0 or count.counted_quantity > 99999:
            errors.append(_("第 %(n)d 项：实收数量须在 0 到 99999 之间") % {"n": i})
        elif len(count.counted_model.strip()) > 60:
            errors.append(_("第 %(n)d 项：实收型号不能超过 60 个字符") % {"n": i})
    unknown = set(counts) - {line.pk for line in lines}
    if unknown:
        errors.append(
            _("清单中没有这些明细：%(ids)s") % {"ids": ", ".join(map(str, sorted(unknown)))}
        )
    if errors:
        raise ValidationError({"counts": errors})
    total = sum(counts[line.pk].counted_quantity for line in lines)
    if lines and total == 0:
        raise ValidationError({"counts": _("实收数量合计为 0：货物未到时请勿验货")})
    if len(note) > 255:
        raise ValidationError({"note": _("说明不能超过 255 个字符")})
    differences = []
    for line in lines:
        count = counts[line.pk]
        line.counted_quantity = count.counted_quantity
        line.counted_model = count.counted_model.strip() or line.product_model
        if line.quantity_differs or line.model_differs:
            differences.append(
                _("%(m)s%(s)s：清单 %(q)d 台，实收 %(c)d 台%(x)s")
                % {
                    "m": line.product_model,
                    "s": f" {line.serial_number}" if line.serial_number else "",
                    "q": line.quantity,
                    "c": line.counted_quantity,
                    "x": _("，型号为 %(x)s") % {"x": line.counted_model}
                    if line.model_differs
                    else "",
                }
            )
    route = route_for(total)
    application = run_transition(
        ReturnedStockApplication,
        application_id,
        transition="check_goods",
        actor=actor,
        channel=channel,
        comment="\n".join([*differences, note.strip()]).strip(),
        kwargs={
            "actor": actor,
            "counted_quantity": total,
            "has_discrepancies": bool(differences),
            "route": route,
            "note": note.strip(),
        },
    )
    ReturnedStockLine.objects.bulk_update(lines, ["counted_quantity", "counted_model"])
    if differences:
        body = "\n".join(f"- {d}" for d in differences)
        if note.strip():
            body += "\n" + note.strip()
        notify(
            recipients=[application.filed_by],
            subject=deferred(
                gettext_noop("退货产品验货差异：%(no)s（清单 %(q)d 台，实收 %(c)d 台）"),
                no=application.number,
                q=application.quantity,
                c=total,
            ),
            body=body,
            url=application.get_absolute_url(),
            category="returned_stock",
            source=application,
            urgent=True,
        )
    notify(
        recipients=_people(Role.LOGISTICS_CLERK, application),
        subject=deferred(
            gettext_noop(
                "退货产品 %(no)s 已验货（%(c)d 台，%(r)s）：请制定领机维修期限并派生产任务单"
            ),
            no=application.number,
            c=total,
            r=choice(application, "route"),
        ),
        url=application.get_absolute_url(),
        category="returned_stock",
        source=application,
        action=True,
        urgent=application.is_urgent,
    )
    return application


# --- 4 and 5. the limit and the production task order ---------------------------------------
@transaction.atomic
def returned_stock_issue(
    *, application_id: int, actor, limit_days: int, channel: str = ActionChannel.WEB
) -> ReturnedStockApplication:
    """制定领机的维修期限 (5, 10, 15 or 30 days) and 派生产任务单: the task order is numbered, the
    limit runs as a timer from now, held by the clerk until the goods are taken over."""
    if not may_handle_stock_logistics(actor):
        raise PermissionDenied(_("只有后勤专员可以派生产任务单"))
    if limit_days not in LIMIT_POLICIES:
        raise ValidationError({"limit_days": _("领机维修期限只能是 5、10、15 或 30 天")})
    application = run_transition(
        ReturnedStockApplication,
        application_id,
        transition="issue_task_order",
        actor=actor,
        channel=channel,
        comment=deferred(gettext_noop("领机维修期限 %(d)d 天"), d=limit_days),
        kwargs={
            "actor": actor,
            "limit_days": limit_days,
            "task_order_number": next_document_number("PT"),
        },
    )
    timer = deadline_start(
        policy=plugins.default_policy(LIMIT_POLICIES[limit_days]),
        owner=application,
        org_unit=application.filed_by_unit,
        assignee=actor,
        started_at=application.task_order_issued_at,
        label=deferred(
            gettext_noop("领机维修期限 %(no)s（%(t)s，%(d)d 天）"),
            no=application.task_order_number,
            t=application.number,
            d=limit_days,
        ),
        actor=actor,
    )
    due = timezone.localtime(timer.due_at).strftime("%Y-%m-%d %H:%M")
    notify(
        recipients=_people(stock_handler_role(application), application),
        subject=deferred(
            gettext_noop("生产任务单 %(no)s：%(m)s × %(c)d，%(t)s，请于 %(due)s 前完成"),
            no=application.task_order_number,
            m=application.product_models,
            c=application.counted_quantity or application.quantity,
            t=choice(application, "treatment"),
            due=due,
        ),
        body=deferred(gettext_noop("请到仓库领取（维修组派专人签名领取；PMC 确认交接）。")),
        url=application.get_absolute_url(),
        category="returned_stock",
        source=application,
        action=True,  # done once the goods are taken over
        urgent=application.is_urgent,
    )
    return application


# --- 6. the hand-over: PMC confirms, or the repair team signs for the goods -----------------
def repair_team_member(user) -> bool:
    return has_role(user, Role.TECHNICIAN) or has_role(user, Role.REPAIR_SUPERVISOR)


@transaction.atomic
def returned_stock_take(
    *,
    application_id: int,
    actor,
    signed_by=None,
    signature: str = "",
    channel: str = ActionChannel.WEB,
) -> ReturnedStockApplication:
    """10 units or more: a PMC person confirms the hand-over to production. Fewer: the repair
    supervisor records who of the team came to the warehouse and signed for the goods
    (维修组安排专人到仓库领取需维修的产品并签名). The limit's timer passes to that person."""
    current = ReturnedStockApplication.objects.only("route").get(pk=application_id)
    if not may_take_stock(actor, current):
        raise PermissionDenied(
            _("只有 PMC 可以确认交接")
            if current.route == ReturnedStockRoute.PMC
            else _("只有维修主管可以安排维修组领机")
        )
    signature = signature.strip()
    errors = {}
    if len(signature) > 60:
        errors["signature"] = _("签名不能超过 60 个字符")
    if current.route == ReturnedStockRoute.PMC:
        transition, taken_by = "pmc_take", actor
    else:
        transition, taken_by = "team_take", signed_by or actor
        if not repair_team_member(taken_by):
            errors["signed_by"] = _("领机人须是维修组人员")
        if not signature:
            errors["signature"] = _("请领机人签名（填写姓名）")
    if errors:
        raise ValidationError(errors)
    application = run_transition(
        ReturnedStockApplication,
        application_id,
        transition=transition,
        actor=actor,
        channel=channel,
        comment=deferred(gettext_noop("%(who)s 领机签收"), who=signature or str(taken_by)),
        kwargs={"taken_by": taken_by, "signature": signature},
    )
    timer = stock_timer(application)
    if timer is not None:
        deadline_reassign(deadline=timer, assignee=taken_by, actor=actor)
    return application


# --- 7. finished ----------------------------------------------------------------------------
@transaction.atomic
def returned_stock_finish(
    *, application_id: int, actor, work_done: str, channel: str = ActionChannel.WEB
) -> ReturnedStockApplication:
    if not work_done.strip():
        raise ValidationError({"work_done": _("请填写处理结果")})
    if len(work_done) > 2000:
        raise ValidationError({"work_done": _("处理结果不能超过 2000 个字符")})
    application = run_transition(
        ReturnedStockApplication,
        application_id,
        transition="finish",
        actor=actor,
        channel=channel,
        comment=work_done.strip(),
        kwargs={"work_done": work_done.strip()},
    )
    close_open_deadlines_of(application, kind=STOCK_KIND, actor=actor)
    notify(
        recipients=[application.filed_by],
        subject=deferred(
            gettext_noop("退货产品处理完成：%(no)s（%(m)s，%(t)s）"),
            no=application.number,
            m=application.product_models,
            t=choice(application, "treatment"),
        ),
        body=application.work_done,
        url=application.get_absolute_url(),
        category="returned_stock",
        source=application,
    )
    return application
