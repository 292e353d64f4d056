#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-only
"""Measurements of the allocator cases for docs/measurements/cases.md
(pf3cal: the calibration of page_fault3_slab, docs/measurements/pf3.md).

    /usr/bin/python3 cases/measure.py pf3     [--runs 5] [--seconds 5]
    /usr/bin/python3 cases/measure.py pf3cal  [--runs 5] [--seconds 3]
    /usr/bin/python3 cases/measure.py pf3steps --sweep DIR
    /usr/bin/python3 cases/measure.py destroy [--runs 10] [--seconds 3] [--bg 2 10 ...]
    /usr/bin/python3 cases/measure.py kmod    [--runs 3] [--kmod-seconds 120]
    /usr/bin/python3 cases/measure.py malloc  [--runs 3] [--seconds 3]

Each prints the exact slabscale-run command it repeats and a Markdown
table.  Runs of different variants are interleaved (A B A B ...) so that
drift of the machine hits every variant alike.  A run that does not end
with status ok is reported and left out, never averaged in.  JSON
documents go to a temporary directory that is removed at the end.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUILD = os.environ.get("BUILD", os.path.join(ROOT, "build"))
sys.path.insert(0, os.path.join(ROOT, "analysis"))
from slabscale_analysis.plan import read_variants_list  # noqa: E402


def variants():
    return [n for n in read_variants_list()
            if os.access(os.path.join(BUILD, n, "slabscale-run"), os.X_OK)]


def command(variant, case, tasks, seconds, warmup, params):
    cmd = [os.path.join("build", variant, "slabscale-run"), case,
           "-t", str(tasks), "-s", str(seconds), "--warmup", str(warmup),
           "--no-events"]
    for k, v in params.items():
        cmd += ["--param", "%s=%s" % (k, v)]
    return cmd


def run(tmp, variant, case, tasks, seconds, warmup, params, tag):
    cmd = command(variant, case, tasks, seconds, warmup, params)
    out = os.path.join(tmp, "%s.json" % tag)
    p = subprocess.run(cmd + ["--json", out], cwd=ROOT, capture_output=True,
                       text=True, env=dict(os.environ, BUILD=BUILD))
    try:
        with open(out) as f:
            doc = json.load(f)
    except (OSError, ValueError):
        doc = None
    if p.returncode or not doc or doc["status"] != "ok":
        print("  [run failed, left out] %s: rc %d %s" % (
            " ".join(cmd), p.returncode, p.stderr.strip()[-300:]),
            file=sys.stderr)
        return None, p.stderr
    return doc, p.stderr


def spread(vals):
    med = statistics.median(vals)
    mean = statistics.mean(vals)
    cv = statistics.stdev(vals) / mean * 100 if len(vals) > 1 else 0.0
    return med, mean, cv, min(vals), max(vals)


def cache_stats(doc, names):
    """Sum of each counter over the named caches of every snapshot (names
    upper-cased as in slab.h's enum)."""
    tot = {}
    for snap in doc.get("allocator") or []:
        for c in snap["caches"]:
            if c["name"] in names:
                for k, v in c["stats"].items():
                    tot[k.upper()] = tot.get(k.upper(), 0) + v
    return tot


def fmt(x):
    return "{:,.0f}".format(x)


# ---- page_fault3_slab_perfault across variants ------------------------------
# (recorded in docs/measurements/cases.md when this case was page_fault3_slab)

PF3_CASE = "page_fault3_slab_perfault"
PF3_CACHES = ("vm_area_struct", "maple_node", "buffer_head", "kmalloc-64")
PF3_STATS = ("ALLOC_FASTPATH", "ALLOC_PCS", "ALLOC_SLOWPATH", "FREE_FASTPATH",
             "FREE_PCS", "FREE_SLOWPATH", "BARN_GET", "BARN_PUT",
             "SHEAF_REFILL", "SHEAF_FLUSH", "ALLOC_SLAB", "FREE_SLAB",
             "PCS_TRYLOCK_FAIL", "CMPXCHG_DOUBLE_FAIL")


def pf3(a, tmp):
    vs = a.variants or variants()
    for tasks in a.tasks:
        res = {v: [] for v in vs}
        stats = {v: [] for v in vs}
        print("\n`%s` (x%d, variants interleaved)\n" % (" ".join(command(
            "<variant>", PF3_CASE, tasks, a.seconds, a.warmup, {})),
            a.runs))
        for r in range(a.runs):
            for v in vs:
                doc, _ = run(tmp, v, PF3_CASE, tasks, a.seconds,
                             a.warmup, {}, "pf3-%s-%d-%d" % (v, tasks, r))
                if doc:
                    res[v].append(doc["stats"]["per_task_ops"])
                    iters = sum(sum(x["deltas"]) for x in doc["samples"]) or 1
                    st = cache_stats(doc, PF3_CACHES)
                    stats[v].append({k: st.get(k, 0) / iters for k in PF3_STATS})
        base = statistics.median(res[vs[0]]) if res[vs[0]] else None
        print("| variant | tasks | runs | per_thread_ops median | mean | CV | min | max | vs %s |" % vs[0])
        print("|---|---|---|---|---|---|---|---|---|")
        for v in vs:
            if not res[v]:
                print("| %s | %d | 0 | (no successful run) | | | | | |" % (v, tasks))
                continue
            med, mean, cv, lo, hi = spread(res[v])
            rel = "%+.1f %%" % ((med / base - 1) * 100) if base else ""
            print("| %s | %d | %d | %s | %s | %.1f %% | %s | %s | %s |" % (
                v, tasks, len(res[v]), fmt(med), fmt(mean), cv, fmt(lo),
                fmt(hi), rel))
        print("\nAllocator counters per fault (median over runs; caches %s; "
              "totals of the snapshot taken at the end of measurement "
              "divided by the faults of all intervals, warmup included):\n" % ", ".join(PF3_CACHES))
        print("| variant | " + " | ".join(PF3_STATS) + " |")
        print("|---|" + "---|" * len(PF3_STATS))
        for v in vs:
            if not stats[v]:
                continue
            row = [statistics.median(s[k] for s in stats[v]) for k in PF3_STATS]
            print("| %s | " % v + " | ".join("%.3f" % x for x in row) + " |")


# ---- page_fault3_slab: calibration of its spin work ------------------------------

def zap_ns_per_page(rounds, size=128 << 20):
    """The kernel's munmap of a 128 MiB MAP_SHARED /tmp file whose every
    page was just written (page_fault3's munmap), per page; the first round
    fills the page cache and is left out."""
    import mmap
    import time
    fd, path = tempfile.mkstemp(prefix="slabscale.pf3cal.", dir="/tmp")
    os.unlink(path)
    try:
        os.ftruncate(fd, size)
        out = []
        for r in range(rounds + 1):
            m = mmap.mmap(fd, size, mmap.MAP_SHARED,
                          mmap.PROT_READ | mmap.PROT_WRITE)
            for i in range(0, size, 4096):
                m[i] = 1
            t0 = time.perf_counter_ns()
            m.close()
            if r:
                out.append((time.perf_counter_ns() - t0) / (size // 4096))
        return out
    finally:
        os.close(fd)


def pf3cal(a, tmp):
    """Everything the defaults of page_fault3_slab's fault_work/zap_work
    come from, measured side by side (rounds interleaved)."""
    v = (a.variants or [variants()[-1]])[0]
    turns = 1000
    setups = [
        ("kernel page_fault3: ns per iteration", "page_fault3", {}),
        ("model, no spin work: ns per fault", "page_fault3_slab",
         {"fault_work": 0, "zap_work": 0}),
        ("model, fault_work=%d: ns per fault" % turns, "page_fault3_slab",
         {"fault_work": turns, "zap_work": 0}),
        ("model, pages=1, no spin work: ns per cycle", "page_fault3_slab",
         {"pages": 1, "fault_work": 0, "zap_work": 0}),
        ("model, defaults: ns per iteration", "page_fault3_slab", {}),
    ]
    res = {i: [] for i in range(len(setups))}
    zap = []
    for r in range(a.runs):
        for i, (_, case, params) in enumerate(setups):
            doc, _ = run(tmp, v, case, 1, a.seconds, a.warmup, params,
                         "cal-%d-%d" % (i, r))
            if doc:
                res[i].append(1e9 / doc["stats"]["per_task_ops"])
        zap += zap_ns_per_page(3)
    print("\nVariant %s, 1 task, %d rounds, each setup once a round "
          "(`%s` with the parameters below); munmap timed in Python "
          "(3 per round after one that fills the page cache):\n" % (
              v, a.runs, " ".join(command(v, "<case>", 1, a.seconds,
                                          a.warmup, {}))))
    print("| what | parameters | median | CV | min | max | n |")
    print("|---|---|---|---|---|---|---|")
    med = {}
    for i, (name, case, params) in enumerate(setups):
        if not res[i]:
            print("| %s | %s | (no successful run) | | | | 0 |" % (name, params))
            continue
        m, _, cv, lo, hi = spread(res[i])
        med[i] = m
        print("| %s | %s | %.1f | %.1f %% | %.1f | %.1f | %d |" % (
            name, " ".join("%s=%s" % kv for kv in params.items()) or "-",
            m, cv, lo, hi, len(res[i])))
    zm, _, zcv, zlo, zhi = spread(zap)
    print("| kernel munmap of page_fault3's mapping: ns per page | - | %.2f |"
          " %.1f %% | %.2f | %.2f | %d |" % (zm, zcv, zlo, zhi, len(zap)))
    if len(med) < len(setups):
        return
    turn = (med[2] - med[1]) / turns
    fault = med[0] - zm - med[1]
    print("\nOne spin turn: %.3f ns.  Suggested zap_work = %.0f (%.2f ns / "
          "%.3f), fault_work = %.0f ((%.1f - %.2f - %.1f) ns / %.3f).  Slab "
          "and tree work per cycle: %.0f ns (pages=1 cycle less its one "
          "fault), %.4f %% of a default cycle of 32768 iterations "
          "(%.1f ns each)." % (
              turn, zm / turn, zm, turn, fault / turn, med[0], zm, med[1],
              turn, med[3] - med[1], 100 * (med[3] - med[1]) /
              (32768 * med[4]), med[4]))


# ---- page_fault3_slab: a sweep read step by step ------------------------------

# (column, metrics summed): the lock statistics (allocator/README.md,
# "Lock statistics") and the counters that say why a lock was taken
PF3_STEP_COUNTERS = (
    ("barn_lock taken", ("locks.barn_lock.acquired",)),
    ("list_lock taken", ("locks.list_lock.acquired",)),
    ("list_lock contended", ("locks.list_lock.contended",)),
    ("zone_lock taken", ("locks.zone_lock.acquired",)),
    ("new slabs", ("alloc_slab",)),
    ("sheaf refill", ("sheaf_refill",)),
    ("sheaf flush", ("sheaf_flush",)),
    ("slow paths", ("alloc_slowpath", "free_slowpath")),
)


def pf3steps(a, tmp):
    """Each variant of a page_fault3_slab sweep against its predecessor:
    per_thread_ops (median, CV, the compare verdict) and allocator counters
    and lock acquisitions per cycle (medians over the runs)."""
    sys.path.insert(0, os.path.join(ROOT, "analysis"))
    from slabscale_analysis import compare, results
    runs = [r for r in results.load_set(os.path.join(a.sweep, "runs"))
            if r.case == "page_fault3_slab"]
    order = [v for v in variants() if any(r.variant == v for r in runs)]
    keys = sorted({(r.mode, r.nr_task) for r in runs})
    for mode, t in keys:
        head = ["variant", results.primary_metric(mode), "CV", "vs previous",
                "verdict"] + ["%s / cycle" % n for n, _ in PF3_STEP_COUNTERS]
        print("\n%s, nr_task %d (%s):\n" % (mode, t, a.sweep))
        print("| " + " | ".join(head) + " |")
        print("|" + "---|" * len(head))
        prev = None
        for v in order:
            rs = [r for r in runs if r.variant == v and r.mode == mode
                  and r.nr_task == t and r.ok]
            if not rs:
                continue
            ops = [r.metrics()[results.primary_metric(mode)][0] for r in rs]
            med, _, cv, _, _ = spread(ops)
            step, verdict = "", ""
            if prev:
                c = compare.compare_sets(prev[1], rs, metric_filter=[
                    results.primary_metric(mode)])
                m = c["groups"][0]["metrics"][0]
                step = "%+.1f %%" % (100 * m["change"]) \
                    if m["change"] is not None else "-"
                verdict = m["verdict"]
            cells = []
            for _, names in PF3_STEP_COUNTERS:
                vals = [sum(r.metrics().get("slab.%s.per_cycle" % n, (0,))[0]
                            for n in names) for r in rs]
                cells.append("%.4f" % statistics.median(vals))
            print("| %s | %s | %.1f %% | %s | %s | %s |" % (
                v, fmt(med), cv, step, verdict, " | ".join(cells)))
            prev = (v, rs)


# ---- cache_destroy: destroy latency per variant ------------------------------

KINDS = ("debug", "rcu", "plain")
PAIR = ("rcu-sheaf", "barrier-on-cache")


def destroy(a, tmp):
    """Per bg_caches value, every variant a.runs times interleaved; per
    variant the medians over runs of the per-run mean/p10/p50/p90 of
    destroy_latency (with the range of the run means), the per-kind means,
    and the rcu-sheaf / barrier-on-cache mean ratio (median of the ratios
    of runs made side by side)."""
    vs = a.variants or variants()
    print("\n`%s` (x%d per point, variants interleaved)\n" % (" ".join(command(
        "<variant>", "cache_destroy", 1, a.seconds, a.warmup,
        {"bg_caches": "<B>"})), a.runs))
    print("| bg_caches | variant | runs | destroys/run | mean (us) [range] | p10 | p50 | p90 | "
          + " | ".join("%s mean" % k for k in KINDS) + " |")
    print("|---|---|---|---|---|---|---|---|" + "---|" * len(KINDS))
    for b in a.bg:
        res = {v: [] for v in vs}
        for r in range(a.runs):
            for v in vs:
                doc, _ = run(tmp, v, "cache_destroy", 1, a.seconds, a.warmup,
                             {"bg_caches": b}, "cd-%s-%d-%d" % (v, b, r))
                if doc:
                    m = doc["metrics"]
                    d = m["destroy_latency"]
                    row = {q: d[q] / 1000 for q in ("mean", "p10", "p50", "p90")}
                    row["count"] = d["count"]
                    for k in KINDS:
                        x = m.get("destroy_latency_" + k) or {}
                        row[k] = x["mean"] / 1000 if x.get("count") else None
                    res[v].append(row)
                else:
                    res[v].append(None)
        for v in vs:
            ok = [x for x in res[v] if x]
            if not ok:
                print("| %d | %s | 0 | (no successful run) |||||%s" % (b, v, "|" * len(KINDS)))
                continue
            med = {q: statistics.median(x[q] for x in ok)
                   for q in ("mean", "p10", "p50", "p90", "count")}
            kinds = []
            for k in KINDS:
                xs = [x[k] for x in ok if x[k] is not None]
                kinds.append("%.0f" % statistics.median(xs) if xs else "-")
            print("| %d | %s | %d | %.0f | %.0f [%.0f-%.0f] | %.0f | %.0f | %.0f | %s |" % (
                b, v, len(ok), med["count"], med["mean"],
                min(x["mean"] for x in ok), max(x["mean"] for x in ok),
                med["p10"], med["p50"], med["p90"], " | ".join(kinds)))
        if all(v in vs for v in PAIR):
            pairs = [g["mean"] / c["mean"] for g, c in zip(res[PAIR[0]], res[PAIR[1]])
                     if g and c and c["mean"]]
            if pairs:
                print("| %d | %s / %s | %d pairs | | mean ratio %.2fx (paired median), %.2f-%.2f | | | |%s" % (
                    b, PAIR[0], PAIR[1], len(pairs), statistics.median(pairs),
                    min(pairs), max(pairs), " |" * len(KINDS)))


# ---- kmod_stress ------------------------------------------------------------------

def kmod(a, tmp):
    vs = a.variants or [v for v in PAIR if v in variants()]
    for b in a.bg:
        params = {"bg_caches": b}
        print("\n`%s` (x%d, variants interleaved)\n" % (" ".join(command(
            "<variant>", "kmod_stress", 1, a.kmod_seconds, 0, params)), a.runs))
        print("| variant | bg_caches | Total calls | Average latency (us) | Total time (us) | wall time (us) |")
        print("|---|---|---|---|---|---|")
        rows = {v: [] for v in vs}
        for r in range(a.runs):
            for v in vs:
                doc, _ = run(tmp, v, "kmod_stress", 1, a.kmod_seconds, 0,
                             params, "km-%s-%d-%d" % (v, b, r))
                if doc:
                    m = doc["metrics"]
                    calls = m["total_calls"]["value"]
                    rows[v].append((calls, m["total_time_us"]["value"] / calls,
                                    m["total_time_us"]["value"],
                                    m["wall_time_us"]["value"]))
        for v in vs:
            for calls, avg, tot, wall in rows[v]:
                print("| %s | %d | %d | %.0f | %s | %s |" % (
                    v, b, calls, avg, fmt(tot), fmt(wall)))
        if all(rows.get(v) for v in PAIR):
            t = [statistics.median(x[2] for x in rows[v]) for v in PAIR]
            w = [statistics.median(x[3] for x in rows[v]) for v in PAIR]
            print("\nTotal time %s / %s: %.2fx (medians), wall time %.2fx "
                  "(the kernel's kmod selftest: 214 s -> 100 s, 2.14x)" % (
                      PAIR + (t[0] / t[1], w[0] / w[1])))


# ---- malloc_pair vs slab_alloc_free ------------------------------------------------

def malloc(a, tmp):
    """Each repetition runs every setup once; besides the median, the
    ratio to slab_alloc_free (kmem_cache, same batch) is taken within each
    repetition (paired) and its median reported, and the best run (the
    quietest moment of a shared VM) is shown too."""
    v = (a.variants or ["sheaves"])[0]
    setups = []
    for batch in (1, 32):
        setups.append(("slab_alloc_free (kmem_cache)", "slab_alloc_free",
                       {"batch": batch}))
        setups.append(("slab_alloc_free (kmalloc)", "slab_alloc_free",
                       {"batch": batch, "api": "kmalloc"}))
        for peer in ("glibc", "jemalloc", "tcmalloc", "mimalloc"):
            setups.append(("malloc_pair %s" % peer, "malloc_pair",
                           {"allocator": peer, "batch": batch}))
    res = {i: [None] * a.runs for i in range(len(setups))}
    for r in range(a.runs):
        for i, (_, case, params) in enumerate(setups):
            doc, _ = run(tmp, v, case, 1, a.seconds, a.warmup, params,
                         "mp-%d-%d" % (i, r))
            if doc:
                res[i][r] = doc["stats"]["per_task_ops"]
    print("\nVariant %s, 64-byte objects, 1 task, %d repetitions of every "
          "setup, interleaved:\n" % (v, a.runs))
    print("| what | batch | ns per pair (median) | best | CV | time per pair / slab_alloc_free (kmem_cache)'s, paired median |")
    print("|---|---|---|---|---|---|")
    for i, (name, case, params) in enumerate(setups):
        vals = [x for x in res[i] if x]
        if not vals:
            print("| %s | %s | (no successful run) | | | |" % (name, params["batch"]))
            continue
        med, _, cv, _, hi = spread(vals)
        base = 0 if params["batch"] == 1 else 6
        pairs = [res[base][r] / res[i][r] for r in range(a.runs)
                 if res[base][r] and res[i][r]]
        print("| %s | %d | %.2f | %.2f | %.0f %% | %.2f |" % (
            name, params["batch"], 1e9 / med, 1e9 / hi, cv,
            statistics.median(pairs) if pairs else float("nan")))
    print("\nCommands: `%s` and `%s` (batch=1 or 32)." % (
        " ".join(command(v, "slab_alloc_free", 1, a.seconds, a.warmup,
                         {"batch": "N", "api": "cache|kmalloc"})),
        " ".join(command(v, "malloc_pair", 1, a.seconds, a.warmup,
                         {"allocator": "glibc|jemalloc|tcmalloc|mimalloc",
                          "batch": "N"}))))


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("what", choices=("pf3", "pf3cal", "pf3steps", "destroy",
                                     "kmod", "malloc"))
    ap.add_argument("--sweep", help="pf3steps: the sweep's directory")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--seconds", type=int, default=5)
    ap.add_argument("--warmup", type=int, default=1)
    ap.add_argument("--kmod-seconds", type=int, default=120)
    ap.add_argument("--bg", type=int, nargs="+", default=[2, 10, 100, 300])
    ap.add_argument("--variants", nargs="+")
    ap.add_argument("--tasks", type=int, nargs="+", default=[1, 2])
    a = ap.parse_args()
    if not variants():
        sys.exit("no build/<variant>/slabscale-run: run make first")
    with tempfile.TemporaryDirectory(prefix="slabscale-measure-") as tmp:
        globals()[a.what](a, tmp)


if __name__ == "__main__":
    main()
