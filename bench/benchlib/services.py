"""The three things bench/run talks to: a throwaway PostgreSQL 15 cluster, pgveil and pgbouncer
(session pooling) in front of it. Each target is described by a Target the workloads use."""

import json
import os
import secrets
import signal
import time
from dataclasses import dataclass

from .procs import BenchError, free_port, port_accepts, tail, wait_for_port

PG_BIN = "/usr/lib/postgresql/15/bin"
PGBOUNCER = "/usr/sbin/pgbouncer"
DB = "bench"
DB_USER = "benchuser"


@dataclass
class Target:
    """Where a client connects, and the proxy process whose CPU/RSS we read (None for direct)."""
    name: str
    port: int
    user: str
    password: str
    service: object = None  # Pgveil / Pgbouncer, or None for direct PostgreSQL

    def env(self):
        return {"PGPASSWORD": self.password}

    def conninfo(self):
        return f"host=127.0.0.1 port={self.port} user={self.user} dbname={DB} sslmode=disable"

    @property
    def pid(self):
        return self.service.proc.pid if self.service else None


class Postgres:
    """initdb + postgres as the unprivileged OS user; 127.0.0.1 on a random free port.

    fsync stays on (the default); synchronous_commit=off so pgbench's setup and the bulk table
    load do not wait for WAL flushes. max_connections=600 leaves room for 500 idle sessions
    through a proxy plus the bench's own connections."""

    def __init__(self, runner, workdir, reaper):
        self.runner, self.reaper = runner, reaper
        self.dir = os.path.join(workdir, "pg")
        self.data = os.path.join(self.dir, "data")
        self.sock = os.path.join(self.dir, "sock")
        self.log = os.path.join(workdir, "postgres.log")
        self.password = secrets.token_hex(16)
        self.port = None
        self.proc = None

    def start(self):
        os.makedirs(self.sock)
        for path in (self.dir, self.sock):
            os.chmod(path, 0o755)
            self.runner.chown(path)
        self.runner.run([f"{PG_BIN}/initdb", "-D", self.data, "-U", "postgres", "--auth-local=trust",
                         "--auth-host=scram-sha-256", "--encoding=UTF8", "--locale=C", "--no-sync",
                         "--no-instructions"], as_owner=True, cwd=self.dir, timeout=180)
        for _ in range(5):  # the free port may be taken between probe and bind: retry
            self.port = free_port()
            self.proc = self.runner.spawn(
                [f"{PG_BIN}/postgres", "-D", self.data, "-c", "listen_addresses=127.0.0.1",
                 "-c", f"port={self.port}", "-c", f"unix_socket_directories={self.sock}",
                 "-c", "max_connections=600", "-c", "synchronous_commit=off",
                 "-c", "shared_buffers=512MB", "-c", "max_wal_size=4GB", "-c", "logging_collector=off"],
                log_path=self.log, cwd=self.dir, stop_signal=signal.SIGINT, grace=30.0, name="postgres")
            if self._wait_ready():
                return
            self.reaper.stop(self.proc)
        raise BenchError(f"PostgreSQL did not start\n{tail(self.log)}")

    def _wait_ready(self, timeout=60.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                return False
            ready = self.runner.run([f"{PG_BIN}/pg_isready", "-q", "-h", self.sock, "-p", str(self.port)],
                                    check=False, timeout=10)
            if ready.returncode == 0:
                return True
            time.sleep(0.1)
        return False

    def psql(self, sql, user="postgres", db="postgres", timeout=600):
        """Run SQL over the unix socket (trust) as an administrator; returns stdout."""
        return self.runner.run(["psql", "-X", "-q", "-At", "-v", "ON_ERROR_STOP=1", "-h", self.sock,
                                "-p", str(self.port), "-U", user, "-d", db, "-c", sql],
                               timeout=timeout).stdout

    def client_backends(self):
        return int(self.psql("SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend'"
                             " AND pid <> pg_backend_pid()").strip())

    def wait_backends_at_most(self, n, timeout=30.0):
        deadline = time.monotonic() + timeout
        while self.client_backends() > n and time.monotonic() < deadline:
            time.sleep(0.2)

    def setup(self, scale, bulk_rows):
        self.psql(f"CREATE ROLE {DB_USER} LOGIN PASSWORD '{self.password}'")
        self.psql(f"CREATE DATABASE {DB} OWNER {DB_USER}")
        self.runner.run(["pgbench", "-i", "-q", "-s", str(scale), "-h", self.sock, "-p", str(self.port),
                         "-U", DB_USER, DB], timeout=900)
        # Ten text columns, ~130 characters per row (hex, deterministic): the same bytes through
        # every target, so outputs can be compared byte for byte.
        cols = [(1, 8), (9, 16), (25, 4), (29, 24), (33, 12), (41, 8), (45, 20), (3, 10), (17, 16), (51, 12)]
        select = ", ".join(f"substr(h, {off}, {length}) AS c{i + 1:02d}" for i, (off, length) in enumerate(cols))
        self.psql(f"CREATE TABLE bulk AS SELECT {select} FROM generate_series(1, {bulk_rows}) AS i, "
                  "LATERAL (SELECT md5(i::text) || md5((-i)::text) AS h) AS x", user=DB_USER, db=DB, timeout=900)
        self.psql("VACUUM (FREEZE, ANALYZE)", db=DB, timeout=900)
        self.psql("CHECKPOINT", timeout=900)

    def direct_target(self):
        return Target("direct", self.port, DB_USER, self.password)

    def version(self):
        return self.runner.run([f"{PG_BIN}/postgres", "--version"]).stdout.strip()


class Pgveil:
    """pgveil serve with the bench config; a 4h grant for user `bencher` gives the password."""

    def __init__(self, runner, workdir, reaper, binary, pg, name="pgveil", extra_yaml=""):
        self.runner, self.reaper, self.binary, self.pg = runner, reaper, binary, pg
        self.name = name
        self.extra_yaml = extra_yaml  # appended to the config (the audit section's audit: block)
        self.dir = os.path.join(workdir, name)
        self.config = os.path.join(self.dir, "pgveil.yaml")
        self.log = os.path.join(workdir, f"{name}.log")
        self.port = None
        self.proc = None
        self.secret = None

    def _env(self):
        return {"BENCH_PW": self.pg.password, "BENCH_HMAC": "bench-hmac-key-0123456789abcdef",
                "BENCH_AUDIT_KEY": "bench-audit-key-0123456789abcdef"}

    def prepare(self):
        from . import masking  # masking -> workloads -> services: imported here, not at the top
        os.makedirs(self.dir)
        self.runner.chown(self.dir)
        self.port = free_port()
        with open(self.config, "w") as f:
            f.write(f"""listen: 127.0.0.1:{self.port}
workers: 2
store: {{ sqlite: {self.dir}/state.db }}
databases:
  {DB}:
    host: 127.0.0.1
    port: {self.pg.port}
    dbname: {DB}
    tls: {{ mode: disable }}
    logins:
      app: {{ user: {DB_USER}, password_env: BENCH_PW }}
roles:
  bench: {{ databases: [{DB}], login: app, max_duration: 4h }}
  bench_masked: {{ databases: [{DB}], login: app, masking: bench-pii, max_duration: 4h }}
{masking.profile_yaml()}{self.extra_yaml}""")
        self.runner.chown(self.config)
        out = self.runner.run([self.binary, "--config", self.config, "grant", "create", "--user", "bencher",
                               "--db", DB, "--role", "bench", "--for", "4h", "--reason", "bench", "--json"],
                              as_owner=True, env=self._env(), cwd=self.dir, timeout=60).stdout
        try:
            self.secret = json.loads(out)["secret"]
        except (ValueError, KeyError) as e:
            raise BenchError(f"pgveil grant create printed no secret ({e}): {out[:300]!r}")
        out = self.runner.run([self.binary, "--config", self.config, "grant", "create", "--user", "bencher_masked",
                               "--db", DB, "--role", "bench_masked", "--for", "4h", "--reason", "bench", "--json"],
                              as_owner=True, env=self._env(), cwd=self.dir, timeout=60).stdout
        try:
            self.masked_secret = json.loads(out)["secret"]
        except (ValueError, KeyError) as e:
            raise BenchError(f"pgveil grant create printed no secret ({e}): {out[:300]!r}")

    def start(self):
        if port_accepts(self.port):
            raise BenchError(f"port {self.port} for pgveil is taken by another process")
        self.proc = self.runner.spawn([self.binary, "--config", self.config, "serve"], log_path=self.log,
                                      env=self._env(), cwd=self.dir, name=self.name)
        wait_for_port(self.port, self.proc, self.name, self.log)

    def stop(self):
        if self.proc is not None:
            self.reaper.stop(self.proc, signal.SIGTERM, 15.0)

    def target(self):
        return Target(self.name, self.port, "bencher", self.secret, self)

    def masked_target(self):
        """The same pgveil under the masking profile bench-pii (bench/benchlib/masking.py)."""
        return Target("pgveil", self.port, "bencher_masked", self.masked_secret, self)

    def version(self):
        return self.runner.run([self.binary, "--version"], check=False).stdout.strip()


class Pgbouncer:
    """pgbouncer in session pooling mode, SCRAM-SHA-256 with the client. The userlist holds the
    role's SCRAM verifier copied from pg_authid (as a production setup would, not the plain
    password): pgbouncer then checks clients without PBKDF2 and logs in upstream by SCRAM
    pass-through — its cheapest configuration, the one pgveil is compared against."""

    def __init__(self, runner, workdir, reaper, pg):
        self.runner, self.reaper, self.pg = runner, reaper, pg
        self.dir = os.path.join(workdir, "pgbouncer")
        self.config = os.path.join(self.dir, "pgbouncer.ini")
        self.log = os.path.join(workdir, "pgbouncer.log")
        self.port = None
        self.proc = None

    def prepare(self):
        os.makedirs(self.dir)
        self.runner.chown(self.dir)
        self.port = free_port()
        userlist = os.path.join(self.dir, "userlist.txt")
        verifier = self.pg.psql(f"SELECT rolpassword FROM pg_authid WHERE rolname = '{DB_USER}'").strip()
        if not verifier.startswith("SCRAM-SHA-256$"):
            raise BenchError(f"{DB_USER} has no SCRAM verifier in pg_authid: {verifier[:20]!r}")
        with open(userlist, "w") as f:
            f.write(f'"{DB_USER}" "{verifier}"\n')
        with open(self.config, "w") as f:
            f.write(f"""[databases]
{DB} = host=127.0.0.1 port={self.pg.port} dbname={DB}

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = {self.port}
unix_socket_dir =
auth_type = scram-sha-256
auth_file = {userlist}
pool_mode = session
max_client_conn = 1000
default_pool_size = 550
max_db_connections = 0
ignore_startup_parameters = extra_float_digits
""")
        for path in (userlist, self.config):
            os.chmod(path, 0o600)
            self.runner.chown(path)

    def start(self):
        if port_accepts(self.port):
            raise BenchError(f"port {self.port} for pgbouncer is taken by another process")
        self.proc = self.runner.spawn([PGBOUNCER, self.config], log_path=self.log, cwd=self.dir,
                                      name="pgbouncer")
        wait_for_port(self.port, self.proc, "pgbouncer", self.log)

    def stop(self):
        if self.proc is not None:
            # SIGINT: pgbouncer's "safe shutdown" waits for clients; SIGTERM exits at once.
            self.reaper.stop(self.proc, signal.SIGTERM, 15.0)

    def target(self):
        return Target("pgbouncer", self.port, DB_USER, self.pg.password, self)

    def version(self):
        out = self.runner.run([PGBOUNCER, "--version"], check=False).stdout
        return out.splitlines()[0].strip() if out else "pgbouncer (unknown version)"
