# SPDX-License-Identifier: GPL-2.0-only
"""Integration tests of the allocator cases (cases/slab/*.c).

Every case runs briefly in threads and processes mode on the newest built
variant: it must count, record its metrics in the JSON document and end
with status ok, which means its accounting check passed (every object
freed, nothing leaked by a destroy).  --list and the unsupported path are
checked on every built variant."""
import os

import pytest

from conftest import ROOT, built_variants, list_cases, run_case

ALL_CASES = sorted(f[:-2] for f in os.listdir(os.path.join(ROOT, "cases", "slab"))
                   if f.endswith(".c"))

# Cases that need a feature some variants lack: variant -> reason marker.
NEEDS_SHEAVES = {"prefill_sheaf"}
NO_SHEAVES_VARIANTS = {"cpuslab"}

# case -> (small parameters, metrics that must have been recorded,
#          metrics that must exist), for a 1 s run with 2 tasks.
SPECS = {
    "page_fault3_slab": ({"pages": 256},
                         ["map_latency", "unmap_latency", "cycles"], []),
    "mmap2_slab": ({}, ["map_latency", "unmap_latency", "cycles"], []),
    "page_fault3_slab_perfault": ({"pages": 256},
                                  ["map_latency", "unmap_latency"], []),
    "cache_destroy": ({"bg_caches": 10, "bg_period_us": 2000},
                      ["destroy_latency", "destroy_latency_debug",
                       "destroy_latency_rcu", "destroy_latency_plain",
                       "unload_latency", "bg_kfree_rcu"], []),
    "kmod_stress": ({"rounds": 5, "caches": 4, "debug_caches": 1,
                     "rcu_caches": 2, "bg_caches": 10, "bg_period_us": 2000},
                    ["destroy_latency", "destroy_latency_debug",
                     "destroy_latency_rcu", "destroy_latency_plain",
                     "total_calls", "total_time_us", "wall_time_us",
                     "rounds_done"], []),
    "kvfree_rcu_barrier": ({"period_ms": 20},
                           ["barrier_latency", "grace_periods",
                            "peak_live_objects", "peak_rss_kb"], []),
    "slab_alloc_free": ({"batch": 4}, [], []),
    "slab_bulk": ({"batch": 32}, [], []),
    "slab_remote_free": ({"batch": 16, "ring": 4}, [], ["producer_waits"]),
    "bio_complete": ({"depth": 16}, [], ["submit_waits"]),
    "prefill_sheaf": ({"worst": 40, "rcu": 1}, ["nodes_used"], []),
    "kfree_rcu": ({}, ["peak_live_objects"], []),
    "kmalloc_nolock": ({"period_us": 200},
                       ["nolock_calls", "signals"], ["nolock_failures"]),
    "malloc_pair": ({}, ["malloc_from_libc_so_6"], []),
}


# Cases run with other than 2 tasks for 1 s: kmod_stress needs time for its
# rounds; with two tasks flooding kfree_rcu on a 2-CPU machine (and the
# machine busy with other work) a barrier can take over a second, so one
# flooding task leaves the barrier thread and RCU's workers some CPU.
RUN_SHAPE = {
    "kmod_stress": (2, 2),
    "kvfree_rcu_barrier": (1, 2),
}


def recorded(m):
    if m["kind"] == "latency":
        return m["count"] > 0
    return m["value"] > 0


def unsupported_reason(variant, case):
    """None if the case must run on the variant, else a word its refusal
    must contain: the feature the variant lacks."""
    if case in NEEDS_SHEAVES and variant in NO_SHEAVES_VARIANTS:
        return "sheaves"
    return None


def newest_supporting(case):
    for v in reversed(built_variants()):
        if unsupported_reason(v, case) is None:
            return v
    return None


def check_unsupported(tmp_path, variant, case):
    reason = unsupported_reason(variant, case)
    res = run_case(tmp_path, variant, case, SPECS[case][0])
    assert res.rc == 3, res
    assert res.doc is None or res.doc["status"] == "skipped", res.doc
    assert reason in res.stderr, (reason, res)


def check_ok(res, case, mode, tasks):
    assert res.rc == 0, res
    doc = res.doc
    assert doc is not None, res
    assert doc["status"] == "ok", res
    assert doc["case"] == case and doc["mode"] == mode
    assert doc["nr_task"] == tasks
    assert doc["stats"]["iterations"] > 0, res
    assert doc["stats"]["per_task_ops"] > 0
    # The allocator snapshot (end of measurement, before teardown): no
    # destroy so far found objects still allocated.
    snaps = doc.get("allocator") or []
    assert snaps, "no allocator snapshot"
    for s in snaps:
        assert s["leaked_objects"] == 0, s
    return doc


def test_every_case_has_a_spec():
    assert set(ALL_CASES) == set(SPECS)


@pytest.mark.parametrize("mode", ["threads", "processes"])
@pytest.mark.parametrize("case", sorted(SPECS))
def test_case_runs_counts_and_balances(tmp_path, rep_variant, case, mode):
    """On the newest variant that supports the case; when none does yet
    (allocator functions still missing), its refusal is what is checked."""
    variant = newest_supporting(case)
    if variant is None:
        check_unsupported(tmp_path, rep_variant, case)
        return
    params, must_record, must_exist = SPECS[case]
    tasks, seconds = RUN_SHAPE.get(case, (2, 1))
    res = run_case(tmp_path, variant, case, params, mode=mode,
                   tasks=tasks, seconds=seconds)
    doc = check_ok(res, case, mode, tasks)
    metrics = doc["metrics"]
    for name in must_record + must_exist:
        assert name in metrics, (name, sorted(metrics))
    for name in must_record:
        assert recorded(metrics[name]), (name, metrics[name])
    for k, v in params.items():
        assert doc["params"][k] == str(v)
    if case == "kmod_stress":
        rounds, caches = params["rounds"], params["caches"]
        assert metrics["rounds_done"]["value"] == rounds * tasks
        assert metrics["total_calls"]["value"] == caches * rounds * tasks
        assert metrics["destroy_latency"]["count"] == caches * rounds * tasks
        # slub_kunit's order: debug, kfree_rcu ones, plain, last debug
        assert metrics["destroy_latency_debug"]["count"] == rounds * tasks
        assert metrics["destroy_latency_rcu"]["count"] == 2 * rounds * tasks
        assert metrics["destroy_latency_plain"]["count"] == rounds * tasks
        assert res.stderr.count("Total calls: %d, Average latency (us): "
                                % (caches * rounds)) == tasks, res.stderr


def test_list_and_unsupported_on_every_variant(tmp_path):
    variants = built_variants()
    assert variants
    for v in variants:
        listed = list_cases(v)
        for case in ALL_CASES:
            if unsupported_reason(v, case) is None:
                assert case in listed, (v, case, listed)
            else:
                assert case not in listed, (v, case)
                check_unsupported(tmp_path, v, case)


def test_leak_fails_the_run(tmp_path, rep_variant):
    for mode in ("threads", "processes"):
        res = run_case(tmp_path, rep_variant, "slab_alloc_free",
                       {"leak": 5}, mode=mode)
        assert res.rc == 1, res
        assert res.doc["status"] == "failed"
        msg = res.doc["failure"]["message"]
        assert "still" in msg, msg
        assert ("task teardown" if mode == "processes" else "cleanup") in msg


def test_bad_parameters(tmp_path, rep_variant):
    """A value out of range or not among a case's choices is a usage error
    like an unknown or malformed --param: exit 2, no document."""
    for case, params, msg in (
            ("slab_alloc_free", {"api": "bogus"},
             "--param api=bogus: expected cache or kmalloc"),
            ("page_fault3_slab", {"pages": 0}, "--param pages=0: out of range"),
            ("page_fault3_slab", {"fault_lock": "big"},
             "--param fault_lock=big: expected vma or mmap"),
            ("cache_destroy", {"objects": 64, "rcu_objects": 65},
             "--param rcu_objects=65: at most objects (64)"),
            ("cache_destroy", {"caches": 4, "debug_caches": 3,
                               "rcu_caches": 2},
             "--param rcu_caches=2: debug_caches (3) + rcu_caches (2) "
             "at most caches (4)"),
            ("cache_destroy", {"nosuch": 1}, "--param nosuch"),
            ("slab_alloc_free", {"batch": "010"},
             "--param batch=010: not an unsigned integer"),
            ("malloc_pair", {"allocator": "hoard"},
             "--param allocator=hoard: expected glibc")):
        res = run_case(tmp_path, rep_variant, case, params)
        assert res.rc == 2 and msg in res.stderr, res
        assert res.doc is None, res


PEERS = {
    "jemalloc": "libjemalloc.so.2",
    "tcmalloc": "libtcmalloc_minimal.so.4",
    "mimalloc": "libmimalloc.so.2",
}


@pytest.mark.parametrize("peer", sorted(PEERS))
def test_malloc_pair_measures_the_peer(tmp_path, rep_variant, peer):
    soname = PEERS[peer]
    metric = "malloc_from_" + soname.replace(".", "_").replace("-", "_")
    mode = "processes" if peer == "jemalloc" else "threads"
    res = run_case(tmp_path, rep_variant, "malloc_pair", {"allocator": peer},
                   mode=mode)
    doc = check_ok(res, "malloc_pair", mode, 1)
    assert doc["params"]["allocator"] == peer
    assert recorded(doc["metrics"][metric]), doc["metrics"]
    assert "malloc_from_libc_so_6" not in doc["metrics"]
    assert "malloc is %s's" % peer in res.stderr and soname in res.stderr


def test_malloc_pair_glibc_is_not_preloaded(tmp_path, rep_variant):
    res = run_case(tmp_path, rep_variant, "malloc_pair")
    doc = check_ok(res, "malloc_pair", "threads", 1)
    assert doc["params"]["allocator"] == "glibc"
    assert "libc.so" in res.stderr
