"""Where results live (docs/results-layout.md).

  results/<host>/<YYYY-MM-DD>/<sweep id>/
      sweep.json                       the manifest: plan, state, every run
      runs/<variant>/<case>/<mode>-t<N>-r<k>.json      one runner document
      runs/<variant>/<case>/<mode>-t<N>-r<k>.log       its stdout/stderr
      compare.json, report/index.html, report/report.md, report/*.png|svg

<host> is the sanitised hostname, so runs of different hosts never share a
directory; the sweep id is <UTC timestamp>-<plan hash>, so ids sort by time.
"""

import datetime
import glob
import json
import os
import re
import socket
import tempfile

from . import runner, safeio
from .errors import DataError
from .results import check_manifest, dedupe, load_set, parse_json, warn
from .results import load_manifest as _load_manifest

MANIFEST = "sweep.json"
SWEEP_SCHEMA = "slabscale-sweep"


def repo_root():
    return os.path.dirname(os.path.dirname(os.path.dirname(
        os.path.abspath(__file__))))


def variants_list_path():
    """allocator/variants.list: the allocator variants, oldest first."""
    return os.path.join(repo_root(), "allocator", "variants.list")


def default_results_dir():
    return os.environ.get("SLABSCALE_RESULTS") or os.path.join(repo_root(),
                                                              "results")


def safe_name(s):
    """A path component from any string (no '/', no '..', no spaces, no
    leading '-' an outside tool could read as an option)."""
    s = re.sub(r"[^A-Za-z0-9._+-]", "_", str(s)) or "_"
    return "_" + s if s.startswith((".", "-")) else s


def this_host():
    return safe_name(socket.gethostname())


def new_sweep_id(plan_hash, now=None):
    now = now or datetime.datetime.now(datetime.timezone.utc)
    return "%s-%s" % (now.strftime("%Y%m%dT%H%M%SZ"), plan_hash[:8])


def sweep_dir(results, host, sweep_id):
    day = "%s-%s-%s" % (sweep_id[0:4], sweep_id[4:6], sweep_id[6:8])
    return os.path.join(results, safe_name(host), day, sweep_id)


def run_relpath(variant, case, mode, nr_task, repeat):
    return os.path.join("runs", safe_name(variant), safe_name(case),
                        "%s-t%d-r%d.json" % (safe_name(mode), nr_task, repeat))


def claim_dir(results, host, name):
    """A new directory results/<host>/<day of name>/<name>[-N], created
    exclusively (two sweeps or bisects started in the same second get
    different ones) with no link followed below results; returns
    (final name, path).  name starts with the UTC timestamp (sweep ids) or
    'bisect-' and the timestamp."""
    stamp = name[len("bisect-"):] if name.startswith("bisect-") else name
    day = "%s-%s-%s" % (stamp[0:4], stamp[4:6], stamp[6:8])
    os.makedirs(results, exist_ok=True)
    dfd = safeio.open_dir(results, os.path.join(safe_name(host), day),
                          create=True)
    try:
        cand, n = name, 1
        while True:
            try:
                os.mkdir(cand, 0o777, dir_fd=dfd)
                return cand, os.path.join(results, safe_name(host), day,
                                          cand)
            except FileExistsError:
                n += 1
                cand = "%s-%d" % (name, n)
    finally:
        os.close(dfd)


def _umask():
    um = os.umask(0)
    os.umask(um)
    return um


def write_text_atomic(path, text):
    """Write to a temporary file in the same directory, then rename: a
    reader never sees half a file.  Mode 0666 & ~umask, like the runs the
    harness writes (mkstemp alone would make it 0600)."""
    d = os.path.dirname(path) or "."
    os.makedirs(d, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=d)
    try:
        os.fchmod(fd, 0o666 & ~_umask())
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def write_json_atomic(path, obj):
    write_text_atomic(path, json.dumps(obj, indent=1, sort_keys=True) + "\n")


def load_manifest(path):
    return _load_manifest(path)


def load_manifest_under(root, rel):
    """The manifest at root/rel, no link followed below root."""
    where = os.path.join(root, rel)
    raw = safeio.read_under(root, rel, safeio.MAX_MANIFEST_BYTES,
                            "a sweep manifest")
    return check_manifest(parse_json(raw, where, "a sweep manifest"), where)


def list_sweeps(results, host=None):
    """(manifest path, manifest) of every sweep, oldest first.  A manifest
    that cannot be read is an error naming it, never skipped: the sweep
    it belongs to might be the latest, or part of a history.  So is a
    sweep reached through a link below results (refused, not followed)."""
    pat = os.path.join(results, safe_name(host) if host else "*", "*", "*",
                       MANIFEST)
    out = [(p, load_manifest_under(results, os.path.relpath(p, results)))
           for p in glob.glob(pat)]
    out.sort(key=lambda x: x[1]["id"])
    return out


def find_sweep(results, sweep_id, host=None):
    """A sweep directory by id ('latest' = newest on this host)."""
    sweeps = list_sweeps(results, host or this_host())
    if not sweeps and host is None:
        sweeps = list_sweeps(results)
    if sweep_id == "latest":
        if not sweeps:
            raise DataError("no sweeps under %s" % results)
        return os.path.dirname(sweeps[-1][0])
    for p, m in sweeps:
        if m.get("id") == sweep_id:
            return os.path.dirname(p)
    for p, m in list_sweeps(results):
        if m.get("id") == sweep_id:
            return os.path.dirname(p)
    return None


def sweep_runs_dir(sdir):
    return os.path.join(sdir, "runs")


def sweep_run_files(sdir, manifest):
    """(path, manifest entry) of the run documents of a sweep: the files
    its manifest lists for the runs that ended (ok, failed, skipped) and
    exist.  Nothing else under runs/ counts: not a renamed earlier attempt
    (*.interrupted-N.json), not a stray copy."""
    out = []
    for r in manifest["runs"]:
        if r["status"] in ("ok", "failed", "skipped"):
            if safeio.lexists_under(sdir, r["file"]):
                out.append((os.path.join(sdir, r["file"]), r))
    return out


def entry_mismatch(run, entry):
    """What a run document says that its manifest entry does not (the
    variant, case, mode and nr_task it measured, and whether it is ok), or
    None when they agree."""
    for k in ("variant", "case", "mode", "nr_task"):
        if getattr(run, k) != entry[k]:
            return "its %s is %r, its sweep's entry says %r" % (
                k, getattr(run, k), entry[k])
    if run.ok and entry["status"] != "ok":
        return "it says ok, its sweep recorded the run as %s" % \
            entry["status"]
    return None


def load_sweep_runs(sdir, manifest=None, tolerate_damage=False):
    """Runs of a sweep (see sweep_run_files), copies dropped.  A document
    that does not match its manifest entry (a file left by an earlier
    attempt, another run's document copied over it) never counts, with a
    warning.  tolerate_damage: a document that cannot be read is warned
    about and left out instead of being an error (for a previous sweep,
    which must not block today's)."""
    if manifest is None:
        manifest = load_manifest_under(sdir, MANIFEST)
    runs = []
    for p, entry in sweep_run_files(sdir, manifest):
        try:
            r = runner.load_run_under(sdir, os.path.relpath(p, sdir))
        except DataError as e:
            if not tolerate_damage:
                raise
            warn("%s: left out of the comparison" % e)
            continue
        why = entry_mismatch(r, entry)
        if why:
            warn("%s: %s: not counted" % (p, why))
            continue
        # a sweep's runs of one repeat were run back to back, every
        # variant in turn: one round (compare pairs them)
        if isinstance(entry.get("repeat"), int):
            r.round = (manifest.get("id"), entry["repeat"])
        runs.append(r)
    return dedupe(runs)


def resolve_set(spec, results, sweep=None, host=None):
    """A result set spec -> (label, list of Run).

    spec is, in this order: an existing file or directory; a sweep id (or
    'latest'); 'SWEEP:VARIANT'; or a variant name within `sweep` (default:
    the latest sweep on this host).
    """
    if os.path.exists(spec):
        return spec, load_set(spec)
    if "/" in spec or spec.startswith("."):
        raise DataError("%s: no such file or directory" % spec)
    if ":" in spec:
        sid, variant = spec.rsplit(":", 1)
    else:
        sid, variant = spec, None
    d = None
    if sid and (sid == "latest" or re.match(r"^\d{8}T\d{6}Z", sid)):
        d = find_sweep(results, sid, host)
        if d is None:
            raise DataError("no sweep %r under %s" % (sid, results))
    if d is None:
        variant = spec
        d = find_sweep(results, sweep or "latest", host)
        if d is None:
            raise DataError("%r is not a file, directory, sweep id or "
                            "SWEEP:VARIANT, and no sweep %r under %s"
                            % (spec, sweep or "latest", results))
    runs = load_sweep_runs(d)
    if not runs:
        raise DataError("sweep %s has no finished runs" % os.path.basename(d))
    if variant is None:
        return os.path.basename(d), runs
    sel = [r for r in runs if r.variant == variant]
    if not sel:
        raise DataError("sweep %s has no runs of variant %r (it has: %s)"
                        % (os.path.basename(d), variant,
                           ", ".join(sorted({r.variant for r in runs}))))
    return "%s:%s" % (os.path.basename(d), variant), sel
