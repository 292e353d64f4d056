#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-only
"""Measurements of the allocator cases for docs/measurements/cases.md.

    /usr/bin/python3 cases/measure.py pf3     [--runs 5] [--seconds 5]
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


def variants():
    with open(os.path.join(ROOT, "allocator", "variants.list")) as f:
        names = [l.split("#", 1)[0].strip() for l in f]
    return [n for n in names
            if n and os.access(os.path.join(BUILD, n, "slabscale-run"), os.X_OK)]


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


# ---- page_fault3_slab across variants ---------------------------------------

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
            "<variant>", "page_fault3_slab", tasks, a.seconds, a.warmup, {})),
            a.runs))
        for r in range(a.runs):
            for v in vs:
                doc, _ = run(tmp, v, "page_fault3_slab", tasks, a.seconds,
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
    ap.add_argument("what", choices=("pf3", "destroy", "kmod", "malloc"))
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
