#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-only
"""measure.py RUNNER [--repeats N] [--seconds S] [--tasks LIST] [--case C]
        [ARGS...]

Repeat `RUNNER CASE -t LIST -s S --json ...` N times and print, for each
task count, the median per-task ops over the runs, the CV across runs
(stddev/mean of the runs' per-task ops) and the range, as a Markdown table.
Used for docs/measurements/harness.md."""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile


def cpu_jiffies():
    """(busy, total) jiffies of the whole machine from /proc/stat."""
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:]]
    idle = v[3] + v[4]
    return sum(v[:8]) - idle, sum(v[:8])


def own_seconds():
    t = os.times()
    return t.children_user + t.children_system


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("runner")
    ap.add_argument("--case", default="page_fault3")
    ap.add_argument("--tasks", default="1,2")
    ap.add_argument("--seconds", default="5")
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--max-foreign", type=float, default=None,
                    help="keep only runs during which other processes used "
                    "less than this %% of the machine's CPU time (retry)")
    ap.add_argument("--max-tries", type=int, default=100)
    ap.add_argument("extra", nargs="*")
    a = ap.parse_args()
    tasks = [int(t) for t in a.tasks.split(",")]
    per = {t: [] for t in tasks}
    within = {t: [] for t in tasks}
    discarded = []
    noisy = {t: [] for t in tasks}
    r = tries = 0
    with tempfile.TemporaryDirectory() as d:
        while r < a.repeats:
            tries += 1
            if tries > a.max_tries:
                print(f"only {r} quiet runs in {a.max_tries} tries\n")
                break
            out = os.path.join(d, f"r{r}.json")
            cmd = [a.runner, a.case, "-t", a.tasks, "-s", a.seconds,
                   "--json", out, *a.extra]
            busy0, total0 = cpu_jiffies()
            own0 = own_seconds()
            p = subprocess.run(cmd, capture_output=True, text=True)
            busy1, total1 = cpu_jiffies()
            own1 = own_seconds()
            if p.returncode:
                sys.exit(f"run {r} failed ({p.returncode}): {p.stderr}")
            hz = os.sysconf("SC_CLK_TCK")
            foreign = max(0.0, ((busy1 - busy0) / hz - (own1 - own0)) /
                          ((total1 - total0) / hz)) * 100
            if a.max_foreign is not None and foreign > a.max_foreign:
                discarded.append(foreign)
                for t in tasks:
                    name = out if len(tasks) == 1 else out.replace(".json", f".t{t}.json")
                    noisy[t].append(json.load(open(name))["stats"]["per_task_ops"])
                continue
            r += 1
            for t in tasks:
                name = out if len(tasks) == 1 else out.replace(".json", f".t{t}.json")
                doc = json.load(open(name))
                per[t].append(doc["stats"]["per_task_ops"])
                within[t].append(doc["stats"]["cv"])
    print(f"`{os.path.basename(a.runner)} {a.case} -t {a.tasks} -s {a.seconds}"
          f"{' ' + ' '.join(a.extra) if a.extra else ''}`, "
          f"{len(per[tasks[0]])} runs\n")
    if a.max_foreign is not None:
        print(f"Runs kept only when other processes used < {a.max_foreign} % "
              f"of the CPU time; {len(discarded)} runs discarded "
              f"({', '.join(f'{x:.0f} %' for x in discarded) or '-'}).\n")
    print("| tasks | median per-task ops | CV across runs | range (max-min)/min "
          "| mean CV within a run | runs |")
    print("| --- | --- | --- | --- | --- | --- |")
    for t in tasks:
        v = per[t]
        if not v:
            continue
        cv = statistics.stdev(v) / statistics.mean(v) if len(v) > 1 else 0
        rng = (max(v) - min(v)) / min(v)
        print(f"| {t} | {statistics.median(v):,.0f} | {100 * cv:.1f} % | "
              f"{100 * rng:.1f} % | {100 * statistics.mean(within[t]):.1f} % | "
              f"{', '.join(f'{x / 1e6:.2f} M' for x in v)} |")
    if any(noisy.values()):
        print("\nDiscarded (busy machine) runs, median per-task ops: " +
              ", ".join(f"{t} task(s) {statistics.median(v):,.0f} "
                        f"(n={len(v)})" for t, v in noisy.items() if v))


if __name__ == "__main__":
    main()
