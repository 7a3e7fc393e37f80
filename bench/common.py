"""Shared pieces of the benchmarks: results with percentiles, CPU accounting over the server and PostgreSQL
processes, a fresh database per run, and a `stockyard serve` subprocess."""

import os
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url


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
    """CPU seconds used so far by this process (or the server) plus every PostgreSQL process."""
    own = _proc_cpu(server_pid) if server_pid else time.process_time()
    return own + sum(_proc_cpu(pid) for pid in _postgres_pids())


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


def start_server(url: str, port: int, pool_size: int = 40) -> subprocess.Popen[bytes]:
    env = dict(os.environ, STOCKYARD_DATABASE_URL=url, STOCKYARD_PORT=str(port), STOCKYARD_LOG_LEVEL="warning",
               STOCKYARD_DB_POOL_SIZE=str(pool_size), STOCKYARD_DB_MAX_OVERFLOW="10")
    proc = subprocess.Popen([sys.executable, "-m", "stockyard.cli", "serve", "--port", str(port)], env=env)
    for _ in range(100):
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=0.5).status_code == 200:
                return proc
        except httpx.HTTPError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError("the server did not start")


