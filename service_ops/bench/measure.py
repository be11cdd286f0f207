"""Time the declared lists in-process (Django's test Client): p50/p95 over repetitions, the query
count and the response size, the ratio to a hand-written query where one is given, and EXPLAIN
ANALYZE of each list's biggest SELECT."""

from __future__ import annotations

import gc
import html
import json
import re
import statistics
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from django.conf import settings
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext

from .base import Caller, Probe

NEXT_WORDS = ("下一页", "下一批", "更早", "更多", "next", "older", "more")
ANCHOR = re.compile(r"<a\b([^>]*)>(.*?)</a>", re.S | re.I)
HREF = re.compile(r"""\b(?:href|hx-get)\s*=\s*["']([^"']+)["']""", re.I)


@dataclass
class Result:
    probe: Probe
    url: str = ""
    status: int = 0
    times: list[float] = field(default_factory=list)  # seconds
    queries: int = 0
    size: int = 0
    rows: int | None = None  # JSON results on the page (None for HTML)
    raw_times: list[float] = field(default_factory=list)
    floor_times: list[float] = field(default_factory=list)
    main_sql: str = ""
    main_sql_ms: float = 0.0
    plan: str = ""
    error: str = ""
    note: str = ""

    @property
    def p50(self) -> float | None:
        return statistics.median(self.times) * 1000 if self.times else None

    @property
    def p95(self) -> float | None:
        return percentile(self.times, 95) * 1000 if self.times else None

    @property
    def raw_p50(self) -> float | None:
        return statistics.median(self.raw_times) * 1000 if self.raw_times else None

    @property
    def floor_p50(self) -> float | None:
        return statistics.median(self.floor_times) * 1000 if self.floor_times else None

    @property
    def ratio(self) -> float | None:
        raw = self.raw_p50
        return self.p50 / raw if raw and self.p50 is not None else None

    @property
    def passed(self) -> bool:
        if self.error or self.status != 200 or self.p95 is None:
            return False
        if self.p95 > self.probe.limit_ms:
            return False
        return not (self.ratio is not None and self.ratio > self.probe.raw_limit)

    def verdict(self) -> str:
        if self.error:
            return "FAIL " + self.error
        reasons = []
        if self.p95 is not None and self.p95 > self.probe.limit_ms:
            reasons.append(f"p95>{self.probe.limit_ms:.0f}ms")
        if self.ratio is not None and self.ratio > self.probe.raw_limit:
            reasons.append(f"{self.ratio:.1f}x raw>{self.probe.raw_limit:.0f}x")
        verdict = "PASS" if not reasons else "FAIL " + ", ".join(reasons)
        return f"{verdict} ({self.note})" if self.note else verdict


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    if len(ordered) == 1:
        return ordered[0]
    k = (len(ordered) - 1) * pct / 100
    low = int(k)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (k - low)


@contextmanager
def unthrottled():
    """The API throttle (1,200 requests a minute per user) with a rate no run reaches: the
    throttle still counts in the cache, as in production, but never answers 429."""
    from rest_framework.throttling import SimpleRateThrottle

    rates = SimpleRateThrottle.THROTTLE_RATES
    SimpleRateThrottle.THROTTLE_RATES = dict.fromkeys(rates or {"user": 0}, "1000000/min")
    try:
        yield
    finally:
        SimpleRateThrottle.THROTTLE_RATES = rates


class Measurer:
    def __init__(self, callers: dict[str, Caller], *, reps=15, budget=20.0, explain=True):
        self.callers = callers
        self.reps = reps
        self.budget = budget  # seconds of timing per probe at most (a slow list gets fewer runs)
        self.explain = explain
        self._clients: dict[tuple[str, bool], Client] = {}
        if "testserver" not in settings.ALLOWED_HOSTS and "*" not in settings.ALLOWED_HOSTS:
            settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]

    def client(self, caller: Caller, api: bool) -> Client:
        """A session (force_login) for pages and staff API calls; the partner token for a
        partner's API calls."""
        use_token = api and bool(caller.token)
        key = (caller.key, use_token)
        if key not in self._clients:
            if use_token:
                client = Client(HTTP_AUTHORIZATION=f"Bearer {caller.token}")
            else:
                client = Client()
                client.force_login(caller.user)
            self._clients[key] = client
        return self._clients[key]

    # --- one probe ------------------------------------------------------------------------------

    def run(self, probe: Probe) -> Result:
        gc.collect()  # the garbage of the list before (some are tens of MB) is not this one's
        with unthrottled():
            return self._run(probe)

    def _run(self, probe: Probe) -> Result:
        result = Result(probe)
        caller = self.callers.get(probe.caller)
        if caller is None:
            result.error = f"no caller {probe.caller!r}"
            return result
        client = self.client(caller, probe.api)
        try:
            result.url = self.target(client, probe, result) if probe.deep else probe.url
        except LookupError as exc:
            result.error = str(exc)
            return result
        started = time.perf_counter()
        response = client.get(result.url)
        first = time.perf_counter() - started
        result.status = response.status_code
        if response.status_code != 200:
            result.error = f"HTTP {response.status_code}"
            return result
        body = content_of(response)
        problem = self.rows_problem(probe, body, result)
        if problem:
            result.error = problem
            return result
        reps = self.reps if first * self.reps <= self.budget else max(3, int(self.budget / first))
        # The page, its raw SQL and the caller's plainest page take turns, so that a ratio
        # compares runs made under the same load (this machine's speed moves by the minute).
        series = [(lambda: client.get(result.url), result.times)]
        if probe.raw:
            series.append((probe.raw, result.raw_times))
        if probe.floor_url:
            series.append((lambda: client.get(probe.floor_url), result.floor_times))
        for run, _times in series[1:]:
            run()  # warm
        for _ in range(reps):
            for run, times in series:
                started = time.perf_counter()
                run()
                times.append(time.perf_counter() - started)
        with CaptureQueriesContext(connection) as captured:
            response = client.get(result.url)
        result.size = len(content_of(response))
        result.queries = len(captured.captured_queries)
        selects = [q for q in captured.captured_queries if q["sql"].lstrip().upper().startswith(
            ("SELECT", "WITH"))]  # fmt: skip
        if selects:
            main = max(selects, key=lambda q: float(q["time"]))
            result.main_sql, result.main_sql_ms = main["sql"], float(main["time"]) * 1000
            if self.explain:
                result.plan = explain(main["sql"])
        return result

    def rows_problem(self, probe: Probe, body: bytes, result: Result) -> str:
        if probe.api:
            try:
                data = json.loads(body)
            except ValueError:
                return "not JSON"
            items = data.get("results", data.get("items")) if isinstance(data, dict) else data
            result.rows = len(items) if isinstance(items, list) else None
            shown = bool(result.rows)
        elif probe.row_marker:
            shown = probe.row_marker.encode() in body
        else:
            return ""
        if probe.rows is True and not shown:
            return "no rows shown (measuring nothing)"
        if probe.rows is False and shown:
            return "rows shown where none may be"
        return ""

    def target(self, client: Client, probe: Probe, result: Result) -> str:
        """The deep page's URL: from the first page's next link, jump (`page=`; an API page
        number no further than its last page) or follow it (a cursor)."""
        url = probe.url
        for hop in range(probe.hops):
            response = client.get(url)
            if response.status_code != 200:
                raise LookupError(f"HTTP {response.status_code} on the way to the deep page")
            body = content_of(response)
            nxt = next_link(body, api=probe.api)
            if not nxt:
                if hop == 0:
                    result.note = "one page only"
                return url
            nxt = local(nxt, url)
            query = dict(parse_qsl(urlsplit(nxt).query))
            if query.get("page", "").isdigit():
                query["page"] = str(min(probe.deep_page, last_page(body) or probe.deep_page))
                parts = urlsplit(nxt)
                return urlunsplit(parts._replace(query=urlencode(query)))
            url = nxt
        return url


def last_page(body: bytes) -> int | None:
    """The last page number of a JSON page with a total `count` (DRF's page-number pagination
    answers 404 past it; Django's Paginator.get_page clamps by itself)."""
    try:
        data = json.loads(body)
    except ValueError:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("count"), int):
        return None
    size = len(data.get("results") or []) or 1
    return max(1, -(-data["count"] // size))


def content_of(response) -> bytes:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content)
    return response.content


def next_link(body: bytes, *, api: bool) -> str:
    if api:
        try:
            data = json.loads(body)
        except ValueError:
            return ""
        return (data.get("next") or "") if isinstance(data, dict) else ""
    text = body.decode("utf-8", "replace")
    for attrs, inner in ANCHOR.findall(text):
        label = re.sub(r"<[^>]+>", " ", inner).strip().lower()
        if 'rel="next"' in attrs or any(word in label for word in NEXT_WORDS):
            found = HREF.search(attrs)
            if found:
                return html.unescape(found.group(1))
    return ""


def local(url: str, base: str) -> str:
    """A path with its query string (an absolute next URL from the API, or a bare `?page=2`)."""
    parts = urlsplit(url)
    if not parts.path:
        return urlunsplit(("", "", urlsplit(base).path, parts.query, ""))
    return urlunsplit(("", "", parts.path, parts.query, ""))


def explain(sql: str) -> str:
    """EXPLAIN ANALYZE of one captured statement, compact: plan nodes with their actual time and
    rows, then the execution time."""
    if connection.vendor != "postgresql":
        return ""
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS OFF, COSTS OFF, SUMMARY ON) {sql}")
            lines = [row[0] for row in cursor.fetchall()]
    except Exception as exc:  # a statement that cannot be re-run alone: say so
        return f"(EXPLAIN failed: {str(exc).splitlines()[0]})"
    keep = [
        line
        for line in lines
        if "->" in line or line == lines[0] or "Execution Time" in line or "Filter" in line
        or "Index Cond" in line or "Rows Removed" in line
    ]  # fmt: skip
    if len(keep) > 18:
        keep = [*keep[:16], "  …", *[line for line in keep[16:] if "Execution Time" in line]]
    return "\n".join(keep)


# --- the table ------------------------------------------------------------------------------------


def table(results: list[Result], callers: dict[str, Caller]) -> str:
    head = ("list", "variant", "caller", "p50 ms", "p95 ms", "n", "queries", "bytes", "verdict")
    rows = []
    for r in results:
        rows.append(
            (
                r.probe.name,
                r.probe.variant,
                r.probe.caller,
                f"{r.p50:,.1f}" if r.p50 is not None else "-",
                f"{r.p95:,.1f}" if r.p95 is not None else "-",
                str(len(r.times)),
                str(r.queries) if r.times else "-",
                f"{r.size:,}" if r.times else "-",
                r.verdict(),
            )
        )
        if r.ratio is not None:
            rows.append(
                (
                    "  ↳ raw SQL + json.dumps of the same page",
                    "",
                    "",
                    f"{r.raw_p50:,.2f}",
                    "",
                    str(len(r.raw_times)),
                    "1",
                    "",
                    f"ratio {r.ratio:.1f}x (limit {r.probe.raw_limit:.0f}x)",
                )
            )
        if r.floor_p50 is not None and r.raw_p50:
            own = r.p50 - r.floor_p50
            rows.append(
                (
                    "  ↳ the caller's plainest page (the floor every page pays)",
                    "",
                    "",
                    f"{r.floor_p50:,.2f}",
                    "",
                    str(len(r.floor_times)),
                    "",
                    "",
                    f"page - floor {own:,.1f} ms = {own / r.raw_p50:.1f}x raw",
                )
            )
    widths = [max(_width(row[i]) for row in [head, *rows]) for i in range(len(head))]
    numeric = {3, 4, 5, 6, 7}

    def fmt(row):
        return "  ".join(
            _pad(cell, widths[i], right=i in numeric) for i, cell in enumerate(row)
        ).rstrip()

    lines = [fmt(head), fmt(tuple("-" * w for w in widths))]
    lines += [fmt(row) for row in rows]
    return "\n".join(lines)


def _width(text: str) -> int:
    """Display width: CJK characters take two columns."""
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)


def _pad(text: str, width: int, *, right: bool) -> str:
    gap = " " * max(0, width - _width(text))
    return gap + text if right else text + gap
