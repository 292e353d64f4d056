"""sweep --slurm on a one-node Slurm cluster the test starts on localhost
(slurmcluster.py: munge, slurmctld, slurmd, a generated slurm.conf, no
cgroups).  The plan is shared over two jobs (--exclusive: on one node
they run one after the other), each runs the ordinary sweep of its share
on the fake runner and records into the results database; the submitter
waits, compares per host and exits as a sweep.  A cancelled job is
reported with its share, and --resume submits only that share again.
Also the nightly entry point's summary file."""

import json
import os
import subprocess
import time

import pytest

from conftest import REPO, fake_build
from slabscale_analysis.db import engine as E, queries
from slurmcluster import Cluster


@pytest.fixture(scope="module")
def slurm():
    c = Cluster()
    try:
        yield c.start()
    finally:
        c.stop()


def env_for(slurm, tmp_path, **extra):
    env = fake_build(tmp_path, ("old", "new"), FAKE_HOSTNAME="benchnode",
                     **extra)
    env["SLURM_CONF"] = slurm.conf
    return env


ARGS = ["--variants", "old,new", "--cases", "page_fault3,page_fault3_slab",
        "-t", "1", "--repeats", "5", "-s", "1", "--no-report"]


def slabscale(args, env, **kw):
    return subprocess.run([os.path.join(REPO, "slabscale")] + args,
                          capture_output=True, text=True, env=env, **kw)


def db_url(tmp_path):
    return "sqlite:///" + str(tmp_path / "results" / "slabscale.db")


def test_sweep_through_slurm_records_and_compares_per_host(slurm, tmp_path):
    env = env_for(slurm, tmp_path, FAKE_OPS=json.dumps({"new": 8e5}))
    p = slabscale(["sweep", "--slurm", "--slurm-nodes", "2", "--partition",
                   "bench", "--constraint", "bench"] + ARGS, env)
    err = p.stderr
    assert p.returncode == 1, err + slurm.logs()      # new is 20 % slower
    assert err.count("submitted as job") == 2
    assert "share 0 (page_fault3)" in err
    assert "share 1 (page_fault3_slab)" in err
    assert "COMPLETED" in err or "FAILED" in err      # progress shown
    assert "# host benchnode: against the baseline variant" in err
    assert "== page_fault3_slab t=1" in err
    assert "regression" in err and "per_thread_ops" in err
    assert "2 share(s) on 1 host(s) (benchnode)" in err
    # the runs are in the database, each once, in two sweeps of the dispatch
    eng = E.open_db(db_url(tmp_path))
    sws = [s for s in queries.sweeps(eng) if s["dispatch"]]
    assert len(sws) == 2
    assert {s["dispatch"].rsplit("/", 1)[1] for s in sws} == {"0", "1"}
    runs = queries.load_runs(eng, host="benchnode")
    assert len(runs) == 20
    assert len({r.doc["run_id"] for r in runs}) == 20
    # the jobs never overlapped (--exclusive on one node)
    ddir = os.path.join(str(tmp_path / "results"), "dispatch")
    (did,) = os.listdir(ddir)
    rec = json.load(open(os.path.join(ddir, did, "dispatch.json")))
    assert [s["state"] for s in rec["shares"]] == ["FAILED", "FAILED"]
    times = []
    for s in rec["shares"]:
        out = subprocess.run(["scontrol", "-o", "show", "job", s["jobs"][0]],
                             capture_output=True, text=True, env=env).stdout
        f = dict(kv.split("=", 1) for kv in out.split() if "=" in kv)
        assert f["ExitCode"] == "1:0"           # each share regressed
        times.append((f["StartTime"], f["EndTime"]))
    times.sort()
    assert times[0][1] <= times[1][0]


def _wait_for(path, cond, what):
    for _ in range(600):
        try:
            if cond(json.load(open(path))):
                return
        except (OSError, ValueError):
            pass
        time.sleep(0.1)
    raise AssertionError("timed out waiting for " + what)


def test_cancelled_job_reported_and_resume_submits_only_it(slurm, tmp_path):
    env = env_for(slurm, tmp_path)
    p = subprocess.Popen([os.path.join(REPO, "slabscale"), "sweep",
                          "--slurm", "--slurm-nodes", "2"] + ARGS, env=env,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         text=True)
    ddir = tmp_path / "results" / "dispatch"
    for _ in range(600):
        if ddir.is_dir() and list(ddir.iterdir()):
            break
        time.sleep(0.1)
    rec_path = str(list(ddir.iterdir())[0] / "dispatch.json")
    _wait_for(rec_path, lambda r: all(s["jobs"] for s in r["shares"]),
              "the jobs")
    rec = json.load(open(rec_path))
    second = rec["shares"][1]["jobs"][0]
    subprocess.run(["scancel", second], env=env, check=True)
    out, err = p.communicate()
    assert p.returncode == 3, err
    assert "share 1 on host" in err and "job %s cancelled" % second in err
    assert "--resume %s" % rec["id"] in err
    # the share that ran is compared all the same
    assert "# host benchnode: against the baseline variant" in err
    assert "== page_fault3 t=1" in err
    # --resume: only the cancelled share again
    q = slabscale(["sweep", "--slurm", "--resume", rec["id"]] + [
        "--no-report"], env)
    assert q.returncode == 0, q.stderr
    assert "1 of 2 share(s) without a complete sweep" in q.stderr
    assert q.stderr.count("submitted as job") == 1
    assert "share 1 (page_fault3_slab) submitted" in q.stderr
    eng = E.open_db(db_url(tmp_path))
    runs = queries.load_runs(eng, host="benchnode")
    assert len(runs) == 20 and len({r.doc["run_id"] for r in runs}) == 20
    assert "== page_fault3_slab t=1" in q.stderr


def test_nightly_through_slurm_writes_summary(slurm, tmp_path):
    env = env_for(slurm, tmp_path, FAKE_OPS=json.dumps({"new": 8e5}))
    summary = tmp_path / "mail" / "summary.txt"
    p = slabscale(["nightly", "--summary", str(summary), "--slurm"] + ARGS,
                  env)
    assert p.returncode == 1, p.stderr
    text = summary.read_text()
    assert text.startswith("slabscale nightly on ")
    assert "REGRESSION (exit 1)" in text
    assert "slurm: dispatch" in text
    assert "changes since each host's last clean night:" in text


def test_bisect_through_slurm_decides_per_host(slurm, tmp_path):
    env = fake_build(tmp_path, ("old", "mid", "new"),
                     FAKE_OPS=json.dumps({"mid": 0.8e6, "new": 0.8e6}))
    env["SLURM_CONF"] = slurm.conf
    vl = tmp_path / "variants.list"
    vl.write_text("old\nmid\nnew\n")
    p = slabscale(["bisect", "--slurm", "--slurm-nodes", "2", "--good", "old",
                   "--bad", "new", "--case", "page_fault3", "-s", "1",
                   "--warmup", "0", "--variants-list", str(vl)], env)
    assert p.returncode == 0, p.stderr + slurm.logs()
    assert p.stderr.count("submitted as job") == 2
    assert p.stderr.count("first bad variant: mid (last good: old)") == 2
    assert "every host (2) names mid as the first bad variant" in p.stderr


def test_real_runner_sweep_through_slurm(slurm, tmp_path):
    """The real build/none/slabscale-run (make check builds it first; made
    here when missing) on the tiny `empty` case, -s 1."""
    subprocess.run(["make", "-s", "-C", REPO, "build/none/slabscale-run"],
                   check=True, capture_output=True)
    env = dict(os.environ, SLURM_CONF=slurm.conf,
               SLABSCALE_RESULTS=str(tmp_path / "results"))
    env.pop("SLABSCALE_BUILD", None)
    env.pop("SLABSCALE_DB", None)
    p = slabscale(["sweep", "--slurm", "--variants", "none", "--cases",
                   "empty,spin_work", "--slurm-nodes", "2", "-t", "1", "-s", "1",
                   "--warmup", "0", "--repeats", "2", "--no-report",
                   "--include-disturbed"], env)
    assert p.returncode in (0, 4), p.stderr + slurm.logs()
    assert p.stderr.count("submitted as job") == 2
    assert "2 share(s) on 1 host(s)" in p.stderr
    eng = E.open_db(db_url(tmp_path))
    runs = queries.load_runs(eng)
    assert sorted((r.case, r.status) for r in runs) == [
        ("empty", "ok"), ("empty", "ok"), ("spin_work", "ok"),
        ("spin_work", "ok")]
    assert {r.doc["build"]["variant"] for r in runs} == {"none"}
