#!/usr/bin/python3
"""make trust: how far the verdicts can be trusted on this machine.

Runs the spin_work case (cases/spin_work.c: `work` rounds of a dependent
multiply-add per iteration) as trials.  A trial is `--runs` rounds, each
round one run of every configuration in shuffled order:

    A     work=W           A2   work=W (the same again)
    W10   work=W*1.10      W5   work=W*1.05 (only in the first --trials-5)

and then the analysis' own compare (slabscale_analysis.compare, the code
`slabscale compare` and the sweep use) of A against A2 (any regression or
improvement is a false alarm), A against W10 and A against W5 (a regression
is a detection), for per_thread_ops and ops_per_cpu_sec.  With --budget N,
a comparison that is inconclusive gets up to N more runs (one of each side
per round, interleaved) as the sweep's --budget would.

Conditions: `quiet` (nothing added), `hog` (a busy loop pinned on the
task's CPU, and the runner pinned there too, so the task gets about half
of it; every run is then disturbed), `neighbour` (the runner pinned on
one CPU, and on another CPU a second slabscale-run of page_fault3, a
benchmark that works memory and the kernel, started and stopped at random
through the trials: on and off for exponentially distributed times of
mean --neighbour-period seconds each).  Disturbed runs are left out by
default, as in the sweep: a hog trial usually has no verdict.  The
verdicts with them averaged in (--include-disturbed) are reported beside.

The runs of one round are one interleaved round of the analysis
(Run.round), so compare decides on the paired differences of the rounds
as a sweep does (significance.compare_rounds); the unpaired verdict of the same
runs is kept beside it and reported too.

Prints the rates with their trial counts; --json FILE keeps every verdict.
It measures: run it on a quiet machine, nothing else
running; docs/measurements/trust.md has the figures.
"""
import argparse
import json
import math
import os
import random
import signal
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
from slabscale_analysis import compare, significance  # noqa: E402
from slabscale_analysis.results import load_run  # noqa: E402

METRICS = ("per_thread_ops", "ops_per_cpu_sec")


class Runs:
    def __init__(self, a, tmp):
        self.a = a
        self.tmp = tmp
        self.n = 0
        self.seen = []      # every run of the current condition
        self.runner = os.path.join(a.build, a.variant, "slabscale-run")
        if not os.access(self.runner, os.X_OK):
            sys.exit("trust: %s not built (make)" % self.runner)

    def one(self, work, cpu, rnd=None):
        self.n += 1
        out = os.path.join(self.tmp, "r%05d.json" % self.n)
        cmd = [self.runner, "spin_work", "-t", "1", "-s", str(self.a.seconds),
               "--warmup", str(self.a.warmup), "--interval",
               str(self.a.interval), "--no-events", "--param",
               "work=%d" % work, "--json", out]
        if cpu is not None:
            cmd = ["taskset", "-c", str(cpu)] + cmd
        p = subprocess.run(cmd, stdout=subprocess.DEVNULL,
                           stderr=subprocess.PIPE, text=True)
        if p.returncode != 0:
            sys.exit("trust: %s exited %d: %s" % (" ".join(cmd),
                                                   p.returncode, p.stderr))
        r = load_run(out)
        # one "variant" per configuration; the work parameter must not
        # split the groups compare matches
        r.variant = "w%d" % work
        r.params = {}
        r.round = rnd
        self.seen.append(r)
        return r


def verdicts(base, new, include):
    cmp = compare.compare_sets(base, new, "a", "b",
                               include_disturbed=include)
    out = {}
    for g in cmp["groups"]:
        for m in g["metrics"]:
            if m["metric"] in METRICS:
                out[m["metric"]] = m
    return out


def settle(runs, work, cfg, sides, cpu, budget, include, k):
    """Compare sides (base, new); with a budget, add a run to each side
    while a metric is inconclusive (one more round of the pair)."""
    added = 0
    while True:
        v = verdicts(sides[0], sides[1], include)
        open_ = [m for m in METRICS
                 if v.get(m, {}).get("verdict") == significance.INCONCLUSIVE]
        if not open_ or added + 2 > budget:
            return v, added
        order = [0, 1]
        random.shuffle(order)
        rnd = (k, "extra", cfg[1], added)
        for i in order:
            sides[i].append(runs.one(work[cfg[i]], cpu, rnd))
        added += 2


def unpaired_log_sd(sides, metric, include):
    """What the spread of a log-ratio would be without pairing:
    sqrt(var log base + var log new) over the counted runs (the SD of
    the difference of two independent runs), to set beside the paired
    rounds' log_ratio_sd."""
    out = []
    for side in sides:
        ok = [r for r in side if r.ok and r.metrics().get(metric)
              and r.metrics()[metric][0] > 0]
        quiet = [r for r in ok if include or not r.disturbed]
        # every run disturbed: the CPU-time rate is decided over them all
        v = [math.log(r.metrics()[metric][0])
             for r in (quiet if len(quiet) >= 2 else ok)]
        if len(v) < 2:
            return None
        mu = sum(v) / len(v)
        out.append(sum((x - mu) ** 2 for x in v) / (len(v) - 1))
    return math.sqrt(out[0] + out[1])


def trial(runs, a, k, cpu):
    works = {"A": a.work, "A2": a.work, "W10": round(a.work * 1.10),
             "W5": round(a.work * 1.05)}
    cfgs = ["A", "A2", "W10"] + (["W5"] if k < a.trials_5 else [])
    got = {c: [] for c in cfgs}
    for j in range(a.runs):
        order = list(cfgs)
        random.shuffle(order)
        for c in order:
            got[c].append(runs.one(works[c], cpu, (k, j)))
    res = {"disturbed": sum(r.disturbed for c in cfgs for r in got[c]),
           "shared": sum(r.shared for c in cfgs for r in got[c]),
           "runs": sum(len(v) for v in got.values())}
    for include in (False, True):
        tag = "with_disturbed" if include else "default"
        res[tag] = {}
        for other in cfgs[1:]:
            sides = [list(got["A"]), list(got[other])]
            v, added = settle(runs, works, ("A", other), sides, cpu,
                              a.budget, include, k)
            res[tag][other] = {m: {"verdict": v[m]["verdict"],
                                   "change": v[m]["change"],
                                   "n": [v[m]["base"]["n"], v[m]["new"]["n"]],
                                   "added": added,
                                   "paired": v[m].get("paired", False),
                                   "rounds": v[m].get("rounds"),
                                   "log_ratio_sd": v[m].get("log_ratio_sd"),
                                   "unpaired_log_sd": unpaired_log_sd(
                                       sides, m, include),
                                   "unpaired": v[m].get("unpaired")}
                               for m in METRICS if m in v}
    return res


def start_hog(cpu):
    return subprocess.Popen(["taskset", "-c", str(cpu), sys.executable, "-c",
                             "while True: pass"])


class Neighbour:
    """Another slabscale-run of page_fault3 pinned on another CPU, started
    and stopped at random: on and off for exponential times of mean
    `period` seconds (its own random stream, seeded)."""

    def __init__(self, runner, cpu, period, seed):
        self.cmd = ["taskset", "-c", str(cpu), runner, "page_fault3", "-t",
                    "1", "-s", "0", "--warmup", "0", "--no-events"]
        self.period = period
        self.rng = random.Random(seed)
        self.stop_ev = threading.Event()
        self.proc = None
        self.on_seconds = self.off_seconds = 0.0
        self.starts = 0
        self.thread = threading.Thread(target=self.loop, daemon=True)

    def loop(self):
        on = self.rng.random() < 0.5
        while not self.stop_ev.is_set():
            t = self.rng.expovariate(1.0 / self.period)
            if on:
                self.proc = subprocess.Popen(self.cmd,
                                             stdout=subprocess.DEVNULL,
                                             stderr=subprocess.DEVNULL)
                self.starts += 1
            t0 = time.monotonic()
            self.stop_ev.wait(t)
            if on:
                self.end()
                self.on_seconds += time.monotonic() - t0
            else:
                self.off_seconds += time.monotonic() - t0
            on = not on

    def end(self):
        p, self.proc = self.proc, None
        if p is not None:
            p.send_signal(signal.SIGINT)
            try:
                p.wait(30)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stop_ev.set()
        self.thread.join()
        self.end()


def rate(trials, tag, other, metric, hit):
    n = k = 0
    for t in trials:
        v = t[tag].get(other, {}).get(metric)
        if v is None:
            continue
        n += 1
        k += hit(v["verdict"])
    return k, n


def load_summary(runs):
    """The 1-minute load average at the start of the runs: median and
    range, and their mean CPUs busy outside the run."""
    la = sorted(r.doc["load_average"][0] for r in runs
                if r.doc.get("load_average"))
    nb = sorted(r.doc["stats"]["neighbours"]["outside"] for r in runs
                if (r.doc.get("stats") or {}).get("neighbours"))
    mid = lambda v: v[len(v) // 2] if v else None
    return {"load_median": mid(la), "load_min": la[0] if la else None,
            "load_max": la[-1] if la else None,
            "outside_median": mid(nb),
            "outside_min": nb[0] if nb else None,
            "outside_max": nb[-1] if nb else None}


def report(name, trials, out):
    alarm = lambda v: v in (significance.REGRESSION, significance.IMPROVEMENT)
    found = lambda v: v == significance.REGRESSION
    nodec = lambda v: v == significance.INCONCLUSIVE
    nd = sum(t["disturbed"] for t in trials)
    ns = sum(t.get("shared", 0) for t in trials)
    nr = sum(t["runs"] for t in trials)
    out("== %s: %d trials, %d runs, %d disturbed, %d shared" % (
        name, len(trials), nr, nd, ns))
    for tag in ("default", "with_disturbed"):
        out("  %s:" % ("disturbed runs left out (default)" if tag == "default"
                       else "disturbed runs averaged in (--include-disturbed)"))
        out("    %-16s %-22s %-22s %-22s" % ("metric", "A/A false alarm",
                                             "+10% detected",
                                             "+5% detected"))
        for m in METRICS:
            cols = []
            for other, hit in (("A2", alarm), ("W10", found), ("W5", found)):
                k, n = rate(trials, tag, other, m, hit)
                u, _ = rate(trials, tag, other, m, nodec)
                cols.append("%d/%d (%s)%s" % (
                    k, n, "%.0f%%" % (100.0 * k / n) if n else "-",
                    ", %d incl." % u if u else ""))
            out("    %-16s %-22s %-22s %-22s" % ((m,) + tuple(cols)))
        # the same runs decided unpaired (as before rounds were paired)
        for m in METRICS:
            cols = []
            for other, hit in (("A2", alarm), ("W10", found), ("W5", found)):
                vs = [t[tag].get(other, {}).get(m) for t in trials]
                vs = [v["unpaired"] or v for v in vs if v]
                k = sum(hit(v["verdict"]) for v in vs)
                cols.append("%d/%d" % (k, len(vs)))
            out("    %-16s %-22s %-22s %-22s" % (
                ("%s, unpaired" % m,) + tuple(cols)))
        for key, what in (("unpaired_log_sd", "unpaired"),
                          ("log_ratio_sd", "paired rounds")):
            sds = {m: sorted(t[tag]["A2"][m][key] for t in trials
                             if t[tag].get("A2", {}).get(m, {}).get(key)
                             is not None) for m in METRICS}
            out("    A/A log-ratio SD, %s (median over trials): " % what +
                ", ".join("%s %s" % (m, "%.3f" % v[len(v) // 2] if v
                                     else "-") for m, v in sds.items()))


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--build", default=os.environ.get("SLABSCALE_BUILD",
                                                     "build"))
    p.add_argument("--variant", default="none")
    p.add_argument("--trials", type=int, default=20)
    p.add_argument("--trials-5", type=int, default=10,
                   help="trials that include the +5%% configuration")
    p.add_argument("--runs", type=int, default=5,
                   help="runs per configuration and trial (the sweep's "
                   "default repeats)")
    p.add_argument("--budget", type=int, default=0,
                   help="extra runs a comparison may take while "
                   "inconclusive (the sweep's --budget; default 0 as the "
                   "sweep's)")
    p.add_argument("-s", "--seconds", type=float, default=1)
    p.add_argument("--warmup", type=float, default=0)
    p.add_argument("--interval", type=float, default=0.5)
    p.add_argument("--work", type=int, default=20000)
    p.add_argument("--conditions", default="quiet,hog,neighbour")
    p.add_argument("--neighbour-period", type=float, default=10.0,
                   help="mean seconds the neighbour stays on, and off")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--json", help="write every verdict here")
    a = p.parse_args()
    random.seed(a.seed)
    out = lambda s: print(s, flush=True)
    cpu = min(os.sched_getaffinity(0))
    summary = {"args": vars(a), "conditions": {}}
    t0 = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="slabscale-trust-") as tmp:
        runs = Runs(a, tmp)
        cpus = sorted(os.sched_getaffinity(0))
        for cond in a.conditions.split(","):
            if cond not in ("quiet", "hog", "neighbour"):
                sys.exit("trust: unknown condition %r" % cond)
            if cond == "neighbour" and len(cpus) < 2:
                sys.exit("trust: the neighbour condition needs two CPUs")
            hog = start_hog(cpu) if cond == "hog" else None
            nbr = Neighbour(runs.runner, cpus[1], a.neighbour_period,
                            a.seed) if cond == "neighbour" else None
            pin = cpu if cond in ("hog", "neighbour") else None
            trials = []
            runs.seen = []
            load0 = open("/proc/loadavg").read().split()[:3]
            t1 = time.monotonic()
            try:
                if nbr:
                    nbr.__enter__()
                for k in range(a.trials):
                    trials.append(trial(runs, a, k, pin))
                    print("trust: %s trial %d/%d (%s elapsed)" % (
                        cond, k + 1, a.trials,
                        "%.0fs" % (time.monotonic() - t0)), file=sys.stderr,
                        flush=True)
            finally:
                if hog:
                    hog.kill()
                    hog.wait()
                if nbr:
                    nbr.__exit__()
            load1 = open("/proc/loadavg").read().split()[:3]
            info = dict(load_summary(runs.seen), load_start=load0,
                        load_end=load1, runs=len(runs.seen),
                        seconds=time.monotonic() - t1,
                        start=time.strftime("%H:%M:%S", time.gmtime(
                            time.time() - (time.monotonic() - t1))),
                        end=time.strftime("%H:%M:%S", time.gmtime()))
            if nbr:
                info.update(neighbour_starts=nbr.starts,
                            neighbour_on_seconds=nbr.on_seconds,
                            neighbour_off_seconds=nbr.off_seconds)
            summary["conditions"][cond] = {"trials": trials, "info": info}
            report(cond, trials, out)
            out("  %s" % json.dumps(info, sort_keys=True))
    out("settings: spin_work work=%d (+5%%: %d, +10%%: %d), 1 task, -s %g "
        "--warmup %g --interval %g, %d runs per configuration and trial, "
        "budget %d, %d trials (+5%%: %d), %.0f s" % (
            a.work, round(a.work * 1.05), round(a.work * 1.10), a.seconds,
            a.warmup, a.interval, a.runs, a.budget, a.trials, a.trials_5,
            time.monotonic() - t0))
    if a.json:
        with open(a.json + ".tmp", "w") as f:
            json.dump(summary, f, indent=1)
        os.replace(a.json + ".tmp", a.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
