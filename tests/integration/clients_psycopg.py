#!/usr/bin/python3
"""psycopg 3 work for relay_clients_test.cc, run directly against PostgreSQL and through pgveil.

  clients_psycopg.py CONNINFO      prints one JSON object; the C++ test compares the two runs

Covers what a driver does that psql does not: a named (server-side) cursor fetched in batches
(DECLARE/FETCH/MOVE), executemany (pipelined by psycopg 3.1 with libpq >= 14), COPY FROM with
copy.write/write_row and COPY TO with copy.read (text and binary), pipeline mode with an error in
the middle, and notifications (handler and the blocking notifies() generator).
Values are rendered as strings or digests: nothing pid- or time-dependent is printed.
Run with /usr/bin/python3 (Debian's, with python3-psycopg). SIGALRM bounds the whole run.
"""
import datetime
import decimal
import hashlib
import json
import signal
import sys
import threading
import time

import psycopg

TABLE = "itc_py_t"


def text(value):
    return None if value is None else str(value)


def row_text(row):
    return [text(v) if not isinstance(v, int) or isinstance(v, bool) else v for v in row]


def named_cursor(conn):
    out = {}
    query = ("SELECT g, md5(g::text), CASE WHEN g % 7 = 0 THEN NULL ELSE g * 0.5 END "
             "FROM generate_series(1, 25000) g")
    with conn.transaction():
        # Iteration fetches itersize rows per FETCH FORWARD.
        with conn.cursor(name="itc_named") as cur:
            cur.itersize = 1000
            cur.execute(query)
            digest = hashlib.md5()
            rows = 0
            for row in cur:
                if rows == 0:
                    out["first"] = row_text(row)
                out["last"] = row_text(row)
                digest.update(repr(row_text(row)).encode())
                rows += 1
            out["count"] = rows
            out["md5"] = digest.hexdigest()
        # Explicit batches, then a scroll back (MOVE ABSOLUTE) on a scrollable cursor.
        with conn.cursor(name="itc_scroll", scrollable=True) as cur:
            cur.execute(query)
            out["batches"] = []
            while True:
                batch = cur.fetchmany(1000)
                if not batch:
                    break
                out["batches"].append(len(batch))
            cur.scroll(41, mode="absolute")
            out["after_scroll"] = row_text(cur.fetchone())
    return out


def executemany(conn):
    out = {}
    rows = [(i, f"name {i} ✓" if i % 3 else None, decimal.Decimal(i) / 4,
             datetime.date(2000, 1, 1) + datetime.timedelta(days=i), [f"t{i}", None] if i % 2 else [])
            for i in range(1, 501)]
    with conn.cursor() as cur:
        cur.executemany(f"INSERT INTO {TABLE} VALUES (%s, %s, %s, %s, %s)", rows)
        out["rowcount"] = cur.rowcount
        try:
            with conn.transaction():
                cur.executemany(f"INSERT INTO {TABLE} (id, name) VALUES (%s, %s)",
                                [(1000, "new"), (1, "duplicate"), (1001, "never")])
            out["duplicate_sqlstate"] = None
        except psycopg.Error as e:
            out["duplicate_sqlstate"] = e.sqlstate
            out["duplicate_detail"] = e.diag.message_detail
        cur.execute(f"SELECT count(*), count(name), sum(amount)::text, min(born)::text, max(born)::text, "
                    f"md5(string_agg(t::text, ';' ORDER BY id)) FROM {TABLE} t")
        count, *rest = cur.fetchone()
        out["count"] = count
        out["summary"] = rest
    return out


def copy(conn):
    out = {}
    with conn.cursor() as cur:
        with cur.copy(f"COPY {TABLE} (id, name, amount, born, tags) FROM STDIN") as cp:
            cp.write("1001\tcopied ✓\t1.5\t2001-01-01\t{a,b}\n1002\t\\N\t\\N\t\\N\t\\N\n")
            for i in range(2001, 2502):
                cp.write_row((i, f"row {i}\ttab", decimal.Decimal(i) / 8, None, ["x", None, "ü"]))
        cur.execute(f"SELECT count(*) FROM {TABLE}")
        out["count"] = cur.fetchone()[0]

        for fmt in ("text", "binary"):
            data = bytearray()
            chunks = 0
            with cur.copy(f"COPY (SELECT * FROM {TABLE} ORDER BY id) TO STDOUT (FORMAT {fmt})") as cp:
                while chunk := cp.read():
                    data += chunk
                    chunks += 1
            out[f"to_{fmt}"] = {"bytes": len(data), "md5": hashlib.md5(data).hexdigest(), "chunks": chunks}
            if fmt == "text":
                lines = bytes(data).decode().splitlines()
                out["to_text"]["first"], out["to_text"]["last"] = lines[0], lines[-1]

        with cur.copy(f"COPY (SELECT id, name, tags FROM {TABLE} WHERE id > 2498 ORDER BY id) TO STDOUT") as cp:
            cp.set_types(["int4", "text", "text[]"])
            out["rows"] = [[r[0], r[1], r[2]] for r in cp.rows()]

        try:
            with cur.copy(f"COPY {TABLE} (id, name, amount) FROM STDIN") as cp:
                cp.write("3001\tok\t1\n3002\tbad\tnot-a-number\n")
            out["bad_sqlstate"] = None
        except psycopg.Error as e:
            out["bad_sqlstate"] = e.sqlstate
            out["bad_context"] = e.diag.context
        cur.execute(f"SELECT count(*) FROM {TABLE}")
        out["after_bad"] = cur.fetchone()[0]
    return out


def pipeline(conn):
    out = {"ok": [], "error": None}
    cursors = []
    try:
        with conn.pipeline() as p:
            oks = [conn.execute("SELECT %s::int", (i,)) for i in (1, 2, 3)]
            p.sync()
            out["ok"] = [list(c.fetchone()) for c in oks]
            cursors = [conn.execute("SELECT 1/0"), conn.execute("SELECT 'aborted'")]
    except psycopg.Error as e:
        out["error"] = {"sqlstate": e.sqlstate, "type": type(e).__name__, "message": e.diag.message_primary}
    # Whether psycopg raises the error from execute() or when the pipeline block ends depends on
    # when the reply arrives (latency), and so does how many cursors exist; what must hold either
    # way is that nothing queued after the failed statement returns rows.
    rows_after_error = []
    for c in cursors:
        try:
            rows_after_error.append(c.fetchall())
        except psycopg.Error:
            pass
    out["rows_after_error"] = rows_after_error
    # A pipelined transaction: 100 inserts and a read, one round trip per sync.
    with conn.transaction(), conn.pipeline():
        for i in range(100):
            conn.execute(f"INSERT INTO {TABLE} (id, name) VALUES (%s, %s)", (5000 + i, f"piped {i}"))
        last = conn.execute(f"SELECT count(*), sum(id) FROM {TABLE} WHERE id >= 5000")
    out["piped"] = list(last.fetchone())
    out["after"] = conn.execute("SELECT 'still usable'").fetchone()[0]
    return out


def notifies(conn, conninfo):
    out = {"self": []}
    handler = lambda n: out["self"].append([n.channel, n.payload])  # noqa: E731
    conn.add_notify_handler(handler)
    conn.execute("LISTEN itc_py")
    conn.execute("NOTIFY itc_py, 'self ✓'")
    conn.remove_notify_handler(handler)

    with psycopg.connect(conninfo, autocommit=True) as other:
        sender_pid = other.execute("SELECT pg_backend_pid()").fetchone()[0]

        def send():
            time.sleep(0.3)
            other.execute("NOTIFY itc_py, 'from other'")

        thread = threading.Thread(target=send)
        thread.start()
        for n in conn.notifies():
            out["other"] = [n.channel, n.payload, n.pid == sender_pid]
            break
        thread.join(10)
    conn.execute("UNLISTEN *")
    return out


def main():
    signal.alarm(90)  # default action kills us: a hang fails the test instead of blocking it
    conninfo = sys.argv[1]
    out = {}
    with psycopg.connect(conninfo, autocommit=True) as conn:
        notices = []
        conn.add_notice_handler(lambda d: notices.append([d.severity_nonlocalized, d.sqlstate, d.message_primary]))
        conn.execute(f"DROP TABLE IF EXISTS {TABLE}")
        conn.execute(f"CREATE TABLE {TABLE} (id int PRIMARY KEY, name text, amount numeric, born date, tags text[])")
        out["named_cursor"] = named_cursor(conn)
        out["executemany"] = executemany(conn)
        out["copy"] = copy(conn)
        out["pipeline"] = pipeline(conn)
        out["notifies"] = notifies(conn, conninfo)
        conn.execute("DO $$ BEGIN RAISE NOTICE 'bye %', 1; END $$")
        conn.execute(f"DROP TABLE {TABLE}")
        out["notices"] = notices
    print(json.dumps(out, default=str, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
