"""Loading and checking slabscale-run JSON documents (docs/results-schema.md).

A *run* is one document.  A *result set* is a list of runs, loaded from a
file, a directory (recursively) or a sweep.  Runs whose status is not "ok"
are kept (so they can be reported) but never contribute samples.
"""

import fnmatch
import json
import os
import re

from . import SCHEMA, KNOWN_SCHEMA_VERSIONS
from .errors import DataError

STATUSES = ("ok", "interrupted", "failed", "skipped")
MODES = ("threads", "processes")
# Files in a results directory that are not run documents.
NOT_RUNS = ("sweep.json", "compare.json", "bisect.json", "plan.json")

HIGHER = "higher"
LOWER = "lower"
NEUTRAL = None          # no "better" direction: changes are only "changed"


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
        self._metrics = None

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


def host_identity(host):
    """The host fields that must agree for two runs to be comparable."""
    return {k: host.get(k) for k in ("hostname", "cpu_model", "nr_cpus", "arch")}


def _need(doc, field, types, where):
    if field not in doc:
        raise DataError("%s: missing field '%s'" % (where, field))
    val = doc[field]
    if not isinstance(val, types) or isinstance(val, bool):
        raise DataError("%s: field '%s' has the wrong type (%s)"
                        % (where, field, type(val).__name__))
    return val


def check_doc(doc, where):
    """Refuse anything that is not a schema-v1 slabscale-run document."""
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
    _need(doc, "case", str, where)
    mode = _need(doc, "mode", str, where)
    if mode not in MODES:
        raise DataError("%s: unknown mode %r" % (where, mode))
    nr = _need(doc, "nr_task", int, where)
    if nr < 1:
        raise DataError("%s: nr_task %d < 1" % (where, nr))
    _need(doc, "variant", str, where)
    host = _need(doc, "host", dict, where)
    if not isinstance(host.get("hostname"), str):
        raise DataError("%s: host.hostname missing" % where)
    if status == "ok":
        stats = _need(doc, "stats", dict, where)
        key = "per_thread_ops" if mode == "threads" else "per_process_ops"
        val = stats.get(key)
        if not isinstance(val, (int, float)) or isinstance(val, bool):
            raise DataError("%s: status ok but stats.%s is missing or not a "
                            "number" % (where, key))


def load_run(path):
    """Load and check one run document; DataError says what is wrong."""
    try:
        with open(path, encoding="utf-8") as f:
            doc = json.load(f)
    except FileNotFoundError:
        raise DataError("%s: no such file" % path)
    except UnicodeDecodeError as e:
        raise DataError("%s: not UTF-8 text (%s)" % (path, e.reason))
    except json.JSONDecodeError as e:
        raise DataError("%s: malformed JSON at line %d column %d: %s"
                        % (path, e.lineno, e.colno, e.msg))
    except OSError as e:
        raise DataError("%s: %s" % (path, e.strerror))
    check_doc(doc, path)
    return Run(doc, path)


def run_files(root):
    """Every run document below root (sorted), skipping manifests/reports."""
    out = []
    for dirpath, dirnames, files in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if d != "report")
        for name in sorted(files):
            if name.endswith(".json") and name not in NOT_RUNS:
                out.append(os.path.join(dirpath, name))
    return out


def load_set(path):
    """A result set from a file or a directory tree."""
    if os.path.isfile(path):
        return [load_run(path)]
    if not os.path.isdir(path):
        raise DataError("%s: no such file or directory" % path)
    runs = [load_run(p) for p in run_files(path)]
    if not runs:
        raise DataError("%s: no result files (*.json) found" % path)
    return runs


def _num(x):
    return isinstance(x, (int, float)) and not isinstance(x, bool)


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

# Work off the fast path: lower is better.
SLAB_LOWER = frozenset((
    "alloc_slowpath", "free_slowpath", "free_rcu_sheaf_fail",
    "free_add_partial", "free_remove_partial", "alloc_from_partial",
    "alloc_slab", "alloc_refill", "alloc_node_mismatch", "free_slab",
    "cpuslab_flush", "deactivate_full", "deactivate_empty",
    "deactivate_to_head", "deactivate_to_tail", "deactivate_remote_frees",
    "deactivate_bypass", "order_fallback", "cmpxchg_double_cpu_fail",
    "cmpxchg_double_fail", "cpu_partial_alloc", "cpu_partial_free",
    "cpu_partial_node", "cpu_partial_drain", "sheaf_flush", "sheaf_refill",
    "sheaf_alloc", "sheaf_free", "barn_get", "barn_get_fail", "barn_put",
    "barn_put_fail", "sheaf_prefill_slow", "sheaf_prefill_oversize",
    "sheaf_return_slow", "pcs_trylock_fail", "nolock_alloc_fail",
    "nolock_free_deferred"))
# Fast-path hits and plain operation counts: no direction.
SLAB_NEUTRAL = frozenset((
    "alloc_fastpath", "alloc_pcs", "free_fastpath", "free_pcs",
    "free_rcu_sheaf", "free_frozen", "sheaf_prefill_fast",
    "sheaf_return_fast"))
# A counter this reader does not know yet is lower-better if its name says
# it is off the fast path.
_SLOW_WORDS = ("slow", "fail", "refill", "flush", "partial", "barn",
               "contended", "wait", "lock", "deactivate", "drain",
               "fallback", "oversize", "deferred")
SLAB_PER = ("per_op", "per_cycle")


def slab_direction(path):
    """Better direction of one allocator counter: a `stats` name, or a
    `locks.` path (acquisitions, contention, wait: all lower-better)."""
    if path.startswith("locks."):
        return LOWER
    if path in SLAB_NEUTRAL:
        return NEUTRAL
    if path in SLAB_LOWER or any(w in path for w in _SLOW_WORDS):
        return LOWER
    return NEUTRAL


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
    """The allocator counters of one ok run as metrics (names above)."""
    counters = allocator_counters(doc)
    if counters is None:
        return {}
    total, per_cache = counters
    out = {}
    for per, div in run_divisors(doc).items():
        if not div or div <= 0:
            continue
        for path, v in total.items():
            out["slab.%s.%s" % (path, per)] = (v / div, slab_direction(path))
        for cache, counts in per_cache.items():
            for path, v in counts.items():
                out["slab.%s.%s.%s" % (cache, path, per)] = (
                    v / div, slab_direction(path))
    return out


def slab_metric_parts(name):
    """(cache or None for a sum, counter path, per_op/per_cycle) of an
    allocator metric name; None for any other metric."""
    if not name.startswith("slab."):
        return None
    body, _, per = name[len("slab."):].rpartition(".")
    if per not in SLAB_PER or not body:
        return None
    if body.startswith("locks.") or "." not in body:
        return None, body, per
    cache, _, path = body.partition(".")
    return cache, path, per


def diagnostic_metric(name):
    """PMU counts and allocator counters explain a change; they never make
    a sweep fail."""
    return name.startswith("pmu.") or slab_metric_parts(name) is not None


def select_metrics(names, patterns=None):
    """The metrics a comparison shows.  With patterns (exact names or shell
    patterns like 'slab.maple_node.*'): those.  Without: everything except
    the allocator counters' detail, i.e. per-cache rows, counters without
    a direction, and per-op rows whose per-cycle twin is there."""
    if patterns:
        return [m for m in names
                if any(fnmatch.fnmatchcase(m, p) for p in patterns)]
    have = set(names)
    out = []
    for m in names:
        parts = slab_metric_parts(m)
        if parts is not None:
            cache, path, per = parts
            if cache is not None or slab_direction(path) is NEUTRAL:
                continue
            if per == "per_op" and "slab.%s.per_cycle" % path in have:
                continue
        out.append(m)
    return out


def primary_metric(mode):
    return "per_thread_ops" if mode == "threads" else "per_process_ops"


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
