"""Loading and checking slabscale-run JSON documents (docs/results-schema.md).

A *run* is one document.  A *result set* is a list of runs, loaded from a
file, a directory (recursively) or a sweep.  Runs whose status is not "ok"
are kept (so they can be reported) but never contribute samples.
"""

import fnmatch
import hashlib
import json
import os
import re
import sys

from . import SCHEMA, KNOWN_SCHEMA_VERSIONS
from . import safeio
from .errors import DataError
from .metrics import (CPU_RATE, HIGHER, LOWER, NEUTRAL, SLAB_PER,
                      WALL_TIME_CASES, Registry, cpu_rate_applies,
                      declared_counters, primary_metric, run_registry,
                      slab_direction, slab_metric_parts)
from .textsafe import term

STATUSES = ("ok", "interrupted", "failed", "skipped")
MODES = ("threads", "processes")
# Files in a results directory that are not run documents.
NOT_RUNS = ("sweep.json", "compare.json", "bisect.json", "plan.json",
            "runner.json")

# re-exported for the modules that take them from here
__all__ = ["CPU_RATE", "HIGHER", "LOWER", "NEUTRAL", "WALL_TIME_CASES",
           "Registry", "cpu_rate_applies", "primary_metric",
           "slab_metric_parts"]


class Run:
    """One run document, checked, with the fields the analysis uses."""

    def __init__(self, doc, path):
        self.doc = doc
        self.path = path
        self.status = doc["status"]
        self.case = doc["case"]
        self.mode = doc["mode"]
        self.nr_task = doc["nr_task"]
        self.variant = doc["variant"]
        self.params = dict(doc.get("params") or {})
        self.host = doc.get("host") or {}
        self.build = doc.get("build") or {}
        self.start_time = doc.get("start_time") or ""
        self.marks = [m for m in doc.get("marks") or []]
        # the harness's "disturbed" (docs/results-schema.md): a task waited
        # for a CPU; such runs are left out of verdicts unless asked for
        self.disturbed = doc.get("disturbed") is True or any(
            isinstance(m, dict) and m.get("reason") == "disturbed"
            for m in self.marks)
        # "shared" (softer): busy neighbours outside the run; kept in the
        # verdicts and counted
        self.shared = doc.get("shared") is True or any(
            isinstance(m, dict) and m.get("reason") == "shared"
            for m in self.marks)
        # the interleaved round the run belongs to ((sweep id, repeat),
        # set by layout.load_sweep_runs); None: not part of one
        self.round = None
        self._metrics = None
        self._info = None

    @property
    def ok(self):
        return self.status == "ok"

    def group_key(self):
        """Runs with the same key measure the same thing."""
        params = tuple(sorted((str(k), str(v)) for k, v in self.params.items()))
        return (self.case, self.mode, self.nr_task, params)

    def host_id(self):
        return host_identity(self.host)

    def metrics(self):
        """Computed once: a run has hundreds of allocator metrics."""
        if self._metrics is None:
            self._metrics = extract_metrics(self.doc) if self.ok else {}
        return self._metrics

    def metric_info(self):
        """{name: metrics.MetricInfo} of this run's metrics."""
        if self._info is None:
            self._info = run_registry(self.doc, self.metrics())
        return self._info


def host_identity(host):
    """The host fields that must agree for two runs to be comparable."""
    return {k: host.get(k) for k in ("hostname", "cpu_model", "nr_cpus", "arch")}


# Numbers the analysis uses must be finite, non-negative and below this:
# nothing measured comes close (2^60 operations, nanoseconds or bytes), and
# sums, squares and bootstrap ratios of such values stay far from overflow.
MAX_VALUE = 1e18
MAX_TASKS = 1 << 20
# What a plan and a manifest may hold: the command line, the plan reader
# and the manifest reader use these same limits, so a sweep never writes a
# manifest it cannot read back.
LIMITS = {
    "nr_task": MAX_TASKS,
    "seconds": 7 * 24 * 3600,   # per run, warm-up, or a budget's time
    "repeats": 10000,
    "count": 10 ** 6,           # --budget runs, bisect --max-repeats...
    "runs": 100000,             # runs in one sweep (the manifest stays
                                # well under its 64 MiB cap)
}
MAX_DEPTH = 64          # run documents nest about 6 deep
METRIC_KINDS = ("latency", "counter", "max")


def _type_name(val):
    if val is None:
        return "null"
    return {bool: "a boolean", int: "an integer", float: "a number",
            str: "a string", list: "a list", dict: "an object"}.get(
                type(val), type(val).__name__)


def _bad(where, field, what):
    raise DataError("%s: field %s %s" % (where, field, what))


def _need(doc, field, types, where, prefix=""):
    name = prefix + field
    if field not in doc:
        raise DataError("%s: missing field '%s'" % (where, name))
    val = doc[field]
    if not isinstance(val, types) or isinstance(val, bool):
        _bad(where, name, "is %s, not %s" % (
            _type_name(val), " or ".join(_type_name(t()) for t in
                                         (types if isinstance(types, tuple)
                                          else (types,)))))
    return val


def check_number(val, where, field, allow_null=False):
    """A finite, non-negative number below MAX_VALUE (NaN, Infinity,
    1e308, 10**400, negative, strings: DataError naming the field)."""
    if val is None and allow_null:
        return val
    if isinstance(val, bool) or not isinstance(val, (int, float)):
        _bad(where, field, "is %s, not a number" % _type_name(val))
    if isinstance(val, float) and val != val:
        _bad(where, field, "is NaN, not a number")
    if isinstance(val, float) and val in (float("inf"), float("-inf")):
        _bad(where, field, "is %s, not a finite number" % val)
    if val < 0:
        _bad(where, field, "is negative (%r)" % val)
    if val > MAX_VALUE:
        _bad(where, field, "is %s, beyond any measurement (> %g)"
             % (("%.3g" % val) if isinstance(val, float) else
                "a %d-digit integer" % len(str(val)), MAX_VALUE))
    return val


def _scalar(val, where, field):
    if isinstance(val, (list, dict)):
        _bad(where, field, "is %s, not a plain value" % _type_name(val))
    if isinstance(val, float) and not (abs(val) <= MAX_VALUE):
        _bad(where, field, "is %s, not a finite number" % val)


def _check_metrics(doc, where):
    m = doc.get("metrics")
    if m is None:
        return
    if not isinstance(m, dict):
        _bad(where, "metrics", "is %s, not an object" % _type_name(m))
    for name, v in m.items():
        f = "metrics.%s" % name
        if not isinstance(v, dict):
            _bad(where, f, "is %s, not an object" % _type_name(v))
        kind = v.get("kind")
        if kind not in METRIC_KINDS:
            _bad(where, f + ".kind", "is %r, not one of %s"
                 % (kind, ", ".join(METRIC_KINDS)))
        if kind == "latency":
            count = v.get("count")
            if isinstance(count, bool) or not isinstance(count, int):
                _bad(where, f + ".count", "is %s, not an integer"
                     % _type_name(count))
            check_number(count, where, f + ".count")
            for q in ("mean", "p50", "p99"):
                check_number(v.get(q), where, "%s.%s" % (f, q),
                             allow_null=not count)
        else:
            check_number(v.get("value"), where, f + ".value")


def _check_pmu(doc, where):
    pmu = doc.get("pmu")
    if pmu is None:
        return
    if not isinstance(pmu, dict):
        _bad(where, "pmu", "is %s, not an object" % _type_name(pmu))
    evs = pmu.get("events", [])
    if not isinstance(evs, list):
        _bad(where, "pmu.events", "is %s, not a list" % _type_name(evs))
    for i, ev in enumerate(evs):
        f = "pmu.events[%d]" % i
        if not isinstance(ev, dict):
            _bad(where, f, "is %s, not an object" % _type_name(ev))
        _need(ev, "name", str, where, f + ".")
        st = _need(ev, "status", str, where, f + ".")
        if st == "ok":
            check_number(ev.get("per_op"), where, f + ".per_op",
                         allow_null=True)


def _check_numbers_below(obj, where, field):
    """Every number inside obj (nested objects and lists) passes
    check_number; other leaves (names, flags) are left alone."""
    stack = [(obj, field)]
    while stack:
        v, f = stack.pop()
        if isinstance(v, dict):
            stack.extend((x, "%s.%s" % (f, k)) for k, x in v.items())
        elif isinstance(v, list):
            stack.extend((x, "%s[%d]" % (f, i)) for i, x in enumerate(v))
        elif isinstance(v, (int, float)) and not isinstance(v, bool):
            check_number(v, where, f)


def _check_samples(doc, where):
    """The samples' deltas: the allocator counters are divided by them."""
    for i, smp in enumerate(doc.get("samples") or []):
        f = "samples[%d]" % i
        if not isinstance(smp, dict):
            _bad(where, f, "is %s, not an object" % _type_name(smp))
        deltas = smp.get("deltas", [])
        if not isinstance(deltas, list):
            _bad(where, f + ".deltas", "is %s, not a list"
                 % _type_name(deltas))
        for k, d in enumerate(deltas):
            check_number(d, where, "%s.deltas[%d]" % (f, k))


def _check_allocator(doc, where):
    """The allocator snapshots: null, or a list of snapshots (null for one
    that did not arrive), each with caches whose stats and locks hold
    counters (results.allocator_counters sums them)."""
    snaps = doc.get("allocator")
    if snaps is None:
        return
    if not isinstance(snaps, list):
        _bad(where, "allocator", "is %s, not a list" % _type_name(snaps))
    for i, snap in enumerate(snaps):
        f = "allocator[%d]" % i
        if snap is None:
            continue
        if not isinstance(snap, dict):
            _bad(where, f, "is %s, not an object" % _type_name(snap))
        caches = snap.get("caches", [])
        if caches is None:
            caches = []
        if not isinstance(caches, list):
            _bad(where, f + ".caches", "is %s, not a list"
                 % _type_name(caches))
        for k, c in enumerate(caches):
            cf = "%s.caches[%d]" % (f, k)
            if not isinstance(c, dict):
                _bad(where, cf, "is %s, not an object" % _type_name(c))
            _need(c, "name", str, where, cf + ".")
            for part in ("stats", "locks"):
                v = c.get(part)
                if v is not None and not isinstance(v, dict):
                    _bad(where, "%s.%s" % (cf, part), "is %s, not an object"
                         % _type_name(v))
                _check_numbers_below(v, where, "%s.%s" % (cf, part))
        v = snap.get("locks")
        if v is not None and not isinstance(v, dict):
            _bad(where, f + ".locks", "is %s, not an object" % _type_name(v))
        _check_numbers_below(v, where, f + ".locks")


def _check_str_map(doc, field, where):
    val = doc.get(field)
    if val is None:
        return {}
    if not isinstance(val, dict):
        _bad(where, field, "is %s, not an object" % _type_name(val))
    return val


def check_doc(doc, where):
    """Refuse anything that is not a schema-v1 slabscale-run document, or
    whose fields the analysis uses are not what docs/results-schema.md
    says: one DataError naming the file and the field."""
    if not isinstance(doc, dict):
        raise DataError("%s: not a JSON object" % where)
    schema = doc.get("schema")
    if schema != SCHEMA:
        raise DataError("%s: schema is %r, expected %r (not a slabscale-run "
                        "result)" % (where, schema, SCHEMA))
    ver = doc.get("schema_version")
    if ver not in KNOWN_SCHEMA_VERSIONS or isinstance(ver, bool):
        raise DataError("%s: schema_version %r is not one this reader knows "
                        "(%s)" % (where, ver,
                                  ", ".join(map(str, KNOWN_SCHEMA_VERSIONS))))
    status = _need(doc, "status", str, where)
    if status not in STATUSES:
        raise DataError("%s: unknown status %r" % (where, status))
    if not _need(doc, "case", str, where):
        _bad(where, "case", "is empty")
    mode = _need(doc, "mode", str, where)
    if mode not in MODES:
        raise DataError("%s: unknown mode %r" % (where, mode))
    nr = _need(doc, "nr_task", int, where)
    if not 1 <= nr <= MAX_TASKS:
        raise DataError("%s: nr_task %d is not in 1..%d" % (where, nr,
                                                           MAX_TASKS))
    if not _need(doc, "variant", str, where):
        _bad(where, "variant", "is empty")
    if "run_id" in doc and doc["run_id"] is not None:
        rid = _need(doc, "run_id", str, where)
        if not rid or len(rid) > 128:
            _bad(where, "run_id", "is not a run id")
    marks = doc.get("marks")
    if marks is not None:
        if not isinstance(marks, list):
            _bad(where, "marks", "is %s, not a list" % _type_name(marks))
        for i, mk in enumerate(marks):
            if not isinstance(mk, dict):
                _bad(where, "marks[%d]" % i, "is %s, not an object"
                     % _type_name(mk))
            _need(mk, "reason", str, where, "marks[%d]." % i)
    for k, v in _check_str_map(doc, "params", where).items():
        if not isinstance(v, str):
            _bad(where, "params.%s" % k, "is %s, not a string"
                 % _type_name(v))
    host = _need(doc, "host", dict, where)
    _need(host, "hostname", str, where, "host.")
    for k, v in host.items():
        _scalar(v, where, "host.%s" % k)
    for k, v in _check_str_map(doc, "build", where).items():
        _scalar(v, where, "build.%s" % k)
    if "start_time" in doc and doc["start_time"] is not None:
        _need(doc, "start_time", str, where)
    if "samples" in doc and not isinstance(doc["samples"], list):
        _bad(where, "samples", "is %s, not a list"
             % _type_name(doc["samples"]))
    if status == "ok":
        stats = _need(doc, "stats", dict, where)
        key = "per_thread_ops" if mode == "threads" else "per_process_ops"
        if key not in stats:
            raise DataError("%s: status ok but stats.%s is missing"
                            % (where, key))
        check_number(stats[key], where, "stats." + key)
        # every number a verdict uses is checked as the per-task rate is
        if stats.get(CPU_RATE) is not None:
            check_number(stats[CPU_RATE], where, "stats." + CPU_RATE)
            if stats[CPU_RATE] == 0 and stats[key] > 0:
                _bad(where, "stats." + CPU_RATE, "is 0 while stats.%s is "
                     "%r: a run that did work had CPU time" % (key,
                                                               stats[key]))
        _check_metrics(doc, where)
        _check_pmu(doc, where)
        _check_samples(doc, where)
        _check_allocator(doc, where)


def _depth(doc):
    """Deepest nesting of lists and objects, without recursion."""
    deepest, stack = 0, [(doc, 1)]
    while stack:
        v, d = stack.pop()
        if isinstance(v, dict):
            v = list(v.values())
        elif not isinstance(v, list):
            continue
        if d > deepest:
            deepest = d
            if d > MAX_DEPTH:
                return d
        stack.extend((x, d + 1) for x in v if isinstance(x, (list, dict)))
    return deepest


def load_json_file(path, what="JSON", cap=safeio.MAX_RUN_BYTES,
                   follow=True):
    """Parse a JSON file; DataError (naming path) for anything wrong with
    it: missing, unreadable, not a regular file (a FIFO, a device), larger
    than cap, a link when follow is False, not UTF-8, malformed, truncated,
    empty, nested beyond MAX_DEPTH (100 000 '[' must not be a
    RecursionError)."""
    return parse_json(safeio.read_path(path, cap, what, follow=follow),
                      path, what)


def parse_json(raw, path, what="JSON"):
    """load_json_file's checks on bytes already read from path."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        raise DataError("%s: not UTF-8 text (%s)" % (path, e.reason))
    if not text.strip():
        raise DataError("%s: empty file (not %s)" % (path, what))
    try:
        doc = json.loads(text)
    except RecursionError:
        raise DataError("%s: nested more than %d deep (not %s)"
                        % (path, MAX_DEPTH, what))
    except json.JSONDecodeError as e:
        raise DataError("%s: malformed JSON at line %d column %d: %s%s"
                        % (path, e.lineno, e.colno, e.msg,
                           " (truncated?)" if e.pos >= len(text.rstrip())
                           else ""))
    if _depth(doc) > MAX_DEPTH:
        raise DataError("%s: nested more than %d deep (not %s)"
                        % (path, MAX_DEPTH, what))
    return doc


RUN_WHAT = "a slabscale-run result"


def load_run(path, follow=True):
    """Load and check one run document; DataError says what is wrong.
    follow=False (a file found inside a tree) refuses a link."""
    return run_from_doc(load_json_file(path, RUN_WHAT, follow=follow), path)


def run_from_doc(doc, path):
    check_doc(doc, path)
    return Run(doc, path)


def run_identity(run):
    """Copies of one run share this: its run_id, or for a document
    written before run ids existed, a digest of what it measured."""
    rid = run.doc.get("run_id")
    if isinstance(rid, str) and rid:
        return "run_id " + rid
    d = run.doc
    blob = json.dumps([d.get("case"), d.get("mode"), d.get("nr_task"),
                       d.get("variant"), d.get("start_time"),
                       d.get("samples")], sort_keys=True, default=str)
    return "samples " + hashlib.sha256(blob.encode()).hexdigest()[:16]


def warn(msg):
    sys.stderr.write("slabscale: warning: %s\n" % term(msg))


def dedupe(runs, warn=warn):
    """The runs without copies: a run whose identity (run_identity) was
    seen before is dropped with a warning naming both files."""
    seen, out = {}, []
    for r in runs:
        ident = run_identity(r)
        first = seen.setdefault(ident, r)
        if first is not r:
            warn("%s is a copy of %s (same %s): dropped, counted once"
                 % (r.path, first.path, ident.split()[0]))
            continue
        out.append(r)
    return out


# what a sweep sets aside (sweep.py _set_aside): kept, never counted
SET_ASIDE = re.compile(r"\.(attempt|interrupted)-\d+\.json$")


def run_files(root):
    """Every run document below root (sorted), skipping manifests, reports
    and the earlier attempts a sweep set aside.  A link below root is
    refused (DataError), never followed: a results tree is untrusted."""
    out = []
    for dirpath, dirnames, files in os.walk(root):
        for d in dirnames:
            if os.path.islink(os.path.join(dirpath, d)):
                raise DataError("%s: a symbolic link inside the results "
                                "tree: refused" % os.path.join(dirpath, d))
        dirnames[:] = sorted(d for d in dirnames if d != "report")
        for name in sorted(files):
            if name.endswith(".json") and name not in NOT_RUNS \
                    and not SET_ASIDE.search(name):
                out.append(os.path.join(dirpath, name))
    return out


def load_set(path, warn=warn):
    """A result set from a file or a directory tree, copies dropped."""
    if os.path.isdir(path):
        runs = [load_run(p, follow=False) for p in run_files(path)]
        if not runs:
            raise DataError("%s: no result files (*.json) found" % path)
        return dedupe(runs, warn)
    if not os.path.lexists(path):
        raise DataError("%s: no such file or directory" % path)
    return [load_run(path)]


def _num(x):
    return isinstance(x, (int, float)) and not isinstance(x, bool)


# Ops per on-CPU second per task (stats.ops_per_cpu_sec, from schedstat):
# higher is better; for the cases of metrics.WALL_TIME_CASES, whose
# iterations wait for grace periods or sleep, diagnostic (metrics.py).


def extract_metrics(doc):
    """metric name -> (value, better) for one ok run.

    The per-task ops (per_thread_ops or per_process_ops) are higher-better;
    case latencies (p50, p99, mean) and "max" metrics lower-better; PMU
    counts per op lower-better; plain counters have no direction; the
    allocator's counters as slab_metrics() names them.
    """
    out = {}
    stats = doc.get("stats") or {}
    key = "per_thread_ops" if doc.get("mode") == "threads" else "per_process_ops"
    if _num(stats.get(key)):
        out[key] = (float(stats[key]), HIGHER)
    if _num(stats.get(CPU_RATE)):
        out[CPU_RATE] = (float(stats[CPU_RATE]), HIGHER)
    for name, m in sorted((doc.get("metrics") or {}).items()):
        if not isinstance(m, dict):
            continue
        kind = m.get("kind")
        if kind == "latency":
            for q in ("p50", "p99", "mean"):
                if _num(m.get(q)) and (m.get("count") or 0) > 0:
                    out["%s.%s" % (name, q)] = (float(m[q]), LOWER)
        elif kind == "max" and _num(m.get("value")):
            out[name] = (float(m["value"]), LOWER)
        elif kind == "counter" and _num(m.get("value")):
            out[name] = (float(m["value"]), NEUTRAL)
    for ev in (doc.get("pmu") or {}).get("events") or []:
        if isinstance(ev, dict) and ev.get("status") == "ok" \
                and _num(ev.get("per_op")):
            out["pmu.%s.per_op" % ev.get("name")] = (float(ev["per_op"]), LOWER)
    out.update(slab_metrics(doc))
    return out


# ---- the allocator's counters as metrics ------------------------------------
#
# Every numeric counter of a cache's `stats` object and of an optional
# `locks` object (per cache, and at the top of a snapshot for locks that
# belong to no cache), divided by the run's iterations and, when the case
# reports a `cycles` counter, by its cycles:
#
#   slab.<counter>.per_op            summed over caches and snapshots
#   slab.locks.<path>.per_op         every cache's locks plus the top level
#   slab.<cache>.<counter>.per_op    one cache (summed over snapshots)
#   slab.<cache>.locks.<path>.per_op
#   ... .per_cycle                   the same divided by `cycles`
#
# <path> is the dotted path of a numeric leaf inside `locks` (e.g.
# locks.barn.contended).  Cache names keep [A-Za-z0-9_+-]; other
# characters become "_".  The snapshots cover the whole process, warmup
# included (docs/results-schema.md), so the divisor is every iteration the
# samples counted, warmup included, and `cycles` must be recorded the same
# way (HARNESS_ALWAYS).  analysis/README.md explains the directions.

def _leaves(obj, prefix, out):
    """Numeric leaves of a JSON object into out, as dotted paths."""
    if not isinstance(obj, dict):
        return
    for k, v in obj.items():
        path = prefix + str(k).replace(".", "_")
        if isinstance(v, dict):
            _leaves(v, path + ".", out)
        elif _num(v):
            out[path] = out.get(path, 0) + v


def slab_cache_name(name):
    return re.sub(r"[^A-Za-z0-9_+-]", "_", name)


def allocator_counters(doc):
    """(totals, per_cache) of the run's allocator counters summed over its
    snapshots: counter path -> value, cache -> {path: value}.  None when
    there is no allocator section or a snapshot is missing (a timed-out
    snapshot would make every sum short)."""
    snaps = doc.get("allocator")
    if not isinstance(snaps, list) or not snaps or \
            not all(isinstance(s, dict) for s in snaps):
        return None
    total, per_cache = {}, {}
    for snap in snaps:
        for c in snap.get("caches") or []:
            if not isinstance(c, dict) or not isinstance(c.get("name"), str):
                continue
            flat = {}
            _leaves(c.get("stats"), "", flat)
            _leaves(c.get("locks"), "locks.", flat)
            mine = per_cache.setdefault(slab_cache_name(c["name"]), {})
            for k, v in flat.items():
                mine[k] = mine.get(k, 0) + v
                total[k] = total.get(k, 0) + v
        _leaves(snap.get("locks"), "locks.", total)
    return total, per_cache


def run_divisors(doc):
    """per_op: iterations of every sample (warmup included, the scope of
    the allocator snapshots); per_cycle: the case's `cycles` counter."""
    ops = 0
    for s in doc.get("samples") or []:
        for d in (s.get("deltas") or []) if isinstance(s, dict) else []:
            if _num(d):
                ops += d
    cyc = ((doc.get("metrics") or {}).get("cycles") or {})
    cycles = cyc.get("value") if isinstance(cyc, dict) and \
        cyc.get("kind") == "counter" and _num(cyc.get("value")) else 0
    return {"per_op": ops, "per_cycle": cycles}


def slab_metrics(doc):
    """The allocator counters of one ok run as metrics (names above),
    each with the direction the run's allocator declares for it
    (metrics.py)."""
    counters = allocator_counters(doc)
    if counters is None:
        return {}
    total, per_cache = counters
    decls = declared_counters(doc)
    out = {}
    for per, div in run_divisors(doc).items():
        if not div or div <= 0:
            continue
        for path, v in total.items():
            out["slab.%s.%s" % (path, per)] = (v / div,
                                               slab_direction(path, decls))
        for cache, counts in per_cache.items():
            for path, v in counts.items():
                out["slab.%s.%s.%s" % (cache, path, per)] = (
                    v / div, slab_direction(path, decls))
    return out


def diagnostic_metric(name, case=None):
    """PMU counts and allocator counters explain a change; they never make
    a sweep fail; nor does the CPU-time rate of a wall-time case."""
    if name == CPU_RATE and case is not None and not cpu_rate_applies(case):
        return True
    return name.startswith("pmu.") or slab_metric_parts(name) is not None


def select_metrics(names, patterns=None, better=None):
    """The metrics a comparison shows.  With patterns (exact names or shell
    patterns like 'slab.maple_node.*'): those.  Without: everything except
    the allocator counters' detail, i.e. per-cache rows, counters without
    a direction (better(name) is None; without `better` every allocator
    counter counts as having none), and per-op rows whose per-cycle twin
    is there."""
    if patterns:
        return [m for m in names
                if any(fnmatch.fnmatchcase(m, p) for p in patterns)]
    have = set(names)
    out = []
    for m in names:
        parts = slab_metric_parts(m)
        if parts is not None:
            cache, path, per = parts
            if cache is not None or better is None or \
                    better(m) is NEUTRAL:
                continue
            if per == "per_op" and "slab.%s.per_cycle" % path in have:
                continue
        out.append(m)
    return out


def bucket_width(run, metric):
    """The histogram bucket width (the metric's unit) a latency
    percentile `<name>.pNN` of this run was read from, or None (a mean,
    not a latency, or a document from before the harness wrote it)."""
    base, _, q = metric.rpartition(".")
    m = (run.doc.get("metrics") or {}).get(base)
    if not isinstance(m, dict) or m.get("kind") != "latency":
        return None
    w = (m.get("bucket_width") or {}).get(q) \
        if isinstance(m.get("bucket_width"), dict) else None
    return w if _num(w) else None


def group_runs(runs):
    """group key -> list of runs (all statuses), insertion ordered."""
    groups = {}
    for r in runs:
        groups.setdefault(r.group_key(), []).append(r)
    return groups


def samples(runs, metric):
    """Values of one metric over the ok runs (failed ones never count)."""
    vals, better = [], NEUTRAL
    for r in runs:
        m = r.metrics().get(metric)
        if m is not None:
            vals.append(m[0])
            better = m[1]
    return vals, better


def check_hosts(runs, allow_mismatch=False, what="results"):
    """Refuse runs from different hosts unless allowed; return the hosts."""
    seen = {}
    for r in runs:
        ident = r.host_id()
        seen.setdefault(json.dumps(ident, sort_keys=True), (ident, r.path))
    if len(seen) > 1 and not allow_mismatch:
        items = list(seen.values())
        a, pa = items[0]
        b, pb = items[1]
        diff = ["%s: %r vs %r" % (k, a[k], b[k]) for k in a if a[k] != b[k]]
        raise DataError("%s come from different hosts (%s; e.g. %s and %s); "
                        "pass --allow-host-mismatch to compare anyway"
                        % (what, "; ".join(diff), pa, pb))
    return [v[0] for v in seen.values()]


# ---- sweep manifests (sweep.json, docs/results-layout.md) -------------------
SWEEP_SCHEMA = "slabscale-sweep"
SWEEP_SCHEMA_VERSIONS = (1,)
# running: being run (or its process died: resumable); interrupted: Ctrl-C;
# stopped: a resource error (a full disk) stopped it; complete.
# measured: every run is done, the budget or the comparison and report
# are not (a Ctrl-C came then): --resume finishes them
SWEEP_STATES = ("running", "interrupted", "stopped", "measured", "complete")
RUN_STATES = ("pending", "ok", "failed", "skipped", "interrupted")
SWEEP_ID = re.compile(r"^\d{8}T\d{6}Z-[0-9a-f]{8}(-\d+)?$")


def _str_list(val, where, field, allowed=None):
    """A non-empty list of names (safeio.NAME: they become paths and a
    program's arguments), each listed once."""
    if not isinstance(val, list) or not val:
        _bad(where, field, "is %s, not a non-empty list"
             % ("an empty list" if val == [] else _type_name(val)))
    for i, x in enumerate(val):
        if not isinstance(x, str) or not x:
            _bad(where, "%s[%d]" % (field, i), "is %s, not a name"
                 % _type_name(x))
        if not safeio.is_name(x):
            _bad(where, "%s[%d]" % (field, i), "%r is not a valid name "
                 "(letters, digits and ._+-, not starting with '.' or '-')"
                 % (x,))
        if x in val[:i]:
            _bad(where, "%s[%d]" % (field, i), "%r is listed twice" % (x,))
        if allowed and x not in allowed:
            _bad(where, "%s[%d]" % (field, i), "is %r, not one of %s"
                 % (x, ", ".join(allowed)))
    return val


def _int_field(d, field, where, lo, prefix="", hi=MAX_TASKS):
    v = _need(d, field, int, where, prefix)
    if not lo <= v <= hi:
        _bad(where, prefix + field, "is %d, not in %d..%d" % (v, lo, hi))
    return v


def _rel_file(val, where, field):
    """A path inside the sweep directory, under runs/."""
    if not isinstance(val, str) or not val:
        _bad(where, field, "is %s, not a path" % _type_name(val))
    norm = os.path.normpath(val)
    if os.path.isabs(val) or norm != val or not val.startswith("runs/") \
            or ".." in val.split("/"):
        _bad(where, field, "%r is not a path under runs/ of the sweep"
             % val)


def check_plan(plan, where, field="plan"):
    if not isinstance(plan, dict):
        _bad(where, field, "is %s, not an object" % _type_name(plan))
    p = field + "."
    variants = _str_list(plan.get("variants"), where, p + "variants")
    _str_list(plan.get("cases"), where, p + "cases")
    _str_list(plan.get("modes"), where, p + "modes", MODES)
    base = _need(plan, "baseline", str, where, p)
    if base not in variants:
        _bad(where, p + "baseline", "%r is not among the variants" % base)
    nt = plan.get("nr_task")
    if not isinstance(nt, list) or not nt:
        _bad(where, p + "nr_task", "is %s, not a non-empty list"
             % _type_name(nt))
    for i, n in enumerate(nt):
        if isinstance(n, bool) or not isinstance(n, int) \
                or not 1 <= n <= MAX_TASKS:
            _bad(where, "%snr_task[%d]" % (p, i), "is %r, not a task count"
                 % (n,))
    _int_field(plan, "repeats", where, 1, p, LIMITS["repeats"])
    _int_field(plan, "seconds", where, 1, p, LIMITS["seconds"])
    _int_field(plan, "warmup", where, 0, p, LIMITS["seconds"])
    nruns = len(variants) * len(plan["cases"]) * len(plan["modes"]) * \
        len(nt) * plan["repeats"]
    if nruns > LIMITS["runs"]:
        _bad(where, field, "asks for %d runs, more than the %d a sweep may "
             "have" % (nruns, LIMITS["runs"]))
    params = plan.get("params", {})
    if not isinstance(params, dict):
        _bad(where, p + "params", "is %s, not an object"
             % _type_name(params))
    for k, v in params.items():
        if not isinstance(v, str):
            _bad(where, "%sparams.%s" % (p, k), "is %s, not a string"
                 % _type_name(v))
    ev = plan.get("events", [])
    if not isinstance(ev, list) or not all(isinstance(e, str) for e in ev):
        _bad(where, p + "events", "is not a list of event names")
    if "nodes" in plan:
        _int_field(plan, "nodes", where, 1, p, 8)
    mem = plan.get("memoryless")
    if mem is not None and (not isinstance(mem, str) or "nodes" not in plan
                            or not all(c in "0123456789,-" for c in mem)):
        _bad(where, p + "memoryless", "is not a node list of a plan with "
             "nodes")


def check_manifest(m, where):
    """Refuse a sweep.json that this reader cannot use safely: one
    DataError naming the file and the field."""
    if not isinstance(m, dict):
        raise DataError("%s: not a JSON object (not a sweep manifest)"
                        % where)
    if m.get("schema") != SWEEP_SCHEMA:
        raise DataError("%s: schema is %r, expected %r (not a sweep "
                        "manifest)" % (where, m.get("schema"), SWEEP_SCHEMA))
    ver = m.get("schema_version")
    if ver not in SWEEP_SCHEMA_VERSIONS or isinstance(ver, bool):
        raise DataError("%s: schema_version %r is not one this reader knows "
                        "(%s)" % (where, ver, ", ".join(
                            map(str, SWEEP_SCHEMA_VERSIONS))))
    sid = _need(m, "id", str, where)
    if not SWEEP_ID.match(sid):
        _bad(where, "id", "%r is not a sweep id" % sid)
    host = _need(m, "host", str, where)
    if not safeio.is_name(host):
        _bad(where, "host", "%r is not a host directory name" % host)
    state = _need(m, "state", str, where)
    if state not in SWEEP_STATES:
        _bad(where, "state", "is %r, not one of %s"
             % (state, ", ".join(SWEEP_STATES)))
    check_plan(m.get("plan"), where)
    plan = m["plan"]
    ph = m.get("plan_hash")
    if not isinstance(ph, str) or not re.match(r"^[0-9a-f]{8,64}$", ph):
        _bad(where, "plan_hash", "is not a hash")
    runs = m.get("runs")
    if not isinstance(runs, list):
        if "runs" not in m:
            raise DataError("%s: missing field 'runs'" % where)
        _bad(where, "runs", "is %s, not a list" % _type_name(runs))
    # repeats a --budget added (sweep.py) go past the plan's
    extra = 0
    if m.get("budget") is not None:
        b = m["budget"]
        if not isinstance(b, dict):
            _bad(where, "budget", "is %s, not an object" % _type_name(b))
        for k, hi in (("added", LIMITS["runs"]), ("runs", LIMITS["count"]),
                      ("seconds", LIMITS["seconds"]),
                      ("elapsed", LIMITS["seconds"] * 2),
                      ("rounds", LIMITS["runs"])):
            v = b.get(k)
            if v is None and k != "added":
                continue
            if isinstance(v, bool) or not isinstance(v, (int, float)) \
                    or not 0 <= v <= hi:
                _bad(where, "budget." + k, "is %r, not a count" % (v,))
        extra = int(b["added"])
    files = set()
    for i, r in enumerate(runs):
        f = "runs[%d]." % i
        if not isinstance(r, dict):
            _bad(where, "runs[%d]" % i, "is %s, not an object"
                 % _type_name(r))
        for k, allowed in (("variant", plan["variants"]),
                           ("case", plan["cases"]),
                           ("mode", plan["modes"])):
            v = _need(r, k, str, where, f)
            if v not in allowed:
                _bad(where, f + k, "%r is not in the plan's %ss" % (v, k))
        _int_field(r, "nr_task", where, 1, f)
        rep = r.get("repeat")
        if isinstance(rep, bool) or not isinstance(rep, int) \
                or not 0 <= rep < plan["repeats"] + extra:
            _bad(where, f + "repeat", "is %r, not a repeat of the plan"
                 % (rep,))
        st = _need(r, "status", str, where, f)
        if st not in RUN_STATES:
            _bad(where, f + "status", "is %r, not one of %s"
                 % (st, ", ".join(RUN_STATES)))
        _rel_file(r.get("file"), where, f + "file")
        if not r["file"].endswith(".json"):
            _bad(where, f + "file", "%r is not a .json file" % r["file"])
        if r["file"] in files:
            _bad(where, f + "file", "%r is listed twice" % r["file"])
        files.add(r["file"])
        if "log" in r:
            _rel_file(r["log"], where, f + "log")
        att = r.get("attempts", 0)
        if isinstance(att, bool) or not isinstance(att, int) or att < 0:
            _bad(where, f + "attempts", "is %r, not a count" % (att,))
        msg = r.get("message")
        if msg is not None and not isinstance(msg, str):
            _bad(where, f + "message", "is %s, not a string"
                 % _type_name(msg))
    return m


def load_manifest(path):
    """Load and check a sweep.json; DataError names file and field."""
    return check_manifest(load_json_file(path, "a sweep manifest",
                                         safeio.MAX_MANIFEST_BYTES), path)
