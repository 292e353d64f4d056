"""bisect between variants on synthetic measurements."""
import numpy as np
import pytest

from slabscale_analysis import bisect
from slabscale_analysis.errors import UserError

VARIANTS = ["v0", "v1", "v2", "v3", "v4", "v5", "v6"]


def synthetic(levels, noise=0.02, seed=0):
    rng = np.random.default_rng(seed)
    calls = []

    def measure(v, n):
        calls.append((v, n))
        return list(levels[v] * (1 + noise * rng.standard_normal(n)))
    return measure, calls


@pytest.mark.parametrize("first_bad", ["v1", "v3", "v4", "v6"])
def test_finds_first_bad_variant(first_bad):
    k = VARIANTS.index(first_bad)
    levels = {v: (1e6 if i < k else 0.85e6) for i, v in enumerate(VARIANTS)}
    measure, calls = synthetic(levels)
    res = bisect.bisect_variants(VARIANTS, "v0", "v6", measure)
    assert res["first_bad"] == first_bad
    assert res["last_good"] == VARIANTS[k - 1]
    assert res["evidence"]["verdict"] == "regression"
    # binary search: not every variant is measured
    assert len({v for v, _ in calls}) <= 5
    assert "first bad variant: %s" % first_bad in bisect.render(
        res, "per_thread_ops")


def test_refuses_when_endpoints_do_not_differ():
    levels = {v: 1e6 for v in VARIANTS}
    measure, calls = synthetic(levels)
    res = bisect.bisect_variants(VARIANTS, "v0", "v6", measure, cap=10)
    assert res["first_bad"] is None
    assert res["verdict"].startswith("not bisectable: the endpoints")
    assert {v for v, _ in calls} == {"v0", "v6"}


def test_improvement_is_not_bisected():
    levels = {v: (1e6 if i < 3 else 1.2e6) for i, v in enumerate(VARIANTS)}
    measure, _ = synthetic(levels)
    res = bisect.bisect_variants(VARIANTS, "v0", "v6", measure)
    assert res["first_bad"] is None
    # said as what it is, not as "no difference"
    assert "differ the other way: v6 is better than v0" in res["verdict"]
    assert "do not differ" not in res["verdict"]


def test_no_change_is_said_as_such():
    levels = {v: 1e6 for v in VARIANTS}
    measure, _ = synthetic(levels)
    res = bisect.bisect_variants(VARIANTS, "v0", "v6", measure)
    assert res["first_bad"] is None
    assert "do not differ significantly" in res["verdict"]


def test_inconclusive_doubles_repeats_up_to_cap():
    # 4 % shift in 6 % noise: 3 runs cannot tell; more runs are asked for
    levels = {v: (1e6 if i < 2 else 0.9e6) for i, v in enumerate(VARIANTS)}
    measure, calls = synthetic(levels, noise=0.06, seed=3)
    res = bisect.bisect_variants(VARIANTS, "v0", "v6", measure, start=3,
                                 cap=24)
    v0_total = sum(n for v, n in calls if v == "v0")
    assert v0_total > 3
    assert v0_total <= 24
    assert res["first_bad"] in ("v2", None)


def test_bad_arguments():
    measure, _ = synthetic({v: 1.0 for v in VARIANTS})
    with pytest.raises(UserError, match="must come before"):
        bisect.bisect_variants(VARIANTS, "v4", "v2", measure)
    with pytest.raises(UserError, match="not in the variants list"):
        bisect.bisect_variants(VARIANTS, "v0", "zz", measure)


def test_pairs_are_interleaved():
    levels = {v: (1e6 if i < 3 else 0.85e6) for i, v in enumerate(VARIANTS)}
    measure, calls = synthetic(levels)
    bisect.bisect_variants(VARIANTS, "v0", "v6", measure)
    # the endpoints are measured A B A B ..., one run at a time
    first = [v for v, _ in calls[:10]]
    assert first == ["v0", "v6"] * 5
    assert all(n == 1 for _, n in calls)


def test_midpoint_decision_table():
    D, S, U = bisect.DIFFERENT, bisect.SAME, bisect.UNKNOWN
    assert bisect.classify_mid(D, S) == ("bad", None)
    assert bisect.classify_mid(D, U) == ("bad", "clear side")
    assert bisect.classify_mid(D, D) == ("bad", "spread")
    assert bisect.classify_mid(S, D) == ("good", None)
    assert bisect.classify_mid(U, D) == ("good", "clear side")
    assert bisect.classify_mid(S, U) == ("good", "clear side")
    assert bisect.classify_mid(U, S) == ("bad", "clear side")
    assert bisect.classify_mid(S, S) == (None, None)
    assert bisect.classify_mid(U, U) == (None, None)


def test_middle_spread_over_both_ends_is_not_bisectable():
    # the middle variant spreads over both ends: told apart from neither
    fixed = {"a": [100, 101, 99, 100.5, 99.5],
             "b": [70, 110, 90, 95, 85],
             "c": [80, 81, 79, 80.5, 79.5]}

    given = {v: 0 for v in fixed}

    def measure(v, n):
        k = given[v]
        given[v] += n
        return [float(x) for x in fixed[v][k:k + n]]
    res = bisect.bisect_variants(["a", "b", "c"], "a", "c", measure,
                                 start=5, cap=5)
    assert res["first_bad"] is None
    assert res["verdict"].startswith("not bisectable: the signal fades at b")


def test_signal_fading_in_the_middle_is_not_bisectable():
    # v3 sits halfway: 5 % from each end, below a 6 % minimum effect
    levels = {v: 1.0 for v in VARIANTS[:3]}
    levels.update(v3=0.95, v4=0.90, v5=0.90, v6=0.90)
    measure, _ = synthetic(levels, noise=0.004)
    res = bisect.bisect_variants(VARIANTS, "v0", "v6", measure,
                                 min_effect=0.06)
    assert res["first_bad"] is None
    assert "signal fades at v3" in res["verdict"]


def test_one_clear_side_decides_a_noisy_midpoint():
    # v3 is as fast as v0 but so noisy that v0 vs v3 stays inconclusive at
    # the cap; against the 30 % slower bad end it is clearly different
    levels = {v: (1.0 if i < 4 else 0.7) for i, v in enumerate(VARIANTS)}
    rng = np.random.default_rng(5)

    def measure(v, n):
        noise = 0.08 if v == "v3" else 0.01
        return list(levels[v] * (1 + noise * rng.standard_normal(n)))
    res = bisect.bisect_variants(VARIANTS, "v0", "v6", measure, start=5,
                                 cap=5)
    assert res["first_bad"] == "v4"
    assert any("decided good by the clear side" in n for n in res["notes"])
