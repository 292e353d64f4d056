"""Loading and checking slabscale-run JSON documents (docs/results-schema.md).

A *run* is one document.  A *result set* is a list of runs, loaded from a
file, a directory (recursively) or a sweep.  Runs whose status is not "ok"
are kept (so they can be reported) but never contribute samples.
"""

import json
import os

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
        return extract_metrics(self.doc) if self.ok else {}


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
    counts per op lower-better; plain counters have no direction.
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
