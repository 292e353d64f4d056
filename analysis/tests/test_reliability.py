"""Reliability: runs are never lost or counted twice, a sweep directory is run
by one process at a time, a typo is a usage error, a full disk is exit 3
and resumable, files are 0644, and bad or hostile results give one line
(compare, plot, bisect), never a traceback or a wrong table."""
import glob
import json
import os
import re
import shutil
import signal
import stat
import subprocess
import sys
import textwrap
import time
import xml.etree.ElementTree as ET

import pytest

from conftest import REPO, fake_build, write_doc
from slabscale_analysis import (bisect, cli, layout, plan as planmod,
                                results, synth)

SLABSCALE = os.path.join(REPO, "slabscale")


@pytest.fixture
def env(tmp_path):
    return tmp_path, fake_build(tmp_path, ("old", "mid", "new"))


def sweep(e, *args, wait=True, **extra):
    # a resume takes its plan from its manifest (-s, --warmup would be a
    # usage error)
    plan = [] if "--resume" in args else ["-s", "1", "--warmup", "0"]
    cmd = [SLABSCALE, "sweep"] + plan + ["--no-report"] + list(args)
    env = dict(e, **extra)
    if not wait:
        return subprocess.Popen(cmd, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True, env=env)
    return subprocess.run(cmd, capture_output=True, text=True, env=env,
                          timeout=300)


def cli_run(e, *args):
    return subprocess.run([SLABSCALE] + list(args), capture_output=True,
                          text=True, env=e, timeout=300)


def log_lines(tmp):
    p = tmp / "log"
    return p.read_text().split("\n")[:-1] if p.exists() else []


def manifest_path(tmp):
    (m,) = glob.glob(str(tmp / "results" / "*" / "*" / "*" / "sweep.json"))
    return m


def wait_for_file(path, guard=120):
    t0 = time.monotonic()
    while not os.path.exists(path):
        assert time.monotonic() - t0 < guard, "no %s" % path
        time.sleep(0.05)


def one_line(stderr):
    lines = [l for l in stderr.splitlines() if l.strip()]
    assert len(lines) == 1, stderr
    assert "Traceback" not in stderr
    return lines[0]


# ---- item 2: copies of a run are counted once ---------------------------------

def _set(d, values, **kw):
    paths = []
    for i, v in enumerate(values):
        paths.append(write_doc(str(d / ("r%d.json" % i)),
                               synth.make_doc(ops=float(v), **kw)))
    return paths


def test_copies_of_a_run_are_dropped_with_a_warning(tmp_path, capsys):
    """Four byte-identical copies of one run moved n 5/10 and the median
    (106.8 M -> 171.7 M): compare's n and median are those of the set
    without copies, and the warning names the files."""
    _set(tmp_path / "a", [100, 101, 102, 103, 104])
    b = _set(tmp_path / "b", [90, 91, 92, 93, 200])
    for k in range(4):
        shutil.copy(b[4], str(tmp_path / "b" / ("zcopy%d.json" % k)))
    rc = cli.main(["compare", str(tmp_path / "a"), str(tmp_path / "b"),
                   "--json", "--metric", "per_thread_ops"])
    out, err = capsys.readouterr()
    assert rc == 0, err
    (g,) = json.loads(out)["groups"]
    (m,) = g["metrics"]
    assert (m["base"]["n"], m["new"]["n"]) == (5, 5)
    assert m["new"]["median"] == 92.0
    assert len(g["new_files"]) == 5
    warns = [l for l in err.splitlines() if "is a copy of" in l]
    assert len(warns) == 4
    assert all(b[4] in l and "same run_id" in l for l in warns)


def test_copies_without_run_id_are_found_by_their_samples(tmp_path, capsys):
    """Documents from before run ids existed: identical samples."""
    _set(tmp_path / "a", [100, 101, 102], run_id=None)
    b = _set(tmp_path / "b", [90, 91, 92], run_id=None)
    shutil.copy(b[0], str(tmp_path / "b" / "copy.json"))
    runs = results.load_set(str(tmp_path / "b"))
    err = capsys.readouterr().err
    assert len(runs) == 3 and "same samples" in err
    # different runs with different values are all kept
    assert len(results.load_set(str(tmp_path / "a"))) == 3


def test_stray_copies_in_a_sweep_are_not_counted(env):
    """In a sweep a row went from 3/3 to 3/6 with copies of runs in its
    directory: only the files its manifest lists count."""
    tmp, e = env
    p = sweep(e, "--variants", "old,new", "--cases", "page_fault3", "-t", "1",
              "--repeats", "3")
    assert p.returncode == 0, p.stderr
    sdir = os.path.dirname(manifest_path(tmp))
    for f in glob.glob(os.path.join(sdir, "runs", "new", "page_fault3",
                                    "*.json")):
        shutil.copy(f, f[:-5] + ".copy.json")
    c = cli_run(e, "compare", "latest:old", "latest:new", "--json")
    assert c.returncode == 0, c.stderr
    (m,) = [m for m in json.loads(c.stdout)["groups"][0]["metrics"]
            if m["metric"] == "per_thread_ops"]
    assert (m["base"]["n"], m["new"]["n"]) == (3, 3)
    # and a copy listed by the manifest under another run is dropped
    mp = manifest_path(tmp)
    man = json.load(open(mp))
    runs_new = [r for r in man["runs"] if r["variant"] == "new"]
    shutil.copy(os.path.join(sdir, runs_new[0]["file"]),
                os.path.join(sdir, runs_new[1]["file"]))
    c = cli_run(e, "compare", "latest:old", "latest:new", "--json")
    (m,) = [m for m in json.loads(c.stdout)["groups"][0]["metrics"]
            if m["metric"] == "per_thread_ops"]
    assert m["new"]["n"] == 2 and "is a copy of" in c.stderr


# ---- item 3: a finished run stays ok ----------------------------------------------

def test_ctrl_c_just_after_a_run_finished_keeps_it(env):
    """The runner's document says ok, exit 0, then Ctrl-C: it was marked
    interrupted, renamed *.interrupted-1.json on resume and counted twice."""
    tmp, e = env
    p = sweep(e, "--variants", "old,new", "--cases", "page_fault3", "-t", "1",
              "--repeats", "3", FAKE_INTR_AFTER="3")
    assert p.returncode == 130, p.stderr
    m = json.load(open(manifest_path(tmp)))
    assert [r["status"] for r in m["runs"]][:4] == ["ok", "ok", "ok",
                                                     "pending"]
    p = sweep(e, "--resume", "latest")
    assert p.returncode == 0, p.stderr
    assert len(log_lines(tmp)) == 6        # every run ran exactly once
    sdir = os.path.dirname(manifest_path(tmp))
    assert not glob.glob(os.path.join(sdir, "runs", "*", "*",
                                      "*.interrupted-*"))
    c = cli_run(e, "compare", "latest:old", "latest:new", "--json")
    (m,) = [m for m in json.loads(c.stdout)["groups"][0]["metrics"]
            if m["metric"] == "per_thread_ops"]
    assert (m["base"]["n"], m["new"]["n"]) == (3, 3)


def test_interrupted_attempts_are_kept_but_not_counted(env):
    tmp, e = env
    p = sweep(e, "--variants", "old,new", "--cases", "page_fault3", "-t", "1",
              "--repeats", "3", FAKE_INTR_AT="3")
    assert p.returncode == 130
    p = sweep(e, "--resume", "latest")
    assert p.returncode == 0, p.stderr
    sdir = os.path.dirname(manifest_path(tmp))
    kept = glob.glob(os.path.join(sdir, "runs", "*", "*", "*.interrupted-*"))
    assert len(kept) == 1
    c = cli_run(e, "compare", "latest:old", "latest:new", "--json")
    (m,) = [m for m in json.loads(c.stdout)["groups"][0]["metrics"]
            if m["metric"] == "per_thread_ops"]
    assert (m["base"]["n"], m["new"]["n"]) == (3, 3)


# ---- item 4: runners die with their sweep ----------------------------------------

def _start_time(pid):
    """Field 22 of /proc/pid/stat, None once the process is gone (or a
    zombie): what a sweep records of its runner."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            st = f.read()
    except OSError:
        return None
    fields = st[st.rindex(")") + 2:].split()
    return None if fields[0] == "Z" else int(fields[19])


def _pid_gone(pid, guard=60):
    t0 = time.monotonic()
    while time.monotonic() - t0 < guard:
        if _start_time(pid) is None:
            return True
        time.sleep(0.05)
    return False


def test_runner_dies_with_a_killed_sweep(env):
    """After kill -9 of the sweep its runner went on measuring (its own
    session, no parent-death signal) next to the resumed one."""
    tmp, e = env
    pidfile, release = tmp / "runner.pid", tmp / "release"
    p = sweep(e, "--variants", "old,new", "--cases", "page_fault3", "-t", "1",
              "--repeats", "2", wait=False, FAKE_HOLD_AT="2",
              FAKE_PIDFILE=str(pidfile), FAKE_RELEASE=str(release))
    try:
        wait_for_file(pidfile)
        pid = int(pidfile.read_text())
        p.send_signal(signal.SIGKILL)
        p.wait(timeout=60)
        gone = _pid_gone(pid)
    finally:
        release.write_text("")
        p.kill()
    assert gone, "the runner outlived its sweep"
    # the sweep had recorded it, for a resume to check
    rec = json.load(open(os.path.join(os.path.dirname(manifest_path(tmp)),
                                      "runner.json")))
    assert rec["pid"] == pid and rec["start"] > 0
    p = sweep(e, "--resume", "latest")
    assert p.returncode == 0, p.stderr
    m = json.load(open(manifest_path(tmp)))
    assert all(r["status"] == "ok" for r in m["runs"])


def test_resume_refuses_while_a_previous_runner_lives(env):
    tmp, e = env
    p = sweep(e, "--variants", "old,new", "--cases", "page_fault3", "-t", "1",
              "--repeats", "2", FAKE_INTR_AT="2")
    assert p.returncode == 130
    sdir = os.path.dirname(manifest_path(tmp))
    stray = subprocess.Popen(["sleep", "600"])
    try:
        layout.write_json_atomic(os.path.join(sdir, "runner.json"), {
            "pid": stray.pid, "start": _start_time(stray.pid),
            "file": "runs/new/page_fault3/threads-t1-r0.json"})
        n = len(log_lines(tmp))
        p = sweep(e, "--resume", "latest")
        assert p.returncode == 2, p.stderr
        assert ("a runner of sweep %s (pid %d" % (os.path.basename(sdir),
                                                  stray.pid)) in p.stderr
        assert len(log_lines(tmp)) == n          # nothing ran
    finally:
        stray.kill()
        stray.wait()
    # the record of a runner that is gone is forgotten
    p = sweep(e, "--resume", "latest")
    assert p.returncode == 0, p.stderr
    assert not os.path.exists(os.path.join(sdir, "runner.json"))


# ---- item 5: one process per sweep directory --------------------------------------

def test_a_running_sweep_cannot_be_resumed_twice(env):
    """Two resumes of one sweep at once both ran everything and overwrote
    each other's files (attempts: 1)."""
    tmp, e = env
    pidfile, release = tmp / "runner.pid", tmp / "release"
    first = sweep(e, "--variants", "old,new", "--cases", "page_fault3", "-t",
                  "1", "--repeats", "2", wait=False, FAKE_HOLD_AT="1",
                  FAKE_PIDFILE=str(pidfile), FAKE_RELEASE=str(release))
    try:
        wait_for_file(pidfile)
        second = sweep(e, "--resume", "latest")
    finally:
        release.write_text("")
        out, err = first.communicate(timeout=300)
    assert second.returncode == 2, second.stderr
    line = one_line(second.stderr)
    assert "is being run by another slabscale process (pid %d)" % first.pid \
        in line
    assert first.returncode == 0, err
    m = json.load(open(manifest_path(tmp)))
    assert [r["attempts"] for r in m["runs"]] == [1] * 4
    assert len(log_lines(tmp)) == 4


# ---- item 6: typos are usage errors ---------------------------------------------

@pytest.mark.parametrize("args,needle", [
    (["--variants", "old,nwe", "--cases", "page_fault3"],
     "no runner for variant nwe"),
    (["--variants", "nwe,old", "--cases", "page_fault3"],
     "no runner for variant nwe"),
    (["--variants", "old,new", "--cases", "page_fault3,pagefault3"],
     "unknown case pagefault3"),
])
def test_unknown_variant_or_case_is_a_usage_error(env, args, needle):
    """--variants cpuslab,sheaves-al ran a baseline-only sweep, exit 0."""
    tmp, e = env
    p = sweep(e, *args, "-t", "1", "--repeats", "3")
    assert p.returncode == 2, p.stderr
    assert needle in one_line(p.stderr)
    assert log_lines(tmp) == []             # nothing ran
    assert not glob.glob(str(tmp / "results" / "*" / "*" / "*"))


def test_plan_hash_is_of_the_plan_as_asked(env):
    """The hash was taken after dropping what does not run, so two
    different plans counted as the same plan."""
    tmp, e = env
    e = dict(e, FAKE_UNLISTED="new:cache_destroy")
    p = sweep(e, "--variants", "old,new", "--cases", "page_fault3,cache_destroy",
              "-t", "1", "--repeats", "3")
    assert p.returncode == 0, p.stderr
    assert "case cache_destroy is not supported by new: dropped" in p.stderr
    m1 = json.load(open(manifest_path(tmp)))
    assert m1["plan"]["cases"] == ["page_fault3"]
    assert m1["plan_hash"] == planmod.plan_hash(m1["requested_plan"])
    p = sweep(e, "--variants", "old,new", "--cases", "page_fault3",
              "-t", "1", "--repeats", "3")
    assert p.returncode == 0, p.stderr
    assert "(no previous complete sweep of this plan" in p.stderr
    hashes = {json.load(open(f))["plan_hash"] for f in glob.glob(
        str(tmp / "results" / "*" / "*" / "*" / "sweep.json"))}
    assert len(hashes) == 2


# ---- item 10: a full disk ------------------------------------------------------

FULL_DISK = textwrap.dedent("""\
    import json, os, subprocess, sys
    tmp, mode = sys.argv[1], sys.argv[2]
    res = os.path.join(tmp, "results")
    os.makedirs(res)
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", res],
                   check=True)
    env = dict(os.environ, FAKE_FILL_DIR=res)
    env["FAKE_FILL_" + mode] = "3"
    # the JSON's full disk: the results database (also under results/,
    # and when full, left with the runs kept as JSON: test_db.py) would
    # move where the space runs out
    env["SLABSCALE_DB"] = "none"
    base = [sys.argv[3], "sweep", "-s", "1", "--warmup", "0", "--no-report",
            "--variants", "old,new", "--cases", "page_fault3", "-t", "1",
            "--repeats", "3"]
    out = {}
    p = subprocess.run(base, capture_output=True, text=True, env=env)
    out["first"] = [p.returncode, p.stderr]
    os.unlink(os.path.join(res, "filler"))
    del env["FAKE_FILL_" + mode]
    p = subprocess.run([sys.argv[3], "sweep", "--resume", "latest",
                        "--no-report"], capture_output=True, text=True,
                       env=env)
    out["resume"] = [p.returncode, p.stderr]
    (m,) = [os.path.join(d, f) for d, _, fs in os.walk(res) for f in fs
            if f == "sweep.json"]
    out["manifest"] = json.load(open(m))
    with open(os.path.join(tmp, "full-disk.json"), "w") as f:
        json.dump(out, f)
    """)


@pytest.mark.parametrize("when", ["AT", "AFTER"])
def test_full_disk_is_exit_3_and_resumable(env, when):
    """ENOSPC gave a traceback and exit 1 (= regression to cron) and left
    sweep.json running.  A tmpfs of 4 MiB filled on the 3rd run (before
    the runner writes its document, or after, so the sweep's own manifest
    write fails), in a private mount namespace of the test's own: nothing
    stays mounted, whatever happens."""
    tmp, e = env
    helper = tmp / "full_disk.py"
    helper.write_text(FULL_DISK)
    cmd = ["unshare", "--mount", "--propagation", "private"]
    if os.geteuid() != 0:
        cmd.append("--map-root-user")
    p = subprocess.run(cmd + [sys.executable, str(helper), str(tmp), when,
                              SLABSCALE], capture_output=True, text=True,
                       env=e, timeout=600)
    assert p.returncode == 0, p.stderr
    out = json.load(open(tmp / "full-disk.json"))
    rc, err = out["first"]
    assert rc == 3, err
    assert "Traceback" not in err
    (stop,) = [l for l in err.splitlines() if l.startswith("sweep: stopped")]
    assert "no space left on device" in stop
    assert "slabscale sweep --resume" in stop
    rc, err = out["resume"]
    assert rc == 0, err
    m = out["manifest"]
    assert m["state"] == "complete"
    assert [r["status"] for r in m["runs"]] == ["ok"] * 6
    # the run that hit the full disk ran again; none ran three times
    lines = log_lines(tmp)
    assert 6 < len(lines) <= 7 + (when == "AFTER")


def test_write_errors_are_one_line(tmp_path, capsys):
    """Writing where a file is: one line naming it, exit 2 (the path is
    the user's; a full disk is exit 3, above)."""
    _set(tmp_path / "a", [100, 101, 102])
    out = tmp_path / "a" / "r0.json" / "sub" / "chart"
    rc = cli.main(["plot", str(tmp_path / "a"), "--case", "page_fault3",
                   "-o", str(out)])
    err = capsys.readouterr().err
    assert rc == 2, err
    line = one_line(err)
    assert line.startswith("slabscale plot: ") and "Not a directory" in line


# ---- item 11: modes --------------------------------------------------------------

def test_manifest_and_compare_modes_match_the_runs(env):
    tmp, e = env
    old = os.umask(0o022)
    try:
        p = subprocess.run([SLABSCALE, "sweep", "-s", "1", "--warmup", "0",
                            "--variants", "old,new", "--cases", "page_fault3",
                            "-t", "1", "--repeats", "3"], capture_output=True,
                           text=True, env=e, timeout=300)
    finally:
        os.umask(old)
    assert p.returncode == 0, p.stderr
    sdir = os.path.dirname(manifest_path(tmp))
    run = glob.glob(os.path.join(sdir, "runs", "*", "*", "*.json"))[0]
    modes = {name: stat.S_IMODE(os.stat(os.path.join(sdir, name)).st_mode)
             for name in ("sweep.json", "compare.json", "report/index.html",
                          "report/report.md")}
    assert stat.S_IMODE(os.stat(run).st_mode) == 0o644
    assert modes == dict.fromkeys(modes, 0o644), modes


# ---- items 12, 13: bad results in plot -------------------------------------------

def test_plot_refuses_a_nan_run_naming_it(tmp_path, capsys):
    """One NaN run silently dropped its set's whole series from the PNG."""
    _set(tmp_path / "a", [100, 101, 102])
    bad = tmp_path / "a" / "r1.json"
    bad.write_text(bad.read_text().replace(
        '"per_thread_ops": 101.0', '"per_thread_ops": NaN'))
    rc = cli.main(["plot", str(tmp_path / "a"), "--case", "page_fault3",
                   "-o", str(tmp_path / "chart")])
    err = capsys.readouterr().err
    assert rc == 2
    line = one_line(err)
    assert str(bad) in line and "stats.per_thread_ops is NaN" in line
    assert not os.path.exists(tmp_path / "chart.png")


def test_plot_refuses_mixed_hosts_as_compare_does(tmp_path, capsys):
    _set(tmp_path / "a", [100, 101, 102])
    _set(tmp_path / "b", [90, 91, 92], host={"hostname": "elsewhere"})
    args = ["plot", str(tmp_path / "a"), str(tmp_path / "b"), "--case",
            "page_fault3", "-o", str(tmp_path / "chart")]
    assert cli.main(args) == 2
    line = one_line(capsys.readouterr().err)
    assert "different hosts" in line and "--allow-host-mismatch" in line
    assert cli.main(["compare"] + args[1:3]) == 2
    capsys.readouterr()
    assert cli.main(args + ["--allow-host-mismatch"]) == 0
    assert os.path.getsize(tmp_path / "chart.png") > 1000


def test_plot_to_a_relative_path_with_an_extension(tmp_path, capsys,
                                                   monkeypatch):
    """-o doc/chart.png from the top directory: gnuplot ran in the
    output's directory and could not find its own script, and .png was
    taken as part of the base (x.png.png)."""
    _set(tmp_path / "a", [100, 101, 102])
    monkeypatch.chdir(tmp_path)
    os.makedirs("doc")
    rc = cli.main(["plot", "a", "--case", "page_fault3",
                   "-o", os.path.join("doc", "chart.png")])
    capsys.readouterr()
    assert rc == 0
    assert os.path.getsize(tmp_path / "doc" / "chart.png") > 1000
    assert os.path.exists(tmp_path / "doc" / "chart.svg")
    assert not os.path.exists(tmp_path / "doc" / "chart.png.gp")


# ---- item 14: bisect when every run fails ----------------------------------------

def test_bisect_says_no_run_counted(env):
    """Every run failing was reported as 'the endpoints do not differ
    significantly'."""
    tmp, e = env
    vl = tmp / "variants.list"
    vl.write_text("old\nmid\nnew\n")
    p = subprocess.run([SLABSCALE, "bisect", "--good", "old", "--bad", "new",
                        "--case", "page_fault3", "-s", "1", "--warmup", "0",
                        "--repeats", "3", "--variants-list", str(vl)],
                       capture_output=True, text=True, timeout=300,
                       env=dict(e, FAKE_FAIL_CASE="page_fault3"))
    assert p.returncode == 3, p.stdout + p.stderr
    assert "not bisectable: no run of old or new counted" in p.stdout
    assert "do not differ" not in p.stdout


def test_bisect_midpoint_without_runs():
    def measure(v, n):
        return [] if v == "mid" else [{"old": 100.0, "new": 80.0}[v]
                                      * (1 + 0.001 * i) for i in range(n)]
    res = bisect.bisect_variants(["old", "mid", "new"], "old", "new",
                                 measure, start=5, cap=5)
    assert res["first_bad"] is None
    assert res["verdict"].startswith("not bisectable: no run of mid counted")


# ---- items 15, 16: names from results -------------------------------------------

EVIL = "x\x1b]0;pwned\x07\x1b[2J\nforged row\u202e]]><&"


def test_compare_prints_no_control_characters(tmp_path, capsys):
    """Case, parameter or metric names with escape sequences were written
    raw: the window title changed, the screen cleared."""
    for side, v in (("a", 100), ("b", 90)):
        _set(tmp_path / side, [v, v + 1, v + 2], case=EVIL,
             params={EVIL: EVIL}, metrics={EVIL: {
                 "kind": "counter", "unit": EVIL, "value": 5,
                 "per_task": [5]}})
    rc = cli.main(["compare", str(tmp_path / "a"), str(tmp_path / "b")])
    out, err = capsys.readouterr()
    assert rc == 0, err
    assert not re.search("[\x00-\x09\x0b-\x1f\x7f\u202e]", out)
    assert "\\x1b]0;pwned\\x07\\x1b[2J\\x0aforged row\\u202e" in out
    assert "\nforged row" not in out
    # --json stays exact (JSON escapes them itself)
    assert cli.main(["compare", str(tmp_path / "a"), str(tmp_path / "b"),
                     "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["groups"][0]["case"] == EVIL


def test_svg_is_well_formed_whatever_the_labels(tmp_path, capsys):
    """A case name holding ]]> broke gnuplot's SVG (not well-formed)."""
    for side, v in (("a", 100), ("b", 90)):
        _set(tmp_path / side, [v, v + 1, v + 2], case="a]]>b<c>&d\ud800")
    rc = cli.main(["plot", str(tmp_path / "a"), str(tmp_path / "b"),
                   "--case", "a]]>b<c>&d\ud800", "-o",
                   str(tmp_path / "chart")])
    out, err = capsys.readouterr()
    assert rc == 0, err
    svg = (tmp_path / "chart.svg").read_text()
    ET.fromstring(svg)                  # well-formed
    assert "a]]&gt;b&lt;c>&amp;d" in svg
    assert os.path.getsize(tmp_path / "chart.png") > 1000
