"""The sweep report: report/index.html and report/report.md.

The last layer of load -> decide -> render: it takes the loaded sweep
(load.SweepData), the comparisons and the alerts (decide.py) and writes;
it never reads a results file itself.

Page order: the summary (the alerts, one line per cause, and the exit
status) in the first screen; then one section per case (anchor
#case-<name>) with its table beside its plots (the primary metric and
every gating family that moved), the previous sweep's deltas, a history
sparkline per gating metric and the raw JSON; then machine, build and
plan.  Numbers carry units (fmt.py); diagnostic rows are collapsed and
never coloured as a verdict.  Static, no scripts, no external resources:
it works offline and prints.  Every string from a results file or a
manifest goes through esc() (HTML) or md() (Markdown).
"""

import html
import os

from . import decide, fmt, layout, plot, plotcmd, safeio, summary, table, usl
from .errors import UserError
from .metrics import DIAGNOSTIC, primary_metric
from .textsafe import term

VERDICT_CLASS = {"regression": "bad", "improvement": "good",
                 "no change": "same", "changed": "changed",
                 "inconclusive": "unknown"}

CSS = """body{font-family:sans-serif;margin:1em 1.5em;max-width:1360px;
font-size:15px;line-height:1.35}
h1{font-size:1.5em;margin:.2em 0}h2{font-size:1.25em;margin:1em 0 .3em;
border-bottom:1px solid #ccc}h3{font-size:1.05em;margin:.6em 0 .2em}
table{border-collapse:collapse;margin:.3em 0 .8em}
td,th{border:1px solid #ccc;padding:.1em .3em;text-align:right;
white-space:nowrap}table.compare{font-size:12.5px}
td.l,th.l{text-align:left}th{background:#f3f3f3}
tr.bad td{background:#fdd}tr.good td{background:#dfd}
tr.unknown td{background:#ffe}tr.changed td,tr.diag td{background:#fff;
color:#555}
.pair{display:flex;flex-wrap:nowrap;gap:1em;align-items:flex-start}
.pair>.tbl{flex:0 1 auto;overflow-x:auto}
.pair>.plots{flex:0 0 360px}
figure.history img{width:660px;height:auto}figure{margin:.3em 0}
.plots img{width:360px;height:auto;border:1px solid #eee;display:block;
margin-bottom:.4em}
#summary{border:2px solid #999;padding:.4em .8em;background:#fafafa}
#summary li{margin:.15em 0}
.w-regression{color:#b00;font-weight:bold}.w-improvement{color:#070;
font-weight:bold}.w-undecided{color:#850;font-weight:bold}
.exit{font-weight:bold}.meta{color:#444}.gate{font-weight:bold}
nav a{margin-right:1em}
code,pre{background:#f6f6f6}
svg.spark{vertical-align:middle}
@media print{body{max-width:none;margin:0;font-size:11px}
.pair{display:block}.plots img{width:60%}details{display:block}
section{break-inside:avoid-page}}"""


def esc(s):
    """HTML text: markup escaped, control characters and lone surrogates
    (which cannot even be written as UTF-8) shown as escapes (term())."""
    return html.escape(term(s), quote=True)


def md(s):
    """Markdown-safe inline text (no markup, no raw HTML, no table breaks,
    no terminal escapes for whoever cats it)."""
    out = term(str(s).replace("\n", " "))
    for ch in "\\`*_{}[]<>()#+!|":
        out = out.replace(ch, "\\" + ch)
    return out


IMG_W = 360


def img_height(panels):
    """The height of a plot shown IMG_W wide (plot.py's sizes), so the
    page lays out before the images load."""
    return round((plot.PANEL * panels + 60) * IMG_W / plot.WIDTH)


def anchor(case):
    return "case-" + layout.safe_name(case)


HEAD = ["t", "metric", "base", "%change", "new", "CI of change", "p",
        "verdict", "bucket"]


VERDICT_COL = HEAD.index("verdict")


def _with_sd(value, s):
    sd = table.fmt_stddev(s).strip()
    return value + (" " + sd if sd else "")


def _n_note(g, m):
    """' [n 3/5]' where a row counted other runs than its group's header
    says (runs left out for this metric)."""
    runs = g.get("runs") or {}
    nd = g.get("excluded") or {}
    want = [runs.get(s, 0) - sum((nd.get(s) or {}).values())
            for s in ("base", "new")]
    got = [m["base"]["n"], m["new"]["n"]]
    return "" if got == want else " [n %d/%d]" % tuple(got)


def _cells(g, m):
    a, b = m["base"], m["new"]
    unit = m.get("unit", "")
    return [str(g["nr_task"]),
            m["metric"],
            _with_sd(fmt.quantity(a["median"], unit), a),
            table.fmt_change(m["change"]),
            _with_sd(fmt.quantity(b["median"], unit), b),
            table.fmt_ci(m["ci"]), table.fmt_p(m["p"]),
            table.fmt_verdict(m, with_runs=False, shared_in_header=(
                (g.get("shared") or {}).get("base", 0) +
                (g.get("shared") or {}).get("new", 0))) + _n_note(g, m),
            fmt.quantity(m["bucket_width"], unit)
            if m.get("bucket_width") else ""]


def _row_class(m):
    if m.get("role") == DIAGNOSTIC:
        return "diag"
    return VERDICT_CLASS.get(m["verdict"], "")


def _case_groups(cmp, case):
    return [g for g in cmp["groups"] if g["case"] == case]


def _html_rows(groups, diagnostic, buckets):
    out = []
    for g in groups:
        for m in g["metrics"]:
            if (m.get("role") == DIAGNOSTIC) != diagnostic:
                continue
            cells = _cells(g, m)
            if not buckets:
                cells = cells[:-1]
            mark = "" if diagnostic else "* "
            out.append('<tr class="%s" data-role="%s">%s</tr>' % (
                _row_class(m), esc(m.get("role") or ""), "".join(
                    '<td class="l%s">%s%s</td>' % (
                        " gate" if not diagnostic else "", mark, esc(c))
                    if i == 1 else '<td class="l">%s</td>' % esc(c)
                    if i == VERDICT_COL else "<td>%s</td>" % esc(c)
                    for i, c in enumerate(cells))))
    return out


def html_case_table(cmp, case, include_disturbed):
    """The case's rows of one comparison: gating rows, then the
    diagnostic ones collapsed."""
    groups = _case_groups(cmp, case)
    if not groups:
        return ""
    out = ['<p class="meta">base <b>%s</b> → new <b>%s</b>; %s</p>' % (
        esc(cmp["base_label"]), esc(cmp["new_label"]),
        esc("; ".join("t=%d: %s" % (g["nr_task"], table.group_note(
            g, include_disturbed)) for g in groups)))]
    buckets = any(m.get("bucket_width") for g in groups
                  for m in g["metrics"])
    cols = HEAD if buckets else HEAD[:-1]
    head = "".join('<th class="%s">%s</th>' % (
        "l" if h in ("metric", "verdict") else "", esc(h)) for h in cols)
    out.append('<table class="compare"><thead><tr>%s</tr></thead><tbody>'
               % head)
    out += _html_rows(groups, False, buckets)
    out.append("</tbody></table>")
    if buckets:
        out.append('<p class="meta">bucket: the width of the histogram '
                   'bucket a percentile was read from (its resolution; '
                   'values are placed in the bucket by rank)</p>')
    diag = _html_rows(groups, True, buckets)
    if diag:
        out.append('<details><summary>%d diagnostic rows (PMU, allocator '
                   'counters: they explain, never gate)</summary>'
                   '<table class="compare diagnostic"><thead><tr>%s</tr>'
                   '</thead><tbody>' % (len(diag), head))
        out += diag
        out.append("</tbody></table></details>")
    return "\n".join(out)


def sparkline(values, width=120, height=24):
    """An inline SVG polyline of a short series (no script, no file)."""
    vals = [v for v in values if v is not None]
    if len(vals) < 2:
        return ""
    lo, hi = min(vals), max(vals)
    span = (hi - lo) or 1.0
    n = len(vals)
    pts = " ".join("%.1f,%.1f" % (2 + i * (width - 4) / (n - 1),
                                  height - 2 - (v - lo) / span * (height - 4))
                   for i, v in enumerate(vals))
    return ('<svg class="spark" width="%d" height="%d" viewBox="0 0 %d %d" '
            'role="img" aria-label="history"><polyline fill="none" '
            'stroke="#36c" stroke-width="1.5" points="%s"/></svg>'
            % (width, height, width, height, pts))


def _history_html(data, case, mode, metric, unit, inc=False):
    out = []
    for v in data.plan["variants"]:
        pts, t, _ = plotcmd.history_of(data.history, case, mode, metric, v,
                                       None, inc)
        if len(pts) < 2:
            continue
        meds = [plotcmd.median(vals) for _, vals in pts]
        out.append("<li>%s t=%d: %s %s → %s (%d sweeps)</li>" % (
            esc(v), t, sparkline(meds), esc(fmt.quantity(meds[0], unit)),
            esc(fmt.quantity(meds[-1], unit)), len(pts)))
    if not out:
        return ""
    return "<h3>History of %s</h3><ul>%s</ul>" % (esc(metric), "".join(out))


def _previous_html(an, case):
    rows = []
    for c in an.get("vs_previous", []):
        for g in _case_groups(c, case):
            for m in g["metrics"]:
                if m.get("role") == DIAGNOSTIC:
                    continue
                unit = m.get("unit", "")
                rows.append('<tr class="%s"><td class="l">%s</td><td>%d</td>'
                            '<td class="l">%s</td><td>%s</td><td>%s</td>'
                            '<td>%s</td><td class="l">%s</td></tr>' % (
                                _row_class(m), esc(c["new_label"]),
                                g["nr_task"], esc(m["metric"]),
                                esc(fmt.quantity(m["base"]["median"], unit)),
                                esc(fmt.quantity(m["new"]["median"], unit)),
                                esc(table.fmt_change(m["change"])),
                                esc(table.fmt_verdict(m, False))))
    if not rows:
        return ""
    return ("<h3>Against the previous sweep (%s)</h3><table class=\"prev\">"
            "<thead><tr><th class=\"l\">variant @ sweep</th><th>t</th>"
            "<th class=\"l\">metric</th><th>previous</th><th>now</th>"
            "<th>%%change</th><th class=\"l\">verdict</th></tr></thead>"
            "<tbody>%s</tbody></table>" % (esc(an.get("previous") or ""),
                                           "".join(rows)))


def _raw_links(data, case, rdir):
    files = sorted(r.path for r in data.runs if r.case == case)
    if not files or not data.sdir:
        return ""
    links = ['<a href="%s">%s</a>' % (
        esc(os.path.relpath(f, rdir)), esc(os.path.relpath(f, data.sdir)))
        for f in files]
    return ("<details><summary>raw JSON (%d runs)</summary>%s</details>"
            % (len(links), "<br>".join(links)))


def case_plots(data, an, al, case, mode, rdir, log):
    """(title, png, svg) of the case's plots: its primary metric, and the
    headline metric of every gating family with an alert."""
    metrics = [primary_metric(mode)]
    for kind in decide.KINDS:
        for a in al.get(kind, []):
            if a["case"] == case and a["metric"] not in metrics:
                metrics.append(a["metric"])
    made = []
    inc = any(c.get("include_disturbed") for c in an["vs_baseline"])
    for metric in metrics:
        series = plotcmd.sweep_series(data.runs, data.plan, case, mode,
                                      metric, inc)
        if not series:
            continue
        name = "%s-%s-%s" % (layout.safe_name(case), mode,
                             layout.safe_name(metric))
        try:
            png, svg = plotcmd.scaling_plot(
                series, case, mode, metric, os.path.join(rdir, name),
                footer=plotcmd.footer(data), unit=plotcmd.unit_of(
                    data.runs, metric), include_disturbed=inc)
        except UserError as e:
            log("report: no plot for %s %s: %s" % (term(case), term(metric),
                                                   term(e)))
            continue
        made.append((metric, os.path.basename(png), os.path.basename(svg)))
    return made


def case_history_plot(data, case, mode, metric, rdir, log, inc=False):
    """(caption, png, svg) of the history of the case's metric, one line
    per variant with its change points, or None (fewer than 2 sweeps)."""
    lines, t, used = [], None, []
    for v in data.plan["variants"]:
        pts, t_v, sel = plotcmd.history_of(data.history, case, mode, metric,
                                           v, t, inc)
        if t is None:
            t = t_v
        if len(pts) >= 2:
            lines.append((v, pts))
            used += sel
    if not lines:
        return None
    name = "history-%s-%s-%s" % (layout.safe_name(case), mode,
                                 layout.safe_name(metric))
    n = max(len(p) for _, p in lines)
    try:
        png, svg, cps = plotcmd.history_plot(
            lines, metric, os.path.join(rdir, name),
            "%s %s at t=%d: history" % (case, metric, t),
            plotcmd.unit_of(used, metric), plotcmd.footer(data))
    except UserError as e:
        log("report: no history plot for %s: %s" % (term(case), term(e)))
        return None
    where = "; ".join("%s: %s" % (v, ", ".join(pts[i][0] for i in cps[v])
                                  or "none") for v, pts in lines)
    return ("%s history of %s at t=%d over %d sweeps; change points "
            "before: %s" % (case, metric, t, n, where),
            os.path.basename(png), os.path.basename(svg))


def _summary_html(al, code, why):
    items = []
    for kind in decide.KINDS:
        for a in al.get(kind, []):
            text = summary.alert_text(a, with_case=False)
            cmd = ' <code>%s</code>' % esc(a["command"]) \
                if kind == decide.UNDECIDED and a.get("command") else ""
            items.append('<li><span class="w-%s">%s</span> <a href="#%s">%s'
                         '</a> %s%s</li>' % (
                             kind, summary.WORD[kind], anchor(a["case"]),
                             esc(a["case"]), esc(text), cmd))
    if not al.get("regression"):
        items.insert(0, "<li>nothing regressed (no gating metric got worse)"
                     "</li>")
    return ('<section id="summary"><h2>Summary</h2><ul>%s</ul>'
            '<p class="exit">exit status %d: %s</p></section>'
            % ("".join(items), code, esc(why)))


def _meta(data, an):
    st = decide.run_counts(data.manifest)
    nd = sum(c.get("disturbed_runs", 0) for c in an["vs_baseline"])
    host = data.runs[0].host if data.runs else {}
    parts = ["host %s" % (host.get("hostname") or data.manifest["host"]),
             "state %s" % data.manifest["state"],
             "runs: " + ", ".join("%d %s" % (n, s)
                                  for s, n in sorted(st.items()))]
    if nd:
        parts.append("%d of the ok runs disturbed (%s)" % (
            nd, "averaged in" if any(c.get("include_disturbed")
                                     for c in an["vs_baseline"])
            else "left out of the verdicts"))
    started = data.manifest.get("started")
    if started:
        parts.append("started %s" % started)
    return " · ".join(parts)


def _machine_build_plan(data):
    h, m = [], []
    host = data.runs[0].host if data.runs else {}
    h.append('<section id="setup"><h2>Machine</h2><table id="machine">'
             '<thead><tr><th class="l">field</th><th class="l">value</th>'
             '</tr></thead><tbody>')
    m += ["## Machine", "", "| field | value |", "|---|---|"]
    for k in sorted(host):
        v = host[k]
        if k == "memory_bytes" and isinstance(v, (int, float)):
            v = fmt.quantity(v, "B")
        h.append('<tr><th class="l">%s</th><td class="l">%s</td></tr>'
                 % (esc(k), esc(v)))
        m.append("| %s | %s |" % (md(k), md(v)))
    build = {r.variant: r.build for r in data.runs}
    h.append('</tbody></table><h2>Build</h2><table id="build"><thead><tr>'
             '<th class="l">variant</th><th class="l">commit</th>'
             '<th class="l">uncommitted changes</th><th class="l">compiler'
             '</th></tr></thead><tbody>')
    m += ["", "## Build", "", "| variant | commit | uncommitted changes | "
          "compiler |", "|---|---|---|---|"]
    for v, b in sorted(build.items()):
        dirty = {True: "yes", False: "no"}.get(b.get("git_dirty"), "?")
        h.append('<tr><th class="l">%s</th><td class="l">%s</td>'
                 '<td class="l">%s</td><td class="l">%s</td></tr>' % (
                     esc(v), esc(b.get("git_commit")), esc(dirty),
                     esc(b.get("compiler"))))
        m.append("| %s | %s | %s | %s |" % (md(v), md(b.get("git_commit")),
                                            md(dirty),
                                            md(b.get("compiler"))))
    plan = data.plan
    h.append('</tbody></table><h2>Plan</h2><table id="plan"><thead><tr>'
             '<th class="l">key</th><th class="l">value</th></tr></thead>'
             '<tbody>')
    m += ["", "## Plan", "", "| key | value |", "|---|---|"]
    for k in sorted(plan):
        v = plan[k]
        if isinstance(v, list):
            v = ", ".join(map(str, v))
        elif isinstance(v, dict):
            v = ", ".join("%s=%s" % kv for kv in sorted(v.items()))
        h.append('<tr><th class="l">%s</th><td class="l">%s</td></tr>'
                 % (esc(k), esc(v)))
        m.append("| %s | %s |" % (md(k), md(v)))
    h.append("</tbody></table></section>")
    return h, m


def md_compare(cmp, case=None):
    out = ["base: **%s**, new: **%s**" % (md(cmp["base_label"]),
                                          md(cmp["new_label"])), ""]
    out.append("| " + " | ".join(md(x) for x in HEAD) + " |")
    out.append("|---" * len(HEAD) + "|")
    for g in cmp["groups"]:
        if case is not None and g["case"] != case:
            continue
        for m in g["metrics"]:
            if m.get("role") == DIAGNOSTIC:
                continue
            cells = [md(c) for c in _cells(g, m)]
            if m["verdict"] in ("regression", "improvement"):
                cells[-1] = "**%s**" % cells[-1]
            out.append("| %s |" % " | ".join(cells))
    out.append("")
    return "\n".join(out)


def fits_html(fits, case, mode):
    rows = [f for f in fits if f["case"] == case and f["mode"] == mode]
    if not rows:
        return ""
    return ("<h3>Scaling: Universal Scalability Law fit</h3><table "
            "class=\"usl\"><thead><tr><th class=\"l\">variant</th>"
            "<th>contention α</th><th>coherency β</th><th>peak N*</th>"
            "<th>λ (t=1 rate)</th><th>task counts</th><th>fit error</th>"
            "</tr></thead><tbody>%s</tbody></table><p class=\"meta\">α: the "
            "share of the work that serialises (a lock); β: what each task "
            "costs every other (cache lines bouncing); N*: the task count "
            "where throughput peaks.</p>" % "".join(
                "<tr><td class=\"l\">%s</td><td>%.3g</td><td>%.3g</td>"
                "<td>%s</td><td>%s</td><td>%s</td><td>%.1f%%</td></tr>" % (
                    esc(f["variant"]), f["alpha"], f["beta"],
                    "%.0f" % f["peak"] if f["peak"] is not None else "none",
                    esc(fmt.quantity(f["lam"], "ops/s")),
                    esc(",".join(map(str, f["n"]))), 100 * f["rel_rmse"])
                for f in rows))


def write_report(data, an, al, log=print, plots=True, fits=()):
    """Write report/index.html and report/report.md into the sweep's
    directory; returns the HTML path.  fits: decide.scaling_fits()."""
    rdir = os.path.join(data.sdir, "report")
    # a link planted as report/ would have the report written elsewhere
    os.close(safeio.open_dir(data.sdir, "report", create=True))
    manifest, plan = data.manifest, data.plan
    code, why = decide.exit_status(an, manifest, any(
        c.get("include_disturbed") for c in an["vs_baseline"]))
    inc = any(c.get("include_disturbed") for c in an["vs_baseline"])
    h = ["<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
         '<meta name="viewport" content="width=device-width">',
         "<title>slabscale sweep %s</title>" % esc(manifest["id"]),
         "<style>%s</style></head><body>" % CSS,
         "<h1>slabscale sweep %s</h1>" % esc(manifest["id"]),
         '<p class="meta">%s</p>' % esc(_meta(data, an)),
         _summary_html(al, code, why)]
    m = ["# slabscale sweep %s" % md(manifest["id"]), "",
         md(_meta(data, an)), "", "## Summary", ""]
    for line in summary.render(al).splitlines():
        m.append("    " + line)
    m += ["", "exit status %d: %s" % (code, md(why)), ""]
    h.append("<nav>cases: %s</nav>" % " ".join(
        '<a href="#%s">%s</a>' % (anchor(c), esc(c)) for c in plan["cases"]))
    for case in plan["cases"]:
        h.append('<section id="%s"><h2>%s</h2>' % (anchor(case), esc(case)))
        m += ["", "## %s" % md(case), ""]
        for mode in plan["modes"]:
            made = case_plots(data, an, al, case, mode, rdir, log) \
                if plots else []
            tables = [html_case_table(c, case, inc)
                      for c in an["vs_baseline"]]
            h.append('<div class="pair"><div class="tbl">%s</div>'
                     '<div class="plots">%s</div></div>' % (
                         "\n".join(t for t in tables if t) or
                         "<p>nothing to compare.</p>",
                         "".join('<figure><img src="%s" alt="%s" width="%d" '
                                 'height="%d"><figcaption>%s (<a href="%s">'
                                 'SVG</a>)</figcaption></figure>' % (
                                     esc(png), esc(met), IMG_W,
                                     img_height(2), esc(met), esc(svg))
                                 for met, png, svg in made)))
            for c in an["vs_baseline"]:
                if _case_groups(c, case):
                    m.append(md_compare(c, case))
            for met, png, _ in made:
                m.append("![%s](%s)" % (md(met), png))
            h.append(fits_html(fits, case, mode))
            for f in fits:
                if f["case"] == case and f["mode"] == mode:
                    m.append("- USL %s: %s" % (md(f["variant"]),
                                               md(usl.describe(f))))
            h.append(_previous_html(an, case))
            unit = plotcmd.unit_of(data.runs, primary_metric(mode))
            h.append(_history_html(data, case, mode, primary_metric(mode),
                                   unit, inc))
            hist = case_history_plot(data, case, mode, primary_metric(mode),
                                     rdir, log, inc) if plots else None
            if hist:
                cap, png, svg = hist
                h.append('<figure class="history"><img src="%s" alt="%s" '
                         'width="660" height="%d"><figcaption>%s (<a '
                         'href="%s">SVG</a>)</figcaption></figure>' % (
                             esc(png), esc(cap),
                             round((plot.PANEL + 60) * 660 / plot.WIDTH),
                             esc(cap), esc(svg)))
                m.append("![%s](%s)" % (md(cap), png))
        h.append(_raw_links(data, case, rdir))
        h.append("</section>")
    failed = [r for r in manifest["runs"] if r["status"] not in ("ok",
                                                                 "pending")]
    if failed:
        h.append("<h2>Runs not averaged in</h2><ul>")
        m += ["", "## Runs not averaged in", ""]
        for r in failed:
            t = "%s %s %s t=%d rep %d: %s %s" % (
                r["variant"], r["case"], r["mode"], r["nr_task"],
                r["repeat"] + 1, r["status"], r.get("message") or "")
            h.append("<li>%s</li>" % esc(t))
            m.append("- " + md(t))
        h.append("</ul>")
    for e in an.get("errors", []):
        h.append('<p class="error">cannot compare: %s</p>' % esc(e))
        m.append("cannot compare: " + md(e))
    hb, mb = _machine_build_plan(data)
    h += hb
    m += [""] + mb
    h.append('<p><a href="../sweep.json">sweep.json</a> · '
             '<a href="../compare.json">compare.json</a></p>')
    h.append("</body></html>")
    layout.write_text_atomic(os.path.join(rdir, "report.md"),
                             "\n".join(m) + "\n")
    path = os.path.join(rdir, "index.html")
    layout.write_text_atomic(path, "\n".join(h) + "\n")
    return path
