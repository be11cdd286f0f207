"""What an app hands to the volume benchmark (`manage.py bench_web`), and what it gets back.

An app names a `BenchPart` in its plugin.py (`bench="app.bench.BENCH"`). The runner calls, in
INSTALLED_APPS order:

- `generate(ctx)`: put a year's volume of the app's rows in the throwaway database, with
  INSERT … SELECT generate_series (see service_ops.bench.sql.insert_select) — never the ORM per
  row — and record the counts it made in `ctx.counts`. Earlier apps leave what later ones need in
  `ctx.shared` (the service network leaves its org tree and people there) and register the people
  the pages are timed as in `ctx.callers`.
- `check(ctx)`: after generation, a list of problems ("the dealer sees no repair order") — the
  benchmark stops with them rather than time pages that show nothing.
- `probes(ctx)`: the lists to time (`Probe`), per caller: first page, a deep page, filtered.
- `not_lists`: URL names of the app's pages that are not lists (forms, actions, exports), so the
  runner can name every parameterless page nobody times.
- `partner_write`: the partner POSTs the fault drill sends under load (`PartnerWrite`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


class BenchError(Exception):
    """A benchmark that cannot measure what it claims to: stop with this message."""


@dataclass
class Caller:
    """A person the pages are timed as: a browser session (force_login) and, for partners, an API
    token (`Authorization: Bearer …`)."""

    key: str
    label: str
    user: Any
    token: str = ""  # plaintext partner token, when the caller uses the API
    password: str = ""  # for the mixed load, which logs in through the login page


@dataclass
class Context:
    scale: dict[str, int]  # e.g. {"orders": 1_000_000, "applications": 200_000}
    now: datetime
    out: Callable[[str], None] = print
    seed: int = 20_26
    callers: dict[str, Caller] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)  # "repairs.RepairOrder" → rows made
    shared: dict[str, Any] = field(default_factory=dict)  # what one app leaves for the next
    facts: dict[str, Any] = field(default_factory=dict)  # values the probes filter by

    def count(self, label: str, rows: int) -> None:
        self.counts[label] = self.counts.get(label, 0) + rows


@dataclass
class Probe:
    """One list request to time.

    `deep`: time a deep page instead of the first one: the runner reads the first page's `next`
    link (JSON `next`, or the HTML link to the next page); a `page=` number jumps to `deep_page`
    (offset pagination clamps to its last page), anything else (a cursor) is followed `hops`
    times. `rows`: True when the answer must show rows (checked with `row_marker` in HTML, the
    results in JSON), False when it must show none (a dealer with no rows), None: either."""

    name: str
    caller: str
    url: str
    api: bool = False
    variant: str = "first"
    deep: bool = False
    deep_page: int = 1_000
    hops: int = 5
    rows: bool | None = True
    row_marker: str = ""
    limit_ms: float = 150.0
    raw: Callable[[], Any] | None = None  # the same page by hand-written SQL + json.dumps
    raw_limit: float = 3.0  # p50 at most this many times the raw p50
    # the same caller's plainest page (what every page pays: session, roles, menu, base template),
    # timed beside `raw` to show the page's own share of its time; informational, no verdict
    floor_url: str = ""
    load: int = 0  # weight in the mixed load through gunicorn (0: not part of it)


@dataclass(frozen=True)
class PartnerWrite:
    """A partner's write the fault drill sends under load (manage.py fault_drill), as the `dealer`
    caller with its token, each POST with an Idempotency-Key of its own: `create_path` with the
    JSON of `body(n)` (n: a serial unique in the run), answered 201 with the new record's `id`;
    then, when `then_path` is set, a POST to `then_path.format(id=…)` answered 200. The drill
    compares `created(ctx, since)` — the records the dealer created since then — with the
    distinct keys that succeeded, and wants `unfinished(ctx, ids)` — records among `ids` the
    second POST did not move on — to be 0."""

    create_path: str
    body: Callable[[int], dict]
    created: Callable[[Context, datetime], int]
    then_path: str = ""
    then_label: str = "then"  # how the second POST is named in the figures
    unfinished: Callable[[Context, set[int]], int] | None = None


@dataclass(frozen=True)
class BenchPart:
    generate: Callable[[Context], None] | None = None
    check: Callable[[Context], list[str]] | None = None
    probes: Callable[[Context], list[Probe]] | None = None
    not_lists: frozenset[str] = frozenset()
    partner_write: PartnerWrite | None = None  # what the fault drill POSTs (one app declares it)
