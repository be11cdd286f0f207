"""The roster grid's cells, built in Python: a month of a large call centre is thousands of
cells, and a template branch per cell cost most of the page's time (issue 14's benchmark)."""

from django import template
from django.utils import timezone
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.translation import gettext

register = template.Library()


@register.simple_tag
def roster_cells(row) -> str:
    """One <td> per day of a GridRow: 班 (on, with its hours), 假 (on leave), 换 (swapped), or
    empty (off)."""
    leave = '<td class="px-1 table-warning" title="{}">{}</td>'.format(
        escape(gettext("请假")), escape(gettext("假"))
    )
    swap = '<td class="px-1 table-info" title="{}">{}</td>'.format(
        escape(gettext("换班")), escape(gettext("换"))
    )
    on = '<td class="px-1 table-success" title="{}–{}">' + escape(gettext("班")) + "</td>"
    off = '<td class="px-1"></td>'
    cells = []
    for cell in row.cells:
        if cell is None or not cell.is_working:
            cells.append(off)
        elif cell.leave_id:
            cells.append(leave)
        elif cell.swap_id:
            cells.append(swap)
        else:
            starts, ends = timezone.localtime(cell.starts_at), timezone.localtime(cell.ends_at)
            cells.append(on.format(f"{starts:%H:%M}", f"{ends:%H:%M}"))
    return mark_safe("".join(cells))  # noqa: S308 - every piece above is escaped or a time
