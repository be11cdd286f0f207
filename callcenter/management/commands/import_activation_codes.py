"""Import activation codes from an Excel file (see callcenter.services.codes for the format; the
staff page 激活码库 imports the same way from the browser, through a worker). Each refused row is
reported with its row number and reason; the good rows are imported either way (one transaction
per file)."""

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from callcenter.services.codes import activation_codes_import_file


class Command(BaseCommand):
    help = "导入激活码（Excel：设备序列号、激活码、产品型号），逐行报告错误"

    def add_arguments(self, parser):
        parser.add_argument("file")

    def handle(self, *args, **options):
        try:
            report = activation_codes_import_file(file=options["file"])
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        for number, reason in report.errors:
            self.stderr.write(
                _("第 %(row)s 行：%(reason)s") % {"row": number, "reason": str(reason)}
            )
        self.stdout.write(
            _("已导入 %(count)s 条激活码，%(errors)s 行有错误")
            % {"count": report.imported, "errors": len(report.errors)}
        )
