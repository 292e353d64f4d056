"""The allocator's counters as metrics: names, values per op and per cycle,
directions, what compare shows by default, and that compare, bisect and a
sweep take them like any other metric (synthetic documents)."""
import json
import os
import subprocess

import jsonschema
import pytest

from conftest import REPO, fake_build, write_doc
from slabscale_analysis import compare, results, synth
from slabscale_analysis.results import HIGHER, LOWER, NEUTRAL
from slabscale_analysis.sweep import gating_regressions

SCHEMA = os.path.join(REPO, "harness", "schema", "slabscale-run.schema.json")
SLABSCALE = os.path.join(REPO, "slabscale")


def doc_with(caches, locks=None, cycles=None, mode="threads", nr_task=1,
             snapshots=1, ops=1000.0, seconds=4):
    metrics = {}
    if cycles is not None:
        metrics["cycles"] = {"kind": "counter", "unit": "cycles",
                             "value": cycles, "per_task": [cycles]}
    snaps = [synth.snapshot(caches, locks) for _ in range(snapshots)]
    return synth.make_doc(mode=mode, nr_task=nr_task, ops=ops,
                          seconds=seconds, metrics=metrics, allocator=snaps)


CACHES = {
    "maple_node": {"stats": {"alloc_fastpath": 3000, "barn_get": 50,
                             "sheaf_prefill_fast": 300, "mystery_slow": 5,
                             "mystery": 7, "free_slab": 0},
                   "locks": {"barn": {"acquired": 60, "contended": 6,
                                      "wait_ns": 1200},
                             "list_lock": {"acquired": 10}}},
    "vm_area_struct": {"alloc_fastpath": 1000, "barn_get": 10},
    "odd.name cache": {"alloc_slowpath": 4},
}


def test_names_values_and_directions():
    doc = doc_with(CACHES, locks={"zone": {"acquired": 8}}, cycles=100)
    n = synth.iterations(doc)           # 5 intervals of 1000, warmup included
    assert n == 5000
    m = results.extract_metrics(doc)
    # summed over caches, per op and per cycle
    assert m["slab.alloc_fastpath.per_op"] == (4000 / n, NEUTRAL)
    assert m["slab.barn_get.per_op"] == (60 / n, LOWER)
    assert m["slab.barn_get.per_cycle"] == (0.6, LOWER)
    # per cache
    assert m["slab.maple_node.barn_get.per_cycle"] == (0.5, LOWER)
    assert m["slab.vm_area_struct.alloc_fastpath.per_cycle"] == (10.0, NEUTRAL)
    assert m["slab.odd_name_cache.alloc_slowpath.per_op"] == (4 / n, LOWER)
    # locks: per cache, and summed over caches plus the top level
    assert m["slab.maple_node.locks.barn.contended.per_cycle"] == (0.06, LOWER)
    assert m["slab.locks.barn.wait_ns.per_cycle"] == (12.0, LOWER)
    assert m["slab.locks.zone.acquired.per_cycle"] == (0.08, LOWER)
    assert "slab.maple_node.locks.zone.acquired.per_cycle" not in m
    # a counter the document does not declare has no direction (no
    # guessing by its name); one it declares has the declared one
    assert m["slab.mystery_slow.per_op"][1] == NEUTRAL
    assert m["slab.mystery.per_op"][1] == NEUTRAL
    doc["allocator_counters"]["stats"]["mystery_slow"] = {
        "unit": "slabs", "better": "lower", "what": "new in C"}
    m = results.extract_metrics(doc)
    assert m["slab.mystery_slow.per_op"][1] == LOWER
    # zero counters are metrics too (a bisect endpoint may have 0)
    assert m["slab.free_slab.per_op"] == (0.0, LOWER)
    # the rest of the run's metrics are still there
    assert m["per_thread_ops"] == (1000.0, HIGHER)


def test_documents_with_allocator_follow_the_schema():
    with open(SCHEMA) as f:
        schema = json.load(f)
    jsonschema.validate(doc_with(CACHES, cycles=10), schema)
    jsonschema.validate(doc_with(CACHES, mode="processes", nr_task=2,
                                 snapshots=2), schema)


def test_processes_sum_every_snapshot():
    doc = doc_with({"c": {"barn_get": 30}}, mode="processes", nr_task=2,
                   snapshots=2)
    n = synth.iterations(doc)
    assert n == 2 * 5000
    m = results.extract_metrics(doc)
    assert m["slab.barn_get.per_op"][0] == pytest.approx(60 / n)
    assert m["slab.c.barn_get.per_op"][0] == pytest.approx(60 / n)


def test_no_allocator_no_cycles_missing_snapshot():
    m = results.extract_metrics(synth.make_doc())
    assert not [k for k in m if k.startswith("slab.")]
    m = results.extract_metrics(doc_with(CACHES))
    assert "slab.barn_get.per_op" in m
    assert not [k for k in m if k.endswith(".per_cycle")]
    doc = doc_with(CACHES, mode="processes", nr_task=2, snapshots=2)
    doc["allocator"][1] = None          # a snapshot that timed out
    m = results.extract_metrics(doc)
    assert not [k for k in m if k.startswith("slab.")]


def test_metric_parts_and_diagnostic():
    assert results.slab_metric_parts("slab.barn_get.per_op") == (
        None, "barn_get", "per_op")
    assert results.slab_metric_parts("slab.locks.barn.acquired.per_cycle") == (
        None, "locks.barn.acquired", "per_cycle")
    assert results.slab_metric_parts("slab.kmalloc-64.barn_get.per_op") == (
        "kmalloc-64", "barn_get", "per_op")
    assert results.slab_metric_parts(
        "slab.maple_node.locks.list_lock.wait_ns.per_op") == (
        "maple_node", "locks.list_lock.wait_ns", "per_op")
    assert results.slab_metric_parts("map_latency.p99") is None
    assert results.diagnostic_metric("slab.barn_get.per_op")
    assert results.diagnostic_metric("pmu.cycles.per_op")
    assert not results.diagnostic_metric("per_thread_ops")
    assert not results.diagnostic_metric("map_latency.p99")


def default_view(doc):
    """select_metrics as compare calls it: directions from the registry
    (here: the document's own declarations)."""
    m = results.extract_metrics(doc)
    return results.select_metrics(sorted(m), better=lambda n: m[n][1])


def test_default_view_and_patterns():
    names = sorted(results.extract_metrics(doc_with(CACHES, cycles=100)))
    shown = default_view(doc_with(CACHES, cycles=100))
    assert "per_thread_ops" in shown and "pmu.task-clock.per_op" in shown
    assert "slab.barn_get.per_cycle" in shown
    assert "slab.locks.barn.contended.per_cycle" in shown
    assert "slab.barn_get.per_op" not in shown          # per-cycle twin
    assert "slab.alloc_fastpath.per_cycle" not in shown   # no direction
    assert not [m for m in shown if m.startswith("slab.maple_node.")]
    # without cycles the per-op rows are the ones shown
    shown = default_view(doc_with(CACHES))
    assert "slab.barn_get.per_op" in shown
    # exact names and shell patterns
    assert results.select_metrics(names, ["slab.barn_get.per_op"]) == [
        "slab.barn_get.per_op"]
    got = results.select_metrics(names, ["slab.maple_node.*.per_cycle"])
    assert "slab.maple_node.alloc_fastpath.per_cycle" in got
    assert "slab.maple_node.locks.barn.acquired.per_cycle" in got
    assert all(g.startswith("slab.maple_node.") for g in got)


def _runs(tmp_path, name, barn, n=5):
    out = []
    for i in range(n):
        caches = {"maple_node": {"barn_get": barn * (1 + 0.01 * i),
                                 "alloc_fastpath": 3000, "free_slab": 0}}
        p = write_doc(str(tmp_path / name / ("r%d.json" % i)),
                      doc_with(caches, cycles=100))
        out.append(results.load_run(p))
    return out


def test_compare_verdict_on_a_counter_and_sweep_gating(tmp_path):
    a = _runs(tmp_path, "a", 100)
    b = _runs(tmp_path, "b", 200)
    res = compare.compare_sets(a, b)
    rows = {m["metric"]: m for m in res["groups"][0]["metrics"]}
    assert rows["slab.barn_get.per_cycle"]["verdict"] == "regression"
    assert rows["per_thread_ops"]["verdict"] == "no change"
    assert "slab.free_slab.per_cycle" not in rows        # 0 throughout
    assert "slab.maple_node.barn_get.per_cycle" not in rows
    # named, the detail is there
    res2 = compare.compare_sets(a, b, metric_filter=["slab.maple_node.*"])
    rows2 = {m["metric"] for m in res2["groups"][0]["metrics"]}
    assert "slab.maple_node.barn_get.per_cycle" in rows2
    assert "slab.maple_node.alloc_fastpath.per_op" in rows2
    assert "slab.maple_node.free_slab.per_op" not in rows2   # 0, a pattern
    res3 = compare.compare_sets(a, b, metric_filter=[
        "slab.maple_node.free_slab.per_op"])
    assert [m["metric"] for m in res3["groups"][0]["metrics"]] == [
        "slab.maple_node.free_slab.per_op"]                   # 0, named
    # an allocator counter explains; it does not fail a sweep
    assert compare.regressions(res)
    assert gating_regressions({"vs_baseline": [res], "vs_previous": []}) == []


def test_bisect_and_sweep_take_allocator_metrics(tmp_path):
    slab = {"old": {"maple_node": {"alloc_from_partial": 0.001}},
            "mid": {"maple_node": {"alloc_from_partial": 0.001}},
            "new": {"maple_node": {"alloc_from_partial": 0.004}}}
    e = fake_build(tmp_path, ("old", "mid", "new"),
                   FAKE_SLAB=json.dumps(slab))
    vl = tmp_path / "variants.list"
    vl.write_text("old\nmid\nnew\n")
    metric = "slab.maple_node.alloc_from_partial.per_op"
    p = subprocess.run([SLABSCALE, "bisect", "--good", "old", "--bad", "new",
                        "--case", "page_fault3", "-s", "1", "--warmup", "0",
                        "--variants-list", str(vl), "--metric", metric],
                       capture_output=True, text=True, timeout=300, env=e)
    assert p.returncode == 0, p.stdout + p.stderr
    assert "first bad variant: new (last good: mid)" in p.stdout
    assert metric in p.stdout
    # a sweep shows the regression of the counter and still exits 0
    p = subprocess.run([SLABSCALE, "sweep", "-s", "1", "--warmup", "0",
                        "--no-report", "--cases", "page_fault3",
                        "--variants", "old,new", "-t", "1", "--all"],
                       capture_output=True, text=True, timeout=300, env=e)
    assert p.returncode == 0, p.stdout + p.stderr
    out = p.stdout + p.stderr
    assert "slab.alloc_from_partial.per_op" in out
    line = [l for l in out.splitlines()
            if "slab.alloc_from_partial.per_op" in l][0]
    # a diagnostic row says how it moved in neutral words, no verdict
    assert line.endswith("  ↑ 4.0×") and "regression" not in line
    # and compare names the per-cache row when asked
    p = subprocess.run([SLABSCALE, "compare", "latest:old", "latest:new",
                        "--metric", "slab.maple_node.*"],
                       capture_output=True, text=True, timeout=300, env=e)
    assert p.returncode == 0, p.stderr
    assert metric in p.stdout and "per_thread_ops" not in p.stdout
