"""Sweep plans: what to run.  From options or a small plan file.

Plan file (JSON object, or lines of `key = value`; lists comma separated;
`#` starts a comment):

    cases     = page_fault3_slab, cache_destroy
    variants  = cpuslab, sheaves-all     # the first is the baseline
    nr_task   = 1, 2                     # "all" = every online CPU
    nr_task_max = cpus                   # clamp nr_task to the CPUs (or N)
    modes     = threads
    repeats   = 5
    seconds   = 5
    warmup    = 1
    params    = bg_caches=100
    nodes     = 2                        # topology (default: the machine's)
    memoryless = 1                       # nodes without memory (with nodes)
"""

import hashlib
import json
import os

from . import layout, safeio
from .errors import UserError
from .results import check_plan

MISSION_CASES = ["page_fault3_slab", "cache_destroy", "kvfree_rcu_barrier"]
KEYS = ("cases", "variants", "baseline", "nr_task", "nr_task_max", "modes",
        "repeats", "seconds", "warmup", "params", "events", "nodes",
        "memoryless")
MAX_NODES = 8   # the allocator's MAX_NUMNODES


def _ints(vals, what):
    out = []
    for v in vals:
        if str(v) == "all":
            out.append(os.cpu_count() or 1)
            continue
        try:
            n = int(v)
        except (TypeError, ValueError):
            raise UserError("%s: %r is not a number" % (what, v))
        if n < 1:
            raise UserError("%s: %d must be >= 1" % (what, n))
        out.append(n)
    return sorted(set(out))


def _list(v):
    if isinstance(v, list):
        return [str(x).strip() for x in v if str(x).strip()]
    return [x.strip() for x in str(v).split(",") if x.strip()]


def _names(vals, what):
    """vals without repeats, each a name (safeio.NAME): plan names become
    paths and a program's arguments."""
    out = []
    for v in vals:
        safeio.check_name(v, "plan: %s" % what)
        if v not in out:
            out.append(v)
    return out


def normalise(raw):
    """Check a raw plan dict and fill defaults; UserError names the key."""
    unknown = sorted(set(raw) - set(KEYS))
    if unknown:
        raise UserError("plan: unknown key(s) %s (known: %s)"
                        % (", ".join(unknown), ", ".join(KEYS)))
    p = {}
    # a case listed twice would be measured twice and make a manifest the
    # reader refuses: once, in the order first given
    p["cases"] = _names(_list(raw.get("cases", MISSION_CASES)), "case")
    p["variants"] = _list(raw.get("variants", []))
    if not p["cases"]:
        raise UserError("plan: no cases")
    if not p["variants"]:
        raise UserError("plan: no variants")
    if len(set(p["variants"])) != len(p["variants"]):
        raise UserError("plan: a variant is listed twice")
    _names(p["variants"], "variant")
    p["baseline"] = str(raw.get("baseline") or p["variants"][0])
    if p["baseline"] not in p["variants"]:
        raise UserError("plan: baseline %r is not among the variants %s"
                        % (p["baseline"], ", ".join(p["variants"])))
    p["nr_task"] = _ints(_list(raw.get("nr_task", ["1", "all"])), "nr_task")
    cap = raw.get("nr_task_max")
    if cap is not None and str(cap).strip():
        # a plan written for a big machine runs unchanged on a small one:
        # task counts above the cap become the cap (and merge)
        cpus = os.cpu_count() or 1
        lim = _ints([cpus if str(cap).strip() == "cpus" else cap],
                    "nr_task_max")[0]
        p["nr_task"] = sorted({min(n, lim) for n in p["nr_task"]})
        p["nr_task_max"] = lim
    p["modes"] = _names(_list(raw.get("modes", ["threads"])), "mode")
    for m in p["modes"]:
        if m not in ("threads", "processes"):
            raise UserError("plan: mode %r is not threads or processes" % m)
    for k, d, lo in (("repeats", 5, 1), ("seconds", 5, 1), ("warmup", 1, 0)):
        try:
            p[k] = int(raw.get(k, d))
        except (TypeError, ValueError):
            raise UserError("plan: %s %r is not a number" % (k, raw.get(k)))
        if p[k] < lo:
            raise UserError("plan: %s must be >= %d" % (k, lo))
    params = raw.get("params", {})
    if not isinstance(params, dict):
        items = _list(params)
        params = {}
        for it in items:
            if "=" not in it:
                raise UserError("plan: param %r is not name=value" % it)
            k, v = it.split("=", 1)
            params[k.strip()] = v.strip()
    p["params"] = {str(k): str(v) for k, v in sorted(params.items())}
    for k in p["params"]:
        c, sep, name = k.rpartition(":")
        # 'case:name' for a case the plan does not run would be dropped
        # without a word
        if sep and c not in p["cases"]:
            raise UserError("plan: param %r names case %r, which the plan "
                            "does not run (cases: %s)" % (
                                k, c, ", ".join(p["cases"])))
        if not name:
            raise UserError("plan: param %r has no name" % k)
    ev = raw.get("events")
    p["events"] = _list(ev) if ev else []
    _topology(raw, p)
    # the limits the manifest reader will hold it to, checked before
    # anything is created (a sweep must be able to read its own manifest)
    check_plan(p, "plan", "the plan")
    return p


def _topology(raw, p):
    """nodes (1..8) and memoryless (node ids below nodes, "1", "1,3",
    "2-5", leaving one with memory); only keys that are set go into the
    plan, so a plan without them keeps the machine's topology (and its
    hash)."""
    nodes, mem = raw.get("nodes"), raw.get("memoryless")
    if nodes is None or not str(nodes).strip():
        if mem is not None and str(mem).strip():
            raise UserError("plan: memoryless needs nodes")
        return
    try:
        n = int(str(nodes).strip())
    except ValueError:
        raise UserError("plan: nodes %r is not a number" % nodes)
    if not 1 <= n <= MAX_NODES:
        raise UserError("plan: nodes %d is not in 1..%d" % (n, MAX_NODES))
    p["nodes"] = n
    if mem is None or not str(mem).strip():
        return
    ids = set()
    for part in str(mem).replace(" ", "").split(","):
        a, _, b = part.partition("-")
        try:
            lo, hi = int(a), int(b if b else a)
        except ValueError:
            raise UserError("plan: memoryless %r: expected node ids like "
                            "1 or 1,3 or 2-5" % mem)
        if lo > hi or hi >= n or lo < 0:
            raise UserError("plan: memoryless %r: nodes are 0..%d"
                            % (mem, n - 1))
        ids.update(range(lo, hi + 1))
    if len(ids) == n:
        raise UserError("plan: memoryless %r leaves no node with memory"
                        % mem)
    p["memoryless"] = ",".join(str(i) for i in sorted(ids))


def parse_plan_text(text, where="plan"):
    s = text.strip()
    if s.startswith("{"):
        try:
            raw = json.loads(s)
        except ValueError as e:
            raise UserError("%s: malformed JSON: %s" % (where, e))
        if not isinstance(raw, dict):
            raise UserError("%s: not a JSON object" % where)
        return raw
    raw = {}
    for n, line in enumerate(text.splitlines(), 1):
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        if "=" not in line:
            raise UserError("%s:%d: expected 'key = value'" % (where, n))
        k, v = line.split("=", 1)
        k = k.strip()
        if k in raw and k == "params":
            raw[k] += "," + v.strip()
        else:
            raw[k] = v.strip()
    return raw


def load_plan_file(path):
    try:
        with open(path, encoding="utf-8") as f:
            return parse_plan_text(f.read(), path)
    except OSError as e:
        raise UserError("%s: %s" % (path, e.strerror))


def plan_hash(plan):
    s = json.dumps(plan, sort_keys=True).encode()
    return hashlib.sha256(s).hexdigest()


def schedule(plan):
    """Every run of the plan in order: repeats outermost, variants innermost,
    so the variants alternate (A B A B ...) and machine drift spreads over
    all of them instead of masquerading as a difference."""
    out = []
    for r in range(plan["repeats"]):
        for case in plan["cases"]:
            for mode in plan["modes"]:
                for t in plan["nr_task"]:
                    for v in plan["variants"]:
                        out.append({"variant": v, "case": case, "mode": mode,
                                    "nr_task": t, "repeat": r})
    return out


def read_variants_list(path=None):
    """The variant names of a variants list (default: the repository's
    allocator/variants.list), oldest first: one a line, "#" starts a
    comment.  Every Python reader of the list goes through here."""
    if path is None:
        path = layout.variants_list_path()
    try:
        with open(path, encoding="utf-8") as f:
            text = f.read()
    except OSError as e:
        raise UserError("%s: %s" % (path, e.strerror))
    out = []
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            out.append(line)
    return out
