"""Load: everything the later layers need about a sweep, read once.

The first layer of load -> decide -> render.  load_sweep() reads a
sweep's manifest and runs, the previous complete sweep of the same plan
on the same host, and the history of that plan (every earlier sweep's
runs), into one SweepData.  decide.py and the renderers work on that
object only; nothing after this module opens a results file.  Another
store (a database) gives the same object by filling SweepData itself.
"""

import os

from . import layout
from .errors import DataError, UserError
from .suggest import did_you_mean


class SweepData:
    """A sweep as read: manifest, its directory (None for a sweep that
    does not live in files), its runs, the previous sweep's id and runs,
    the history (list of (sweep id, runs), oldest first, this sweep
    last) and the warnings met while reading the optional parts (an
    earlier sweep that cannot be read must not block today's verdicts)."""

    def __init__(self, manifest, sdir, runs, previous_id=None,
                 previous_runs=(), history=(), warnings=()):
        self.manifest = manifest
        self.sdir = sdir
        self.runs = list(runs)
        self.previous_id = previous_id
        self.previous_runs = list(previous_runs)
        self.history = list(history)
        self.warnings = list(warnings)

    @property
    def plan(self):
        return self.manifest["plan"]


def results_root(sdir):
    """results/<host>/<day>/<id> -> results."""
    return os.path.dirname(os.path.dirname(os.path.dirname(sdir)))


def same_plan_sweeps(results, manifest):
    """(dir, manifest) of the complete sweeps of this sweep's plan and
    host before it, oldest first."""
    out = []
    for p, m in layout.list_sweeps(results, manifest["host"]):
        if m.get("plan_hash") == manifest["plan_hash"] \
                and m.get("state") == "complete" \
                and m.get("id", "") < manifest["id"]:
            out.append((os.path.dirname(p), m))
    return out


def previous_sweep(results, manifest):
    prev = same_plan_sweeps(results, manifest)
    return prev[-1][0] if prev else None


def load_sweep(sdir, results=None, manifest=None, previous=True,
               history=True):
    """SweepData of the sweep in sdir (see the module text)."""
    results = results or results_root(sdir)
    if manifest is None:
        manifest = layout.load_manifest(os.path.join(sdir, layout.MANIFEST))
    runs = layout.load_sweep_runs(sdir, manifest)
    warnings = []
    prev_id, prev_runs, hist = None, [], []
    try:
        earlier = same_plan_sweeps(results, manifest) \
            if previous or history else []
    except DataError as e:
        warnings.append("previous sweep: %s" % e)
        earlier = []
    if earlier and previous:
        d, m = earlier[-1]
        prev_id = m["id"]
        try:
            # a damaged run of an earlier sweep is left out with a warning
            prev_runs = layout.load_sweep_runs(d, m, tolerate_damage=True)
        except DataError as e:
            warnings.append("previous sweep: %s" % e)
            prev_id = None
    if history:
        for d, m in earlier:
            try:
                hist.append((m["id"], prev_runs if m["id"] == prev_id
                             else layout.load_sweep_runs(
                                 d, m, tolerate_damage=True)))
            except DataError as e:
                warnings.append("history: %s" % e)
        hist.append((manifest["id"], runs))
    return SweepData(manifest, sdir, runs, prev_id, prev_runs, hist,
                     warnings)


def find_sweep(results, which, host=None):
    """The directory of sweep `which` (an id or 'latest'); UserError with
    the likely id when there is none."""
    d = layout.find_sweep(results, which, host)
    if d is None:
        ids = [m.get("id", "") for _, m in layout.list_sweeps(results)]
        raise UserError("no sweep %r under %s%s" % (
            which, results, did_you_mean(which, ids, "; sweeps: %s" % (
                ", ".join(ids[-3:]) or "none"))))
    return d


def history_points(sweeps, case, mode, metric, variant, nr_task=None,
                   include_disturbed=False):
    """[(sweep id, [values])] of one variant over (sweep id, runs) pairs,
    oldest first, at nr_task (default: the smallest with runs); disturbed
    runs are left out, as the tables leave them out, unless
    include_disturbed."""
    pts = []
    sel_runs = []
    for sid, runs in sweeps:
        rs = [r for r in runs if r.case == case and r.mode == mode and r.ok
              and (include_disturbed or not r.disturbed)
              and r.variant == variant]
        if nr_task is None and rs:
            nr_task = min(r.nr_task for r in rs)
        rs = [r for r in rs if r.nr_task == nr_task]
        vals = [r.metrics()[metric][0] for r in rs if metric in r.metrics()]
        if vals:
            pts.append((sid, vals))
            sel_runs.extend(rs)
    return pts, nr_task, sel_runs


def host_history(results, host, plan_hash=None):
    """(sweep id, runs) of every sweep of a host (of one plan when
    plan_hash is given), oldest first."""
    out = []
    for p, m in layout.list_sweeps(results, host):
        if plan_hash and m.get("plan_hash") != plan_hash:
            continue
        out.append((m.get("id", "?"), layout.load_sweep_runs(
            os.path.dirname(p), m, tolerate_damage=True)))
    return out
