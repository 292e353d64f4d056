# SPDX-License-Identifier: GPL-2.0-only
"""The rest of the machine and the shared mark (harness/src/neighbours.c).

A run beside a neighbour that works memory and the kernel on *another*
CPU (another slabscale-run of page_fault3 pinned there) keeps its own CPU
(cpu_share near 1, not disturbed) but must be marked shared, in both
modes.  A run on this shared machine is not required to come out
unmarked, but its mark must follow from its own figures and the
documented limits; the rule on a quiet machine (nothing moved but the
task: not shared) is checked on synthetic /proc/stat in the C unit tests
(harness/tests/unit/test_neighbours.c)."""
import os
import signal
import subprocess

import pytest

from conftest import BUILD, load_json

BUSY_LIMIT = 0.25       # SHARED_BUSY_CPUS
STEAL_LIMIT = 0.05      # SHARED_STEAL_RATIO


def check_neighbours(doc):
    """The figures are present and consistent; returns the shared mark."""
    st = doc["stats"]
    nb = st["neighbours"]
    assert nb is not None
    la = doc["load_average"]
    assert len(la) == 3 and all(v >= 0 for v in la)
    n = 0
    sums = dict.fromkeys(("outside", "other_cpus", "run_cpus", "steal"), 0.0)
    above = 0
    for s in doc["samples"]:
        u = s["neighbours"]
        assert u is not None
        assert u["outside"] >= 0 and u["other_cpus"] >= 0
        assert u["run_cpus"] >= 0 and 0 <= u["steal"] <= 1
        # outside = other + run's CPUs less the run's own other threads
        assert u["outside"] <= u["other_cpus"] + u["run_cpus"] + 1e-9
        if not s["warmup"] and not s["excluded"]:
            n += 1
            for k in sums:
                sums[k] += u[k]
            above += u["outside"] > BUSY_LIMIT or u["steal"] > STEAL_LIMIT
    assert n == st["intervals"] > 0
    for k in sums:
        assert abs(sums[k] / n - nb[k]) < 1e-6, k
    assert st["shared_intervals"] == above
    # per CPU: the busy share of each (the run's CPUs with its tasks)
    busy = st["cpu_busy"]
    assert len(busy) >= len(os.sched_getaffinity(0))
    run_cpus = {t["cpu"] for t in doc["tasks"]}
    others = [b for c, b in enumerate(busy)
              if c not in run_cpus and b is not None]
    assert all(0 <= b <= 1.05 for b in busy if b is not None)
    # the same ticks as other_cpus, weighted by interval length: close
    assert abs(sum(others) - nb["other_cpus"]) < 0.05
    shared = nb["outside"] > BUSY_LIMIT or nb["steal"] > STEAL_LIMIT
    marks = [m for m in doc["marks"] if m["reason"] == "shared"]
    assert doc["shared"] == shared == bool(marks)
    if marks:
        (m,) = marks
        assert m["threshold"] == BUSY_LIMIT
        assert m["steal_threshold"] == STEAL_LIMIT
        assert abs(m["outside"] - nb["outside"]) < 1e-6
        assert m["intervals"] == above and m["of"] == n
    return marks


def online_cpus():
    with open("/proc/stat") as f:
        return sum(1 for l in f if l.startswith("cpu") and l[3].isdigit())


def summary_line(stdout):
    line = [l for l in stdout.splitlines() if l.startswith("neighbours:")]
    assert len(line) == 1, stdout
    return line[0]


@pytest.mark.parametrize("mode,nr", [("threads", 1), ("processes", 2)])
def test_run_records_neighbours(run_none, out, mode, nr):
    p = run_none("empty", "-t", nr, "--mode", mode, "-s", 1, "--warmup", 0,
                 "--interval", 0.25, "--json", out, check=0)
    doc = load_json(out)
    marks = check_neighbours(doc)
    line = summary_line(p.stdout)
    assert "CPU busy outside the run" in line and "steal" in line
    assert line.endswith("SHARED") == doc["shared"]
    assert ("empty: shared:" in p.stderr) == bool(marks)
    # the CPUs the tasks are pinned on (nr 2 on a 2-CPU machine: all)
    assert doc["stats"]["other_cpus"] == online_cpus() - len(
        {t["cpu"] for t in doc["tasks"]})


def test_wis_executable_prints_no_neighbours(build_dir):
    p = subprocess.run([str(build_dir / "none/empty_threads"), "-t", "1",
                        "-s", "1"], capture_output=True, text=True)
    assert p.returncode == 0, p.stderr
    assert "neighbours" not in p.stdout + p.stderr
    assert "shared" not in p.stdout + p.stderr


@pytest.mark.parametrize("mode", ["threads", "processes"])
def test_run_beside_neighbour_on_other_cpu_is_shared(run_none, out, mode):
    cpus = sorted(os.sched_getaffinity(0))
    assert len(cpus) >= 2, "this test needs two CPUs"
    mine, theirs = cpus[0], cpus[1]
    runner = str(BUILD / "none/slabscale-run")
    # the neighbour: a benchmark that works page faults (memory and the
    # kernel) on the other CPU for as long as we measure
    nb = subprocess.Popen(["taskset", "-c", str(theirs), runner,
                           "page_fault3", "-t", "1", "-s", "0", "--warmup",
                           "0", "--no-events"],
                          stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                          text=True)
    try:
        # started measuring: "testcase:", "warmup", "measurement"
        for want in ("testcase:", "warmup", "measurement"):
            assert nb.stdout.readline().startswith(want)
        p = subprocess.run(["taskset", "-c", str(mine), runner, "spin_work",
                            "--mode", mode, "-s", "1", "--warmup", "0",
                            "--interval", "0.25", "--no-events", "--json",
                            str(out)], capture_output=True, text=True)
    finally:
        nb.send_signal(signal.SIGINT)
        nb.communicate()
    assert p.returncode == 0, p.stderr
    doc = load_json(out)
    assert doc["tasks"][0]["cpu"] == mine
    marks = check_neighbours(doc)
    assert doc["shared"] is True and len(marks) == 1
    nbu = doc["stats"]["neighbours"]
    # the neighbour had most of the other CPU
    assert nbu["other_cpus"] > 0.5 and nbu["outside"] > BUSY_LIMIT
    assert doc["stats"]["cpu_busy"][theirs] > 0.5
    assert doc["stats"]["other_cpus"] == online_cpus() - 1
    assert "spin_work: shared:" in p.stderr
    assert summary_line(p.stdout).endswith("SHARED")
