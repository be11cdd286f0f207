"""The shared core's part of the volume benchmark: 我的工作 and the inbox (their rows are the other
apps' timers and notifications), for every kind of caller."""

from __future__ import annotations

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
            "set_language",
            "healthz",  # probes of the processes, no list
            "readyz",
        }
    ),
)
