"""slabscale plot, and the plots of the report: series from loaded runs,
gnuplot scripts (plot.py) run.

The runs plotted are the runs the tables count: disturbed runs are left
out unless --include-disturbed averages them in, so a plot's median is the
table's.  Scaling plots put nr_task on a log2 axis with a linear-scaling
reference, the relative panel shows each point's 95 % CI of the ratio and
the minimum-effect band, and a series with four or more task counts gets
its Universal Scalability Law fit (usl.py).  History plots draw one line
per variant with its change points.
"""

import datetime
import os

import numpy as np

from . import changepoint, db, layout, load, plot, significance, usl
from .db import queries as dbqueries
from .db.engine import open_db, wrap_errors
from .errors import UserError
from .metrics import Registry, primary_metric
from .plan import read_variants_list
from .results import check_hosts, samples
from .suggest import did_you_mean
from .textsafe import term


def median(vals):
    return float(np.median(vals))


def series_by(runs, case, mode, metric, key=lambda r: r.variant,
              include_disturbed=False):
    """[(label, {nr_task: [values]})] of the ok runs of one case and mode
    (disturbed ones only with include_disturbed), one series per
    key(run), in first-seen order."""
    out = {}
    for r in runs:
        if r.case != case or r.mode != mode or not r.ok:
            continue
        if r.disturbed and not include_disturbed:
            continue
        vals, _ = samples([r], metric)
        if not vals:
            continue
        out.setdefault(key(r), {}).setdefault(r.nr_task, []).extend(vals)
    return list(out.items())


def variant_order(series):
    """Series whose labels are variants in allocator/variants.list order
    (history order: the first is the baseline); others keep their place
    after them."""
    try:
        vl = ["none"] + read_variants_list()
    except UserError:
        vl = []
    known = [s for s in series if s[0] in vl]
    known.sort(key=lambda s: vl.index(s[0]))
    return known + [s for s in series if s[0] not in vl]


def sweep_series(runs, plan, case, mode, metric, include_disturbed=False):
    """A sweep's series of one case and metric, its baseline first."""
    series = variant_order(series_by(runs, case, mode, metric,
                                     include_disturbed=include_disturbed))
    base = [s for s in series if s[0] == plan["baseline"]]
    return base + [s for s in series if s[0] != plan["baseline"]]


def unit_of(runs, metric):
    reg = Registry()
    for r in runs:
        if r.ok and metric in r.metrics():
            reg.add_run(r)
            break
    return reg.get(metric).unit


def footer(data=None, runs=(), sweep=None):
    """'sweep <id> · host <name> · <date> · commit <sha>' for a plot."""
    runs = list(data.runs) if data is not None else list(runs)
    parts = []
    sid = data.manifest["id"] if data is not None else sweep
    if sid:
        parts.append("sweep %s" % sid)
    if runs:
        parts.append("host %s" % (runs[0].host.get("hostname") or "?"))
        commits = sorted({str(r.build.get("git_commit") or "?")[:12]
                          for r in runs})
        parts.append("commit %s" % ",".join(commits[:3]))
    parts.append(datetime.datetime.now(datetime.timezone.utc).strftime(
        "%Y-%m-%d %H:%M UTC"))
    return " · ".join(parts)


def out_base_of(out):
    """-o names a base; a .png, .svg or .gp given with it is the base's."""
    root, ext = os.path.splitext(out)
    return root if ext in (".png", ".svg", ".gp") else out


def ratio_ci(a, b):
    return significance.bootstrap_ratio_ci(a, b) if len(a) > 1 and len(b) > 1 \
        else None


def fits_of(series, metric):
    """{series index: usl fit} for series with >= usl.MIN_TASKS task
    counts of a rate metric."""
    out = {}
    if not metric.endswith("_ops") and metric != "ops_per_cpu_sec":
        return out
    for i, (_, pts) in enumerate(series):
        ts = sorted(t for t in pts if pts[t])
        f = usl.fit(ts, [median(pts[t]) for t in ts])
        if f is not None:
            out[i] = f
    return out


def scaling_plot(series, case, mode, metric, out_base, title=None,
                 footer=None, unit="", min_effect=significance.MIN_EFFECT,
                 include_disturbed=False):
    """Write and run the scaling chart; returns (png, svg)."""
    out_base = out_base_of(out_base)
    if not series:
        raise UserError("plot: no ok runs of case %s (%s) with metric %s"
                        % (case, mode, metric))
    os.makedirs(os.path.dirname(os.path.abspath(out_base)), exist_ok=True)
    script = plot.scaling_script(
        series, metric, out_base, baseline=0,
        title=title or "%s%s: %s" % (case, "" if mode == "threads"
                                     else " (%s)" % mode, metric),
        unit=unit, footer=footer or "", min_effect=min_effect,
        fits=fits_of(series, metric), ci=ratio_ci,
        key_title="median, bars min-max; n %s" % (
            "runs, disturbed ones averaged in" if include_disturbed
            else "undisturbed runs (as the tables)"))
    plot.run_gnuplot(script)
    return out_base + ".png", out_base + ".svg"


def history_of(sweeps, case, mode, metric, variant, nr_task=None,
               include_disturbed=False):
    return load.history_points(sweeps, case, mode, metric, variant, nr_task,
                               include_disturbed)


def change_points(pts):
    meds = [median(v) for _, v in pts]
    return changepoint.e_divisive(meds, min_size=2) if len(meds) >= 4 else []


def history_plot(lines, metric, out_base, title, unit="", footer=""):
    """lines: [(variant, points)]; returns (png, svg, {variant: change
    point indices})."""
    out_base = out_base_of(out_base)
    cps = {v: change_points(pts) for v, pts in lines}
    script = plot.history_lines_script(
        [(v, pts, cps[v]) for v, pts in lines], metric, out_base, title,
        unit, footer)
    plot.run_gnuplot(script)
    return out_base + ".png", out_base + ".svg", cps


def _check_case(case, runs):
    cases = sorted({r.case for r in runs})
    if case not in cases:
        raise UserError("no runs of case %r%s" % (
            case, did_you_mean(case, cases, "; cases in these runs: %s"
                               % (", ".join(cases) or "none"))))


def _check_metric(metric, runs, case):
    names = set()
    for r in runs:
        if r.case == case and r.ok:
            names.update(r.metrics())
    if names and metric not in names:
        raise UserError("no metric %r in the runs of %s%s" % (
            metric, case, did_you_mean(metric, names)))


def run_plot(a):
    """The CLI.  The runs plotted obey compare's rules: copies dropped
    (results.dedupe), documents checked (results.check_doc: a NaN is an
    error naming its file, not a series silently missing from the chart)
    and one host unless --allow-host-mismatch."""
    metric = a.metric or primary_metric(a.mode)
    if a.history:
        host = layout.this_host()
        if getattr(a, "db", None):
            # the nights recorded in the results database (docs/fleet.md)
            url = db.url_for(None if a.db == "default" else a.db, a.results)
            if url is None:
                raise UserError("plot --history: --db none names no "
                                "database")
            with wrap_errors(url):
                sweeps = dbqueries.host_history(open_db(url, write=False),
                                                host)
        else:
            sweeps = load.host_history(a.results, host)
        allruns = [r for _, rs in sweeps for r in rs]
        if not allruns:
            raise UserError("plot --history: no sweep on host %s under %s"
                            % (host, a.results))
        _check_case(a.case, allruns)
        _check_metric(metric, allruns, a.case)
        variants = sorted({r.variant for r in allruns if r.case == a.case})
        if a.variant:
            if a.variant not in variants:
                raise UserError("no runs of variant %r in case %s%s" % (
                    a.variant, a.case, did_you_mean(a.variant, variants)))
            variants = [a.variant]
        else:
            variants = [s[0] for s in variant_order([(v, None)
                                                     for v in variants])]
        lines, used, t = [], [], a.nr_task
        for v in variants:
            pts, t_v, sel = history_of(sweeps, a.case, a.mode, metric, v,
                                       a.nr_task, a.include_disturbed)
            if t is None:
                t = t_v
            if pts:
                lines.append((v, pts))
                used.extend(sel)
        check_hosts(used, a.allow_host_mismatch, "the sweeps plotted")
        if not lines:
            raise UserError("plot --history: no sweep on host %s has ok "
                            "runs of %s" % (host, a.case))
        out = a.out or os.path.join(a.results, "plots", "history-%s-%s-%s"
                                    % (layout.safe_name(a.case),
                                       layout.safe_name(metric),
                                       layout.safe_name(a.variant or "all")))
        os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
        png, svg, cps = history_plot(
            lines, metric, out, "%s t=%s %s: history" % (
                a.case, t, metric), unit_of(used, metric),
            footer(runs=used))
        for v, pts in lines:
            print("%s: change points before sweeps: %s" % (term(v), term(
                ", ".join(pts[i][0] for i in cps[v]) or "none")))
        print(term(png))
        print(term(svg))
        return 0
    runs = []
    if not a.sets:
        d = load.find_sweep(a.results, a.sweep or "latest")
        runs = layout.load_sweep_runs(d)
        _check_case(a.case, runs)
        series = variant_order(series_by(
            runs, a.case, a.mode, metric,
            include_disturbed=a.include_disturbed))
        sweep_id = os.path.basename(d)
    else:
        series = []
        sweep_id = None
        for spec in a.sets:
            label, rs = layout.resolve_set(spec, a.results, a.sweep)
            runs += rs
            s = series_by(rs, a.case, a.mode, metric,
                          include_disturbed=a.include_disturbed)
            if len(s) == 1:
                series.append((label, s[0][1]))
            else:
                series += [("%s %s" % (label, v), p) for v, p in s]
        _check_case(a.case, runs)
    _check_metric(metric, runs, a.case)
    check_hosts([r for r in runs if r.case == a.case and r.mode == a.mode],
                a.allow_host_mismatch, "the sets plotted")
    out = a.out or os.path.join(a.results, "plots", "%s-%s-%s" % (
        layout.safe_name(a.case), a.mode, layout.safe_name(metric)))
    png, svg = scaling_plot(series, a.case, a.mode, metric, out,
                            footer=footer(runs=[r for r in runs
                                                if r.case == a.case],
                                          sweep=sweep_id),
                            unit=unit_of(runs, metric),
                            min_effect=a.min_effect,
                            include_disturbed=a.include_disturbed)
    print(term(png))
    print(term(svg))
    return 0
