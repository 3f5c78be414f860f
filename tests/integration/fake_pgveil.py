#!/usr/bin/python3
"""A stand-in for the pgveil binary, used only by harness_test.cc to test PgveilProcess itself
(placeholder substitution, waiting for the port, signals, bounded stop, CLI output parsing)
independently of the real proxy.

  fake_pgveil.py --config FILE serve
      Reads `listen: HOST:PORT` from FILE and accepts (and closes) TCP connections there.
      Config switches: `fail_on_start: true` exits 2 at once; `ignore_sigterm: true` ignores
      SIGTERM. Logs SIGHUP/SIGTERM to stderr.
  fake_pgveil.py --config FILE grant create --user U --db D --role R --for DUR --reason R --json
      Prints a line of chatter, then {"id": 7, "secret": ..., "psql": ...}. The secret encodes
      the arguments and $FAKE_PGVEIL_SUFFIX, so the test sees what was passed. Role "missing"
      fails with exit 1.
"""
import argparse
import json
import re
import signal
import socket
import sys
import time


def log(message):
    print(f"fake pgveil: {message}", file=sys.stderr, flush=True)


def serve(config_path):
    with open(config_path, encoding="utf-8") as f:
        config = f.read()
    if re.search(r"^fail_on_start:\s*true", config, re.M):
        log("refusing to start: fail_on_start is set")
        return 2
    match = re.search(r"^listen:\s*([0-9.]+):(\d+)", config, re.M)
    if not match:
        log("no listen: line")
        return 2
    host, port = match.group(1), int(match.group(2))

    if re.search(r"^ignore_sigterm:\s*true", config, re.M):
        signal.signal(signal.SIGTERM, lambda *_: log("SIGTERM ignored"))
    else:
        def on_term(*_):
            log("SIGTERM, exiting")
            sys.exit(0)
        signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGHUP, lambda *_: log("SIGHUP, reloading"))

    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind((host, port))
    server.listen(16)
    server.settimeout(0.2)
    log(f"listening on {host}:{port}")
    deadline = time.monotonic() + 600  # never outlive a broken test for long
    while time.monotonic() < deadline:
        try:
            conn, _ = server.accept()
            conn.close()
        except socket.timeout:
            pass
        except InterruptedError:
            pass
    return 0


def grant(args):
    if args.role == "missing":
        print(f"error: role '{args.role}' is not defined in {args.config}", file=sys.stderr)
        return 1
    import os
    print("grant created (this line is chatter before the JSON)")
    secret = "-".join([args.user, args.db, args.role, args.duration,
                       os.environ.get("FAKE_PGVEIL_SUFFIX", "none")])
    print(json.dumps({"id": 7, "secret": secret,
                      "psql": f"psql 'host=127.0.0.1 user={args.user} dbname={args.db}'"}))
    return 0


def main():
    # Like pgveil: --config belongs to the top-level command, before the subcommand.
    parser = argparse.ArgumentParser()
    parser.add_argument("--config", required=True)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("serve")
    grant_parser = sub.add_parser("grant")
    grant_parser.add_argument("action", choices=["create"])
    grant_parser.add_argument("--user", required=True)
    grant_parser.add_argument("--db", required=True)
    grant_parser.add_argument("--role", required=True)
    grant_parser.add_argument("--for", dest="duration", required=True)
    grant_parser.add_argument("--reason", required=True)
    grant_parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    if args.command == "serve":
        return serve(args.config)
    return grant(args)


if __name__ == "__main__":
    sys.exit(main())
