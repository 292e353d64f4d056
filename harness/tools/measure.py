#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-only
"""measure.py RUNNER [--repeats N] [--seconds S] [--tasks LIST] [--case C]
        [ARGS...]

Repeat `RUNNER CASE -t LIST -s S --json ...` N times and print, for each
task count, the median per-task ops over the runs, the CV across runs
(stddev/mean of the runs' per-task ops) and the range, as a Markdown table.
Used for docs/measurements-harness.md."""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("runner")
    ap.add_argument("--case", default="page_fault3")
    ap.add_argument("--tasks", default="1,2")
    ap.add_argument("--seconds", default="5")
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("extra", nargs="*")
    a = ap.parse_args()
    tasks = [int(t) for t in a.tasks.split(",")]
    per = {t: [] for t in tasks}
    within = {t: [] for t in tasks}
    with tempfile.TemporaryDirectory() as d:
        for r in range(a.repeats):
            out = os.path.join(d, f"r{r}.json")
            cmd = [a.runner, a.case, "-t", a.tasks, "-s", a.seconds,
                   "--json", out, *a.extra]
            p = subprocess.run(cmd, capture_output=True, text=True)
            if p.returncode:
                sys.exit(f"run {r} failed ({p.returncode}): {p.stderr}")
            for t in tasks:
                name = out if len(tasks) == 1 else out.replace(".json", f".t{t}.json")
                doc = json.load(open(name))
                per[t].append(doc["stats"]["per_task_ops"])
                within[t].append(doc["stats"]["cv"])
    print(f"`{os.path.basename(a.runner)} {a.case} -t {a.tasks} -s {a.seconds}"
          f"{' ' + ' '.join(a.extra) if a.extra else ''}`, {a.repeats} runs\n")
    print("| tasks | median per-task ops | CV across runs | range (max-min)/min "
          "| mean CV within a run | runs |")
    print("| --- | --- | --- | --- | --- | --- |")
    for t in tasks:
        v = per[t]
        cv = statistics.stdev(v) / statistics.mean(v) if len(v) > 1 else 0
        rng = (max(v) - min(v)) / min(v)
        print(f"| {t} | {statistics.median(v):,.0f} | {100 * cv:.1f} % | "
              f"{100 * rng:.1f} % | {100 * statistics.mean(within[t]):.1f} % | "
              f"{', '.join(f'{x / 1e6:.2f} M' for x in v)} |")


if __name__ == "__main__":
    main()
