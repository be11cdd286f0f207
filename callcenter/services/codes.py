"""The activation-code store (激活码库): importing the factory's Excel list, from the browser
(staff page: a stored file imported by a worker, with its progress) or
`manage.py import_activation_codes` (one transaction per file).

The file: the first sheet, a header row naming the columns 设备序列号 (or serial_number), 激活码
(or code) and optionally 产品型号 (or product_model). A serial already stored gets the new code.
Each refused row is reported with its row number and reason; the good rows are imported either
way, written in batches (an INSERT … ON CONFLICT DO UPDATE of BATCH rows), so a file of 100,000
rows costs a few hundred statements, not 200,000. Reading the workbook (openpyxl) is most of
the time of a large file."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from service_ops.i18n import Deferred, deferred

from ..models import ActivationCode, ActivationCodeImport
from ..models.activation import normalise_serial
from ..permissions import is_activation_staff

logger = logging.getLogger(__name__)

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
ERRORS_KEPT = 1_000  # row errors stored with a browser import (the count is kept whole)
STALE_AFTER = timedelta(minutes=10)  # an import with no batch committed for this long is rerun


@dataclass
class ImportReport:
    """What an import did: rows read (data rows, empty ones not counted), imported (new and
    replaced) and refused, row by row (reasons are deferred texts: str() in any language)."""

    rows: int = 0
    created: int = 0
    updated: int = 0
    errors: list[tuple[int, Deferred]] = field(default_factory=list)

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
        raise ValidationError(
            deferred(gettext_noop("表头须包含“设备序列号”和“激活码”两列")), code="header"
        )
    return index


def activation_codes_import(
    *,
    rows: Iterable,
    progress: Callable[[ImportReport], None] | None = None,
    commit_each_batch: bool = False,
) -> ImportReport:
    """Import an iterable of row tuples, header first. One transaction for the whole file, or
    (`commit_each_batch`, for a long browser import) one per batch: the upsert is idempotent, so
    a file imported again after an interruption ends the same. `progress(report)` is called after
    each batch, inside its transaction. A header without the two required columns is a
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
        with transaction.atomic() if commit_each_batch else contextlib.nullcontext():
            if batch:
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
                progress(report)

    def refuse(number, reason):
        report.errors.append((number, reason))

    with contextlib.nullcontext() if commit_each_batch else transaction.atomic():
        for number, row in enumerate(rows, start=2):
            row = tuple(row or ())
            if not any(cell(row, c) for c in index):
                continue  # an empty row
            if report.rows >= MAX_ROWS:
                refuse(
                    number,
                    deferred(
                        gettext_noop("超过 %(max)s 行，其余行未导入：请分成多个文件"), max=MAX_ROWS
                    ),
                )
                break
            report.rows += 1
            serial, code = normalise_serial(cell(row, "serial_number")), cell(row, "code")
            if not serial:
                refuse(number, deferred(gettext_noop("缺少设备序列号")))
            elif not code:
                refuse(number, deferred(gettext_noop("缺少激活码")))
            elif len(serial) > 40 or len(code) > 64:
                refuse(number, deferred(gettext_noop("设备序列号或激活码过长")))
            elif serial in seen:
                refuse(
                    number,
                    deferred(gettext_noop("设备序列号在文件中重复：%(serial)s"), serial=serial),
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


@contextlib.contextmanager
def _workbook(file):
    from openpyxl import load_workbook

    try:
        book = load_workbook(file, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a file that is not a workbook
        raise ValidationError(
            deferred(gettext_noop("无法读取文件，请上传 Excel（.xlsx）文件")), code="unreadable"
        ) from exc
    try:
        if not book.worksheets:
            raise ValidationError(deferred(gettext_noop("文件中没有工作表")), code="empty")
        yield book.worksheets[0]
    finally:
        book.close()


def activation_codes_import_file(*, file) -> ImportReport:
    """Import a local .xlsx file (a path or a file object) in one transaction."""
    with _workbook(file) as sheet:
        return activation_codes_import(rows=sheet.iter_rows(values_only=True))


# --- browser imports: stored, run by a worker, followed on the page -----------------------------


def code_import_start(*, actor, upload) -> ActivationCodeImport:
    """Store an uploaded file and have a worker import it after the commit. A lost nudge (the
    broker down) or a killed worker is made up for by the periodic `code_import_resume`."""
    if not is_activation_staff(actor):
        raise PermissionDenied(_("只有网点专员或客服部部长可以导入激活码"))
    job = ActivationCodeImport(file_name=upload.name[:200], created_by=actor)
    job.file.save(upload.name, upload, save=False)
    job.save()
    from ..tasks import run_code_import

    transaction.on_commit(lambda: run_code_import.delay(job.pk), robust=True)
    return job


def _claim(import_id: int, now: datetime) -> bool:
    """Take the import for this worker: a waiting one, or one whose worker stopped committing
    batches STALE_AFTER ago. Exactly one claimer wins (a conditional update)."""
    from django.db.models import Q

    return bool(
        ActivationCodeImport.objects.filter(pk=import_id, finished_at__isnull=True)
        .filter(Q(started_at__isnull=True) | Q(heartbeat_at__lt=now - STALE_AFTER))
        .update(started_at=now, heartbeat_at=now)
    )


def code_import_run(*, import_id: int, now: datetime | None = None) -> bool:
    """Run one stored import (the worker's task): progress after each committed batch, the
    report (or why the file was refused) at the end. False when another worker has it."""
    if not _claim(import_id, now or timezone.now()):
        return False
    job = ActivationCodeImport.objects.get(pk=import_id)
    scope = ActivationCodeImport.objects.filter(pk=import_id)

    def progress(report: ImportReport) -> None:
        scope.update(
            rows_done=report.rows,
            created=report.created,
            updated=report.updated,
            error_count=len(report.errors),
            heartbeat_at=timezone.now(),
        )

    try:
        with job.file.open("rb") as handle, _workbook(handle) as sheet:
            total = sheet.max_row  # the sheet's own dimension: cheap, may be missing or loose
            if total and total > 1:
                scope.update(rows_total=total - 1)
            report = activation_codes_import(
                rows=sheet.iter_rows(values_only=True),
                progress=progress,
                commit_each_batch=True,
            )
    except ValidationError as exc:
        reason = exc.message if isinstance(exc.message, Deferred) else deferred(str(exc.message))
        scope.update(failure=reason.to_dict(), finished_at=timezone.now())
        return True
    except FileNotFoundError:
        reason = deferred(gettext_noop("上传的文件已不在存储中，请重新导入"))
        scope.update(failure=reason.to_dict(), finished_at=timezone.now())
        return True
    scope.update(
        rows_done=report.rows,
        rows_total=report.rows,
        created=report.created,
        updated=report.updated,
        error_count=len(report.errors),
        errors=[[row, reason.to_dict()] for row, reason in report.errors[:ERRORS_KEPT]],
        finished_at=timezone.now(),
    )
    logger.info(
        "activation-code import %s: %s rows, %s new, %s updated, %s refused",
        import_id,
        report.rows,
        report.created,
        report.updated,
        len(report.errors),
    )
    return True


def code_import_resume(*, now: datetime | None = None) -> int:
    """The periodic job: imports nobody is running — never nudged (the broker was down when the
    file was stored) or left by a killed worker — are handed to a worker again. Returns how many."""
    from django.db.models import Q

    from ..tasks import run_code_import

    now = now or timezone.now()
    ids = list(
        ActivationCodeImport.objects.filter(finished_at__isnull=True)
        .filter(
            Q(started_at__isnull=True, created_at__lt=now - timedelta(minutes=1))
            | Q(heartbeat_at__lt=now - STALE_AFTER)
        )
        .values_list("pk", flat=True)[:20]
    )
    for pk in ids:
        run_code_import.delay(pk)
    return len(ids)
