"""slabscale sweep against a fake runner: interleaving, storage layout,
exit codes, failed runs recorded but never averaged, Ctrl-C and --resume."""
import glob
import json
import re
import os
import subprocess

import pytest

from conftest import REPO, fake_build
from slabscale_analysis import plan as planmod

SLABSCALE = os.path.join(REPO, "slabscale")


@pytest.fixture
def env(tmp_path):
    return tmp_path, fake_build(tmp_path, ("old", "mid", "new"))


def sweep(e, *args, **extra):
    env = dict(e, **extra)
    plan = [] if "--resume" in args else ["-s", "1", "--warmup", "0"]
    return subprocess.run([SLABSCALE, "sweep"] + plan + ["--no-report"]
                          + list(args),
                          capture_output=True, text=True, env=env, timeout=300)


def log_lines(tmp):
    return (tmp / "log").read_text().split("\n")[:-1]


def test_schedule_interleaves_variants():
    p = planmod.normalise({"cases": "a", "variants": "x,y", "nr_task": "1",
                           "repeats": 3})
    order = [s["variant"] for s in planmod.schedule(p)]
    assert order == ["x", "y", "x", "y", "x", "y"]


def test_sweep_interleaves_stores_and_finds_no_regression(env):
    tmp, e = env
    p = sweep(e, "--variants", "old,new", "--cases", "page_fault3",
              "-t", "1,2", "--repeats", "3")
    assert p.returncode == 0, p.stdout + p.stderr
    lines = log_lines(tmp)
    assert [l.split()[0] for l in lines] == ["old", "new"] * 6
    assert "[12/12]" in p.stderr and "ETA" in p.stderr
    files = glob.glob(str(tmp / "results" / "*" / "*" / "*" / "runs" / "new"
                          / "page_fault3" / "threads-t2-r*.json"))
    assert len(files) == 3
    assert "per_thread_ops" in p.stderr and "no change" in p.stderr
    # second sweep of the same plan compares against the first
    p = sweep(e, "--variants", "old,new", "--cases", "page_fault3",
              "-t", "1,2", "--repeats", "3")
    assert p.returncode == 0
    assert "against the previous sweep of this plan" in p.stderr
    # the stored sweeps are found by compare, plot and plot --history
    cli = lambda *a: subprocess.run([SLABSCALE] + list(a), env=e, text=True,
                                    capture_output=True, timeout=120)
    c = cli("compare", "old", "new", "--json")
    assert c.returncode == 0, c.stderr
    assert json.loads(c.stdout)["new_label"].endswith(":new")
    c = cli("compare", "latest:old", "latest:nosuch")
    assert c.returncode == 2 and "has no runs of variant 'nosuch'" in c.stderr
    c = cli("plot", "--case", "page_fault3", "-o", str(tmp / "pl" / "x"))
    assert c.returncode == 0, c.stderr
    assert os.path.getsize(tmp / "pl" / "x.png") > 1000
    c = cli("plot", "--history", "--case", "page_fault3", "--variant", "new",
            "-o", str(tmp / "pl" / "h"))
    assert c.returncode == 0, c.stderr
    assert "change points before sweeps: none" in c.stdout
    assert os.path.exists(tmp / "pl" / "h.svg")
    c = cli("report", "latest")
    assert c.returncode == 0, c.stderr
    page = c.stdout.strip()
    html = open(page).read()
    assert "page_fault3 history of per_thread_ops at t=1 over 2 sweeps" \
        in html
    assert glob.glob(os.path.join(os.path.dirname(page), "history-*.png"))


def test_sweep_regression_exit_1(env):
    tmp, e = env
    p = sweep(e, "--variants", "old,new", "--cases", "page_fault3", "-t", "1",
              "--repeats", "5", FAKE_OPS=json.dumps({"new": 0.85e6}))
    assert p.returncode == 1, p.stderr
    # one alert for the cause (both rates of the row), the verdict last
    assert re.search(r"^REGRESSION  page_fault3 per_thread_ops 1\.00M "
                     r"ops/s → 850k ops/s \(-15\.0%\) at t=1; 2 of 2 rows "
                     r"agree$", p.stderr, re.M), p.stderr
    assert p.stderr.rstrip().endswith(
        "sweep: exit 1: 2 gating regression rows")


def test_failed_runs_recorded_not_averaged_exit_3(env):
    tmp, e = env
    p = sweep(e, "--variants", "old,new", "--cases", "page_fault3,crashy",
              "-t", "1", "--repeats", "3", FAKE_FAIL_CASE="crashy")
    assert p.returncode == 3, p.stderr
    (mpath,) = glob.glob(str(tmp / "results" / "*" / "*" / "*" / "sweep.json"))
    m = json.load(open(mpath))
    st = [r["status"] for r in m["runs"] if r["case"] == "crashy"]
    assert st == ["failed"] * 6
    assert "not averaged in: old (baseline): 3 failed; new: 3 failed" \
        in p.stderr
    assert "no ok runs to compare (base: 3 failed; new: 3 failed)" in p.stderr


def test_unsupported_case_reported_not_fatal(env):
    """A case some variants' runners list and others do not (it needs a
    feature they lack) is dropped with a note; one no runner lists is a
    usage error (test_reliability.py)."""
    tmp, e = env
    p = sweep(e, "--variants", "old,new", "--cases", "page_fault3,crashy",
              "-t", "1", "--repeats", "3", FAKE_UNLISTED="old:crashy")
    assert p.returncode == 0, p.stderr
    assert "case crashy is not supported by old: dropped" in p.stderr


def test_missing_variant_is_usage_error(env):
    tmp, e = env
    p = sweep(e, "--variants", "nope1,nope2", "--cases", "page_fault3")
    assert p.returncode == 2
    assert "no runner for variants nope1, nope2" in p.stderr
    assert "Traceback" not in p.stderr


def test_interrupt_keeps_runs_and_resume_finishes(env):
    tmp, e = env
    p = sweep(e, "--variants", "old,new", "--cases", "page_fault3", "-t", "1",
              "--repeats", "3", FAKE_INTR_AT="3")
    assert p.returncode == 130, p.stderr
    assert "--resume" in p.stderr
    (mpath,) = glob.glob(str(tmp / "results" / "*" / "*" / "*" / "sweep.json"))
    m = json.load(open(mpath))
    assert m["state"] == "interrupted"
    assert [r["status"] for r in m["runs"]][:3] == ["ok", "ok", "interrupted"]
    assert len(log_lines(tmp)) == 3
    p = sweep(e, "--resume", "latest")
    assert p.returncode == 0, p.stderr
    # only the interrupted and the pending runs ran again
    assert len(log_lines(tmp)) == 3 + 4
    m = json.load(open(mpath))
    assert m["state"] == "complete"
    assert all(r["status"] == "ok" for r in m["runs"])
    kept = glob.glob(os.path.join(os.path.dirname(mpath), "runs", "*", "*",
                                  "*.interrupted-*.json"))
    assert len(kept) == 1


def bisect_cli(tmp, e, variants_list, *args):
    """./slabscale bisect old..new on page_fault3 over a variants list."""
    vl = tmp / "variants.list"
    vl.write_text(variants_list)
    return subprocess.run([SLABSCALE, "bisect", "--good", "old", "--bad",
                           "new", "--case", "page_fault3", "-s", "1",
                           "--warmup", "0", "--variants-list", str(vl)]
                          + list(args),
                          capture_output=True, text=True, timeout=300, env=e)


def test_bisect_cli_with_fake_runner(env):
    tmp, e = env
    p = bisect_cli(tmp, dict(e, FAKE_OPS=json.dumps({"mid": 0.8e6,
                                                     "new": 0.8e6})),
                   "# oldest first\nold\nmid  # the culprit\nnew\n")
    assert p.returncode == 0, p.stdout + p.stderr
    assert "first bad variant: mid (last good: old)" in p.stdout
    assert glob.glob(str(tmp / "results" / "*" / "*" / "bisect-*"
                         / "bisect.json"))


def test_bisect_cli_not_bisectable_exit_3(env):
    tmp, e = env
    p = bisect_cli(tmp, e, "old\nmid\nnew\n", "--max-repeats", "5")
    assert p.returncode == 3, p.stdout + p.stderr
    assert "not bisectable" in p.stdout


def test_plan_file_forms_and_errors(tmp_path):
    text = ("# nightly\ncases = page_fault3_slab, cache_destroy\n"
            "variants = cpuslab, sheaves-all   # baseline first\n"
            "nr_task = 1, 2\nrepeats = 5\n"
            "params = cache_destroy:bg_caches=100\nparams = size=64\n")
    p = planmod.normalise(planmod.parse_plan_text(text))
    assert p["cases"] == ["page_fault3_slab", "cache_destroy"]
    assert p["baseline"] == "cpuslab" and p["repeats"] == 5
    assert p["params"] == {"cache_destroy:bg_caches": "100", "size": "64"}
    j = planmod.normalise(planmod.parse_plan_text(
        '{"cases": ["a"], "variants": ["x", "y"], "baseline": "y"}'))
    assert j["baseline"] == "y" and j["nr_task"][0] == 1
    with pytest.raises(planmod.UserError, match="unknown key"):
        planmod.normalise({"cases": "a", "variants": "x", "repets": 3})
    with pytest.raises(planmod.UserError, match=":2: expected"):
        planmod.parse_plan_text("cases = a\nnonsense\n", "p")
    with pytest.raises(planmod.UserError, match="baseline 'z'"):
        planmod.normalise({"cases": "a", "variants": "x,y", "baseline": "z"})


def test_sweep_from_plan_file(env):
    tmp, e = env
    plan = tmp / "plan.txt"
    plan.write_text("cases = page_fault3\nvariants = new, old\nnr_task = 2\n"
                    "repeats = 3\n")
    p = sweep(e, "--plan", str(plan))
    assert p.returncode == 0, p.stderr
    assert [l.split()[0] for l in log_lines(tmp)] == ["new", "old"] * 3
    assert "base: new (baseline)" in p.stderr
