"""What an export callable writes into: an openpyxl write-only workbook (rows stream to a
temporary file, memory stays flat at a million rows) that reports progress as it goes.

An app's export callable (plugin.py `Report.export`) is `fn(*, user, params, out)`:

    out.sheet(_("按月"), [_("月份"), _("台数")], total=len(rows))
    for row in rows:
        out.row(row)            # progress follows rows / total
    out.progress(50)            # or set it by hand (0–100), e.g. between sheets
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable, Iterable

from openpyxl import Workbook as OpenpyxlWorkbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class Workbook:
    """Sheets and rows of one export; `on_progress(percent)` is called at most every
    `interval` seconds (and when a sheet ends), never with a value lower than the last."""

    def __init__(self, on_progress: Callable[[int], None] | None = None, interval: float = 1.0):
        self._wb = OpenpyxlWorkbook(write_only=True)
        self._ws = None
        self._on_progress = on_progress
        self._interval = interval
        self._last_report = 0.0
        self._percent = 0
        self._sheets = 0
        self._sheet_total = 0
        self._sheet_done = 0
        self._span = (0, 100)
        self.rows = 0

    # --- writing ----------------------------------------------------------------------------
    def sheet(self, title, header: Iterable, *, total: int = 0, share: tuple[int, int] = (0, 95)):
        """Start a sheet (title ≤ 31 characters); `total` rows expected; its rows move the
        progress across `share` (percent from, to)."""
        self._ws = self._wb.create_sheet(title=str(title)[:31])
        bold = Font(bold=True)
        cells = []
        for text in header:
            cell = WriteOnlyCell(self._ws, value=str(text))
            cell.font = bold
            cells.append(cell)
        self._ws.append(cells)
        self._sheets += 1
        self._sheet_total = max(0, int(total))
        self._sheet_done = 0
        self._span = share
        self.progress(share[0])

    def row(self, values: Iterable) -> None:
        self._ws.append([_plain(v) for v in values])
        self.rows += 1
        self._sheet_done += 1
        if self._sheet_total:
            low, high = self._span
            done = min(self._sheet_done, self._sheet_total)
            self.progress(low + (high - low) * done // self._sheet_total)

    def progress(self, percent: int, *, force: bool = False) -> None:
        percent = max(self._percent, min(100, int(percent)))
        changed = percent != self._percent
        self._percent = percent
        now = time.monotonic()
        if self._on_progress and changed and (force or now - self._last_report >= self._interval):
            self._last_report = now
            self._on_progress(percent)

    # --- the file -----------------------------------------------------------------------------
    def save(self):
        """The workbook in a temporary file (rewound), for a FileField to store."""
        if not self._sheets:
            self.sheet("-", [])
        handle = tempfile.TemporaryFile()  # noqa: SIM115 (the caller closes it)
        self._wb.save(handle)
        handle.seek(0)
        return handle


def _plain(value):
    """What a cell can hold: lazy strings and other objects as text, numbers as numbers."""
    if value is None or isinstance(value, (int, float, str)):
        return value
    from datetime import date, datetime
    from decimal import Decimal

    if isinstance(value, (Decimal, date, datetime)):
        if isinstance(value, datetime) and value.tzinfo is not None:
            from django.utils import timezone

            return timezone.localtime(value).replace(tzinfo=None)
        return value
    return str(value)
