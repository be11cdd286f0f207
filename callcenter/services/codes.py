"""The activation-code store (激活码库): importing the factory's Excel list, from the browser
(staff page) or `manage.py import_activation_codes`.

The file: the first sheet, a header row naming the columns 设备序列号 (or serial_number), 激活码
(or code) and optionally 产品型号 (or product_model). A serial already stored gets the new code.
Each refused row is reported with its row number and reason; the good rows are imported either
way, in one transaction per file, written in batches (an INSERT … ON CONFLICT DO UPDATE of
BATCH rows), so a file of 100,000 rows costs a few hundred statements, not 200,000."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ..models import ActivationCode
from ..models.activation import normalise_serial

COLUMNS = {
    "设备序列号": "serial_number",
    "serial_number": "serial_number",
    "激活码": "code",
    "code": "code",
    "产品型号": "product_model",
    "product_model": "product_model",
}
BATCH = 1_000
MAX_ROWS = 200_000  # a larger list is split by the factory; the page says so


@dataclass
class ImportReport:
    """What an import did: rows read (data rows, empty ones not counted), imported (new and
    replaced) and refused, row by row."""

    rows: int = 0
    created: int = 0
    updated: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)

    @property
    def imported(self) -> int:
        return self.created + self.updated


def _header_index(header) -> dict[str, int]:
    index = {}
    for i, name in enumerate(header or ()):
        key = COLUMNS.get(str(name).strip()) if name is not None else None
        if key and key not in index:
            index[key] = i
    if not {"serial_number", "code"} <= set(index):
        raise ValidationError(_("表头须包含“设备序列号”和“激活码”两列"), code="header")
    return index


def activation_codes_import(
    *, rows: Iterable, progress: Callable[[int], None] | None = None
) -> ImportReport:
    """Import an iterable of row tuples, header first. `progress(rows read)` is called after
    each batch (for a caller that shows it). A header without the two required columns is a
    ValidationError and imports nothing."""
    rows = iter(rows)
    index = _header_index(next(rows, None))
    report = ImportReport()
    seen: set[str] = set()
    batch: dict[str, ActivationCode] = {}
    now = timezone.now()

    def cell(row, name):
        i = index.get(name)
        value = row[i] if i is not None and i < len(row) else None
        return "" if value is None else str(value).strip()

    def flush():
        if not batch:
            return
        existing = set(
            ActivationCode.objects.filter(serial_number__in=list(batch)).values_list(
                "serial_number", flat=True
            )
        )
        ActivationCode.objects.bulk_create(
            list(batch.values()),
            update_conflicts=True,
            unique_fields=["serial_number"],
            update_fields=["code", "product_model", "imported_at"],
        )
        report.updated += len(existing)
        report.created += len(batch) - len(existing)
        batch.clear()
        if progress is not None:
            progress(report.rows)

    with transaction.atomic():
        for number, row in enumerate(rows, start=2):
            row = tuple(row or ())
            if not any(cell(row, c) for c in index):
                continue  # an empty row
            report.rows += 1
            if report.rows > MAX_ROWS:
                report.rows -= 1
                report.errors.append(
                    (number, _("超过 %(max)s 行，其余行未导入：请分成多个文件") % {"max": MAX_ROWS})
                )
                break
            serial, code = normalise_serial(cell(row, "serial_number")), cell(row, "code")
            if not serial:
                report.errors.append((number, _("缺少设备序列号")))
            elif not code:
                report.errors.append((number, _("缺少激活码")))
            elif len(serial) > 40 or len(code) > 64:
                report.errors.append((number, _("设备序列号或激活码过长")))
            elif serial in seen:
                report.errors.append(
                    (number, _("设备序列号在文件中重复：%(serial)s") % {"serial": serial})
                )
            else:
                seen.add(serial)
                batch[serial] = ActivationCode(
                    serial_number=serial,
                    code=code,
                    product_model=cell(row, "product_model")[:60],
                    imported_at=now,
                )
                if len(batch) >= BATCH:
                    flush()
        flush()
    return report


def activation_codes_import_file(
    *, file, progress: Callable[[int], None] | None = None
) -> ImportReport:
    """Import an uploaded or local .xlsx file (a path or a file object)."""
    from openpyxl import load_workbook

    try:
        book = load_workbook(file, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a file that is not a workbook
        raise ValidationError(
            _("无法读取文件，请上传 Excel（.xlsx）文件：%(error)s") % {"error": exc},
            code="unreadable",
        ) from exc
    try:
        if not book.worksheets:
            raise ValidationError(_("文件中没有工作表"), code="empty")
        return activation_codes_import(
            rows=book.worksheets[0].iter_rows(values_only=True), progress=progress
        )
    finally:
        book.close()
