"""Synthetic results trees: nights (sweeps) of a plan on a host, written
as `slabscale sweep` writes them (sweep.json + run documents), with the
per-task ops of each run given by a function.  For the database tests and
the scale measurement (analysis/tools/dbscale.py)."""

import datetime
import os

from . import layout, plan as planmod, synth
from .runner import case_params
from .sweep import new_manifest


def write_night(results, host, when, plan_raw, ops, commit="0" * 40,
                disturbed=lambda spec, i: False, clean=True):
    """One complete sweep started at `when` (datetime, UTC); ops(spec, i)
    -> per-task ops of the i-th run of the schedule; clean: a
    compare.json without regressions is written (the sweep's verdict is
    then clean; else it has none).  Returns (sweep id, sweep directory,
    number of runs)."""
    plan = planmod.normalise(plan_raw)
    phash = planmod.plan_hash(plan)
    sid = layout.new_sweep_id(phash, when)
    sdir = layout.sweep_dir(results, host, sid)
    m = new_manifest(plan, plan, sid, host)
    m["started"] = when.strftime("%Y-%m-%dT%H:%M:%SZ")
    stamp = m["started"]
    for i, r in enumerate(m["runs"]):
        doc = synth.make_doc(case=r["case"], variant=r["variant"],
                             mode=r["mode"], nr_task=r["nr_task"],
                             ops=ops(r, i), seconds=1, start_time=stamp,
                             host={"hostname": host},
                             disturbed=disturbed(r, i))
        doc["build"]["git_commit"] = commit
        doc["params"] = {str(k): str(v) for k, v in case_params(
            plan.get("params") or {}, r["case"]).items()}
        layout.write_json_atomic(os.path.join(sdir, r["file"]), doc)
        r.update(status="ok", exit_code=0, attempts=1, seconds=1.0)
    m["state"] = "complete"
    m["finished"] = stamp
    layout.write_json_atomic(os.path.join(sdir, layout.MANIFEST), m)
    if clean:
        layout.write_json_atomic(os.path.join(sdir, "compare.json"), {
            "sweep": sid, "vs_baseline": [], "vs_previous": [],
            "previous": None, "errors": []})
    return sid, sdir, len(m["runs"])


def nights(results, host, n, plan_raw, ops, start=None, commits=None,
           disturbed=lambda night, spec, i: False, clean=lambda night: True):
    """n nights, one a day from start; ops(night, spec, i); commits[k] the
    commit of night k; clean(night) as write_night's clean.  Returns the
    sweep ids, oldest first."""
    start = start or datetime.datetime(2026, 1, 1, 2, 0, 0,
                                       tzinfo=datetime.timezone.utc)
    ids = []
    for k in range(n):
        when = start + datetime.timedelta(days=k)
        sid, _, _ = write_night(
            results, host, when, plan_raw,
            lambda spec, i, k=k: ops(k, spec, i),
            commit=(commits[k] if commits else "%040x" % (k // 7)),
            disturbed=lambda spec, i, k=k: disturbed(k, spec, i),
            clean=clean(k))
        ids.append(sid)
    return ids
