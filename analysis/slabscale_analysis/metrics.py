"""The metric registry: what every metric a run emits means.

For each metric name a run document gives (results.extract_metrics), one
MetricInfo: its unit, its better direction (HIGHER, LOWER or NEUTRAL),
its role and its family.

  role      PRIMARY     per_thread_ops / per_process_ops: the row's verdict
            GATING      decides the exit status too: the CPU-time rate of a
                        CPU-bound case, case latencies, "max" metrics
            DIAGNOSTIC  explains a change, never gates: PMU counts, the
                        allocator's counters, case counters, the CPU-time
                        rate of a wall-time case
  family    metrics that move for one cause: a latency's mean, p50 and
            p99 and those of its per-kind splits (destroy_latency and
            destroy_latency_rcu, _plain, ...); the two rates of a row; one
            allocator counter per op and per cycle, summed or per cache

Where the units and directions come from: the harness's own metrics are
fixed by docs/results-schema.md (the rates, PMU counts per op); a case's
metrics carry their unit in the document (`metrics.<name>.unit`); the
allocator declares its counters once in C (allocator/include/slab.h,
SLAB_STAT_ITEMS and SLAB_LOCK_FIELDS) and every run carries that table
(`allocator_counters`), so a counter added there arrives here with its
unit and direction and no edit of this file.  A counter a document does
not declare (documents from before the table) has no direction and the
unit "count".

Pure functions over documents; nothing here reads files.
"""

import re

HIGHER = "higher"
LOWER = "lower"
NEUTRAL = None          # no "better" direction: changes are only "changed"

PRIMARY = "primary"
GATING = "gating"
DIAGNOSTIC = "diagnostic"
ROLES = (PRIMARY, GATING, DIAGNOSTIC)

CPU_RATE = "ops_per_cpu_sec"
SLAB_PER = ("per_op", "per_cycle")
LATENCY_QS = ("p50", "mean", "p99")
_BETTER = {"lower": LOWER, "higher": HIGHER, "none": NEUTRAL}

# Cases whose iterations wait (grace periods, sleeps): wall time is the
# point, so their CPU-time rate is diagnostic.  cases/README.md has the
# same table (a test keeps the two equal).
WALL_TIME_CASES = {
    "cache_destroy": "the destroy waits for rcu_barrier and liburcu's "
                     "callback worker",
    "kvfree_rcu_barrier": "each barrier waits for grace periods",
    "kmod_stress": "module unload waits for RCU barriers",
}


def cpu_rate_applies(case):
    return case not in WALL_TIME_CASES


def primary_metric(mode):
    return "per_thread_ops" if mode == "threads" else "per_process_ops"


class MetricInfo:
    """What one metric is.  label: its name within its family (the
    sub-row an alert counts, e.g. "rcu p50" in destroy_latency)."""

    __slots__ = ("name", "unit", "better", "role", "family", "label", "what")

    def __init__(self, name, unit, better, role, family, label=None,
                 what=""):
        self.name = name
        self.unit = unit
        self.better = better
        self.role = role
        self.family = family
        self.label = label or name
        self.what = what

    @property
    def gating(self):
        return self.role in (PRIMARY, GATING)

    def as_dict(self):
        return {k: getattr(self, k) for k in self.__slots__}

    def __repr__(self):
        return "MetricInfo(%s)" % ", ".join(
            "%s=%r" % (k, getattr(self, k)) for k in self.__slots__)


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


def declared_counters(doc):
    """{"stats": {name: decl}, "locks": {field: decl}} from a document's
    allocator_counters (empty where it has none)."""
    ac = doc.get("allocator_counters") if isinstance(doc, dict) else None
    out = {"stats": {}, "locks": {}}
    if not isinstance(ac, dict):
        return out
    for group in out:
        g = ac.get(group)
        if isinstance(g, dict):
            for k, v in g.items():
                if isinstance(v, dict):
                    out[group][str(k)] = v
    return out


def counter_decl(path, decls):
    """The declaration of one allocator counter path ("barn_get", or
    "locks.<class>.<field>"), or None."""
    if path.startswith("locks."):
        return decls["locks"].get(path.rpartition(".")[2])
    return decls["stats"].get(path)


def slab_direction(path, decls):
    d = counter_decl(path, decls)
    return _BETTER.get(d.get("better"), NEUTRAL) if d else NEUTRAL


def _slab_info(name, parts, decls):
    cache, path, per = parts
    d = counter_decl(path, decls) or {}
    unit = "%s/%s" % (d.get("unit") or "count",
                      "op" if per == "per_op" else "cycle")
    return MetricInfo(name, unit, _BETTER.get(d.get("better"), NEUTRAL),
                      DIAGNOSTIC, "slab." + path,
                      "%s%s" % (cache + " " if cache else "", per),
                      d.get("what") or "")


def latency_family(base, latency_names):
    """The family of latency `base`: the shortest other latency name it
    extends with "_" (destroy_latency_rcu -> destroy_latency), else
    itself."""
    best = base
    for n in latency_names:
        if n != base and base.startswith(n + "_") and len(n) < len(best):
            best = n
    return best


def describe(name, doc, decls=None):
    """MetricInfo of one metric of one run document (names as
    results.extract_metrics gives them)."""
    case = doc.get("case")
    mode = doc.get("mode")
    if name in ("per_thread_ops", "per_process_ops"):
        return MetricInfo(name, "ops/s", HIGHER, PRIMARY, "rate",
                          name, "operations per second per task")
    if name == CPU_RATE:
        return MetricInfo(name, "ops/CPU-s", HIGHER,
                          GATING if cpu_rate_applies(case) else DIAGNOSTIC,
                          "rate", name,
                          "operations per on-CPU second per task")
    if name.startswith("pmu.") and name.endswith(".per_op"):
        ev = name[4:-7]
        return MetricInfo(name, "%s/op" % ev, LOWER, DIAGNOSTIC, "pmu", ev,
                          "PMU count per operation")
    parts = slab_metric_parts(name)
    if parts is not None:
        return _slab_info(name, parts,
                          decls if decls is not None
                          else declared_counters(doc))
    mets = doc.get("metrics") or {}
    base, dot, q = name.rpartition(".")
    m = mets.get(base) if dot else None
    if isinstance(m, dict) and m.get("kind") == "latency":
        lats = [k for k, v in mets.items()
                if isinstance(v, dict) and v.get("kind") == "latency"]
        fam = latency_family(base, lats)
        sub = base[len(fam) + 1:] if fam != base else ""
        return MetricInfo(name, str(m.get("unit") or "ns"), LOWER, GATING,
                          fam, (sub + " " + q).strip(),
                          "latency %s" % q)
    m = mets.get(name)
    if isinstance(m, dict) and m.get("kind") == "max":
        return MetricInfo(name, str(m.get("unit") or "count"), LOWER, GATING,
                          name, name, "largest value of the run")
    unit = str(m.get("unit") or "count") if isinstance(m, dict) else "count"
    return MetricInfo(name, unit, NEUTRAL, DIAGNOSTIC, name, "count",
                      "case counter")


def run_registry(doc, names):
    """{name: MetricInfo} for the given metric names of one document."""
    decls = declared_counters(doc)
    return {n: describe(n, doc, decls) for n in names}


class Registry:
    """MetricInfo by name over many runs: the first run that has a metric
    describes it, except that an allocator counter takes its declaration
    from whichever run declares it (older documents do not)."""

    def __init__(self):
        self.info = {}

    def add_run(self, run):
        for n, mi in run.metric_info().items():
            old = self.info.get(n)
            if old is None or (old.role == DIAGNOSTIC and old.better is None
                               and mi.better is not None):
                self.info[n] = mi
        return self

    @classmethod
    def of(cls, runs):
        reg = cls()
        for r in runs:
            reg.add_run(r)
        return reg

    def get(self, name):
        mi = self.info.get(name)
        if mi is None:
            mi = MetricInfo(name, "count", NEUTRAL, DIAGNOSTIC, name)
        return mi

    def __contains__(self, name):
        return name in self.info

    def names(self):
        return list(self.info)


def family_order(name):
    """Sort key of a metric inside its family: the family's own p50, mean,
    p99 first, then the splits."""
    base, _, q = name.rpartition(".")
    return (base.count("_"), LATENCY_QS.index(q) if q in LATENCY_QS else 9,
            name)


_SAFE_UNIT = re.compile(r"^[A-Za-z0-9/_%.+-]{1,24}$")


def safe_unit(u):
    """A unit as shown (from documents: anything odd becomes "?")."""
    return u if isinstance(u, str) and _SAFE_UNIT.match(u) else "?"
