"""The repairs reports (/repairs/reports/?report=<kind>): filters (months, a branch of the caller's
scope), a chart, the table, and Excel through the platform's background export."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from ..permissions import may_read_reports
from ..selectors import reports as r


def _filters(request):
    if not may_read_reports(request.user):
        raise PermissionDenied
    return r.filters_from(request.GET, request.user, timezone.localdate())


def _month(m) -> str:
    return f"{m:%Y-%m}"


def report_data(kind: str, user, f: r.Filters) -> tuple[list, dict]:
    """(table rows, chart) of one report."""
    if kind == "turnaround":
        rows = r.turnaround(user, f)
        months = [_month(m) for m in f.months]
        series = []
        for tier, label in r.TIERS:
            by_month = {row.month: row for row in rows if row.tier == tier}
            series.append({"name": f"{label} P50", "data": [by_month[m].median for m in f.months]})
            series.append(
                {
                    "name": f"{label} P90",
                    "data": [by_month[m].p90 for m in f.months],
                    "dashed": True,
                }
            )
        return rows, {"type": "line", "x": months, "series": series}
    if kind == "qc":
        rows = r.qc_by_model(user, f)
        return rows, {
            "type": "bar",
            "x": [row.model for row in rows],
            "series": [
                {"name": str(r._("一次质检合格率（%）")), "data": [row.yield_pct for row in rows]},
                {
                    "name": str(r._("二次维修率（%）")),
                    "data": [row.second_repair_pct for row in rows],
                },
            ],
        }
    if kind == "warranty":
        rows = r.warranty_share(user, f)
        return rows, {
            "type": "bar",
            "stack": True,
            "x": [_month(row.month) for row in rows],
            "series": [
                {"name": str(label), "data": [row.counts.get(k, 0) for row in rows]}
                for k, label in r.SERVICE_TYPES
            ],
        }
    if kind == "faults":
        rows = r.top_faults(user, f)
        top = rows[:10]
        return rows, {
            "type": "hbar",
            "x": [f"{row.model} · {row.fault[:16]}" for row in top][::-1],
            "series": [{"name": str(r._("台数")), "data": [row.units for row in top][::-1]}],
        }
    raise Http404


@login_required
@require_GET
def report(request):
    kind = request.GET.get("report", "turnaround")
    if kind not in r.REPORTS:
        kind = "turnaround"
    f = _filters(request)
    rows, chart = report_data(kind, request.user, f)
    return render(
        request,
        "repairs/reports.html",
        {
            "kind": kind,
            "title": r.REPORTS[kind],
            "reports": r.REPORTS,
            "f": f,
            "rows": rows,
            "chart": chart,
            "report_key": f"repairs.{kind}",
            "tiers": r.TIERS,
            "service_types": r.SERVICE_TYPES,
        },
    )


# --- the supervisors' reports (issue 21): field visits, penalties and the happy fund, the
# technicians' monthly evaluation (/repairs/reports/supervision/?report=<kind>) -----------------


def supervision_data(kind: str, user, f: r.Filters):
    """(the report's selector result, chart) of one supervisors' report."""
    from ..selectors import supervision as s

    months = [_month(m) for m in f.months]
    if kind == "field":
        data = s.field_visits(user, f)
        return data, {
            "type": "bar",
            "x": months,
            "series": [
                {"name": str(s._("已解决报修")), "data": [row.solved for row in data.months]},
                {"name": str(s._("一次解决")), "data": [row.first_time_fix for row in data.months]},
                {"name": str(s._("多次派单")), "data": [row.redispatched for row in data.months]},
                {"name": str(s._("迟到上门")), "data": [row.late for row in data.months]},
            ],
        }
    if kind == "penalties":
        data = s.penalties(user, f)
        series = [
            {
                "name": str(s._("确认罚款（元）")),
                "data": [float(row.fines_amount) for row in data.months],
            },
            {
                "name": str(s._("扣除绩效分")),
                "data": [float(row.points_deducted) for row in data.months],
            },
        ]
        if data.fund is not None:
            series.append(
                {
                    "name": str(s._("快乐基金余额（元）")),
                    "data": [float(x.balance) for x in data.fund],
                }
            )
        return data, {"type": "bar", "x": months, "series": series}
    if kind == "technicians":
        rows = s.technicians(user, f)
        top = sorted(rows, key=lambda row: (-row.units, row.name))[:15]
        return rows, {
            "type": "bar",
            "x": [f"{row.name} {_month(row.month)}" for row in top],
            "series": [
                {"name": str(s._("台数")), "data": [row.units for row in top]},
                {"name": str(s._("得分")), "data": [row.score for row in top]},
            ],
        }
    raise Http404


@login_required
@require_GET
def supervision(request):
    from ..selectors import supervision as s

    kind = request.GET.get("report", "field")
    if kind not in s.REPORTS:
        kind = "field"
    f = _filters(request)
    data, chart = supervision_data(kind, request.user, f)
    return render(
        request,
        "repairs/supervision.html",
        {
            "kind": kind,
            "title": s.REPORTS[kind],
            "reports": s.REPORTS,
            "f": f,
            "data": data,
            "chart": chart,
            "report_key": f"repairs.{kind}" if kind != "field" else "repairs.field_visits",
            "weights": s.EVALUATION_WEIGHTS,
            "repeat_days": s.REPEAT_RETURN_DAYS,
            "page_rows": s.PAGE_ROWS,
        },
    )
