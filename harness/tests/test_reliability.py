# SPDX-License-Identifier: GPL-2.0-only
"""Reliability: numbers stay right under load, --json never replaces what is
not a regular file, bad values and parameters are usage errors, and the
messages say what is wrong."""
import os
import signal
import stat
import subprocess
import time

import pytest

from conftest import load_json
from test_failures import _wait_for

# marks that say what the machine did around a run, not what the run did
MACHINE_MARKS = ("disturbed", "shared")


@pytest.mark.parametrize("mode", ["threads", "processes"])
def test_late_coordinator_takes_no_catch_up_intervals(run_none, out, mode):
    """Item 1: the coordinator stopped for 5 intervals must not take
    catch-up samples of ~0 s and count them as full intervals; the long
    interval is flagged, left out of the statistics and measured again,
    and the run carries a mark."""
    interval, n = 0.2, 10
    proc = subprocess.Popen(
        [str(x) for x in (run_none.path, "page_fault3", "-t", 2, "-s",
                          n * interval, "--warmup", 0, "--interval",
                          interval, "--mode", mode, "--json", out)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        buf = _wait_for(proc, "measurement\n")
        while buf.count("total:") < 2:
            buf += _wait_for(proc, "total:")
        proc.send_signal(signal.SIGSTOP)
        time.sleep(5 * interval)
        proc.send_signal(signal.SIGCONT)
        rc = proc.wait(timeout=120)
    finally:
        proc.kill()
    err = proc.stderr.read().decode()
    assert rc == 0, err
    d = load_json(out)
    measured = [s for s in d["samples"] if not s["warmup"]]
    # no interval shorter than half the nominal length, none of 0 s
    assert min(s["seconds"] for s in measured) >= 0.5 * interval
    long_ = [s for s in measured if "long" in s["flags"]]
    assert long_ and all(s["excluded"] for s in long_)
    assert all(s["seconds"] > 1.5 * interval for s in long_)
    kept = [s for s in measured if not s["excluded"]]
    st = d["stats"]
    # -s asked for n intervals in the statistics: the excluded one was
    # measured again
    assert st["intervals"] == len(kept) == n
    assert st["excluded_intervals"] == len(long_)
    per_task = [s["total"] / 2 for s in kept]
    assert st["per_task_ops"] == pytest.approx(sum(per_task) / n, rel=1e-9)
    # a stopped coordinator may also leave a task waiting for its CPU
    # (a "disturbed" mark, test_disturb.py), and a busy machine a "shared"
    # one (test_neighbours.py); this test is about the other
    (mark,) = [m for m in d["marks"] if m["reason"] not in MACHINE_MARKS]
    assert mark["reason"] == "off_nominal_intervals"
    assert mark["intervals"] == len(long_)
    assert mark["bounds"] == [0.5, 1.5]
    assert "not averaged in" in mark["message"] and "not averaged in" in err


def test_ok_run_has_no_marks_and_a_run_id(run_none, out, tmp_path):
    run_none("empty", "-s", 0.2, "--warmup", 0, "--interval", 0.1,
             "--json", out, check=0)
    d = load_json(out)
    # the machine is shared: a run may be disturbed (test_disturb.py) or
    # shared (test_neighbours.py), and then only those marks are allowed
    assert [m["reason"] for m in d["marks"]] == (
        ["disturbed"] if d["disturbed"] else []) + (
        ["shared"] if d.get("shared") else [])
    assert d["stats"]["excluded_intervals"] == 0
    assert all(s["flags"] == [] and not s["excluded"] for s in d["samples"])
    other = tmp_path / "other.json"
    run_none("empty", "-s", 0.2, "--warmup", 0, "--interval", 0.1,
             "--json", other, check=0)
    assert load_json(other)["run_id"] != d["run_id"]


@pytest.mark.parametrize("args", [
    ["-s", "0.5"], ["-s", "1.5"], ["--warmup", "0.5"],
    ["-s", "0.25", "--interval", "0.1"]])
def test_seconds_are_whole_intervals(run_none, out, args):
    """Item 7: -s 0.5 or -s 1.5 were rounded to whole intervals while the
    JSON said 0.5 / 1.5: refused before anything runs."""
    p = run_none("empty", *args, "--json", out, timeout=30)
    assert p.returncode == 2, p.stderr
    assert p.stdout == "" and not out.exists()
    assert "is not a whole number of --interval" in p.stderr


def test_fractional_seconds_are_measured_as_asked(run_none, out):
    run_none("empty", "-s", 1.5, "--warmup", 0.5, "--interval", 0.5,
             "--json", out, check=0)
    d = load_json(out)
    assert d["options"]["seconds"] == 1.5
    assert d["stats"]["intervals"] == 3
    assert len([s for s in d["samples"] if s["warmup"]]) == 1


@pytest.mark.parametrize("value", ["010", "0x40", " 64", "64 ", "+64", "-1",
                                   "1e3", "", "99999999999999999999999"])
def test_ulong_params_are_decimal(run_test, out, value):
    """Item 8: --param size=010 was read by strtoul(.., 0) as 8 (and 0x40,
    " 64" were accepted) while the JSON recorded the string."""
    p = run_test("test_metrics", "-s", 1, "--param", "spin=" + value,
                 "--json", out, timeout=30)
    assert p.returncode == 2, (value, p.stderr)
    assert "--param spin=%s:" % value in p.stderr
    assert "not an unsigned integer" in p.stderr or "out of range" in p.stderr
    assert not out.exists()


@pytest.mark.parametrize("value", [" 1.5", "0x1p1", "nan", "inf", "1.5x",
                                   "1e999", "."])
def test_double_params_are_decimal(run_test, out, value):
    p = run_test("test_metrics", "-s", 1, "--param",
                 "unused_default=" + value, timeout=30)
    assert p.returncode == 2, (value, p.stderr)
    assert "--param unused_default=" in p.stderr


def test_decimal_params_are_used_as_given(run_test, out):
    run_test("test_metrics", "-s", 0.1, "--warmup", 0, "--interval", 0.1,
             "--param", "spin=10", "--param", "unused_default=-2.5e-1",
             "--json", out, check=0)
    assert load_json(out)["params"] == {"spin": "10",
                                        "unused_default": "-2.5e-1"}


def _targets(tmp_path):
    """Things --json must never replace: name -> (path, check it is intact)."""
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me\n")
    link = tmp_path / "link.json"
    link.symlink_to(victim)
    dangling = tmp_path / "dangling.json"
    dangling.symlink_to(tmp_path / "nowhere.json")
    fifo = tmp_path / "fifo.json"
    os.mkfifo(fifo)
    dev = tmp_path / "null.json"
    os.mknod(dev, stat.S_IFCHR | 0o666, os.makedev(1, 3))
    sub = tmp_path / "adir"
    sub.mkdir()
    return {
        "symlink": (link, lambda: os.path.islink(link)
                    and victim.read_text() == "keep me\n"),
        "dangling symlink": (dangling, lambda: os.path.islink(dangling)
                             and not (tmp_path / "nowhere.json").exists()),
        "fifo": (fifo, lambda: stat.S_ISFIFO(os.lstat(fifo).st_mode)),
        "char device": (dev, lambda: stat.S_ISCHR(os.lstat(dev).st_mode)),
        "directory": (sub, lambda: sub.is_dir() and not any(sub.iterdir())),
    }


@pytest.mark.parametrize("what", ["symlink", "dangling symlink", "fifo",
                                  "char device", "directory"])
def test_json_never_replaces_a_non_regular_file(run_none, tmp_path, what):
    """Item 9: --json /dev/null replaced /dev/null with a regular file (and
    a symlink, a FIFO); --json some_dir measured the whole run first.  Now
    refused before measuring, and the target is left alone."""
    path, intact = _targets(tmp_path)[what]
    p = run_none("empty", "-s", 1, "--warmup", 0, "--json", path,
                 timeout=30)
    assert p.returncode == 2, p.stderr
    assert p.stdout == ""           # nothing was measured
    assert intact(), what
    assert "--json" in p.stderr and str(path) in p.stderr
    assert ("not a regular file" in p.stderr or "directory" in p.stderr)


def test_json_list_checks_every_target_first(run_none, tmp_path):
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me\n")
    (tmp_path / "o.t2.json").symlink_to(victim)
    p = run_none("empty", "-t", "1,2", "-s", 1, "--warmup", 0, "--json",
                 tmp_path / "o.json", timeout=30)
    assert p.returncode == 2 and p.stdout == "", p.stderr
    assert "o.t2.json" in p.stderr and not (tmp_path / "o.t1.json").exists()
    assert victim.read_text() == "keep me\n"


def test_json_bad_names_fail_before_measuring(run_none, tmp_path):
    for path in (tmp_path / ("x" * 300 + ".json"), tmp_path / "nodir" / "o",
                 str(tmp_path) + "/"):
        p = run_none("empty", "-s", 1, "--warmup", 0, "--json", path,
                     timeout=30)
        assert p.returncode == 2, (path, p.stderr)
        assert p.stdout == "", path
    # a regular file is replaced, atomically
    f = tmp_path / "old.json"
    f.write_text("old")
    run_none("empty", "-s", 0.1, "--warmup", 0, "--interval", 0.1,
             "--json", f, check=0)
    assert load_json(f)["status"] == "ok"
    assert sorted(x.name for x in tmp_path.iterdir()) == ["old.json"]


@pytest.mark.parametrize("opt", ["-s", "-t", "--json", "--param", "--mode",
                                 "--events", "--interval"])
def test_missing_value_is_named(run_none, opt):
    """Item 17: a missing option value said "bad option '-s'"."""
    p = run_none("empty", opt, timeout=30)
    assert p.returncode == 2
    assert p.stderr.splitlines()[0].endswith(": %s needs a value" % opt)


def test_events_limit_is_stated(run_none):
    p = run_none("empty", "--events", ",".join(["task-clock"] * 17),
                 timeout=30)
    assert p.returncode == 2 and "at most 16 events" in p.stderr
    p = run_none("--help", timeout=30)
    assert "at most 16" in p.stdout


@pytest.mark.parametrize("how", ["bogus", ""])
def test_param_choice_error_is_a_usage_error(run_test, out, how):
    """Item 17: a --param range or choice error exited 1 with a failed
    document; harness/README.md says a bad --param exits 2."""
    p = run_test("test_crash", "-s", 1, "--param", "how=" + how,
                 "--json", out, timeout=30)
    assert p.returncode == 2, p.stderr
    assert not out.exists()
    assert p.stderr == ("slabscale-run: --param how=%s: expected segv, abort,"
                        " fail, return, kill or exit\n" % how)


@pytest.mark.parametrize("how,field", [("kill", "signal"),
                                       ("exit", "exit_code")])
def test_processes_failure_names_the_dead_task(run_test, out, how, field):
    """Item 17: in processes mode failure.pid was the host's pid."""
    p = run_test("test_crash", "-t", 2, "-s", 60, "--warmup", 0, "--mode",
                 "processes", "--param", "how=" + how, "--param",
                 "after_ms=200", "--json", out, timeout=60)
    assert p.returncode == 1
    d = load_json(out)
    f = d["failure"]
    assert f["task"] == 1
    assert f["pid"] == d["tasks"][1]["pid"] != d["tasks"][0]["pid"]
    assert f[field] == ("SIGKILL" if how == "kill" else 7)
    assert "(pid %d)" % f["pid"] in f["message"]


# ---- standard output that cannot be written --------------------------------

def test_output_to_a_full_device_fails_with_one_line(run_none, out):
    with open("/dev/full", "w") as full:
        p = subprocess.run([str(run_none.path), "empty", "-t", "1", "-s", "1",
                            "--warmup", "0", "--json", str(out)],
                           stdout=full, stderr=subprocess.PIPE, text=True,
                           timeout=120)
    assert p.returncode == 1, p.stderr
    assert "cannot write the output: No space left on device" in p.stderr
    assert load_json(out)["status"] == "ok"        # the JSON is still there


def test_a_closed_pipe_does_not_cost_the_json(run_none, out):
    """`slabscale-run ... | head -1`: SIGPIPE killed the run before it
    wrote the document it was asked for."""
    p = subprocess.run("'%s' empty -t 1 -s 2 --warmup 0 -v --json '%s' "
                       "| head -c 1; exit ${PIPESTATUS[0]}"
                       % (run_none.path, out), shell=True,
                       executable="/bin/bash", capture_output=True,
                       text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    assert "Broken pipe" not in p.stderr
    assert load_json(out)["status"] == "ok"


def test_an_arena_that_cannot_be_reserved_is_one_line_not_a_core(build_dir):
    from test_sanitized import _newest_variant
    runner = build_dir / _newest_variant() / "slabscale-run"
    p = subprocess.run("ulimit -v 1000000; exec '%s' empty -t 1 -s 1 "
                       "--warmup 0" % runner, shell=True,
                       executable="/bin/bash", capture_output=True,
                       text=True, timeout=120)
    assert p.returncode == 1, (p.returncode, p.stderr)
    lines = [l for l in p.stderr.splitlines() if l.strip()]
    assert len(lines) == 1 and "cannot reserve" in lines[0], p.stderr
    assert "ulimit -v" in lines[0]
