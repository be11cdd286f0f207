"""Throwaway services for the fault drill (manage.py fault_drill): a PostgreSQL cluster of its own
(initdb into a temporary directory, its own port and socket directory, trust authentication), a
Redis of its own (no persistence) and the application's processes (gunicorn, Celery workers,
Celery beat), each in its own session so it can be stopped, killed or restarted alone.

Nothing here touches the machine's PostgreSQL or Redis: a port already taken is an error, and
every service is stopped and its directory removed by `close()` (callers use try/finally)."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from django.conf import settings

from .base import BenchError

HOST = "127.0.0.1"
PG_BIN = Path(os.environ.get("PG_BIN", "/usr/lib/postgresql/15/bin"))


def port_in_use(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((HOST, port)) == 0


def _wait_for(predicate, *, seconds: float, what: str) -> None:
    give_up = time.monotonic() + seconds
    while not predicate():
        if time.monotonic() > give_up:
            raise BenchError(f"gave up after {seconds:g} s waiting for {what}")
        time.sleep(0.1)


class Postgres:
    """A PostgreSQL cluster in a temporary directory on `port`. Run as the `postgres` OS user
    when this process is root (initdb refuses root)."""

    def __init__(self, *, port: int, out):
        self.port, self.out = port, out
        self.dir = Path(tempfile.mkdtemp(prefix="fault_drill_pg_"))
        self.data = self.dir / "data"
        self.log = self.dir / "postgres.log"
        self.as_user: list[str] = []
        self.started = False

    def _run(self, *args: str, check: bool = True, timeout: float = 120):
        return subprocess.run(  # noqa: S603 - PostgreSQL's own tools, our arguments
            [*self.as_user, *args], capture_output=True, text=True, timeout=timeout, check=check
        )

    def start(self) -> Postgres:
        if port_in_use(self.port):
            raise BenchError(f"port {self.port} is taken: choose another (--pg-port)")
        initdb = PG_BIN / "initdb"
        if not initdb.exists():
            raise BenchError(f"{initdb} not found (PostgreSQL 15 server; set PG_BIN)")
        if os.geteuid() == 0:
            self.as_user = ["runuser", "-u", "postgres", "--"]
            shutil.chown(self.dir, user="postgres")
        self._run(str(initdb), "-D", str(self.data), "-A", "trust", "-U", "postgres",
                  "-E", "UTF8", "--no-sync")  # fmt: skip
        self.start_server()
        self.started = True
        return self

    def _ctl(self, *args: str, check: bool = True):
        return self._run(str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-w", "-t", "60", *args,
                         check=check)  # fmt: skip

    @property
    def options(self) -> list[str]:
        # The server's output goes to the log file (-l): a server holding our pipe open would
        # keep pg_ctl's caller waiting.
        options = f"-p {self.port} -k {self.dir} -c listen_addresses={HOST} -c max_connections=200"
        return ["-o", options, "-l", str(self.log)]

    def start_server(self) -> None:
        self._ctl(*self.options, "start")

    def restart(self) -> float:
        """pg_ctl restart -m fast: every connection is dropped. Returns the seconds it took."""
        started = time.perf_counter()
        self._ctl(*self.options, "-m", "fast", "restart")
        return time.perf_counter() - started

    def url(self, name: str, **options: str) -> str:
        query = "&".join(f"{k}={v}" for k, v in options.items())
        return f"postgres://postgres@{HOST}:{self.port}/{name}" + (f"?{query}" if query else "")

    def close(self) -> None:
        if self.started:
            self._ctl("-m", "immediate", "stop", check=False)
            self.started = False
        shutil.rmtree(self.dir, ignore_errors=True)


class Redis:
    """redis-server on `port`, without persistence (a broker and a cache, as in production)."""

    def __init__(self, *, port: int, out):
        self.port, self.out = port, out
        self.dir = Path(tempfile.mkdtemp(prefix="fault_drill_redis_"))
        self.pidfile = self.dir / "redis.pid"
        self.running = False

    @property
    def url(self) -> str:
        return f"redis://{HOST}:{self.port}/0"

    def start(self) -> Redis:
        if port_in_use(self.port):
            raise BenchError(f"port {self.port} is taken: choose another (--redis-port)")
        command = [
            "redis-server", "--port", str(self.port), "--bind", HOST, "--save", "",
            "--appendonly", "no", "--daemonize", "yes", "--dir", str(self.dir),
            "--pidfile", str(self.pidfile), "--logfile", str(self.dir / "redis.log"),
        ]  # fmt: skip
        subprocess.run(command, check=True, capture_output=True)  # noqa: S603 - from PATH
        self.running = True
        _wait_for(lambda: port_in_use(self.port), seconds=20, what="redis-server")
        return self

    def stop(self) -> None:
        """Gone at once, as a crashed or stopped Redis is: SIGKILL to our own redis-server."""
        if not self.running:
            return
        try:
            pid = int(self.pidfile.read_text().strip())
            os.kill(pid, signal.SIGKILL)
        except (OSError, ValueError):
            pass
        self.running = False
        _wait_for(lambda: not port_in_use(self.port), seconds=20, what="redis-server to stop")
        self.pidfile.unlink(missing_ok=True)

    def close(self) -> None:
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


class Process:
    """One of the application's processes (gunicorn, a Celery worker, beat) in its own session:
    `kill()` takes its whole process group (a worker and its pool children) at once."""

    def __init__(self, name: str, args: list[str], *, env: dict, log: Path):
        self.name, self.args, self.env, self.log = name, args, env, log
        self.proc: subprocess.Popen | None = None

    def start(self) -> Process:
        self.proc = subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
            [sys.executable, *self.args],
            cwd=settings.BASE_DIR,
            env=self.env,
            stdout=self.log.open("ab"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        return self

    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.proc else None

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def kill(self) -> None:
        """kill -9 of the process group, no clean-up: what an OOM kill or a lost host does."""
        if self.proc is not None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()

    def stop(self, timeout: float = 30) -> None:
        if not self.alive():
            return
        os.killpg(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()

    def tail(self, chars: int = 3000) -> str:
        try:
            return self.log.read_text(errors="replace")[-chars:]
        except OSError:
            return ""
