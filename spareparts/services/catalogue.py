"""The parts catalogue: saving a part from its form, and the Excel import and export.

The import is all or nothing (issue 19 item 1): every row is checked first and, when any row is
refused, nothing is written and the report names each refused row with its number and reason; a
clean file is written in one transaction (a part number already in the catalogue is updated, its
fitted models replaced). The export writes the same columns, so an exported file imports back
unchanged. The shape follows callcenter/services/codes.py (openpyxl, the header row naming the
columns, row-by-row report)."""

from __future__ import annotations

import contextlib
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from io import BytesIO

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from ..models import Part, PartFit
from ..permissions import may_manage_catalogue

# (field, Chinese header, English header)
COLUMNS = (
    ("number", "配件编号", "part_number"),
    ("name_zh", "名称", "name"),
    ("name_en", "英文名称", "name_en"),
    ("fits", "适用型号", "models"),
    ("unit", "单位", "unit"),
    ("list_price", "销售价", "list_price"),
    ("cost", "成本价", "cost"),
    ("reorder_level", "安全库存", "reorder_level"),
    ("is_active", "启用", "active"),
)
REQUIRED = ("number", "name_zh")
MAX_ROWS = 20_000
TRUE = {"是", "1", "true", "yes", "y", "启用", "√"}
FALSE = {"否", "0", "false", "no", "n", "停用", "×"}
SEPARATORS = re.compile(r"[,，;；、/\s]+")


@dataclass
class ImportReport:
    rows: int = 0
    created: int = 0
    updated: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)

    @property
    def imported(self) -> int:
        return self.created + self.updated

    @property
    def ok(self) -> bool:
        return not self.errors


def _header_index(header) -> dict[str, int]:
    names = {}
    for name, zh, en in COLUMNS:
        names[zh] = name
        names[en] = name
    index: dict[str, int] = {}
    for i, cell in enumerate(header or ()):
        key = names.get(str(cell).strip()) if cell is not None else None
        if key and key not in index:
            index[key] = i
    if not set(REQUIRED) <= set(index):
        raise ValidationError(_("表头须包含“配件编号”和“名称”两列"), code="header")
    return index


def _decimal(value, label: str) -> Decimal:
    if value in (None, ""):
        return Decimal("0")
    try:
        number = Decimal(str(value).strip().replace(",", "").lstrip("¥￥"))
    except InvalidOperation as exc:
        raise ValueError(
            _("%(label)s不是数字：%(value)s") % {"label": label, "value": value}
        ) from exc
    if number < 0 or number >= Decimal("100000000") or not number.is_finite():
        raise ValueError(_("%(label)s超出范围：%(value)s") % {"label": label, "value": value})
    if number != number.quantize(Decimal("0.01")):
        raise ValueError(_("%(label)s最多两位小数：%(value)s") % {"label": label, "value": value})
    return number.quantize(Decimal("0.01"))


def _whole(value, label: str) -> int:
    if value in (None, ""):
        return 0
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation as exc:
        raise ValueError(
            _("%(label)s不是整数：%(value)s") % {"label": label, "value": value}
        ) from exc
    if number != number.to_integral_value() or number < 0 or number > 10_000_000:
        raise ValueError(_("%(label)s须为非负整数：%(value)s") % {"label": label, "value": value})
    return int(number)


def _flag(value) -> bool:
    if value in (None, ""):
        return True
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in TRUE:
        return True
    if text in FALSE:
        return False
    raise ValueError(_("启用列须填“是”或“否”：%(value)s") % {"value": value})


def _clean_row(get) -> dict:
    """One row's values, or ValueError naming the first thing wrong."""
    number = get("number").upper()
    if not number:
        raise ValueError(_("缺少配件编号"))
    if len(number) > 40 or not re.fullmatch(r"[A-Z0-9][A-Z0-9._\-]*", number):
        raise ValueError(
            _("配件编号只能由字母、数字和 . _ - 组成（最多 40 位）：%(n)s") % {"n": number}
        )
    name_zh = get("name_zh")
    if not name_zh:
        raise ValueError(_("缺少名称"))
    if len(name_zh) > 120 or len(get("name_en")) > 120:
        raise ValueError(_("名称过长（最多 120 字）"))
    fits = sorted({m for m in SEPARATORS.split(get("fits")) if m})
    if any(len(m) > 60 for m in fits):
        raise ValueError(_("适用型号过长（每个最多 60 字）"))
    unit = get("unit") or "个"
    if len(unit) > 12:
        raise ValueError(_("单位过长（最多 12 字）"))
    return {
        "number": number,
        "name_zh": name_zh,
        "name_en": get("name_en"),
        "fits": fits,
        "unit": unit,
        "list_price": _decimal(get("list_price", raw=True), _("销售价")),
        "cost": _decimal(get("cost", raw=True), _("成本价")),
        "reorder_level": _whole(get("reorder_level", raw=True), _("安全库存")),
        "is_active": _flag(get("is_active", raw=True)),
    }


def parts_import(*, rows, actor) -> ImportReport:
    """Import row tuples, header first. All or nothing: a refused row leaves the catalogue as it
    was and is named in the report (row numbers as Excel shows them, the header being row 1)."""
    if not may_manage_catalogue(actor):
        raise PermissionDenied(_("只有配件仓人员可以导入配件目录"))
    rows = iter(rows)
    index = _header_index(next(rows, None))
    report = ImportReport()
    clean: dict[str, dict] = {}
    first_row: dict[str, int] = {}
    for number, row in enumerate(rows, start=2):
        row = tuple(row or ())

        def get(name, *, raw=False, row=row):
            i = index.get(name)
            value = row[i] if i is not None and i < len(row) else None
            if raw:
                return value
            return "" if value is None else str(value).strip()

        if not any(get(name) for name in index):
            continue
        report.rows += 1
        if report.rows > MAX_ROWS:
            report.errors.append((number, _("超过 %(max)s 行：请分成多个文件") % {"max": MAX_ROWS}))
            break
        try:
            values = _clean_row(get)
        except ValueError as exc:
            report.errors.append((number, str(exc)))
            continue
        if values["number"] in clean:
            report.errors.append(
                (
                    number,
                    _("配件编号在文件中重复（第 %(row)s 行已有）：%(n)s")
                    % {"row": first_row[values["number"]], "n": values["number"]},
                )
            )
            continue
        clean[values["number"]] = values
        first_row[values["number"]] = number
    if report.errors:
        return report
    with transaction.atomic():
        existing = {p.number: p for p in Part.objects.filter(number__in=list(clean))}
        to_create, to_update = [], []
        for number, values in clean.items():
            data = {k: v for k, v in values.items() if k != "fits"}
            part = existing.get(number)
            if part is None:
                to_create.append(Part(**data))
            else:
                for key, value in data.items():
                    setattr(part, key, value)
                to_update.append(part)
        Part.objects.bulk_create(to_create, batch_size=1000)
        if to_update:
            Part.objects.bulk_update(
                to_update,
                ["name_zh", "name_en", "unit", "list_price", "cost", "reorder_level", "is_active"],
                batch_size=1000,
            )
        ids = dict(Part.objects.filter(number__in=list(clean)).values_list("number", "pk"))
        PartFit.objects.filter(part_id__in=ids.values()).delete()
        PartFit.objects.bulk_create(
            [
                PartFit(part_id=ids[number], product_model=model)
                for number, values in clean.items()
                for model in values["fits"]
            ],
            batch_size=1000,
        )
        report.created, report.updated = len(to_create), len(to_update)
    return report


@contextlib.contextmanager
def _workbook(file):
    from openpyxl import load_workbook

    try:
        book = load_workbook(file, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a file that is not a workbook
        raise ValidationError(
            _("无法读取文件，请上传 Excel（.xlsx）文件"), code="unreadable"
        ) from exc
    try:
        if not book.worksheets:
            raise ValidationError(_("文件中没有工作表"), code="empty")
        yield book.worksheets[0]
    finally:
        book.close()


def parts_import_file(*, file, actor) -> ImportReport:
    with _workbook(file) as sheet:
        return parts_import(rows=sheet.iter_rows(values_only=True), actor=actor)


def parts_export(*, parts, include_cost: bool) -> bytes:
    """The catalogue (the given parts, in number order) as an .xlsx the import reads back."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook(write_only=False)
    sheet = book.active
    sheet.title = _("配件目录")
    columns = [c for c in COLUMNS if include_cost or c[0] != "cost"]
    sheet.append([zh for _name, zh, _en in columns])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for part in parts:
        values = {
            "number": part.number,
            "name_zh": part.name_zh,
            "name_en": part.name_en,
            "fits": "、".join(part.fits_list()),
            "unit": part.unit,
            "list_price": float(part.list_price),
            "cost": float(part.cost),
            "reorder_level": part.reorder_level,
            "is_active": "是" if part.is_active else "否",
        }
        sheet.append([values[name] for name, _zh, _en in columns])
    sheet.freeze_panes = "A2"
    buffer = BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def part_save(*, form, actor) -> Part:
    """Save a part from its form (new or edited) with its fitted models."""
    if not may_manage_catalogue(actor):
        raise PermissionDenied(_("只有配件仓人员可以维护配件目录"))
    with transaction.atomic():
        part = form.save()
        fits = sorted(set(form.cleaned_data.get("fits_list") or []))
        PartFit.objects.filter(part=part).exclude(product_model__in=fits).delete()
        have = set(PartFit.objects.filter(part=part).values_list("product_model", flat=True))
        PartFit.objects.bulk_create(
            [PartFit(part=part, product_model=m) for m in fits if m not in have]
        )
    return part
