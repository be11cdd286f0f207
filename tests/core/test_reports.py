"""The platform's reports (issue 21 item 2): the /reports/ index of the apps' declared reports,
background exports with progress and a guarded download, the clean-up job and the reports mailed
on a schedule."""

from __future__ import annotations

from datetime import datetime, timedelta
from io import BytesIO
from zoneinfo import ZoneInfo

import time_machine
from django.core.files.base import ContentFile
from openpyxl import load_workbook

from service_ops import plugins
from service_ops.notifications.models import Notification
from service_ops.reports import registry, scheduled
from service_ops.reports.export import Workbook
from service_ops.reports.models import ExportJob, ExportState
from service_ops.reports.services import export_request, export_run, exports_tidy, may_download
from service_ops.transitions.models import ActionChannel
from service_ops.transitions.services import log_of, run_transition

Z = ZoneInfo("Asia/Shanghai")


def fresh(job):
    return ExportJob.objects.get(pk=job.pk)


def keys(groups):
    return {row["entry"].key for _name, rows in groups for row in rows}


def test_every_app_declares_its_reports_with_unique_keys_and_working_urls():
    entries = [e for _label, es in plugins.reports_by_app() for e in es]
    assert len({e.key for e in entries}) == len(entries)
    assert {
        "repairs.turnaround",
        "repairs.qc",
        "repairs.warranty",
        "repairs.faults",
        "repairs.ranking",
        "callcenter.callbacks",
        "complaints.statistics",
        "spareparts.consumption",
    } <= {e.key for e in entries}
    for e in entries:
        if e.export:
            plugins._import(e.export)  # the dotted path resolves


def test_the_index_lists_what_the_caller_may_open_grouped_by_app(net, client):
    head = keys(registry.open_to(net.head))
    assert {"repairs.turnaround", "repairs.ranking", "callcenter.callbacks"} <= head
    mine = keys(registry.open_to(net.cs_manager))
    assert "repairs.turnaround" in mine
    assert "repairs.ranking" not in mine and "complaints.statistics" not in mine
    client.force_login(net.cs_manager)
    html = client.get("/reports/").content.decode()
    assert 'data-report="repairs.qc"' in html and 'data-report="repairs.ranking"' not in html
    client.force_login(net.dealer_user)
    assert client.get("/reports/").status_code == 403
    assert "repairs.turnaround" not in keys(registry.open_to(net.tech))


def test_the_menu_offers_reports_to_supervisors(net, client):
    client.force_login(net.cs_manager)
    assert 'href="/reports/"' in client.get("/").content.decode()
    client.force_login(net.dealer_user)
    assert 'href="/reports/"' not in client.get("/").content.decode()


def test_the_index_costs_the_same_queries_with_more_exports(
    net, client, django_assert_max_num_queries
):
    client.force_login(net.head)
    with django_assert_max_num_queries(40) as ctx:
        client.get("/reports/")
    for _ in range(5):
        ExportJob.objects.create(requester=net.head, report="repairs.qc")
    with django_assert_max_num_queries(len(ctx.captured_queries)):
        assert client.get("/reports/").status_code == 200


def test_the_workbook_reports_progress_up_to_the_end_of_its_rows():
    seen = []
    out = Workbook(on_progress=seen.append, interval=0)
    out.sheet("a", ["x"], total=4, share=(0, 50))
    for i in range(4):
        out.row([i])
    out.sheet("b", ["y"], total=2, share=(50, 95))
    out.row([1])
    out.row([2])
    assert seen == sorted(seen) and seen[-1] == 95
    handle = out.save()
    wb = load_workbook(handle)
    assert wb.sheetnames == ["a", "b"] and list(wb["a"].values)[-1] == (3,)


def test_an_export_runs_through_its_states_to_100_percent_and_a_file(
    net, client, django_capture_on_commit_callbacks
):
    client.force_login(net.cs_manager)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/reports/export/", {"report_key": "repairs.warranty", "start": "2026-11"}
        )
    job = ExportJob.objects.get()
    assert response.url == f"/reports/exports/{job.pk}/"
    assert (job.state, job.progress, job.requester) == ("done", 100, net.cs_manager)
    assert job.params == {"start": "2026-11"} and job.finished_at and job.file
    states = [entry.to_state for entry in log_of(job)]
    assert states == ["running", "done"]
    page = client.get(response.url).content.decode()
    assert f"/reports/exports/{job.pk}/download/" in page and "hx-trigger" not in page
    download = client.get(f"/reports/exports/{job.pk}/download/")
    assert download.status_code == 200
    assert load_workbook(BytesIO(b"".join(download.streaming_content)))


def test_a_queued_export_shows_a_polling_progress_bar(net, client):
    job = ExportJob.objects.create(requester=net.cs_manager, report="repairs.qc")
    client.force_login(net.cs_manager)
    page = client.get(f"/reports/exports/{job.pk}/").content.decode()
    assert 'hx-trigger="every 2s"' in page and 'role="progressbar"' in page
    partial = client.get(f"/reports/exports/{job.pk}/", headers={"HX-Request": "true"})
    assert partial.content.decode().lstrip().startswith('<div id="export-status"')
    assert client.get(f"/reports/exports/{job.pk}/download/").status_code == 404  # not done


def test_only_the_requester_and_headquarters_may_download(net, client):
    job = ExportJob.objects.create(requester=net.cs_manager, report="repairs.qc")
    run_transition(job, transition="start", channel=ActionChannel.SYSTEM)
    run_transition(
        job,
        transition="finish",
        channel=ActionChannel.SYSTEM,
        kwargs={"name": "x.xlsx", "content": ContentFile(b"xlsx"), "rows": 1},
    )
    job = fresh(job)
    assert may_download(net.cs_manager, job) and may_download(net.head, job)
    assert not may_download(net.gz_manager, job) and not may_download(net.dealer_user, job)
    for user, status in ((net.cs_manager, 200), (net.head, 200), (net.gz_manager, 404)):
        client.force_login(user)
        assert client.get(f"/reports/exports/{job.pk}/download/").status_code == status
        assert client.get(f"/reports/exports/{job.pk}/").status_code == status
    assert list(ExportJob.objects.visible_to(net.gz_manager)) == []
    client.logout()
    assert client.get(f"/reports/exports/{job.pk}/download/").status_code == 302


def test_a_report_the_caller_may_not_open_cannot_be_exported(net, client):
    client.force_login(net.cs_manager)
    assert (
        client.post("/reports/export/", {"report_key": "repairs.ranking"}).status_code == 404
    )  # no export
    assert (
        client.post("/reports/export/", {"report_key": "complaints.statistics"}).status_code == 403
    )
    assert client.post("/reports/export/", {"report_key": "nope"}).status_code == 404
    assert not ExportJob.objects.exists()


def test_a_failing_export_ends_failed_with_its_error(net):
    job = ExportJob.objects.create(requester=net.head, report="no.such.report")
    assert export_run(job.pk).state == ExportState.FAILED
    assert "LookupError" in fresh(job).error
    assert export_run(job.pk) is None  # not queued any more: left alone


def test_the_tidy_job_removes_old_files_fails_stalled_and_resends_lost_ones(
    net, settings, django_capture_on_commit_callbacks
):
    settings.SERVICE_OPS = {**settings.SERVICE_OPS, "EXPORT_KEEP_DAYS": 7}
    now = datetime(2026, 12, 7, 10, tzinfo=Z)
    with time_machine.travel(now - timedelta(days=8), tick=False):
        old = export_request(user=net.head, report_key="repairs.qc", params={})
        export_run(old.pk)
    old = fresh(old)
    path = old.file.name
    assert old.file.storage.exists(path)
    with time_machine.travel(now - timedelta(hours=3), tick=False):
        stalled = ExportJob.objects.create(requester=net.head, report="repairs.qc")
        run_transition(stalled, transition="start", channel=ActionChannel.SYSTEM)
    with time_machine.travel(now - timedelta(minutes=5), tick=False):
        lost = ExportJob.objects.create(requester=net.head, report="repairs.qc")
    with time_machine.travel(now - timedelta(days=1), tick=False):
        recent = export_request(user=net.head, report_key="repairs.qc", params={})
        export_run(recent.pk)
    with time_machine.travel(now, tick=False):
        result = exports_tidy(now=now)
    assert result == {"removed": 1, "stalled": 1, "resent": 1}
    assert not ExportJob.objects.filter(pk=old.pk).exists()
    assert not old.file.storage.exists(path)
    assert fresh(stalled).state == "failed"
    assert fresh(lost).state == "done"  # eager Celery: the resent task ran
    assert fresh(recent).state == "done"


def test_the_weekly_callback_report_and_the_month_end_summary_are_mailed_once(
    net, client, django_capture_on_commit_callbacks
):
    monday = datetime(2026, 12, 7, 8, 45, tzinfo=Z)  # a Monday, not the 1st
    with time_machine.travel(monday, tick=False):
        with django_capture_on_commit_callbacks(execute=True):
            assert scheduled.mail_due(now=monday) == 1
        assert scheduled.mail_due(now=monday) == 0  # once a day
    job = ExportJob.objects.get()
    assert job.report == "callcenter.callbacks" and job.requester is None
    assert job.params == {"start": "2026-11-30", "end": "2026-12-06"}
    assert job.state == "done" and list(job.shared_with.all()) == [net.head]
    note = Notification.objects.filter(recipient=net.head, category="report").get(channel="in_app")
    assert note.url == f"/reports/exports/{job.pk}/"
    assert "2026-11-30 – 2026-12-06" in note.subject
    assert Notification.objects.filter(recipient=net.head, channel="email").exists()
    first = datetime(2027, 2, 1, 8, 45, tzinfo=Z)  # the 1st, a Monday
    with time_machine.travel(first, tick=False), django_capture_on_commit_callbacks(execute=True):
        # the weekly callbacks, the month-end summary, the technicians' evaluation
        assert scheduled.mail_due(now=first) == 3
    summary = ExportJob.objects.get(report="repairs.month_summary")
    assert summary.params == {"start": "2027-01", "end": "2027-01"} and summary.state == "done"
    assert len(load_workbook(summary.file.open("rb")).sheetnames) == 4
    assert may_download(net.head, summary) and not may_download(net.cs_manager, summary)
    evaluation = ExportJob.objects.get(report="repairs.technicians")
    assert evaluation.state == "done" and list(evaluation.shared_with.all()) == [net.repair_sup]


def test_the_periodic_jobs_are_declared_for_beat_and_the_embedded_sweeper():
    names = {job.name for job in plugins.periodic_jobs()}
    assert {"tidy-report-exports", "mail-scheduled-reports"} <= names
