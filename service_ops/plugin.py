"""What the shared core adds to the platform: its periodic jobs and its menu entries.

Business apps declare theirs the same way in their own `plugin.py` (see service_ops/plugins.py)."""

from datetime import time

from django.conf import settings
from django.utils.translation import gettext_lazy as _

from network.choices import Role
from service_ops.plugins import Audited, NavItem, PeriodicJob, Plugin


def _sweep_interval() -> float:
    return float(settings.SERVICE_OPS["SWEEP_INTERVAL_SECONDS"])


def _workday_start():
    from service_ops.workcalendar import clock

    return clock.workday_start()


def _dashboard_refresh_interval() -> float:
    return float(settings.SERVICE_OPS["DASHBOARD_REFRESH_SECONDS"])


# Who finds the SLA dashboard in the menu (service_ops.dashboards.selectors.DASHBOARD_ROLES).
DASHBOARD_ROLES = frozenset(
    {
        Role.HEAD_OF_CS,
        Role.SENIOR_MANAGEMENT,
        Role.SUPERVISOR,
        Role.BRANCH_MANAGER,
        Role.PROVINCIAL_MANAGER,
        Role.REPAIR_SUPERVISOR,
        Role.CALL_CENTRE_LEAD,
        Role.NETWORK_SPECIALIST,
        Role.PARTS_SUPERVISOR,
    }
)


PLUGIN = Plugin(
    periodic_jobs=(
        # Deadlines are swept, never scheduled as long ETA tasks (Redis redelivers those after
        # the visibility timeout).
        PeriodicJob(
            name="sweep-deadlines",
            task="service_ops.deadlines.tasks.sweep_deadlines",
            run="service_ops.deadlines.sweep.sweep_deadlines",
            every=_sweep_interval,
        ),
        # The on-commit nudge to the sender may be lost (broker down): this sends what the
        # outbox still holds.
        PeriodicJob(
            name="send-pending-notifications",
            task="service_ops.notifications.tasks.send_pending_notifications",
            run="service_ops.notifications.services.send_pending",
            every=60.0,
        ),
        # Webhook deliveries: the on-commit nudge may be lost, and retries come due later; under
        # eager Celery (embedded shape) this is what sends them, outside the web request.
        PeriodicJob(
            name="send-webhooks",
            task="service_ops.webhooks.tasks.send_webhooks",
            run="service_ops.webhooks.services.send_due",
            every=_sweep_interval,
        ),
        PeriodicJob(
            name="purge-idempotency-keys",
            task="service_ops.idempotency.tasks.purge_idempotency_keys",
            run="service_ops.idempotency.middleware.purge_expired",
            every=3600.0,
        ),
        # The SLA dashboard's summary tables: the open timers in full and the days' closed ones
        # since the previous run (a few seconds at a million timers); the whole window at night.
        PeriodicJob(
            name="refresh-sla-dashboard",
            task="service_ops.dashboards.tasks.refresh_sla_dashboard",
            run="service_ops.dashboards.refresh.refresh_sla_summary",
            every=_dashboard_refresh_interval,
        ),
        PeriodicJob(
            name="rebuild-sla-dashboard",
            task="service_ops.dashboards.tasks.rebuild_sla_dashboard",
            run="service_ops.dashboards.refresh.refresh_sla_summary_full",
            at=time(2, 30),
        ),
        # Background report exports: files past EXPORT_KEEP_DAYS removed, lost ones re-sent.
        PeriodicJob(
            name="tidy-report-exports",
            task="service_ops.reports.tasks.tidy_exports",
            run="service_ops.reports.services.exports_tidy",
            every=600.0,
        ),
        # Reports mailed on a schedule (each app's `Report.mailings`), every morning.
        PeriodicJob(
            name="mail-scheduled-reports",
            task="service_ops.reports.tasks.mail_scheduled_reports",
            run="service_ops.reports.scheduled.mail_due",
            at=_workday_start,
        ),
        PeriodicJob(
            name="send-daily-digests",
            task="service_ops.notifications.tasks.send_daily_digests",
            run="service_ops.notifications.services.send_digests",
            at=_workday_start,
        ),
    ),
    nav_items=(
        NavItem("my_work", _("我的工作"), "bi-list-check", order=10, related=("deadline_detail",)),
        NavItem("inbox", _("通知"), "bi-envelope", order=20, related=("inbox_open",)),
        NavItem(
            "sla_dashboard",
            _("SLA 看板"),
            "bi-speedometer2",
            order=25,
            audience="internal",
            roles=DASHBOARD_ROLES,
            related=("sla_timers",),
        ),
        NavItem(
            "report_index",
            _("报表"),
            "bi-file-earmark-bar-graph",
            order=27,
            audience="internal",
            roles=DASHBOARD_ROLES | {Role.COMPLAINT_TEAM},
            related=("report_export",),
        ),
        NavItem(
            "webhooks:endpoint_list",
            _("Webhook"),
            "bi-broadcast",
            order=980,
            roles=frozenset({Role.NETWORK_SPECIALIST, Role.HEAD_OF_CS}),
            related=("webhooks:endpoint_detail",),
            more=True,
        ),
        NavItem(
            "calendar", _("工作日历"), "bi-calendar3", order=990, audience="internal", more=True
        ),
    ),
    inbox_providers=("service_ops.work.TimerProvider",),
    bench="service_ops.bench.core.BENCH",
    web_urls=("webhooks/", "service_ops.webhooks.urls"),
    # Master data of the core: the deadline policies and the company calendar (a year's seeding
    # and confirmation write days in bulk: workcalendar.services records those rows itself).
    audited=(
        Audited("service_ops.DeadlinePolicy"),
        Audited("service_ops.CalendarYear", exclude=("published_schedule",)),
        Audited("service_ops.CalendarDay"),
    ),
)
