"""Synthetic slabscale-run documents, exactly as docs/results-schema.md
describes them.  Used by the tests and by the fake runner they drive."""

import copy
import os
import re
import uuid

SLAB_H = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))), "allocator", "include", "slab.h")


def declared_counters(path=SLAB_H):
    """The allocator_counters table the harness writes, read from the one
    place the counters are declared (allocator/include/slab.h's
    SLAB_STAT_ITEMS and SLAB_LOCK_FIELDS), so synthetic documents carry
    exactly what a real run does."""
    with open(path) as f:
        text = f.read().replace("\\\n", " ")
    out = {"stats": {}, "locks": {}}
    better = {"LOWER": "lower", "HIGHER": "higher", "NONE": "none"}
    for m in re.finditer(r'X\(\s*[A-Z_]+,\s*"([a-z_0-9]+)",\s*"([^"]*)",'
                         r'\s*([A-Z]+),\s*"((?:[^"\\]|\\.)*)"\s*\)', text):
        out["stats"][m.group(1)] = {"unit": m.group(2),
                                    "better": better[m.group(3)],
                                    "what": m.group(4)}
    for m in re.finditer(r'X\(\s*([a-z_]+),\s*"([^"]*)",\s*([A-Z]+),'
                         r'\s*"((?:[^"\\]|\\.)*)"\s*\)', text):
        out["locks"][m.group(1)] = {"unit": m.group(2),
                                    "better": better[m.group(3)],
                                    "what": m.group(4)}
    return out

HOST = {"hostname": "testhost", "kernel": "6.18.0", "kernel_version": "#1 SMP",
        "arch": "x86_64", "cpu_model": "Test CPU @ 2.0GHz", "nr_cpus": 2,
        "cores": 2, "smt": 1, "numa_nodes": 1, "memory_bytes": 4 << 30,
        "tmp_fstype": "tmpfs"}
BUILD = {"git_commit": "0123456789abcdef0123456789abcdef01234567",
         "git_dirty": False, "compiler": "gcc 12.2.0",
         "cflags": "-O2 -g", "variant": "none"}


def snapshot(caches, locks=None, variant="none"):
    """One allocator snapshot: caches is {name: {counter: n}} or
    {name: {"stats": {...}, "locks": {...}}}; locks the top-level ones."""
    out = []
    for name, c in caches.items():
        nested = "stats" in c or "locks" in c
        stats = c.get("stats", {}) if nested else c
        entry = {"name": name, "object_size": 64, "size": 64, "objects": 0,
                 "active_objs": 0, "slabs": 0, "order": 0,
                 "objs_per_slab": 64, "sheaf_capacity": 32,
                 "stats": {k: int(v) for k, v in stats.items()}}
        if "locks" in c:
            entry["locks"] = c["locks"]
        out.append(entry)
    snap = {"variant": variant, "features": [], "percpu": "rseq",
            "live_objects": 0,
            "leaked_objects": 0, "caches": out}
    if locks is not None:
        snap["locks"] = locks
    return snap


def iterations(doc):
    """Iterations of every sample, warmup included (the allocator's scope)."""
    return sum(sum(s["deltas"]) for s in doc["samples"])


def make_doc(case="page_fault3", variant="none", mode="threads", nr_task=1,
             ops=1e6, status="ok", host=None, metrics=None, params=None,
             seconds=5, latency=None, start_time="2026-11-22T00:00:00Z",
             allocator=None, run_id="random", disturbed=False,
             cpu_share=None, shared=False):
    """One run document whose per-task ops is `ops` (per interval: flat);
    allocator: a list of snapshot()s (default null, no allocator).  Each
    gets a random run_id, as the harness gives every run (None: the field
    is left out, as in documents from before it existed).  cpu_share: the
    tasks' share of their CPUs (default 1, or 0.5 when disturbed), which
    sets ops_per_cpu_sec; disturbed: marked as the harness marks a run
    whose tasks waited for a CPU; shared: marked as the harness marks a
    run beside busy neighbours on the machine."""
    if cpu_share is None:
        cpu_share = 0.5 if disturbed else 1.0
    wait = 1.0 - cpu_share
    h = copy.deepcopy(HOST)
    if host:
        h.update(host)
    b = dict(BUILD, variant=variant)
    total = ops * nr_task
    samples = []
    for i in range(seconds + 1):
        warm = i == 0
        deltas = [int(round(ops))] * nr_task
        samples.append({"warmup": warm, "seconds": 1.0, "deltas": deltas,
                        "rates": [float(d) for d in deltas],
                        "min": float(ops), "max": float(ops),
                        "total": float(total)})
    key = "per_thread_ops" if mode == "threads" else "per_process_ops"
    stats = {"intervals": seconds, "ops_per_sec": float(total),
             "per_task_ops": float(ops), key: float(ops),
             "mean": float(ops), "median": float(ops), "stddev": 0.0,
             "cv": 0.0, "task_min": float(ops), "task_max": float(ops),
             "iterations": int(total * seconds),
             "measured_seconds": float(seconds),
             "cpu_share": cpu_share, "wait_share": wait,
             "max_wait_share": wait, "ops_per_cpu_sec": ops / cpu_share,
             "disturbed_intervals": seconds if disturbed else 0}
    m = dict(metrics or {})
    if latency is not None:
        m["destroy_latency"] = {"kind": "latency", "unit": "ns",
                                "count": 100, "mean": float(latency),
                                "min": int(latency * 0.5),
                                "p50": int(latency), "p90": int(latency * 1.2),
                                "p99": int(latency * 1.5),
                                "max": int(latency * 2),
                                "per_task": [100] * nr_task}
    doc = {"schema": "slabscale-run", "schema_version": 1, "status": status,
           "failure": None, "case": case,
           "description": "synthetic %s" % case, "mode": mode,
           "nr_task": nr_task, "variant": variant,
           "params": dict(params or {}),
           "options": {"seconds": seconds, "warmup": 1, "interval": 1.0,
                       "affinity": "cores",
                       "until_ci": None, "events": ["task-clock"]},
           "start_time": start_time, "end_time": start_time,
           "host": h, "build": b,
           "tasks": [{"nr": i, "cpu": i, "pid": 100, "tid": 100 + i}
                     for i in range(nr_task)],
           "samples": samples, "stats": stats,
           "pmu": {"error": None, "events": [{
               "name": "task-clock", "pfm_name": "perf::TASK-CLOCK",
               "status": "ok", "fallback": False, "errno_name": None,
               "reason": None,
               "value": 1e9 * seconds * nr_task, "raw": 1e9 * seconds * nr_task,
               "time_enabled": 1e9 * seconds, "time_running": 1e9 * seconds,
               "scaled": False, "per_op": 1e9 / ops,
               "per_task": [1e9 * seconds] * nr_task}]},
           "rusage": {"voluntary_ctxt_switches": 1,
                      "involuntary_ctxt_switches": 2, "minor_faults": 3,
                      "major_faults": 0, "user_seconds": 1.0,
                      "system_seconds": 1.0, "max_rss_kb": 1000},
           "metrics": m, "allocator": allocator,
           "allocator_counters": declared_counters() if allocator is not None
           else None,
           "marks": [], "disturbed": bool(disturbed)}
    if disturbed:
        doc["marks"].append({
            "reason": "disturbed", "message": "disturbed (synthetic)",
            "threshold": 0.05, "intervals": seconds, "of": seconds,
            "max_wait_share": wait, "task": 0, "wait_share": wait,
            "cpu_share": cpu_share})
    if shared:
        doc["shared"] = True
        doc["marks"].append({
            "reason": "shared", "message": "shared (synthetic)",
            "threshold": 0.25, "steal_threshold": 0.05, "outside": 0.9,
            "steal": 0.0, "intervals": seconds, "of": seconds,
            "max_outside": 1.0})
    if run_id == "random":
        doc["run_id"] = uuid.uuid4().hex
    elif run_id is not None:
        doc["run_id"] = run_id
    if status == "failed":
        doc["failure"] = {"task": 0, "pid": 100, "signal": "SIGSEGV",
                          "exit_code": None, "message": "task 0 died"}
    if status == "skipped":
        doc["stats"] = {}
    return doc
