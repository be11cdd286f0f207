"""Car-factory units (车厂回购机流程, issue 22 items 4 and 5): buy-back batches (回购机) from intake
to a decision per unit and their costs, and the OEM's backup-unit pool (江淮备用机) with its swaps,
due-back timers and the monthly reconciliation.

Every state change goes through service_ops.transitions.run_transition (locked row, permission,
FSM transition, log); timers and notifications are written in the same transaction."""

from __future__ import annotations

import contextlib
import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from network.choices import OrgKind, Role
from network.models import OrgUnit
from network.selectors import role_holders
from network.visibility import user_org_unit
from service_ops import plugins
from service_ops.deadlines.services import close_open_deadlines_of, deadline_start
from service_ops.i18n import deferred
from service_ops.notifications.services import notify
from service_ops.numbering.services import next_document_number
from service_ops.transitions.models import ActionChannel
from service_ops.transitions.services import run_transition
from service_ops.workcalendar import clock

from ..choices import (
    BackupCondition,
    BackupSwapState,
    BackupUnitState,
    BuybackBatchState,
    BuybackDecision,
    BuybackGrade,
    BuybackUnitState,
    OemReconciliationState,
)
from ..models import (
    BackupSwap,
    BackupUnit,
    BuybackBatch,
    BuybackUnit,
    OemCustomer,
    OemReconciliation,
    OemStore,
    RepairOrder,
)
from ..permissions import (
    may_decide_buyback,
    may_finish_buyback,
    may_handle_oem_backups,
    may_inspect_buyback,
    may_intake_buyback,
    may_reconcile_oem,
)

BACKUP_KIND = "repair.oem_backup_return"
# 备用机应还期限: the seed is silent. 20 working days (about four calendar weeks, 国庆 and 春节
# not eating into the store's time) from the lend date; a policy row, editable in the admin (a
# running timer keeps the copy it started with). Warned 1 working day before (the engine's
# default), breached at the cut-off of the 20th working day, then escalated to the head of CS.
BACKUP_POLICY = "oem-backup-return"
MAX_ROWS = 500
MAX_BACKDATE_DAYS = 60  # a lend recorded late (a store's swap phoned in, entered afterwards)
MAX_COST = Decimal("100000")
SERIAL = re.compile(r"[A-Za-z0-9][A-Za-z0-9\-_/.]{3,59}")
ROW_SPLIT = re.compile(r"\s*[,，\t;；]\s*")
COLUMNS = {
    "出厂编号": "serial",
    "serial": "serial",
    "serial_number": "serial",
    "型号": "model",
    "model": "model",
    "故障": "fault",
    "车厂反馈故障": "fault",
    "fault": "fault",
}


def _hq(actor) -> OrgUnit:
    unit = user_org_unit(actor)
    if unit is not None and unit.kind == OrgKind.HEADQUARTERS:
        return unit
    return OrgUnit.objects.filter(kind=OrgKind.HEADQUARTERS).order_by("pk").first() or unit


def _people(role: str, actor) -> list:
    unit = _hq(actor)
    return role_holders(role, unit) if unit is not None else []


# --- 回购机: intake ---------------------------------------------------------------------------


@dataclass
class SerialRow:
    """One line of a batch: where it came from (its line or Excel row number) and its values."""

    row: int
    serial_number: str
    product_model: str = ""
    oem_fault: str = ""


def rows_from_text(text: str) -> list[SerialRow]:
    """Lines typed or pasted from Excel: `serial[, model[, fault]]` (comma, tab or semicolon)."""
    rows = []
    for number, line in enumerate((text or "").splitlines(), start=1):
        if not line.strip():
            continue
        parts = [*ROW_SPLIT.split(line.strip(), maxsplit=2), "", ""]
        rows.append(SerialRow(number, parts[0], parts[1], parts[2]))
    return rows


@contextlib.contextmanager
def _sheet(file):
    from openpyxl import load_workbook

    try:
        book = load_workbook(file, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a file that is not a workbook
        raise ValidationError(
            {"file": _("无法读取文件，请上传 Excel（.xlsx）文件")}, code="unreadable"
        ) from exc
    try:
        if not book.worksheets:
            raise ValidationError({"file": _("文件中没有工作表")})
        yield book.worksheets[0]
    finally:
        book.close()


def rows_from_file(file) -> list[SerialRow]:
    """An Excel sheet whose header row names the columns 出厂编号 (required), 型号, 故障; row
    numbers as Excel shows them."""
    with _sheet(file) as sheet:
        values = sheet.iter_rows(values_only=True)
        header = next(values, None) or ()
        index = {}
        for i, cell in enumerate(header):
            key = COLUMNS.get(str(cell).strip().lower() if cell is not None else "")
            if key and key not in index:
                index[key] = i
        if "serial" not in index:
            raise ValidationError({"file": _("表头须包含“出厂编号”列")})
        rows = []
        for number, row in enumerate(values, start=2):
            row = tuple(row or ())

            def get(key, row=row):
                i = index.get(key)
                value = row[i] if i is not None and i < len(row) else None
                return "" if value is None else str(value).strip()

            if not any(get(k) for k in index):
                continue
            rows.append(SerialRow(number, get("serial"), get("model"), get("fault")))
            if len(rows) > MAX_ROWS:
                break
        return rows


def _clean_rows(rows: list[SerialRow], default_model: str) -> list[SerialRow]:
    """Every row checked; all or nothing: the errors name each refused row."""
    if not rows:
        raise ValidationError({"serials": _("请至少填写一台回购机的出厂编号")})
    if len(rows) > MAX_ROWS:
        raise ValidationError({"serials": _("一个批次最多 %(n)d 台") % {"n": MAX_ROWS}})
    errors, clean, seen = [], [], {}
    for r in rows:
        serial = (r.serial_number or "").strip().upper()
        model = (r.product_model or "").strip() or default_model.strip()
        fault = (r.oem_fault or "").strip()
        if not serial:
            errors.append(_("第 %(n)d 行：缺少出厂编号") % {"n": r.row})
            continue
        if not SERIAL.fullmatch(serial):
            errors.append(
                _("第 %(n)d 行：出厂编号“%(s)s”无效（4–60 位字母、数字或 - _ / .）")
                % {"n": r.row, "s": serial[:60]}
            )
            continue
        if serial in seen:
            errors.append(
                _("第 %(n)d 行：出厂编号 %(s)s 与第 %(m)d 行重复")
                % {"n": r.row, "s": serial, "m": seen[serial]}
            )
            continue
        seen[serial] = r.row
        if not model:
            errors.append(_("第 %(n)d 行：缺少型号") % {"n": r.row})
        elif len(model) > 60:
            errors.append(_("第 %(n)d 行：型号不能超过 60 个字符") % {"n": r.row})
        if len(fault) > 255:
            errors.append(_("第 %(n)d 行：故障描述不能超过 255 个字符") % {"n": r.row})
        clean.append(SerialRow(r.row, serial, model, fault))
    if not errors:
        # a serial still being handled in another open batch is a typing or counting mistake
        open_elsewhere = dict(
            BuybackUnit.objects.filter(
                serial_number__in=list(seen), batch__state=BuybackBatchState.OPEN
            ).values_list("serial_number", "batch__number")
        )
        for r in clean:
            if r.serial_number in open_elsewhere:
                errors.append(
                    _("第 %(n)d 行：出厂编号 %(s)s 已在未结案批次 %(b)s 中")
                    % {"n": r.row, "s": r.serial_number, "b": open_elsewhere[r.serial_number]}
                )
    if errors:
        raise ValidationError({"serials": errors})
    return clean


@transaction.atomic
def buyback_batch_intake(
    *,
    actor,
    oem: OemCustomer,
    received_on: date,
    rows: list[SerialRow],
    default_model: str = "",
    oem_reference: str = "",
    note: str = "",
) -> BuybackBatch:
    """回购机入库: a batch numbered BB-yyyymm-nnnn with its units, all or nothing."""
    if not may_intake_buyback(actor):
        raise PermissionDenied(_("只有后勤专员或仓管可以登记回购机"))
    errors: dict = {}
    today = timezone.localdate()
    if oem is None or not oem.is_active:
        errors["oem"] = _("请选择车厂")
    if received_on > today:
        errors["received_on"] = _("收货日期不能晚于今天")
    elif received_on < today - timedelta(days=365):
        errors["received_on"] = _("收货日期不能早于一年前")
    if len(oem_reference) > 40:
        errors["oem_reference"] = _("车厂单号不能超过 40 个字符")
    if len(note) > 255:
        errors["note"] = _("备注不能超过 255 个字符")
    try:
        rows = _clean_rows(rows, default_model)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if errors:
        raise ValidationError(errors)
    batch = BuybackBatch.objects.create(
        number=next_document_number("BB"),
        oem=oem,
        oem_reference=oem_reference.strip(),
        received_on=received_on,
        note=note.strip(),
        unit_count=len(rows),
        created_by=actor,
    )
    BuybackUnit.objects.bulk_create(
        [
            BuybackUnit(
                batch=batch,
                serial_number=r.serial_number,
                product_model=r.product_model,
                oem_fault=r.oem_fault,
            )
            for r in rows
        ]
    )
    notify(
        recipients=_people(Role.REPAIR_SUPERVISOR, actor),
        subject=deferred(
            gettext_noop("回购机批次 %(no)s（%(oem)s，%(n)d 台）已入库，请安排检测"),
            no=batch.number,
            oem=oem.name,
            n=len(rows),
        ),
        url=batch.get_absolute_url(),
        category="oem",
        source=batch,
    )
    return batch


# --- 回购机: inspection, decision, work done ---------------------------------------------------


def _open_unit(unit_id: int) -> BuybackUnit:
    unit = BuybackUnit.objects.select_related("batch").get(pk=unit_id)
    return unit


@transaction.atomic
def buyback_unit_inspect(
    *,
    unit_id: int,
    actor,
    findings: str,
    grade: str,
    fault_codes: str = "",
    channel: str = ActionChannel.WEB,
) -> BuybackUnit:
    """检测: what was found, the fault codes (free text: repairs keeps no fault catalogue) and
    a grade A–D."""
    if not may_inspect_buyback(actor):
        raise PermissionDenied(_("只有维修技术员可以检测"))
    errors = {}
    findings, fault_codes = findings.strip(), fault_codes.strip().upper()
    if not findings:
        errors["findings"] = _("请填写检测结果")
    elif len(findings) > 1000:
        errors["findings"] = _("检测结果不能超过 1000 个字符")
    if len(fault_codes) > 120:
        errors["fault_codes"] = _("故障代码不能超过 120 个字符")
    if grade not in BuybackGrade.values:
        errors["grade"] = _("请选择等级")
    if errors:
        raise ValidationError(errors)
    codes = "、".join(c for c in re.split(r"[,，;；、\s]+", fault_codes) if c)
    return run_transition(
        BuybackUnit,
        unit_id,
        transition="inspect",
        actor=actor,
        channel=channel,
        comment=findings,
        kwargs={"actor": actor, "findings": findings, "fault_codes": codes, "grade": grade},
    )


@transaction.atomic
def buyback_unit_decide(
    *,
    unit_id: int,
    actor,
    decision: str,
    note: str = "",
    repair_order_number: str = "",
    channel: str = ActionChannel.WEB,
) -> BuybackUnit:
    """处理决定: refurbish to stock, repair (linked to a repair order of the same serial when
    the workshop opened one; otherwise the repair is recorded here) or scrap. A unit graded D
    (no repair value) can only be scrapped."""
    if not may_decide_buyback(actor):
        raise PermissionDenied(_("只有维修主管可以决定处理方式"))
    unit = _open_unit(unit_id)
    errors = {}
    note = note.strip()
    if decision not in BuybackDecision.values:
        errors["decision"] = _("请选择处理决定")
    elif unit.grade == "D" and decision != BuybackDecision.SCRAP:
        errors["decision"] = _("D 级（无修复价值）的回购机只能报废")
    if len(note) > 255:
        errors["note"] = _("说明不能超过 255 个字符")
    order = None
    number = repair_order_number.strip()
    if number:
        if decision != BuybackDecision.REPAIR:
            errors["repair_order_number"] = _("只有“维修”才能关联维修单")
        else:
            order = RepairOrder.objects.filter(number=number).first()
            if order is None:
                errors["repair_order_number"] = _("没有这个维修单号")
            elif order.serial_number.upper() != unit.serial_number:
                errors["repair_order_number"] = _("维修单的出厂编号与回购机不符")
    if errors:
        raise ValidationError(errors)
    unit = run_transition(
        BuybackUnit,
        unit_id,
        transition="decide",
        actor=actor,
        channel=channel,
        comment=note,
        kwargs={"actor": actor, "decision": decision, "note": note, "repair_order": order},
    )
    return unit


def _money(value, field: str, errors: dict) -> Decimal:
    try:
        amount = Decimal(str(value if value not in (None, "") else 0))
    except InvalidOperation:
        errors[field] = _("请填写金额")
        return Decimal(0)
    if not amount.is_finite() or amount < 0 or amount > MAX_COST:
        errors[field] = _("金额须在 0 到 100000 之间")
    elif amount != amount.quantize(Decimal("0.01")):
        errors[field] = _("金额最多两位小数")
    return amount.quantize(Decimal("0.01")) if amount.is_finite() else Decimal(0)


@transaction.atomic
def buyback_unit_finish(
    *,
    unit_id: int,
    actor,
    outcome: str,
    cost_parts=0,
    cost_labour=0,
    cost_freight=0,
    channel: str = ActionChannel.WEB,
) -> BuybackUnit:
    """处理完成 with the unit's costs (parts, labour, freight). The batch closes by itself when
    its last unit is done."""
    if not may_finish_buyback(actor):
        raise PermissionDenied(_("只有维修组或后勤专员可以登记处理结果"))
    errors: dict = {}
    outcome = outcome.strip()
    if not outcome:
        errors["outcome"] = _("请填写处理结果")
    elif len(outcome) > 255:
        errors["outcome"] = _("处理结果不能超过 255 个字符")
    costs = {
        name: _money(value, name, errors)
        for name, value in (
            ("cost_parts", cost_parts),
            ("cost_labour", cost_labour),
            ("cost_freight", cost_freight),
        )
    }
    if errors:
        raise ValidationError(errors)
    unit = run_transition(
        BuybackUnit,
        unit_id,
        transition="finish",
        actor=actor,
        channel=channel,
        comment=outcome,
        kwargs={"outcome": outcome, **costs},
    )
    # the batch is locked before it is counted: two last units finished at once close it once
    batch = BuybackBatch.objects.select_for_update().get(pk=unit.batch_id)
    if (
        batch.state == BuybackBatchState.OPEN
        and not batch.units.exclude(state=BuybackUnitState.DONE).exists()
    ):
        batch = run_transition(
            BuybackBatch,
            batch.pk,
            transition="close",
            actor=actor,
            channel=ActionChannel.SYSTEM,
            comment=deferred(gettext_noop("全部 %(n)d 台处理完成"), n=batch.unit_count),
        )
        notify(
            recipients=_people(Role.LOGISTICS_CLERK, actor),
            subject=deferred(
                gettext_noop("回购机批次 %(no)s 已全部处理完成，请向 %(oem)s 发送处理报告"),
                no=batch.number,
                oem=batch.oem.name,
            ),
            url=batch.get_absolute_url(),
            category="oem",
            source=batch,
        )
    return unit


# --- 江淮备用机: the pool -------------------------------------------------------------------


@transaction.atomic
def backup_unit_add(
    *, actor, oem: OemCustomer, serial_number: str, product_model: str, note: str = ""
) -> BackupUnit:
    """A unit joins the OEM's pool (in the pool, ready to lend)."""
    if not may_handle_oem_backups(actor):
        raise PermissionDenied(_("只有后勤专员或维修主管可以管理备用机"))
    serial = serial_number.strip().upper()
    errors = {}
    if not SERIAL.fullmatch(serial):
        errors["serial_number"] = _("出厂编号无效（4–60 位字母、数字或 - _ / .）")
    elif BackupUnit.objects.filter(serial_number=serial).exists():
        errors["serial_number"] = _("该出厂编号已在备用机池中")
    if not product_model.strip() or len(product_model.strip()) > 60:
        errors["product_model"] = _("请填写型号（最多 60 个字符）")
    if errors:
        raise ValidationError(errors)
    return BackupUnit.objects.create(
        oem=oem, serial_number=serial, product_model=product_model.strip(), note=note.strip()
    )


def _backup_step(transition: str):
    def step(*, backup_id: int, actor, comment: str = "", channel=ActionChannel.WEB):
        if not may_handle_oem_backups(actor):
            raise PermissionDenied(_("只有后勤专员或维修主管可以管理备用机"))
        return run_transition(
            BackupUnit,
            backup_id,
            transition=transition,
            actor=actor,
            channel=channel,
            comment=comment.strip()[:255],
        )

    step.__name__ = f"backup_unit_{transition}"
    return transaction.atomic(step)


# 归还故障 → 送修 → 修好回库, or 报废
backup_unit_send_to_repair = _backup_step("send_to_repair")
backup_unit_repaired = _backup_step("repaired")
backup_unit_scrap = _backup_step("scrap")
BACKUP_STEPS = {
    "send_to_repair": backup_unit_send_to_repair,
    "repaired": backup_unit_repaired,
    "scrap": backup_unit_scrap,
}


# --- 江淮备用机: lending against a failed unit ----------------------------------------------


def _start_moment(on: date) -> datetime:
    """The timer starts now when lent today; a lend entered afterwards counts from its day."""
    if on >= timezone.localdate():
        return timezone.now()
    return clock.at_local(on, time(12))


@transaction.atomic
def backup_swap_lend(
    *,
    actor,
    backup_id: int,
    store: OemStore,
    failed_serial: str,
    failed_fault: str,
    lent_on: date,
    failed_model: str = "",
    channel: str = ActionChannel.WEB,
) -> BackupSwap:
    """换机: a backup of the pool goes to the OEM's store against its failed unit; due back in
    20 working days (policy), with a timer that warns before and escalates after."""
    if not may_handle_oem_backups(actor):
        raise PermissionDenied(_("只有后勤专员或维修主管可以借出备用机"))
    backup = BackupUnit.objects.get(pk=backup_id)
    errors = {}
    failed_serial, failed_fault = failed_serial.strip().upper(), failed_fault.strip()
    today = timezone.localdate()
    if store is None or store.oem_id != backup.oem_id:
        errors["store"] = _("门店须属于该备用机的车厂")
    elif not store.is_active:
        errors["store"] = _("该门店已停用")
    if not SERIAL.fullmatch(failed_serial):
        errors["failed_serial"] = _("请填写故障机的出厂编号（4–60 位字母、数字或 - _ / .）")
    elif failed_serial == backup.serial_number:
        errors["failed_serial"] = _("故障机不能是备用机本身")
    if not failed_fault:
        errors["failed_fault"] = _("请填写故障现象")
    elif len(failed_fault) > 255:
        errors["failed_fault"] = _("故障现象不能超过 255 个字符")
    if len(failed_model.strip()) > 60:
        errors["failed_model"] = _("型号不能超过 60 个字符")
    if lent_on > today:
        errors["lent_on"] = _("借出日期不能晚于今天")
    elif lent_on < today - timedelta(days=MAX_BACKDATE_DAYS):
        errors["lent_on"] = _("借出日期不能早于 %(n)d 天前") % {"n": MAX_BACKDATE_DAYS}
    if errors:
        raise ValidationError(errors)
    backup = run_transition(
        BackupUnit,
        backup_id,
        transition="lend",
        actor=actor,
        channel=channel,
        comment=deferred(gettext_noop("借给 %(s)s"), s=str(store)),
    )
    swap = BackupSwap(
        number=next_document_number("BS"),
        oem_id=backup.oem_id,
        store=store,
        backup=backup,
        failed_serial=failed_serial,
        failed_model=failed_model.strip(),
        failed_fault=failed_fault,
        lent_on=lent_on,
        due_back=lent_on,  # set from the timer below
        lent_by=actor,
    )
    try:
        with transaction.atomic():
            swap.save()
    except IntegrityError as exc:  # the backup was lent by someone else meanwhile
        raise ValidationError({"backup": _("该备用机已借出")}) from exc
    timer = deadline_start(
        policy=plugins.default_policy(BACKUP_POLICY),
        owner=swap,
        org_unit=_hq(actor),
        assignee=actor,
        started_at=_start_moment(lent_on),
        label=deferred(
            gettext_noop("备用机归还 %(s)s（%(no)s，%(store)s）"),
            s=backup.serial_number,
            no=swap.number,
            store=store.name,
        ),
        actor=actor,
    )
    swap.due_back = clock.local_date(timer.due_at)
    BackupSwap.objects.filter(pk=swap.pk).update(due_back=swap.due_back)
    return swap


@transaction.atomic
def backup_swap_return(
    *,
    swap_id: int,
    actor,
    returned_on: date,
    condition: str,
    note: str = "",
    failed_received: bool = False,
    channel: str = ActionChannel.WEB,
) -> BackupSwap:
    """The backup comes back: to the pool when good, set aside as faulty otherwise; its timer
    closes (late when past due). The store's failed unit may arrive with it."""
    if not may_handle_oem_backups(actor):
        raise PermissionDenied(_("只有后勤专员或维修主管可以登记归还"))
    current = BackupSwap.objects.get(pk=swap_id)
    errors = {}
    if condition not in BackupCondition.values:
        errors["condition"] = _("请选择归还状况")
    if returned_on > timezone.localdate():
        errors["returned_on"] = _("归还日期不能晚于今天")
    elif returned_on < current.lent_on:
        errors["returned_on"] = _("归还日期不能早于借出日期")
    note = note.strip()
    if condition == BackupCondition.FAULTY and not note:
        errors["note"] = _("备用机有故障时请说明故障")
    if len(note) > 255:
        errors["note"] = _("说明不能超过 255 个字符")
    if errors:
        raise ValidationError(errors)
    swap = run_transition(
        BackupSwap,
        swap_id,
        transition="give_back",
        actor=actor,
        channel=channel,
        comment=note,
        kwargs={"returned_on": returned_on, "condition": condition, "note": note},
    )
    run_transition(
        BackupUnit,
        swap.backup_id,
        transition="take_back" if condition == BackupCondition.GOOD else "take_back_faulty",
        actor=actor,
        channel=channel,
        comment=deferred(gettext_noop("%(no)s 归还"), no=swap.number),
    )
    close_open_deadlines_of(swap, kind=BACKUP_KIND, actor=actor)
    if failed_received and swap.failed_received_on is None:
        swap = backup_swap_receive_failed(swap_id=swap.pk, actor=actor, received_on=returned_on)
    return swap


@transaction.atomic
def backup_swap_receive_failed(*, swap_id: int, actor, received_on: date) -> BackupSwap:
    """The store's failed unit arrives for repair (recorded on the swap, once)."""
    if not may_handle_oem_backups(actor):
        raise PermissionDenied(_("只有后勤专员或维修主管可以登记收货"))
    swap = BackupSwap.objects.select_for_update().get(pk=swap_id)
    if swap.failed_received_on is not None:
        raise ValidationError({"received_on": _("故障机已登记收到")})
    if received_on > timezone.localdate() or received_on < swap.lent_on - timedelta(days=30):
        raise ValidationError({"received_on": _("收到日期不合理")})
    swap.failed_received_on = received_on
    swap.save(update_fields=["failed_received_on"])
    return swap


@transaction.atomic
def backup_swap_send_original(*, swap_id: int, actor, sent_on: date) -> BackupSwap:
    """The failed unit, repaired, goes back to the store (once, after it was received)."""
    if not may_handle_oem_backups(actor):
        raise PermissionDenied(_("只有后勤专员或维修主管可以登记寄回"))
    swap = BackupSwap.objects.select_for_update().get(pk=swap_id)
    if swap.failed_received_on is None:
        raise ValidationError({"sent_on": _("故障机尚未收到")})
    if swap.original_sent_back_on is not None:
        raise ValidationError({"sent_on": _("原机已登记寄回")})
    if sent_on > timezone.localdate() or sent_on < swap.failed_received_on:
        raise ValidationError({"sent_on": _("寄回日期不能早于收到日期，也不能晚于今天")})
    swap.original_sent_back_on = sent_on
    swap.save(update_fields=["original_sent_back_on"])
    return swap


# --- 江淮备用机: the monthly reconciliation -------------------------------------------------


def month_start(value: date) -> date:
    return value.replace(day=1)


@transaction.atomic
def oem_reconciliation_build(*, actor, oem: OemCustomer, month: date) -> OemReconciliation:
    """The month's figures, built or refreshed while a draft (a sent one is kept as sent)."""
    from ..selectors.oem import reconciliation_figures

    if not may_reconcile_oem(actor):
        raise PermissionDenied(_("只有后勤专员或客服部部长可以对账"))
    month = month_start(month)
    if month > month_start(timezone.localdate()):
        raise ValidationError({"month": _("不能对未来的月份对账")})
    row, _created = OemReconciliation.objects.get_or_create(oem=oem, month=month)
    row = OemReconciliation.objects.select_for_update().get(pk=row.pk)
    if row.state != OemReconciliationState.DRAFT:
        raise ValidationError({"month": _("该月对账单已发送，不能重新生成")})
    row.figures = reconciliation_figures(oem, month)
    row.built_at = timezone.now()
    row.save(update_fields=["figures", "built_at"])
    return row


@transaction.atomic
def oem_reconciliation_act(
    *, reconciliation_id: int, actor, action: str, note: str = "", channel=ActionChannel.WEB
) -> OemReconciliation:
    """send (to the OEM), confirm or dispute (the OEM's answer, recorded by the coordinator),
    reopen (a disputed one goes back to draft to be rebuilt)."""
    if not may_reconcile_oem(actor):
        raise PermissionDenied(_("只有后勤专员或客服部部长可以对账"))
    note = note.strip()
    if action not in ("send", "confirm", "dispute", "reopen"):
        raise ValidationError({"action": _("未知操作")})
    if action == "dispute" and not note:
        raise ValidationError({"note": _("请填写车厂的异议")})
    if len(note) > 255:
        raise ValidationError({"note": _("说明不能超过 255 个字符")})
    kwargs = {"actor": actor, "note": note} if action in ("confirm", "dispute") else {}
    return run_transition(
        OemReconciliation,
        reconciliation_id,
        transition=action,
        actor=actor,
        channel=channel,
        comment=note,
        kwargs=kwargs,
    )


__all__ = [
    "BACKUP_STEPS",
    "BackupSwapState",
    "BackupUnitState",
    "backup_swap_lend",
    "backup_swap_receive_failed",
    "backup_swap_return",
    "backup_swap_send_original",
    "backup_unit_add",
    "buyback_batch_intake",
    "buyback_unit_decide",
    "buyback_unit_finish",
    "buyback_unit_inspect",
    "oem_reconciliation_act",
    "oem_reconciliation_build",
    "rows_from_file",
    "rows_from_text",
]
