"""The plans kept in plans/: they parse, their task counts clamp to the
machine, and their variants follow the kernel's history order."""
import glob
import os

import pytest

from conftest import REPO
from slabscale_analysis import plan as planmod

PLANS = sorted(glob.glob(os.path.join(REPO, "plans", "*.plan")))


def test_there_are_plans():
    assert any(p.endswith("pf3-scaling.plan") for p in PLANS)


@pytest.mark.parametrize("cpus,want", [(2, [1, 2]), (1, [1]),
                                       (16, [1, 4, 8, 16]),
                                       (64, [1, 4, 8, 16, 64])])
def test_pf3_scaling_task_counts(monkeypatch, cpus, want):
    monkeypatch.setattr(os, "cpu_count", lambda: cpus)
    p = planmod.normalise(planmod.load_plan_file(
        os.path.join(REPO, "plans", "pf3-scaling.plan")))
    assert p["nr_task"] == want
    assert p["nr_task_max"] == cpus
    assert p["cases"] == ["page_fault3_slab"]
    assert p["baseline"] == "cpuslab"


@pytest.mark.parametrize("path", PLANS)
def test_plan_variants_in_history_order(path):
    """Variants that exist today appear in allocator/variants.list's order
    (the ones the plan names ahead of the list are dropped by the sweep)."""
    p = planmod.normalise(planmod.load_plan_file(path))
    # none (no model allocator) comes before the kernel's history
    known = ["none"] + planmod.read_variants_list(
        os.path.join(REPO, "allocator", "variants.list"))
    present = [v for v in p["variants"] if v in known]
    assert present, path
    assert present == [v for v in known if v in present]


def test_nr_task_max_forms_and_errors(monkeypatch):
    monkeypatch.setattr(os, "cpu_count", lambda: 8)
    base = {"cases": "a", "variants": "x", "nr_task": "1,4,16,all"}
    assert planmod.normalise(dict(base, nr_task_max="cpus"))["nr_task"] == [
        1, 4, 8]
    assert planmod.normalise(dict(base, nr_task_max="4"))["nr_task"] == [1, 4]
    assert planmod.normalise(base)["nr_task"] == [1, 4, 8, 16]
    with pytest.raises(planmod.UserError, match="nr_task_max"):
        planmod.normalise(dict(base, nr_task_max="lots"))
    with pytest.raises(planmod.UserError, match="nr_task_max"):
        planmod.normalise(dict(base, nr_task_max="0"))
