"""Decide: loaded runs -> comparisons -> alerts grouped by cause -> exit status.

The middle layer of load -> decide -> render.  It takes what load.py
read (a SweepData) and returns plain data: the comparisons
(compare.compare_sets, against the baseline variant and the previous
sweep), and the alerts, one per (comparison, case, metric family) as
lkp's mail gives them:

  regression   a gating family with a significant regression; the
               headline is the metric that regresses at the most task
               counts, with its medians, and the alert counts the
               family's sub-rows (metric x task count) that agree and
               names those that do not ("mean: no change"); a family
               whose rows move apart (some regress, some improve) says so
  improvement  the same for gating families that only improved
  undecided    a primary metric still inconclusive: the task counts, the
               runs a side it still needs, the command that settles it

Only gating metrics (metrics.py: primary and gating roles) make alerts
and the exit status; diagnostic rows explain, in the tables.  Renderers
(table.py, summary.py, report.py, plotcmd.py) take these results and
never go back to the runs' files.

Exit status (errors.py), when several apply the first wins:
  1 a gating regression (against the baseline variant or the previous
    sweep of the same plan)
  2 a comparison was refused (runs of two hosts, ...): no verdict
  3 runs failed, or none succeeded
  4 rows stayed disturbed (no regression, but no verdict either)
  0 otherwise
(other usage errors, 2, and interrupts, 130, end a command before
anything is decided.)
"""

from . import budget as budgetmod
from . import compare as cmpmod
from . import significance, usl
from .errors import (DataError, EXIT_OK, EXIT_REGRESSION, EXIT_INCOMPLETE,
                     EXIT_DISTURBED, EXIT_USAGE)
from .metrics import PRIMARY, family_order, primary_metric

REGRESSION = "regression"
IMPROVEMENT = "improvement"
UNDECIDED = "undecided"
KINDS = (REGRESSION, IMPROVEMENT, UNDECIDED)


def analyse(data, min_effect=None, include_disturbed=False,
            allow_host_mismatch=False):
    """Compare a sweep's variants with its baseline, and each variant with
    the previous sweep of the same plan (data: load.SweepData)."""
    me = significance.MIN_EFFECT if min_effect is None else min_effect
    manifest = data.manifest
    plan = manifest["plan"]
    # errors: a comparison that was refused (runs of two hosts, ...): the
    # sweep cannot give its verdict, exit 2.  warnings: an earlier sweep
    # could not be read: today's verdicts stand without it.
    out = {"sweep": manifest["id"], "vs_baseline": [], "vs_previous": [],
           "previous": data.previous_id, "errors": [],
           "warnings": list(data.warnings)}
    by_v = {}
    for r in data.runs:
        by_v.setdefault(r.variant, []).append(r)
    base = by_v.get(plan["baseline"], [])
    for v in plan["variants"]:
        if v == plan["baseline"] or not by_v.get(v) or not base:
            continue
        try:
            out["vs_baseline"].append(cmpmod.compare_sets(
                base, by_v[v], "%s (baseline)" % plan["baseline"], v,
                min_effect=me, allow_host_mismatch=allow_host_mismatch,
                include_disturbed=include_disturbed))
        except DataError as e:
            out["errors"].append(str(e))
    if data.previous_id:
        for v in plan["variants"]:
            a = [r for r in data.previous_runs if r.variant == v]
            b = by_v.get(v, [])
            if not a or not b:
                continue
            try:
                out["vs_previous"].append(cmpmod.compare_sets(
                    a, b, "%s @ %s" % (v, data.previous_id),
                    "%s @ %s" % (v, manifest["id"]), min_effect=me,
                    allow_host_mismatch=allow_host_mismatch,
                    include_disturbed=include_disturbed))
            except DataError as e:
                out["errors"].append(str(e))
    budgetmod.annotate(out["vs_baseline"], manifest)
    return out


def gating_regressions(an):
    """(comparison, group, metric) of every regression of a gating
    metric: what fails a sweep."""
    out = []
    for c in an["vs_baseline"] + an["vs_previous"]:
        for g, m in cmpmod.regressions(c):
            if cmpmod.gating(m):
                out.append((c, g, m))
    return out


def _tasks(rows):
    return sorted({g["nr_task"] for g, _ in rows})


def _family_alert(kind, where, c, case, family, rows):
    """One alert from the rows (group, metric) of one family of one case."""
    hits = [(g, m) for g, m in rows if m["verdict"] == kind]
    by_metric = {}
    for g, m in hits:
        by_metric.setdefault(m["metric"], []).append((g, m))
    role = {m["metric"]: m.get("role") for _, m in hits}
    head = sorted(by_metric, key=lambda n: (-len(by_metric[n]),
                                           role[n] != PRIMARY,
                                           family_order(n)))[0]
    hrows = sorted(by_metric[head], key=lambda gm: gm[0]["nr_task"])
    g0, m0 = hrows[0]
    others = {}
    ts = {}
    for g, m in rows:
        if m["verdict"] == kind:
            continue
        lab = m.get("label") or m["metric"]
        ts.setdefault((m["verdict"], lab), []).append(g["nr_task"])
    all_t = _tasks(rows)
    for (v, lab), t in ts.items():
        t = sorted(set(t))
        others.setdefault(v, []).append(
            lab if t == all_t else "%s (t=%s)" % (lab, ",".join(map(str, t))))
    other_kind = IMPROVEMENT if kind == REGRESSION else REGRESSION
    apart = sorted({m.get("label") or m["metric"] for g, m in rows
                    if m["verdict"] == other_kind})
    return {"kind": kind, "comparison": where,
            "base_label": c["base_label"], "new_label": c["new_label"],
            "case": case, "family": family, "metric": head,
            "label": m0.get("label") or head, "unit": m0.get("unit", ""),
            "role": m0.get("role"),
            "base": m0["base"]["median"], "new": m0["new"]["median"],
            "change": m0["change"], "p": m0["p"],
            "tasks": _tasks(hrows), "rows": len(rows), "agree": len(hits),
            "others": others, "apart": apart,
            "params": list(g0["params"]), "mode": g0["mode"]}


def _undecided(where, c, case, mode, rows, plan=None):
    """A primary metric still inconclusive at some task counts."""
    und = [(g, m) for g, m in rows if m["verdict"] == significance.INCONCLUSIVE]
    more = [m.get("more_runs") for _, m in und]
    all_disturbed = all(m.get("all_disturbed") for _, m in und)
    noisy = not all_disturbed and any(x is None or x > 100 for x in more)
    need = None if noisy or all_disturbed or not any(more) else \
        max(x for x in more if x)
    n = max(max(m["base"]["n"], m["new"]["n"]) for _, m in und)
    # disturbed runs left out (not when they were averaged in)
    disturbed = any(((g.get("excluded") or {}).get(side) or {}).get(
        "disturbed", 0) for g, _ in und for side in ("base", "new"))
    g0, m0 = und[0]
    reasons = sorted({m.get("reason") or "" for _, m in und} - {""})
    return {"kind": UNDECIDED, "comparison": where,
            "base_label": c["base_label"], "new_label": c["new_label"],
            "case": case, "family": m0.get("family", "rate"),
            "metric": m0["metric"], "label": m0.get("label") or m0["metric"],
            "unit": m0.get("unit", ""), "role": m0.get("role"),
            "base": m0["base"]["median"], "new": m0["new"]["median"],
            "change": m0["change"], "p": m0["p"],
            "tasks": _tasks(und), "rows": len(rows), "agree": len(und),
            "others": {}, "apart": [], "more_runs": need,
            "disturbed": disturbed, "all_disturbed": all_disturbed,
            "too_noisy": noisy, "reasons": reasons,
            "params": list(g0["params"]), "mode": mode,
            "command": settle_command(g0, case, _tasks(und), n, need,
                                      plan)}


def settle_command(g, case, tasks, n, need, plan=None):
    """The sweep that would settle an undecided row: its variants, case,
    task counts and parameters, with the repeats it needs."""
    variants = "%s,%s" % (g.get("base_variant"), g.get("new_variant"))
    params = ""
    given = (plan or {}).get("params") or {}
    for k, v in g["params"]:
        if k in given or "%s:%s" % (case, k) in given:
            params += " --param %s:%s=%s" % (case, k, v)
    reps = "--repeats %d" % max(significance.MIN_EXACT_RUNS, n + (need or 0))
    if need is None:
        reps += " --budget 40"
    return "./slabscale sweep --variants %s --cases %s -t %s %s%s" % (
        variants, case, ",".join(map(str, tasks)), reps, params)


def alerts(an, plan=None):
    """The alerts of an analysis, regressions first, then improvements,
    then the undecided primary metrics (see the module text)."""
    out = {k: [] for k in KINDS}
    for where in ("vs_baseline", "vs_previous"):
        for c in an.get(where, []):
            fams = {}
            prim = {}
            for g in c["groups"]:
                for m in g["metrics"]:
                    if not cmpmod.gating(m):
                        continue
                    key = (g["case"], m.get("family") or m["metric"])
                    fams.setdefault(key, []).append((g, m))
                    if m.get("role") == PRIMARY:
                        prim.setdefault((g["case"], g["mode"]), []).append(
                            (g, m))
            for (case, fam), rows in fams.items():
                verdicts = {m["verdict"] for _, m in rows}
                if REGRESSION in verdicts:
                    out[REGRESSION].append(_family_alert(
                        REGRESSION, where, c, case, fam, rows))
                elif IMPROVEMENT in verdicts:
                    out[IMPROVEMENT].append(_family_alert(
                        IMPROVEMENT, where, c, case, fam, rows))
            if where != "vs_baseline":
                continue
            for (case, mode), rows in prim.items():
                if any(m["verdict"] == significance.INCONCLUSIVE for _, m in rows):
                    out[UNDECIDED].append(_undecided(where, c, case, mode,
                                                     rows, plan))
    for kind in (REGRESSION, IMPROVEMENT):
        out[kind] = merge_previous(out[kind])
    return out


def merge_previous(alerts):
    """Against the previous sweep each variant is its own comparison; one
    cause (kind, case, family) is one alert there too: the first
    variant's (the one whose rows agree most) is the headline, the
    others' headlines go to "also"."""
    out, seen = [], {}
    for a in alerts:
        a.setdefault("also", [])
        if a["comparison"] != "vs_previous":
            out.append(a)
            continue
        key = (a["kind"], a["case"], a["family"])
        first = seen.get(key)
        if first is None:
            seen[key] = a
            out.append(a)
            continue
        if a["agree"] > first["agree"]:
            a["also"] = first["also"] + [first]
            first["also"] = []
            out[out.index(first)] = a
            seen[key] = a
        else:
            first["also"].append(a)
    return out


def run_counts(manifest):
    st = {}
    for r in manifest["runs"]:
        st[r["status"]] = st.get(r["status"], 0) + 1
    return st


def exit_status(an, manifest, include_disturbed=False):
    """(exit status, why) by the precedence in the module text."""
    regs = gating_regressions(an)
    st = run_counts(manifest)
    if regs:
        return EXIT_REGRESSION, "%d gating regression row%s" % (
            len(regs), "" if len(regs) == 1 else "s")
    if an.get("errors"):
        return EXIT_USAGE, "%d comparison(s) refused" % len(an["errors"])
    if st.get("ok", 0) == 0 or st.get("failed", 0):
        return EXIT_INCOMPLETE, "%d run(s) failed" % st.get("failed", 0) \
            if st.get("ok", 0) else "no run succeeded"
    if not include_disturbed and budgetmod.disturbed_rows(an["vs_baseline"]):
        return EXIT_DISTURBED, "rows stayed disturbed"
    return EXIT_OK, "nothing regressed"


def scaling_fits(data, include_disturbed=False):
    """The Universal Scalability Law per (case, mode, variant) of the
    primary metric, where the sweep has at least usl.MIN_TASKS task counts
    (usl.py): [{"case", "mode", "variant", "lam", "alpha", "beta",
    "peak", "n", "rel_rmse"}].  The runs are the tables' (disturbed ones
    left out unless include_disturbed)."""
    out = []
    plan = data.plan
    if len(plan["nr_task"]) < usl.MIN_TASKS:
        return out
    for case in plan["cases"]:
        for mode in plan["modes"]:
            metric = primary_metric(mode)
            for v in plan["variants"]:
                pts = {}
                for r in data.runs:
                    if r.case != case or r.mode != mode or r.variant != v \
                            or not r.ok or (r.disturbed and
                                            not include_disturbed):
                        continue
                    m = r.metrics().get(metric)
                    if m is not None:
                        pts.setdefault(r.nr_task, []).append(m[0])
                ts = sorted(pts)
                f = usl.fit(ts, [sorted(pts[t])[len(pts[t]) // 2]
                                 for t in ts])
                if f is not None:
                    out.append(dict(f, case=case, mode=mode, variant=v,
                                    metric=metric))
    return out
