#!/usr/bin/python3
"""How often the nightly history's change-point detection cries wolf, and
how often it misses a real change, on real runs of this machine.

collect: short "nights", each an ordinary `slabscale sweep` of a tiny plan
(cases/spin_work.c, one task, -s 1, 5 repeats, variant none) recorded in
the results database: --a nights at work=W (A) and --b nights at
work=W*1.10 (B: 10 % more work per iteration, a -9 % rate), in shuffled
order so that the machine's drift is spread over both kinds.

evaluate: the nights' medians as `slabscale history` computes them
(history.series, history.detect: the same code and defaults), in
histories of --length nights:
  A/A       --length A nights: any settled change point is a false alert;
  injected  --length/2 A nights then --length/2 B nights: detected when a
            settled change point falls within 1 (or 3) nights of the
            step; any other one is a false alert.
Histories are drawn --draws times from the pools of nights (drawn: they
share nights; n is the number of distinct nights, said with the
figures), and taken in time order (every window of consecutive nights:
the machine's drift over the day stays in them).
"""
import argparse
import os
import random
import subprocess
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
from slabscale_analysis import history  # noqa: E402
from slabscale_analysis.db.engine import open_db  # noqa: E402

SLABSCALE = os.path.join(os.path.dirname(os.path.dirname(HERE)), "slabscale")


def load():
    with open("/proc/loadavg") as f:
        return f.read().split()[0]


def collect(a):
    order = ["A"] * a.a + ["B"] * a.b
    random.Random(a.seed).shuffle(order)
    for i, kind in enumerate(order):
        w = a.work if kind == "A" else int(round(a.work * 1.10))
        print("%s night %d/%d %s work=%d load %s" % (
            time.strftime("%H:%M:%S"), i + 1, len(order), kind, w, load()),
            flush=True)
        subprocess.run([SLABSCALE, "sweep", "--variants", "none", "--cases",
                        "spin_work", "-t", "1", "-s", "1", "--warmup", "1",
                        "--repeats", "5", "--param", "work=%d" % w,
                        "--no-report", "--results", a.results, "--db",
                        a.db], stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)


def pool(eng, host, work, metric, include_disturbed):
    """[(started, median)] of the nights at work, oldest first."""
    nights, _, _, _, _ = history.series(
        eng, host, "spin_work", "none", metric=metric,
        params='{"work":"%d"}' % work, include_disturbed=include_disturbed)
    return [(n.started, float(np.median(n.values))) for n in nights]


def score(histories, half, near):
    """(A/A histories with a false alert, injected ones detected within
    `near` nights of the step, false change points in injected ones)."""
    aa = hit = false = 0
    for kind, x in histories:
        cps, _ = history.detect(x)
        if kind == "aa":
            aa += bool(cps)
            continue
        h = [c for c in cps if abs(c - half) <= near]
        hit += bool(h)
        false += len(cps) - len(h)
    return aa, hit, false


def report(what, histories, half):
    naa = sum(k == "aa" for k, _ in histories)
    ninj = len(histories) - naa
    for near in (1, 3):
        aa, hit, false = score(histories, half, near)
        alerts = aa + hit + false
        print("%s, step found within %d night(s): A/A %d of %d histories "
              "with a false change point (%.1f%%); injected %d of %d "
              "detected (%.1f%% missed), %d change point(s) elsewhere; "
              "false alert groups %d of %d (%.1f%%)" % (
                  what, near, aa, naa, 100 * aa / max(naa, 1), hit, ninj,
                  100 * (ninj - hit) / max(ninj, 1), false, false + aa,
                  alerts, 100 * (false + aa) / max(alerts, 1)))


def evaluate(a):
    eng = open_db(a.db, write=False)
    rng = random.Random(a.seed)
    host = a.host or os.uname().nodename
    A = pool(eng, host, a.work, a.metric, a.include_disturbed)
    B = pool(eng, host, int(round(a.work * 1.10)), a.metric,
             a.include_disturbed)
    L, half = a.length, a.length // 2
    if len(A) < L or len(B) < half:
        sys.exit("alerts: %d A and %d B nights; need %d and %d" % (
            len(A), len(B), L, half))
    a_vals, b_vals = [v for _, v in A], [v for _, v in B]
    spread = lambda v: 100 * np.std(v) / np.mean(v)     # noqa: E731
    print("nights: A %d (median %.4g, sd %.2f%%), B %d (median %.4g, sd "
          "%.2f%%): B/A %+.1f%%; metric %s%s" % (
              len(A), np.median(a_vals), spread(a_vals), len(B),
              np.median(b_vals), spread(b_vals),
              100 * (np.median(b_vals) / np.median(a_vals) - 1), a.metric,
              ", disturbed runs included" if a.include_disturbed else ""))
    hs = []
    for _ in range(a.draws):
        hs.append(("aa", [a_vals[i] for i in
                          sorted(rng.sample(range(len(A)), L))]))
        hs.append(("inj", [a_vals[i] for i in
                           sorted(rng.sample(range(len(A)), half))]
                   + [b_vals[i] for i in
                      sorted(rng.sample(range(len(B)), L - half))]))
    report("drawn", hs, half)
    # in time order, as a history is: every run of L consecutive A nights;
    # every run of `half` consecutive A nights followed by the next
    # L - half B nights measured after them
    hs = [("aa", a_vals[i:i + L]) for i in range(len(A) - L + 1)]
    for i in range(len(A) - half + 1):
        t = A[i + half - 1][0]
        after = [v for when, v in B if when > t][:L - half]
        if len(after) == L - half:
            hs.append(("inj", a_vals[i:i + half] + after))
    report("in time order", hs, half)
    print("histories of %d nights, %d draws, seed %d; detection: "
          "min %d nights a side, alpha %g, min change %g" % (
              L, a.draws, a.seed, history.MIN_NIGHTS, history.ALPHA,
              history.MIN_CHANGE))


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.
                                 RawDescriptionHelpFormatter)
    ap.add_argument("action", choices=("collect", "evaluate"))
    ap.add_argument("--results", required=True)
    ap.add_argument("--db", help="default: RESULTS/slabscale.db")
    ap.add_argument("--a", type=int, default=64)
    ap.add_argument("--b", type=int, default=32)
    ap.add_argument("--work", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--host")
    ap.add_argument("--metric", default="ops_per_cpu_sec")
    ap.add_argument("--include-disturbed", action="store_true")
    ap.add_argument("--length", type=int, default=16)
    ap.add_argument("--draws", type=int, default=400)
    a = ap.parse_args()
    a.db = a.db or "sqlite:///" + os.path.join(os.path.abspath(a.results),
                                               "slabscale.db")
    collect(a) if a.action == "collect" else evaluate(a)


if __name__ == "__main__":
    main()
