"""The SLA dashboard (/dashboard/) and the list behind each of its numbers (/dashboard/timers/).

The page reads the summary tables (service_ops.dashboards.refresh keeps them); an htmx request
(the page polls every 60 s) gets the panel alone. The list reads the timers themselves, with the
dashboard's definitions and scope, a keyset page at a time."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from service_ops import plugins
from service_ops.selectors import annotate_time_left
from service_ops.workcalendar import clock

from . import markup, selectors
from .paging import ordered_page
from .selectors import ALL_BUCKETS

POLL_SECONDS = 60


def _require_viewer(request) -> None:
    if not selectors.can_view(request.user):
        raise PermissionDenied


@login_required
@require_GET
def dashboard(request):
    _require_viewer(request)
    board = selectors.dashboard(
        request.user,
        unit_id=request.GET.get("unit"),
        person_id=request.GET.get("person"),
        cut=request.GET.get("cut"),
    )
    context = {"board": board, "parts": markup.panel_parts(board), "poll_seconds": POLL_SECONDS}
    if request.htmx and request.htmx.target == "sla-panel":
        return render(request, "service_ops/dashboard/_panel.html", context)
    context["choices"] = markup.choices_html(board)
    return render(request, "service_ops/dashboard/dashboard.html", context)


BUCKET_LABELS = {
    "open": gettext_lazy("未结"),
    "overdue": gettext_lazy("已超期"),
    "due_today": gettext_lazy("今日到期"),
    "due_next_day": gettext_lazy("下一工作日到期"),
    "paused": gettext_lazy("暂停中"),
    "met": gettext_lazy("近 30 天按时完成"),
    "late": gettext_lazy("近 30 天超期完成"),
    "missed_open": gettext_lazy("近 30 天到期仍未完成"),
}


@login_required
@require_GET
def timer_list(request):
    """The timers behind one dashboard number (same bucket, kind or app, unit and person)."""
    _require_viewer(request)
    bucket = request.GET.get("bucket", "open")
    bucket = bucket if bucket in ALL_BUCKETS else "open"
    kinds = plugins.deadline_kinds()
    kind = request.GET.get("kind", "")
    kind = kind if kind in kinds else ""
    app = request.GET.get("app", "") if not kind else ""
    app = app if app in {label for label, _k in plugins.deadline_kinds_by_app()} else ""
    now = timezone.now()
    qs = selectors.timers(
        request.user,
        bucket=bucket,
        kind=kind,
        app=app,
        unit_id=request.GET.get("unit"),
        person_id=request.GET.get("person"),
        under=request.GET.get("under"),
        now=now,
    )
    closed = bucket in ("met", "late")
    page = ordered_page(
        qs,
        request.GET,
        field="closed_at" if closed else "due_at",
        descending=closed,
        related=("org_unit", "assignee"),
    )
    with clock.pinned():
        for deadline in page.object_list:
            annotate_time_left(deadline, now)
            declared = kinds.get(deadline.kind)
            deadline.kind_label = declared.label if declared else deadline.kind
    scope = selectors.scope_for(request.user, unit_id=request.GET.get("unit"))
    unit = scope.root if request.GET.get("unit") else None
    under = scope.units.get(selectors._int(request.GET.get("under")) or 0)
    return render(
        request,
        "service_ops/dashboard/timers.html",
        {
            "page": page,
            "bucket": bucket,
            "bucket_label": BUCKET_LABELS[bucket],
            "kind_label": kinds[kind].label if kind else "",
            "app_label": selectors.app_name(app) if app else "",
            "app_list_url": selectors.kind_list_url(kinds[kind], bucket) if kind else "",
            "unit": unit,
            "under": under,
            "person_name": selectors.person_label(selectors._int(request.GET.get("person"))),
        },
    )
