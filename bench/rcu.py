#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-only
"""bench-rcu: kfree_rcu throughput per thread, kmem_cache_destroy latency
while B other sheaf caches hold rcu sheaves, the barriers on their own, and
the distributions of a grace period, call_rcu -> callback, rcu_barrier and
kvfree_rcu_barrier (the model's and, for reference, liburcu's own).

Runs build/bench/rcu-<variant> (built only for libraries that define the
kfree_rcu and barrier symbols).  Processes interleave the variants; each
figure is the median over processes of per-process medians.
"""

import argparse
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchcommon as bc  # noqa: E402

MODES = {
    "full":  dict(outer=3, tput_ops=1000000, tput_reps=5, destroy_reps=7,
                  caches=(2, 10, 100, 300, 1000), barrier_reps=9, gp_reps=40),
    "quick": dict(outer=1, tput_ops=200000, tput_reps=3, destroy_reps=3,
                  caches=(2, 10, 100, 300, 1000), barrier_reps=3, gp_reps=20),
    "smoke": dict(outer=1, tput_ops=2000, tput_reps=1, destroy_reps=1,
                  caches=(3,), barrier_reps=1, gp_reps=2),
}
# test=gp kinds in print order, with what each times
GP_KINDS = (
    ("sync", "slab_synchronize_rcu()"),
    ("call_rcu", "slab_call_rcu() -> callback starts"),
    ("rcu_barrier0", "slab_rcu_barrier(), nothing queued"),
    ("rcu_barrier1", "slab_rcu_barrier() after one call_rcu"),
    ("kvfree0", "kvfree_rcu_barrier(), nothing pending"),
    ("kvfree1", "kvfree_rcu_barrier() after kfree_rcu of one sheaf-cache object"),
    ("kvfree1_classic", "the same, one 16 KiB kmalloc object (classic batch)"),
    ("urcu_call_rcu", "liburcu call_rcu() -> callback (default worker)"),
    ("urcu_call_rcu_rt", "liburcu call_rcu() -> callback (URCU_CALL_RCU_RT worker)"),
    ("urcu_barrier1", "liburcu rcu_barrier() after one call_rcu"),
)
DESTROY_PAIR = ("rcu-sheaf", "barrier-on-cache")


def progress(msg):
    print("bench-rcu: " + msg, file=sys.stderr, flush=True)


def run_test(binary, args, test):
    """Run one test; (variant description, result lines, stat lines)."""
    t0 = time.monotonic()
    out = bc.run([binary] + args)
    progress("%s %s: %.1f s" % (os.path.basename(binary), " ".join(args),
                                time.monotonic() - t0))
    lines = bc.parse_lines(out, "rcu")
    head = [r for r in lines if "test" not in r]
    rows = [r for r in lines if r.get("test") == test]
    if not head or not rows:
        raise bc.BenchError("%s printed no '%s' result" % (binary, test))
    return head[0], rows, bc.parse_lines(out, "stat")


class Variant:
    def __init__(self, name, binary):
        self.name, self.binary = name, binary
        self.features = None
        self.error = None
        self.tput = {}		# threads -> [ns]
        self.stats = {}		# threads -> last stat line
        self.destroy = {}	# caches -> [us]
        self.barrier = {}	# kind -> [us]
        self.gp = {}		# test=gp kind -> [us], every sample

    def fail(self, what, e):
        self.error = "%s: %s" % (what, e)
        print("bench-rcu: %s FAILED (marked, not averaged): %s" %
              (self.name, self.error), file=sys.stderr)


def barrier_phase(vs, mode):
    for rep in range(mode["outer"]):
        for v in vs:
            if v.error:
                continue
            args = ["barrier", "--reps", str(mode["barrier_reps"])]
            try:
                t0 = time.monotonic()
                out = bc.run([v.binary] + args)
                progress("%s barrier: %.1f s" % (v.name,
                                                 time.monotonic() - t0))
                lines = bc.parse_lines(out, "rcu")
                head = [r for r in lines if "test" not in r]
                rows = [r for r in lines if r.get("test") == "barrier"]
                flush = [r for r in lines if r.get("test") == "flush"]
                if not head or len(rows) != 3 or len(flush) != 1:
                    raise bc.BenchError("incomplete barrier output: %r" % out)
            except bc.BenchError as e:
                v.fail("barrier", e)
                continue
            v.features = head[0]
            for r in rows:
                v.barrier.setdefault(r["kind"], []).append(r["us"])
            if flush[0]["available"]:
                v.barrier.setdefault("flush", []).append(flush[0]["us"])


def gp_phase(vs, mode):
    for rep in range(mode["outer"]):
        for v in vs:
            if v.error:
                continue
            try:
                _, rows, _ = run_test(v.binary, ["gp", "--reps",
                                                 str(mode["gp_reps"])], "gp")
                got = {r["kind"]: [float(x) for x in str(r["us"]).split(",")]
                       for r in rows}
                if set(got) != {k for k, _ in GP_KINDS} or any(
                        len(x) != mode["gp_reps"] for x in got.values()):
                    raise bc.BenchError("incomplete gp output: %r" % rows)
            except (bc.BenchError, ValueError) as e:
                v.fail("gp", e)
                continue
            for k, x in got.items():
                v.gp.setdefault(k, []).extend(x)


def tput_phase(vs, mode, threads):
    for rep in range(mode["outer"]):
        for t in threads:
            for v in vs:
                if v.error:
                    continue
                args = ["tput", "--threads", str(t), "--ops",
                        str(mode["tput_ops"]), "--reps",
                        str(mode["tput_reps"])]
                try:
                    _, rows, stats = run_test(v.binary, args, "tput")
                except bc.BenchError as e:
                    v.fail("tput", e)
                    continue
                v.tput.setdefault(t, []).append(rows[0]["ns"])
                v.stats[t] = {k.upper(): x for k, x in
                              (stats[0] if stats else {}).items()}


def destroy_phase(vs, mode):
    for rep in range(mode["outer"]):
        for b in mode["caches"]:
            for v in vs:
                if v.error:
                    continue
                try:
                    _, rows, _ = run_test(v.binary, [
                        "destroy", "--caches", str(b), "--reps",
                        str(mode["destroy_reps"])], "destroy")
                except bc.BenchError as e:
                    v.fail("destroy B=%d" % b, e)
                    continue
                v.destroy.setdefault(b, []).append(rows[0]["us"])


def slope(points):
    """Least-squares slope and intercept of (x, y) points."""
    n = len(points)
    if n < 2:
        return None, None
    mx = sum(x for x, _ in points) / n
    my = sum(y for _, y in points) / n
    sxx = sum((x - mx) ** 2 for x, _ in points)
    if sxx == 0:
        return None, None
    k = sum((x - mx) * (y - my) for x, y in points) / sxx
    return k, my - k * mx


def paired(a, b):
    """Median of a[i] / b[i] over the interleaved repetitions."""
    xs = [x / y for x, y in zip(a or [], b or []) if y]
    return bc.median(xs) if xs else None


def summarise(vs, mode, threads):
    res = {"variants": {}, "threads": list(threads)}
    byname = {v.name: v for v in vs}
    g, c = (byname.get(n) for n in DESTROY_PAIR)
    res["destroy_ratio"] = {b: paired(g.destroy.get(b), c.destroy.get(b))
                            for b in mode["caches"]} if g and c else {}
    for v in vs:
        d = {"error": v.error, "features": v.features, "stats": v.stats,
             "tput_ns": {t: bc.median(x) for t, x in v.tput.items()},
             "tput_samples": v.tput,
             "destroy_us": {b: bc.median(x) for b, x in v.destroy.items()},
             "destroy_samples": v.destroy,
             "barrier_us": {k: bc.median(x) for k, x in v.barrier.items()},
             "barrier_samples": v.barrier,
             "gp_us": {k: {"n": len(x), "p10": bc.percentile(x, 10),
                           "p50": bc.percentile(x, 50),
                           "p90": bc.percentile(x, 90)}
                       for k, x in v.gp.items()},
             "gp_samples": v.gp}
        k, c = slope(sorted(d["destroy_us"].items()))
        base = next((x for x in vs if x.name == "cpuslab"), None)
        d["tput_x_cpuslab"] = {t: paired(v.tput.get(t), base.tput.get(t))
                               for t in v.tput} if base else {}
        d["destroy_slope_us_per_cache"], d["destroy_intercept_us"] = k, c
        res["variants"][v.name] = d
    return res


def print_report(res, mode_name, mode, out=sys.stdout):
    V = res["variants"]
    print("\nbench-rcu: kmem_cache_alloc + kfree_rcu on a 64-byte sheaf cache "
          "(capacity 32), ns per pair per thread, one thread per CPU; "
          "median of %d processes x %d reps of %d pairs; mode %s" %
          (mode["outer"], mode["tput_reps"], mode["tput_ops"], mode_name),
          file=out)
    hdr = ["variant"]
    for t in res["threads"]:
        hdr += ["ns %dT" % t, "Mops/s/thr", "x cpuslab"]
    hdr += ["FREE_RCU_SHEAF", "_FAIL", "ALLOC_SLAB", "slabs at end"]
    lines = []
    for name, d in V.items():
        if d["error"] and not d["tput_ns"]:
            lines.append([name, "FAILED"] + [""] * (len(hdr) - 2))
            continue
        line = [name]
        for t in res["threads"]:
            ns = d["tput_ns"].get(t)
            line += [bc.fmt(ns, "%.1f"), bc.fmt(1e3 / ns if ns else None),
                     bc.fmt(d["tput_x_cpuslab"].get(t))]
        st = d["stats"].get(res["threads"][-1], {})
        line += [st.get("FREE_RCU_SHEAF", "-"),
                 st.get("FREE_RCU_SHEAF_FAIL", "-"),
                 st.get("ALLOC_SLAB", "-"), st.get("SLABS", "-")]
        lines.append(line)
    bc.table(hdr, lines, out)
    print("(x cpuslab: median of per-repetition ratios, < 1 is faster; counters from the %d-thread run; "
          "'slabs at end' = slabs the cache held after the last timed run, "
          "before the final kvfree_rcu_barrier(): bounded when allocations "
          "reuse freed objects)" % res["threads"][-1], file=out)

    print("\nkmem_cache_destroy latency (us) while B other sheaf caches hold "
          "rcu sheaves on every CPU; median of %d processes x %d reps; "
          "the ratio is the median of per-repetition ratios" %
          (mode["outer"], mode["destroy_reps"]), file=out)
    dv = [n for n, d in V.items() if d["destroy_us"]]
    if not dv:
        print("no figures: not run (--tests), or no variant with rcu_free "
              "sheaves (SLAB_FEAT_RCU_SHEAF) built", file=out)
    hdr = ["B"] + dv
    pair = all(n in dv for n in DESTROY_PAIR)
    if pair:
        hdr.append("%s / %s" % DESTROY_PAIR)
    lines = []
    for b in mode["caches"]:
        line = [str(b)] + [bc.fmt(V[n]["destroy_us"].get(b), "%.0f")
                           for n in dv]
        if pair:
            line.append(bc.fmt(res["destroy_ratio"].get(b)) + "x")
        lines.append(line)
    lines.append(["slope us/cache"] +
                 [bc.fmt(V[n]["destroy_slope_us_per_cache"], "%.2f")
                  for n in dv] + ([""] if pair else []))
    if dv:
        bc.table(hdr, lines, out)

    print("\nbarriers on their own (us, median of %d processes x %d reps): "
          "rcu_barrier = slab_rcu_barrier() after one call_rcu (one grace "
          "period); on_cache = "
          "kvfree_rcu_barrier_on_cache() on a cache holding rcu sheaves; "
          "global = kvfree_rcu_barrier() with that one cache; flush alone = "
          "the per-CPU rcu sheaf flush round trip of that cache without "
          "rcu_barrier() (allocator-internal slab_flush_rcu_sheaves_on_cache)" %
          (mode["outer"], mode["barrier_reps"]), file=out)
    hdr = ["variant", "rcu_barrier", "on_cache", "global",
           "on_cache - rcu_barrier", "flush alone"]
    lines = []
    for n, d in V.items():
        bu = d["barrier_us"]
        if not bu:
            continue
        rb, oc = bu.get("rcu_barrier"), bu.get("on_cache")
        lines.append([n, bc.fmt(rb, "%.0f"), bc.fmt(oc, "%.0f"),
                      bc.fmt(bu.get("global"), "%.0f"),
                      bc.fmt(oc - rb if oc is not None and rb is not None
                             else None, "%.0f"),
                      bc.fmt(bu.get("flush"), "%.1f")])
    bc.table(hdr, lines, out)
    if any(d["gp_us"] for d in V.values()):
        print("\ngrace periods and barriers (us; p10 / p50 / p90 over n "
              "samples = %d processes x %d, each from idle, 5 ms apart)" %
              (mode["outer"], mode["gp_reps"]), file=out)
        hdr = ["what", "variant", "n", "p10", "p50", "p90"]
        lines = []
        for k, what in GP_KINDS:
            for n, d in V.items():
                g = d["gp_us"].get(k)
                if g:
                    lines.append([what, n, str(g["n"]),
                                  bc.fmt(g["p10"], "%.1f"),
                                  bc.fmt(g["p50"], "%.1f"),
                                  bc.fmt(g["p90"], "%.1f")])
        bc.table(hdr, lines, out)
    if pair and res["destroy_ratio"].get(300):
        r = res["destroy_ratio"][300]
        print("goal B=300: %s / %s = %.2fx (the kernel's kmod case: 8529 -> "
              "3804 us = 2.24x): %s" % (DESTROY_PAIR + (r, "met" if r >= 2.24
                                                         else "MISSED")),
              file=out)
    if pair:
        k = V[DESTROY_PAIR[0]]["destroy_slope_us_per_cache"]
        print("per-cache flush round trip (all CPUs), from the global "
              "barrier's slope over B: %s us" % bc.fmt(k, "%.2f"), file=out)
    for n, d in V.items():
        if d["error"]:
            print("FAILED %s: %s" % (n, d["error"]), file=out)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--build", default="build")
    ap.add_argument("--variants", default="cpuslab sheaves rcu-sheaf "
                    "barrier-on-cache")
    ap.add_argument("--mode", choices=sorted(MODES), default="full")
    ap.add_argument("--json", default=None)
    ap.add_argument("--tests", default="barrier,gp,tput,destroy",
                    help="comma-separated subset of barrier,gp,tput,destroy")
    args = ap.parse_args()
    tests = set(args.tests.split(","))
    if not tests <= {"barrier", "gp", "tput", "destroy"}:
        ap.error("--tests: unknown test in %r" % args.tests)
    mode = MODES[args.mode]
    bench_dir = os.path.join(args.build, "bench")

    lock = bc.exclusive(args.build)  # noqa: F841 (held until exit)
    m = bc.machine()
    bc.print_machine(m)
    vs = []
    for name in args.variants.split():
        b = os.path.join(bench_dir, "rcu-" + name)
        if os.path.exists(b):
            vs.append(Variant(name, b))
        else:
            print("bench-rcu: %s: %s not built (variant or its kfree_rcu "
                  "symbols missing), skipped" % (name, b))
    if not vs:
        print("bench-rcu: nothing to run yet; the program is ready "
              "(bench/rcu.c) and builds once libslab.a has the RCU symbols")
        return 0
    threads = sorted({1, os.cpu_count() or 1})
    barrier_phase(vs, mode if "barrier" in tests else
                  dict(mode, outer=1, barrier_reps=1))   # learns features
    if "barrier" not in tests:
        for v in vs:
            v.barrier = {}
    if "gp" in tests:
        gp_phase(vs, mode)
    if "tput" in tests:
        tput_phase(vs, mode, threads)
    with_sheaf = [v for v in vs if v.features and v.features.get("rcu_sheaf")]
    if "destroy" in tests:
        destroy_phase(with_sheaf, mode)
    res = summarise(vs, mode, threads)
    res.update(machine=m, mode=args.mode, params=mode)
    print_report(res, args.mode, mode)
    if args.json:
        bc.write_json(args.json, res)
        print("results: %s" % args.json)
    return 1 if any(v.error for v in vs) else 0


if __name__ == "__main__":
    sys.exit(main())
