"""The masking section (issue #4, Performance): a 1M-row x 10-column table, 4 columns masked by
column rules, value detectors on the other text columns. The same SELECT is timed three ways:

  direct           SELECT * FROM pii straight from PostgreSQL (nothing masked)
  pgveil           SELECT * FROM pii through pgveil under the masking profile below
  in-database      SELECT * FROM pii_masked_view straight from PostgreSQL: the same masks as SQL
                   expressions in a view, the way people mask without a proxy

For each: wall time (psql -At to /dev/null), the proxy's CPU, and the CPU of the PostgreSQL
backend that ran the query (the postmaster's reaped-children CPU, read once every backend started
during the run has exited)."""

import time

from .procs import BenchError, CLK_TCK
from .report import Table, num, ratio
from .workloads import psql_timed

TABLE = "pii"
VIEW = "pii_masked_view"
SQL = {"direct": f"SELECT * FROM {TABLE}", "pgveil": f"SELECT * FROM {TABLE}", "in-database": f"SELECT * FROM {VIEW}"}

# Ten columns: email, first_name, ssn, phone get column rules; notes, city, code, iban_text get
# the detectors; id and amount are numbers. ~1 in 8 notes embeds an e-mail or a phone number.
SETUP_SQL = """
CREATE TABLE pii AS
SELECT i AS id,
       'user' || i || '@example.com' AS email,
       (ARRAY['Anna','Jürgen','Chloé','Mohammed','Li','Søren','Maria','José'])[1 + i % 8] AS first_name,
       lpad((100 + i % 565)::text, 3, '0') || '-' || lpad((i % 99 + 1)::text, 2, '0') || '-' || lpad((i % 9999 + 1)::text, 4, '0') AS ssn,
       '+49 30 ' || lpad((i % 10000000)::text, 7, '0') AS phone,
       CASE WHEN i % 8 = 0 THEN 'customer wrote from other' || i || '@example.org about order ' || i
            WHEN i % 8 = 4 THEN 'call back on +33 1 ' || lpad((i % 100000000)::text, 8, '0')
            ELSE 'order ' || i || ' shipped in ' || (i % 7 + 1) || ' parcels, tracking ' || md5(i::text) END AS notes,
       (ARRAY['Berlin','Paris','Madrid','Roma','Lisboa'])[1 + i % 5] AS city,
       'ORD-' || lpad(i::text, 8, '0') AS code,
       'ref ' || substr(md5((-i)::text), 1, 16) AS iban_text,
       (i % 100000) / 100.0 AS amount
FROM generate_series(1, {rows}) AS i;
CREATE VIEW pii_masked_view AS
SELECT id,
       '***@' || split_part(email, '@', 2) AS email,
       substr(md5('bench-key' || first_name), 1, 12) AS first_name,
       repeat('*', greatest(length(ssn) - 4, 0)) || right(ssn, 4) AS ssn,
       repeat('*', greatest(length(phone) - 4, 0)) || right(phone, 4) AS phone,
       regexp_replace(regexp_replace(notes, '[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\\.[A-Za-z]{{2,}}', '[redacted]', 'g'),
                      '\\+[0-9][0-9 ]{{7,}}[0-9]', '[redacted]', 'g') AS notes,
       city, code, iban_text, amount
FROM pii;
GRANT SELECT ON pii, pii_masked_view TO {user};
"""


def profile_yaml():
    """The masking: section and the masked role for pgveil's bench config (indented for the file)."""
    return """
masking:
  keys: { hmac: { env: BENCH_HMAC } }
  profiles:
    bench-pii:
      columns:
        - { match: { table: public.pii, column: email }, mask: email }
        - { match: { table: public.pii, column: first_name }, mask: { hash: { length: 12 } } }
        - { match: { table: public.pii, column: ssn }, mask: { partial: { keep_last: 4 } } }
        - { match: { table: public.pii, column: phone }, mask: { partial: { keep_last: 4 } } }
      values:
        detect: [email, payment_card, iban, phone, national_id]
        mask: redact
"""


def setup(pg, db, user, rows):
    pg.psql(SETUP_SQL.format(rows=rows, user=user), db=db, timeout=1800)
    pg.psql("VACUUM (FREEZE, ANALYZE) pii", db=db, timeout=1800)   # not in a transaction block


def postmaster_children(pg):
    with open(f"/proc/{pg.proc.pid}/task/{pg.proc.pid}/children") as f:
        return set(f.read().split())


def wait_new_children_gone(pg, before, timeout=10.0):
    """Until every backend started since `before` has exited (and was reaped into cutime)."""
    deadline = time.monotonic() + timeout
    while postmaster_children(pg) - before and time.monotonic() < deadline:
        time.sleep(0.05)


def postmaster_children_cpu(pg):
    """CPU of the postmaster's reaped children (cutime + cstime, proc(5) fields 16 and 17)."""
    with open(f"/proc/{pg.proc.pid}/stat") as f:
        stat = f.read()
    fields = stat[stat.rindex(")") + 2:].split()
    return (int(fields[13]) + int(fields[14])) / CLK_TCK


class MaskingRun:
    def __init__(self):
        self.seconds = []
        self.proxy_cpu = 0.0
        self.backend_cpu = 0.0
        self.out_bytes = None
        self.error = None

    @property
    def median_s(self):
        s = sorted(self.seconds)
        return s[len(s) // 2] if s else None


def run(bench, targets, reps):
    """targets: {"direct": Target, "pgveil": Target (masked role), "in-database": Target}."""
    results = {}
    for name, target in targets.items():
        r = results[name] = MaskingRun()
        sql = SQL[name]
        for rep in range(reps + 1):  # the first pass warms the caches and is not counted
            before = postmaster_children(bench.pg)
            cpu0 = postmaster_children_cpu(bench.pg)
            try:
                wall, proxy_cpu, out_bytes = psql_timed(bench.runner, target, sql)
            except BenchError as e:
                r.error = str(e).splitlines()[0][:200]
                break
            wait_new_children_gone(bench.pg, before)
            backend_cpu = postmaster_children_cpu(bench.pg) - cpu0
            if rep == 0:
                r.out_bytes = out_bytes
                continue
            r.seconds.append(wall)
            r.proxy_cpu += proxy_cpu or 0.0
            r.backend_cpu += backend_cpu
            bench.log(f"[masking {rep}/{reps}] {name:11} {wall:6.2f} s  proxy CPU {proxy_cpu or 0:5.2f} s  "
                      f"backend CPU {backend_cpu:5.2f} s")
    return results


def table(results, rows, reps):
    t = Table(f"6. Masking: SELECT * of {rows:,} rows x 10 columns (4 column rules, detectors on 4 text columns), "
              f"psql -At to /dev/null, median of {reps}; CPU per run",
              ["target", "wall s", "vs direct", "proxy CPU s", "backend CPU s", "proxy / backend CPU", "MB/s"],
              ["l", "r", "r", "r", "r", "r", "r"])
    base = results.get("direct")
    for name, r in results.items():
        if r.error:
            t.add(name, "ERROR", "", "", "", "", "")
            t.note(f"{name}: {r.error}")
            continue
        n = max(len(r.seconds), 1)
        proxy, backend = r.proxy_cpu / n, r.backend_cpu / n
        t.add(name, num(r.median_s, "{:.2f}"), ratio(r.median_s, base.median_s if base else None),
              num(proxy, "{:.2f}") if name == "pgveil" else "-", num(backend, "{:.2f}"),
              num(proxy / backend, "{:.2f}") if name == "pgveil" and backend else "-",
              num(r.out_bytes / 1e6 / r.median_s, "{:.1f}") if r.out_bytes and r.median_s else "-")
    t.note("targets: pgveil wall <= 1.25x direct, proxy CPU <= 0.5x the backend's CPU for the same query (issue #4)")
    t.note("in-database: the same masks as SQL expressions in a view (hash as md5, detectors as regexp_replace)")
    return t


def targets(results):
    """(label, measured ratio, limit) for the issue's targets, for the informational table."""
    d, v = results.get("direct"), results.get("pgveil")
    if not d or not v or d.error or v.error or not d.median_s or not v.median_s:
        return [("masking: pgveil wall time <= 1.25x direct", None, 1.25)]
    n = max(len(v.seconds), 1)
    cpu = (v.proxy_cpu / n) / (v.backend_cpu / n) if v.backend_cpu else None
    return [("masking: pgveil wall time <= 1.25x direct", v.median_s / d.median_s, 1.25),
            ("masking: pgveil CPU <= 0.5x the backend's CPU", cpu, 0.5)]
