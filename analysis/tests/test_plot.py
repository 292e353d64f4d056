"""gnuplot charts: labels from results files cannot run anything; the
charts are written as PNG and SVG; change points in a history."""
import os
import subprocess

import numpy as np

from slabscale_analysis import changepoint, plot

EVIL = ["it's", "a\"b", "`touch %(m)s`", "'; system('touch %(m)s'); '",
        "x\nsystem 'touch %(m)s'", "@ARG0 {sub}_^ \\n $0", "%s %d"]


def evil_labels(marker):
    return [e % {"m": marker} if "%(m)s" in e else e for e in EVIL]


def test_gp_string_round_trips_through_gnuplot(tmp_path):
    marker = str(tmp_path / "pwned")
    for s in evil_labels(marker):
        script = tmp_path / "p.gp"
        script.write_text("print %s\n" % plot.gp_string(s))
        p = subprocess.run(["gnuplot", str(script)], capture_output=True,
                           text=True, timeout=60)
        assert p.returncode == 0, p.stderr
        assert p.stderr.rstrip("\n") == s.replace("\n", " ")
    assert not os.path.exists(marker)


def test_scaling_chart_with_hostile_labels(tmp_path):
    marker = str(tmp_path / "pwned")
    labels = evil_labels(marker)
    series = [(lab, {1: [100.0 - i, 101.0, 99.0], 2: [180.0, 185.0, 170.0]})
              for i, lab in enumerate(labels[:4])]
    out = str(tmp_path / "chart")
    script = plot.scaling_script(series, "per_thread_ops", out, baseline=0,
                                 title=labels[3])
    plot.run_gnuplot(script)
    assert os.path.getsize(out + ".png") > 1000
    svg = open(out + ".svg").read()
    assert "<svg" in svg and "linear scaling" in svg
    assert "relative to" in svg
    assert not os.path.exists(marker)


def test_relative_panel_data(tmp_path):
    series = [("base", {1: [100.0], 2: [200.0]}),
              ("new", {1: [90.0], 2: [220.0]})]
    out = str(tmp_path / "c")
    plot.scaling_script(series, "per_thread_ops", out, baseline=0)
    rows = [l.split() for l in open(out + ".r1.dat") if not l.startswith("#")]
    assert [(int(r[0]), float(r[1])) for r in rows] == [(1, 90.0), (2, 110.0)]


def test_history_chart_with_change_point(tmp_path):
    rng = np.random.default_rng(1)
    meds = list(1000 * (1 + 0.01 * rng.standard_normal(8))) + \
        list(850 * (1 + 0.01 * rng.standard_normal(8)))
    cps = changepoint.e_divisive(meds, min_size=2)
    assert cps == [8]
    pts = [("20261101T0000%02dZ-'x" % i, [m, m * 1.01, m * 0.99])
           for i, m in enumerate(meds)]
    out = str(tmp_path / "h")
    plot.run_gnuplot(plot.history_script(pts, "per_thread_ops", out, cps,
                                         "t'itle"))
    assert os.path.getsize(out + ".png") > 1000
    assert os.path.exists(out + ".svg")


def test_no_change_point_in_noise():
    rng = np.random.default_rng(2)
    vals = list(1000 * (1 + 0.02 * rng.standard_normal(16)))
    assert changepoint.e_divisive(vals, min_size=2) == []


def test_short_sweep_labels():
    assert plot.short_id("20261122T010754Z-99ca9df8") == "11-22T01:07"
    assert plot.short_id("other label") == "other label"
