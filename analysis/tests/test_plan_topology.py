# SPDX-License-Identifier: GPL-2.0-only
"""A plan's topology (nodes, memoryless) and the runner's options for it."""
import pytest

from slabscale_analysis import plan, runner
from slabscale_analysis.errors import UserError

BASE = {"cases": "bio_complete", "variants": "barrier-on-cache"}


def norm(**kw):
    raw = dict(BASE)
    raw.update(kw)
    return plan.normalise(raw)


def test_no_topology_keeps_the_machines_and_the_hash():
    p = norm()
    assert "nodes" not in p and "memoryless" not in p
    assert runner.topology_args(p) == []
    assert plan.plan_hash(p) == plan.plan_hash(plan.normalise(dict(BASE)))


def test_nodes_and_memoryless_become_runner_options():
    p = norm(nodes="2", memoryless="1")
    assert (p["nodes"], p["memoryless"]) == (2, "1")
    assert runner.topology_args(p) == ["--nodes", "2", "--memoryless", "1"]
    p = norm(nodes=8, memoryless="0, 2-3,5")
    assert p["memoryless"] == "0,2,3,5"
    assert runner.topology_args(norm(nodes=2)) == ["--nodes", "2"]


def test_plan_file_text_carries_the_topology():
    raw = plan.parse_plan_text("cases = bio_complete\nvariants = a, b\n"
                               "nodes = 2\nmemoryless = 1\n")
    assert plan.normalise(raw)["memoryless"] == "1"


@pytest.mark.parametrize("kw, msg", [
    ({"memoryless": "1"}, "memoryless needs nodes"),
    ({"nodes": "0"}, "not in 1..8"),
    ({"nodes": "9"}, "not in 1..8"),
    ({"nodes": "two"}, "not a number"),
    ({"nodes": "2", "memoryless": "2"}, "nodes are 0..1"),
    ({"nodes": "2", "memoryless": "0,1"}, "leaves no node with memory"),
    ({"nodes": "4", "memoryless": "x"}, "expected node ids"),
    ({"nodes": "4", "memoryless": "3-1"}, "nodes are 0..3"),
])
def test_bad_topology_is_a_user_error(kw, msg):
    with pytest.raises(UserError, match=msg):
        norm(**kw)
