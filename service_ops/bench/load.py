"""The bounded mixed load: gunicorn (the production server, DEBUG=0) on a free loopback port
against the throwaway database, driven by wrk with a Lua script when wrk is on PATH, else by a
small Python client (threads, keep-alive http.client). Staff pages go with the session cookie of a
real login (the login page and its CSRF token); partner API calls with the partner token."""

from __future__ import annotations

import http.client
import json
import os
import re
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, urlencode

from django.conf import settings
from django.db import connection

from .base import BenchError, Caller, Probe
from .measure import percentile

HOST = "127.0.0.1"


@dataclass
class LoadResult:
    tool: str
    seconds: float
    requests: int
    errors: int
    error_detail: str
    p50: float  # ms
    p95: float
    p99: float

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def passed(self) -> bool:
        return self.rps >= 150 and self.p99 <= 300 and self.errors == 0

    def report(self) -> str:
        return (
            f"mixed load ({self.tool}): {self.requests:,} requests in {self.seconds:.1f} s = "
            f"{self.rps:,.1f} req/s; p50 {self.p50:,.1f} ms, p95 {self.p95:,.1f} ms, "
            f"p99 {self.p99:,.1f} ms; errors {self.errors}{self.error_detail} — "
            f"{'PASS' if self.passed() else 'FAIL'} (target >= 150 req/s, p99 <= 300 ms, "
            "0 errors)"
        )


def newest_static_source() -> float:
    from django.contrib.staticfiles import finders

    newest = 0.0
    for finder in finders.get_finders():
        for path, storage in finder.list(["CVS", ".*", "*~"]):
            newest = max(newest, os.path.getmtime(storage.path(path)))
    return newest


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def database_url() -> str:
    s = connection.settings_dict
    auth = quote(s.get("USER") or "")
    if s.get("PASSWORD"):
        auth += ":" + quote(s["PASSWORD"])
    host = s.get("HOST") or "localhost"
    port = f":{s['PORT']}" if s.get("PORT") else ""
    return f"postgres://{auth}{'@' if auth else ''}{host}{port}/{s['NAME']}"


class Server:
    """gunicorn with `workers` sync workers, as in production (docker-compose), DEBUG=0."""

    def __init__(self, *, workers: int, out, extra_env: dict[str, str] | None = None):
        self.workers, self.out = workers, out
        self.port = free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="bench_web_"))
        self.log = self.dir / "gunicorn.log"
        self.proc: subprocess.Popen | None = None
        self.env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "service_ops.settings",
            "DATABASE_URL": database_url(),
            "DEBUG": "0",
            "SECRET_KEY": secrets.token_urlsafe(50),
            "ALLOWED_HOSTS": f"{HOST},localhost",
            "SECURE_SSL_REDIRECT": "0",  # plain http on the loopback: no TLS proxy in front
            "STATIC_ROOT": str(Path(settings.BASE_DIR) / "var" / "bench-static"),
            # The per-user API throttle (1,200/min) would turn a load test into 429s.
            "API_THROTTLE_USER": "1000000/min",
            "API_THROTTLE_ANON": "1000000/min",
            "LOG_LEVEL": "WARNING",
            **(extra_env or {}),
        }

    def collectstatic(self) -> None:
        """DEBUG=0 serves hashed static names from a manifest: collect into var/bench-static,
        again only when a source file is newer than the manifest."""
        root = Path(self.env["STATIC_ROOT"])
        manifest = root / "staticfiles.json"
        if manifest.exists() and newest_static_source() <= manifest.stat().st_mtime:
            return
        self.out(f"  collecting static files into {root} …")
        subprocess.run(
            [sys.executable, "manage.py", "collectstatic", "--noinput", "-v", "0"],
            cwd=settings.BASE_DIR,
            env=self.env,
            check=True,
        )

    def __enter__(self):
        self.collectstatic()
        command = [
            sys.executable, "-m", "gunicorn", "service_ops.wsgi:application",
            "--bind", f"{HOST}:{self.port}", "--workers", str(self.workers),
            "--log-level", "warning", "--timeout", "120",
        ]  # fmt: skip
        self.proc = subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
            command,
            cwd=settings.BASE_DIR,
            env=self.env,
            stdout=self.log.open("wb"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise BenchError(f"gunicorn exited: {self.tail()}")
            try:
                status, _h, _b = request(self.port, "GET", "/login/")
                if status == 200:
                    return self
            except OSError:
                pass
            time.sleep(0.3)
        raise BenchError(f"gunicorn did not answer within 60 s: {self.tail()}")

    def tail(self) -> str:
        try:
            return self.log.read_text(errors="replace")[-2000:]
        except OSError:
            return ""

    def __exit__(self, *exc):
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        shutil.rmtree(self.dir, ignore_errors=True)
        return False


def request(port, method, path, headers=None, body=None):
    conn = http.client.HTTPConnection(HOST, port, timeout=30)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        response = conn.getresponse()
        return response.status, response.getheaders(), response.read()
    finally:
        conn.close()


def _cookies(headers) -> dict[str, str]:
    jar = {}
    for name, value in headers:
        if name.lower() == "set-cookie":
            key, _sep, rest = value.partition("=")
            jar[key.strip()] = rest.split(";", 1)[0]
    return jar


def login(port: int, caller: Caller) -> str:
    """Log in through the login page as a browser does; the Cookie header of the session."""
    status, headers, body = request(port, "GET", "/login/")
    jar = _cookies(headers)
    token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', body)
    if status != 200 or not token or "csrftoken" not in jar:
        raise BenchError(f"login page: HTTP {status}, no CSRF token")
    form = urlencode(
        {
            "csrfmiddlewaretoken": token.group(1).decode(),
            "username": caller.user.get_username(),
            "password": caller.password,
        }
    )
    status, headers, _body = request(
        port,
        "POST",
        "/login/",
        {
            "Cookie": f"csrftoken={jar['csrftoken']}",
            "Content-Type": "application/x-www-form-urlencoded",
        },
        form,
    )
    jar.update(_cookies(headers))
    if status != 302 or "sessionid" not in jar:
        raise BenchError(f"logging in as {caller.key} failed (HTTP {status})")
    return f"sessionid={jar['sessionid']}; csrftoken={jar['csrftoken']}"


def plan(probes: list[Probe], callers: dict[str, Caller], port: int) -> list[tuple[str, dict]]:
    """(path, headers) of every request of the mix, weights repeated, interleaved."""
    sessions: dict[str, str] = {}
    weighted = []
    for probe in probes:
        if probe.load <= 0 or probe.caller not in callers:
            continue
        caller = callers[probe.caller]
        if probe.api and caller.token:
            headers = {"Authorization": f"Bearer {caller.token}"}
        else:
            if caller.key not in sessions:
                sessions[caller.key] = login(port, caller)
            headers = {"Cookie": sessions[caller.key]}
        status, _h, _b = request(port, "GET", probe.url, headers)
        if status != 200:
            raise BenchError(f"mixed load: {probe.url} as {caller.key} answers HTTP {status}")
        weighted.append(((probe.url, headers), probe.load))
    mix = []
    for round_ in range(max((w for _r, w in weighted), default=0)):
        mix += [req for req, w in weighted if w > round_]
    if not mix:
        raise BenchError("no probe is part of the mixed load (Probe.load)")
    return mix


LUA = """
local reqs = {}
local mix = %(mix)s
local n = 0
function init(args)
  for i, r in ipairs(mix) do
    reqs[i] = wrk.format("GET", r[1], r[2])
  end
  n = math.random(#reqs)
end
function request()
  n = n %% #reqs + 1
  return reqs[n]
end
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "BENCHJSON {\\"requests\\": %%d, \\"duration_us\\": %%d, \\"connect\\": %%d, \\"read\\": %%d, "
    .. "\\"write\\": %%d, \\"status\\": %%d, \\"timeout\\": %%d, \\"p50\\": %%d, \\"p95\\": %%d, "
    .. "\\"p99\\": %%d}\\n",
    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(95), latency:percentile(99)))
end
"""


def _lua_string(text: str) -> str:
    return json.dumps(text)  # a JSON string is a valid Lua string for these characters


def run_wrk(port, mix, *, seconds, connections, out) -> LoadResult:
    table = ",\n".join(
        "{"
        + _lua_string(path)
        + ", {"
        + ", ".join(f"[{_lua_string(k)}] = {_lua_string(v)}" for k, v in headers.items())
        + "}}"
        for path, headers in mix
    )
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(LUA % {"mix": "{\n" + table + "\n}"})
    try:
        threads = min(2, connections)
        proc = subprocess.run(  # noqa: S603 - wrk from PATH, our own arguments
            [  # noqa: S607
                "wrk",
                f"-t{threads}",
                f"-c{connections}",
                f"-d{seconds}s",
                "--timeout",
                "10s",
                "-s",
                script.name,
                f"http://{HOST}:{port}",
            ],
            capture_output=True,
            text=True,
            timeout=seconds + 60,
            check=False,
        )
    finally:
        os.unlink(script.name)
    found = re.search(r"BENCHJSON (\{.*\})", proc.stdout)
    if not found:
        raise BenchError(f"wrk gave no summary: {proc.stdout[-500:]} {proc.stderr[-500:]}")
    data = json.loads(found.group(1))
    kinds = {k: data[k] for k in ("connect", "read", "write", "status", "timeout") if data[k]}
    return LoadResult(
        tool=f"wrk, {threads} threads, {connections} connections",
        seconds=data["duration_us"] / 1e6,
        requests=data["requests"],
        errors=sum(kinds.values()),
        error_detail=f" {kinds}" if kinds else "",
        p50=data["p50"] / 1000,
        p95=data["p95"] / 1000,
        p99=data["p99"] / 1000,
    )


def run_python(port, mix, *, seconds, connections, out) -> LoadResult:
    latencies: list[float] = []
    errors: dict[str, int] = {}
    lock = threading.Lock()
    stop = time.monotonic() + seconds

    def worker(offset):
        conn = http.client.HTTPConnection(HOST, port, timeout=30)
        n = offset
        mine, bad = [], {}
        while time.monotonic() < stop:
            path, headers = mix[n % len(mix)]
            n += 1
            started = time.perf_counter()
            try:
                conn.request("GET", path, headers=headers)
                response = conn.getresponse()
                response.read()
                status = response.status
                if response.getheader("Connection", "").lower() == "close":
                    conn.close()
            except (OSError, http.client.HTTPException) as exc:
                bad[type(exc).__name__] = bad.get(type(exc).__name__, 0) + 1
                conn.close()
                conn = http.client.HTTPConnection(HOST, port, timeout=30)
                continue
            mine.append(time.perf_counter() - started)
            if status != 200:
                bad[f"HTTP {status}"] = bad.get(f"HTTP {status}", 0) + 1
        conn.close()
        with lock:
            latencies.extend(mine)
            for k, v in bad.items():
                errors[k] = errors.get(k, 0) + v

    started = time.monotonic()
    threads = [
        threading.Thread(target=worker, args=(i * 7,), daemon=True) for i in range(connections)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.monotonic() - started
    if not latencies:
        raise BenchError(f"the load client got no answer: {errors}")
    return LoadResult(
        tool=f"Python client (wrk not on PATH), {connections} threads",
        seconds=elapsed,
        requests=len(latencies),
        errors=sum(errors.values()),
        error_detail=f" {errors}" if errors else "",
        p50=statistics.median(latencies) * 1000,
        p95=percentile(latencies, 95) * 1000,
        p99=percentile(latencies, 99) * 1000,
    )


def mixed_load(
    probes: list[Probe], callers: dict[str, Caller], *, seconds, connections, workers, out
) -> LoadResult:
    with Server(workers=workers, out=out) as server:
        mix = plan(probes, callers, server.port)
        out(
            f"  gunicorn: {workers} workers on {HOST}:{server.port}, DEBUG=0; a mix of "
            f"{len({(p, tuple(h.items())) for p, h in mix})} requests (weighted: {len(mix)} "
            f"slots), {connections} connections, {seconds} s"
        )
        run = run_wrk if shutil.which("wrk") else run_python
        result = run(server.port, mix, seconds=seconds, connections=connections, out=out)
        errors_in_log = server.tail().count("Traceback")
        if errors_in_log:
            out(f"  gunicorn log shows {errors_in_log} traceback(s):\n{server.tail()}")
        return result
