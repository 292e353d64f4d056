"""slabscale plot: gather series from result sets, write and run gnuplot."""

import os

from . import changepoint, layout, plot
from .errors import UserError
from .results import check_hosts, primary_metric, samples
from .textsafe import term


def series_by(runs, case, mode, metric, key=lambda r: r.variant):
    """[(label, {nr_task: [values]})] of the ok runs of one case and mode,
    one series per key(run), in first-seen order."""
    out = {}
    for r in runs:
        if r.case != case or r.mode != mode or not r.ok:
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
    from .plan import read_variants_list
    try:
        vl = ["none"] + read_variants_list()
    except UserError:
        vl = []
    known = [s for s in series if s[0] in vl]
    known.sort(key=lambda s: vl.index(s[0]))
    return known + [s for s in series if s[0] not in vl]


def out_base_of(out):
    """-o names a base; a .png, .svg or .gp given with it is the base's."""
    root, ext = os.path.splitext(out)
    return root if ext in (".png", ".svg", ".gp") else out


def scaling_plot(series, case, mode, metric, out_base, title=None):
    """Write and run the scaling chart; returns (png, svg)."""
    out_base = out_base_of(out_base)
    if not series:
        raise UserError("plot: no ok runs of case %s (%s) with metric %s"
                        % (case, mode, metric))
    os.makedirs(os.path.dirname(os.path.abspath(out_base)), exist_ok=True)
    script = plot.scaling_script(
        series, metric, out_base, baseline=0,
        title=title or "%s (%s): %s" % (case, mode, metric))
    plot.run_gnuplot(script)
    return out_base + ".png", out_base + ".svg"


def history(results, host, case, mode, metric, variant, nr_task=None,
            plan_hash=None, used=None):
    """[(sweep id, [values])] oldest first over the sweeps of one host
    (only those of one plan when plan_hash is given); the runs plotted
    are appended to `used` when given."""
    from .sweep import sweep_runs
    pts = []
    for p, m in layout.list_sweeps(results, host):
        if plan_hash and m.get("plan_hash") != plan_hash:
            continue
        runs = [r for r in sweep_runs(os.path.dirname(p))
                if r.case == case and r.mode == mode and r.ok
                and (variant is None or r.variant == variant)]
        if nr_task is None and runs:
            nr_task = min(r.nr_task for r in runs)
        sel = [r for r in runs if r.nr_task == nr_task]
        vals, _ = samples(sel, metric)
        if vals:
            pts.append((m.get("id", "?"), vals))
            if used is not None:
                used.extend(sel)
    return pts, nr_task


def db_history(a, host, metric):
    """plot --history --db: [(sweep id, [values])] of this host's nights
    from the results database (one machine: hosts are never pooled)."""
    from . import dbcli, history as hist
    from .db.engine import open_db, wrap_errors
    if not a.variant:
        raise UserError("plot --history --db needs --variant")
    url = dbcli.db_url(a)
    if url is None:
        raise UserError("plot --history: --db none names no database")
    with wrap_errors(url):
        nights, t, _, _, _ = hist.series(open_db(url, write=False), host,
                                         a.case, a.variant, a.mode, metric,
                                         a.nr_task)
    return [(n.sweep, list(n.values)) for n in nights], t


def recorded_history(results, host, case, mode, metric, variant, nr_task,
                     plan_hash, sweep_id):
    """history() from the results database under results (the report's
    history): the same points, one query instead of reading every sweep's
    files.  None when there is no database, it cannot be read, or it lacks
    sweep_id's night (then the files are read)."""
    from . import db, history as hist
    url = db.url_for(None, results)
    if url is None or db.missing_modules(url) or (
            url.startswith("sqlite:///") and not os.path.exists(url[10:])):
        return None
    try:
        from .db.engine import open_db, wrap_errors
        with wrap_errors(url):
            nights, t, _, _, _ = hist.series(
                open_db(url, write=False), host, case, variant, mode, metric,
                nr_task, include_disturbed=True, plan_hash=plan_hash)
    except UserError:
        return None
    pts = [(n.sweep, list(n.values)) for n in nights]
    if sweep_id not in [p[0] for p in pts]:
        return None
    return pts, t


def history_plot(points, metric, out_base, title):
    import numpy as np
    out_base = out_base_of(out_base)
    meds = [float(np.median(v)) for _, v in points]
    cps = changepoint.e_divisive(meds, min_size=2) if len(meds) >= 4 else []
    script = plot.history_script(points, metric, out_base, cps, title)
    plot.run_gnuplot(script)
    return out_base + ".png", out_base + ".svg", cps


def run(a):
    """The CLI.  The runs plotted obey compare's rules: copies dropped
    (results.dedupe), documents checked (results.check_doc: a NaN is an
    error naming its file, not a series silently missing from the chart)
    and one host unless --allow-host-mismatch."""
    metric = a.metric or primary_metric(a.mode)
    if a.history:
        host = layout.this_host()
        used = []
        if getattr(a, "db", None):
            # the nights recorded in the results database (db/, history.py)
            pts, t = db_history(a, host, metric)
        else:
            pts, t = history(a.results, host, a.case, a.mode, metric,
                             a.variant, a.nr_task, used=used)
        check_hosts(used, a.allow_host_mismatch, "the sweeps plotted")
        if not pts:
            raise UserError("plot --history: no sweep on host %s has ok runs "
                            "of %s" % (host, a.case))
        out = a.out or os.path.join(a.results, "plots", "history-%s-%s-%s"
                                    % (layout.safe_name(a.case),
                                       layout.safe_name(metric),
                                       layout.safe_name(a.variant or "all")))
        os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
        png, svg, cps = history_plot(
            pts, metric, out, "%s %s t=%d %s" % (a.case, a.variant or "",
                                                 t, metric))
        print("change points before sweeps: %s" % term(
            ", ".join(pts[i][0] for i in cps) or "none"))
        print(term(png))
        print(term(svg))
        return 0
    runs = []
    if not a.sets:
        _, runs = layout.resolve_set(a.sweep or "latest", a.results)
        series = variant_order(series_by(runs, a.case, a.mode, metric))
    else:
        series = []
        for spec in a.sets:
            label, rs = layout.resolve_set(spec, a.results, a.sweep)
            runs += rs
            s = series_by(rs, a.case, a.mode, metric)
            if len(s) == 1:
                series.append((label, s[0][1]))
            else:
                series += [("%s %s" % (label, v), p) for v, p in s]
    check_hosts([r for r in runs if r.case == a.case and r.mode == a.mode],
                a.allow_host_mismatch, "the sets plotted")
    out = a.out or os.path.join(a.results, "plots", "%s-%s-%s" % (
        layout.safe_name(a.case), a.mode, layout.safe_name(metric)))
    png, svg = scaling_plot(series, a.case, a.mode, metric, out)
    print(term(png))
    print(term(svg))
    return 0
