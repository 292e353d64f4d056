# SPDX-License-Identifier: GPL-2.0-only
"""page_fault3_slab's slab traffic, read back from the allocator counters
of the run's JSON document (the `allocator` snapshots, per cache `stats`).

Per cycle and mapping, the kernel's mmap/munmap pair (cases/README.md):
1 vm_area_struct allocated and freed; maple_node: 2 * nodes + 1 nodes
taken (mmap's store, munmap's detached tree, munmap's clear), 2 * nodes
replaced nodes kfree_rcu()'d; nothing per fault.  A store that asks for
one node allocates it (6.18+ and before), one that asks for more takes a
prefilled sheaf where the cache has sheaves (6.18+) and a bulk allocation
where it has not (cpuslab, the maple tree before 6.18).

The snapshot is taken while the tasks run, so every count may be short of
the cycle in progress in each task (one cycle's worth per task), the caches
are read one after the other (a snapshot thread preempted between two
caches lets the tasks run a few more cycles: 5 % of the run is allowed),
and the `cycles` metric, read when the tasks have stopped, may be ahead of
the snapshot.  The checks compare counters with each other within those
bounds, far tighter than the changes they guard (one node or object more
or less per cycle is a third or more)."""
import pytest

from conftest import built_variants, run_case

TASKS = 2
BASE = {"pages": 2048}


def counts(doc):
    """cache -> counter -> total over the snapshots (one per process)."""
    out = {}
    for snap in doc["allocator"]:
        assert snap is not None, "an allocator snapshot is missing"
        for c in snap["caches"]:
            mine = out.setdefault(c["name"], {})
            for k, v in c["stats"].items():
                mine[k] = mine.get(k, 0) + v
    return out


# An allocation counts once: alloc_fastpath (cpu slab hit, or sheaf hit
# where no cpu slab is behind the sheaves), alloc_cpu_sheaf (a sheaf hit
# while a cpu slab is behind them, the kernel's name), alloc_from_sheaf
# (kmem_cache_alloc_from_sheaf) or alloc_slowpath; frees alike, without
# the prefilled-sheaf case (a returned sheaf's objects go back in bulk).
def allocs(c):
    return sum(c.get(k, 0) for k in ("alloc_fastpath", "alloc_cpu_sheaf",
                                     "alloc_from_sheaf", "alloc_slowpath"))


def frees(c):
    return sum(c.get(k, 0) for k in ("free_fastpath", "free_cpu_sheaf",
                                     "free_slowpath"))


def has_sheaves(doc, cache):
    return any(c["name"] == cache and c["sheaf_capacity"] > 0
               for c in doc["allocator"][0]["caches"])


def near(got, want, slack):
    assert abs(got - want) <= slack, (got, want, slack)


def run_pf3(tmp_path, variant, mode, params, seconds=0.5):
    """Half a second is hundreds of cycles, where the checks need 20."""
    res = run_case(tmp_path, variant, "page_fault3_slab", params, mode=mode,
                   tasks=TASKS, seconds=seconds,
                   extra=("--interval", str(seconds)))
    assert res.rc == 0, res
    doc = res.doc
    assert doc["status"] == "ok", res
    for s in doc["allocator"]:
        assert s["leaked_objects"] == 0
    return doc


def check_traffic(doc, vmas=1, nodes=1, spare=0, height=2, prealloc=None,
                  first_touch=0, mms=1):
    c = counts(doc)
    vma, node = c["vm_area_struct"], c["maple_node"]
    features = doc["allocator"][0]["features"]
    sheaf = (prealloc == "sheaf" or
             (prealloc is None and has_sheaves(doc, "maple_node")))
    cycles = doc["metrics"]["cycles"]["value"]
    faults = sum(sum(s["deltas"]) for s in doc["samples"])
    snaps = len(doc["allocator"])
    # maple nodes of the trees built in prepare, a root per mm and a path
    # per task (every process has a copy)
    prepare = snaps * (mms + (height - 1) * TASKS)

    # one vm_area_struct per mapping: allocated at mmap, freed at munmap
    per_task = vmas
    n = allocs(vma)
    assert n >= 10 * TASKS * vmas, "too few cycles to judge: %d" % n
    assert n <= vmas * (cycles + TASKS), (n, cycles)
    assert n >= 0.7 * vmas * cycles, (n, cycles)
    near(frees(vma), n, TASKS * per_task)
    assert frees(vma) <= n
    done = n / vmas          # cycles at the snapshot, within one per task

    def slack(per_cycle):
        """in-flight cycles, and caches read a little later than the vmas"""
        return per_cycle * (TASKS + 0.05 * done)

    # maple nodes per cycle: each of the two stores into the mm's tree
    # asks for r = nodes + spare: one kmem_cache_alloc() when r = 1, a
    # prefilled sheaf when r > 1 on a cache with sheaves (or a bulk
    # allocation); the detached tree takes one node
    r = nodes + spare
    prefilled = sheaf and r > 1
    used = 2 * nodes + 1
    per_cycle = vmas * (used + (0 if prefilled else 2 * spare))
    near(allocs(node) - prepare, per_cycle * done, slack(per_cycle))
    assert frees(node) <= allocs(node)
    prefills = sum(node.get(k, 0) for k in (
        "sheaf_prefill_fast", "sheaf_prefill_slow", "sheaf_prefill_oversize"))
    returns = node.get("sheaf_return_fast", 0) + node.get("sheaf_return_slow", 0)
    if prefilled and not has_sheaves(doc, "maple_node"):
        pass        # oversize sheaves of a cache without sheaves: uncounted
    elif prefilled:
        near(prefills, 2 * vmas * done, slack(2 * vmas))
        if r <= 32:     # oversize sheaves are not counted back
            near(returns, prefills, 2 * TASKS * vmas)
    else:
        assert prefills == 0 and returns == 0, node
    # the replaced nodes go through kfree_rcu(): counted where they meet
    # an rcu_free sheaf (rcu-sheaf and later)
    rcu = node.get("free_rcu_sheaf", 0) + node.get("free_rcu_sheaf_fail", 0)
    if "rcu_sheaf" in features and has_sheaves(doc, "maple_node"):
        near(rcu, 2 * nodes * vmas * done, slack(2 * nodes * vmas))
    elif "rcu_sheaf" not in features:
        assert rcu == 0, node

    # nothing else is allocated: no slab object per fault at steady state
    for name, cnt in c.items():
        if name not in ("vm_area_struct", "maple_node", "buffer_head"):
            assert allocs(cnt) == 0, (name, cnt)
    pages = int(doc["params"]["pages"])
    # first_touch: buffer heads on each task's first cycle only
    prepare += first_touch * pages * TASKS
    total = sum(allocs(cnt) for cnt in c.values())
    assert total <= (vmas + per_cycle) * done + slack(vmas + per_cycle) + \
        prepare
    # ... so the allocations per fault are the cycle's, spread over its pages
    assert faults >= 0.5 * pages * done, (faults, pages, done)
    assert (total - prepare) / faults <= 2.0 * (vmas + per_cycle) / pages
    return c


@pytest.mark.parametrize("spare", [0, 1])
@pytest.mark.parametrize("mode", ["threads", "processes"])
@pytest.mark.parametrize("variant", built_variants())
def test_slab_traffic_per_cycle(tmp_path, variant, mode, spare):
    """spare=0: the usual stores ask for one node each (no sheaf);
    spare=1: they ask for two, a prefilled sheaf where there are sheaves."""
    doc = run_pf3(tmp_path, variant, mode, dict(BASE, spare=spare))
    assert doc["params"]["prealloc"] == "auto"
    check_traffic(doc, spare=spare)


@pytest.mark.parametrize("shape", [
    dict(vmas=3, nodes=2, height=3, spare=2),
    dict(vmas=2, nodes=0),              # slot stores: nothing replaced
])
@pytest.mark.parametrize("mode", ["threads", "processes"])
def test_more_mappings_nodes_and_spare(tmp_path, mode, shape):
    v = built_variants()[-1]
    check_traffic(run_pf3(tmp_path, v, mode, dict(BASE, **shape)), **shape)


@pytest.mark.parametrize("prealloc", ["bulk", "sheaf"])
def test_prealloc_forced(tmp_path, prealloc):
    """bulk on a sheaf variant is the maple tree before 6.18; sheaf on
    cpuslab goes through the allocator's oversize sheaves (no sheaves)."""
    v = built_variants()[-1] if prealloc == "bulk" else built_variants()[0]
    p = dict(BASE, prealloc=prealloc, spare=1)
    doc = run_pf3(tmp_path, v, "threads", p)
    check_traffic(doc, spare=1, prealloc=prealloc)


@pytest.mark.parametrize("mode", ["threads", "processes"])
def test_first_touch_only_on_the_first_cycle(tmp_path, mode):
    """first_touch=k: k buffer heads per page on a task's first cycle,
    kept until the task ends, none afterwards."""
    v = built_variants()[-1]
    doc = run_pf3(tmp_path, v, mode, {"pages": 512, "first_touch": 2})
    c = check_traffic(doc, first_touch=2)
    bh = c["buffer_head"]
    assert doc["metrics"]["cycles"]["value"] >= 10 * TASKS
    assert allocs(bh) == 2 * 512 * TASKS, bh
    assert frees(bh) == 0, bh


@pytest.mark.parametrize("mode", ["threads", "processes"])
def test_one_mm_per_task(tmp_path, mode):
    """mm=task: each task has its own mm and tree over the one allocator
    (what the kernel's processes are to the slab): the same traffic per
    cycle, a root node per task built in prepare, and every tree's nodes
    freed at the end (no leak)."""
    v = built_variants()[-1]
    doc = run_pf3(tmp_path, v, mode, dict(BASE, mm="task"))
    assert doc["params"]["mm"] == "task"
    check_traffic(doc, mms=TASKS)


def test_bad_parameters(tmp_path):
    """Out of range or not a choice: a usage error, exit 2, no document
    (the reliability rules)."""
    v = built_variants()[-1]
    for params, word in (({"prealloc": "lots"}, "prealloc=lots"),
                         ({"nodes": 3}, "nodes"),          # > height 2
                         ({"spare": 64}, "spare"),
                         ({"vmas": 4, "pages": 3}, "pages"),
                         ({"fault_lock": "none"}, "fault_lock=none"),
                         ({"mm": "each"}, "mm=each")):
        res = run_case(tmp_path, v, "page_fault3_slab", params)
        assert res.rc == 2 and word in res.stderr, (params, res)
        assert res.doc is None, (params, res)


def test_fault_lock_mmap_and_real_faults(tmp_path):
    """The other fault paths keep the same traffic (real_faults: a shared
    mapping of the task's own file in /tmp, written per page)."""
    v = built_variants()[-1]
    for params in ({"fault_lock": "mmap"}, {"real_faults": 1, "pages": 256}):
        doc = run_pf3(tmp_path, v, "threads", dict(BASE, **params))
        if "real_faults" in params:
            assert doc["params"]["fault_work"] == "0"
            assert doc["params"]["zap_work"] == "0"
        check_traffic(doc)


def test_map_work_defaults(tmp_path):
    """mmap2_slab carries the rest of the kernel's mmap + munmap as 3000
    spin turns a pair (calibrated, cases/README.md); page_fault3_slab none,
    its fault_work and zap_work hold it; real_faults puts the kernel's own
    work in the loop instead."""
    v = built_variants()[-1]
    res = run_case(tmp_path, v, "mmap2_slab", {"mm": "task"}, tasks=TASKS,
                   seconds=0.5, extra=("--interval", "0.5"))
    assert res.rc == 0, res
    assert res.doc["params"]["map_work"] == "3000"
    assert res.doc["params"]["mm"] == "task"
    doc = run_pf3(tmp_path, v, "threads", dict(BASE))
    assert doc["params"]["map_work"] == "0"
    doc = run_pf3(tmp_path, v, "threads", dict(BASE, real_faults=1, pages=256))
    assert doc["params"]["map_work"] == "0"
