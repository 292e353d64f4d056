"""Disturbed runs, the CPU-time rate and repeats until the verdict settles
(disturbed runs): compare leaves disturbed runs out and counts them, ops_per_cpu_sec
is a higher-better metric next to per_thread_ops (diagnostic for wall-time
cases), the budgeted repeat loop of a sweep on the fake runner, and the
exit status of a sweep that stayed disturbed."""
import os
import re
import subprocess

import pytest

from conftest import REPO, fake_build
from slabscale_analysis import budget, compare, table
from slabscale_analysis.errors import EXIT_DISTURBED
from slabscale_analysis.results import (CPU_RATE, HIGHER, WALL_TIME_CASES,
                                        Run, diagnostic_metric)
from slabscale_analysis.synth import make_doc

SLABSCALE = os.path.join(REPO, "slabscale")


def runs(n, ops, variant, disturbed=False, case="page_fault3", **kw):
    return [Run(make_doc(case=case, variant=variant, disturbed=disturbed,
                         ops=ops * (1 + 0.002 * i), **kw), "%s%d" % (variant, i))
            for i in range(n)]


def metric(cmp, name):
    (g,) = cmp["groups"]
    return g, [m for m in g["metrics"] if m["metric"] == name][0]


def test_disturbed_runs_are_left_out_and_counted():
    # 5 quiet a side, plus 6 disturbed runs of the new side at half speed:
    # averaged in they would make a regression
    base = runs(5, 1e6, "a")
    new = runs(5, 1e6, "b") + runs(6, 5e5, "b", disturbed=True)
    cmp = compare.compare_sets(base, new)
    g, m = metric(cmp, "per_thread_ops")
    assert m["verdict"] == "no change" and m["new"]["n"] == 5
    assert g["disturbed"] == {"base": 0, "new": 6}
    assert g["excluded"]["new"] == {"disturbed": 6}
    assert cmp["disturbed_runs"] == 6
    text = table.render(cmp)
    assert "disturbed: base 0, new 6 (left out of the verdicts)" in text
    assert "new: 6 disturbed" in text
    inc = compare.compare_sets(base, new, include_disturbed=True)
    g, m = metric(inc, "per_thread_ops")
    assert m["new"]["n"] == 11 and m["change"] < -0.4     # averaged in
    assert g["disturbed"] == {"base": 0, "new": 6}
    assert "averaged in" in table.render(inc)
    assert any("averaged in (--include-disturbed)" in n for n in inc["notes"])


def test_every_run_disturbed_says_so():
    cmp = compare.compare_sets(runs(3, 1e6, "a", disturbed=True),
                               runs(3, 1e6, "b"))
    _, m = metric(cmp, "per_thread_ops")
    assert m["verdict"] == "inconclusive" and m["all_disturbed"]
    assert "every run of a side disturbed" in table.render(cmp)


def test_all_disturbed_both_sides_decides_the_cpu_rate_only():
    """A machine shared for the whole comparison (a hog beside every run):
    no quiet run to protect, so the CPU-time rate of a CPU-bound case is
    decided over the disturbed runs and says so; per_thread_ops (half
    of the wall time went to the hog) still is not."""
    base = runs(5, 5e5, "a", disturbed=True, cpu_share=0.5)
    new = runs(5, 4.5e5, "b", disturbed=True, cpu_share=0.5)   # 10 % less work done
    cmp = compare.compare_sets(base, new)
    _, ops = metric(cmp, "per_thread_ops")
    assert ops["verdict"] == "inconclusive" and ops["all_disturbed"]
    _, cpu = metric(cmp, CPU_RATE)
    assert cpu["verdict"] == "regression" and cpu["cpu_rate_over_disturbed"]
    assert cpu["base"]["n"] == 5 and cpu["new"]["n"] == 5
    assert "every run disturbed: CPU-time rate over them" in table.render(cmp)
    assert compare.regressions(cmp)
    # one side with quiet runs: nothing is decided over disturbed ones
    mixed = compare.compare_sets(runs(5, 1e6, "a", cpu_share=1.0), new)
    _, cpu = metric(mixed, CPU_RATE)
    assert cpu["verdict"] == "inconclusive" and cpu["all_disturbed"]
    assert not cpu.get("cpu_rate_over_disturbed")
    # a wall-time case: its CPU rate is diagnostic, never decided this way
    wall = compare.compare_sets(
        runs(5, 5e5, "a", case="kvfree_rcu_barrier", disturbed=True,
             cpu_share=0.5),
        runs(5, 4.5e5, "b", case="kvfree_rcu_barrier", disturbed=True,
             cpu_share=0.5))
    _, cpu = metric(wall, CPU_RATE)
    assert not cpu.get("cpu_rate_over_disturbed")


def test_cpu_rate_is_higher_better_next_to_per_thread_ops():
    # same wall-time rate, but the new runs needed more CPU per op
    base = runs(5, 1e6, "a", cpu_share=0.5)
    new = runs(5, 1e6, "b", cpu_share=0.6)
    assert base[0].metrics()[CPU_RATE] == (pytest.approx(2e6), HIGHER)
    cmp = compare.compare_sets(base, new)
    g, m = metric(cmp, CPU_RATE)
    assert [x["metric"] for x in g["metrics"]][:2] == ["per_thread_ops",
                                                      CPU_RATE]
    assert m["verdict"] == "regression" and m["better"] == HIGHER
    assert metric(cmp, "per_thread_ops")[1]["verdict"] == "no change"
    assert not diagnostic_metric(CPU_RATE, "page_fault3")


def test_cpu_rate_of_a_wall_time_case_is_diagnostic():
    assert diagnostic_metric(CPU_RATE, "kvfree_rcu_barrier")
    cmp = compare.compare_sets(
        runs(5, 1e6, "a", case="kvfree_rcu_barrier", cpu_share=0.5),
        runs(5, 1e6, "b", case="kvfree_rcu_barrier", cpu_share=0.6))
    _, m = metric(cmp, CPU_RATE)
    assert m["verdict"] == "regression" and m["wall_time_case"]
    # diagnostic rows are hidden by default and shown with --all
    assert "[wall-time case: diagnostic]" not in table.render(cmp)
    assert "[wall-time case: diagnostic]" in table.render(cmp, show_all=True)


def test_cases_readme_names_the_wall_time_cases():
    text = open(os.path.join(REPO, "cases", "README.md")).read()
    sec = text.split("## Which rate applies", 1)[1].split("\n## ", 1)[0]
    rows = re.findall(r"^\| `([a-z0-9_]+)` \| (wall time|CPU time)",
                      sec, re.M)
    assert rows
    assert {c for c, kind in rows if kind == "wall time"} == \
        set(WALL_TIME_CASES)


def group(case, verdict, disturbed=0, metric="per_thread_ops"):
    return {"case": case, "mode": "threads", "nr_task": 1,
            "disturbed": {"base": disturbed, "new": 0},
            "metrics": [{"metric": metric, "verdict": verdict,
                         "better": HIGHER},
                        {"metric": "pmu.cycles.per_op",
                         "verdict": "inconclusive", "better": "lower"}]}


def test_unsettled_rows_are_inconclusive_gating_rows():
    cmp = [{"groups": [group("a", "no change"), group("b", "inconclusive"),
                       group("c", "regression", disturbed=2),
                       group("d", "inconclusive", disturbed=1)]}]
    # a's PMU row is inconclusive, but PMU rows never gate
    assert budget.unsettled_rows(cmp) == [("b", "threads", 1),
                                          ("d", "threads", 1)]
    assert budget.disturbed_rows(cmp) == [("d", "threads", 1)]


def test_next_specs_interleave_and_continue_the_repeats():
    m = {"plan": {"variants": ["x", "y"]},
         "runs": [{"case": "a", "mode": "threads", "nr_task": 1,
                   "repeat": r, "variant": v} for r in range(3)
                  for v in "xy"]}
    specs = budget.next_specs(m, [("a", "threads", 1), ("b", "threads", 2)])
    assert [(s["variant"], s["case"], s["repeat"]) for s in specs] == [
        ("x", "a", 3), ("y", "a", 3), ("x", "b", 0), ("y", "b", 0)]
    assert all(s["extra"] for s in specs)
    assert budget.fits({"added": 8}, {"runs": 10}, 2)
    assert not budget.fits({"added": 9}, {"runs": 10}, 2)
    assert budget.spent({"added": 10}, {"runs": 10}, 0)
    assert budget.spent({"added": 0}, {"seconds": 5}, 6)
    assert not budget.spent({"added": 0}, {"runs": None, "seconds": 5}, 1)


@pytest.fixture
def env(tmp_path):
    return tmp_path, fake_build(tmp_path, ("old", "new"))


def sweep(e, *args, **extra):
    return subprocess.run(
        [SLABSCALE, "sweep", "-s", "1", "--warmup", "0", "--no-report",
         "--variants", "old,new", "--cases", "page_fault3", "-t", "1",
         "--repeats", "3"] + list(args), capture_output=True, text=True,
        env=dict(e, **extra), timeout=600)


def order(tmp):
    return [l.split()[0] for l in (tmp / "log").read_text().splitlines()]


def test_budget_repeats_an_inconclusive_row_until_it_settles(env):
    # -20 %: 2 rounds cannot be decided (paired: fewer than 3 complete
    # rounds; unpaired: fewer than 3 runs a side)
    tmp, e = env
    p = sweep(e, "--repeats", "2", "--budget", "10",
              FAKE_OPS='{"new": 8e5}')
    assert p.returncode == 1, p.stderr
    runs_ = order(tmp)
    assert runs_ == ["old", "new"] * (len(runs_) // 2)    # interleaved
    assert 4 < len(runs_) <= 14
    added = len(runs_) - 4
    assert "budget: %d run(s) added" % added in p.stderr
    assert "budget: every row settled" in p.stderr
    # the runs each verdict took stand once, in the row's header
    n = len(runs_) // 2
    assert re.search(r"== page_fault3 t=1 · %d\+%d runs, budget: \+%d, "
                     r"settled\n" % (n, n, added), p.stderr), p.stderr
    assert re.search(r"\* per_thread_ops \(ops/s\) .* regression\n",
                     p.stderr), p.stderr


def test_without_budget_the_row_stays_inconclusive(env):
    tmp, e = env
    p = sweep(e, "--repeats", "2", FAKE_OPS='{"new": 8e5}')
    assert p.returncode == 0, p.stderr
    assert len(order(tmp)) == 4 and "budget:" not in p.stderr
    assert "inconclusive" in p.stderr


def test_budget_runs_past_disturbed_runs(env):
    # the first 6 runs (the plan's) are disturbed, later ones quiet
    tmp, e = env
    p = sweep(e, "--budget", "20", FAKE_DISTURBED="6")
    assert p.returncode == 0, p.stderr
    n = len(order(tmp))
    assert 6 < n <= 26
    assert "; 6 of the ok runs disturbed (left out of the verdicts" \
        in p.stderr
    assert "%d+%d runs, disturbed: base 3, new 3 (left out of the " \
        "verdicts), budget: +%d, settled (%d+%d counted)" % (
            n // 2, n // 2, n - 6, n // 2 - 3, n // 2 - 3) in p.stderr, \
        p.stderr
    assert re.search(r"\* per_thread_ops \(ops/s\) .* no change\n",
                     p.stderr), p.stderr


def test_sweep_that_stays_disturbed_exits_4(env):
    tmp, e = env
    p = sweep(e, "--budget", "4", FAKE_DISTURBED="all")
    assert p.returncode == EXIT_DISTURBED == 4, p.stderr
    assert len(order(tmp)) == 10        # the budget was spent on repeats
    assert "sweep: DISTURBED: 1 row(s) stayed disturbed" in p.stderr
    assert "page_fault3 threads t=1" in p.stderr
    assert "stayed disturbed" in p.stderr
    assert "regression" not in p.stderr
    # the same runs, averaged in on request: a verdict and exit 0
    p = subprocess.run([SLABSCALE, "report", "latest"], env=e,
                       capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stderr
    p = subprocess.run([SLABSCALE, "compare", "old", "new",
                        "--include-disturbed"], env=e, capture_output=True,
                       text=True, timeout=300)
    assert p.returncode == 0, p.stderr
    assert "averaged in" in p.stdout and "no change" in p.stdout


def test_disturbed_sweep_without_budget_exits_4(env):
    tmp, e = env
    p = sweep(e, FAKE_DISTURBED="all")
    assert p.returncode == 4, p.stderr
    assert len(order(tmp)) == 6
    p = sweep(e, "--include-disturbed", FAKE_DISTURBED="all")
    assert p.returncode == 0, p.stderr
