"""Getting runs into the database: `slabscale db import DIR` over a
results tree (idempotent: a run recorded twice is one run), and the
sweep's Recorder, which records each run as it ends and keeps a list of
those it could not record (the database was unreachable: they stay JSON
and are imported later)."""

import json
import os

from .. import layout
from ..errors import DataError, UserError
from ..results import NOT_RUNS, load_run, load_set
from ..textsafe import term
from . import describe
from .engine import forget, open_db, wrap_errors
from .store import Store

BATCH = 500             # loose runs per transaction

VERDICTS = {0: "clean", 1: "regression", 3: "incomplete", 4: "disturbed"}


def sweep_verdict(sdir, manifest):
    """A sweep's verdict from its files: incomplete unless complete with
    no failed run; else the exit status its compare.json recorded, or
    for an older one, regression when a metric that gates regressed."""
    if manifest.get("state") != "complete" or any(
            r.get("status") == "failed" for r in manifest["runs"]):
        return "incomplete"
    try:
        with open(os.path.join(sdir, "compare.json")) as f:
            an = json.load(f)
        if isinstance(an.get("exit_status"), int):
            return VERDICTS.get(an["exit_status"])
        for c in an["vs_baseline"] + an["vs_previous"]:
            for g in c["groups"]:
                for m in g["metrics"]:
                    if m.get("verdict") == "regression" and m.get(
                            "role", "gating") not in ("diagnostic", None):
                        return "regression"
        return "clean"
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None


def _sweep_dirs(root):
    """(kind, dir) of the sweeps and bisections below root, and the loose
    run files outside them."""
    found, loose = [], []
    for dirpath, dirnames, files in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames
                             if d not in ("report", "plots"))
        if layout.MANIFEST in files:
            found.append(("sweep", dirpath))
            dirnames[:] = []
        elif "bisect.json" in files or (
                os.path.basename(dirpath).startswith("bisect-")
                and "runs" in dirnames):
            found.append(("bisect", dirpath))
            dirnames[:] = []
        else:
            loose += [os.path.join(dirpath, f) for f in sorted(files)
                      if f.endswith(".json") and f not in NOT_RUNS]
    return found, loose


def import_tree(engine, root, log):
    """Import every run below root; returns {"new", "known", "sweeps",
    "errors": [lines]}.  A file that cannot be read is an error line and
    the rest is still imported."""
    if not os.path.isdir(root):
        raise UserError("db import: %s is not a directory" % root)
    out = {"new": 0, "known": 0, "sweeps": 0, "errors": []}
    found, loose = _sweep_dirs(root)
    for kind, d in found:
        try:
            if kind == "sweep":
                manifest = layout.load_manifest(os.path.join(
                    d, layout.MANIFEST))
                runs = layout.load_sweep_runs(d, manifest)
                uid = manifest["id"]
                verdict = sweep_verdict(d, manifest)
            else:
                manifest, verdict = {}, None
                runs = load_set(os.path.join(d, "runs")) \
                    if os.path.isdir(os.path.join(d, "runs")) else []
                uid = os.path.basename(d)
        except DataError as e:
            out["errors"].append(str(e))
            continue
        if not runs:
            continue
        with engine.begin() as conn:
            st = Store(conn)
            sid = st.sweep(uid, kind, runs[0].host, manifest, d,
                           verdict=verdict)
            for r in runs:
                out["new" if st.run(r, sid) else "known"] += 1
        out["sweeps"] += 1
    batch = []
    for p in loose:
        try:
            batch.append(load_run(p))
        except DataError as e:
            out["errors"].append(str(e))
        if len(batch) >= BATCH or (batch and p == loose[-1]):
            with engine.begin() as conn:
                st = Store(conn)
                for r in batch:
                    out["new" if st.run(r) else "known"] += 1
            batch = []
    if batch:
        with engine.begin() as conn:
            st = Store(conn)
            for r in batch:
                out["new" if st.run(r) else "known"] += 1
    return out


def cmd_import(url, root, log):
    """`slabscale db import DIR`: exit 0, or 2 when some file was bad
    (everything else is imported)."""
    eng = open_db(url)
    with wrap_errors(url):
        res = import_tree(eng, root, log)
    for e in res["errors"]:
        log("db import: %s" % term(e))
    log("db import: %d run(s) new, %d already recorded, %d sweep(s) or "
        "bisection(s), into %s%s" % (
            res["new"], res["known"], res["sweeps"], describe(url),
            "; %d file(s) not imported (above)" % len(res["errors"])
            if res["errors"] else ""))
    return 2 if res["errors"] else 0


class Recorder:
    """The sweep's hook: record(manifest, sdir, entry) after each run
    ends, finish(manifest, sdir, status) at the end.  Never raises: a
    database that cannot be reached leaves the runs as JSON (the archive
    of record) and finish() says which and how to import them."""

    def __init__(self, url, out):
        self.url, self.out = url, out
        self.missed = []        # sweep directories with unrecorded runs
        self.reason = None
        self.recorded = 0

    def _try(self, fn):
        try:
            with wrap_errors(self.url):
                eng = open_db(self.url)
                with eng.begin() as conn:
                    return fn(Store(conn))
        except UserError as e:
            if self.reason is None:
                self.out("db: cannot record into %s: %s; the runs stay "
                         "JSON until imported" % (describe(self.url),
                                                  term(str(e))))
            self.reason = str(e)
            forget(self.url)
            return None

    def record(self, manifest, sdir, entry):
        if entry["status"] not in ("ok", "failed", "skipped"):
            return
        path = os.path.join(sdir, entry["file"])
        try:
            run = load_run(path)
        except DataError:
            return              # the sweep reports a broken document
        if isinstance(entry.get("repeat"), int):
            run.round = (manifest["id"], entry["repeat"])  # as the loader
        if self.reason is not None:
            self.missed.append(path)
            return

        def rec(st):
            sid = st.sweep(manifest["id"], "sweep", run.host, manifest, sdir)
            st.run(run, sid)
            return True
        if self._try(rec):
            self.recorded += 1
        else:
            self.missed.append(path)

    def finish(self, manifest, sdir, status):
        """Record the sweep's end and verdict, and every run of it once
        more (idempotent: this catches the runs missed while it ran)."""
        verdict = VERDICTS.get(status)
        try:
            runs = layout.load_sweep_runs(sdir, manifest)
        except DataError:
            return
        if not runs:
            return
        self.reason = None

        def fin(st):
            sid = st.sweep(manifest["id"], "sweep", runs[0].host, manifest,
                           sdir, verdict=verdict)
            return sum(st.run(r, sid) for r in runs)
        n = self._try(fin)
        if n is None:
            self.out("db: %d run(s) of this sweep are not in %s (%s); they "
                     "are kept as JSON: record them with: slabscale db "
                     "import %s" % (len(self.missed) or len(runs),
                                    describe(self.url), term(self.reason),
                                    term(sdir)))
        elif self.missed:
            self.out("db: %d run(s) that could not be recorded while the "
                     "sweep ran are recorded now" % n)
        self.missed = []
