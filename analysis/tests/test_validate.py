# SPDX-License-Identifier: GPL-2.0-only
"""slabscale validate: the plans, the clamping, the judgement of a row and
the command's exit status (pure functions; no runner is started)."""
import os

import pytest

from slabscale_analysis import validate as V
from slabscale_analysis.errors import UserError
from slabscale_analysis.results import HIGHER, LOWER

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))

RAW = {"row": "1a", "title": "t", "source": "linux-mm", "machine": "m",
       "kernel_figure": "36 M -> 13 M IOPS", "kernel_change": "-0.64",
       "case": "bio_complete", "metric": "per_thread_ops",
       "base": "barrier-on-cache", "new": "sheaves-all"}


def row(**kw):
    raw = dict(RAW)
    raw.update(kw)
    return V.normalise_row(raw, "test.plan")


def cmp(change, p):
    return {"change": change, "p": p, "reason": "r"}


def test_plan_defaults_and_topology():
    r = row(nodes="2", memoryless="0", params="depth=64")
    assert r["kernel_change"] == -0.64 and r["kernel_sign"] is None
    assert (r["nodes"], r["memoryless"]) == (2, "0")
    assert r["params"] == {"depth": "64"}
    assert (r["mode"], r["nr_task"], r["repeats"]) == ("threads", 1, 5)
    r = row(kernel_change="+")
    assert r["kernel_change"] is None and r["kernel_sign"] == 1


@pytest.mark.parametrize("kw, msg", [
    ({"kernel_change": "x"}, "not a number"),
    ({"kernel_change": "0"}, "non-zero"),
    ({"kernel_change": "-1.5"}, "above -1"),
    ({"kernel_change": ""}, "missing kernel_change"),
    ({"bogus": "1"}, "unknown key"),
    ({"new": "barrier-on-cache"}, "same variant"),
    ({"mode": "fibers"}, "not threads or processes"),
    ({"nr_task": "0"}, "must be >= 1"),
    ({"memoryless": "1"}, "memoryless needs nodes"),
])
def test_bad_plans_are_user_errors(kw, msg):
    with pytest.raises(UserError, match=msg):
        row(**kw)


def test_clamp_says_so():
    r = row(nr_task="64", kernel_cpus="192")
    assert V.clamp(r, 2) == (2, "clamped: 64 tasks -> 2; kernel on 192 "
                                "CPUs, here 2")
    r = row(nr_task="1", kernel_tasks="16")
    tasks, note = V.clamp(r, 2)
    assert tasks == 1 and "16 tasks -> 1" in note
    r = row(nr_task="2", kernel_cpus="unknown")
    assert V.clamp(r, 2) == (2, "clamped: the kernel machine's CPUs are "
                                "not published")
    r = row(nr_task="1", kernel_cpus="2")
    assert V.clamp(r, 2) == (1, None)
    assert V.clamp(r, 16) == (1, None)


@pytest.mark.parametrize("kernel, sign, model, p, want", [
    (-0.64, None, -0.60, 0.01, (True, True, V.AGREES)),
    (-0.64, None, -0.20, 0.01, (True, False, V.SIZE_DIFFERS)),
    (-0.64, None, -0.95, 0.01, (True, True, V.AGREES)),
    (0.315, None, 0.70, 0.01, (True, False, V.SIZE_DIFFERS)),
    (0.315, None, 0.63, 0.01, (True, True, V.AGREES)),
    (-0.012, None, 0.30, 0.01, (False, False, V.DISAGREES)),
    (-0.012, None, 0.30, 0.20, (None, False, V.INCONCLUSIVE)),
    (None, 1, 0.5, 0.01, (True, None, V.AGREES)),
    (None, -1, 0.5, 0.01, (False, None, V.DISAGREES)),
    (None, 1, None, None, (None, None, V.INCONCLUSIVE)),
])
def test_judge(kernel, sign, model, p, want):
    j = V.judge(kernel, sign, cmp(model, p))
    assert (j["sign_agrees"], j["within_2x"], j["verdict"]) == want


def result(verdict, clamped=None):
    return {"verdict": verdict, "clamped": clamped}


def test_only_a_fitting_row_that_disagrees_fails():
    assert V.exit_status([result(V.AGREES), result(V.INCONCLUSIVE)]) == 0
    assert V.exit_status([result(V.DISAGREES, "clamped: x")]) == 0
    assert V.exit_status([result(V.SIZE_DIFFERS, "clamped: x")]) == 0
    assert V.exit_status([result(V.AGREES), result(V.DISAGREES)]) == \
        V.EXIT_DISAGREES
    assert V.exit_status([result(V.SIZE_DIFFERS)]) == V.EXIT_DISAGREES


def test_measure_interleaves_and_skips_failed_runs():
    r = row(repeats="3")
    order = []

    def run_one(v, k):
        order.append((v, k))
        if v == "sheaves-all" and k == 1:
            return None
        return (10.0 if v == "barrier-on-cache" else 4.0, HIGHER)

    base, new, better = V.measure_row(r, 1, run_one)
    assert order == [("barrier-on-cache", 0), ("sheaves-all", 0),
                     ("barrier-on-cache", 1), ("sheaves-all", 1),
                     ("barrier-on-cache", 2), ("sheaves-all", 2)]
    assert base == [10.0] * 3 and new == [4.0] * 2 and better == HIGHER


def test_evaluate_and_render():
    r = row(repeats="5", nr_task="16", kernel_tasks="16")
    base = [10.0, 10.2, 9.9, 10.1, 10.0]
    new = [4.0, 4.1, 3.9, 4.0, 4.2]
    res = V.evaluate(r, base, new, HIGHER, "clamped: 16 tasks -> 2")
    res["nr_task_run"] = 2
    res["disturbed"] = [1, 0]
    assert res["verdict"] == V.AGREES and res["sign_agrees"]
    assert res["model_change"] == pytest.approx(-0.6, abs=0.01)
    text = V.render([res])
    assert "36 M -> 13 M IOPS (-64.0%)" in text
    assert "agrees (clamped)" in text and "n=5/5 (disturbed 1/0)" in text
    # a lower-better metric that went up where the kernel's went down
    r = row(kernel_change="-0.554", metric="destroy_latency.mean")
    res = V.evaluate(r, [1.0, 1.1, 1.0, 0.9, 1.0], [2.0, 2.1, 2.0, 1.9, 2.0],
                     LOWER, None)
    assert res["verdict"] == V.DISAGREES and V.exit_status([res]) == \
        V.EXIT_DISAGREES


def test_the_shipped_plans_load():
    rows = V.load_rows([os.path.join(ROOT, "plans", "validation")])
    assert len(rows) >= 6
    assert len({r["row"] for r in rows}) == len(rows)
    for r in rows:
        assert r["source"] and r["machine"] and r["kernel_figure"]


def test_a_mechanism_that_never_ran_is_not_agreement():
    """A plan's mechanism counter with a median of 0 on both sides: the
    row is "path not taken" whatever its metric did, and never fails;
    once the counter moves, the metric is judged as usual."""
    r = row(kernel_change="+", mechanism="slab.bio-256.refill_remote.per_op",
            metric="slab.bio-256.locks.list_lock.contended.per_op")
    assert r["mechanism"] == "slab.bio-256.refill_remote.per_op"
    base = [1.0, 1.1, 1.0, 0.9, 1.0]
    new = [2.0, 2.1, 2.0, 1.9, 2.0]
    res = V.evaluate(r, base, new, LOWER, None,
                     ([0, 0, 0, 0, 0], [0, 0, 0.001, 0, 0]))
    assert res["verdict"] == V.NOT_TAKEN and res["sign_agrees"] is None
    assert res["mechanism_medians"] == [0, 0]
    assert not V.row_fails(res) and V.exit_status([res]) == 0
    res["nr_task_run"] = 2
    text = V.render([res])
    assert "path not taken" in text and "refill_remote.per_op 0 -> 0" in text
    res = V.evaluate(r, base, new, LOWER, None,
                     ([0, 0, 0, 0, 0], [0.2, 0.3, 0.2, 0.25, 0.2]))
    assert res["verdict"] == V.AGREES
    assert row()["mechanism"] is None
    # a plan's floor: a path taken once in a million operations is not
    # the mechanism of a change of one in a hundred
    r = row(kernel_change="+", mechanism="m", mechanism_min="0.001")
    res = V.evaluate(r, base, new, LOWER, None,
                     ([0, 0, 0, 0, 0], [3e-7, 4e-7, 0, 3e-7, 5e-7]))
    assert res["verdict"] == V.NOT_TAKEN
    with pytest.raises(UserError, match="mechanism_min"):
        row(mechanism="m", mechanism_min="-1")
    with pytest.raises(UserError, match="mechanism_min"):
        row(mechanism="m", mechanism_min="nan")
