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

from .errors import DataError

MANIFEST = "sweep.json"
SWEEP_SCHEMA = "slabscale-sweep"


def repo_root():
    return os.path.dirname(os.path.dirname(os.path.dirname(
        os.path.abspath(__file__))))


def default_results_dir():
    return os.environ.get("SLABSCALE_RESULTS") or os.path.join(repo_root(),
                                                              "results")


def safe_name(s):
    """A path component from any string (no '/', no '..', no spaces)."""
    s = re.sub(r"[^A-Za-z0-9._+-]", "_", str(s)) or "_"
    return "_" + s if s.startswith(".") else s


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


def write_json_atomic(path, obj):
    d = os.path.dirname(path) or "."
    os.makedirs(d, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=".json", dir=d)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(obj, f, indent=1, sort_keys=True)
            f.write("\n")
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def write_text_atomic(path, text):
    d = os.path.dirname(path) or "."
    os.makedirs(d, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=d)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(text)
    os.replace(tmp, path)


def load_manifest(path):
    try:
        with open(path, encoding="utf-8") as f:
            m = json.load(f)
    except (OSError, ValueError) as e:
        raise DataError("%s: cannot read sweep manifest: %s" % (path, e))
    if not isinstance(m, dict) or m.get("schema") != SWEEP_SCHEMA:
        raise DataError("%s: not a sweep manifest" % path)
    return m


def list_sweeps(results, host=None):
    """(manifest path, manifest) of every sweep, oldest first."""
    pat = os.path.join(results, safe_name(host) if host else "*", "*", "*",
                       MANIFEST)
    out = []
    for p in glob.glob(pat):
        try:
            out.append((p, load_manifest(p)))
        except DataError:
            continue
    out.sort(key=lambda x: x[1].get("id", ""))
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


def resolve_set(spec, results, sweep=None, host=None):
    """A result set spec -> (label, list of Run).

    spec is, in this order: an existing file or directory; a sweep id (or
    'latest'); 'SWEEP:VARIANT'; or a variant name within `sweep` (default:
    the latest sweep on this host).
    """
    from .results import load_set
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
    runs = load_set(sweep_runs_dir(d))
    if variant is None:
        return os.path.basename(d), runs
    sel = [r for r in runs if r.variant == variant]
    if not sel:
        raise DataError("sweep %s has no runs of variant %r (it has: %s)"
                        % (os.path.basename(d), variant,
                           ", ".join(sorted({r.variant for r in runs}))))
    return "%s:%s" % (os.path.basename(d), variant), sel
