"""The sweep report: report/index.html and report/report.md.

Static, no scripts, no external resources.  Every string that comes from a
results file or a manifest goes through esc() (HTML) or md() (Markdown).
"""

import html
import os

from . import layout, safeio, table
from .errors import UserError
from .results import primary_metric
from .textsafe import term

VERDICT_CLASS = {"regression": "bad", "improvement": "good",
                 "no change": "same", "changed": "changed",
                 "inconclusive": "unknown"}

CSS = """body{font-family:sans-serif;margin:1.5em;max-width:80em}
table{border-collapse:collapse;margin:.5em 0 1.5em}
td,th{border:1px solid #ccc;padding:.2em .5em;text-align:right}
td.l,th.l{text-align:left}
tr.bad td{background:#fdd}tr.good td{background:#dfd}
tr.unknown td{background:#ffe}tr.changed td{background:#eef}
img{max-width:100%;border:1px solid #eee}
code,pre{background:#f6f6f6}"""


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


def _run_host(manifest, sdir):
    from .sweep import sweep_runs
    runs = sweep_runs(sdir)
    host = runs[0].host if runs else {}
    build = {r.variant: r.build for r in runs}
    return runs, host, build


def _cmp_rows(cmp):
    """(group title, metric rows) of one compare result."""
    for g in cmp["groups"]:
        title = table.group_title(g)
        if g.get("variant"):
            title += " [variant %s]" % g["variant"]
        rows = []
        for m in g["metrics"]:
            a, b = m["base"], m["new"]
            rows.append({
                "metric": m["metric"], "verdict": m["verdict"],
                "cls": VERDICT_CLASS.get(m["verdict"], ""),
                "cells": [table.fmt_value(a["median"]),
                          table.fmt_stddev(a).strip(),
                          table.fmt_change(m["change"]),
                          table.fmt_value(b["median"]),
                          table.fmt_stddev(b).strip(),
                          "%d/%d" % (a["n"], b["n"]),
                          table.fmt_ci(m["ci"]), table.fmt_p(m["p"]),
                          table.fmt_verdict(m)]})
        yield title, rows, g


HEAD = ["base", "±%stddev", "%change", "new", "±%stddev", "n", "CI of change",
        "p", "verdict"]


def html_compare(cmp, sdir, rdir):
    out = ["<p>base: <b>%s</b>, new: <b>%s</b>" % (esc(cmp["base_label"]),
                                                    esc(cmp["new_label"]))]
    if cmp.get("excluded"):
        out.append("<br>not averaged in: %s" % esc(cmp["excluded"]))
    out.append("</p>")
    for title, rows, g in _cmp_rows(cmp):
        out.append("<h4>%s</h4>" % esc(title))
        out.append('<table class="compare"><tr><th class="l">metric</th>%s'
                   "</tr>" % "".join("<th>%s</th>" % esc(h) for h in HEAD))
        for r in rows:
            out.append('<tr class="%s"><td class="l">%s</td>%s</tr>' % (
                r["cls"], esc(r["metric"]),
                "".join("<td>%s</td>" % esc(c) for c in r["cells"])))
        out.append("</table>")
        links = []
        for f in g["base_files"] + g["new_files"]:
            rel = os.path.relpath(f, rdir)
            links.append('<a href="%s">%s</a>' % (esc(rel), esc(
                os.path.relpath(f, sdir))))
        out.append("<details><summary>raw JSON (%d runs)</summary>%s"
                   "</details>" % (len(links), "<br>".join(links)))
    for n in cmp.get("notes", []):
        out.append("<p>note: %s</p>" % esc(n))
    return "\n".join(out)


def md_compare(cmp):
    out = ["base: **%s**, new: **%s**" % (md(cmp["base_label"]),
                                          md(cmp["new_label"])), ""]
    for title, rows, g in _cmp_rows(cmp):
        out.append("#### " + md(title))
        out.append("")
        out.append("| metric | " + " | ".join(md(h) for h in HEAD) + " |")
        out.append("|---" * (len(HEAD) + 1) + "|")
        for r in rows:
            cells = [md(c) for c in r["cells"]]
            if r["verdict"] in ("regression", "improvement"):
                cells[-1] = "**%s**" % cells[-1]
            out.append("| %s | %s |" % (md(r["metric"]), " | ".join(cells)))
        out.append("")
    return "\n".join(out)


def make_plots(runs, plan, rdir, log):
    """Scaling chart per case of the primary metric, variants as series."""
    from . import plotcmd
    made = []
    for case in plan["cases"]:
        for mode in plan["modes"]:
            metric = primary_metric(mode)
            series = plotcmd.variant_order(
                plotcmd.series_by(runs, case, mode, metric))
            base = [s for s in series if s[0] == plan["baseline"]]
            series = base + [s for s in series if s[0] != plan["baseline"]]
            if not series:
                continue
            name = "%s-%s-%s" % (layout.safe_name(case), mode, metric)
            try:
                png, svg = plotcmd.scaling_plot(
                    series, case, mode, metric, os.path.join(rdir, name))
            except UserError as e:
                log("report: no plot for %s: %s" % (term(case), term(e)))
                continue
            made.append((case, mode, metric, os.path.basename(png),
                         os.path.basename(svg)))
    return made


def make_history(manifest, results, rdir, log):
    """Per case: the baseline's primary metric at the smallest nr_task over
    every sweep of this plan on this host, change points marked."""
    from . import plotcmd
    plan = manifest["plan"]
    made = []
    for case in plan["cases"]:
        for mode in plan["modes"]:
            metric = primary_metric(mode)
            got = plotcmd.recorded_history(
                results, manifest["host"], case, mode, metric,
                plan["baseline"], min(plan["nr_task"]),
                manifest.get("plan_hash"), manifest["id"])
            pts, t = got or plotcmd.history(
                results, manifest["host"], case, mode, metric,
                plan["baseline"], min(plan["nr_task"]),
                manifest.get("plan_hash"))
            if len(pts) < 2:
                continue
            name = "history-%s-%s-%s" % (layout.safe_name(case), mode, metric)
            try:
                png, svg, cps = plotcmd.history_plot(
                    pts, metric, os.path.join(rdir, name),
                    "%s %s t=%d %s: history" % (case, plan["baseline"], t,
                                                metric))
            except UserError as e:
                log("report: no history plot for %s: %s" % (term(case),
                                                             term(e)))
                continue
            made.append(("%s history (%s, t=%d, %d sweeps, change points "
                         "before: %s)" % (case, plan["baseline"], t, len(pts),
                                          ", ".join(pts[i][0] for i in cps)
                                          or "none"),
                         os.path.basename(png), os.path.basename(svg)))
    return made


def write_report(sdir, manifest, an, log=print, plots=True):
    """Write report/index.html and report/report.md; returns the HTML path."""
    rdir = os.path.join(sdir, "report")
    # a link planted as report/ would have the report written elsewhere
    os.close(safeio.open_dir(sdir, "report", create=True))
    runs, host, build = _run_host(manifest, sdir)
    plan = manifest["plan"]
    made = make_plots(runs, plan, rdir, log) if plots else []
    hist = make_history(manifest, os.path.dirname(os.path.dirname(
        os.path.dirname(sdir))), rdir, log) if plots else []
    st = {}
    for r in manifest["runs"]:
        st[r["status"]] = st.get(r["status"], 0) + 1
    h = ["<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
         "<title>slabscale sweep %s</title>" % esc(manifest["id"]),
         "<style>%s</style></head><body>" % CSS,
         "<h1>slabscale sweep %s</h1>" % esc(manifest["id"]),
         "<p>state: <b>%s</b>; runs: %s</p>" % (
             esc(manifest["state"]),
             esc(", ".join("%d %s" % (n, s) for s, n in sorted(st.items()))))]
    m = ["# slabscale sweep %s" % md(manifest["id"]), "",
         "state: %s; runs: %s" % (md(manifest["state"]), md(", ".join(
             "%d %s" % (n, s) for s, n in sorted(st.items())))), ""]
    h.append('<h2>Machine</h2><table id="machine">')
    m += ["## Machine", "", "| field | value |", "|---|---|"]
    for k in sorted(host):
        h.append('<tr><th class="l">%s</th><td class="l">%s</td></tr>'
                 % (esc(k), esc(host[k])))
        m.append("| %s | %s |" % (md(k), md(host[k])))
    h.append("</table><h2>Build</h2><table id=\"build\">")
    m += ["", "## Build", "", "| variant | commit | dirty | compiler |",
          "|---|---|---|---|"]
    for v, b in sorted(build.items()):
        h.append('<tr><th class="l">%s</th><td class="l">%s</td><td>%s</td>'
                 '<td class="l">%s</td></tr>' % (
                     esc(v), esc(b.get("git_commit")), esc(b.get("git_dirty")),
                     esc(b.get("compiler"))))
        m.append("| %s | %s | %s | %s |" % (md(v), md(b.get("git_commit")),
                                            md(b.get("git_dirty")),
                                            md(b.get("compiler"))))
    h.append('</table><h2>Plan</h2><table id="plan">')
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
    h.append("</table>")
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
    for title, key in (("Against the baseline variant", "vs_baseline"),
                       ("Against the previous sweep of this plan",
                        "vs_previous")):
        h.append("<h2>%s</h2>" % esc(title))
        m += ["", "## " + title, ""]
        if not an.get(key):
            h.append("<p>nothing to compare.</p>")
            m.append("nothing to compare.")
        for c in an.get(key, []):
            h.append(html_compare(c, sdir, rdir))
            m.append(md_compare(c))
    for e in an.get("errors", []):
        h.append('<p class="error">cannot compare: %s</p>' % esc(e))
        m.append("cannot compare: " + md(e))
    if made:
        h.append("<h2>Plots</h2>")
        m += ["", "## Plots", ""]
        for case, mode, metric, png, svg in made:
            alt = "%s %s %s" % (case, mode, metric)
            h.append('<figure><img src="%s" alt="%s"><figcaption>%s '
                     '(<a href="%s">SVG</a>)</figcaption></figure>'
                     % (esc(png), esc(alt), esc(alt), esc(svg)))
            m.append("![%s](%s)" % (md(alt), png))
    if hist:
        h.append("<h2>History</h2>")
        m += ["", "## History", ""]
        for alt, png, svg in hist:
            h.append('<figure><img src="%s" alt="%s"><figcaption>%s '
                     '(<a href="%s">SVG</a>)</figcaption></figure>'
                     % (esc(png), esc(alt), esc(alt), esc(svg)))
            m.append("![%s](%s)" % (md(alt), png))
    h.append('<p><a href="../sweep.json">sweep.json</a> · '
             '<a href="../compare.json">compare.json</a></p>')
    h.append("</body></html>")
    layout.write_text_atomic(os.path.join(rdir, "report.md"),
                             "\n".join(m) + "\n")
    path = os.path.join(rdir, "index.html")
    layout.write_text_atomic(path, "\n".join(h) + "\n")
    return path


def regenerate(results, which, allow_host_mismatch=False, min_effect=None):
    from . import sweep
    sdir = layout.find_sweep(results, which)
    if sdir is None:
        raise UserError("no sweep %r under %s" % (which, results))
    manifest = layout.load_manifest(os.path.join(sdir, layout.MANIFEST))
    an = sweep.analyse(manifest, sdir, results, allow_host_mismatch,
                       min_effect)
    layout.write_json_atomic(os.path.join(sdir, "compare.json"), an)
    print(term(write_report(sdir, manifest, an)))
    return 0
