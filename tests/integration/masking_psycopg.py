#!/usr/bin/python3
"""psycopg 3 through pgveil under a masking profile, for masking_channels_test.cc.

  masking_psycopg.py CONNINFO     prints one JSON object

The same masked columns of mask_matrix read four ways a driver reads them: a plain (text)
cursor, a binary=True cursor (Bind result format 1; numeric and text[] included), a server-side cursor fetched in batches
(DECLARE/FETCH), and COPY TO STDOUT; plus a refused statement and recovery after it. Values are
printed as str() of what psycopg parsed, so ints, dates, uuids and json must have parsed.
Run with /usr/bin/python3 (Debian's, with python3-psycopg).
"""
import json
import signal
import sys

import psycopg

COLUMNS = "id, r_text, n_text, p_text, e_text, g_date, g_int, h_int, h_bigint, t_numeric, h_uuid, e_json, p_array"
QUERY = f"SELECT {COLUMNS} FROM mask_matrix ORDER BY id"
# Every column in binary too (numeric and text[] included); a two-dimensional array has no
# binary codec in pgveil and is refused.
BINARY_COLUMNS = COLUMNS


def render(row):
    return [None if v is None else (json.dumps(v, sort_keys=True) if isinstance(v, (dict, list)) else str(v))
            for v in row]


def main():
    signal.alarm(60)
    out = {}
    with psycopg.connect(sys.argv[1], autocommit=False) as conn:
        with conn.cursor() as cur:
            cur.execute(QUERY)
            out["text"] = [render(r) for r in cur.fetchall()]
            out["types"] = [type(v).__name__ for v in cur.execute(QUERY).fetchone()]
        with conn.cursor(binary=True) as cur:
            cur.execute(f"SELECT {BINARY_COLUMNS} FROM mask_matrix ORDER BY id")
            out["binary"] = [render(r) for r in cur.fetchall()]
            try:
                cur.execute("SELECT ARRAY[['jane.doe@example.com']]")
                out["binary_2d"] = "allowed"
            except psycopg.Error as e:
                out["binary_2d"] = e.sqlstate
        conn.rollback()
        with conn.cursor(name="masked_cursor") as cur:
            cur.itersize = 1
            cur.execute(QUERY)
            out["server_cursor"] = [render(r) for r in cur]
        conn.commit()
        with conn.cursor() as cur:
            with cur.copy("COPY (SELECT id, free FROM mask_matrix ORDER BY id) TO STDOUT") as copy:
                out["copy"] = b"".join(bytes(block) for block in copy).decode()
            try:
                cur.execute("SELECT upper(p_text) FROM mask_matrix")
                out["refused"] = None
            except psycopg.Error as e:
                out["refused"] = e.sqlstate
            conn.rollback()
            out["after"] = cur.execute("SELECT count(*) FROM mask_matrix").fetchone()[0]
    print(json.dumps(out))


if __name__ == "__main__":
    main()
