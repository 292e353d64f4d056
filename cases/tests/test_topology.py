# SPDX-License-Identifier: GPL-2.0-only
"""slabscale-run --nodes/--memoryless: the topology reaches the allocator
(which reads it when the runner starts) and the run's JSON records both the
options and the topology the allocator ran with; bio_complete's remote
paths on every built variant with one memoryless node."""
import pytest

from conftest import built_variants, run_case


def bio_cache(doc):
    snap = doc["allocator"][-1]
    return snap, next(c for c in snap["caches"] if c["name"] == "bio-256")


@pytest.mark.parametrize("variant", built_variants())
def test_memoryless_node_on_every_variant(tmp_path, variant):
    r = run_case(tmp_path, variant, "bio_complete", {"depth": 16},
                 extra=["--nodes", "2", "--memoryless", "0"])
    assert r.rc == 0, r.stderr
    assert r.doc["status"] == "ok"
    assert r.doc["options"]["nodes"] == 2
    assert r.doc["options"]["memoryless"] == "0"
    snap, c = bio_cache(r.doc)
    topo = snap["topology"]
    assert topo["source"] == "option" and topo["nodes"] == 2
    assert topo["memoryless"] == [0]
    # a memoryless node's pages come from the nearest node with memory
    assert topo["mem_node"] == [1, 1]
    assert topo["cpu_node"][:2] == [0, 1]
    # slabs were made (on node 1, the only node with memory)
    assert c["stats"].get("alloc_slab", 0) > 0


def test_no_option_is_the_machines_topology(tmp_path, rep_variant):
    r = run_case(tmp_path, rep_variant, "bio_complete", {"depth": 16})
    assert r.rc == 0, r.stderr
    assert r.doc["options"]["nodes"] is None
    assert r.doc["options"]["memoryless"] is None
    topo = r.doc["allocator"][-1]["topology"]
    assert topo["source"] == "machine"


@pytest.mark.parametrize("extra, msg", [
    (["--memoryless", "1"], "--memoryless needs --nodes"),
    (["--nodes", "9"], "bad --nodes"),
    (["--nodes", "0"], "bad --nodes"),
    (["--nodes", "2", "--memoryless", "2"], "nodes are 0..1"),
    (["--nodes", "2", "--memoryless", "0,1"], "leaves no node with memory"),
    (["--nodes", "2", "--memoryless", "x"], "bad --memoryless"),
])
def test_bad_topology_exits_2(tmp_path, rep_variant, extra, msg):
    r = run_case(tmp_path, rep_variant, "bio_complete", extra=extra)
    assert r.rc == 2
    assert msg in r.stderr
