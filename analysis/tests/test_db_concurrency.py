"""The results database under concurrent use.  PostgreSQL (a throwaway
cluster the test starts: pgcluster.py): the schema from the migrations,
two sweeps recording into one database at once, two imports of one tree
at once.  SQLite: readers (the loader, history) while a sweep writes.
No run lost, none counted twice."""

import os
import subprocess
import threading
import time

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from conftest import REPO, fake_build
from pgcluster import Cluster
from slabscale_analysis import history, synthtree
from slabscale_analysis.db import engine as E, migrate, models as M, queries


@pytest.fixture(scope="module")
def pg():
    c = Cluster()
    try:
        yield c.start().url
    finally:
        E.forget()
        c.stop()


def slabscale(args, env, **kw):
    return subprocess.Popen([os.path.join(REPO, "slabscale")] + args,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env=env, **kw)


def sweep_args(repeats):
    return ["sweep", "--variants", "old,mid,new", "--cases",
            "page_fault3,page_fault3_slab", "-t", "1,2", "--repeats",
            str(repeats), "-s", "1", "--no-report"]


def manifest_ok(results):
    from slabscale_analysis import layout
    out = {}
    for p, m in layout.list_sweeps(results):
        out[m["id"]] = sum(r["status"] == "ok" for r in m["runs"])
    return out


def counts(u):
    with E.open_db(u).connect() as c:
        return {t.name: c.execute(sa.select(sa.func.count()).select_from(
            t)).scalar() for t in (M.runs, M.sweeps, M.machines, M.metrics)}


def test_postgres_schema_is_the_models(pg):
    eng = E.open_db(pg)
    with eng.connect() as c:
        assert E.current_revision(c) == migrate.script_head()
        assert compare_metadata(MigrationContext.configure(c),
                                M.metadata) == []


def test_two_sweeps_record_into_one_postgres_at_once(pg, tmp_path):
    procs, results = [], []
    for k in ("a", "b"):
        d = tmp_path / k
        d.mkdir()
        # two machines of a fleet, one database
        env = fake_build(d, ("old", "mid", "new"), SLABSCALE_DB=pg,
                         FAKE_HOSTNAME="node-" + k)
        results.append(str(d / "results"))
        procs.append(slabscale(sweep_args(2), env))
    outs = [p.communicate() for p in procs]
    for p, (o, e) in zip(procs, outs):
        assert p.returncode == 0, e
        assert "db:" not in e           # nothing failed to record
    ok = {}
    for k, r in zip(("a", "b"), results):
        ok.update({("node-" + k, sid): n
                   for sid, n in manifest_ok(r).items()})
    assert len(ok) == 2 and sum(ok.values()) == 2 * 24
    eng = E.open_db(pg)
    for (host, sid), n in ok.items():
        runs = queries.load_runs(eng, host=host, sweep=sid)
        assert len(runs) == n
        assert len({r.doc["run_id"] for r in runs}) == n
    c = counts(pg)
    assert c["runs"] == 48 and c["sweeps"] == 2 and c["machines"] == 2
    assert queries.hosts(eng) == ["node-a", "node-b"]
    # importing both trees afterwards, twice at once: nothing new
    env = fake_build(tmp_path / "c", ())
    ps = [slabscale(["db", "import", r, "--db", pg], env) for r in results]
    for p in ps:
        o, e = p.communicate()
        assert p.returncode == 0, o + e
        assert "0 run(s) new, 24 already recorded" in o
    assert counts(pg) == c


def test_two_imports_of_one_tree_at_once_give_each_run_once(pg, tmp_path):
    res = str(tmp_path / "results")
    synthtree.nights(res, "pghost", 6, {
        "cases": "page_fault3,page_fault2", "variants": "old,new",
        "nr_task": "1,2", "repeats": 5, "seconds": 1}, lambda k, s, i: 1e6)
    before = counts(pg)["runs"]
    env = fake_build(tmp_path, ())
    ps = [slabscale(["db", "import", res, "--db", pg], env)
          for _ in range(2)]
    news = []
    for p in ps:
        o, e = p.communicate()
        assert p.returncode == 0, o + e
        news.append(int(o.split("db import: ")[1].split()[0]))
    assert sum(news) == 240
    assert counts(pg)["runs"] - before == 240


def test_sqlite_readers_while_a_sweep_writes(tmp_path):
    env = fake_build(tmp_path, ("old", "mid", "new"),
                     FAKE_HOSTNAME="testhost")
    res = str(tmp_path / "results")
    u = "sqlite:///" + os.path.join(res, "slabscale.db")
    p = slabscale(sweep_args(3), env)
    seen, errors, reads = [], [], [0]

    def reader():
        while p.poll() is None:
            try:
                if not os.path.exists(os.path.join(res, "slabscale.db")):
                    time.sleep(0.05)
                    continue
                eng = E.open_db(u, write=False)
                runs = queries.load_runs(eng)
                ids = [r.doc["run_id"] for r in runs]
                assert len(ids) == len(set(ids)), "a run counted twice"
                seen.append(len(ids))
                history.series(eng, "testhost", "page_fault3", "old")
                reads[0] += 1
            except Exception as e:          # noqa: BLE001 - reported below
                errors.append(repr(e))
                return
    t = threading.Thread(target=reader)
    t.start()
    # and the command-line reader, once in the middle
    time.sleep(1.0)
    h = subprocess.run([os.path.join(REPO, "slabscale"), "history", "--db",
                        u, "--results", res, "--case", "page_fault3",
                        "--variant", "old", "--host", "testhost",
                        "--no-plot"], capture_output=True, text=True,
                       env=env)
    o, e = p.communicate()
    t.join()
    assert p.returncode == 0, e
    assert errors == []
    assert reads[0] >= 3
    assert seen == sorted(seen)                 # never a run lost
    assert h.returncode in (0, 2), h.stderr     # 2: no ok run yet
    assert "Traceback" not in h.stderr and "locked" not in h.stderr
    (sid, n), = manifest_ok(res).items()
    assert n == 36
    assert len(queries.load_runs(E.open_db(u), sweep=sid)) == 36
