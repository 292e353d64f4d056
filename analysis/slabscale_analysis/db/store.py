"""Recording run documents: one run per identity, whatever the number of
times it is recorded or imported (the insert of a run whose identity is
there does nothing), machines, orders, metrics and plans created on first
sight.  Used by the sweep (each run as it ends), `slabscale db import`
and the tests."""

import datetime
import hashlib
import json
import os
import zlib

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from .. import layout
from ..metrics import DIAGNOSTIC, MetricInfo
from ..results import host_identity, run_identity
from . import models as M


def now_iso():
    return datetime.datetime.now(datetime.timezone.utc).strftime(
        "%Y-%m-%dT%H:%M:%SZ")


def canonical(obj):
    return json.dumps(obj, sort_keys=True, separators=(",", ":"),
                      default=str)


def params_key(params):
    """The params of a run as stored (and queried): sorted, strings."""
    return canonical({str(k): str(v) for k, v in (params or {}).items()})


def machine_key(host):
    return hashlib.sha256(canonical(host_identity(host)).encode()).hexdigest()


def unit_of(name, doc):
    """The unit of a metric the registry does not describe, as the run
    document gives it."""
    if name in ("per_thread_ops", "per_process_ops", "ops_per_cpu_sec"):
        return "ops/s"
    if name.endswith(".per_op"):
        return "1/op"
    if name.endswith(".per_cycle"):
        return "1/cycle"
    base = name.rsplit(".", 1)[0] if name.endswith(
        (".p50", ".p99", ".mean")) else name
    m = (doc.get("metrics") or {}).get(base)
    if isinstance(m, dict) and isinstance(m.get("unit"), str):
        return m["unit"][:32]
    return None


def encode_doc(doc):
    return zlib.compress(canonical(doc).encode(), 6)


def decode_doc(blob):
    return json.loads(zlib.decompress(blob).decode())


class Store:
    """Records runs on one connection (the caller owns the transaction)."""

    def __init__(self, conn, variants_list=None):
        self.conn = conn
        self.pg = conn.dialect.name == "postgresql"
        self.ids = {}           # (table, key) -> id
        if variants_list is None:
            variants_list = _variants_list()
        self.place = {v: i for i, v in enumerate(variants_list)}

    def _insert_ignore(self, table, values):
        mod = postgresql if self.pg else sqlite
        return self.conn.execute(
            mod.insert(table).values(**values).on_conflict_do_nothing())

    def _id(self, table, key, values=None):
        """The id of the row of table whose columns equal key, inserted
        with values when there is none (a concurrent writer's insert is
        found, not duplicated)."""
        ck = (table.name, canonical(key))
        got = self.ids.get(ck)
        if got is not None:
            return got
        where = sa.and_(*[table.c[k] == v for k, v in key.items()])
        got = self.conn.execute(sa.select(table.c.id).where(where)).scalar()
        if got is None:
            self._insert_ignore(table, dict(key, **(values or {})))
            got = self.conn.execute(
                sa.select(table.c.id).where(where)).scalar()
        self.ids[ck] = got
        return got

    def machine(self, host, name=None):
        h = host or {}
        return self._id(M.machines, {"identity": machine_key(h)}, {
            "name": name or layout.safe_name(h.get("hostname") or "unknown"),
            "hostname": h.get("hostname"), "cpu_model": h.get("cpu_model"),
            "nr_cpus": h.get("nr_cpus") if isinstance(
                h.get("nr_cpus"), int) else None,
            "arch": h.get("arch"), "info": canonical(h)})

    def order(self, build, variant):
        b = build or {}
        return self._id(M.orders, {
            "git_commit": str(b.get("git_commit") or "unknown")[:64],
            "git_dirty": b.get("git_dirty") is True,
            "variant": variant}, {"variant_place": self.place.get(variant)})

    def metric(self, info):
        """The id of a metric (metrics.MetricInfo: the registry's unit,
        direction, role and family, as the first run recorded with it
        describes it)."""
        return self._id(M.metrics, {"name": info.name}, {
            "unit": (info.unit or None) and str(info.unit)[:32],
            "direction": info.better,
            "role": info.role, "family": (info.family or None) and
            str(info.family)[:64]})

    def plan(self, plan_hash, plan):
        return self._id(M.plans, {"hash": plan_hash},
                        {"plan": canonical(plan)})

    def sweep(self, uid, kind, host, manifest=None, path=None,
              dispatch=None, verdict=None):
        """The sweep's id; its state, end and verdict brought up to date
        (a sweep is recorded as it runs)."""
        m = manifest or {}
        plan_id = self.plan(m["plan_hash"], m.get("plan")) \
            if m.get("plan_hash") else None
        disp = dispatch or m.get("dispatch")
        sid = self._id(M.sweeps, {"uid": uid,
                                  "machine_id": self.machine(host)}, {
            "kind": kind, "plan_id": plan_id, "state": m.get("state"),
            "started": m.get("started"), "finished": m.get("finished"),
            "path": path, "dispatch": disp, "verdict": verdict})
        upd = {k: v for k, v in (("state", m.get("state")),
                                 ("finished", m.get("finished")),
                                 ("verdict", verdict),
                                 ("dispatch", disp)) if v is not None}
        if upd:
            self.conn.execute(M.sweeps.update().where(
                M.sweeps.c.id == sid).values(**upd))
        return sid

    def run(self, run, sweep_id=None):
        """Record one Run (results.Run); True when it was new, False when
        it was there (then only its sweep is filled in if it had none)."""
        doc = run.doc
        uid = run_identity(run)
        existing = self.conn.execute(sa.select(
            M.runs.c.id, M.runs.c.sweep_id).where(M.runs.c.uid == uid)).first()
        if existing is None:
            res = self._insert_ignore(M.runs, {
                "uid": uid, "sweep_id": sweep_id,
                "machine_id": self.machine(run.host),
                "order_id": self.order(run.build, run.variant),
                "case": run.case, "mode": run.mode, "nr_task": run.nr_task,
                "params": params_key(run.params), "status": run.status,
                "repeat": run.round[1] if getattr(run, "round", None)
                else None,
                "disturbed": bool(run.disturbed),
                "start_time": run.start_time or None,
                "path": run.path, "recorded": now_iso(),
                "doc": encode_doc(doc)})
            if res.rowcount == 1:
                rid = self.conn.execute(sa.select(M.runs.c.id).where(
                    M.runs.c.uid == uid)).scalar()
                self._details(rid, run)
                return True
            existing = self.conn.execute(sa.select(
                M.runs.c.id, M.runs.c.sweep_id).where(
                    M.runs.c.uid == uid)).first()
        if existing.sweep_id is None and sweep_id is not None:
            self.conn.execute(M.runs.update().where(
                M.runs.c.id == existing.id).values(sweep_id=sweep_id))
        return False

    def _details(self, rid, run):
        rows = []
        info = run.metric_info()
        for name, (val, better) in sorted(run.metrics().items()):
            mi = info.get(name) or MetricInfo(name, unit_of(name, run.doc),
                                              better, DIAGNOSTIC, name)
            rows.append({"run_id": rid, "value": float(val),
                         "metric_id": self.metric(mi)})
        if rows:
            self.conn.execute(M.samples.insert(), rows)
        marks = []
        for m in run.marks:
            if not isinstance(m, dict):
                continue
            reason = str(m.get("reason") or "unknown")[:64]
            marks.append({"run_id": rid, "reason": reason,
                          "message": m.get("message") if isinstance(
                              m.get("message"), str) else None,
                          "data": canonical(m)})
        if run.disturbed and not any(k["reason"] == "disturbed"
                                     for k in marks):
            marks.append({"run_id": rid, "reason": "disturbed",
                          "message": None, "data": "{}"})
        if marks:
            self.conn.execute(M.marks.insert(), marks)


def _variants_list():
    from ..plan import read_variants_list
    from ..errors import UserError
    try:
        return read_variants_list(os.path.join(
            layout.repo_root(), "allocator", "variants.list"))
    except UserError:
        return []
