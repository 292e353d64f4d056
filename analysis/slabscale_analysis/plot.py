"""gnuplot charts, written as data files plus a script file.

Every label that comes from a results file (case, variant, host, sweep id,
metric) goes through gp_string(), which writes every character that
could mean something to gnuplot as an octal escape inside a double-quoted
string, and drops control characters so a label cannot end the line.  All text is set `noenhanced`, so ^ _ @ { } are literal.
"""

import os
import re
import shutil
import subprocess
import xml.etree.ElementTree as ET

import numpy as np

from .errors import UserError

GNUPLOT = "gnuplot"
SAFE = " ._,:;()+-=/%#"


def gp_string(s):
    """A gnuplot double-quoted string literal holding exactly s.

    Only letters, digits and a few inert punctuation characters appear
    literally; every other ASCII character (quotes, backquote, backslash,
    @, $, ...) is written as an octal escape, which gnuplot decodes after
    command-line (backquote) and macro substitution, so it can never start
    a command.  Control characters (C0, DEL, C1) become spaces (no line
    break), characters that cannot be written as UTF-8 or in XML (lone
    surrogates, U+FFFE, U+FFFF) become "?", and other non-ASCII
    characters pass through (their UTF-8 bytes mean nothing to gnuplot's
    parser).
    """
    out = []
    escaped = False
    for ch in str(s):
        o = ord(ch)
        if o < 32 or 127 <= o < 160:
            out.append(" ")
            escaped = False
        elif 0xd800 <= o < 0xe000 or o in (0xfffe, 0xffff):
            out.append("?")
            escaped = False
        elif o >= 128 or (ch.isalnum() and not (escaped and ch.isdigit())) \
                or ch in SAFE:
            out.append(ch)
            escaped = False
        else:
            # a digit right after an escape is escaped too: gnuplot would
            # read it as a fourth octal digit
            out.append("\\%03o" % o)
            escaped = True
    return '"' + "".join(out) + '"'


def _data_label(s):
    """A token safe inside a data file column (xtic labels)."""
    return re.sub(r"[^A-Za-z0-9._:-]", "_", str(s)) or "_"


def _write(path, text):
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)


def _stats_row(vals):
    a = np.asarray(vals, dtype=float)
    return float(np.median(a)), float(a.min()), float(a.max())


# Tableau 10: nine and more variants told apart (and point types cycle
# too, so a grey print still separates them).
PALETTE = ("#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f",
           "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac")
TIME_SCALE = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1.0}
WIDTH, PANEL = 900, 360        # pixels: fits a mail and a report column


def style(i):
    return "lc rgb '%s' pt %d" % (PALETTE[i % len(PALETTE)], 5 + 2 * (i % 4))


def axis_unit(unit):
    """(scale applied to the data, unit shown on the axis): times become
    seconds so that the SI prefix gnuplot adds reads 6.2ms."""
    if unit in TIME_SCALE:
        return TIME_SCALE[unit], "s"
    return 1.0, unit or ""


def si_format(unit):
    """gnuplot tick format with an SI prefix ('%.1s%c': 9.0M); seconds
    carry their unit (6.2ms), others have it in the axis label."""
    return "'%.1s%cs'" if unit == "s" else "'%.1s%c'"


def _footer(body, footer):
    if footer:
        body.append("set label 99 %s at screen 0.01, screen 0.015 left "
                    "font ',8' tc rgb '#555555' noenhanced" % gp_string(footer))


def _ns(pts_t):
    return len(pts_t)


def _n_text(pts):
    ns = sorted({len(v) for v in pts.values() if v})
    if not ns:
        return ""
    return "n=%d" % ns[0] if len(ns) == 1 else "n=%d-%d" % (ns[0], ns[-1])


def scaling_script(series, metric, out_base, baseline=None, title="",
                   reference=True, unit="", footer="", min_effect=0.05,
                   fits=None, ci=None, key_title="median, bars min-max, "
                   "n runs"):
    """Write data files and the script; returns the script path.

    series: list of (label, {nr_task: [values]}) in legend order.
    baseline: index into series of the reference for the lower panel.
    unit: the metric's unit (registry); ticks get SI prefixes and it.
    footer: sweep, host, date, commit (a line at the bottom).
    fits: {series index: usl.fit() result} drawn as curves.
    ci: function (base values, new values) -> (lo, hi) ratio CI for the
    relative panel's error bars (default: min-max of the ratios).
    """
    scale, shown = axis_unit(unit)
    files = []
    for i, (label, pts) in enumerate(series):
        rows = ["# nr_task median min max n"]
        for t in sorted(pts):
            if pts[t]:
                med, lo, hi = _stats_row(pts[t])
                rows.append("%d %.9g %.9g %.9g %d" % (
                    t, med * scale, lo * scale, hi * scale, len(pts[t])))
        f = "%s.s%d.dat" % (out_base, i)
        _write(f, "\n".join(rows) + "\n")
        files.append(f)
    rel = []
    if baseline is not None:
        bpts = series[baseline][1]
        for i, (label, pts) in enumerate(series):
            rows = ["# nr_task ratio-median ratio-low ratio-high (percent)"]
            for t in sorted(pts):
                if pts[t] and bpts.get(t):
                    bm = float(np.median(bpts[t]))
                    if bm:
                        m, lo, hi = _stats_row(pts[t])
                        if ci is not None and i != baseline:
                            c = ci(bpts[t], pts[t])
                            if c is not None:
                                lo, hi = c[0] * bm, c[1] * bm
                        rows.append("%d %.9g %.9g %.9g" % (
                            t, 100 * m / bm, 100 * lo / bm, 100 * hi / bm))
            f = "%s.r%d.dat" % (out_base, i)
            _write(f, "\n".join(rows) + "\n")
            rel.append(f)
    tasks = sorted({t for _, p in series for t in p})
    ref = None
    if reference and baseline is not None and tasks \
            and series[baseline][1].get(tasks[0]) \
            and metric.endswith("_ops"):
        ref = float(np.median(series[baseline][1][tasks[0]])) * scale
    lo_t, hi_t = tasks[0] if tasks else 1, tasks[-1] if tasks else 2
    xr = "[%g:%g]" % (lo_t / 1.4142, hi_t * 1.4142)
    s = []
    s.append("set encoding utf8")
    s.append("set logscale x 2")
    s.append("set xrange %s" % xr)
    s.append("set xtics (%s)" % ", ".join("'%d' %d" % (t, t) for t in tasks))
    s.append("set grid")
    s.append("set style data linespoints")
    body = []
    panels = 2 if rel else 1
    body.append("set multiplot")
    # both panels share these margins, so their x axes line up
    body.append("set lmargin at screen 0.13")
    body.append("set rmargin at screen 0.97")
    top_lo = 0.47 if rel else 0.1
    body.append("set tmargin at screen 0.93")
    body.append("set bmargin at screen %g" % (top_lo + 0.04))
    _footer(body, footer)
    body.append("set key top right inside opaque box samplen 2 font ',9' "
                "noenhanced title %s" % gp_string(key_title))
    body.append("set format y %s" % si_format(shown))
    body.append("set title %s noenhanced" % gp_string(title))
    body.append("set ylabel %s noenhanced" % gp_string(
        "%s (%s)" % (metric, unit) if unit else metric))
    body.append("set xlabel %s noenhanced" % gp_string(
        "nr_task (log2)" if not rel else ""))
    plots = []
    for i, (label, pts) in enumerate(series):
        plots.append("%s using 1:2:3:4 with yerrorlines lw 2 %s title %s"
                     % (gp_string(files[i]), style(i), gp_string(
                         "%s (%s)" % (label, _n_text(pts)))))
    for i, f in sorted((fits or {}).items()):
        lam, a, b = f["lam"] * scale, f["alpha"], f["beta"]
        per = metric.endswith("_ops")
        expr = "%.9g/(1+%.9g*(x-1)+%.9g*x*(x-1))%s" % (
            lam, a, b, "" if per else "*x")
        plots.append("%s with lines dt 3 lw 1.5 lc rgb '%s' title %s" % (
            expr, PALETTE[i % len(PALETTE)], gp_string(
                "USL %s: α=%.3g β=%.3g N*=%s" % (
                    series[i][0], a, b, "%.0f" % f["peak"]
                    if f["peak"] is not None else "-"))))
    if ref is not None:
        plots.append("%g with lines dt 2 lc 'gray' title %s" % (
            ref, gp_string("linear scaling (%s at %d task%s)" % (
                series[baseline][0], lo_t, "" if lo_t == 1 else "s"))))
    body.append("plot " + ", \\\n     ".join(plots))
    if rel:
        body.append("unset label 99")
        body.append("set tmargin at screen 0.43")
        body.append("set bmargin at screen 0.1")
        body.append("set title %s noenhanced" % gp_string(
            "relative to %s: ratio of medians, bars %s; band: +-%g%% "
            "minimum effect" % (series[baseline][0],
                                "95% CI" if ci else "min-max",
                                100 * min_effect)))
        body.append("set ylabel '% of baseline' noenhanced")
        body.append("set xlabel 'nr_task (log2)' noenhanced")
        body.append("set format y '%g%%'")
        body.append("unset key")
        rp = ["'+' using 1:(%g):(%g) with filledcurves lc rgb '#dddddd' "
              "notitle" % (100 - 100 * min_effect, 100 + 100 * min_effect)]
        rp += ["%s using 1:2:3:4 with yerrorlines lw 2 %s title %s"
               % (gp_string(rel[i]), style(i), gp_string(label))
               for i, (label, _) in enumerate(series)]
        rp.append("100 with lines dt 2 lc 'gray' notitle")
        body.append("plot " + ", \\\n     ".join(rp))
    body.append("unset multiplot")
    return _finish(s, body, out_base, panels)


def _finish(setup, body, out_base, panels):
    h = PANEL * panels + 60
    s = list(setup)
    s.append("set terminal pngcairo size %d,%d noenhanced font ',10'"
             % (WIDTH, h))
    s.append("set output %s" % gp_string(out_base + ".png"))
    s += body
    s.append("set terminal svg size %d,%d dynamic noenhanced font ',10'"
             % (WIDTH, h))
    s.append("set output %s" % gp_string(out_base + ".svg"))
    s += body
    s.append("unset output")
    path = out_base + ".gp"
    _write(path, "\n".join(s) + "\n")
    return path


def short_id(label):
    """'20261122T010754Z-99ca9df8' -> '11-22T01:07' (sweep ids on an axis);
    anything else unchanged."""
    m = re.match(r"^\d{4}(\d\d)(\d\d)T(\d\d)(\d\d)\d\dZ", str(label))
    return "%s-%sT%s:%s" % m.groups() if m else label


def history_script(points, metric, out_base, change_points=(), title="",
                   unit="", footer=""):
    """One series: points is a list of (sweep label, [values]) oldest
    first (history_lines_script for several)."""
    return history_lines_script([("median (min-max)", points,
                                  change_points)], metric, out_base, title,
                                unit, footer)


def history_lines_script(lines, metric, out_base, title="", unit="",
                         footer=""):
    """lines: [(label, [(sweep id, [values])], change point indices)];
    one line per variant over the union of their sweeps (oldest first),
    change points marked with the variant's colour."""
    scale, shown = axis_unit(unit)
    sweeps = []
    for _, pts, _ in lines:
        for sid, _ in pts:
            if sid not in sweeps:
                sweeps.append(sid)
    sweeps.sort()
    idx = {sid: i for i, sid in enumerate(sweeps)}
    files = []
    for k, (label, pts, _) in enumerate(lines):
        rows = ["# index median min max label"]
        for sid, vals in pts:
            if vals:
                med, lo, hi = _stats_row(vals)
                rows.append("%d %.9g %.9g %.9g %s" % (
                    idx[sid], med * scale, lo * scale, hi * scale,
                    _data_label(short_id(sid))))
        f = out_base + (".dat" if k == 0 else ".%d.dat" % k)
        _write(f, "\n".join(rows) + "\n")
        files.append(f)
    ncp = sum(len(c) for _, _, c in lines)
    s = ["set encoding utf8", "set grid",
         "set xtics rotate by -30 noenhanced font ',8'",
         "set format y %s" % si_format(shown),
         "set xrange [-0.5:%g]" % (max(len(sweeps), 1) - 0.5)]
    s.append("set xtics (%s)" % ", ".join(
        "%s %d" % (gp_string(short_id(sid)), i)
        for i, sid in enumerate(sweeps)) if sweeps else "set xtics")
    body = ["set title %s noenhanced" % gp_string(title),
            "set ylabel %s noenhanced" % gp_string(
                "%s (%s)" % (metric, unit) if unit else metric),
            "set xlabel 'sweep' noenhanced", "unset arrow",
            "set key top left inside opaque box noenhanced font ',9'",
            "set bmargin 7"]
    _footer(body, footer)
    for k, (label, pts, cps) in enumerate(lines):
        for cp in cps:
            x = idx[pts[cp][0]] - 0.5
            body.append("set arrow from %g, graph 0 to %g, graph 1 nohead "
                        "lc rgb '%s' dt 2 lw 2" % (
                            x, x, PALETTE[k % len(PALETTE)]))
    plots = ["%s using 1:2:3:4 with yerrorlines lw 2 %s title %s" % (
        gp_string(files[k]), style(k), gp_string(label))
        for k, (label, _, _) in enumerate(lines)]
    plots.append("NaN with lines lc 'red' dt 2 title %s" % gp_string(
        "change point (%d)" % ncp))
    body.append("plot " + ", \\\n     ".join(plots))
    return _finish(s, body, out_base, 1)


def fix_svg(path):
    """Make gnuplot's SVG well-formed XML whatever the labels held.

    gnuplot escapes < and & in text but writes > as is, so a label holding
    "]]>" (forbidden in XML character data) broke the file; it uses no
    CDATA sections, so every "]]>" is text and becomes "]]&gt;".  The
    result is parsed: an SVG that is still not well-formed is an error,
    never a silently broken chart.
    """
    with open(path, encoding="utf-8", errors="surrogateescape") as f:
        text = f.read()
    fixed = text.replace("]]>", "]]&gt;") if "<![CDATA[" not in text \
        else text
    try:
        ET.fromstring(fixed.encode("utf-8", errors="surrogateescape"))
    except ET.ParseError as e:
        raise UserError("%s: gnuplot wrote an SVG that is not well-formed "
                        "XML (%s)" % (path, e))
    if fixed != text:
        with open(path, "w", encoding="utf-8",
                  errors="surrogateescape") as f:
            f.write(fixed)


def run_gnuplot(script):
    """Run a script; UserError with gnuplot's message on failure.  The SVG
    it writes (the script's name with .svg) is checked with fix_svg()."""
    if shutil.which(GNUPLOT) is None:
        raise UserError("gnuplot is not installed (Debian package "
                        "gnuplot-nox; run make deps)")
    # the script names its data and output files as the caller gave them
    # (relative to this process's directory), so gnuplot runs here too
    # (an absolute path: a script named "-x.gp" is not read as an option)
    p = subprocess.run([GNUPLOT, os.path.abspath(script)],
                       capture_output=True, text=True, timeout=120)
    if p.returncode != 0:
        raise UserError("gnuplot failed on %s: %s" % (script,
                                                      p.stderr.strip()[-500:]))
    svg = os.path.splitext(script)[0] + ".svg"
    if os.path.exists(svg):
        fix_svg(svg)
    return p
