"""The HTML of the dashboard's repeated parts — the total's cards, each app's tiles, the cut's
table rows — written here rather than by template loops: a page of thirty tiles and fifty rows is
some 700 numbers and links, and the template engine spent more time on them than the page's SQL
did. The surrounding page stays in templates/service_ops/dashboard/. Labels are translated once a
page; every name and link is escaped (the same escaping as the template's), numbers are ints or
one-decimal rates."""

from __future__ import annotations

from html import escape  # Django's escape less its lazy-argument check: every value is a str
from typing import TYPE_CHECKING

from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

if TYPE_CHECKING:
    from .selectors import AppGroup, Dashboard, Numbers, Tile, UnitRow


def _labels() -> dict[str, str]:
    """The labels of the repeated parts in the request's language, escaped."""
    words = {
        "open": _("未结"),
        "overdue": _("已超期"),
        "due_today": _("今日到期"),
        "due_next_day": _("下一工作日到期"),
        "paused": _("暂停中"),
        "late": _("30天超期完成"),
        "rate": _("按时率"),
        "rate_30": _("近 30 天按时率"),
        "last_30": _("近 30 天："),
        "on_time": _("按时"),
        "missed": _("到期未完成"),
        "balls": _("暂停等待方："),
        "nothing": _("没有数据"),
    }
    return {key: escape(word) for key, word in words.items()}


def _rate(numbers: Numbers) -> str:
    rate = numbers.rate
    return "—" if rate is None else f"{rate}%"


TOTAL_CARD = (
    '<div class="col-4 col-md-2"><a class="card card-body py-2 h-100 text-decoration-none '
    'sla-number" href="{href}"><span class="small text-body-secondary">{label}</span>'
    '<span class="fs-5{tone}" data-figure="{name}">{n}</span></a></div>'
)
TOTAL_TONES = (  # the total's five cards and their colour when not zero
    ("open", ""),
    ("overdue", "danger"),
    ("due_today", "warning"),
    ("due_next_day", ""),
    ("paused", "secondary"),
)
TOTAL_RATE = (
    '<div class="col-4 col-md-2"><div class="card card-body py-2 h-100"><div class="small '
    'text-body-secondary">{rate_30}</div><div class="fs-5" data-figure="rate">{rate}</div>'
    '<div class="small"><a href="{met}" data-figure="met">{n_met}</a> / <a href="{late}" '
    'data-figure="late">{n_late}</a> / <a href="{missed_open}" data-figure="missed_open">'
    "{n_missed_open}</a></div></div></div>"
)


def _figures(
    template: str, tones: tuple, numbers: Numbers, links: dict[str, str], labels: dict[str, str]
) -> str:
    """One linked figure per (bucket, colour when not zero) of `tones`, written by `template`."""
    out = []
    for name, tone in tones:
        n = getattr(numbers, name)
        colour = f" text-{tone}" if tone and n else ""
        href = escape(links[name])
        out.append(template.format(href=href, label=labels[name], tone=colour, name=name, n=n))
    return "".join(out)


def total_html(board: Dashboard, labels: dict[str, str]) -> str:
    """The cards of the page's totals: five buckets and the on-time rate."""
    t, links = board.total, board.total_links
    out = [_figures(TOTAL_CARD, TOTAL_TONES, t, links, labels)]
    out.append(
        TOTAL_RATE.format(
            rate_30=labels["rate_30"],
            rate=_rate(t),
            **{name: escape(links[name]) for name in ("met", "late", "missed_open")},
            n_met=t.met,
            n_late=t.late,
            n_missed_open=t.missed_open,
        )
    )
    return "".join(out)


CELL = (
    '<div class="col-4"><a class="d-block rounded border py-1 text-decoration-none sla-cell" '
    'href="{href}"><span class="d-block small text-body-secondary text-truncate">{label}</span>'
    '<span class="d-block fw-semibold{tone}" data-figure="{name}">{n}</span></a></div>'
)
CELL_TONES = (  # a tile's six cells and their colour when not zero
    ("open", ""),
    ("overdue", "danger"),
    ("due_today", "warning"),
    ("due_next_day", ""),
    ("paused", ""),
    ("late", ""),
)
TILE = """<div class="col-12 col-md-6 col-xl-4">
  <div class="card shadow-sm h-100 sla-tile" data-kind="{kind}">
    <div class="card-header py-1 d-flex justify-content-between align-items-baseline gap-2">
      <h3 class="h6 mb-0 text-break">{title}</h3>
      <span class="small text-nowrap" data-figure="rate">{rate}</span>
    </div>
    <div class="card-body py-2">
      <div class="row g-1 text-center">{cells}</div>{balls}
      <div class="small text-body-secondary mt-1">{last_30}{on_time} <a href="{met}" \
data-figure="met">{n_met}</a> · {missed} <a href="{missed_open}" data-figure="missed_open">\
{n_missed_open}</a></div>
    </div>
  </div>
</div>
"""


def tile_html(tile: Tile, labels: dict[str, str]) -> str:
    numbers, links = tile.numbers, tile.links
    balls = ""
    if tile.balls:
        held = "、".join(f"{escape(name)} {n}" for name, n in tile.balls)
        balls = f'\n      <div class="small text-body-secondary mt-1">{labels["balls"]}{held}</div>'
    label = escape(tile.label)
    return TILE.format(
        kind=escape(tile.kind),
        title=f'<a href="{escape(tile.list_url)}">{label}</a>' if tile.list_url else label,
        rate=_rate(numbers),
        cells=_figures(CELL, CELL_TONES, numbers, links, labels),
        balls=balls,
        last_30=labels["last_30"],
        on_time=labels["on_time"],
        met=escape(links["met"]),
        n_met=numbers.met,
        missed=labels["missed"],
        missed_open=escape(links["missed_open"]),
        n_missed_open=numbers.missed_open,
    )


GROUP = """<section class="mb-3" aria-labelledby="sla-app-{i}">
  <h2 class="h6 d-flex flex-wrap align-items-baseline gap-2" id="sla-app-{i}">{name}
    <span class="small fw-normal text-body-secondary">{l_open} <a href="{open}">{n_open}</a> · \
{l_overdue} <a href="{overdue}">{n_overdue}</a> · {l_rate} {rate}</span></h2>
  <div class="row g-2">
{tiles}  </div>
</section>
"""


def group_html(i: int, group: AppGroup, labels: dict[str, str]) -> str:
    return GROUP.format(
        i=i,
        name=escape(group.name),
        l_open=labels["open"],
        open=escape(group.links["open"]),
        n_open=group.numbers.open,
        l_overdue=labels["overdue"],
        overdue=escape(group.links["overdue"]),
        n_overdue=group.numbers.overdue,
        l_rate=labels["rate"],
        rate=_rate(group.numbers),
        tiles="".join(tile_html(tile, labels) for tile in group.tiles),
    )


ROW = """<tr data-unit="{id}" data-cut-row="{cut}">
  <td class="small text-break">{name}</td>
  <td class="small text-end">{open}</td>
  <td class="small text-end">{overdue}</td>
  <td class="small text-end d-none d-sm-table-cell">{due_today}</td>
  <td class="small text-end d-none d-md-table-cell">{paused}</td>
  <td class="small text-end">{rate}</td>
</tr>
"""


def row_html(row: UnitRow, cut: str) -> str:
    numbers, links = row.numbers, row.links

    def cell(name: str, extra: str = "") -> str:
        n = getattr(numbers, name)
        if not links:
            return str(n)
        return f'<a href="{escape(links[name])}"{extra}>{n}</a>'

    name = escape(row.name)
    return ROW.format(
        id=row.id or "",
        cut=escape(cut),
        name=f'<a href="{escape(row.drill)}">{name}</a>' if row.drill else name,
        open=cell("open"),
        overdue=cell("overdue", ' class="text-danger fw-semibold"' if numbers.overdue else ""),
        due_today=cell("due_today"),
        paused=cell("paused"),
        rate=_rate(numbers),
    )


def choices_html(board: Dashboard) -> dict[str, SafeString]:
    """The options of the page's unit and person selects (up to PEOPLE_LIMIT people)."""
    root = board.scope.root.id if board.scope.root else None
    units = "".join(
        f'<option value="{u.id}"{" selected" if u.id == root else ""}>{escape(u.name)}</option>'
        for u in board.scope.cut_choices()
    )
    chosen = board.scope.person_id
    people = "".join(
        f'<option value="{pk}"{" selected" if pk == chosen else ""}>{escape(name)}（{n}）</option>'
        for pk, name, n in board.people
    )
    return {"units": mark_safe(units), "people": mark_safe(people)}  # noqa: S308 — escaped


def panel_parts(board: Dashboard) -> dict[str, SafeString]:
    """The total's cards, the cut's table rows and the apps' sections, as the panel template
    places them."""
    labels = _labels()
    rows = "".join(row_html(row, board.cut) for row in board.units) or (
        f'<tr><td colspan="6" class="small text-body-secondary">{labels["nothing"]}</td></tr>'
    )
    groups = "".join(group_html(i, g, labels) for i, g in enumerate(board.groups, 1))
    return {
        "total": mark_safe(total_html(board, labels)),  # noqa: S308 — escaped above
        "rows": mark_safe(rows),  # noqa: S308
        "groups": mark_safe(groups),  # noqa: S308
    }
