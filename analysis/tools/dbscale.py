#!/usr/bin/python3
"""How the results database scales: write a synthetic results tree of
--nights nights x 100 runs (5 cases x 2 variants x nr_task 1,2 x 5
repeats; 10,000 runs at the default 100 nights), time `slabscale db
import` of it (and of it again: nothing new), then `slabscale history` of
one series (five times; the median and range), each as the command a
user runs.  Prints the figures with the load average."""
import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
from slabscale_analysis import synthtree  # noqa: E402

SLABSCALE = os.path.join(os.path.dirname(os.path.dirname(HERE)), "slabscale")
PLAN = {"cases": "page_fault3,page_fault2,page_fault1,spin_work,empty",
        "variants": "old,new", "nr_task": "1,2", "repeats": 5,
        "seconds": 1}


def timed(args):
    t0 = time.monotonic()
    p = subprocess.run([SLABSCALE] + args, capture_output=True, text=True)
    dt = time.monotonic() - t0
    if p.returncode != 0:
        sys.exit("dbscale: %s failed (%d): %s" % (" ".join(args),
                                                 p.returncode, p.stderr))
    return dt, p.stdout


def load():
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--nights", type=int, default=100)
    ap.add_argument("--db", help="database URL (default: an SQLite file "
                    "in the temporary tree)")
    ap.add_argument("--keep", metavar="DIR", help="write the tree and the "
                    "database in DIR (must not exist) and keep them")
    a = ap.parse_args()
    if a.keep:
        os.makedirs(a.keep)
    with tempfile.TemporaryDirectory(prefix="dbscale-") as tmp:
        tmp = a.keep or tmp
        res = os.path.join(tmp, "results")
        db = a.db or "sqlite:///" + os.path.join(tmp, "scale.db")
        t0 = time.monotonic()
        synthtree.nights(res, "hostA", a.nights, PLAN,
                         lambda k, s, i: 1e6 * (0.9 if k >= a.nights * 3 // 4
                                                and s["variant"] == "new"
                                                else 1) * (1 + i % 7 / 300))
        print("tree: %d runs written in %.1f s (load %s)" % (
            a.nights * 100, time.monotonic() - t0, load()))
        dt, out = timed(["db", "import", res, "--db", db])
        print("import: %.1f s (load %s): %s" % (dt, load(), out.strip()))
        dt, out = timed(["db", "import", res, "--db", db])
        print("import again: %.1f s (load %s): %s" % (dt, load(),
                                                      out.strip()))
        times = []
        for _ in range(5):
            dt, out = timed(["history", "--case", "page_fault3", "--variant",
                             "new", "--host", "hostA", "--db", db,
                             "--results", res, "--no-plot"])
            times.append(dt)
        print(out.strip().splitlines()[-2])
        print("history (--no-plot), 5 runs: median %.2f s, range %.2f-%.2f s"
              " (load %s)" % (statistics.median(times), min(times),
                              max(times), load()))
        dt, out = timed(["history", "--case", "page_fault3", "--variant",
                         "new", "--host", "hostA", "--db", db, "--results",
                         res, "-o", os.path.join(tmp, "h")])
        print("history with its plot: %.2f s (load %s)" % (dt, load()))
        # the part that is the database's: the query and the detection
        code = ("import time,sys; sys.path.insert(0,%r); "
                "from slabscale_analysis import history; "
                "from slabscale_analysis.db.engine import open_db; "
                "e=open_db(%r, write=False); t=time.monotonic(); "
                "n=history.series(e,'hostA','page_fault3','new'); "
                "t1=time.monotonic(); import numpy as np; "
                "history.detect([float(np.median(x.values)) for x in n[0]]); "
                "t2=time.monotonic(); "
                "print('%%.3f %%.3f' %% (t1-t, t2-t1))" % (
                    os.path.dirname(HERE), db))
        qs, ds = [], []
        for _ in range(5):
            p = subprocess.run([sys.executable, "-c", code],
                               capture_output=True, text=True, check=True)
            q, d = map(float, p.stdout.split())
            qs.append(q)
            ds.append(d)
        print("of which the query: median %.3f s (%.3f-%.3f), change points:"
              " median %.3f s (%.3f-%.3f), 5 runs (load %s)" % (
                  statistics.median(qs), min(qs), max(qs),
                  statistics.median(ds), min(ds), max(ds), load()))


if __name__ == "__main__":
    main()
