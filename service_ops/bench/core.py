"""The shared core's part of the volume benchmark: 我的工作 and the inbox (their rows are the other
apps' timers and notifications), for every kind of caller."""

from __future__ import annotations

import json
from datetime import timedelta

from django.db import connection
from django.urls import reverse

from .base import BenchPart, Context, Probe


def probes(ctx: Context) -> list[Probe]:
    work, inbox, api = reverse("my_work"), reverse("inbox"), reverse("api-my-work")
    out = []
    for caller in ("technician", "hq", "supervisor", "province", "local_engineer", "dealer"):
        out.append(Probe("我的工作", caller, work, rows=None, load=1 if caller in (
            "technician", "hq") else 0))  # fmt: skip
    out += [
        Probe("我的工作", "dealer_empty", work, rows=None),
        Probe("我的工作", "technician", work, variant="deep", deep=True, deep_page=20, rows=None),
        Probe("我的工作", "technician", f"{work}?show=overdue", variant="show=overdue", rows=None),
        Probe("api my-work", "technician", api, api=True, rows=None),
        Probe("api my-work", "dealer", api, api=True, rows=None, load=1),
        Probe("api my-work", "dealer_empty", api, api=True, rows=None),
        Probe("inbox", "hq", inbox, rows=None, load=1),
        Probe("inbox", "hq", inbox, variant="deep", deep=True, deep_page=5_000, rows=None),
        Probe("inbox", "hq", f"{inbox}?box=action", variant="box=action", rows=None),
        Probe("inbox", "technician", inbox, rows=None),
        Probe("inbox", "dealer", inbox, rows=None),
        Probe("inbox", "dealer_empty", inbox, rows=None),
        # webhooks: a partner's few endpoints; the staff list of every partner's
        Probe("webhooks", "hq", reverse("webhooks:endpoint_list"), rows=None),
        Probe("api webhooks", "dealer", reverse("api-webhook-list"), api=True, rows=None),
    ]
    out += dashboard_probes(ctx)
    return out


# --- the SLA dashboard (service_ops.dashboards) ------------------------------------------------


RAW_OPEN = """
    SELECT kind, org_unit_id, ball_holder, SUM(open), SUM(overdue), SUM(due_today),
           SUM(due_next_day), SUM(paused)
    FROM service_ops_slaopencount
    WHERE (%(ids)s::bigint[] IS NULL OR org_unit_id = ANY(%(ids)s))
    GROUP BY 1, 2, 3"""
RAW_DAYS = """
    SELECT day, kind, SUM(met), SUM(late), SUM(missed_open)
    FROM service_ops_sladailycount
    WHERE (%(ids)s::bigint[] IS NULL OR org_unit_id = ANY(%(ids)s)) AND day >= %(day)s
    GROUP BY 1, 2"""
RAW_UNITS = """
    SELECT org_unit_id, SUM(met), SUM(late), SUM(missed_open)
    FROM service_ops_sladailycount
    WHERE (%(ids)s::bigint[] IS NULL OR org_unit_id = ANY(%(ids)s)) AND day >= %(day)s
    GROUP BY 1"""


RAW_ORG_UNITS = """
    SELECT id, name, kind, path FROM network_orgunit
    WHERE %(prefix)s::text IS NULL OR path LIKE %(prefix)s || '%%'"""
RAW_PEOPLE = """
    SELECT t.assignee_id, u.last_name || u.first_name, u.username, t.n
    FROM (SELECT assignee_id, SUM(open) AS n FROM service_ops_slaopencount
          WHERE assignee_id IS NOT NULL
            AND (%(ids)s::bigint[] IS NULL OR org_unit_id = ANY(%(ids)s))
          GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 200) t
    JOIN auth_user u ON u.id = t.assignee_id"""


def _raw_dashboard(caller) -> callable:
    """What the dashboard shows, by hand-written SQL over the same summary tables with the same
    scope (the caller's subtree as a list of unit ids) — the units it names, the open and closed
    counts, the people of its person select — plus json.dumps: the page's floor."""
    from network.visibility import sees_everything, subtree_ids, user_org_unit

    everything = sees_everything(caller.user)
    unit = user_org_unit(caller.user)
    ids = None if everything else subtree_ids(unit)
    prefix = None if everything else unit.path

    def raw():
        with connection.cursor() as c:
            c.execute(RAW_ORG_UNITS, {"prefix": prefix})
            org_units = c.fetchall()
            c.execute(RAW_OPEN, {"ids": ids})
            rows = c.fetchall()
            c.execute("SELECT min(day), max(day) FROM service_ops_sladailycount")
            first, last = c.fetchone()
            c.execute(RAW_DAYS, {"ids": ids, "day": first})
            days = c.fetchall()
            c.execute(RAW_UNITS, {"ids": ids, "day": last - timedelta(days=29)})
            units = c.fetchall()
            c.execute(RAW_PEOPLE, {"ids": ids})
            people = c.fetchall()
        return json.dumps([org_units, rows, days, units, people], default=str)

    return raw


def dashboard_probes(ctx: Context) -> list[Probe]:
    """The dashboard for headquarters, a province and a branch (its summary tables are filled by
    the first request's refresh when the run has not refreshed them), against its raw SQL; and
    the list behind its numbers."""
    from service_ops.dashboards import models as summary
    from service_ops.dashboards.refresh import refresh_sla_summary

    refresh_sla_summary(full=True)
    if connection.vendor == "postgresql" and not connection.in_atomic_block:
        # as autovacuum would between the refresh and the reads (a full refresh leaves the
        # tables' old rows dead; a kept database refreshed run after run piles them up)
        tables = [m._meta.db_table for m in (summary.SlaOpenCount, summary.SlaDailyCount,
                  summary.SlaDailyPersonCount, summary.SlaPartnerOpenCount,
                  summary.SlaPartnerDailyCount)]  # fmt: skip
        with connection.cursor() as cursor:
            cursor.execute(f"VACUUM ANALYZE {', '.join(tables)}")
    board, timers = reverse("sla_dashboard"), reverse("sla_timers")
    out = []
    for caller in ("hq", "province", "branch_manager"):
        raw = _raw_dashboard(ctx.callers[caller])
        out.append(Probe("SLA dashboard", caller, board, row_marker="sla-tile", raw=raw,
                         floor_url=reverse("password_change"), limit_ms=300.0,
                         load=1 if caller == "hq" else 0))  # fmt: skip
    out += [
        Probe(
            "SLA dashboard",
            "hq",
            f"{board}?person={ctx.callers['technician'].user.pk}",
            variant="person=",
            row_marker="sla-tile",
            limit_ms=300.0,
        ),
        # issue 21: the cuts by dealer and service point (a partner's timers counted at it)
        Probe(
            "SLA dashboard",
            "hq",
            f"{board}?cut=dealer",
            variant="cut=dealer",
            row_marker="sla-tile",
            limit_ms=300.0,
        ),
        Probe(
            "SLA dashboard",
            "branch_manager",
            f"{board}?cut=service_point",
            variant="cut=service_point",
            row_marker="sla-tile",
            limit_ms=300.0,
        ),
        Probe(
            "SLA dashboard",
            "hq",
            f"{board}?cut=person",
            variant="cut=person",
            row_marker="sla-tile",
            limit_ms=300.0,
        ),
        Probe("SLA timers", "hq", f"{timers}?bucket=overdue", variant="overdue", rows=None),
        Probe(
            "SLA timers",
            "hq",
            f"{timers}?bucket=open&kind=repair.limit",
            variant="open kind",
            rows=None,
        ),
        Probe("SLA timers", "hq", f"{timers}?bucket=met", variant="met 30 days", rows=None),
        Probe(
            "SLA timers", "branch_manager", f"{timers}?bucket=overdue", variant="overdue", rows=None
        ),
        Probe("SLA timers", "hq", f"{timers}?bucket=open", variant="deep", deep=True, rows=None),
        # issue 21: the reports index (the apps' declared reports and the caller's exports)
        Probe("reports index", "hq", reverse("report_index"), rows=None, limit_ms=150.0),
        Probe("reports index", "branch_manager", reverse("report_index"), rows=None),
    ]
    dealer = ctx.facts.get("dealer_id")  # a dealer the apps' data has timers of, if any
    if dealer:
        out.append(Probe("SLA timers", "hq", f"{timers}?bucket=met&under={dealer}",
                         variant="met under a dealer", rows=None))  # fmt: skip
    return out


BENCH = BenchPart(
    probes=probes,
    not_lists=frozenset(
        {
            "login",
            "logout",
            "password_change",
            "password_change_done",
            "inbox_mark_all_read",
            "calendar",
            "calendar_set_day",
            "calendar_confirm",
            "report_export_create",  # a POST that queues an export, no page
            "set_language",
            "healthz",  # probes of the processes, no list
            "readyz",
        }
    ),
)
