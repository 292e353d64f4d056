#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-only
"""Per-task ops of the same will-it-scale executables from two builds.

    wis-bench.py [-s S] [-r RUNS] OURS THEIRS TEST_MODE:N [...]

e.g. wis-bench.py build/wis ~/will-it-scale page_fault3_threads:1
page_fault3_threads:2.  For each TEST_MODE:N, `./TEST_MODE -t N -s S`
from OURS and from THEIRS run alternately RUNS times (ours first in odd
rounds, theirs first in even ones); per-task ops = average / N.  Prints
every run, then median, CV (stddev / mean over the runs) and the ratio of
the medians.  stdout is made line-buffered (stdbuf -oL) so that a run that
prints its average and then hangs at exit, as will-it-scale's
malloc1_threads can, still counts; such a run is killed 10 s after its
expected end and marked.  Neither fetches nor builds anything; run it under tools/quiet.
"""
import argparse
import os
import re
import signal
import statistics
import subprocess
import sys
import time


def one(d, exe, n, s):
    cmd = ["stdbuf", "-oL", "./" + exe, "-t", str(n), "-s", str(s)]
    p = subprocess.Popen(cmd, cwd=d, stdout=subprocess.PIPE,
                         stderr=subprocess.DEVNULL, text=True,
                         start_new_session=True)
    hung = False
    try:
        out = p.communicate(timeout=7 + s + 10)[0]
    except subprocess.TimeoutExpired:
        hung = True
        os.killpg(p.pid, signal.SIGKILL)
        out = p.communicate()[0]
    m = re.search(r"^average:(\d+)$", out, re.M)
    return (int(m.group(1)) / n if m else None), hung, p.returncode


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("ours")
    ap.add_argument("theirs")
    ap.add_argument("specs", nargs="+")
    ap.add_argument("-s", type=int, default=5)
    ap.add_argument("-r", "--runs", type=int, default=5)
    a = ap.parse_args()
    print("load before: %s" % open("/proc/loadavg").read().strip())
    t0 = time.time()
    res = {}
    for r in range(a.runs):
        for spec in a.specs:
            exe, n = spec.rsplit(":", 1)
            order = [("ours", a.ours), ("theirs", a.theirs)]
            if r % 2:
                order.reverse()
            for who, d in order:
                v, hung, rc = one(d, exe, int(n), a.s)
                res.setdefault((spec, who), []).append(v)
                print("round %d %-28s %-6s %s%s" % (
                    r + 1, spec, who, "%.0f" % v if v is not None else "-",
                    " (hung at exit, killed)" if hung else
                    "" if rc == 0 else " (exit %s)" % rc), flush=True)
    print("load after: %s (%.0f s)" % (open("/proc/loadavg").read().strip(),
                                       time.time() - t0))
    print("%-28s %14s %6s %14s %6s %7s" % ("test:tasks", "ours median",
                                           "CV", "theirs median", "CV",
                                           "ratio"))
    for spec in a.specs:
        row = []
        for who in ("ours", "theirs"):
            v = [x for x in res[(spec, who)] if x is not None]
            med = statistics.median(v)
            cv = statistics.stdev(v) / statistics.mean(v) if len(v) > 1 \
                else float("nan")
            row += [med, cv, len(v)]
        print("%-28s %14.0f %5.1f%% %14.0f %5.1f%% %7.3f   n=%d/%d" % (
            spec, row[0], 100 * row[1], row[3], 100 * row[4],
            row[0] / row[3], row[2], row[5]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
