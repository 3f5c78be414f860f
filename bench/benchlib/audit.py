"""The audit section (issue #5, Performance): what recording every statement costs.

pgbench -S -M prepared -c 8 through three pgveil processes on the same cluster, back to back in
every pass (so drift in machine load hits all three alike):

  pgveil         audit off (the main pgveil of the run)
  audit-batch    a file sink with fsync: batch (fsync behind the writer: group commit)
  audit-always   a file sink with fsync: always (one fsync per event)
  audit-none     a file sink with fsync: none (what the audit costs without the disk)

Every statement is held until its event is accepted (write-ahead): with fsync always, once it
is written and synced; with batch and none, once it is queued in the disk room the file sink
keeps (README "Durability"). The cost is that wait on each statement plus the CPU of
serializing, chaining and writing the events. Reported: TPS
(median of the passes), ratio to audit off, and the events each audit file holds afterwards
(a check that the statements were recorded), and from each audited pgveil's /metrics the mean
time of one write (with its fsync for always) and the events per write.
The issue's aim: fsync=batch costs <= 5% TPS."""

import os
import re
import statistics
import urllib.request

from . import workloads
from .procs import free_port
from .report import Table, num, ratio
from .services import Pgveil

CLIENTS = 8
VARIANTS = {"audit-batch": "batch", "audit-always": "always", "audit-none": "none"}


def audit_yaml(directory, fsync, admin_port):
    return f"""
admin: {{ listen: "127.0.0.1:{admin_port}" }}
audit:
  sinks:
    - file: {{ path: {directory}/audit.jsonl, fsync: {fsync} }}
  key: {{ env: BENCH_AUDIT_KEY }}
"""


def start(runner, workdir, reaper, binary, pg):
    """The audited pgveil processes (prepared and started); each has its own store and audit file."""
    started = []
    for name, fsync in VARIANTS.items():
        admin_port = free_port()
        proxy = Pgveil(runner, workdir, reaper, binary, pg, name=name,
                       extra_yaml=audit_yaml(os.path.join(workdir, name), fsync, admin_port))
        proxy.admin_port = admin_port
        proxy.prepare()
        proxy.start()
        started.append(proxy)
    return started


def events_in(proxy):
    path = os.path.join(proxy.dir, "audit.jsonl")
    if not os.path.exists(path):
        return None
    with open(path, "rb") as f:
        return sum(1 for _ in f)


def write_stats(proxy):
    """(mean seconds per write, events per write) of the file sink, from /metrics; Nones if unreadable."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{proxy.admin_port}/metrics", timeout=10) as r:
            text = r.read().decode()
    except OSError:
        return None, None

    def value(name):
        m = re.search(rf"^{name}{{sink=\"file:[^\"]*\"}} ([0-9.e+-]+)$", text, re.M)
        return float(m.group(1)) if m else None

    writes, seconds = value("pgveil_audit_write_seconds_count"), value("pgveil_audit_write_seconds_sum")
    events = value("pgveil_audit_events_recorded_total")
    if not writes:
        return None, None
    return (seconds / writes if seconds is not None else None), (events / writes if events is not None else None)


class AuditRun:
    def __init__(self):
        self.results = {}  # target name -> [PgbenchResult]
        self.events = {}   # audited target name -> lines in its audit file after the run
        self.writes = {}   # audited target name -> (mean seconds per write, events per write)


def run(bench, off_target, audited, reps):
    out = AuditRun()
    targets = [off_target] + [p.target() for p in audited]
    for rep in range(1, reps + 1):
        for t in targets:
            bench._ensure_up(t, f"audit pass {rep}")
            r = workloads.pgbench(bench.runner, t, mode="prepared", clients=CLIENTS, seconds=bench.args.seconds)
            out.results.setdefault(t.name, []).append(r)
            bench.log(f"[audit {rep}/{reps}] pgbench -S -M prepared -c {CLIENTS} {t.name:12} "
                      + (f"{num(r.tps):>10} tps  {num(r.latency_ms, '{:.3f}')} ms" if r.error is None
                         else f"ERROR {r.error}"))
    for p in audited:
        out.events[p.name] = events_in(p)
        out.writes[p.name] = write_stats(p)
    return out


def _median_tps(results):
    tps = [r.tps for r in results if r.error is None and r.tps is not None]
    return statistics.median(tps) if tps else None


def batch_ratio(audit_run):
    """TPS with fsync=batch over TPS with audit off (the issue's target is >= 0.95)."""
    off = _median_tps(audit_run.results.get("pgveil", []))
    batch = _median_tps(audit_run.results.get("audit-batch", []))
    return batch / off if off and batch else None


def table(audit_run, seconds, reps):
    t = Table(f"7. Audit cost: pgbench -S -M prepared -c {CLIENTS}, -T {seconds}, median of {reps} pass(es); "
              "file sink, every statement recorded before it runs",
              ["pgveil", "TPS", "ms", "vs audit off", "events in the audit file", "ms per write",
               "events per write"], ["l", "r", "r", "r", "r", "r", "r"])
    base = _median_tps(audit_run.results.get("pgveil", []))
    for name, results in audit_run.results.items():
        tps = _median_tps(results)
        latencies = [r.latency_ms for r in results if r.error is None and r.latency_ms is not None]
        label = {"pgveil": "audit off", "audit-batch": "fsync: batch", "audit-always": "fsync: always",
                 "audit-none": "fsync: none"}.get(name, name)
        events = audit_run.events.get(name)
        per_write, batch = audit_run.writes.get(name, (None, None))
        t.add(label, num(tps), num(statistics.median(latencies), "{:.3f}") if latencies else "-", ratio(tps, base),
              "-" if name == "pgveil" else num(events),
              "-" if name == "pgveil" else num(per_write * 1000 if per_write is not None else None, "{:.2f}"),
              "-" if name == "pgveil" else num(batch, "{:.1f}"))
        for r in results:
            if r.error:
                t.note(f"{label}: {r.error}")
    return t
