"""A results tree is untrusted input: names from a manifest never become
a program to run, and links planted under a sweep are refused, never
followed (docs/results-layout.md, "What a results tree may contain")."""

import glob
import json
import os
import stat
import subprocess

import pytest

from conftest import HOSTILE, REPO, fake_build
from slabscale_analysis import layout, runner, safeio
from slabscale_analysis.errors import DataError

SLABSCALE = os.path.join(REPO, "slabscale")


@pytest.fixture
def env(tmp_path):
    return tmp_path, fake_build(tmp_path, ("old", "new"))


def slabscale(e, *args):
    return subprocess.run([SLABSCALE] + list(args), capture_output=True,
                          text=True, env=e, timeout=300)


def interrupted_sweep(tmp, e, at="3"):
    """A sweep of old,new x page_fault3 x 2 repeats interrupted at run
    `at`; returns (sweep dir, manifest path)."""
    p = subprocess.run([SLABSCALE, "sweep", "-s", "1", "--warmup", "0",
                        "--no-report", "--variants", "old,new", "--cases",
                        "page_fault3", "-t", "1", "--repeats", "2"],
                       capture_output=True, text=True, timeout=300,
                       env=dict(e, FAKE_INTR_AT=at))
    assert p.returncode == 130, p.stderr
    (m,) = glob.glob(str(tmp / "results" / "*" / "*" / "*" / "sweep.json"))
    return os.path.dirname(m), m


def evil_runner(d, marker):
    """A program called slabscale-run in d that leaves `marker` if run."""
    os.makedirs(d, exist_ok=True)
    r = os.path.join(d, "slabscale-run")
    with open(r, "w") as f:
        f.write("#!/bin/sh\ntouch %s\nexit 0\n" % marker)
    os.chmod(r, 0o755)


def one_line(stderr):
    lines = [l for l in stderr.splitlines() if l.strip()]
    assert len(lines) == 1, stderr
    assert "Traceback" not in stderr
    return lines[0]


# ---- names read from a manifest are names, not paths --------------------------

@pytest.mark.parametrize("kind", ["absolute", "relative", "option", "dot"])
def test_resume_never_runs_a_program_a_manifest_names(env, kind):
    HOSTILE['manifest paths'] += 1
    tmp, e = env
    sdir, mpath = interrupted_sweep(tmp, e)
    build = e["SLABSCALE_BUILD"]
    marker = str(tmp / "pwned")
    if kind == "absolute":
        bad = str(tmp / "elsewhere")
        evil_runner(bad, marker)
    elif kind == "relative":
        bad = "../../x-%s" % os.path.basename(tmp)
        evil_runner(os.path.normpath(os.path.join(build, bad)), marker)
    elif kind == "option":
        bad = "-rf"
        evil_runner(os.path.join(build, bad), marker)
    else:
        bad = ".hidden"
        evil_runner(os.path.join(build, bad), marker)
    m = json.load(open(mpath))
    m["plan"]["variants"] = [bad, "new"]
    m["plan"]["baseline"] = bad
    for r in m["runs"]:
        if r["variant"] == "old":
            r["variant"] = bad
    with open(mpath, "w") as f:
        json.dump(m, f)
    p = slabscale(e, "sweep", "--resume", "latest")
    assert p.returncode == 2, p.stderr
    line = one_line(p.stderr)
    assert "variants" in line and "not a valid name" in line, line
    assert not os.path.exists(marker)


def test_a_runner_resolving_outside_the_build_is_refused(tmp_path):
    HOSTILE['manifest paths'] += 1
    build = tmp_path / "build"
    build.mkdir()
    evil_runner(str(tmp_path / "outside"), str(tmp_path / "pwned"))
    os.symlink(str(tmp_path / "outside"), str(build / "linked"))
    with pytest.raises(DataError, match="outside the build directory"):
        runner.runner_path(str(build), "linked")
    with pytest.raises(DataError, match="not a valid name"):
        runner.runner_path(str(build), str(tmp_path / "outside"))
    with pytest.raises(DataError, match="not a valid name"):
        runner.runner_path(str(build), "../outside")


@pytest.mark.parametrize("field,value", [
    ("variants", "/tmp/x"), ("variants", "../../x"), ("cases", "a/b"),
    ("cases", "--help"), ("variants", "..")])
def test_a_manifest_with_a_path_for_a_name_is_refused(env, field, value):
    HOSTILE['manifest paths'] += 1
    tmp, e = env
    sdir, mpath = interrupted_sweep(tmp, e)
    m = json.load(open(mpath))
    old = m["plan"][field][0]
    m["plan"][field][0] = value
    if field == "variants":
        m["plan"]["baseline"] = value
    key = field[:-1]
    for r in m["runs"]:
        if r[key] == old:
            r[key] = value
    with open(mpath, "w") as f:
        json.dump(m, f)
    for args in (["sweep", "--resume", "latest"], ["report", "latest"]):
        p = slabscale(e, *args)
        assert p.returncode == 2, (args, p.stderr)
        assert "not a valid name" in one_line(p.stderr)


def test_host_in_a_manifest_is_a_name(env):
    HOSTILE['manifest paths'] += 1
    tmp, e = env
    sdir, mpath = interrupted_sweep(tmp, e)
    m = json.load(open(mpath))
    m["host"] = ".."
    with open(mpath, "w") as f:
        json.dump(m, f)
    p = slabscale(e, "sweep", "--resume", "latest")
    assert p.returncode == 2
    assert "host" in one_line(p.stderr)


# ---- links planted under runs/ are refused, not followed ----------------------

def pending(mpath):
    m = json.load(open(mpath))
    return [r for r in m["runs"] if r["status"] not in ("ok", "failed",
                                                         "skipped")][0]


def test_resume_does_not_write_through_a_planted_log_link(env):
    HOSTILE['tree links'] += 1
    tmp, e = env
    sdir, mpath = interrupted_sweep(tmp, e)
    victim = tmp / "victim.txt"
    victim.write_text("precious\n")
    log = os.path.join(sdir, pending(mpath)["log"])
    if os.path.lexists(log):
        os.unlink(log)
    os.symlink(str(victim), log)
    p = slabscale(e, "sweep", "--resume", "latest")
    assert p.returncode == 2, p.stderr
    assert "symbolic link" in one_line(p.stderr)
    assert victim.read_text() == "precious\n"


def test_resume_does_not_move_files_through_a_directory_link(env):
    HOSTILE['tree links'] += 1
    tmp, e = env
    sdir, mpath = interrupted_sweep(tmp, e)
    r = pending(mpath)
    rundir = os.path.dirname(os.path.join(sdir, r["file"]))
    outside = tmp / "outside"
    outside.mkdir()
    target = outside / os.path.basename(r["file"])
    target.write_text("not a run\n")
    for f in os.listdir(rundir):
        os.unlink(os.path.join(rundir, f))
    os.rmdir(rundir)
    os.symlink(str(outside), rundir)
    p = slabscale(e, "sweep", "--resume", "latest")
    assert p.returncode == 2, p.stderr
    assert "symbolic link" in one_line(p.stderr)
    assert os.listdir(str(outside)) == [target.name]
    assert target.read_text() == "not a run\n"


def test_a_planted_lock_link_is_not_truncated(env):
    HOSTILE['tree links'] += 1
    tmp, e = env
    sdir, mpath = interrupted_sweep(tmp, e)
    victim = tmp / "victim.txt"
    victim.write_text("precious\n")
    lock = os.path.join(sdir, "sweep.lock")
    os.unlink(lock)
    os.symlink(str(victim), lock)
    p = slabscale(e, "sweep", "--resume", "latest")
    assert p.returncode == 2, p.stderr
    assert "symbolic link" in one_line(p.stderr)
    assert victim.read_text() == "precious\n"


def test_a_runner_record_that_is_a_fifo_does_not_hang_resume(env):
    HOSTILE['non-regular or oversized files'] += 1
    tmp, e = env
    sdir, mpath = interrupted_sweep(tmp, e)
    rec = os.path.join(sdir, "runner.json")
    if os.path.lexists(rec):
        os.unlink(rec)
    os.mkfifo(rec)
    p = slabscale(e, "sweep", "--resume", "latest")
    assert p.returncode == 0, p.stderr


def test_a_sweep_reached_through_a_link_is_refused(env):
    HOSTILE['tree links'] += 1
    tmp, e = env
    sdir, mpath = interrupted_sweep(tmp, e)
    day = os.path.dirname(sdir)
    elsewhere = tmp / "elsewhere"
    os.rename(day, str(elsewhere))
    os.symlink(str(elsewhere), day)
    p = slabscale(e, "sweep", "--resume", "latest")
    assert p.returncode == 2, p.stderr
    assert "symbolic link" in one_line(p.stderr)


# ---- readers: regular files only, and a cap ------------------------------------

def test_safeio_refuses_links_below_the_root(tmp_path):
    HOSTILE['tree links'] += 1
    root = tmp_path / "root"
    (root / "a").mkdir(parents=True)
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "f").write_text("x")
    os.symlink(str(tmp_path / "out"), str(root / "a" / "l"))
    os.symlink(str(tmp_path / "out" / "f"), str(root / "a" / "f"))
    with pytest.raises(DataError, match="symbolic link"):
        safeio.open_dir(str(root), "a/l")
    with pytest.raises(DataError, match="symbolic link"):
        safeio.open_file(str(root), "a/f", os.O_RDONLY)
    with pytest.raises(DataError, match="symbolic link"):
        safeio.open_file(str(root), "a/l/new", os.O_WRONLY | os.O_CREAT)
    assert not (tmp_path / "out" / "new").exists()
    with pytest.raises(DataError, match="'..'"):
        safeio.open_dir(str(root), "a/../..")
    with pytest.raises(DataError, match="absolute"):
        safeio.open_dir(str(root), "/etc")
    # the root itself may be a link (the user's own results directory)
    os.symlink(str(root), str(tmp_path / "rootlink"))
    fd = safeio.open_dir(str(tmp_path / "rootlink"), "a")
    os.close(fd)


def test_safeio_truncates_only_after_checking(tmp_path):
    HOSTILE['non-regular or oversized files'] += 1
    (tmp_path / "fifo").parent.mkdir(exist_ok=True)
    os.mkfifo(str(tmp_path / "fifo"))
    with pytest.raises(DataError, match="not a regular file"):
        safeio.open_file(str(tmp_path), "fifo", os.O_WRONLY | os.O_TRUNC)
    assert stat.S_ISFIFO(os.lstat(str(tmp_path / "fifo")).st_mode)


def test_layout_names_are_never_options():
    assert layout.safe_name("-rf") == "_-rf"
    assert layout.safe_name("..") == "_.."
    assert safeio.is_name(layout.safe_name("-rf"))
    for bad in ("", "..", ".x", "-x", "a/b", "x" * 129, "a b", "\n"):
        assert not safeio.is_name(bad), bad
    for good in ("cpuslab", "sheaves-all", "page_fault3_slab", "v1.2+x"):
        assert safeio.is_name(good)


def test_a_planted_report_link_is_refused(env):
    HOSTILE['tree links'] += 1
    tmp, e = env
    sdir, mpath = interrupted_sweep(tmp, e)
    p = slabscale(e, "sweep", "--resume", "latest", "--no-report")
    assert p.returncode == 0, p.stderr
    outside = tmp / "outside"
    outside.mkdir()
    os.symlink(str(outside), os.path.join(sdir, "report"))
    p = slabscale(e, "report", "latest")
    assert p.returncode == 2, p.stderr
    assert "symbolic link" in p.stderr.strip().splitlines()[-1]
    assert os.listdir(str(outside)) == []


def test_a_revision_is_never_handed_to_git_as_an_option():
    HOSTILE["outside-tool arguments"] += 3
    from slabscale_analysis import gitbisect
    from slabscale_analysis.errors import UserError
    for bad in ("--output=/tmp/pwned", "-h", "HEAD\n--all"):
        with pytest.raises(UserError, match="not a revision"):
            gitbisect._commit(bad, REPO)
    assert not os.path.exists("/tmp/pwned")
    sha = gitbisect._commit("HEAD", REPO)
    assert len(sha) in (40, 64)


@pytest.mark.parametrize("case", ["-h", "--list", "../x", ".x"])
def test_bisect_case_names_are_names(env, case):
    HOSTILE["outside-tool arguments"] += 1
    tmp, e = env
    vl = tmp / "variants.list"
    vl.write_text("old\nnew\n")
    p = slabscale(e, "bisect", "--good", "old", "--bad", "new", "--case=" +
                  case, "--variants-list", str(vl))
    assert p.returncode == 2, p.stderr
    assert "not a valid name" in one_line(p.stderr)
