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


def scaling_script(series, metric, out_base, baseline=None, title="",
                   reference=True):
    """Write data files and the script; returns the script path.

    series: list of (label, {nr_task: [values]}) in legend order.
    baseline: index into series of the reference for the lower panel.
    """
    files = []
    for i, (label, pts) in enumerate(series):
        rows = ["# nr_task median min max"]
        for t in sorted(pts):
            if pts[t]:
                rows.append("%d %.9g %.9g %.9g" % ((t,) + _stats_row(pts[t])))
        f = "%s.s%d.dat" % (out_base, i)
        _write(f, "\n".join(rows) + "\n")
        files.append(f)
    rel = []
    if baseline is not None:
        bpts = series[baseline][1]
        for i, (label, pts) in enumerate(series):
            rows = ["# nr_task ratio-median ratio-min ratio-max (percent)"]
            for t in sorted(pts):
                if pts[t] and bpts.get(t):
                    bm = float(np.median(bpts[t]))
                    if bm:
                        m, lo, hi = _stats_row(pts[t])
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
        ref = float(np.median(series[baseline][1][tasks[0]]))
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
    body.append("set multiplot layout %d,1" % (2 if rel else 1))
    body.append("set key outside right top vertical noenhanced")
    body.append("set format y '%.3s%c'")
    body.append("set title %s noenhanced" % gp_string(title))
    body.append("set ylabel %s noenhanced" % gp_string(metric))
    body.append("set xlabel 'nr_task' noenhanced")
    plots = []
    for i, (label, _) in enumerate(series):
        plots.append("%s using 1:2:3:4 with yerrorlines lw 2 title %s"
                     % (gp_string(files[i]), gp_string(label)))
    if ref is not None:
        plots.append("%g with lines dt 2 lc 'gray' title %s" % (
            ref, gp_string("linear scaling (%s at %d task%s)" % (
                series[baseline][0], lo_t, "" if lo_t == 1 else "s"))))
    body.append("plot " + ", \\\n     ".join(plots))
    if rel:
        body.append("set title %s noenhanced" % gp_string(
            "relative to %s (%%)" % series[baseline][0]))
        body.append("set ylabel '% of baseline' noenhanced")
        body.append("set format y '%g'")
        body.append("unset key")
        rp = ["%s using 1:2:3:4 with yerrorlines lw 2 title %s"
              % (gp_string(rel[i]), gp_string(label))
              for i, (label, _) in enumerate(series)]
        rp.append("100 with lines dt 2 lc 'gray' notitle")
        body.append("plot " + ", \\\n     ".join(rp))
    body.append("unset multiplot")
    return _finish(s, body, out_base, 2 if rel else 1)


def _finish(setup, body, out_base, panels):
    h = 420 * panels
    s = list(setup)
    s.append("set terminal pngcairo size 1000,%d noenhanced" % h)
    s.append("set output %s" % gp_string(out_base + ".png"))
    s += body
    s.append("set terminal svg size 1000,%d dynamic noenhanced" % h)
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


def history_script(points, metric, out_base, change_points=(), title=""):
    """points: list of (sweep label, [values]) oldest first."""
    rows = ["# index median min max label"]
    for i, (label, vals) in enumerate(points):
        if vals:
            rows.append("%d %.9g %.9g %.9g %s" % (
                (i,) + _stats_row(vals) + (_data_label(short_id(label)),)))
    f = out_base + ".dat"
    _write(f, "\n".join(rows) + "\n")
    s = ["set encoding utf8", "set grid", "set key below noenhanced",
         "set xtics rotate by -30 noenhanced", "set format y '%.3s%c'",
         "set xrange [-0.5:%g]" % (max(len(points), 1) - 0.5)]
    body = ["set title %s noenhanced" % gp_string(title),
            "set ylabel %s noenhanced" % gp_string(metric),
            "set xlabel 'sweep' noenhanced", "unset arrow"]
    for cp in change_points:
        body.append("set arrow from %g, graph 0 to %g, graph 1 nohead "
                    "lc 'red' dt 2 lw 2" % (cp - 0.5, cp - 0.5))
    body.append("plot %s using 1:2:3:4:xtic(5) with yerrorlines lw 2 title "
                "'median (min-max)', NaN with lines lc 'red' dt 2 title %s"
                % (gp_string(f), gp_string("change point (%d)"
                                           % len(change_points))))
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
