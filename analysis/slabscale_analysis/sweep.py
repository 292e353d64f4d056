"""slabscale sweep: run a plan, store the runs, compare, report."""

import datetime
import os
import sys
import time

from . import compare as cmpmod
from . import layout, plan as planmod, runner, table
from .errors import (UserError, DataError, EXIT_OK, EXIT_REGRESSION,
                     EXIT_INCOMPLETE, EXIT_INTERRUPTED)
from .results import load_set, diagnostic_metric

DONE = ("ok", "failed", "skipped")


def now_iso():
    return datetime.datetime.now(datetime.timezone.utc).strftime(
        "%Y-%m-%dT%H:%M:%SZ")


def fmt_secs(s):
    s = int(round(s))
    if s >= 3600:
        return "%dh%02dm" % (s // 3600, s % 3600 // 60)
    return "%dm%02ds" % (s // 60, s % 60) if s >= 60 else "%ds" % s


def reduce_plan(plan, build_dir, log):
    """Drop variants without a runner and cases a runner does not list."""
    variants, keep_cases = [], set()
    supported = {}
    for v in plan["variants"]:
        path = runner.runner_path(build_dir, v)
        if not os.access(path, os.X_OK):
            log("sweep: variant %s has no runner (%s): dropped" % (v, path))
            continue
        variants.append(v)
        supported[v] = runner.list_cases(path)
    if not variants:
        raise UserError("sweep: none of the variants %s is built under %s "
                        "(run make)" % (", ".join(plan["variants"]), build_dir))
    cases = []
    for c in plan["cases"]:
        lacking = [v for v in variants
                   if supported[v] is not None and c not in supported[v]]
        if lacking:
            log("sweep: case %s is not supported by %s: dropped"
                % (c, ", ".join(lacking)))
            continue
        cases.append(c)
        keep_cases.add(c)
    if not cases:
        raise UserError("sweep: none of the cases %s runs on all of %s"
                        % (", ".join(plan["cases"]), ", ".join(variants)))
    p = dict(plan, variants=variants, cases=cases)
    if p["baseline"] not in variants:
        log("sweep: baseline %s is not built; baseline is now %s"
            % (p["baseline"], variants[0]))
        p["baseline"] = variants[0]
    return p


def new_manifest(plan, requested, sweep_id, host):
    specs = planmod.schedule(plan)
    runs = []
    for s in specs:
        rel = layout.run_relpath(s["variant"], s["case"], s["mode"],
                                 s["nr_task"], s["repeat"])
        runs.append(dict(s, file=rel, log=rel[:-5] + ".log", status="pending",
                         exit_code=None, message=None, attempts=0))
    return {"schema": layout.SWEEP_SCHEMA, "schema_version": 1,
            "id": sweep_id, "host": host, "plan": plan,
            "requested_plan": requested, "plan_hash": planmod.plan_hash(plan),
            "state": "running", "started": now_iso(), "finished": None,
            "runs": runs}


class Progress:
    def __init__(self, total, done, guess, out):
        self.total, self.done, self.guess, self.out = total, done, guess, out
        self.t0 = time.monotonic()
        self.ran = 0

    def line(self, run):
        left = self.total - self.done
        el = time.monotonic() - self.t0
        per = el / self.ran if self.ran else self.guess
        self.out("[%d/%d] %s %s %s t=%d rep %d | elapsed %s, ETA %s"
                 % (self.done + 1, self.total, run["variant"], run["case"],
                    run["mode"], run["nr_task"], run["repeat"] + 1,
                    fmt_secs(el), fmt_secs(per * left)))

    def finished(self):
        self.done += 1
        self.ran += 1


def execute(manifest, sdir, build_dir, out):
    """Run every pending run of a manifest; returns True if interrupted."""
    mpath = os.path.join(sdir, layout.MANIFEST)
    plan = manifest["plan"]
    runs = manifest["runs"]
    todo = [r for r in runs if r["status"] not in DONE]
    prog = Progress(len(runs), len(runs) - len(todo),
                    plan["seconds"] + plan["warmup"] + 1, out)
    manifest["state"] = "running"
    layout.write_json_atomic(mpath, manifest)
    with runner.Interrupt() as intr:
        for r in todo:
            if intr.hit:
                break
            fpath = os.path.join(sdir, r["file"])
            if r["status"] == "interrupted" and os.path.exists(fpath):
                os.replace(fpath, "%s.interrupted-%d.json"
                           % (fpath[:-5], r["attempts"]))
            prog.line(r)
            rec = runner.run_once(runner.runner_path(build_dir, r["variant"]),
                                  r, plan, fpath, os.path.join(sdir, r["log"]),
                                  intr)
            r["attempts"] += 1
            r.update(status=rec["status"], exit_code=rec["exit_code"],
                     message=rec["message"], seconds=round(rec["seconds"], 3))
            if rec["status"] != "ok":
                out("  -> %s%s" % (rec["status"], ": " + rec["message"]
                                   if rec["message"] else ""))
            prog.finished()
            layout.write_json_atomic(mpath, manifest)
            if rec["status"] == "interrupted":
                intr.hit = True
    if intr.hit:
        manifest["state"] = "interrupted"
    else:
        manifest["state"] = "complete"
        manifest["finished"] = now_iso()
    layout.write_json_atomic(mpath, manifest)
    return intr.hit


def previous_sweep(results, manifest):
    best = None
    for p, m in layout.list_sweeps(results, manifest["host"]):
        if m.get("plan_hash") == manifest["plan_hash"] \
                and m.get("state") == "complete" \
                and m.get("id", "") < manifest["id"]:
            best = os.path.dirname(p)
    return best


def sweep_runs(sdir):
    rdir = os.path.join(sdir, "runs")
    if not os.path.isdir(rdir):
        return []
    try:
        return load_set(rdir)
    except DataError as e:
        if "no result files" in str(e):
            return []
        raise


def analyse(manifest, sdir, results, allow_host_mismatch=False,
            min_effect=None):
    """Compare with the baseline variant and with the previous sweep."""
    from . import stats
    me = stats.MIN_EFFECT if min_effect is None else min_effect
    plan = manifest["plan"]
    runs = sweep_runs(sdir)
    out = {"sweep": manifest["id"], "vs_baseline": [], "vs_previous": [],
           "previous": None, "errors": []}
    by_v = {}
    for r in runs:
        by_v.setdefault(r.variant, []).append(r)
    base = by_v.get(plan["baseline"], [])
    for v in plan["variants"]:
        if v == plan["baseline"] or not by_v.get(v) or not base:
            continue
        try:
            out["vs_baseline"].append(cmpmod.compare_sets(
                base, by_v[v], "%s (baseline)" % plan["baseline"], v,
                min_effect=me, allow_host_mismatch=allow_host_mismatch))
        except DataError as e:
            out["errors"].append(str(e))
    prev = previous_sweep(results, manifest)
    if prev:
        out["previous"] = os.path.basename(prev)
        pruns = sweep_runs(prev)
        for v in plan["variants"]:
            a = [r for r in pruns if r.variant == v]
            b = by_v.get(v, [])
            if not a or not b:
                continue
            try:
                out["vs_previous"].append(cmpmod.compare_sets(
                    a, b, "%s @ %s" % (v, out["previous"]),
                    "%s @ %s" % (v, manifest["id"]), min_effect=me,
                    allow_host_mismatch=allow_host_mismatch))
            except DataError as e:
                out["errors"].append(str(e))
    return out


def gating_regressions(analysis):
    """Regressions that fail the sweep: any metric with a direction except
    the diagnostic PMU counts and allocator counters."""
    out = []
    for c in analysis["vs_baseline"] + analysis["vs_previous"]:
        for g, m in cmpmod.regressions(c):
            if not diagnostic_metric(m["metric"]):
                out.append((c, g, m))
    return out


def finish(manifest, sdir, results, out, allow_host_mismatch=False,
           make_report=True, min_effect=None):
    """Compare, write compare.json and the report, print; exit status."""
    an = analyse(manifest, sdir, results, allow_host_mismatch, min_effect)
    layout.write_json_atomic(os.path.join(sdir, "compare.json"), an)
    for c in an["vs_baseline"]:
        out("\n# against the baseline variant\n" + table.render(c))
    for c in an["vs_previous"]:
        out("\n# against the previous sweep of this plan\n" + table.render(c))
    if not an["vs_previous"]:
        out("\n(no previous complete sweep of this plan on this host)")
    for e in an["errors"]:
        out("sweep: cannot compare: " + e)
    if make_report:
        from . import report
        path = report.write_report(sdir, manifest, an, out)
        out("report: %s" % path)
    st = {}
    for r in manifest["runs"]:
        st[r["status"]] = st.get(r["status"], 0) + 1
    out("runs: " + ", ".join("%d %s" % (n, s) for s, n in sorted(st.items())))
    regs = gating_regressions(an)
    if regs:
        out("sweep: %d significant regression(s):" % len(regs))
        for c, g, m in regs:
            out("  %s -> %s: %s %s t=%d %s %s (p=%.3g)" % (
                c["base_label"], c["new_label"], g["case"], g["mode"],
                g["nr_task"], m["metric"], table.fmt_change(m["change"]),
                m["p"]))
        return EXIT_REGRESSION
    if st.get("ok", 0) == 0 or st.get("failed", 0):
        return EXIT_INCOMPLETE
    return EXIT_OK


def run(plan_raw, results, build_dir, out=None, resume=None,
        allow_host_mismatch=False, make_report=True, min_effect=None):
    out = out or (lambda s: print(s, file=sys.stderr, flush=True))
    host = layout.this_host()
    if resume:
        sdir = resume_dir(results, resume, host)
        manifest = layout.load_manifest(os.path.join(sdir, layout.MANIFEST))
        if manifest["state"] == "complete":
            raise UserError("sweep %s is already complete" % manifest["id"])
        left = sum(r["status"] not in DONE for r in manifest["runs"])
        out("sweep: resuming %s (%d of %d runs left)"
            % (manifest["id"], left, len(manifest["runs"])))
    else:
        requested = planmod.normalise(plan_raw)
        plan = reduce_plan(requested, build_dir, out)
        base = sid = layout.new_sweep_id(planmod.plan_hash(plan))
        sdir = layout.sweep_dir(results, host, sid)
        n = 1
        while os.path.exists(sdir):     # the same plan twice in one second
            n += 1
            sid = "%s-%d" % (base, n)
            sdir = layout.sweep_dir(results, host, sid)
        manifest = new_manifest(plan, requested, sid, host)
        out("sweep: %s, %d runs: %s x %s x nr_task %s x %s x %d repeats"
            " (%ds + %ds warmup each); results in %s" % (
                sid, len(manifest["runs"]), ",".join(plan["variants"]),
                ",".join(plan["cases"]),
                ",".join(map(str, plan["nr_task"])), ",".join(plan["modes"]),
                plan["repeats"], plan["seconds"], plan["warmup"], sdir))
    interrupted = execute(manifest, sdir, build_dir, out)
    if interrupted:
        done = sum(r["status"] in DONE for r in manifest["runs"])
        out("sweep: interrupted; %d of %d runs kept. Continue with: "
            "slabscale sweep --resume %s" % (done, len(manifest["runs"]),
                                             manifest["id"]))
        return EXIT_INTERRUPTED
    return finish(manifest, sdir, results, out, allow_host_mismatch,
                  make_report, min_effect)


def resume_dir(results, which, host):
    if which == "latest":
        cands = [p for p, m in layout.list_sweeps(results, host)
                 if m.get("state") != "complete"]
        if not cands:
            raise UserError("no unfinished sweep on host %s under %s"
                            % (host, results))
        return os.path.dirname(cands[-1])
    d = layout.find_sweep(results, which, host)
    if d is None:
        raise UserError("no sweep %r under %s" % (which, results))
    return d
