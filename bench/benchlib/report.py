"""Tables (padded Markdown: readable in a terminal and in RESULTS.md) and the machine description."""

import datetime
import os
import platform
import subprocess

DASH = "—"


def num(x, fmt="{:,.0f}"):
    return DASH if x is None else fmt.format(x)


def ratio(a, b):
    """a / b as '0.93x'; a dash when either side is missing."""
    if a is None or b is None or b == 0:
        return DASH
    return f"{a / b:.2f}x"


class Table:
    def __init__(self, title, headers, align):
        assert len(headers) == len(align)
        self.title, self.headers, self.align = title, headers, align
        self.rows, self.notes = [], []

    def add(self, *cells):
        assert len(cells) == len(self.headers)
        self.rows.append([str(c) for c in cells])

    def note(self, text):
        self.notes.append(text)

    def render(self):
        widths = [max(len(h), *(len(r[i]) for r in self.rows)) if self.rows else len(h)
                  for i, h in enumerate(self.headers)]

        def line(cells):
            out = []
            for cell, width, al in zip(cells, widths, self.align):
                out.append(cell.rjust(width) if al == "r" else cell.ljust(width))
            return "| " + " | ".join(out) + " |"

        rule = "|" + "|".join(("-" * (w + 1) + ":") if al == "r" else ("-" * (w + 2))
                              for w, al in zip(widths, self.align)) + "|"
        parts = [f"### {self.title}", "", line(self.headers), rule] + [line(r) for r in self.rows]
        if self.notes:
            parts.append("")
            parts += [f"- {n}" for n in self.notes]
        return "\n".join(parts) + "\n"


def _first_line(argv):
    try:
        out = subprocess.run(argv, capture_output=True, text=True, timeout=10).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    return out.strip().splitlines()[0] if out.strip() else None


def _cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _mem_total():
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemTotal:"):
                    return f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    except OSError:
        pass
    return "unknown"


def loadavg():
    try:
        with open("/proc/loadavg") as f:
            return " ".join(f.read().split()[:3])
    except OSError:
        return "unknown"


def git_revision(repo):
    rev = _first_line(["git", "-C", repo, "rev-parse", "--short", "HEAD"])
    if rev is None:
        return "unknown"
    dirty = subprocess.run(["git", "-C", repo, "status", "--porcelain", "--untracked-files=no"],
                           capture_output=True, text=True).stdout.strip()
    return rev + (" (with uncommitted changes)" if dirty else "")


def machine_rows(versions, repo):
    return [
        ("date", datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")),
        ("nproc", str(len(os.sched_getaffinity(0)))),
        ("CPU", _cpu_model()),
        ("memory", _mem_total()),
        ("kernel", f"{platform.system()} {platform.release()}"),
        ("PostgreSQL", versions.get("postgres", "unknown")),
        ("pgbouncer", versions.get("pgbouncer", "unknown")),
        ("pgbench", _first_line(["pgbench", "--version"]) or "unknown"),
        ("pgveil", f"{versions.get('pgveil', 'unknown')}, git {git_revision(repo)}"),
    ]


def key_value_table(title, rows):
    t = Table(title, ["", ""], ["l", "l"])
    for k, v in rows:
        t.add(k, v)
    return t
