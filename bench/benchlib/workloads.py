"""The measurements: pgbench rows, bulk result streaming, idle-session memory. Each returns a
result object carrying either figures or an error string; a failure in one target never stops
the run (the table shows it)."""

import hashlib
import re
import subprocess
import threading
import time
from dataclasses import dataclass

from .procs import BenchError, cpu_seconds, rss_kib
from .services import DB


@dataclass
class PgbenchResult:
    tps: float = None
    latency_ms: float = None
    transactions: int = None
    cpu_s: float = None  # proxy CPU during the run; None for direct
    error: str = None

    @property
    def cpu_ms_per_1k(self):
        """Proxy CPU milliseconds per 1,000 transactions (= microseconds per query for -S)."""
        if self.cpu_s is None or not self.transactions:
            return None
        return self.cpu_s * 1000.0 / (self.transactions / 1000.0)


def _cpu(target):
    return cpu_seconds(target.pid) if target.pid else None


def _proxy_alive(target):
    return target.service is None or target.service.proc.poll() is None


def _first_float(pattern, text):
    m = re.search(pattern, text, re.MULTILINE)
    return float(m.group(1)) if m else None


def pgbench(runner, target, *, mode, clients, seconds, reconnect=False):
    """pgbench -S (one SELECT by primary key per transaction), no vacuum (-n) so every target runs
    exactly the same statements."""
    argv = ["pgbench", "-n", "-S", "-M", mode, "-c", str(clients), "-j", str(min(2, clients)),
            "-T", str(seconds), "-h", "127.0.0.1", "-p", str(target.port), "-U", target.user]
    if reconnect:
        argv.append("-C")
    argv.append(DB)
    if not _proxy_alive(target):
        return PgbenchResult(error=f"{target.name} is not running")
    try:
        cpu0 = _cpu(target)
        run = runner.run(argv, env=target.env(), timeout=seconds + 120, check=False)
        cpu1 = _cpu(target) if _proxy_alive(target) else None
    except (BenchError, OSError) as e:
        return PgbenchResult(error=str(e).splitlines()[0][:200])
    out = run.stdout + run.stderr
    result = PgbenchResult(
        tps=_first_float(r"^tps = ([0-9.]+)", out),
        latency_ms=_first_float(r"^latency average = ([0-9.]+) ms", out),
        cpu_s=(cpu1 - cpu0) if cpu0 is not None and cpu1 is not None else None)
    processed = re.search(r"number of transactions actually processed: (\d+)", out)
    result.transactions = int(processed.group(1)) if processed else None
    failed = re.search(r"number of failed transactions: (\d+)", out)
    if run.returncode != 0 or result.tps is None or (failed and int(failed.group(1)) > 0):
        lines = [ln for ln in out.splitlines() if "error" in ln.lower() or "abort" in ln.lower()
                 or "fatal" in ln.lower()]
        result.error = f"pgbench exit {run.returncode}: " + ((lines[0] if lines else out.strip()[-200:])[:200])
    if target.pid and cpu1 is None:
        result.error = result.error or f"{target.name} exited during the run"
    return result


BULK_SQL = {
    "select": "SELECT * FROM bulk",
    "copy": "COPY bulk TO STDOUT",
}


@dataclass
class BulkResult:
    out_bytes: int = None
    digest: str = None
    seconds: list = None  # wall time of each timed repetition
    cpu_s: float = None  # proxy CPU summed over the timed repetitions
    error: str = None

    @property
    def median_s(self):
        if not self.seconds:
            return None
        s = sorted(self.seconds)
        mid = len(s) // 2
        return s[mid] if len(s) % 2 else (s[mid - 1] + s[mid]) / 2

    @property
    def mb_per_s(self):
        m = self.median_s
        return self.out_bytes / 1e6 / m if m and self.out_bytes else None

    @property
    def cpu_s_per_gb(self):
        if self.cpu_s is None or not self.seconds or not self.out_bytes:
            return None
        return self.cpu_s / (self.out_bytes * len(self.seconds) / 1e9)


def _psql_argv(target, kind):
    return ["psql", "-X", "-q", "-At", "-v", "ON_ERROR_STOP=1", "-d", target.conninfo(), "-c", BULK_SQL[kind]]


def bulk_verify(runner, target, kind, timeout=600):
    """One untimed pass that counts and hashes the output (the timed passes write to /dev/null)."""
    proc = subprocess.Popen(_psql_argv(target, kind), env=runner.env(target.env()), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    runner.reaper.track(proc, "psql", grace=2.0)
    digest, total = hashlib.sha256(), 0
    # A hung target would block read() forever: a watchdog kills psql, which ends the read.
    fired = []
    watchdog = threading.Timer(timeout, lambda: (fired.append(True), proc.kill()))
    watchdog.start()
    try:
        while True:
            chunk = proc.stdout.read(1 << 20)
            if not chunk:
                break
            digest.update(chunk)
            total += len(chunk)
        err = proc.stderr.read().decode(errors="replace")
        proc.wait(timeout=30)
    finally:
        watchdog.cancel()
        runner.reaper.stop(proc, grace=2.0)
    if fired:
        raise BenchError(f"psql through {target.name} took over {timeout}s")
    if proc.returncode != 0:
        raise BenchError(f"psql exit {proc.returncode}: {err.strip()[:200]}")
    return total, digest.hexdigest()


def bulk_timed(runner, target, kind, timeout=600):
    """Wall seconds and proxy CPU seconds of one psql run with output to /dev/null."""
    cpu0 = _cpu(target)
    start = time.monotonic()
    run = runner.run(_psql_argv(target, kind), env=target.env(), timeout=timeout, check=False,
                     stdout=subprocess.DEVNULL)
    wall = time.monotonic() - start
    if run.returncode != 0:
        raise BenchError(f"psql exit {run.returncode}: {(run.stderr or '').strip()[:200]}")
    if not _proxy_alive(target):
        raise BenchError(f"{target.name} exited during the run")
    cpu1 = _cpu(target)
    return wall, (cpu1 - cpu0) if cpu0 is not None else None


@dataclass
class MemoryResult:
    sessions: int = 0
    rss_before_kib: int = None
    rss_during_kib: int = None
    rss_after_kib: int = None
    open_seconds: float = None
    error: str = None

    @property
    def kib_per_session(self):
        if self.rss_during_kib is None or not self.sessions:
            return None
        return (self.rss_during_kib - self.rss_before_kib) / self.sessions


def idle_sessions(target, count, settle=1.0):
    """Open `count` sessions through the proxy (each runs SELECT 1 so the upstream side exists in
    both proxies: pgbouncer links a server connection in session mode at the first query), hold
    them idle and read the proxy's VmRSS before, during and after."""
    import psycopg2  # Debian python3-psycopg2; only this section needs it

    def connect():
        conn = psycopg2.connect(host="127.0.0.1", port=target.port, user=target.user,
                                password=target.password, dbname=DB, sslmode="disable", connect_timeout=10)
        conn.autocommit = True  # idle, not idle in transaction
        with conn.cursor() as cur:
            cur.execute("SELECT 1")
            cur.fetchone()
        return conn

    result = MemoryResult()
    conns = []
    try:
        connect().close()  # one-off start-up work (TLS/crypto init, caches) is not per session
        time.sleep(settle)
        result.rss_before_kib = rss_kib(target.pid)
        start = time.monotonic()
        for _ in range(count):
            conns.append(connect())
        result.open_seconds = time.monotonic() - start
        result.sessions = len(conns)
        time.sleep(settle)
        result.rss_during_kib = rss_kib(target.pid)
    except Exception as e:  # noqa: BLE001 - psycopg2 and /proc errors alike go into the table
        result.sessions = len(conns)
        result.error = f"after {len(conns)} sessions: {str(e).strip().splitlines()[0][:200] if str(e).strip() else type(e).__name__}"
    finally:
        for conn in conns:
            try:
                conn.close()
            except Exception:  # noqa: BLE001
                pass
    if result.error is None:
        time.sleep(settle)
        try:
            result.rss_after_kib = rss_kib(target.pid)
        except (OSError, BenchError) as e:
            result.error = str(e)
    return result


def psql_timed(runner, target, sql, timeout=900):
    """Wall seconds, proxy CPU seconds (None for direct) and output bytes of `psql -At -c SQL`."""
    cpu0 = _cpu(target)
    argv = ["psql", "-X", "-q", "-At", "-v", "ON_ERROR_STOP=1", "-d", target.conninfo(), "-c", sql]
    start = time.monotonic()
    proc = subprocess.Popen(argv, env=runner.env(target.env()), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    runner.reaper.track(proc, "psql", grace=2.0)
    total = 0
    try:
        while True:
            chunk = proc.stdout.read(1 << 20)
            if not chunk:
                break
            total += len(chunk)
        err = proc.stderr.read().decode(errors="replace")
        proc.wait(timeout=timeout)
    finally:
        runner.reaper.stop(proc, grace=2.0)
    wall = time.monotonic() - start
    if proc.returncode != 0:
        raise BenchError(f"psql exit {proc.returncode}: {err.strip()[:200]}")
    if not _proxy_alive(target):
        raise BenchError(f"{target.name} exited during the run")
    cpu1 = _cpu(target)
    return wall, (cpu1 - cpu0) if cpu0 is not None else None, total
