"""The results database on SQLite: schema and migrations, import (one run
per identity however often imported), the sweep recording each run and
keeping JSON when the database is unreachable, the database loader, and
`slabscale history` (change points, commit ranges, open changes,
--changed)."""

import json
import os
import shutil
import subprocess

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from conftest import REPO, fake_build
from slabscale_analysis import cli, compare, db, layout, synthtree
from slabscale_analysis.db import engine as E, migrate, models as M, queries
from slabscale_analysis.db.importer import import_tree

PLAN = {"cases": "page_fault3", "variants": "old,new", "nr_task": "1,2",
        "repeats": 3, "seconds": 1}


def url(tmp_path, name="r.db"):
    return "sqlite:///" + str(tmp_path / name)


def count(u, table):
    with E.open_db(u).connect() as c:
        return c.execute(sa.select(sa.func.count()).select_from(
            table)).scalar()


def sh(args, env=None, **kw):
    return subprocess.run([os.path.join(REPO, "slabscale")] + args,
                          capture_output=True, text=True, env=env, **kw)


def test_migrations_build_exactly_the_models(tmp_path):
    eng = E.open_db(url(tmp_path))
    with eng.connect() as c:
        assert E.current_revision(c) == migrate.script_head() == db.HEAD
        assert compare_metadata(MigrationContext.configure(c),
                                M.metadata) == []
        mode = c.exec_driver_sql("PRAGMA journal_mode").scalar()
    assert mode == "wal"
    cols = {c.name for c in M.metrics.columns}
    assert {"unit", "direction", "role", "family"} <= cols


def test_import_is_idempotent_and_keeps_everything(tmp_path):
    res = tmp_path / "results"
    ids = synthtree.nights(str(res), "hostA", 3, PLAN,
                           lambda k, s, i: 1e6,
                           disturbed=lambda k, s, i: i == 0)
    # a copy of one run document elsewhere (same run_id): one run
    sdir = layout.find_sweep(str(res), ids[0])
    first = os.path.join(sdir, "runs", "old", "page_fault3",
                         "threads-t1-r0.json")
    os.makedirs(str(res / "loose"))
    shutil.copy(first, str(res / "loose" / "copy.json"))
    u = url(tmp_path)
    eng = E.open_db(u)
    out = import_tree(eng, str(res), print)
    assert (out["new"], out["known"], out["sweeps"]) == (36, 1, 3)
    again = import_tree(eng, str(res), print)
    assert (again["new"], again["known"]) == (0, 37)
    assert count(u, M.runs) == 36
    assert count(u, M.sweeps) == 3
    assert count(u, M.machines) == 1
    # one disturbed run a night, stored as a mark
    with eng.connect() as c:
        reasons = [r[0] for r in c.execute(sa.select(M.marks.c.reason))]
        units = dict(c.execute(sa.select(M.metrics.c.name,
                                         M.metrics.c.unit)).all())
        dirs = dict(c.execute(sa.select(M.metrics.c.name,
                                        M.metrics.c.direction)).all())
        roles = dict(c.execute(sa.select(M.metrics.c.name,
                                         M.metrics.c.role)).all())
        fams = dict(c.execute(sa.select(M.metrics.c.name,
                                        M.metrics.c.family)).all())
        verdicts = {r[0] for r in c.execute(sa.select(M.sweeps.c.verdict))}
    assert reasons == ["disturbed"] * 3
    assert units["per_thread_ops"] == "ops/s"
    assert dirs["per_thread_ops"] == "higher"
    assert dirs["pmu.task-clock.per_op"] == "lower"
    # the metric registry's role and family
    assert roles["per_thread_ops"] == "primary"
    assert roles["pmu.task-clock.per_op"] == "diagnostic"
    assert fams["per_thread_ops"] == fams["ops_per_cpu_sec"] == "rate"
    assert units["ops_per_cpu_sec"] == "ops/CPU-s"
    assert verdicts == {"clean"}
    # the CLI says the same
    p = sh(["db", "import", str(res), "--db", u])
    assert p.returncode == 0, p.stderr
    assert "0 run(s) new, 37 already recorded" in p.stdout


def test_import_reports_a_bad_file_and_imports_the_rest(tmp_path):
    res = tmp_path / "results"
    synthtree.nights(str(res), "hostA", 1, PLAN, lambda k, s, i: 1e6)
    (res / "junk.json").write_text("{not json")
    p = sh(["db", "import", str(res), "--db", url(tmp_path)])
    assert p.returncode == 2
    assert "junk.json: malformed JSON" in p.stdout
    assert "12 run(s) new" in p.stdout
    assert "Traceback" not in p.stdout + p.stderr


def test_loader_gives_the_runs_the_json_loader_gives(tmp_path):
    res = tmp_path / "results"
    ids = synthtree.nights(str(res), "hostA", 1, PLAN,
                           lambda k, s, i: 1e6 * (1.3 if s["variant"] == "new"
                                                  else 1) * (1 + i % 3 / 100))
    u = url(tmp_path)
    import_tree(E.open_db(u), str(res), print)
    sdir = layout.find_sweep(str(res), ids[0])
    from_json = layout.load_sweep_runs(sdir)
    from_db = queries.load_runs(E.open_db(u), sweep=ids[0])
    assert sorted(json.dumps(r.doc, sort_keys=True) for r in from_json) == \
        sorted(json.dumps(r.doc, sort_keys=True) for r in from_db)

    def cmp(runs):
        return compare.compare_sets(
            [r for r in runs if r.variant == "old"],
            [r for r in runs if r.variant == "new"])
    a, b = cmp(from_json), cmp(from_db)
    assert a["groups"] == b["groups"]
    # compare reads db:SWEEP:VARIANT
    p = sh(["compare", "db:%s:old" % ids[0], "db:%s:new" % ids[0],
            "--db", u, "--results", str(res)])
    assert p.returncode == 0, p.stderr
    assert "+30.0%" in p.stdout and "per_thread_ops" in p.stdout


def sweep(env, *args):
    return subprocess.run([os.path.join(REPO, "slabscale"), "sweep",
                           "--variants", "old,new", "--cases", "page_fault3",
                           "-t", "1", "--repeats", "3", "-s", "1",
                           "--no-report"] + list(args),
                          capture_output=True, text=True, env=env)


def test_sweep_records_each_run_into_the_database(tmp_path):
    env = fake_build(tmp_path, ("old", "new"))
    p = sweep(env)
    assert p.returncode == 0, p.stderr
    u = url(tmp_path / "results", "slabscale.db")
    assert os.path.isfile(str(tmp_path / "results" / "slabscale.db"))
    eng = E.open_db(u)
    (s,) = queries.sweeps(eng)
    assert s["state"] == "complete" and s["verdict"] == "clean"
    runs = queries.load_runs(eng, sweep=s["uid"])
    assert len(runs) == 6
    assert {r.variant for r in runs} == {"old", "new"}
    # importing the tree afterwards adds nothing
    out = import_tree(eng, str(tmp_path / "results"), print)
    assert (out["new"], out["known"]) == (0, 6)


def test_sweep_with_unreachable_database_keeps_json_and_says_so(tmp_path):
    env = fake_build(tmp_path, ("old", "new"))
    blocker = tmp_path / "blocker"
    blocker.write_text("a file where the database's directory would be")
    bad = "sqlite:///" + str(blocker / "sub" / "r.db")
    p = sweep(env, "--db", bad)
    assert p.returncode == 0, p.stderr
    assert "db: cannot record into" in p.stderr
    assert "runs stay JSON" in p.stderr
    assert "slabscale db import" in p.stderr
    assert "Traceback" not in p.stderr
    res = tmp_path / "results"
    assert len(list(res.rglob("threads-t1-r*.json"))) == 6
    # imported later: every run, once
    u = url(tmp_path)
    q = sh(["db", "import", str(res), "--db", u], env=env)
    assert q.returncode == 0, q.stdout + q.stderr
    assert "6 run(s) new" in q.stdout
    assert count(u, M.runs) == 6


def test_missing_module_is_one_line(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(db, "MODULES", (("no_such_module_xyz",
                                         "python3-no-such"),))
    rc = cli.main(["db", "import", str(tmp_path), "--db", url(tmp_path)])
    err = capsys.readouterr().err
    assert rc == 2
    assert "python3-no-such" in err and "make deps" in err
    assert len(err.strip().splitlines()) == 1


def test_database_url_choice(tmp_path, monkeypatch):
    monkeypatch.delenv(db.ENV, raising=False)
    assert db.url_for(None, "/r") == "sqlite:////r/slabscale.db"
    assert db.url_for("none", "/r") is None
    assert db.url_for("x.db", "/r").endswith("/x.db")
    monkeypatch.setenv(db.ENV, "postgresql://u:secret@h/db")
    assert db.url_for(None, "/r") == "postgresql://u:secret@h/db"
    assert "secret" not in db.describe(db.url_for(None, "/r"))


def history(tmp_path, *args):
    return sh(["history", "--db", url(tmp_path), "--results",
               str(tmp_path / "results"), "--no-plot"] + list(args))


def test_history_change_point_with_commit_range(tmp_path):
    res = tmp_path / "results"
    commits = ["%02d" % k + "f" * 38 for k in range(16)]
    synthtree.nights(str(res), "hostA", 16, PLAN,
                     lambda k, s, i: 1e6 * (0.85 if k >= 9 else 1)
                     * (1 + (k * 7 + i) % 5 / 200), commits=commits)
    import_tree(E.open_db(url(tmp_path)), str(res), print)
    p = history(tmp_path, "--case", "page_fault3", "--variant", "new",
                "--host", "hostA")
    assert p.returncode == 0, p.stderr
    assert "1 change point(s)" in p.stdout
    assert "change at night 9" in p.stdout
    assert "-14.6%" in p.stdout      # the medians' change, noise and all
    assert "%s..%s" % (commits[8][:12], commits[9][:12]) in p.stdout
    # --since keeps the later nights only
    p = history(tmp_path, "--case", "page_fault3", "--variant", "new",
                "--host", "hostA", "--since", "2026-01-10")
    assert "7 night(s), 0 change point(s)" in p.stdout
    # the plot
    q = sh(["history", "--db", url(tmp_path), "--results", str(res),
            "--case", "page_fault3", "--variant", "new", "--host", "hostA",
            "-o", str(tmp_path / "h")])
    assert q.returncode == 0, q.stderr
    assert os.path.getsize(str(tmp_path / "h.png")) > 0
    assert os.path.getsize(str(tmp_path / "h.svg")) > 0


def test_history_open_change_says_nights_to_settle(tmp_path):
    res = tmp_path / "results"
    synthtree.nights(str(res), "hostA", 10, PLAN,
                     lambda k, s, i: 1e6 * (0.8 if k >= 9 else 1)
                     * (1 + (k + i) % 4 / 200))
    import_tree(E.open_db(url(tmp_path)), str(res), print)
    p = history(tmp_path, "--case", "page_fault3", "--variant", "old",
                "--host", "hostA")
    assert "0 change point(s), 1 open" in p.stdout
    assert "3 more night(s) at the new level would settle it" in p.stdout


def test_history_changed_since_last_clean_night(tmp_path):
    res = tmp_path / "results"
    # hostA: a -20 % step at night 8, nights after 7 not clean
    synthtree.nights(str(res), "hostA", 14, PLAN,
                     lambda k, s, i: 1e6 * (0.8 if k >= 8 and
                                            s["variant"] == "new" else 1)
                     * (1 + (k + i) % 3 / 200),
                     clean=lambda k: k < 8)
    # hostB: flat, every night clean
    synthtree.nights(str(res), "hostB", 14, PLAN,
                     lambda k, s, i: 2e6 * (1 + (k + i) % 3 / 200))
    import_tree(E.open_db(url(tmp_path)), str(res), print)
    p = history(tmp_path, "--changed")
    assert p.returncode == 0, p.stderr
    a, b = p.stdout.split("== hostB")
    assert "== hostA: last clean night 20260108T" in a
    assert "page_fault3 new threads t=1" in a
    assert "page_fault3 new threads t=2" in a
    assert "page_fault3 old" not in a
    assert "-20.0%" in a
    assert "nothing changed since" in b
    p = history(tmp_path, "--changed", "--host", "hostB")
    assert "hostA" not in p.stdout


def test_history_usage_errors(tmp_path):
    p = history(tmp_path, "--case", "x", "--variant", "y")
    assert p.returncode == 2 and "no results database" in p.stderr
    assert not os.path.exists(str(tmp_path / "r.db"))
    E.open_db(url(tmp_path))
    p = history(tmp_path, "--case", "x")
    assert p.returncode == 2 and "--variant" in p.stderr
    p = history(tmp_path, "--case", "x", "--variant", "y", "--since", "nope")
    assert p.returncode == 2 and "not a date" in p.stderr
    p = history(tmp_path, "--case", "x", "--variant", "y", "--host", "h")
    assert p.returncode == 2 and "no ok runs of x on h" in p.stderr
    p = history(tmp_path, "--case", "x", "--variant", "y", "--param", "w")
    assert p.returncode == 2 and "NAME=VALUE" in p.stderr
    for q in (p,):
        assert "Traceback" not in q.stderr


def test_plot_history_reads_the_database(tmp_path):
    res = tmp_path / "results"
    host = layout.this_host()
    ids = synthtree.nights(str(res), host, 10, PLAN,
                           lambda k, s, i: 1e6 * (0.8 if k >= 5 else 1))
    import_tree(E.open_db(url(tmp_path)), str(res), print)
    # the sweep directories are gone: the plot comes from the database
    shutil.rmtree(str(res / host))
    env = dict(os.environ, SLABSCALE_RESULTS=str(res))
    p = subprocess.run([os.path.join(REPO, "slabscale"), "plot",
                        "--history", "--case", "page_fault3", "--variant",
                        "old", "--db", url(tmp_path), "-o",
                        str(tmp_path / "h")], capture_output=True, text=True,
                       env=env)
    assert p.returncode == 0, p.stderr
    assert "change points before sweeps: %s" % ids[5] in p.stdout
    assert os.path.getsize(str(tmp_path / "h.png")) > 0


def test_unreachable_postgresql_is_one_line_exit_3(tmp_path):
    bad = "postgresql://nobody:secret@/nodb?host=%s" % (tmp_path / "nosock")
    p = sh(["history", "--case", "x", "--variant", "y", "--db", bad,
            "--results", str(tmp_path)])
    assert p.returncode == 3, p.stderr
    assert len(p.stderr.strip().splitlines()) == 1
    assert "postgresql://nobody@/nodb" in p.stderr
    assert "secret" not in p.stderr and "Traceback" not in p.stderr


def test_nightly_imports_what_was_missed_and_writes_the_summary(tmp_path):
    env = fake_build(tmp_path, ("old", "new"))
    # a night while the database was switched off: JSON only
    p = sweep(env, "--db", "none")
    assert p.returncode == 0, p.stderr
    summary = tmp_path / "summary.txt"
    q = subprocess.run([os.path.join(REPO, "slabscale"), "nightly",
                        "--summary", str(summary), "--variants", "old,new",
                        "--cases", "page_fault3", "-t", "1", "--repeats",
                        "3", "-s", "1", "--no-report"], capture_output=True,
                       text=True, env=env)
    assert q.returncode == 0, q.stderr
    text = summary.read_text()
    assert "clean (exit 0)" in text.splitlines()[0]
    assert "db: 6 run(s) recorded from JSON before the sweep" in text
    assert "runs: 6 ok" in text
    assert "changes since each host's last clean night:\n  none" in text
    u = url(tmp_path / "results", "slabscale.db")
    assert count(u, M.runs) == 12 and count(u, M.sweeps) == 2
