# SPDX-License-Identifier: GPL-2.0-only
"""CPU share, runqueue wait and the disturbed mark (harness/src/disturb.c).

A quiet run is not required to come out unmarked (the machine is shared),
but its figures must be present and consistent; a run beside a CPU hog
pinned on the task's CPU must be marked disturbed; the wait that the
run's own other threads explain (others_share) does not count."""
import os
import pathlib
import subprocess
import sys

import pytest

from conftest import BUILD, load_json

THRESHOLD = 0.05


def check_consistent(doc):
    st = doc["stats"]
    nr = doc["nr_task"]
    for k in ("cpu_share", "wait_share", "max_wait_share"):
        assert 0 <= st[k] <= 1, (k, st[k])
    assert st["ops_per_cpu_sec"] > 0
    # on-CPU time <= wall time, so the CPU-time rate is at least the
    # wall-time rate (less a scheduler tick of skew at each end)
    assert st["ops_per_cpu_sec"] >= 0.95 * st["per_task_ops"]
    for t in doc["tasks"]:
        assert 0 <= t["cpu_share"] <= 1 and 0 <= t["wait_share"] <= 1
        assert t["ops_per_cpu_sec"] > 0
        assert t["involuntary_switches"] >= 0 and t["migrations"] >= 0
    worst = 0
    bad = 0
    for s in doc["samples"]:
        assert len(s["cpu_share"]) == nr and len(s["wait_share"]) == nr
        assert len(s["others_share"]) == nr
        assert all(0 <= v <= 1 for v in
                   s["cpu_share"] + s["wait_share"] + s["others_share"])
        if not s["warmup"] and not s["excluded"]:
            # the wait the run's own threads do not explain (shares are
            # clamped to 1 and rounded in the JSON: a small tolerance)
            foreign = [max(0.0, w - o) for w, o in
                       zip(s["wait_share"], s["others_share"])]
            worst = max([worst] + foreign)
            bad += max(foreign) > THRESHOLD
    assert abs(worst - st["max_wait_share"]) < 1e-6
    assert st["disturbed_intervals"] == bad
    marks = [m for m in doc["marks"] if m["reason"] == "disturbed"]
    assert doc["disturbed"] == (bad > 0) == bool(marks)
    return marks


@pytest.mark.parametrize("mode,nr", [("threads", 1), ("processes", 2)])
def test_quiet_run_has_consistent_shares(run_none, out, mode, nr):
    p = run_none("empty", "-t", nr, "--mode", mode, "-s", 1, "--warmup", 0,
                 "--interval", 0.25, "--json", out, check=0)
    doc = load_json(out)
    check_consistent(doc)
    line = [l for l in p.stdout.splitlines() if l.startswith("cpu_share:")]
    assert len(line) == 1 and "ops_per_cpu_sec:" in line[0]
    assert ("DISTURBED" in line[0]) == doc["disturbed"]


def test_wis_executable_prints_no_share(build_dir):
    p = subprocess.run([str(build_dir / "none/empty_threads"), "-t", "1",
                        "-s", "1"], capture_output=True, text=True,
                       timeout=120)
    assert p.returncode == 0, p.stderr
    assert "cpu_share" not in p.stdout + p.stderr
    assert "disturbed" not in p.stdout + p.stderr


@pytest.mark.parametrize("mode", ["threads", "processes"])
def test_run_beside_pinned_hog_is_disturbed(run_none, out, mode):
    cpu = min(os.sched_getaffinity(0))
    hog = subprocess.Popen(["taskset", "-c", str(cpu), sys.executable, "-c",
                            "while True: pass"])
    try:
        p = subprocess.run(["taskset", "-c", str(cpu),
                            str(BUILD / "none/slabscale-run"), "empty",
                            "--mode", mode, "-s", "1", "--warmup", "0",
                            "--interval", "0.25", "--json", str(out)],
                           capture_output=True, text=True, timeout=300)
    finally:
        hog.kill()
        hog.wait()
    assert p.returncode == 0, p.stderr
    doc = load_json(out)
    assert doc["tasks"][0]["cpu"] == cpu
    marks = check_consistent(doc)
    assert doc["disturbed"] is True
    (m,) = marks
    assert m["threshold"] == THRESHOLD
    assert m["max_wait_share"] > THRESHOLD and m["task"] == 0
    assert 1 <= m["intervals"] <= m["of"] == doc["stats"]["intervals"]
    # sharing one CPU with one hog: roughly half of it each
    assert doc["stats"]["cpu_share"] < 0.8
    assert doc["stats"]["wait_share"] > 0.2
    assert "empty: disturbed: in" in p.stderr
    assert "DISTURBED" in p.stdout


def test_own_threads_wait_is_not_disturbance(build_dir, tmp_path):
    """kvfree_rcu_barrier's barrier thread and the allocator's RCU workers
    share the task's CPU: the task waits for them (a fifth of each
    interval here), which is the case's own work, and their CPU time is
    reported as others_share and taken off before the threshold."""
    # the newest variant's runner, beside the sanitized one make check
    # names (build/<newest>/san-asan/slabscale-run)
    san = os.environ.get("SLABSCALE_SAN_RUNNER")
    runner = (pathlib.Path(san).parent.parent if san
              else build_dir / "sheaves-all") / "slabscale-run"
    if not runner.exists():
        pytest.fail("make check builds %s" % runner)
    out = tmp_path / "kv.json"
    subprocess.run([str(runner), "kvfree_rcu_barrier", "-t", "1", "-s", "2",
                    "--warmup", "1", "--interval", "0.5", "--json", str(out)],
                   check=True, capture_output=True, timeout=300)
    doc = load_json(out)
    check_consistent(doc)
    measured = [s for s in doc["samples"] if not s["warmup"]]
    # the helpers did run, and the raw wait is at least partly theirs
    assert max(s["others_share"][0] for s in measured) > 0.01
