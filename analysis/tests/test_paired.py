"""Interleaved rounds compared as pairs (significance.compare_rounds), shared runs
counted, and the budget serving shared rows first.

The runs of one round of a sweep ran back to back, so they saw the same
neighbours: a per-round shift (a benchmark on the other CPU for a while)
moves both sides of a round alike and leaves their ratio.  The paired
test must find a change that shift hides from the unpaired test, keep
its false-alarm rate, and pair only complete rounds."""
import json
import math
import os
import subprocess

import numpy as np

from conftest import REPO, fake_build
from slabscale_analysis import budget, compare, significance, table
from slabscale_analysis.results import Run
from slabscale_analysis.synth import make_doc

SLABSCALE = os.path.join(REPO, "slabscale")


def synthetic_rounds(rng, n, change, shift_sd=0.20, noise_sd=0.01):
    """n rounds of (base, new): a shared log-normal per-round shift
    (the neighbours of that round) and independent run noise."""
    shift = np.exp(rng.normal(0, shift_sd, n))
    base = 1e5 * shift * np.exp(rng.normal(0, noise_sd, n))
    new = 1e5 * (1 + change) * shift * np.exp(rng.normal(0, noise_sd, n))
    return ([(i, float(v)) for i, v in enumerate(base)],
            [(i, float(v)) for i, v in enumerate(new)])


def test_paired_finds_what_the_shift_hides_from_the_unpaired_test():
    rng = np.random.default_rng(7)
    base, new = synthetic_rounds(rng, 5, -0.10)
    res = significance.compare_rounds(base, new)
    assert res["paired"] and res["rounds"] == {"complete": 5,
                                               "incomplete": 0}
    assert res["verdict"] == significance.REGRESSION
    assert -0.12 < res["change"] < -0.08
    assert res["ci"][0] < res["change"] < res["ci"][1] < 0
    # the same values unpaired: the 20 % shift swamps the 10 % change
    assert res["unpaired"]["verdict"] == significance.INCONCLUSIVE
    un = significance.compare_samples([v for _, v in base], [v for _, v in new])
    assert un["verdict"] == significance.INCONCLUSIVE
    assert "paired over 5 complete round(s)" in res["reason"]


def test_paired_power_and_false_alarms_over_many_trials():
    """200 trials of 5 rounds each, shift SD 20 %, run noise 1 %: the
    paired test finds -10 % nearly always where the unpaired one mostly
    cannot; on A/A its p <= 0.05 about 5 % of the time (the t-test's
    nominal rate) and it never calls a regression or improvement."""
    rng = np.random.default_rng(11)
    found = unfound = alarms = sig = 0
    trials = 200
    for _ in range(trials):
        base, new = synthetic_rounds(rng, 5, -0.10)
        res = significance.compare_rounds(base, new)
        found += res["verdict"] == significance.REGRESSION
        unfound += res["unpaired"]["verdict"] == significance.REGRESSION
        base, new = synthetic_rounds(rng, 5, 0.0)
        res = significance.compare_rounds(base, new)
        alarms += res["verdict"] in (significance.REGRESSION, significance.IMPROVEMENT)
        sig += res["p"] <= significance.ALPHA
    assert found >= 0.95 * trials
    assert unfound <= 0.5 * trials
    assert alarms == 0
    assert 0.01 * trials <= sig <= 0.10 * trials


def test_t_test_level_under_heavy_tails():
    """A neighbour that comes and goes within a round: one run of the pair
    slowed by 30 %, the other not, in 1 round of 5 on average.  The
    t-test on log-ratios stays at or below its nominal level."""
    rng = np.random.default_rng(3)
    sig = 0
    trials = 400
    for _ in range(trials):
        base, new = synthetic_rounds(rng, 5, 0.0)
        new = [(r, v * (0.7 if rng.random() < 0.1 else 1.0)) for r, v in new]
        base = [(r, v * (0.7 if rng.random() < 0.1 else 1.0))
                for r, v in base]
        sig += significance.compare_rounds(base, new)["p"] <= significance.ALPHA
    assert sig <= 0.07 * trials


def test_incomplete_rounds_are_left_out_and_counted():
    rng = np.random.default_rng(5)
    base, new = synthetic_rounds(rng, 6, -0.10)
    new = [x for x in new if x[0] != 2]          # the new run of round 2 failed
    base = [x for x in base if x[0] != 4]        # a base run was disturbed
    res = significance.compare_rounds(base, new)
    assert res["paired"] and res["rounds"] == {"complete": 4,
                                               "incomplete": 2}
    assert "4 complete round(s) (2 incomplete left out)" in res["reason"]
    # every value is still summarised (the table's medians)
    assert res["base"]["n"] == 5 and res["new"]["n"] == 5


def test_falls_back_to_unpaired_and_says_why():
    vals = [1e5, 1.01e5, 0.99e5, 1e5, 1.02e5]
    # runs of no round (a directory of runs): not interleaved
    res = significance.compare_rounds([(None, v) for v in vals],
                               [(None, 0.9 * v) for v in vals])
    assert not res["paired"] and res["unpaired_why"] == \
        "runs not interleaved"
    assert res["verdict"] == significance.REGRESSION      # the unpaired verdict
    # two sweeps (vs the previous sweep): their rounds never match
    res = significance.compare_rounds([(("s1", i), v) for i, v in enumerate(vals)],
                               [(("s2", i), v) for i, v in enumerate(vals)])
    assert not res["paired"] and res["rounds"]["complete"] == 0
    # 2 complete rounds of 5: too few to pair
    res = significance.compare_rounds([(i, v) for i, v in enumerate(vals)],
                               [(i if i < 2 else None, v)
                                for i, v in enumerate(vals)])
    assert not res["paired"] and "2 complete round(s)" in \
        res["unpaired_why"]
    # a counter that is 0 in some rounds has no log-ratio
    res = significance.compare_rounds([(i, v) for i, v in enumerate([0, 1, 2])],
                               [(i, v) for i, v in enumerate([1, 1, 2])])
    assert not res["paired"]


def test_identical_ratios_and_identical_values():
    base = [(i, 1e5 * (1 + 0.1 * i)) for i in range(5)]
    same = significance.compare_rounds(base, base)
    assert same["paired"] and same["verdict"] == significance.NO_CHANGE
    assert same["change"] == 0 and same["p"] == 1.0
    down = significance.compare_rounds(base, [(r, 0.8 * v) for r, v in base])
    assert down["verdict"] == significance.REGRESSION
    assert math.isclose(down["change"], -0.2)


def test_runs_needed_paired_grows_with_the_spread():
    assert significance.runs_needed_paired(0.0, 0.05) == significance.MIN_EXACT_RUNS
    assert significance.runs_needed_paired(0.10, 0.05) > \
        significance.runs_needed_paired(0.05, 0.05) > significance.MIN_EXACT_RUNS


def rounds_of(variant, ops, shifts, shared=False, sweep="s1"):
    out = []
    for i, f in enumerate(shifts):
        r = Run(make_doc(variant=variant, ops=ops * f, shared=shared),
                "%s%d" % (variant, i))
        r.round = (sweep, i)
        out.append(r)
    return out


def test_compare_sets_pairs_rounds_and_counts_shared_runs():
    shifts = [1.0, 0.7, 0.95, 0.72, 1.02]       # a neighbour in rounds 1, 3
    base = rounds_of("a", 1e6, shifts, shared=True)
    new = rounds_of("b", 0.9e6, shifts, shared=True)
    cmp = compare.compare_sets(base, new)
    (g,) = cmp["groups"]
    m = [m for m in g["metrics"] if m["metric"] == "per_thread_ops"][0]
    assert m["paired"] and m["verdict"] == significance.REGRESSION
    assert m["shared_runs"] == 10
    assert g["shared"] == {"base": 5, "new": 5} and cmp["shared_runs"] == 10
    text = table.render(cmp)
    assert "shared runs: base 5, new 5" in text
    assert "paired over 5 complete round(s)" in text
    assert "regression [10 shared]" in text
    # shared runs are kept in the verdict (not left out as disturbed)
    assert m["base"]["n"] == m["new"]["n"] == 5


def test_budget_serves_shared_rows_first():
    def comparison(case, shared):
        return {"groups": [{
            "case": case, "mode": "threads", "nr_task": 1,
            "shared": {"base": shared, "new": shared},
            "disturbed": {"base": 0, "new": 0},
            "metrics": [{"metric": "per_thread_ops",
                         "verdict": significance.INCONCLUSIVE}]}]}
    cmps = [comparison("a_quiet", 0), comparison("b_shared", 3),
            comparison("c_most_shared", 5)]
    assert budget.unsettled_rows(cmps) == [
        ("c_most_shared", "threads", 1), ("b_shared", "threads", 1),
        ("a_quiet", "threads", 1)]


def test_sweep_pairs_complete_rounds_and_says_so(tmp_path):
    """The first run of the sweep (old, round 0) is disturbed: round 0 is
    incomplete; the other 4 are paired, and the table says so."""
    env = fake_build(tmp_path, ("old", "new"))
    p = subprocess.run(
        [SLABSCALE, "sweep", "-s", "1", "--warmup", "0", "--variants",
         "old,new", "--cases", "page_fault3", "-t", "1", "--repeats", "5",
         "--no-report"], capture_output=True, text=True,
        env=dict(env, FAKE_DISTURBED="1", FAKE_SHARED="all",
                 FAKE_OPS='{"new": 8e5}'))
    assert p.returncode == 1, p.stderr       # the -20 % regression
    assert "paired over 4 complete round(s), 1 incomplete left out" in \
        p.stderr
    assert "shared runs: base 5, new 5" in p.stderr
    (cpath,) = [os.path.join(d, "compare.json")
                for d, _, files in os.walk(tmp_path)
                if "compare.json" in files]
    with open(cpath) as f:
        an = json.load(f)
    (g,) = an["vs_baseline"][0]["groups"]
    m = [m for m in g["metrics"] if m["metric"] == "per_thread_ops"][0]
    assert m["paired"] and m["rounds"] == {"complete": 4, "incomplete": 1}
    assert m["verdict"] == significance.REGRESSION and m["shared_runs"] == 9
