"""Invoking build/<variant>/slabscale-run for one run.

Runner exit statuses (harness): 0 ok, 1 failed, 2 usage, 3 skipped
(case unsupported on the variant), 130 interrupted.  The child runs in its
own session, so a Ctrl-C reaches only us and we forward exactly one SIGINT:
the runner then writes what it measured, marked interrupted.  It dies with
us (PR_SET_PDEATHSIG, SIGKILL): after a kill -9 of the sweep no orphan
goes on measuring, and writing, a run a resumed sweep measures too.
"""

import ctypes
import errno
import os
import re
import signal
import subprocess
import time

from . import safeio
from .errors import DataError
from .results import RUN_WHAT, parse_json, run_from_doc

PR_SET_PDEATHSIG = 1
_libc = ctypes.CDLL(None, use_errno=True)

RC_OK, RC_FAILED, RC_USAGE, RC_SKIPPED, RC_INTERRUPTED = 0, 1, 2, 3, 130
SLACK_SECONDS = 120


def runner_path(build_dir, variant):
    """build_dir/<variant>/slabscale-run, and only that: the variant is a
    name (safeio.NAME, never a path: it may come from a manifest someone
    else wrote), and the runner must resolve to a file inside build_dir,
    not through a link that leads out of it.  DataError otherwise."""
    safeio.check_name(variant, "variant")
    path = os.path.join(build_dir, variant, "slabscale-run")
    top = os.path.realpath(build_dir)
    real = os.path.realpath(path)
    if os.path.commonpath([top, real]) != top:
        raise DataError("%s resolves to %s, outside the build directory %s:"
                        " refused" % (path, real, top))
    return path


def case_params(params, case):
    """The plan's params for one case: 'name' applies to every case,
    'case:name' only to that case (cases refuse parameters they do not
    read)."""
    out = {}
    for k, v in params.items():
        c, sep, name = k.rpartition(":")
        if not sep:
            out[k] = v
        elif c == case:
            out[name] = v
    return out


def list_cases(path):
    """Case names the runner supports (from --list), or None if unknown."""
    try:
        p = subprocess.run([path, "--list"], capture_output=True, text=True,
                           timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return None
    if p.returncode != 0:
        return None
    names = set()
    for line in p.stdout.splitlines():
        m = re.match(r"\s*([A-Za-z0-9_.+-]+)", line)
        if m:
            names.add(m.group(1))
    return names or None


def _die_with(parent):
    """preexec_fn of a runner: SIGKILL when `parent` (the sweep) dies,
    including when it died before this line ran."""
    def preexec():
        _libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        if os.getppid() != parent:
            os._exit(1)
    return preexec


def proc_start_time(pid):
    """The start time of process pid (clock ticks since boot, field 22 of
    /proc/pid/stat), or None if there is no such process: with the pid it
    names one process, never a later one that reused the pid."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            stat = f.read()
    except OSError:
        return None
    fields = stat[stat.rindex(")") + 2:].split()
    if fields[0] == "Z":            # exited, not reaped: it is gone
        return None
    return int(fields[19])


def alive(pid, start):
    return start is not None and proc_start_time(pid) == start


NOSPACE = (errno.ENOSPC, errno.EDQUOT)
NOSPACE_TEXT = re.compile(r"No space left on device|Disk quota exceeded")


def disk_full(path):
    """Is the file system of path (or its nearest existing parent) out of
    space or inodes for us?"""
    while path and not os.path.exists(path):
        path = os.path.dirname(path)
    try:
        st = os.statvfs(path or ".")
    except OSError:
        return False
    root = os.geteuid() == 0
    blocks = st.f_bfree if root else st.f_bavail
    inodes = st.f_ffree if root else st.f_favail
    return blocks == 0 or (st.f_files > 0 and inodes == 0)


class Interrupt:
    """SIGINT/SIGTERM/SIGHUP while a child runs: remember it, pass it on
    once (as SIGINT: the runner then writes what it measured)."""

    def __init__(self):
        self.hit = False
        self.child = None
        self._old = {}

    def _handler(self, signum, frame):
        self.hit = True
        c = self.child
        if c is not None and c.poll() is None:
            try:
                c.send_signal(signal.SIGINT)
            except OSError:
                pass

    def __enter__(self):
        for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            self._old[s] = signal.signal(s, self._handler)
        return self

    def __exit__(self, *a):
        for s, h in self._old.items():
            signal.signal(s, h)


def topology_args(plan):
    """slabscale-run's --nodes/--memoryless for a plan's topology (none:
    the machine's own)."""
    out = []
    if plan.get("nodes"):
        out += ["--nodes", str(plan["nodes"])]
        if plan.get("memoryless"):
            out += ["--memoryless", plan["memoryless"]]
    return out


def run_once(path, spec, plan, root, rel_json, rel_log, intr=None,
             on_start=None):
    """Run one spec; returns a record {status, exit_code, message, seconds}.

    status is ok / failed / usage (the runner refused its arguments: a
    plan error, not a run's) / skipped / interrupted / nospace (the runner
    could not write its document or log: the file system is full; the run
    is to be retried); the JSON file (if the runner wrote one) is at
    root/rel_json and the runner's output at root/rel_log: both are reached
    with no link followed below root (safeio), so a link planted in a
    results tree is refused, not written through.  on_start(pid) is called
    once the runner runs.  OSError from our own writes (the log)
    propagates.
    """
    out_json = os.path.join(root, rel_json)
    cmd = [path, spec["case"], "-t", str(spec["nr_task"]),
           "-s", str(plan["seconds"]), "--warmup", str(plan["warmup"]),
           "--mode", spec["mode"], "--json", out_json]
    for k, v in sorted(case_params(plan.get("params", {}),
                                  spec["case"]).items()):
        cmd += ["--param", "%s=%s" % (k, v)]
    if plan.get("events"):
        cmd += ["--events", ",".join(plan["events"])]
    cmd += topology_args(plan)
    safeio.check_tree(root, rel_json)
    logfd = safeio.open_file(root, rel_log,
                             os.O_RDWR | os.O_CREAT | os.O_TRUNC,
                             create_dirs=True)
    t0 = time.monotonic()
    timeout = plan["seconds"] + plan["warmup"] + SLACK_SECONDS
    rec = {"cmd": cmd, "exit_code": None, "message": None}
    with os.fdopen(logfd, "w+b") as log:
        try:
            child = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL,
                                     start_new_session=True,
                                     preexec_fn=_die_with(os.getpid()))
        except OSError as e:
            rec.update(status="failed", message="cannot run %s: %s"
                       % (path, e.strerror), seconds=0.0)
            return rec
        if intr is not None:
            intr.child = child
        if on_start is not None:
            try:
                on_start(child.pid)
            except BaseException:
                child.kill()
                child.wait()
                raise
        try:
            while True:
                try:
                    rc = child.wait(timeout=1.0)
                    break
                except subprocess.TimeoutExpired:
                    if time.monotonic() - t0 > timeout:
                        child.kill()
                        rc = child.wait()
                        rec["message"] = "timed out after %ds" % timeout
                        break
        finally:
            if intr is not None:
                intr.child = None
        head, tail = _ends(log)
    rec["seconds"] = time.monotonic() - t0
    rec["exit_code"] = rc
    doc_status, doc_err = None, None
    if safeio.lexists_under(root, rel_json):
        try:
            doc_status = load_run_under(root, rel_json).status
        except DataError as e:
            doc_err = str(e)
    if rc == RC_OK and doc_status == "ok":
        # finished before a Ctrl-C could reach it: a complete run
        rec["status"] = "ok"
    elif rc == RC_INTERRUPTED or (intr is not None and intr.hit):
        rec["status"] = "interrupted"
    elif rc == RC_SKIPPED:
        rec["status"] = "skipped"
    elif rc == RC_USAGE:
        # the runner's first line says what it refused (the rest is its
        # usage text)
        rec["status"] = "usage"
        rec["message"] = head or "usage error (exit status 2)"
    elif rc != RC_USAGE and doc_status in (None, "ok") and (
            NOSPACE_TEXT.search(tail) or disk_full(out_json)):
        rec["status"] = "nospace"
        rec["message"] = "no space left on device (%s)" % (
            tail if NOSPACE_TEXT.search(tail) else
            "the file system of %s is full" % out_json)
    else:
        rec["status"] = "failed"
        if rec["message"] is None:
            if doc_err:
                rec["message"] = doc_err
            elif rc == RC_OK:
                rec["message"] = ("exit 0 but the JSON says %r" % doc_status
                                  if doc_status else "exit 0 but no JSON")
            elif rc < 0:
                rec["message"] = "killed by signal %d" % -rc
            else:
                rec["message"] = "exit status %d%s" % (
                    rc, " (usage error)" if rc == RC_USAGE else "")
            if tail:
                rec["message"] += ": " + tail
    return rec


def _ends(f, n=300, window=64 << 10):
    """The first and the last non-empty line of the runner's output in
    file f (each cut to n characters), reading at most 2 * window bytes."""
    f.flush()
    size = f.seek(0, os.SEEK_END)
    f.seek(0)
    first = f.read(window).decode(errors="replace")
    f.seek(max(0, size - window))
    last = f.read(window).decode(errors="replace")
    heads = [l for l in first.splitlines() if l.strip()]
    tails = [l for l in last.strip().splitlines() if l.strip()]
    return (heads[0][:n] if heads else "", tails[-1][-n:] if tails else "")


def load_run_under(root, rel):
    """The run document at root/rel, no link followed below root."""
    where = os.path.join(root, rel)
    raw = safeio.read_under(root, rel, safeio.MAX_RUN_BYTES, RUN_WHAT)
    return run_from_doc(parse_json(raw, where, RUN_WHAT), where)
