#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-only
"""Compare slabscale's will-it-scale executables with another build.

    wis-compare.py [-s S] [-t 1,2] [-j N] [--tests a,b] OURS THEIRS

OURS and THEIRS are directories of will-it-scale executables
(X_threads / X_processes), e.g. build/wis and a will-it-scale checkout you
built yourself with its own Makefile.  For every test both have, in both
modes and at every task count, the two are run alternately with
`-t N -s S` and compared on what a driver sees: the line structure of
stdout (testcase / warmup / min-max-total lines / measurement / average),
the description, the exit status, and the files the run left in /tmp.
Each run gets a private /tmp (a tmpfs in its own mount namespace, via
unshare(1); needs root or user namespaces), so leftovers are attributed
exactly even with -j.  A run that does not end within a minute after its
last interval is killed and reported as a hang.  Then the command-line
behaviour (-h, -m -n, bad options, -t limits, -v format, SIGTERM, SIGINT)
is compared on one test.

This tool neither fetches nor builds will-it-scale.  Exit status 0 when
no difference was found, 1 otherwise.
"""
import argparse
import concurrent.futures
import os
import re
import signal
import subprocess
import sys
import time

LINE = re.compile(r"^min:\d+ max:\d+ total:\d+$")
VLINE = re.compile(r"^ {0,3}\d+ -> \d+$")
SLACK = 60


def shape(text):
    """stdout as a token list: T(esc) W M L V A, descriptions kept."""
    out = []
    for ln in text.splitlines():
        if ln.startswith("testcase:"):
            out.append("T:" + ln[len("testcase:"):])
        elif ln == "warmup":
            out.append("W")
        elif ln == "measurement":
            out.append("M")
        elif LINE.match(ln):
            out.append("L")
        elif VLINE.match(ln):
            out.append("V")
        elif re.match(r"^average:\d+$", ln):
            out.append("A")
        else:
            out.append("?" + ln)
    return out


def compact(tokens):
    """['W','L','L'] -> 'W L*2' for the report."""
    res, prev, n = [], None, 0
    for t in tokens + [None]:
        if t == prev:
            n += 1
            continue
        if prev is not None:
            res.append(prev if n == 1 else "%s*%d" % (prev, n))
        prev, n = t, 1
    return " ".join(r if not r.startswith("T:") else "T" for r in res)


def run(exe, args, seconds):
    """One run in a private /tmp; returns dict(rc, out, left, secs)."""
    script = ('mount -t tmpfs slabscale-wis-compare /tmp || exit 99; '
              'fd=$1; cd "$2"; shift 2; "$@"; rc=$?; '
              'ls -A /tmp > /proc/self/fd/$fd; exit $rc')
    r, w = os.pipe()
    cmd = ["unshare", "--mount", "--propagation", "private", "sh", "-c",
           script, "sh", str(w), os.path.dirname(exe),
           "./" + os.path.basename(exe)]
    cmd += args
    t0 = time.monotonic()
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         pass_fds=(w,), start_new_session=True, text=True)
    os.close(w)
    timeout = 7 + seconds + SLACK
    hang = False
    try:
        out, err = p.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        hang = True
        os.killpg(p.pid, signal.SIGKILL)
        out, err = p.communicate()
    with os.fdopen(r) as f:
        left = f.read().split()
    return {"rc": "hang" if hang else p.returncode, "out": out, "err": err,
            "left": left, "secs": time.monotonic() - t0}


def compare_one(ours, theirs, test, mode, n, seconds):
    exe = "%s_%s" % (test, mode)
    a = run(os.path.join(ours, exe), ["-t", str(n), "-s", str(seconds)],
            seconds)
    b = run(os.path.join(theirs, exe), ["-t", str(n), "-s", str(seconds)],
            seconds)
    sa, sb = shape(a["out"]), shape(b["out"])
    diffs = []
    if sa != sb:
        diffs.append("output %s vs %s" % (compact(sa), compact(sb)))
    if a["rc"] != b["rc"]:
        diffs.append("exit %s vs %s" % (a["rc"], b["rc"]))
    if a["left"] != b["left"]:
        diffs.append("/tmp left %s vs %s" % (a["left"], b["left"]))
    counted = "A" in sa and int(re.search(r"average:(\d+)",
                                          a["out"]).group(1)) > 0
    return {"test": test, "mode": mode, "n": n, "ours": a, "theirs": b,
            "diffs": diffs, "ours_counted": counted}


def cli_checks(ours, theirs, test):
    """Command-line behaviour of one test's threads executable."""
    cases = [["-h"], ["-m", "-n"], ["-n", "-m"], ["-x"], ["extra"],
             ["-t", "3000"]]
    res = []
    for args in cases:
        got = []
        for d in (ours, theirs):
            p = subprocess.run([os.path.join(d, test + "_threads")] + args,
                               capture_output=True, text=True, timeout=60)
            got.append((p.returncode, "Usage:" in p.stdout))
        res.append((" ".join(args), got[0], got[1]))
    for sig in (signal.SIGTERM, signal.SIGINT):
        got = []
        for d in (ours, theirs):
            p = subprocess.Popen([os.path.join(d, test + "_threads"), "-t",
                                  "2", "-v"], stdout=subprocess.PIPE,
                                 text=True, start_new_session=True)
            # will-it-scale's stdout is block-buffered: wait, do not read
            time.sleep(2.5)
            p.send_signal(sig)
            try:
                out = p.communicate(timeout=60)[0]
            except subprocess.TimeoutExpired:
                os.killpg(p.pid, signal.SIGKILL)
                out = p.communicate()[0]
            vfmt = all(VLINE.match(x) for x in out.splitlines()
                       if not LINE.match(x) and x != "warmup"
                       and not x.startswith("testcase:"))
            got.append((p.returncode, vfmt))
        res.append((signal.Signals(sig).name, got[0], got[1]))
    return res


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("ours")
    ap.add_argument("theirs")
    ap.add_argument("-s", type=int, default=1, help="measured seconds (1)")
    ap.add_argument("-t", default="1,2", help="task counts (1,2)")
    ap.add_argument("-j", type=int, default=1, help="pairs run at once")
    ap.add_argument("--tests", help="comma list (default: all in both)")
    ap.add_argument("--cli-test", default="getppid1")
    a = ap.parse_args()

    def names(d):
        return {f[:-len("_threads")] for f in os.listdir(d)
                if f.endswith("_threads")}
    tests = sorted(names(a.ours) & names(a.theirs))
    if a.tests:
        tests = [t for t in a.tests.split(",") if t in tests]
    jobs = [(t, m, int(n)) for t in tests for m in ("threads", "processes")
            for n in a.t.split(",")]
    print("%d tests, %d pairs of runs (-s %d), %d at a time"
          % (len(tests), len(jobs), a.s, a.j), flush=True)
    bad = 0
    with concurrent.futures.ThreadPoolExecutor(a.j) as ex:
        futs = [ex.submit(compare_one, a.ours, a.theirs, t, m, n, a.s)
                for t, m, n in jobs]
        for f in futs:
            r = f.result()
            mark = "same" if not r["diffs"] else "DIFF"
            if r["diffs"] or not r["ours_counted"]:
                bad += 1
            print("%-22s %-9s -t %d  %s  exit %s/%s  %s%s" % (
                r["test"], r["mode"], r["n"], mark, r["ours"]["rc"],
                r["theirs"]["rc"], "; ".join(r["diffs"]),
                "" if r["ours_counted"] else "  (ours counted nothing)"),
                flush=True)
            if r["diffs"] or not r["ours_counted"]:
                for who in ("ours", "theirs"):
                    print("    %s stdout: %r stderr: %r" % (
                        who, r[who]["out"][-300:], r[who]["err"][-300:]))
    print("command line (%s_threads): args, ours (exit, usage on stdout / "
          "-v format), theirs" % a.cli_test)
    for args, o, t in cli_checks(a.ours, a.theirs, a.cli_test):
        same = o == t
        bad += not same
        print("  %-10s ours %-14s theirs %-14s %s" % (
            args, o, t, "same" if same else "DIFF"))
    print("%d difference(s)" % bad)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
