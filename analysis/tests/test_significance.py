"""Statistics against known answers (docs/statistics.md)."""
import numpy as np

from slabscale_analysis import significance
from slabscale_analysis.results import HIGHER, LOWER


def noisy(n, level, rel_noise, seed):
    rng = np.random.default_rng(seed)
    return list(level * (1 + rel_noise * rng.standard_normal(n)))


def test_identical_inputs_no_change():
    a = noisy(5, 1e6, 0.02, 1)
    r = significance.compare_samples(a, list(a), HIGHER)
    assert r["verdict"] == significance.NO_CHANGE
    assert r["change"] == 0
    assert r["p"] == 1.0


def test_constant_identical_inputs_no_change():
    r = significance.compare_samples([5.0] * 3, [5.0] * 3, HIGHER)
    assert r["verdict"] == significance.NO_CHANGE


def test_ten_percent_drop_five_runs_two_percent_noise_is_regression():
    for seed in range(5):
        a = noisy(5, 1e6, 0.02, seed)
        b = noisy(5, 0.9e6, 0.02, seed + 100)
        r = significance.compare_samples(a, b, HIGHER)
        assert r["verdict"] == significance.REGRESSION, (seed, r)
        assert r["p"] <= 0.01
        assert r["ci"][1] < 0
        assert -0.15 < r["change"] < -0.05


def test_direction_of_better_lower_is_better_latency():
    a = noisy(5, 100.0, 0.02, 3)
    b = noisy(5, 90.0, 0.02, 4)
    assert significance.compare_samples(a, b, LOWER)["verdict"] == significance.IMPROVEMENT
    assert significance.compare_samples(b, a, LOWER)["verdict"] == significance.REGRESSION
    assert significance.compare_samples(a, b, HIGHER)["verdict"] == significance.REGRESSION
    assert significance.compare_samples(a, b, None)["verdict"] == significance.CHANGED


def test_three_runs_six_percent_noise_three_percent_shift_inconclusive():
    for seed in range(5):
        a = noisy(3, 1e6, 0.06, seed)
        b = noisy(3, 0.97e6, 0.06, seed + 50)
        r = significance.compare_samples(a, b, HIGHER)
        assert r["verdict"] == significance.INCONCLUSIVE, (seed, r)
        assert r["more_runs"] >= 1


def test_significant_but_tiny_change_is_no_change():
    a = [1000.0, 1000.5, 1001.0, 999.5, 1000.2, 1000.1, 999.9, 1000.3]
    b = [x * 0.997 for x in a]
    r = significance.compare_samples(a, b, HIGHER)
    assert r["p"] < 0.05
    assert r["verdict"] == significance.NO_CHANGE


def test_fewer_than_three_runs_inconclusive():
    r = significance.compare_samples([1.0, 1.1], [2.0, 2.1], HIGHER)
    assert r["verdict"] == significance.INCONCLUSIVE
    assert r["more_runs"] >= 1


def test_empty_side_inconclusive():
    r = significance.compare_samples([], [1.0, 2.0, 3.0], HIGHER)
    assert r["verdict"] == significance.INCONCLUSIVE
    assert "no successful runs" in r["reason"]


def test_exact_mann_whitney_small_n():
    # completely separated samples: exact two-sided p = 2 / C(10, 5)
    p = significance.mannwhitney_p([1, 2, 3, 4, 5], [6, 7, 8, 9, 10])
    assert abs(p - 2 / 252) < 1e-9


def test_bootstrap_is_deterministic():
    a, b = noisy(5, 10, 0.05, 1), noisy(5, 11, 0.05, 2)
    assert significance.bootstrap_ratio_ci(a, b) == significance.bootstrap_ratio_ci(a, b)


def test_runs_needed_grows_with_noise():
    assert significance.runs_needed(0.06, 0.05) > significance.runs_needed(0.02, 0.05)
    assert significance.runs_needed(0.0, 0.05) == significance.MIN_EXACT_RUNS


def test_all_zero_is_no_change():
    r = significance.compare_samples([0.0] * 3, [0.0] * 3, HIGHER)
    assert r["verdict"] == significance.NO_CHANGE


def test_a_counter_appearing_from_zero_is_a_change():
    """All base runs 0, all new runs above: MWU p < 0.01 at n = 5,
    so a lower-is-better counter (a lock now taken) regressed, a metric
    without direction changed; too few runs or overlap stays open."""
    base, new = [0.0] * 5, [0.004, 0.006, 0.005, 0.007, 0.006]
    r = significance.compare_samples(base, new, LOWER)
    assert r["verdict"] == significance.REGRESSION and r["change"] is None
    assert r["from_zero"] and r["p"] < 0.01
    assert significance.compare_samples(base, new, None)["verdict"] == significance.CHANGED
    assert significance.compare_samples(base, new, HIGHER)["verdict"] == \
        significance.IMPROVEMENT
    # the new side mostly 0 too: not told apart
    r = significance.compare_samples(base, [0.0, 0.0, 0.0, 0.001, 0.0], LOWER)
    assert r["verdict"] == significance.INCONCLUSIVE
    r = significance.compare_samples([0.0] * 2, [1.0] * 2, LOWER)
    assert r["verdict"] == significance.INCONCLUSIVE
