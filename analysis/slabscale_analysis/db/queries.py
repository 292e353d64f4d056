"""Reading the database: runs as the JSON loaders return them
(results.Run), and the nightly series `slabscale history` works on."""

import json

import sqlalchemy as sa

from ..results import Run
from . import models as M
from .store import decode_doc, params_key


def load_runs(engine, host=None, sweep=None, variant=None, case=None,
              dispatch=None, status=None):
    """[results.Run] of the recorded runs that match, oldest first: the
    same objects results.load_set() gives for the same files (the
    document as written; path: the file it was recorded from, or
    'db:<identity>')."""
    q = sa.select(M.runs.c.doc, M.runs.c.path, M.runs.c.uid,
                  M.runs.c.repeat, M.sweeps.c.uid.label("sweep")).select_from(
        M.runs.join(M.orders).join(M.machines, M.runs.c.machine_id ==
                                   M.machines.c.id).outerjoin(
            M.sweeps, M.runs.c.sweep_id == M.sweeps.c.id))
    if host is not None:
        q = q.where(M.machines.c.name == host)
    if sweep is not None:
        q = q.where(M.sweeps.c.uid == sweep)     # on host, when given
    if dispatch is not None:
        q = q.where(M.sweeps.c.dispatch == dispatch)
    if variant is not None:
        q = q.where(M.orders.c.variant == variant)
    if case is not None:
        q = q.where(M.runs.c.case == case)
    if status is not None:
        q = q.where(M.runs.c.status == status)
    q = q.order_by(M.runs.c.start_time, M.runs.c.id)
    out = []
    with engine.connect() as conn:
        for doc, path, uid, repeat, sweep_uid in conn.execute(q):
            r = Run(decode_doc(doc), path or "db:" + uid)
            if repeat is not None and sweep_uid is not None:
                # the interleaved round, as layout.load_sweep_runs sets it
                r.round = (sweep_uid, repeat)
            out.append(r)
    return out


def sweeps(engine, host=None, dispatch=None, kind="sweep"):
    """[dict] of the recorded sweeps (uid, machine name, state, verdict,
    started, dispatch), oldest first."""
    q = sa.select(M.sweeps.c.uid, M.machines.c.name.label("host"),
                  M.sweeps.c.state, M.sweeps.c.verdict, M.sweeps.c.started,
                  M.sweeps.c.dispatch, M.sweeps.c.path).select_from(
        M.sweeps.join(M.machines))
    if kind is not None:
        q = q.where(M.sweeps.c.kind == kind)
    if host is not None:
        q = q.where(M.machines.c.name == host)
    if dispatch is not None:
        q = q.where(M.sweeps.c.dispatch == dispatch)
    with engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(
            q.order_by(M.sweeps.c.started, M.sweeps.c.uid))]


def hosts(engine):
    with engine.connect() as conn:
        return sorted({r[0] for r in conn.execute(
            sa.select(M.machines.c.name))})


def series_values(engine, host, case, variant, mode, metric, since=None,
                  include_disturbed=False, plan_hash=None):
    """Rows (machine id, nr_task, params, sweep uid, started, verdict,
    git commit, dirty, value, disturbed) of one case and variant's ok
    runs in sweeps of host, by sweep start.  One query over indexed
    columns: the runs' documents are not read."""
    q = sa.select(
        M.runs.c.machine_id, M.runs.c.nr_task, M.runs.c.params,
        M.sweeps.c.uid, M.sweeps.c.started, M.sweeps.c.verdict,
        M.orders.c.git_commit, M.orders.c.git_dirty, M.samples.c.value,
        M.runs.c.disturbed).select_from(
        M.runs.join(M.sweeps, M.runs.c.sweep_id == M.sweeps.c.id)
        .join(M.orders, M.runs.c.order_id == M.orders.c.id)
        .join(M.machines, M.runs.c.machine_id == M.machines.c.id)
        .join(M.samples, M.samples.c.run_id == M.runs.c.id)
        .join(M.metrics, M.samples.c.metric_id == M.metrics.c.id)).where(
        M.machines.c.name == host, M.runs.c.case == case,
        M.orders.c.variant == variant, M.runs.c.mode == mode,
        M.runs.c.status == "ok", M.metrics.c.name == metric,
        M.sweeps.c.kind == "sweep")
    if since:
        q = q.where(M.sweeps.c.started >= since)
    if not include_disturbed:
        q = q.where(M.runs.c.disturbed == sa.false())
    if plan_hash:
        q = q.where(M.sweeps.c.plan_id == sa.select(M.plans.c.id).where(
            M.plans.c.hash == plan_hash).scalar_subquery())
    q = q.order_by(M.sweeps.c.started, M.sweeps.c.uid)
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(q)]


def series_keys(engine, host, since=None):
    """(case, variant, mode, nr_task, params) of every series with ok runs
    in sweeps of host."""
    q = sa.select(M.runs.c.case, M.orders.c.variant, M.runs.c.mode,
                  M.runs.c.nr_task, M.runs.c.params).distinct().select_from(
        M.runs.join(M.sweeps, M.runs.c.sweep_id == M.sweeps.c.id)
        .join(M.orders, M.runs.c.order_id == M.orders.c.id)
        .join(M.machines, M.runs.c.machine_id == M.machines.c.id)).where(
        M.machines.c.name == host, M.runs.c.status == "ok",
        M.sweeps.c.kind == "sweep")
    if since:
        q = q.where(M.sweeps.c.started >= since)
    with engine.connect() as conn:
        return sorted(tuple(r) for r in conn.execute(q))


def count_runs(engine):
    with engine.connect() as conn:
        return conn.execute(sa.select(sa.func.count()).select_from(
            M.runs)).scalar()


def params_of(text):
    return json.loads(text) if text else {}


__all__ = ["load_runs", "sweeps", "hosts", "series_values", "series_keys",
           "count_runs", "params_key", "params_of"]


def resolve_set(spec, url):
    """compare's `db:[HOST/]SWEEP[:VARIANT]`: (label, runs) from the
    database (a sweep id is unique on one host only)."""
    from ..errors import DataError
    from .engine import open_db, wrap_errors
    sid, _, variant = spec.partition(":")
    host, _, sid = sid.rpartition("/")
    eng = open_db(url, write=False)
    with wrap_errors(url):
        runs = load_runs(eng, host=host or None, sweep=sid,
                         variant=variant or None)
    if not runs:
        raise DataError("the results database has no runs of sweep %r%s"
                        % (sid, " variant %r" % variant if variant else ""))
    return "db:" + spec, runs


def host_history(engine, host, plan_hash=None):
    """(sweep id, runs) of every recorded sweep of a host (of one plan
    when plan_hash is given), oldest first: load.host_history's answer
    from the database."""
    q = sa.select(M.sweeps.c.uid).select_from(
        M.sweeps.join(M.machines)).where(M.machines.c.name == host,
                                         M.sweeps.c.kind == "sweep")
    if plan_hash:
        q = q.where(M.sweeps.c.plan_id == sa.select(M.plans.c.id).where(
            M.plans.c.hash == plan_hash).scalar_subquery())
    with engine.connect() as conn:
        uids = [r[0] for r in conn.execute(
            q.order_by(M.sweeps.c.started, M.sweeps.c.uid))]
    runs = load_runs(engine, host=host)
    by = {}
    for r in runs:
        if r.round:
            by.setdefault(r.round[0], []).append(r)
    return [(u, by.get(u, [])) for u in uids]
