"""Exit 1 means only "a significant regression was found": bad input, a
bad results tree, a refused comparison and a signal in any phase of a
sweep each get their own status and one clear line, never a traceback."""

import glob
import json
import os
import signal
import subprocess
import time

import pytest

from conftest import HOSTILE, REPO, fake_build, write_doc
from slabscale_analysis import budget as budgetmod
from slabscale_analysis import report, significance, sweep, synth
from slabscale_analysis.results import LIMITS

SLABSCALE = os.path.join(REPO, "slabscale")
PLAN = ["-s", "1", "--warmup", "0", "--no-report", "--variants", "old,new",
        "--cases", "page_fault3", "-t", "1", "--repeats", "3"]


@pytest.fixture
def env(tmp_path):
    return tmp_path, fake_build(tmp_path, ("old", "new"))


def slabscale(e, *args, **extra):
    return subprocess.run([SLABSCALE] + list(args), capture_output=True,
                          text=True, env=dict(e, **extra), timeout=300)


def sweeps(tmp):
    return sorted(glob.glob(str(tmp / "results" / "*" / "*" / "*")))


def manifest(sdir):
    with open(os.path.join(sdir, "sweep.json")) as f:
        return json.load(f)


def no_traceback(p):
    assert "Traceback" not in p.stderr + p.stdout, p.stderr


def last_line(p):
    lines = [l for l in p.stderr.splitlines() if l.strip()]
    return lines[-1] if lines else ""


# ---- --min-effect 0 ---------------------------------------------------------

@pytest.mark.parametrize("cmd", [
    ["sweep"] + PLAN, ["compare", "a", "b"], ["report", "latest"],
    ["bisect", "--good", "old", "--bad", "new", "--case", "page_fault3"],
    ["plot", "--case", "page_fault3"]])
def test_min_effect_zero_is_a_usage_error_not_a_crash(env, cmd):
    HOSTILE['numeric option limits'] += 1
    tmp, e = env
    p = slabscale(e, *(cmd + ["--min-effect", "0"]))
    assert p.returncode == 2, p.stderr
    no_traceback(p)
    assert "--min-effect" in p.stderr and "out of range" in p.stderr


def test_compare_samples_without_a_minimum_effect_never_crashes():
    r = significance.compare_samples([100, 101, 99, 100, 102],
                              [100, 100, 101, 99, 101], min_effect=0)
    assert r["verdict"] == significance.INCONCLUSIVE
    assert "no minimum effect" in r["reason"]
    r = significance.compare_samples([100, 101], [100, 100], min_effect=0)
    assert r["more_runs"] == significance.MIN_RUNS - 2


# ---- a sweep writes only manifests it can read back --------------------------

@pytest.mark.parametrize("args,needle", [
    (["-s", "1000000000"], "-s/--seconds"),
    (["--budget-time", "1000000000"], "--budget-time"),
    (["--repeats", "1000000000000"], "--repeats"),
    (["--warmup", "-1"], "--warmup"),
    (["--budget", "0"], "--budget"),
    (["-t", "1,2,3,4,5,6,7,8", "--repeats", "10000", "--cases",
      "page_fault3,page_fault3_slab"], "runs, more than")])
def test_a_sweep_never_writes_a_manifest_its_reader_refuses(env, args,
                                                            needle):
    HOSTILE['numeric option limits'] += 1
    tmp, e = env
    p = slabscale(e, "sweep", *(PLAN + args))
    assert p.returncode == 2, p.stderr
    no_traceback(p)
    assert needle in p.stderr
    assert sweeps(tmp) == []            # nothing created, nothing to delete


def test_a_case_or_mode_listed_twice_is_measured_once(env):
    tmp, e = env
    p = slabscale(e, "sweep", *(PLAN + ["--cases", "page_fault3,page_fault3",
                                        "--modes", "threads,threads"]))
    assert p.returncode == 0, p.stderr
    (sdir,) = sweeps(tmp)
    m = manifest(sdir)
    assert m["plan"]["cases"] == ["page_fault3"]
    assert m["plan"]["modes"] == ["threads"]
    assert len(m["runs"]) == 6
    for cmd in (["report", "latest"], ["compare", "latest:old",
                                       "latest:new"]):
        p = slabscale(e, *cmd)
        assert p.returncode == 0, p.stderr


def test_plan_limits_are_the_manifest_readers():
    assert LIMITS["runs"] * 400 < 64 << 20     # fits the manifest cap


# ---- Ctrl-C, SIGTERM, SIGHUP in every phase ---------------------------------

def _run_in_process(tmp, e, monkeypatch, **kw):
    out = []
    monkeypatch.setenv("FAKE_LOG", e["FAKE_LOG"])
    rc = sweep.run_sweep(kw.pop("plan", None), str(tmp / "results"),
                         e["SLABSCALE_BUILD"], out=out.append, **kw)
    return rc, out


PLAN_RAW = {"variants": "old,new", "cases": "page_fault3", "nr_task": "1",
            "repeats": 3, "seconds": 1, "warmup": 0}


def test_ctrl_c_in_the_budget_phase_is_resumable(env, monkeypatch):
    HOSTILE['signals by sweep phase'] += 1
    tmp, e = env
    real = budgetmod.unsettled_rows

    def boom(*a):
        raise KeyboardInterrupt
    monkeypatch.setattr(budgetmod, "unsettled_rows", boom)
    rc, out = _run_in_process(tmp, e, monkeypatch, plan=dict(PLAN_RAW),
                              make_report=False,
                              budget={"runs": 4, "seconds": None})
    assert rc == 130
    assert any("--resume" in l and "budget" in l for l in out), out
    (sdir,) = sweeps(tmp)
    assert manifest(sdir)["state"] == "measured"
    assert not os.path.exists(os.path.join(sdir, "compare.json"))
    monkeypatch.setattr(budgetmod, "unsettled_rows", real)
    rc, out = _run_in_process(tmp, e, monkeypatch, resume="latest",
                              make_report=False)
    assert rc == 0, out
    assert manifest(sdir)["state"] == "complete"
    assert manifest(sdir)["budget"]["done"] is True
    assert os.path.exists(os.path.join(sdir, "compare.json"))


def test_ctrl_c_in_the_report_is_resumable(env, monkeypatch):
    HOSTILE['signals by sweep phase'] += 1
    tmp, e = env
    real = report.write_report

    def boom(*a, **k):
        raise KeyboardInterrupt
    monkeypatch.setattr(report, "write_report", boom)
    rc, out = _run_in_process(tmp, e, monkeypatch, plan=dict(PLAN_RAW))
    assert rc == 130
    assert any("--resume" in l and "report" in l for l in out), out
    (sdir,) = sweeps(tmp)
    assert manifest(sdir)["state"] == "measured"
    monkeypatch.setattr(report, "write_report", real)
    rc, out = _run_in_process(tmp, e, monkeypatch, resume="latest")
    assert rc == 0, out
    assert manifest(sdir)["state"] == "complete"
    assert os.path.exists(os.path.join(sdir, "report", "index.html"))
    # and the runs were not measured again
    with open(e["FAKE_LOG"]) as f:
        assert len(f.read().splitlines()) == 6


@pytest.mark.parametrize("sig", [signal.SIGHUP, signal.SIGTERM])
def test_a_closed_terminal_stops_a_sweep_as_ctrl_c_does(env, sig):
    HOSTILE['signals by sweep phase'] += 1
    tmp, e = env
    pidfile, release = str(tmp / "pid"), str(tmp / "release")
    proc = subprocess.Popen([SLABSCALE, "sweep"] + PLAN,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env=dict(e, FAKE_HOLD_AT="2",
                                                FAKE_PIDFILE=pidfile,
                                                FAKE_RELEASE=release))
    t0 = time.monotonic()
    while not os.path.exists(pidfile):
        assert time.monotonic() - t0 < 120 and proc.poll() is None
        time.sleep(0.05)
    proc.send_signal(sig)
    time.sleep(0.5)
    open(release, "w").close()
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err
    assert "--resume" in err
    (sdir,) = sweeps(tmp)
    m = manifest(sdir)
    assert m["state"] == "interrupted"
    assert [r["status"] for r in m["runs"]][:2] == ["ok", "interrupted"]


# ---- a refused comparison is not a clean sweep ------------------------------

def test_a_refused_baseline_comparison_exits_2(env):
    tmp, e = env
    p = slabscale(e, "sweep", *PLAN, FAKE_HOSTS=json.dumps({"new": "other"}))
    assert p.returncode == 2, p.stderr
    assert "cannot compare" in p.stderr
    assert "refused" in last_line(p)


def test_resume_refuses_another_hosts_sweep(env):
    tmp, e = env
    p = slabscale(e, "sweep", *PLAN, FAKE_INTR_AT="2")
    assert p.returncode == 130
    (sdir,) = sweeps(tmp)
    m = manifest(sdir)
    host = os.path.basename(os.path.dirname(os.path.dirname(sdir)))
    other = sdir.replace(os.sep + host + os.sep, os.sep + "otherhost" + os.sep)
    os.makedirs(os.path.dirname(other))
    os.rename(sdir, other)
    m["host"] = "otherhost"
    write_doc(os.path.join(other, "sweep.json"), m)
    p = slabscale(e, "sweep", "--resume", m["id"])
    assert p.returncode == 2, p.stderr
    assert "belongs to host otherhost" in last_line(p)


# ---- one damaged run of the previous sweep ------------------------------------

def test_a_damaged_previous_run_does_not_block_a_new_sweep(env):
    tmp, e = env
    assert slabscale(e, "sweep", *PLAN).returncode == 0
    (sdir,) = sweeps(tmp)
    victim = os.path.join(sdir, manifest(sdir)["runs"][0]["file"])
    with open(victim, "w") as f:
        f.write("{ half a document")
    time.sleep(1.1)                     # a new sweep id
    p = slabscale(e, "sweep", *PLAN)
    assert p.returncode == 0, p.stderr
    assert "against the previous sweep" in p.stderr
    assert "left out of the comparison" in p.stderr


# ---- readers: type and size ----------------------------------------------------

def test_readers_refuse_fifos_devices_and_huge_files(env, tmp_path):
    HOSTILE['non-regular or oversized files'] += 4
    tmp, e = env
    d = tmp_path / "set"
    d.mkdir()
    write_doc(str(d / "good.json"), synth.make_doc(ops=1e6))
    os.mkfifo(str(d / "fifo.json"))
    p = slabscale(e, "compare", str(d), str(d))
    assert p.returncode == 2 and "not a regular file" in last_line(p)
    os.unlink(str(d / "fifo.json"))
    os.symlink("/dev/zero", str(d / "zero.json"))
    p = slabscale(e, "compare", str(d), str(d))
    assert p.returncode == 2 and "symbolic link" in last_line(p)
    os.unlink(str(d / "zero.json"))
    big = d / "big.json"
    with open(str(big), "w") as f:
        f.write('{"pad": "' + "x" * (17 << 20) + '"}')
    p = slabscale(e, "compare", str(big), str(d / "good.json"))
    assert p.returncode == 2 and "allowed for" in last_line(p)
    # a FIFO named on the command line is refused too, without blocking
    os.mkfifo(str(tmp_path / "f.json"))
    p = slabscale(e, "compare", str(tmp_path / "f.json"), str(big))
    assert p.returncode == 2 and "not a regular file" in last_line(p)


def test_set_aside_attempts_are_not_counted_in_a_directory(env, tmp_path):
    tmp, e = env
    d = tmp_path / "set"
    for i in range(3):
        write_doc(str(d / ("r%d.json" % i)), synth.make_doc(ops=1e6 + i))
    write_doc(str(d / "r0.attempt-1.json"), synth.make_doc(ops=5e5))
    write_doc(str(d / "r1.interrupted-2.json"), synth.make_doc(ops=5e5))
    p = slabscale(e, "compare", str(d), str(d), "--json")
    assert p.returncode == 0, p.stderr
    (m,) = [m for m in json.loads(p.stdout)["groups"][0]["metrics"]
            if m["metric"] == "per_thread_ops"]
    assert m["base"]["n"] == 3


# ---- a runner's usage error stops everything -----------------------------------

@pytest.mark.parametrize("args,needle", [
    (["--param", "bogus=1"], "has no such parameter"),
    (["-t", "100000"], "bad task count")])
def test_a_runner_usage_error_stops_the_sweep_with_its_first_line(
        env, args, needle):
    HOSTILE['runner usage errors'] += 1
    tmp, e = env
    p = slabscale(e, "sweep", *(PLAN + args))
    assert p.returncode == 2, p.stderr
    assert needle in last_line(p)
    assert "--list" not in last_line(p)
    with open(e["FAKE_LOG"]) as f:
        assert len(f.read().splitlines()) == 1      # nothing more was run


def test_a_runner_usage_error_stops_bisect(env):
    tmp, e = env
    vl = tmp / "variants.list"
    vl.write_text("old\nnew\n")
    p = slabscale(e, "bisect", "--good", "old", "--bad", "new", "--case",
                  "page_fault3", "-s", "1", "--warmup", "0", "--param",
                  "bogus=1", "--variants-list", str(vl))
    assert p.returncode == 2, p.stderr
    assert "has no such parameter" in last_line(p)


# ---- input that was quietly dropped -------------------------------------------

@pytest.mark.parametrize("args,needle", [
    (["--resume", ""], "needs a sweep id"),
    (["--resume", "latest", "--cases", "page_fault3"], "--cases"),
    (["--resume", "latest", "--variants", "old"], "--variants"),
    (["--resume", "latest", "-s", "2"], "--seconds"),
    (["--resume", "latest", "--budget", "4"], "--budget"),
    (PLAN + ["--param", "cache_destory:bg_caches=16"], "does not run"),
    (PLAN + ["--param", "page_fault3:=1"], "has no name")])
def test_input_that_would_be_dropped_is_a_usage_error(env, args, needle):
    HOSTILE['dropped input'] += 1
    tmp, e = env
    p = slabscale(e, "sweep", *args)
    assert p.returncode == 2, p.stderr
    assert needle in last_line(p)
    assert sweeps(tmp) == []


# ---- every subcommand, bad input: never exit 1, never a traceback ---------------

BAD_INPUTS = {
    "sweep": [["--bogus"], ["--cases", "nosuch"], ["--variants", "nosuch"],
              ["--repeats", "x"], ["-t", "0"], ["--variants", "../x"],
              ["--plan", "/nonexistent"], ["--modes", "fibers"],
              ["--repeat", "3"]],     # no abbreviation: not --repeats
    "compare": [[], ["a"], ["/nonexistent", "/nonexistent"], ["--bogus"],
                ["latest", "latest"]],
    "bisect": [[], ["--case", "page_fault3"], ["--good", "old", "--bad",
                                               "nosuch", "--case", "x"],
               ["--good", "old", "--bad", "new", "--case", "page_fault3",
                "-t", "0"]],
    "plot": [[], ["--case", "page_fault3", "--bogus"],
             ["--case", "page_fault3", "/nonexistent"]],
    "report": [["nosuch"], ["--bogus"], ["/nonexistent"]],
}


@pytest.mark.parametrize("cmd,args", [(c, a) for c, l in BAD_INPUTS.items()
                                      for a in l])
def test_every_subcommand_rejects_bad_input_with_exit_2(env, cmd, args):
    HOSTILE['subcommand bad inputs'] += 1
    tmp, e = env
    p = slabscale(e, cmd, *args)
    assert p.returncode == 2, (cmd, args, p.returncode, p.stderr)
    no_traceback(p)


# ---- concurrent commands on one results tree ------------------------------------

def test_concurrent_sweeps_and_readers_share_a_tree_without_loss(env):
    """Two sweeps of one plan started together, and a report and a compare
    reading the tree while they run: two sweep directories, every run
    counted once in its own sweep, no reader fails for a half-written
    file."""
    HOSTILE['concurrent commands'] += 1
    tmp, e = env
    procs = [subprocess.Popen([SLABSCALE, "sweep"] + PLAN, env=e,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True) for _ in range(2)]
    readers = []
    t0 = time.monotonic()
    while any(p.poll() is None for p in procs) and \
            time.monotonic() - t0 < 240:
        if sweeps(tmp):
            readers.append(slabscale(e, "report", "latest"))
        time.sleep(0.2)
    for p in procs:
        _, err = p.communicate(timeout=240)
        assert p.returncode == 0, err
    dirs = sweeps(tmp)
    assert len(dirs) == 2 and len({manifest(d)["id"] for d in dirs}) == 2
    for d in dirs:
        m = manifest(d)
        assert m["state"] == "complete"
        assert [r["status"] for r in m["runs"]] == ["ok"] * 6
    for r in readers:
        # a report of a sweep still running is refused or written, never a
        # traceback or a torn read
        assert r.returncode in (0, 2), r.stderr
        no_traceback(r)
    with open(e["FAKE_LOG"]) as f:
        assert len(f.read().splitlines()) == 12


def test_two_bisects_in_one_second_get_their_own_directories(tmp_path):
    HOSTILE['concurrent commands'] += 1
    from slabscale_analysis import layout
    a = layout.claim_dir(str(tmp_path), "h", "bisect-20261207T120000Z-x")
    b = layout.claim_dir(str(tmp_path), "h", "bisect-20261207T120000Z-x")
    assert a[0] == "bisect-20261207T120000Z-x"
    assert b[0] == "bisect-20261207T120000Z-x-2"
    assert os.path.isdir(a[1]) and os.path.isdir(b[1])
