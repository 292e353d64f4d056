"""slabscale sweep: run a plan, store the runs, compare, report.

One process at a time runs a sweep: it holds an exclusive flock on
<sweep>/sweep.lock for as long as it runs it (a second sweep or --resume of
the same directory is refused at once, naming the holder).  The runner it
is waiting for is recorded in <sweep>/runner.json (pid and start time): a
--resume waits for a previous runner that is still alive (it dies with its
sweep, PR_SET_PDEATHSIG, so this takes moments) and refuses if it does not
go away.  A full disk stops the sweep with exit 3; the run that hit it is
left pending, so --resume retries it.
"""

import datetime
import errno
import fcntl
import json
import os
import sys
import time

from . import budget as budgetmod
from . import decide, fmt, layout, load, plan as planmod, report, runner
from . import db, safeio, summary, table, usl
from .db.importer import Recorder
from .errors import (DataError, UserError, EXIT_INCOMPLETE, EXIT_INTERRUPTED,
                     EXIT_USAGE)
from .suggest import did_you_mean
from .textsafe import term

DONE = ("ok", "failed", "skipped")
LOCK = "sweep.lock"
RUNNER_RECORD = "runner.json"
RUNNER_GONE_WAIT = 10.0         # seconds a resume waits for an old runner


class NoSpace(Exception):
    """The file system of the results ran full (ENOSPC/EDQUOT)."""

    def __init__(self, what):
        super().__init__(what)
        self.what = what


def _nospace_guard(what, fn, *args):
    """fn(*args), turning a full-disk OSError into NoSpace(what)."""
    try:
        return fn(*args)
    except OSError as e:
        if e.errno in runner.NOSPACE:
            raise NoSpace("%s: %s" % (what, e.strerror))
        raise


class SweepLock:
    """The exclusive lock of one sweep directory (see the module text)."""

    def __init__(self, sdir, sweep_id):
        self.path = os.path.join(sdir, LOCK)
        # never through a link planted as sweep.lock: it would be truncated
        self.fd = safeio.open_file(sdir, LOCK, os.O_RDWR | os.O_CREAT)
        try:
            fcntl.flock(self.fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as e:
            if e.errno not in (errno.EWOULDBLOCK, errno.EAGAIN):
                raise
            holder = os.pread(self.fd, 64, 0).decode(errors="replace")
            os.close(self.fd)
            raise UserError("sweep %s is being run by another slabscale "
                            "process (pid %s); wait for it to finish, or "
                            "stop it and --resume" % (
                                sweep_id, holder.strip() or "?"))
        try:
            os.ftruncate(self.fd, 0)
            os.pwrite(self.fd, ("%d\n" % os.getpid()).encode(), 0)
        except OSError:
            pass                # the pid is only for the message

    def release(self):
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None


def check_previous_runner(sdir, out):
    """Refuse to resume while a runner started by an earlier run of this
    sweep lives (it would measure on the same CPUs and write the same
    files); forget the record of one that is gone."""
    path = os.path.join(sdir, RUNNER_RECORD)
    if not safeio.lexists_under(sdir, RUNNER_RECORD):
        return
    try:
        rec = json.loads(safeio.read_under(sdir, RUNNER_RECORD,
                                           safeio.MAX_TEXT_BYTES,
                                           "a runner record"))
        pid, start = int(rec["pid"]), int(rec["start"])
    except (DataError, ValueError, KeyError, TypeError):
        rec = None
    if rec is not None and runner.alive(pid, start):
        out("sweep: a runner of this sweep (pid %d) is still alive; "
            "waiting for it to exit" % pid)
        t0 = time.monotonic()
        while runner.alive(pid, start) and \
                time.monotonic() - t0 < RUNNER_GONE_WAIT:
            time.sleep(0.1)
        if runner.alive(pid, start):
            raise UserError("a runner of sweep %s (pid %d, %s) is still "
                            "running; not resuming while it measures. Stop "
                            "it (kill %d) and resume again" % (
                                os.path.basename(sdir), pid,
                                term(rec.get("file", "?")), pid))
    safeio.unlink_under(sdir, RUNNER_RECORD)


def now_iso():
    return datetime.datetime.now(datetime.timezone.utc).strftime(
        "%Y-%m-%dT%H:%M:%SZ")


def fmt_secs(s):
    s = int(round(s))
    if s >= 3600:
        return "%dh%02dm" % (s // 3600, s % 3600 // 60)
    return "%dm%02ds" % (s // 60, s % 60) if s >= 60 else "%ds" % s


def reduce_plan(plan, build_dir, log):
    """Check the plan against the build before anything runs.

    A variant without a runner, or a case no variant's runner lists, is a
    usage error (a typo would otherwise run a baseline-only sweep and exit
    0).  A case that some variants list and others do not (it needs a
    feature they lack) is dropped with a note.
    """
    missing = [v for v in plan["variants"]
               if not os.access(runner.runner_path(build_dir, v), os.X_OK)]
    if missing:
        try:
            listed = planmod.read_variants_list()
        except UserError:
            listed = []
        raise UserError("sweep: no runner for variant%s %s under %s (unknown "
                        "variant, or not built: run make)%s" % (
                            "s" if len(missing) > 1 else "",
                            ", ".join(map(term, missing)), build_dir,
                            did_you_mean(missing[0], [
                                v for v in listed if v not in missing])))
    variants = list(plan["variants"])
    supported = {v: runner.list_cases(runner.runner_path(build_dir, v))
                 for v in variants}
    known = set().union(*[c for c in supported.values() if c is not None])
    if all(c is not None for c in supported.values()):
        unknown = [c for c in plan["cases"] if c not in known]
        if unknown:
            raise UserError("sweep: unknown case%s %s: no variant's runner "
                            "lists %s%s (known: %s)" % (
                                "s" if len(unknown) > 1 else "",
                                ", ".join(map(term, unknown)),
                                "them" if len(unknown) > 1 else "it",
                                did_you_mean(unknown[0], known),
                                ", ".join(sorted(known))))
    cases = []
    for c in plan["cases"]:
        lacking = [v for v in variants
                   if supported[v] is not None and c not in supported[v]]
        if lacking:
            log("sweep: case %s is not supported by %s: dropped"
                % (term(c), ", ".join(lacking)))
            continue
        cases.append(c)
    if not cases:
        raise UserError("sweep: none of the cases %s runs on all of %s"
                        % (", ".join(map(term, plan["cases"])),
                           ", ".join(variants)))
    return dict(plan, variants=variants, cases=cases)


def run_entries(specs):
    """Manifest entries (pending) for run specs."""
    runs = []
    for s in specs:
        rel = layout.run_relpath(s["variant"], s["case"], s["mode"],
                                 s["nr_task"], s["repeat"])
        runs.append(dict(s, file=rel, log=rel[:-5] + ".log", status="pending",
                         exit_code=None, message=None, attempts=0))
    return runs


def new_manifest(plan, requested, sweep_id, host):
    runs = run_entries(planmod.schedule(plan))
    return {"schema": layout.SWEEP_SCHEMA, "schema_version": 1,
            "id": sweep_id, "host": host, "plan": plan,
            "requested_plan": requested,
            # of the plan as asked: two plans that drop different cases
            # are different plans
            "plan_hash": planmod.plan_hash(requested),
            "state": "running", "started": now_iso(), "finished": None,
            "runs": runs}


class Progress:
    def __init__(self, total, done, guess, out):
        self.total, self.done, self.guess, self.out = total, done, guess, out
        self.t0 = time.monotonic()
        self.ran = 0

    def line(self, run):
        left = self.total - self.done
        el = time.monotonic() - self.t0
        per = el / self.ran if self.ran else self.guess
        self.out("[%d/%d] %s %s %s t=%d rep %d | elapsed %s, ETA %s"
                 % (self.done + 1, self.total, term(run["variant"]),
                    term(run["case"]), run["mode"], run["nr_task"],
                    run["repeat"] + 1, fmt_secs(el), fmt_secs(per * left)))

    def finished(self):
        self.done += 1
        self.ran += 1


def _set_aside(sdir, rel, r):
    """Keep what an earlier attempt left at sdir/rel (an interrupted run,
    or a file the manifest never recorded), out of the way of the new one.
    The rename stays inside the run's own directory, reached with no link
    followed (a planted directory link cannot move a file from elsewhere)."""
    if not safeio.lexists_under(sdir, rel):
        return
    kind = "interrupted" if r["status"] == "interrupted" else "attempt"
    n = r["attempts"]
    while True:
        dst = "%s.%s-%d.json" % (rel[:-5], kind, n)
        if not safeio.lexists_under(sdir, dst):
            break
        n += 1
    safeio.rename_under(sdir, rel, dst)


def execute(manifest, sdir, build_dir, out, recorder=None):
    """Run every pending run of a manifest; returns None when done,
    "interrupted" or "nospace" (then NoSpace's text is in manifest
    ["stopped_by"]).  recorder (db.importer.Recorder): records each run
    in the results database after its JSON is written."""
    mpath = os.path.join(sdir, layout.MANIFEST)
    rpath = os.path.join(sdir, RUNNER_RECORD)
    plan = manifest["plan"]
    runs = manifest["runs"]
    todo = [r for r in runs if r["status"] not in DONE]
    prog = Progress(len(runs), len(runs) - len(todo),
                    plan["seconds"] + plan["warmup"] + 1, out)

    def save():
        _nospace_guard(mpath, layout.write_json_atomic, mpath, manifest)

    def record_runner(r):
        def on_start(pid):
            _nospace_guard(rpath, layout.write_json_atomic, rpath, {
                "pid": pid, "start": runner.proc_start_time(pid),
                "file": r["file"]})
        return on_start

    stop = None
    manifest["state"] = "running"
    with runner.Interrupt() as intr:
        try:
            save()
            for r in todo:
                if intr.hit:
                    break
                fpath = os.path.join(sdir, r["file"])
                _nospace_guard(fpath, _set_aside, sdir, r["file"], r)
                prog.line(r)
                rec = _nospace_guard(
                    os.path.join(sdir, r["log"]), runner.run_once,
                    runner.runner_path(build_dir, r["variant"]), r, plan,
                    sdir, r["file"], r["log"], intr, record_runner(r))
                if os.path.exists(rpath):
                    os.unlink(rpath)
                r["attempts"] += 1
                if rec["status"] == "nospace":
                    r.update(status="pending", message=rec["message"])
                    raise NoSpace(rec["message"])
                if rec["status"] == "usage":
                    # every run of this plan would be refused alike: stop
                    # before measuring anything more, with the runner's
                    # own first line
                    r.update(status="pending", message=rec["message"])
                    manifest["stopped_by"] = "the runner of %s refused %s " \
                        "%s t=%d: %s" % (r["variant"], r["case"], r["mode"],
                                         r["nr_task"], rec["message"])
                    stop = "usage"
                    break
                r.update(status=rec["status"], exit_code=rec["exit_code"],
                         message=rec["message"],
                         seconds=round(rec["seconds"], 3))
                if rec["status"] != "ok":
                    out("  -> %s%s" % (rec["status"], ": " +
                                       term(rec["message"])
                                       if rec["message"] else ""))
                prog.finished()
                save()
                if recorder is not None:
                    recorder.record(manifest, sdir, r)
                if rec["status"] == "interrupted":
                    intr.hit = True
        except NoSpace as e:
            stop = "nospace"
            manifest["stopped_by"] = e.what
    if stop in ("usage", "nospace"):
        manifest["state"] = "stopped"
    elif intr.hit:
        manifest["state"] = stop = "interrupted"
    else:
        # complete only once the budget and the report are done too (run_sweep())
        manifest["state"] = "measured"
    try:
        save()
    except NoSpace:
        # the manifest on disk is the last one written: every run it
        # calls ok is on disk, the rest is pending; --resume works
        if not stop:
            stop = "nospace"
            manifest["stopped_by"] = "%s: no space left on device" % mpath
    return stop


def sweep_runs(sdir, tolerate_damage=False):
    """The runs of a sweep its manifest lists as ended, copies dropped."""
    return layout.load_sweep_runs(sdir, tolerate_damage=tolerate_damage)


# the decide layer's, kept under their old names here
gating_regressions = decide.gating_regressions
previous_sweep = load.previous_sweep


def analyse(manifest, sdir, results, allow_host_mismatch=False,
            min_effect=None, include_disturbed=False):
    """Load the sweep (and the previous one) and compare (decide.py)."""
    data = load.load_sweep(sdir, results, manifest, history=False)
    return decide.analyse(data, min_effect, include_disturbed,
                          allow_host_mismatch)


def finish(manifest, sdir, results, out, allow_host_mismatch=False,
           make_report=True, min_effect=None, include_disturbed=False,
           show_all=False, paint=None):
    """Load, decide, write compare.json and the report, print the tables
    and then the summary (the verdict in the last lines); exit status."""
    paint = paint or fmt.Paint(False)
    data = load.load_sweep(sdir, results, manifest, history=make_report)
    an = decide.analyse(data, min_effect, include_disturbed,
                        allow_host_mismatch)
    al = decide.alerts(an, manifest["plan"])
    code, why = decide.exit_status(an, manifest, include_disturbed)
    cpath = os.path.join(sdir, "compare.json")
    _nospace_guard(cpath, layout.write_json_atomic, cpath,
                   dict(an, alerts=al, exit_status=code))
    pp = manifest["plan"].get("params")
    for c in an["vs_baseline"]:
        out("\n# against the baseline variant\n" +
            table.render(c, show_all, paint, pp))
    for c in an["vs_previous"]:
        out("\n# against the previous sweep of this plan\n" +
            table.render(c, show_all, paint, pp))
    if not an["vs_previous"]:
        out("\n(no previous complete sweep of this plan on this host)")
    for e in an["warnings"]:
        out("sweep: warning: " + term(e))
    for e in an["errors"]:
        out("sweep: cannot compare: " + term(e))
    fits = decide.scaling_fits(data, include_disturbed)
    for f in fits:
        out("scaling: %s %s %s: USL %s" % (term(f["case"]), term(f["variant"]),
                                           f["metric"], usl.describe(f)))
    if make_report:
        path = _nospace_guard(os.path.join(sdir, "report"),
                              report.write_report, data, an, al, out, True,
                              fits)
        out("report: %s" % path)
    st = decide.run_counts(manifest)
    nd = sum(c.get("disturbed_runs", 0) for c in an["vs_baseline"])
    out("runs: " + ", ".join("%d %s" % (n, s) for s, n in sorted(st.items()))
        + ("; %d of the ok runs disturbed (%s)" % (
            nd, "averaged in" if include_disturbed else
            "left out of the verdicts: a task waited for a CPU more than "
            "5 % of an interval") if nd else ""))
    ns = sum(c.get("shared_runs", 0) for c in an["vs_baseline"])
    if ns:
        out("sweep: %d shared run(s) (busy neighbours outside the run): "
            "kept in the verdicts; interleaved rounds compared as pairs"
            % ns)
    b = manifest.get("budget")
    if b:
        out("budget: %d run(s) added in %d round(s) (budget: %s)" % (
            b["added"], b["rounds"], _budget_text(b)))
    out("")
    out(summary.render(al, paint=paint))
    drows = [] if include_disturbed else \
        budgetmod.disturbed_rows(an["vs_baseline"])
    if an["errors"]:
        # a refused comparison hides whatever it would have found
        out("sweep: %d comparison(s) refused: see 'cannot compare' above"
            % len(an["errors"]))
    if drows:
        out("sweep: DISTURBED: %d row(s) stayed disturbed, without a "
            "verdict: %s; the machine was not quiet enough (rerun on a "
            "quiet machine, give (more) --budget, or --include-disturbed)" % (
                len(drows), ", ".join("%s %s t=%d" % (term(c), m, t)
                                      for c, m, t in drows)))
    out("sweep: exit %d: %s" % (code, why))
    return code


def _budget_text(b):
    parts = []
    if b.get("runs") is not None:
        parts.append("%d runs" % b["runs"])
    if b.get("seconds") is not None:
        parts.append(fmt_secs(b["seconds"]))
    return " or ".join(parts)


def spend_budget(manifest, sdir, results, build_dir, out,
                 allow_host_mismatch=False, min_effect=None,
                 include_disturbed=False, recorder=None):
    """Add interleaved repeats to unsettled rows until they settle or the
    budget is spent (budget.py); returns execute()'s stop or None."""
    b = manifest["budget"]
    t0 = time.monotonic() - b.get("elapsed", 0)
    while True:
        an = analyse(manifest, sdir, results, allow_host_mismatch,
                     min_effect, include_disturbed)
        rows = budgetmod.unsettled_rows(an["vs_baseline"])
        if not rows:
            out("budget: every row settled")
            return None
        nv = len(manifest["plan"]["variants"])
        room = None if b.get("runs") is None else \
            (b["runs"] - b["added"]) // nv
        if room is not None:
            rows = rows[:room]
        if not rows or budgetmod.spent(b, b, time.monotonic() - t0):
            out("budget: spent with %d row(s) unsettled" % len(
                budgetmod.unsettled_rows(an["vs_baseline"])))
            return None
        specs = budgetmod.next_specs(manifest, rows)
        manifest["runs"].extend(run_entries(specs))
        b["added"] += len(specs)
        b["rounds"] += 1
        out("budget: round %d: %d unsettled row(s), %d more run(s) (%d "
            "added; budget %s)" % (b["rounds"], len(rows), len(specs),
                                   b["added"], _budget_text(b)))
        stop = execute(manifest, sdir, build_dir, out, recorder)
        b["elapsed"] = time.monotonic() - t0
        if stop:
            return stop


def _recorder(db_url, out):
    """The results database's hook, or None (--db none).  A missing
    Python module is said once; the runs stay JSON."""
    if db_url is None:
        return None
    miss = db.missing_modules(db_url)
    if miss:
        out("db: not recording (missing %s: make deps); the runs stay "
            "JSON: import them later with slabscale db import"
            % ", ".join(miss))
        return None
    return Recorder(db_url, out)


def run_sweep(plan_raw, results, build_dir, out=None, resume=None,
              allow_host_mismatch=False, make_report=True, min_effect=None,
              budget=None, include_disturbed=False, show_all=False,
              paint=None, db_url=None, dispatch=None):
    """budget: {"runs": N or None, "seconds": S or None} or None (a resumed
    sweep keeps its own).  show_all: the diagnostic rows in the tables
    too; paint: fmt.Paint (colour on a terminal).  db_url: the results
    database each run is also recorded in (None: JSON only); dispatch:
    the `sweep --slurm` dispatch this sweep is a share of."""
    out = out or (lambda s: print(s, file=sys.stderr, flush=True))
    recorder = _recorder(db_url, out)
    host = layout.this_host()
    if resume:
        sdir = resume_dir(results, resume, host)
        sid = os.path.basename(sdir)
    else:
        requested = planmod.normalise(plan_raw)
        plan = reduce_plan(requested, build_dir, out)
        sid, sdir = _nospace_guard(results, layout.claim_dir, results, host,
                                   layout.new_sweep_id(
                                       planmod.plan_hash(requested)))
    try:
        lock = SweepLock(sdir, sid)
    except OSError as e:
        if e.errno in runner.NOSPACE:
            out("sweep: no space left on device for %s" % sdir)
            return EXIT_INCOMPLETE
        raise
    try:
        if resume:
            # read under the lock: the last holder may just have finished
            manifest = layout.load_manifest_under(
                results, os.path.join(os.path.relpath(sdir, results),
                                      layout.MANIFEST))
            if manifest["state"] == "complete":
                raise UserError("sweep %s is already complete"
                                % manifest["id"])
            if manifest["host"] != host or \
                    os.path.relpath(sdir, results).split(os.sep)[0] != host:
                # its runs would be pooled with this machine's
                raise UserError("sweep %s belongs to host %s, not this host "
                                "(%s): resume it there" % (
                                    manifest["id"], term(manifest["host"]),
                                    host))
            # a link planted anywhere under runs/ is refused before
            # anything runs or is renamed
            for r in manifest["runs"]:
                for k in ("file", "log"):
                    if r.get(k):
                        safeio.check_tree(sdir, r[k], create=False)
            check_previous_runner(sdir, out)
            left = sum(r["status"] not in DONE for r in manifest["runs"])
            out("sweep: resuming %s (%d of %d runs left)"
                % (manifest["id"], left, len(manifest["runs"])))
        else:
            manifest = new_manifest(plan, requested, sid, host)
            if dispatch:
                manifest["dispatch"] = dispatch
            if budget and (budget.get("runs") or budget.get("seconds")):
                manifest["budget"] = dict(budget, added=0, rounds=0)
            out("sweep: %s, %d runs: %s x %s x nr_task %s x %s x %d repeats"
                " (%ds + %ds warmup each); results in %s" % (
                    sid, len(manifest["runs"]),
                    ",".join(map(term, plan["variants"])),
                    ",".join(map(term, plan["cases"])),
                    ",".join(map(str, plan["nr_task"])),
                    ",".join(plan["modes"]), plan["repeats"],
                    plan["seconds"], plan["warmup"], term(sdir)))
        try:
            stop = execute(manifest, sdir, build_dir, out, recorder)
            if not stop and manifest.get("budget") and \
                    not manifest["budget"].get("done"):
                stop = spend_budget(manifest, sdir, results, build_dir, out,
                                    allow_host_mismatch, min_effect,
                                    include_disturbed, recorder)
                if not stop:
                    manifest["budget"]["done"] = True
                    _save_manifest(sdir, manifest)
        except KeyboardInterrupt:
            # between runs (the budget's analysis): every run on disk is
            # recorded; what is left is resumable
            if recorder is not None:
                recorder.finish(manifest, sdir, None)
            return _interrupted_late(manifest, sdir, out, "the budget")
        if stop and recorder is not None:
            recorder.finish(manifest, sdir, None)
        done = sum(r["status"] in DONE for r in manifest["runs"])
        if stop == "interrupted":
            out("sweep: interrupted; %d of %d runs kept. Continue with: "
                "slabscale sweep --resume %s" % (done, len(manifest["runs"]),
                                                 manifest["id"]))
            return EXIT_INTERRUPTED
        if stop == "usage":
            out("sweep: stopped: %s; nothing more was run (fix the plan "
                "and start a new sweep)" % term(manifest["stopped_by"]))
            return EXIT_USAGE
        if stop == "nospace":
            out("sweep: stopped: %s; %d of %d runs kept. Free some space "
                "and continue with: slabscale sweep --resume %s" % (
                    term(manifest["stopped_by"]), done,
                    len(manifest["runs"]), manifest["id"]))
            return EXIT_INCOMPLETE
        try:
            rc = finish(manifest, sdir, results, out, allow_host_mismatch,
                        make_report, min_effect, include_disturbed,
                        show_all, paint)
        except NoSpace as e:
            out("sweep: every run is done, but %s. Free some space and "
                "finish the comparison and report with: slabscale sweep "
                "--resume %s" % (term(e.what), manifest["id"]))
            return EXIT_INCOMPLETE
        except KeyboardInterrupt:
            return _interrupted_late(manifest, sdir, out,
                                     "the comparison and report")
        manifest["state"] = "complete"
        manifest["finished"] = now_iso()
        try:
            _save_manifest(sdir, manifest)
        except NoSpace as e:
            out("sweep: %s: the sweep is not marked complete; --resume %s "
                "finishes it" % (term(e.what), manifest["id"]))
            return EXIT_INCOMPLETE
        if recorder is not None:
            recorder.finish(manifest, sdir, rc)
        return rc
    finally:
        lock.release()


def _save_manifest(sdir, manifest):
    mpath = os.path.join(sdir, layout.MANIFEST)
    _nospace_guard(mpath, layout.write_json_atomic, mpath, manifest)


def _interrupted_late(manifest, sdir, out, what):
    """A Ctrl-C, SIGTERM or SIGHUP after the runs, during `what`: the
    sweep stays resumable (state measured), and says how."""
    with runner.Interrupt():        # a second signal must not cut this
        manifest["state"] = "measured"
        try:
            _save_manifest(sdir, manifest)
        except NoSpace:
            pass
    out("sweep: interrupted during %s; every run is kept. Finish with: "
        "slabscale sweep --resume %s" % (what, manifest["id"]))
    return EXIT_INTERRUPTED


def resume_dir(results, which, host):
    if which == "latest":
        cands = [p for p, m in layout.list_sweeps(results, host)
                 if m.get("state") != "complete"]
        if not cands:
            raise UserError("no unfinished sweep on host %s under %s"
                            % (host, results))
        return os.path.dirname(cands[-1])
    d = layout.find_sweep(results, which, host)
    if d is None:
        raise UserError("no sweep %r under %s" % (which, results))
    return d
