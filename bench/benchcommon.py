# SPDX-License-Identifier: GPL-2.0-only
"""Helpers shared by the bench drivers: machine description, running a
bench program and parsing its key=value lines, atomic JSON output and
plain-text tables."""

import fcntl
import json
import os
import platform
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))), "analysis"))
from slabscale_analysis import significance  # noqa: E402

PEER_LIBDIR = "/usr/lib/x86_64-linux-gnu"
PEERS = [
    # name, LD_PRELOAD library (None: glibc itself), Debian package
    ("glibc", None, "libc6"),
    ("jemalloc", "libjemalloc.so.2", "libjemalloc2"),
    ("tcmalloc", "libtcmalloc_minimal.so.4", "libtcmalloc-minimal4"),
    ("mimalloc", "libmimalloc.so.2", "libmimalloc2.0"),
]


class BenchError(Exception):
    """A bench program failed or printed something we cannot read."""


def exclusive(build_dir):
    """Hold a lock so two benchmarks (make -j, or two users) never run at
    once and disturb each other; returns the open lock file."""
    d = os.path.join(build_dir, "bench")
    os.makedirs(d, exist_ok=True)
    f = open(os.path.join(d, ".lock"), "w")
    try:
        fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        print("bench: another benchmark is running; waiting for it",
              flush=True)
        fcntl.flock(f, fcntl.LOCK_EX)
    return f


def _first_line(cmd):
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, check=False)
    except OSError:
        return "unknown"
    lines = (out.stdout or out.stderr).strip().splitlines()
    return lines[0] if lines else "unknown"


def _pkg_version(pkg):
    out = subprocess.run(["dpkg-query", "-W", "-f=${Version}", pkg],
                         capture_output=True, text=True, check=False)
    return out.stdout.strip() if out.returncode == 0 else "not installed"


def machine():
    """What the figures were measured on, as a dict."""
    model = "unknown"
    try:
        with open("/proc/cpuinfo", encoding="ascii", errors="replace") as f:
            for line in f:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    cc = os.environ.get("CC", "gcc")
    return {
        "cpu": model,
        "cpus_online": os.cpu_count(),
        "kernel": platform.release(),
        "compiler": _first_line([cc, "--version"]),
        "glibc": os.confstr("CS_GNU_LIBC_VERSION"),
        "valgrind": _first_line(["valgrind", "--version"]),
        "peers": {name: _pkg_version(pkg) for name, _, pkg in PEERS[1:]},
        "loadavg_at_start": list(os.getloadavg()),
    }


def print_machine(m, out=sys.stdout):
    print("machine: %s, %s CPUs online, kernel %s" %
          (m["cpu"], m["cpus_online"], m["kernel"]), file=out)
    print("         %s, %s, %s" % (m["compiler"], m["glibc"], m["valgrind"]),
          file=out)
    print("         peers: " + ", ".join("%s %s" % kv
                                        for kv in m["peers"].items()),
          file=out)
    load = m["loadavg_at_start"]
    print("         load average at start: %.2f %.2f %.2f%s" %
          (load[0], load[1], load[2],
           "  (busy machine: expect more noise)"
           if load[0] > 0.5 * (m["cpus_online"] or 1) else ""), file=out)


def peer_env(lib):
    """Environment for running the malloc program against one peer."""
    env = dict(os.environ)
    env.pop("LD_PRELOAD", None)
    if lib:
        env["LD_PRELOAD"] = os.path.join(PEER_LIBDIR, lib)
    return env


def parse_lines(text, tag):
    """Lines 'tag k=v k=v ...' of a bench program, as a list of dicts."""
    rows = []
    for line in text.splitlines():
        words = line.split()
        if not words or words[0] != tag:
            continue
        row = {}
        for w in words[1:]:
            k, sep, v = w.partition("=")
            if not sep:
                raise BenchError("unreadable field %r in %r" % (w, line))
            try:
                row[k] = int(v)
            except ValueError:
                try:
                    row[k] = float(v)
                except ValueError:
                    row[k] = v
        rows.append(row)
    return rows


def run(cmd, env=None, timeout=600):
    """Run a bench program; its stdout, or BenchError saying what broke."""
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, env=env,
                           timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        raise BenchError("timed out after %d s: %s" % (timeout, " ".join(cmd)))
    except OSError as e:
        raise BenchError("cannot run %s: %s" % (cmd[0], e))
    if p.returncode != 0:
        tail = " | ".join(p.stderr.strip().splitlines()[-3:])
        raise BenchError("exit status %d: %s: %s" %
                         (p.returncode, " ".join(cmd), tail))
    return p.stdout


def median(xs):
    """The median (analysis's significance.summary), None for no values."""
    return significance.summary(xs)["median"]


def percentile(xs, q):
    """q-th percentile (0..100), linear between order statistics; None
    for no values (analysis's significance.percentile)."""
    return significance.percentile(xs, q)


def write_json(path, data):
    """Write data to path atomically (temp file in the same directory)."""
    d = os.path.dirname(os.path.abspath(path))
    os.makedirs(d, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=d)
    try:
        with os.fdopen(fd, "w") as f:
            json.dump(data, f, indent=1, sort_keys=True)
            f.write("\n")
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


def table(header, rows, out=sys.stdout):
    """Print rows (lists of str) under header, columns padded."""
    widths = [max(len(str(r[i])) for r in [header] + rows)
              for i in range(len(header))]
    def line(r):
        cells = [str(c).ljust(w) if i == 0 else str(c).rjust(w)
                 for i, (c, w) in enumerate(zip(r, widths))]
        return "  ".join(cells).rstrip()
    print(line(header), file=out)
    print("  ".join("-" * w for w in widths), file=out)
    for r in rows:
        print(line(r), file=out)


def fmt(x, spec="%.2f", none="-"):
    return none if x is None else spec % x
