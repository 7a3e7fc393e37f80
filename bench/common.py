"""Shared pieces of the benchmarks: results with percentiles, CPU accounting over the server and PostgreSQL
processes (CpuMeter: the server plus the bench database's backends), a fresh database per run, and a
`stockyard serve` subprocess."""

import os
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool


@dataclass
class Result:
    name: str
    ops: int
    seconds: float
    latencies: list[float] = field(default_factory=list)
    failures: int = 0
    cpu_seconds: float | None = None

    @property
    def rate(self) -> float:
        return self.ops / self.seconds if self.seconds else 0.0

    def pct(self, p: float) -> float:
        if not self.latencies:
            return 0.0
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(p * len(ordered)))] * 1000


# ---------------------------------------------------------------- CPU accounting (server + database processes)

def _proc_cpu(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _tree(pid: int) -> list[int]:
    """The process and its descendants (a `serve --workers N` supervisor and its web processes)."""
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        for task in Path(f"/proc/{current}/task").glob("*/children"):
            todo.extend(int(child) for child in task.read_text().split())
    return found


def _postgres_pids() -> list[int]:
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "comm").read_text().strip() in ("postgres", "postmaster"):
                    pids.append(int(entry.name))
            except OSError:
                continue
    return pids


def cpu_snapshot(server_pid: int | None) -> float:
    """CPU seconds used so far by this process (or the server) plus every PostgreSQL process on the machine,
    whatever database it serves (coarse: prefer CpuMeter, which counts only the bench database's backends)."""
    own = _proc_cpu(server_pid) if server_pid else time.process_time()
    return own + sum(_proc_cpu(pid) for pid in _postgres_pids())


@dataclass
class CpuUsage:
    server: float
    database: float
    backends: int = 0  # database backends seen during the run
    gone: int = 0  # backends that ended between the samples: their CPU since the first sample is missing

    @property
    def total(self) -> float:
        return self.server + self.database


class CpuMeter:
    """CPU time of one run: the server process (this process when None), plus, on PostgreSQL, the backends
    connected to the bench database (pids from pg_stat_activity, sampled before and after). SQLite runs inside
    the server process, so nothing else is added. PostgreSQL's shared background processes (WAL writer,
    checkpointer) and other databases' backends are not counted."""

    def __init__(self, server_pid: int | None, database_url: str | None = None) -> None:
        self.server_pid = server_pid
        self._engine = None
        if database_url is not None and make_url(database_url).get_backend_name() == "postgresql":
            self._engine = create_engine(database_url, poolclass=NullPool)
        self._before: tuple[float, dict[int, float]] = (0.0, {})

    def _server(self) -> float:
        if not self.server_pid:
            return time.process_time()
        return sum(_proc_cpu(pid) for pid in _tree(self.server_pid))

    def _backends(self) -> dict[int, float]:
        if self._engine is None:
            return {}
        with self._engine.connect() as conn:
            pids = conn.execute(text("SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                                     "AND pid <> pg_backend_pid()")).scalars().all()
        return {pid: _proc_cpu(pid) for pid in pids}

    def start(self) -> None:
        self._before = (self._server(), self._backends())

    def stop(self) -> CpuUsage:
        server, after = self._server(), self._backends()
        server0, before = self._before
        # A backend that started during the run counts from zero; one that ended is lost (reported as `gone`).
        database = sum(max(0.0, cpu - before.get(pid, 0.0)) for pid, cpu in after.items())
        return CpuUsage(server - server0, database, len(set(before) | set(after)), len(set(before) - set(after)))

    def close(self) -> None:
        if self._engine is not None:
            self._engine.dispose()


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


# ---------------------------------------------------------------- databases and servers

def fresh_database(backend: str, pg_url: str | None, workdir: Path, name: str = "stockyard_bench") -> str:
    if backend == "sqlite":
        return f"sqlite:///{workdir / f'{name}.db'}"
    assert pg_url
    base = make_url(pg_url)
    admin = create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return base.set(database=name).render_as_string(hide_password=False)


def start_server(url: str, port: int, pool_size: int = 40, workers: int = 1) -> subprocess.Popen[bytes]:
    env = dict(os.environ, STOCKYARD_DATABASE_URL=url, STOCKYARD_PORT=str(port), STOCKYARD_LOG_LEVEL="warning",
               STOCKYARD_DB_POOL_SIZE=str(pool_size), STOCKYARD_DB_MAX_OVERFLOW="10")
    proc = subprocess.Popen([sys.executable, "-m", "stockyard.cli", "serve", "--port", str(port),
                             "--workers", str(workers)], env=env)
    for _ in range(100):
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=0.5).status_code == 200:
                return proc
        except httpx.HTTPError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError("the server did not start")


