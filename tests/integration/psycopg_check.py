#!/usr/bin/python3
"""Drive a PostgreSQL server - or pgveil in front of one - with Debian's psycopg 3 and psycopg2.

Run with /usr/bin/python3: the first python3 on PATH may be a build without Debian's packages.

  psycopg_check.py --driver psycopg  CONNINFO          the protocol tour below, as JSON
  psycopg_check.py --driver psycopg2 CONNINFO
  psycopg_check.py --driver psycopg --query SQL CONNINFO   one query's rows as JSON

The tour covers what drivers do differently from psql: extended-protocol parameters, server-side
prepared statements (psycopg prepares after prepare_threshold executions), binary results,
pipeline mode, COPY TO STDOUT, named cursors (DECLARE/FETCH), and recovery after an error.
Values are printed as strings so the C++ test can compare them exactly. A failure to connect
prints {"connect_error": ..., "sqlstate": ...} and exits 3; any other failure is a traceback (exit 1).
"""
import argparse
import json
import sys


def as_text(value):
    return None if value is None else str(value)


def tour_psycopg(conninfo):
    import psycopg

    out = {"driver": "psycopg", "driver_version": psycopg.__version__}
    with psycopg.connect(conninfo, autocommit=False, prepare_threshold=2) as conn:
        out["server_version"] = str(conn.info.server_version)
        with conn.cursor() as cur:
            # Extended protocol: Parse/Bind/Execute with typed parameters.
            cur.execute(
                "SELECT %s::int + 1, %s::text, %s::date, %s::numeric * 2, %s::jsonb ->> 'k', %s::text",
                (41, "héllo wörld", "2024-02-29", "12.25", json.dumps({"k": "v"}), None),
            )
            out["params"] = [as_text(v) for v in cur.fetchone()]

            # The same statement five times: after prepare_threshold it becomes a named
            # server-side prepared statement executed without a new Parse.
            out["prepared"] = []
            for i in range(5):
                cur.execute("SELECT %s::int * 2 AS doubled", (i,))
                out["prepared"].append(cur.fetchone()[0])

            # Several rows and a NULL.
            cur.execute("SELECT g, CASE WHEN g % 2 = 0 THEN NULL ELSE 'odd' END "
                        "FROM generate_series(1, 4) AS g ORDER BY g")
            out["rows"] = [[as_text(v) for v in row] for row in cur.fetchall()]

        # Binary result format (Bind result-format code 1).
        with conn.cursor(binary=True) as cur:
            cur.execute("SELECT 7::int4, 'bin'::text, 2.5::float8")
            out["binary"] = [as_text(v) for v in cur.fetchone()]

        # An error inside a transaction, then recovery with ROLLBACK.
        with conn.cursor() as cur:
            try:
                cur.execute("SELECT 1 / 0")
                out["error_sqlstate"] = None
            except psycopg.Error as e:
                out["error_sqlstate"] = e.sqlstate
            conn.rollback()
            cur.execute("SELECT 'recovered'")
            out["after_error"] = cur.fetchone()[0]

        # COPY ... TO STDOUT.
        with conn.cursor() as cur:
            with cur.copy("COPY (SELECT g, 'row ' || g FROM generate_series(1, 3) AS g) TO STDOUT") as copy:
                out["copy"] = [list(row) for row in copy.rows()]

        # Pipeline mode: several queries sent before any result is read.
        with conn.pipeline():
            cursors = []
            for i in range(3):
                c = conn.cursor()
                c.execute("SELECT %s::int + 100", (i,))
                cursors.append(c)
        out["pipeline"] = [c.fetchone()[0] for c in cursors]

        # Named (server-side) cursor: DECLARE + FETCH in a transaction.
        with conn.cursor(name="harness_cursor") as cur:
            cur.itersize = 2
            cur.execute("SELECT g FROM generate_series(1, 5) AS g")
            out["named_cursor"] = [row[0] for row in cur]
        conn.commit()
    return out


def tour_psycopg2(conninfo):
    import psycopg2
    import io

    out = {"driver": "psycopg2", "driver_version": psycopg2.__version__.split()[0]}
    conn = psycopg2.connect(conninfo)
    try:
        out["server_version"] = str(conn.server_version)
        cur = conn.cursor()
        # psycopg2 interpolates parameters on the client: simple-query protocol.
        cur.execute(
            "SELECT %s::int + 1, %s::text, %s::date, %s::numeric * 2, %s::jsonb ->> 'k', %s::text",
            (41, "héllo wörld", "2024-02-29", "12.25", json.dumps({"k": "v"}), None),
        )
        out["params"] = [as_text(v) for v in cur.fetchone()]
        cur.execute("SELECT g, CASE WHEN g % 2 = 0 THEN NULL ELSE 'odd' END "
                    "FROM generate_series(1, 4) AS g ORDER BY g")
        out["rows"] = [[as_text(v) for v in row] for row in cur.fetchall()]
        try:
            cur.execute("SELECT 1 / 0")
            out["error_sqlstate"] = None
        except psycopg2.Error as e:
            out["error_sqlstate"] = e.pgcode
        conn.rollback()
        cur.execute("SELECT 'recovered'")
        out["after_error"] = cur.fetchone()[0]
        buf = io.StringIO()
        cur.copy_expert("COPY (SELECT g, 'row ' || g FROM generate_series(1, 3) AS g) TO STDOUT", buf)
        out["copy"] = [line.split("\t") for line in buf.getvalue().splitlines()]
        named = conn.cursor(name="harness_cursor")
        named.itersize = 2
        named.execute("SELECT g FROM generate_series(1, 5) AS g")
        out["named_cursor"] = [row[0] for row in named]
        named.close()
        conn.commit()
    finally:
        conn.close()
    return out


def run_query(driver, conninfo, sql):
    if driver == "psycopg":
        import psycopg
        with psycopg.connect(conninfo, autocommit=True) as conn, conn.cursor() as cur:
            cur.execute(sql)
            rows = cur.fetchall() if cur.description else []
    else:
        import psycopg2
        conn = psycopg2.connect(conninfo)
        conn.autocommit = True
        try:
            cur = conn.cursor()
            cur.execute(sql)
            rows = cur.fetchall() if cur.description else []
        finally:
            conn.close()
    return {"rows": [[as_text(v) for v in row] for row in rows]}


def connect_error(exc):
    return {"connect_error": str(exc).strip(),
            "sqlstate": getattr(exc, "sqlstate", None) or getattr(exc, "pgcode", None)}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--driver", choices=["psycopg", "psycopg2"], default="psycopg")
    parser.add_argument("--query", help="run this one query and print its rows")
    parser.add_argument("conninfo")
    args = parser.parse_args()

    if args.driver == "psycopg":
        import psycopg
        connect_errors = (psycopg.OperationalError,)
    else:
        import psycopg2
        connect_errors = (psycopg2.OperationalError,)
    try:
        if args.query is not None:
            result = run_query(args.driver, args.conninfo, args.query)
        elif args.driver == "psycopg":
            result = tour_psycopg(args.conninfo)
        else:
            result = tour_psycopg2(args.conninfo)
    except connect_errors as exc:
        print(json.dumps(connect_error(exc)))
        return 3
    print(json.dumps(result, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
