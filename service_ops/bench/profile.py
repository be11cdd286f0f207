"""Where the mixed load's server time goes, measured as CPU time (`manage.py bench_web --profile`).

The load through gunicorn measures wall-clock time, which on a shared machine says as much about
the neighbours as about the code. This replays the same requests — the probes with a load weight,
the staff pages with a session, the partner calls with the token — in this process through
Django's WSGI handler (the middleware, the views, the templates, the response closed as gunicorn
closes it), and prints for each request kind the median `time.process_time()` of `rounds` runs,
its fastest run (the least disturbed by other processes) and the wall time, the query count and
the load-weighted mean of the mix (150 requests a second on 2 cores allow ~13 ms), then a
cProfile (CPU time) of `rounds` / 4 passes over the weighted mix: the top 40 by cumulative and
by own time. `--only` keeps the request kinds whose "name [variant] as caller" contains it."""

from __future__ import annotations

import cProfile
import io
import pstats
import site
import statistics
import time
from urllib.parse import urlsplit

from django.conf import settings
from django.core.handlers.wsgi import WSGIHandler
from django.db import connection
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext

from .base import BenchError, Caller, Probe

HOST = "127.0.0.1"


class Replayer:
    def __init__(self, callers: dict[str, Caller]):
        self.callers = callers
        self.handler = WSGIHandler()
        self.factory = RequestFactory()
        self._cookies: dict[str, str] = {}
        if HOST not in settings.ALLOWED_HOSTS and "*" not in settings.ALLOWED_HOSTS:
            settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, HOST]

    def headers(self, probe: Probe) -> dict[str, str]:
        caller = self.callers[probe.caller]
        if probe.api and caller.token:
            return {"HTTP_AUTHORIZATION": f"Bearer {caller.token}"}
        if caller.key not in self._cookies:
            client = Client()
            client.force_login(caller.user)
            session = client.cookies[settings.SESSION_COOKIE_NAME].value
            self._cookies[caller.key] = f"{settings.SESSION_COOKIE_NAME}={session}"
        return {"HTTP_COOKIE": self._cookies[caller.key]}

    def environ(self, probe: Probe) -> dict:
        parts = urlsplit(probe.url)
        return self.factory._base_environ(
            PATH_INFO=parts.path,
            QUERY_STRING=parts.query,
            REQUEST_METHOD="GET",
            HTTP_HOST=HOST,
            SERVER_NAME=HOST,
            **self.headers(probe),
        )

    def get(self, environ: dict) -> tuple[str, bytes]:
        status = []

        def start_response(s, _headers, _exc_info=None):
            status.append(s)

        response = self.handler(dict(environ), start_response)
        try:
            body = b"".join(response)
        finally:
            response.close()
        return status[0], body


def weighted(probes: list[Probe], callers: dict[str, Caller]) -> list[tuple[Probe, int]]:
    return [(p, p.load) for p in probes if p.load > 0 and p.caller in callers]


def profile_mix(
    probes: list[Probe],
    callers: dict[str, Caller],
    *,
    rounds: int,
    out,
    only: str = "",
    top: int = 40,
) -> None:
    mix = [
        (p, w)
        for p, w in weighted(probes, callers)
        if only in f"{p.name} [{p.variant}] as {p.caller}"
    ]
    if not mix:
        raise BenchError("no probe is part of the mixed load (Probe.load)")
    replayer = Replayer(callers)
    environs = {}
    for probe, _w in mix:
        environs[id(probe)] = env = replayer.environ(probe)
        for _ in range(2):  # warm-up: templates compiled, caches filled
            status, _body = replayer.get(env)
        if not status.startswith("200"):
            raise BenchError(f"{probe.url} as {probe.caller} answers {status}")
    out(f"replaying the mixed load in-process: {len(mix)} request kinds, {rounds} runs each "
        f"(median CPU ms = time.process_time(); wall ms beside it)")  # fmt: skip
    rows, total_w, total_cpu, total_wall = [], 0, 0.0, 0.0
    for probe, w in mix:
        env = environs[id(probe)]
        cpu, wall = [], []
        for _ in range(rounds):
            c0, w0 = time.process_time(), time.perf_counter()
            replayer.get(env)
            cpu.append(time.process_time() - c0)
            wall.append(time.perf_counter() - w0)
        with CaptureQueriesContext(connection) as captured:
            _status, body = replayer.get(env)
        c, wl = statistics.median(cpu) * 1000, statistics.median(wall) * 1000
        rows.append((probe, w, c, min(cpu) * 1000, wl, len(captured.captured_queries), len(body)))
        total_w += w
        total_cpu += w * c
        total_wall += w * wl
    width = max(len(f"{p.name} [{p.variant}] as {p.caller}") for p, *_r in rows)
    out(f"  {'request':<{width}}  weight  cpu ms  (min)  wall ms  queries     bytes")
    for probe, w, c, low, wl, q, size in rows:
        label = f"{probe.name} [{probe.variant}] as {probe.caller}"
        out(f"  {label:<{width}}  {w:>6}  {c:>6.1f}  {low:>5.1f}  {wl:>7.1f}  {q:>7}  {size:>8,}")
    out(f"  weighted mean of the mix: {total_cpu / total_w:.1f} ms CPU, "
        f"{total_wall / total_w:.1f} ms wall per request ({total_w} slots)")  # fmt: skip

    passes = max(1, rounds // 4)
    slots = [environs[id(p)] for p, w in mix for _ in range(w)]
    profiler = cProfile.Profile(time.process_time)  # CPU, as above: not PostgreSQL's time
    profiler.enable()
    for _ in range(passes):
        for env in slots:
            replayer.get(env)
    profiler.disable()
    for sort in ("cumulative", "tottime"):
        buffer = io.StringIO()
        pstats.Stats(profiler, stream=buffer).sort_stats(sort).print_stats(top)
        text = buffer.getvalue()
        for prefix in sorted({*site.getsitepackages(), str(settings.BASE_DIR)}, key=len)[::-1]:
            text = text.replace(prefix + "/", "")
        out(f"\ncProfile of {passes} passes over the weighted mix ({len(slots)} requests each), "
            f"top {top} by {sort}:")  # fmt: skip
        out(text.strip("\n"))
