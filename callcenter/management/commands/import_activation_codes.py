"""Import activation codes from an Excel file: the first sheet, a header row naming the columns
设备序列号 (or serial_number), 激活码 (or code) and optionally 产品型号 (or product_model).
A serial already stored gets the new code. Each refused row is reported with its row number and
reason; the good rows are imported either way (one transaction per file)."""

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from callcenter.models import ActivationCode
from callcenter.models.activation import normalise_serial

COLUMNS = {
    "设备序列号": "serial_number",
    "serial_number": "serial_number",
    "激活码": "code",
    "code": "code",
    "产品型号": "product_model",
    "product_model": "product_model",
}


def import_rows(rows) -> tuple[int, list[tuple[int, str]]]:
    """(rows imported, [(row number, reason)]) from an iterable of row tuples, header first."""
    rows = iter(rows)
    header = next(rows, None) or ()
    index = {COLUMNS[str(h).strip()]: i for i, h in enumerate(header) if str(h).strip() in COLUMNS}
    if not {"serial_number", "code"} <= set(index):
        raise CommandError(_("表头须包含“设备序列号”和“激活码”两列"))
    imported, errors, seen = 0, [], set()
    now = timezone.now()
    with transaction.atomic():
        for number, row in enumerate(rows, start=2):

            def cell(name, row=row):
                i = index.get(name)
                value = row[i] if i is not None and i < len(row) else None
                return "" if value is None else str(value).strip()

            serial, code = normalise_serial(cell("serial_number")), cell("code")
            if not any(cell(c) for c in index):
                continue  # an empty row
            if not serial:
                errors.append((number, _("缺少设备序列号")))
            elif not code:
                errors.append((number, _("缺少激活码")))
            elif len(serial) > 40 or len(code) > 64:
                errors.append((number, _("设备序列号或激活码过长")))
            elif serial in seen:
                errors.append(
                    (number, _("设备序列号在文件中重复：%(serial)s") % {"serial": serial})
                )
            else:
                seen.add(serial)
                ActivationCode.objects.update_or_create(
                    serial_number=serial,
                    defaults={
                        "code": code,
                        "product_model": cell("product_model")[:60],
                        "imported_at": now,
                    },
                )
                imported += 1
    return imported, errors


class Command(BaseCommand):
    help = "导入激活码（Excel：设备序列号、激活码、产品型号），逐行报告错误"

    def add_arguments(self, parser):
        parser.add_argument("file")

    def handle(self, *args, **options):
        from openpyxl import load_workbook

        try:
            book = load_workbook(options["file"], read_only=True, data_only=True)
        except (OSError, ValueError, KeyError) as exc:
            raise CommandError(_("无法读取文件：%(error)s") % {"error": exc}) from exc
        imported, errors = import_rows(book.worksheets[0].iter_rows(values_only=True))
        for number, reason in errors:
            self.stderr.write(_("第 %(row)s 行：%(reason)s") % {"row": number, "reason": reason})
        self.stdout.write(
            _("已导入 %(count)s 条激活码，%(errors)s 行有错误")
            % {"count": imported, "errors": len(errors)}
        )
