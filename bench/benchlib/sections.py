"""The benchmark sections in order, and their tables. Targets are interleaved inside every row
(direct, pgveil, pgbouncer back to back) so drift in machine load hits all three alike."""

from . import audit, masking, workloads
from .procs import BenchError, tail
from .report import DASH, Table, key_value_table, num, ratio

PROXIES = ("pgveil", "pgbouncer")


class Bench:
    def __init__(self, runner, pg, targets, args, log):
        self.runner, self.pg, self.args, self.log = runner, pg, args, log
        self.targets = targets
        self.by_name = {t.name: t for t in targets}
        self.pgbench = {}  # (mode, clients) -> {target: PgbenchResult}
        self.connect = {}  # target -> PgbenchResult
        self.bulk = {}  # kind -> {target: BulkResult}
        self.memory = {}  # proxy -> MemoryResult
        self.masking = None  # target -> masking.MaskingRun
        self.audit = None  # audit.AuditRun
        self.events = []  # proxy crashes/restarts, sanity failures: listed in the report

    # --- plumbing -------------------------------------------------------------------------------
    def _ensure_up(self, target, where):
        """A proxy that died is restarted (and the event reported) so later rows still measure."""
        svc = target.service
        if svc is None or svc.proc.poll() is None:
            return
        self.events.append(f"{target.name} exited with code {svc.proc.returncode} before {where}; restarted. "
                           + tail(svc.log, 5).replace("\n", " / ")[:600])
        self.log(f"  ! {target.name} had exited (code {svc.proc.returncode}); restarting")
        try:
            svc.start()
        except BenchError as e:
            self.events.append(f"{target.name} restart failed: {str(e).splitlines()[0]}")

    def sanity(self):
        """Every target answers a query and sees the same data before anything is timed."""
        expected = self.pg.psql("SELECT count(*) FROM pgbench_branches", db="bench").strip()
        for t in self.targets:
            run = self.runner.run(["psql", "-X", "-At", "-d", t.conninfo(), "-c", "SELECT count(*) FROM pgbench_branches"],
                                  env=t.env(), timeout=60, check=False)
            got = run.stdout.strip()
            if run.returncode != 0 or got != expected:
                self.events.append(f"sanity check through {t.name} failed (exit {run.returncode}, got {got!r}, "
                                   f"want {expected!r}): {run.stderr.strip()[:300]}")
                self.log(f"  ! {t.name}: sanity query failed: {run.stderr.strip()[:300]}")
        self.log("warming up (pgbench -S -c 4 -T 2 per target) ...")
        for t in self.targets:
            workloads.pgbench(self.runner, t, mode="simple", clients=4, seconds=2)

    # --- sections -------------------------------------------------------------------------------
    def run_pgbench(self):
        rows = [(m, c) for m in ("simple", "prepared") for c in self.args.clients]
        for i, (mode, clients) in enumerate(rows, 1):
            results = self.pgbench[(mode, clients)] = {}
            for t in self.targets:
                self._ensure_up(t, f"pgbench -M {mode} -c {clients}")
                r = results[t.name] = workloads.pgbench(self.runner, t, mode=mode, clients=clients,
                                                        seconds=self.args.seconds)
                self.log(f"[{i}/{len(rows)}] pgbench -S -M {mode:8} -c {clients:2} {t.name:9} "
                         + (f"{num(r.tps):>10} tps  {num(r.latency_ms, '{:.3f}')} ms" if r.error is None
                            else f"ERROR {r.error}"))

    def run_bulk(self):
        for kind in workloads.BULK_SQL:
            results = self.bulk[kind] = {t.name: workloads.BulkResult(seconds=[], cpu_s=0.0) for t in self.targets}
            for t in self.targets:  # untimed pass: byte count + checksum, and warms the caches
                self._ensure_up(t, f"bulk {kind}")
                r = results[t.name]
                try:
                    r.out_bytes, r.digest = workloads.bulk_verify(self.runner, t, kind)
                except BenchError as e:
                    r.error = str(e).splitlines()[0][:200]
            want = results["direct"].digest
            for t in self.targets:
                r = results[t.name]
                if r.error is None and want and r.digest != want:
                    r.error = f"output differs from direct ({r.out_bytes:,} bytes)"
            for rep in range(self.args.reps):
                for t in self.targets:
                    r = results[t.name]
                    if r.error is not None:
                        continue
                    try:
                        wall, cpu = workloads.bulk_timed(self.runner, t, kind)
                    except BenchError as e:
                        r.error = str(e).splitlines()[0][:200]
                        continue
                    r.seconds.append(wall)
                    r.cpu_s = r.cpu_s + cpu if cpu is not None else None
                    self.log(f"[bulk {kind} {rep + 1}/{self.args.reps}] {t.name:9} {wall:6.2f} s "
                             f"{r.out_bytes / 1e6 / wall:7.1f} MB/s")
            for r in results.values():
                if r.cpu_s is not None and not r.seconds:
                    r.cpu_s = None

    def run_connect(self):
        for t in self.targets:
            self._ensure_up(t, "pgbench -C")
            r = self.connect[t.name] = workloads.pgbench(self.runner, t, mode="simple", clients=8,
                                                         seconds=self.args.seconds, reconnect=True)
            self.log(f"[connect] pgbench -C -S -c 8 {t.name:9} "
                     + (f"{num(r.tps):>8} tps" if r.error is None else f"ERROR {r.error}"))

    def run_memory(self):
        """Fresh proxy processes, so earlier runs' allocator caches do not hide per-session cost."""
        for name in PROXIES:
            self.by_name[name].service.stop()
        self.pg.wait_backends_at_most(0)
        for name in PROXIES:
            t = self.by_name[name]
            try:
                t.service.start()
            except BenchError as e:
                self.memory[name] = workloads.MemoryResult(error=str(e).splitlines()[0])
                continue
            self.log(f"[memory] {self.args.sessions} idle sessions through {name} ...")
            r = self.memory[name] = workloads.idle_sessions(t, self.args.sessions)
            self.log(f"[memory] {name}: " + (f"{r.kib_per_session:.1f} KiB/session" if r.error is None
                                             else f"ERROR {r.error}"))
            # pgbouncer keeps its server connections pooled after the clients leave: stop it so
            # the next proxy has the cluster's connection slots.
            t.service.stop()
            self.pg.wait_backends_at_most(0)

    def run_masking(self, masked_pgveil):
        direct = self.by_name["direct"]
        self._ensure_up(masked_pgveil, "masking")
        self.masking = masking.run(self, {"direct": direct, "pgveil": masked_pgveil, "in-database": direct},
                                   self.args.reps)

    def run_audit(self, audited):
        self.audit = audit.run(self, self.by_name["pgveil"], audited, self.args.reps)

    # --- report ---------------------------------------------------------------------------------
    def render(self, machine, conditions, command):
        parts = ["# pgveil benchmark results", "",
                 "Direct PostgreSQL vs pgveil vs pgbouncer (session pooling), same cluster, one run of "
                 "`bench/run` (see bench/README.md for what each section does).", "",
                 f"Command: `{command}`", "",
                 key_value_table("Machine", machine).render(),
                 key_value_table("Conditions", [("note", c) for c in conditions]).render()]
        if self.events:
            parts.append("### Events during the run\n\n" + "".join(f"- {e}\n" for e in self.events))
        tables = [self._pgbench_table(), self._bulk_table(), self._connect_table(), self._cpu_table(),
                  self._memory_table(), self._targets_table()]
        if self.masking is not None:
            tables.insert(-1, masking.table(self.masking, self.args.rows, self.args.reps))
        if self.audit is not None:
            tables.insert(-1, audit.table(self.audit, self.args.seconds, self.args.reps))
        for table in tables:
            parts.append(table.render())
        return "\n".join(parts)

    def _errors(self, table, label, results):
        for name, r in results.items():
            if r.error:
                table.note(f"{label}, {name}: {r.error}")

    def _pgbench_table(self):
        a = self.args
        t = Table(f"1. pgbench -S (select-only), -T {a.seconds}, -j min(2, clients); TPS, average latency, ratio to direct",
                  ["mode", "clients", "direct TPS", "ms", "pgveil TPS", "ms", "vs direct",
                   "pgbouncer TPS", "ms", "vs direct"], ["l"] + ["r"] * 9)
        for (mode, clients), res in self.pgbench.items():
            d, v, b = res["direct"], res["pgveil"], res["pgbouncer"]
            t.add(mode, clients, num(d.tps), num(d.latency_ms, "{:.3f}"), num(v.tps), num(v.latency_ms, "{:.3f}"),
                  ratio(v.tps, d.tps), num(b.tps), num(b.latency_ms, "{:.3f}"), ratio(b.tps, d.tps))
            self._errors(t, f"-M {mode} -c {clients}", res)
        return t

    def _bulk_table(self):
        t = Table(f"2. Bulk result, {self.args.rows:,} rows x 10 text columns, output to /dev/null; "
                  f"median of {self.args.reps} timed pass(es); time ratio to direct (lower is better)",
                  ["query", "output MB", "direct s", "MB/s", "pgveil s", "MB/s", "vs direct",
                   "pgbouncer s", "MB/s", "vs direct"], ["l"] + ["r"] * 9)
        for kind, res in self.bulk.items():
            d, v, b = res["direct"], res["pgveil"], res["pgbouncer"]
            label = "psql -At -c 'SELECT * FROM bulk'" if kind == "select" else "psql -c 'COPY bulk TO STDOUT'"
            t.add(label, num(d.out_bytes and d.out_bytes / 1e6, "{:,.1f}"),
                  num(d.median_s, "{:.2f}"), num(d.mb_per_s, "{:,.0f}"),
                  num(v.median_s, "{:.2f}"), num(v.mb_per_s, "{:,.0f}"), ratio(v.median_s, d.median_s),
                  num(b.median_s, "{:.2f}"), num(b.mb_per_s, "{:,.0f}"), ratio(b.median_s, d.median_s))
            self._errors(t, kind, res)
        t.note("every target's output was checked byte for byte (SHA-256) against direct in an untimed pass; "
               "MB = 10^6 bytes")
        return t

    def _connect_table(self):
        t = Table(f"3. Connection rate: pgbench -C -S -M simple -c 8 -j 2 -T {self.args.seconds} "
                  "(a new connection per transaction)",
                  ["direct TPS", "ms", "pgveil TPS", "ms", "vs direct", "pgbouncer TPS", "ms", "vs direct"],
                  ["r"] * 8)
        if self.connect:
            d, v, b = (self.connect[n] for n in ("direct", "pgveil", "pgbouncer"))
            t.add(num(d.tps), num(d.latency_ms, "{:.3f}"), num(v.tps), num(v.latency_ms, "{:.3f}"),
                  ratio(v.tps, d.tps), num(b.tps), num(b.latency_ms, "{:.3f}"), ratio(b.tps, d.tps))
            self._errors(t, "pgbench -C", self.connect)
        t.note("SCRAM-SHA-256 between client and target. pgbouncer (session pooling) keeps its server "
               "connections and reuses them; pgveil logs in upstream afresh for every client session.")
        return t

    def _cpu_table(self):
        t = Table("4. Proxy CPU (utime+stime from /proc/<pid>/stat around each run)",
                  ["workload", "unit", "pgveil", "pgbouncer", "pgveil / pgbouncer"], ["l", "l", "r", "r", "r"])
        unit_q = "CPU ms per 1k queries"
        for (mode, clients), res in self.pgbench.items():
            v, b = res["pgveil"].cpu_ms_per_1k, res["pgbouncer"].cpu_ms_per_1k
            t.add(f"pgbench -S -M {mode} -c {clients}", unit_q, num(v, "{:.1f}"), num(b, "{:.1f}"), ratio(v, b))
        if self.connect:
            v, b = self.connect["pgveil"].cpu_ms_per_1k, self.connect["pgbouncer"].cpu_ms_per_1k
            t.add("pgbench -C -S -c 8", "CPU ms per 1k connections", num(v, "{:.1f}"), num(b, "{:.1f}"), ratio(v, b))
        for kind, res in self.bulk.items():
            v, b = res["pgveil"].cpu_s_per_gb, res["pgbouncer"].cpu_s_per_gb
            t.add(f"bulk {kind}", "CPU s per GB of output", num(v, "{:.2f}"), num(b, "{:.2f}"), ratio(v, b))
        t.note("pgbench -S runs one query per transaction; CPU ms per 1k queries = CPU µs per query. "
               "Clock-tick resolution is 10 ms. GB = 10^9 bytes.")
        return t

    def _memory_table(self):
        t = Table(f"5. Memory per idle session ({self.args.sessions} sessions, each ran SELECT 1, fresh proxy process)",
                  ["proxy", "sessions", "VmRSS before KiB", "with sessions KiB", "after close KiB", "KiB per session",
                   "open time s"], ["l"] + ["r"] * 6)
        for name in PROXIES:
            r = self.memory.get(name)
            if r is None:
                continue
            t.add(name, r.sessions, num(r.rss_before_kib), num(r.rss_during_kib), num(r.rss_after_kib),
                  num(r.kib_per_session, "{:.1f}"), num(r.open_seconds, "{:.1f}"))
            if r.error:
                t.note(f"{name}: {r.error}")
        t.note("KiB per session = (VmRSS with sessions - VmRSS before) / sessions; the 'before' reading follows "
               "one warm-up session. pgbouncer's figure includes its server connection per session.")
        return t

    def _targets_table(self):
        """The issue's targets, for context only: nothing here fails the run."""
        t = Table("Issue targets (informational)", ["target", "measured", "met"], ["l", "l", "l"])

        def verdict(ok):
            return DASH if ok is None else ("yes" if ok else "no")

        for (mode, clients), res in self.pgbench.items():
            d, v, b = res["direct"], res["pgveil"], res["pgbouncer"]
            rv = v.tps / d.tps if v.tps and d.tps else None
            rb = b.tps / d.tps if b.tps and d.tps else None
            t.add(f"-M {mode} -c {clients}: pgveil TPS ratio >= pgbouncer's",
                  f"{num(rv, '{:.2f}')} vs {num(rb, '{:.2f}')}", verdict(None if rv is None or rb is None else rv >= rb))
            cv, cb = v.cpu_ms_per_1k, b.cpu_ms_per_1k
            t.add(f"-M {mode} -c {clients}: pgveil CPU per query <= pgbouncer's",
                  f"{num(cv, '{:.1f}')} vs {num(cb, '{:.1f}')} ms/1k",
                  verdict(None if cv is None or cb is None else cv <= cb))
        for kind, res in self.bulk.items():
            d, v = res["direct"].median_s, res["pgveil"].median_s
            r = v / d if v and d else None
            t.add(f"bulk {kind}: pgveil wall time <= 1.05x direct", f"{num(r, '{:.2f}')}x",
                  verdict(None if r is None else r <= 1.05))
        if self.masking:
            for label, value, limit in masking.targets(self.masking):
                t.add(label, f"{num(value, '{:.2f}')}x", verdict(None if value is None else value <= limit))
        if self.audit:
            r = audit.batch_ratio(self.audit)
            t.add("audit fsync=batch: TPS >= 0.95x audit off (-M prepared -c 8)", f"{num(r, '{:.2f}')}x",
                  verdict(None if r is None else r >= 0.95))
        m = self.memory.get("pgveil")
        k = m.kib_per_session if m else None
        t.add("pgveil <= 64 KiB per idle session", f"{num(k, '{:.1f}')} KiB", verdict(None if k is None else k <= 64))
        return t
