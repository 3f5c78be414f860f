"""Process plumbing for bench/run: spawning as the unprivileged OS user, teardown on any exit,
and the /proc readings the benchmark reports (CPU ticks, VmRSS)."""

import os
import pwd
import shutil
import signal
import socket
import subprocess
import time

CLK_TCK = os.sysconf("SC_CLK_TCK")


class BenchError(Exception):
    """A step failed; the message says which and why (logs are attached by the caller)."""


class Reaper:
    """Owns every server process and temp dir of the run and tears them down, newest first.

    Servers run in their own session (start_new_session) so a Ctrl-C in the terminal reaches
    only bench/run, which then stops them in order: clients, proxies, PostgreSQL last (a fast
    shutdown, so its backends are gone before the data dir is removed)."""

    def __init__(self):
        self._procs = []  # (Popen, name, stop_signal, grace_seconds)
        self._groups = set()  # pids that lead their own process group (the servers)
        self._dirs = []
        self.keep_dirs = False

    def track(self, proc, name, stop_signal=signal.SIGTERM, grace=10.0, own_group=False):
        self._procs.append((proc, name, stop_signal, grace))
        if own_group:
            self._groups.add(proc.pid)
        return proc

    def forget(self, proc):
        self._procs = [entry for entry in self._procs if entry[0] is not proc]

    def add_dir(self, path):
        self._dirs.append(path)

    def stop(self, proc, stop_signal=signal.SIGTERM, grace=10.0):
        """Stop one process (and its process group): polite signal, then SIGKILL after grace."""
        group = proc.pid in self._groups
        if proc.poll() is None:
            proc.send_signal(stop_signal)
            try:
                proc.wait(timeout=grace)
            except subprocess.TimeoutExpired:
                proc.kill()
                try:
                    proc.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    pass
        if group:
            # Children left in the server's group (a postgres backend, say) must not outlive the
            # run. The group id stays reserved while any member lives, so this hits nobody else.
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
            self._groups.discard(proc.pid)
        self.forget(proc)

    def cleanup(self):
        # A second Ctrl-C must not interrupt the teardown half-way.
        old = {s: signal.signal(s, signal.SIG_IGN) for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)}
        try:
            for proc, _name, stop_signal, grace in reversed(list(self._procs)):
                try:
                    self.stop(proc, stop_signal, grace)
                except Exception:  # noqa: BLE001 - teardown must go on for the others
                    pass
            if not self.keep_dirs:
                for path in reversed(self._dirs):
                    shutil.rmtree(path, ignore_errors=True)
        finally:
            for sig, handler in old.items():
                signal.signal(sig, handler)


class Runner:
    """Runs commands as the OS user that owns the cluster (PostgreSQL and pgbouncer refuse root)."""

    def __init__(self, os_user, reaper):
        self.reaper = reaper
        self.os_user = None
        if os.geteuid() == 0:
            try:
                self.os_user = pwd.getpwnam(os_user)
            except KeyError:
                # A fresh machine: create the unprivileged owner, as scripts/pg-cluster.sh does.
                subprocess.run(["useradd", "--system", "--no-create-home", "--home-dir", "/nonexistent",
                                "--shell", "/usr/sbin/nologin", os_user], check=False)
                self.os_user = pwd.getpwnam(os_user)
        self.base_env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
        self.base_env["PGSSLMODE"] = "disable"
        self.base_env["PGCONNECT_TIMEOUT"] = "10"

    def chown(self, path):
        if self.os_user is not None:
            os.chown(path, self.os_user.pw_uid, self.os_user.pw_gid)

    def _user_kwargs(self, as_owner):
        if as_owner and self.os_user is not None:
            return {"user": self.os_user.pw_uid, "group": self.os_user.pw_gid, "extra_groups": []}
        return {}

    def env(self, extra=None):
        env = dict(self.base_env)
        env.update(extra or {})
        return env

    def run(self, argv, *, as_owner=False, env=None, cwd=None, timeout=600, check=True, stdout=None):
        """Run to completion; returns CompletedProcess with text stdout/stderr."""
        proc = subprocess.Popen(argv, env=self.env(env), cwd=cwd, text=True,
                                stdout=stdout if stdout is not None else subprocess.PIPE,
                                stderr=subprocess.PIPE, **self._user_kwargs(as_owner))
        self.reaper.track(proc, argv[0], signal.SIGTERM, 2.0)
        try:
            out, err = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.reaper.stop(proc, signal.SIGTERM, 2.0)
            raise BenchError(f"{' '.join(argv[:3])}... timed out after {timeout}s")
        self.reaper.forget(proc)
        result = subprocess.CompletedProcess(argv, proc.returncode, out, err)
        if check and proc.returncode != 0:
            raise BenchError(f"{' '.join(argv)} exited {proc.returncode}: {(err or out or '').strip()[-800:]}")
        return result

    def spawn(self, argv, *, log_path, as_owner=True, env=None, cwd=None, stop_signal=signal.SIGTERM,
              grace=10.0, name=None):
        """Start a long-running server with stdout+stderr appended to log_path."""
        log = open(log_path, "ab")
        try:
            proc = subprocess.Popen(argv, env=self.env(env), cwd=cwd, stdin=subprocess.DEVNULL,
                                    stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
                                    **self._user_kwargs(as_owner))
        finally:
            log.close()
        return self.reaper.track(proc, name or argv[0], stop_signal, grace, own_group=True)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def port_accepts(port):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


def wait_for_port(port, proc, name, log_path, timeout=30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise BenchError(f"{name} exited with code {proc.returncode} before listening\n{tail(log_path)}")
        if port_accepts(port):
            return
        time.sleep(0.05)
    raise BenchError(f"{name} did not listen on port {port} within {timeout:.0f}s\n{tail(log_path)}")


def cpu_seconds(pid):
    """utime + stime of the whole process (all threads, see proc(5) fields 14 and 15)."""
    with open(f"/proc/{pid}/stat") as f:
        stat = f.read()
    # comm (field 2) may contain spaces and parentheses: split after its closing paren.
    fields = stat[stat.rindex(")") + 2:].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise BenchError(f"no VmRSS for pid {pid}")


def tail(path, lines=25):
    try:
        with open(path, errors="replace") as f:
            text = f.readlines()[-lines:]
    except OSError:
        return f"(no log at {path})"
    return f"--- last lines of {path} ---\n" + "".join(text)
