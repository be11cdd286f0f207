"""/reports/: the reports the caller may open, by app; the caller's recent exports; asking for a
background export, its progress (htmx polls the panel) and the download."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_POST

from service_ops import plugins
from service_ops.files import stored_file_response

from . import registry
from .models import ExportJob
from .services import export_request, keep_days, may_download

RECENT = 10


def _recent(user):
    rows = list(ExportJob.objects.visible_to(user).filter(requester=user).order_by("-id")[:RECENT])
    names = {entry.key: entry.name for _l, entries in plugins.reports_by_app() for entry in entries}
    for job in rows:
        job.report_name = names.get(job.report, job.report)
    return rows


@login_required
@require_GET
def report_index(request):
    groups = registry.open_to(request.user)
    if not groups:
        raise PermissionDenied
    return render(
        request,
        "service_ops/reports/index.html",
        {"groups": groups, "exports": _recent(request.user), "keep_days": keep_days()},
    )


@login_required
@require_POST
def export_create(request):
    """POST report=<key> and the report page's filters."""
    params = request.POST.dict()
    params.pop("csrfmiddlewaretoken", None)
    key = params.pop("report_key", "")
    entry = plugins.report(key)
    if entry is None or not entry.export:
        raise Http404
    if not registry.may_open(request.user, entry):
        raise PermissionDenied
    job = export_request(user=request.user, report_key=key, params=params)
    return redirect("report_export", job.pk)


def _job(request, pk: int) -> ExportJob:
    job = get_object_or_404(ExportJob, pk=pk)
    if not may_download(request.user, job):
        raise Http404  # outside the caller's scope: as if it did not exist
    job.report_name = getattr(plugins.report(job.report), "name", job.report)
    return job


@login_required
@require_GET
def export_detail(request, pk: int):
    job = _job(request, pk)
    context = {"job": job, "keep_days": keep_days()}
    if request.htmx:
        return render(request, "service_ops/reports/_export_status.html", context)
    return render(request, "service_ops/reports/export.html", context)


@login_required
@require_GET
def export_download(request, pk: int):
    job = _job(request, pk)
    if job.state != "done":
        raise Http404
    return stored_file_response(job.file)
