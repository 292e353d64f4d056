# SPDX-License-Identifier: GPL-2.0-only
"""Modes, --until-ci, PMU, metrics, rlimits, will-it-scale test files."""
import os
import pathlib
import resource
import subprocess

import pytest

from conftest import ROOT, Runner, load_json
from wisout import parse


@pytest.mark.parametrize("mode", ["threads", "processes"])
@pytest.mark.parametrize("case", ["empty", "page_fault1", "page_fault2",
                                  "page_fault3", "spin_work"])
def test_every_task_counts(run_none, out, case, mode):
    run_none(case, "-t", 2, "-s", 0.4, "--warmup", 0, "--interval", 0.2,
             "--mode", mode, "--json", out, check=0)
    d = load_json(out)
    # (a pinned task may be starved for an interval on a busy machine:
    # count over the whole run)
    per_task = [sum(x) for x in zip(*(s["deltas"] for s in d["samples"]))]
    assert len(per_task) == 2 and all(x > 0 for x in per_task), per_task
    if case not in ("empty", "spin_work"):
        # one iteration is one page touched: faults follow iterations
        assert d["rusage"]["minor_faults"] > 0


def test_spin_work_scales_with_its_work(run_none, tmp_path):
    """cases/spin_work.c: the time of an iteration is proportional to
    `work` (the trust measurement injects +5 %/+10 % through it).  The
    CPU-time rate is compared, so a shared CPU does not matter; the bounds
    are wide (4x the work is 2.5x..6x the rate)."""
    rate = {}
    for w in (1000, 4000):
        out = tmp_path / f"w{w}.json"
        run_none("spin_work", "-s", 0.5, "--warmup", 0, "--interval", 0.25,
                 "--param", f"work={w}", "--json", out, check=0)
        d = load_json(out)
        assert d["params"]["work"] == str(w)
        rate[w] = d["stats"]["ops_per_cpu_sec"]
    assert 2.5 < rate[1000] / rate[4000] < 6, rate
    p = run_none("spin_work", "--param", "work=0", "-s", 1)
    assert p.returncode == 2 and "work" in p.stderr


def _ci_rel(values):
    from scipy import stats
    n = len(values)
    mean = sum(values) / n
    sd = (sum((v - mean) ** 2 for v in values) / (n - 1)) ** 0.5
    return stats.t.ppf(0.975, n - 1) * sd / n ** 0.5 / mean


def test_until_ci_stops_early(run_none, out):
    p = run_none("empty", "-s", 30, "--warmup", 0.2, "--interval", 0.1,
                 "--until-ci", 20, "--json", out, check=0)
    d = load_json(out)
    st = d["stats"]
    n = st["intervals"]
    assert 3 <= n < 300                 # stopped long before the -s cap
    assert len(parse(p.stdout)["measurement"]) == n
    per_task = [s["total"] / d["nr_task"] for s in d["samples"]
                if not s["warmup"]]
    # it stopped at the first interval where the 95 % CI half-width fell
    # below 20 % of the mean (t table vs scipy: 0.2 % slack)
    assert _ci_rel(per_task) * 100 < 20 * 1.002
    for k in range(3, n):
        assert _ci_rel(per_task[:k]) * 100 >= 20 * 0.998, k


def test_until_ci_is_capped_by_seconds(run_none, out):
    run_none("empty", "-s", 0.3, "--warmup", 0, "--interval", 0.1,
             "--until-ci", 1e-9, "--json", out, check=0)
    assert load_json(out)["stats"]["intervals"] == 3


def _has_hw_pmu():
    return pathlib.Path("/sys/bus/event_source/devices/cpu").exists()


def test_pmu_default_events_fall_back(run_none, out):
    run_none("page_fault3", "-t", 2, "-s", 0.3, "--warmup", 0, "--interval",
             0.1, "--json", out, check=0)
    ev = {e["name"]: e for e in load_json(out)["pmu"]["events"]}
    cycles, clock = ev["cycles"], ev["task-clock"]
    if _has_hw_pmu():
        assert cycles["status"] == "ok"
        return
    # this VM has no hardware PMU: cycles is refused, task-clock counts
    assert cycles["status"] == "unavailable"
    assert cycles["errno_name"] == "ENOENT" and "PMU" in cycles["reason"]
    for hw, sw in (("instructions", "context-switches"),
                   ("cache-misses", "cpu-migrations"),
                   ("branch-misses", "page-faults")):
        assert ev[hw]["errno_name"] == "ENOENT"
        assert ev[sw]["status"] == "ok" and ev[sw]["fallback"]
    assert clock["status"] == "ok" and clock["fallback"]
    assert all(v > 1e7 for v in clock["per_task"])     # > 10 ms each
    assert clock["value"] == pytest.approx(sum(clock["per_task"]))
    assert clock["time_running"] == clock["time_enabled"] > 0
    assert not clock["scaled"] and clock["per_op"] > 0
    assert ev["page-faults"]["value"] > 0


def test_pmu_explicit_events_and_none(run_none, out):
    run_none("empty", "-s", 0.1, "--warmup", 0, "--interval", 0.1,
             "--events", "perf::TASK-CLOCK,cycles", "--json", out, check=0)
    ev = load_json(out)["pmu"]["events"]
    assert [e["name"] for e in ev] == ["perf::TASK-CLOCK", "cycles"]
    assert ev[0]["status"] == "ok" and ev[0]["value"] > 0
    if not _has_hw_pmu():
        assert ev[1]["errno_name"] == "ENOENT"     # no fallback when explicit
    run_none("empty", "-s", 0.1, "--warmup", 0, "--interval", 0.1,
             "--no-events", "--json", out, check=0)
    assert load_json(out)["pmu"]["events"] == []


@pytest.mark.parametrize("mode", ["threads", "processes"])
def test_metrics_reach_the_json(run_test, out, mode):
    p = run_test("test_metrics", "-t", 2, "-s", 0.4, "--warmup", 0.2,
                 "--interval", 0.2, "--mode", mode, "--json", out, check=0)
    # the case returned on harness_should_stop(); cleanup ran after that
    assert "test_metrics: cleanup after stop=1" in p.stderr
    d = load_json(out)
    m = d["metrics"]
    lat, ops, peak = m["op_latency"], m["ops"], m["task_peak"]
    assert lat["kind"] == "latency" and lat["unit"] == "ns"
    assert all(c > 0 for c in lat["per_task"])
    assert lat["count"] == sum(lat["per_task"])
    assert lat["min"] <= lat["p10"] <= lat["p50"] <= lat["p90"] <= lat["p99"] <= lat["max"]
    assert lat["min"] <= lat["mean"] <= lat["max"]
    # each percentile's histogram bucket: at most 1/16 of its value wide
    assert set(lat["bucket_width"]) == {"p10", "p50", "p90", "p99"}
    for q, w in lat["bucket_width"].items():
        assert 1 <= w <= max(1, lat[q] / 8), (q, w, lat[q])
    assert ops["value"] == sum(ops["per_task"])
    # Records are kept only inside the measurement window, and the window
    # can open or close between the case's two harness_record() calls, so
    # each task's two counts may differ by one at each edge of the window.
    assert abs(ops["value"] - lat["count"]) <= 2 * 2
    # only the measurement window is recorded, not the warmup
    # (the window opens and closes between a task's record and its count,
    # so allow a sliver; the warmup alone would add half as much again)
    assert ops["value"] == pytest.approx(d["stats"]["iterations"], rel=0.03)
    assert peak["value"] == max(peak["per_task"]) > 0


def test_nofile_limit_raised_to_hard(run_test, out):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    low = min(64, hard)

    def lower():
        resource.setrlimit(resource.RLIMIT_NOFILE, (low, hard))
    run_test("test_metrics", "-s", 0.1, "--warmup", 0, "--interval", 0.1,
             "--json", out, check=0, preexec_fn=lower)
    assert load_json(out)["metrics"]["nofile_soft"]["value"] == hard


@pytest.mark.parametrize("mode", ["threads", "processes"])
def test_wis_style_file_builds_and_runs(tmp_path, mode):
    """harness/tests/cases/wis_compat_case.c is a will-it-scale test file
    (prepare, cleanup, nr, new_task): build it with the normal case
    mechanism into a fresh tree and run it."""
    build = tmp_path / "build"
    runner = build / "test/slabscale-run"
    exe = runner.parent / f"wis_compat_case_{mode}"
    subprocess.run(["make", "-s", "-j2", f"BUILD={build}", str(runner),
                    str(exe)], cwd=ROOT, check=True, capture_output=True,
                   timeout=300)
    out = tmp_path / "wis.json"
    p = Runner(runner)("wis_compat_case", "-t", 2, "-s", 0.4, "--warmup", 0,
                       "--interval", 0.2, "--mode", mode, "--json", out,
                       check=0)
    assert "wis_compat_case: cleanup ran for 2 tasks" in p.stderr
    d = load_json(out)
    assert d["description"] == "will-it-scale style ping-pong over pipes"
    per_task = [sum(x) for x in zip(*(s["deltas"] for s in d["samples"]))]
    assert all(x > 0 for x in per_task), per_task
    # its will-it-scale executable: a program of its own, with the case
    assert os.path.isfile(exe) and not os.path.islink(exe)
    p = subprocess.run([str(exe), "-h"], capture_output=True, text=True)
    assert p.returncode == 1 and p.stdout.startswith(f"Usage: {exe}")
