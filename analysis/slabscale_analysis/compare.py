"""Compare two result sets group by group, metric by metric.

The result is plain data (JSON-ready dicts, compare.json): groups
(case, mode, nr_task, params) each with one dict per metric.  A metric's
dict is significance.compare_samples()'s plus what the registry (metrics.py)
knows of the metric: "unit", "role" (primary, gating, diagnostic),
"family", "label".  Later layers add keys of their own (budget_runs, a
count of shared runs, a pairing note): readers take what they know and
leave the rest.
"""

import fnmatch

from . import significance
from .errors import DataError, UserError
from .metrics import Registry, DIAGNOSTIC
from .results import (CPU_RATE, bucket_width, check_hosts, cpu_rate_applies,
                      primary_metric, select_metrics,
                      slab_metric_parts)
from .suggest import did_you_mean


def _variants(runs):
    return sorted({r.variant for r in runs})


def _describe_keys(keys):
    cases = sorted({k[0] for k in keys})
    modes = sorted({k[1] for k in keys})
    tasks = sorted({k[2] for k in keys})
    params = sorted({" ".join("%s=%s" % kv for kv in k[3]) or "(none)"
                     for k in keys})
    return {"case": cases, "mode": modes, "nr_task": tasks, "params": params}


def mismatch_message(keys_a, keys_b):
    """Say which fields differ between two sets of group keys."""
    da, db = _describe_keys(keys_a), _describe_keys(keys_b)
    diff = ["%s: %s vs %s" % (f, ", ".join(map(str, da[f])),
                              ", ".join(map(str, db[f])))
            for f in da if da[f] != db[f]]
    return "; ".join(diff) or "the combinations of case/mode/nr_task/params"


def _status_counts(runs, include_disturbed=False):
    """Runs not averaged in, by reason: their status, or "disturbed" for
    ok runs the harness marked disturbed (unless they are included)."""
    out = {}
    for r in runs:
        if not r.ok:
            out[r.status] = out.get(r.status, 0) + 1
        elif r.disturbed and not include_disturbed:
            out["disturbed"] = out.get("disturbed", 0) + 1
    return out


def _counted(runs, include_disturbed):
    return [r for r in runs if include_disturbed or not r.disturbed]


def _disturbed_count(runs):
    return sum(1 for r in runs if r.ok and r.disturbed)


def _shared_count(runs):
    return sum(1 for r in runs if r.ok and r.shared)


def round_samples(runs, metric):
    """(round, value) of one metric over the ok runs, the runs that gave
    a value, and the metric's better direction."""
    vals, used, better = [], [], None
    for r in runs:
        m = r.metrics().get(metric)
        if m is not None:
            vals.append((r.round, m[0]))
            used.append(r)
            better = m[1]
    return vals, used, better


def compare_sets(base, new, base_label="base", new_label="new",
                 min_effect=significance.MIN_EFFECT, alpha=significance.ALPHA,
                 allow_host_mismatch=False, metric_filter=None,
                 include_disturbed=False):
    """Compare two lists of Run; returns a JSON-ready dict.

    Refuses (DataError) results from different hosts (unless allowed),
    different schema versions, or with no case/mode/nr_task/params in common.
    metric_filter: names or shell patterns (results.select_metrics); without
    it the allocator counters' detail is left out, and their rows that are
    0 in every run are left out unless named exactly.
    Runs the harness marked disturbed are left out of every verdict and
    counted as such (group "disturbed", "excluded"), unless
    include_disturbed; then they are averaged in and still counted.
    One exception: when every ok run of both sides was disturbed (a
    machine shared for the whole comparison: no quiet run to protect from
    being mixed with disturbed ones), the CPU-time rate of a CPU-bound
    case, which counts only the time the tasks had a CPU, is decided over
    those runs and says so ("cpu_rate_over_disturbed"); every other
    metric stays "every run of a side disturbed".
    """
    if not base or not new:
        raise DataError("nothing to compare: %s is empty"
                        % (base_label if not base else new_label))
    vers = {r.doc["schema_version"] for r in base + new}
    if len(vers) > 1:
        raise DataError("schema_version differs: %s" % sorted(vers))
    check_hosts(base + new, allow_host_mismatch,
                "%s and %s" % (base_label, new_label))
    va, vb = _variants(base), _variants(new)
    by_variant = not (len(va) == 1 and len(vb) == 1)
    if by_variant and va != vb:
        raise DataError("variant differs: %s has %s, %s has %s; give one "
                        "variant per side" % (base_label, ", ".join(va),
                                              new_label, ", ".join(vb)))

    def key(r):
        k = r.group_key()
        return (r.variant,) + k if by_variant else ("",) + k

    ga, gb = {}, {}
    for r in base:
        ga.setdefault(key(r), []).append(r)
    for r in new:
        gb.setdefault(key(r), []).append(r)
    common = [k for k in ga if k in gb]
    if not common:
        raise DataError("%s and %s have nothing in common (%s)" % (
            base_label, new_label,
            mismatch_message([k[1:] for k in ga], [k[1:] for k in gb])))
    reg = Registry.of([r for r in base + new if r.ok])
    if metric_filter:
        check_metric_filter(metric_filter, reg.names())
    notes = []
    only_a = [k for k in ga if k not in gb]
    only_b = [k for k in gb if k not in ga]
    if only_a or only_b:
        notes.append("compared only what both sides have; differing: " +
                     mismatch_message([k[1:] for k in ga], [k[1:] for k in gb]))
    groups = []
    for k in sorted(common, key=lambda k: (k[1], k[2], k[3], k[0], k[4])):
        ra_all, rb_all = ga[k], gb[k]
        ra = _counted(ra_all, include_disturbed)
        rb = _counted(rb_all, include_disturbed)
        ok_a = [r for r in ra_all if r.ok]
        ok_b = [r for r in rb_all if r.ok]
        all_disturbed = (not include_disturbed and ok_a and ok_b and
                         all(r.disturbed for r in ok_a + ok_b) and
                         cpu_rate_applies(k[1]))
        names = []
        for r in ra_all + rb_all:
            for m in r.metrics():
                if m not in names:
                    names.append(m)
        # per group: a metric's role can depend on the case (the CPU-time
        # rate of a wall-time case is diagnostic)
        greg = Registry.of([r for r in ra_all + rb_all if r.ok])
        prim = primary_metric(k[2])
        names.sort(key=lambda m: (m != prim, m != CPU_RATE, m))
        names = select_metrics(names, metric_filter,
                               lambda m: greg.get(m).better)
        mets = []
        for m in names:
            over_disturbed = all_disturbed and m == CPU_RATE
            a, used_a, _ = round_samples(ok_a if over_disturbed else ra, m)
            b, used_b, _ = round_samples(ok_b if over_disturbed else rb, m)
            if slab_metric_parts(m) and not any(v for _, v in a + b) and \
                    m not in (metric_filter or ()):
                continue    # an allocator counter that stayed 0, not named
            info = greg.get(m)
            # interleaved rounds are compared as pairs (significance.py)
            res = significance.compare_rounds(a, b, info.better, min_effect, alpha)
            res["metric"] = m
            res["shared_runs"] = _shared_count(used_a + used_b)
            res.update(unit=info.unit, role=info.role, family=info.family,
                       label=info.label)
            widths = [w for w in (bucket_width(r, m) for r in used_a + used_b)
                      if w is not None]
            if widths:
                # the percentile's resolution: values inside one bucket
                # are placed by rank (harness/src/histogram.c)
                res["bucket_width"] = max(widths)
            short = min(len(a), len(b))
            if res["verdict"] == significance.INCONCLUSIVE and a and b and \
                    short < significance.MIN_RUNS and (len(ra) < len(ra_all) or
                                                len(rb) < len(rb_all)):
                res["reason"] = ("only %d undisturbed run%s on a side; a "
                                 "verdict needs %d" % (
                                     short, "" if short == 1 else "s",
                                     significance.MIN_RUNS))
            if over_disturbed:
                res["cpu_rate_over_disturbed"] = True
            elif not (a and b) and (len(ra) < len(ra_all) or
                                  len(rb) < len(rb_all)):
                # every ok run of a side was disturbed: say that, not
                # "no successful runs"
                res["reason"] = "every run of a side was disturbed"
                res["all_disturbed"] = True
            if m == CPU_RATE and not cpu_rate_applies(k[1]):
                res["wall_time_case"] = True
            mets.append(res)
        groups.append({"variant": k[0] or None, "case": k[1], "mode": k[2],
                       "nr_task": k[3], "params": list(k[4]),
                       "base_variant": ra_all[0].variant,
                       "new_variant": rb_all[0].variant,
                       "excluded": {"base": _status_counts(
                                        ra_all, include_disturbed),
                                    "new": _status_counts(
                                        rb_all, include_disturbed)},
                       "disturbed": {"base": _disturbed_count(ra_all),
                                     "new": _disturbed_count(rb_all)},
                       "shared": {"base": _shared_count(ra_all),
                                  "new": _shared_count(rb_all)},
                       "runs": {"base": len(ra_all), "new": len(rb_all)},
                       "base_files": [r.path for r in ra],
                       "new_files": [r.path for r in rb],
                       "metrics": mets})
    marked = {}
    for r in base + new:
        if r.ok:
            for mk in r.marks:
                marked[mk["reason"]] = marked.get(mk["reason"], 0) + 1
    if marked:
        notes.append("runs with marks (docs/results-schema.md): " + ", ".join(
            "%d %s" % (n, reason) for reason, n in sorted(marked.items())))
    nd = sum(_disturbed_count(g) for g in (base, new))
    if nd and include_disturbed:
        notes.append("%d disturbed run(s) averaged in (--include-disturbed)"
                     % nd)
    excluded = []
    for label, runs in ((base_label, base), (new_label, new)):
        c = _status_counts(runs, include_disturbed)
        if c:
            excluded.append("%s: %s" % (label, ", ".join(
                "%d %s" % (n, s) for s, n in sorted(c.items()))))
    return {"base_label": base_label, "new_label": new_label,
            "min_effect": min_effect, "alpha": alpha,
            "include_disturbed": include_disturbed,
            "disturbed_runs": nd,
            "shared_runs": sum(_shared_count(g) for g in (base, new)),
            "groups": groups, "notes": notes,
            "excluded": "; ".join(excluded)}


def check_metric_filter(patterns, names):
    """Every --metric must name (or match) a metric of the runs: a typo
    would otherwise compare nothing and exit 0.  UserError (exit 2) with
    the likely name."""
    for p in patterns:
        if any(fnmatch.fnmatchcase(n, p) for n in names):
            continue
        raise UserError("no metric %r in these runs%s" % (
            p, did_you_mean(p, names, "; metrics: " + ", ".join(
                sorted(n for n in names if not n.startswith("slab."))[:12])
                + (", slab.* ..." if any(n.startswith("slab.")
                                          for n in names) else ""))))


def gating(m):
    """Does this metric result decide the exit status?"""
    return m.get("role") not in (DIAGNOSTIC, None)


def verdict_counts(cmp, primary_only=False):
    out = {v: 0 for v in significance.VERDICTS}
    for g in cmp["groups"]:
        for m in g["metrics"]:
            if primary_only and m["metric"] != primary_metric(g["mode"]):
                continue
            out[m["verdict"]] += 1
    return out


def regressions(cmp):
    return [(g, m) for g in cmp["groups"] for m in g["metrics"]
            if m["verdict"] == significance.REGRESSION]
