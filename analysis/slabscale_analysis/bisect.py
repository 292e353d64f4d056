"""slabscale bisect between variants of allocator/variants.list.

The search (bisect_variants) is pure: it asks measure(variant, n) for n more
values of the metric and decides with significance.compare_samples.  A comparison
is Pinpoint-style: a regression verdict means DIFFERENT, no change or an
improvement means SAME, inconclusive adds repeats to both sides (doubling
the total) and asks again, up to max_repeats per side, after which the
answer stays UNKNOWN.

  1. good vs bad must be DIFFERENT (a regression in the known-bad
     direction), else "not bisectable: endpoints do not differ" -- or, if
     every run of a side failed, "not bisectable: no run of X counted"
     (a variant or midpoint with no value at all says the same).
  2. Binary search keeps lo (good) < hi (bad).  A midpoint is decided
     against both ends (classify_mid): it joins the side it is not told
     apart from when the other side is clear (DIFFERENT, or SAME against
     UNKNOWN: noted as decided by the clear side); DIFFERENT from both ->
     bad (the change is spread over several variants: noted, the first
     step is followed); SAME or UNKNOWN against both -> "not bisectable:
     the signal fades".
  3. The first bad variant is hi; the evidence is the compare of
     variants[hi-1] against variants[hi].
"""

import datetime
import os

from . import layout, plan as planmod, runner, safeio, significance, table
from .errors import ResourceError, UserError
from .results import HIGHER, LOWER, load_run, primary_metric
from .suggest import did_you_mean
from .textsafe import term, term_lines

DIFFERENT, SAME, UNKNOWN = "different", "same", "unknown"
NO_RUNS = "no runs"     # a side has no value at all: every run failed


class Samples:
    """Collected values per variant; measure() is called for more."""

    def __init__(self, measure, log):
        self.measure = measure
        self.vals = {}
        self.log = log

    def get(self, v, n):
        have = self.vals.setdefault(v, [])
        if len(have) < n:
            have.extend(self.measure(v, n - len(have)))
        return have

    def pair(self, a, b, n):
        """Bring a and b to n values each, one run of each in turn
        (A B A B ...), so drift of the machine hits both sides alike.  A run
        that fails yields no value; each side gets at most 2n attempts."""
        va, vb = self.vals.setdefault(a, []), self.vals.setdefault(b, [])
        tries = {a: 0, b: 0}
        while True:
            short = [(v, l) for v, l in ((a, va), (b, vb))
                     if len(l) < n and tries[v] < 2 * n]
            if not short:
                return va, vb
            for v, l in short:
                tries[v] += 1
                l.extend(self.measure(v, 1))


def decide(smp, a, b, better, start, cap, min_effect, alpha):
    """(DIFFERENT/SAME/UNKNOWN, compare result) for a (good side) vs b;
    NO_RUNS when a side has no value at all (every run of it failed)."""
    n = start
    while True:
        va, vb = smp.pair(a, b, n)
        res = significance.compare_samples(va, vb, better, min_effect, alpha)
        if not va or not vb:
            return NO_RUNS, res
        v = res["verdict"]
        if v == significance.REGRESSION or (better is None and v == significance.CHANGED):
            return DIFFERENT, res
        if v in (significance.NO_CHANGE, significance.IMPROVEMENT):
            return SAME, res
        if n >= cap:
            return UNKNOWN, res
        n = min(cap, 2 * n)
        smp.log("bisect: %s vs %s inconclusive (%s); %d repeats each"
                % (a, b, res["reason"], n))


def classify_mid(dg, db):
    """(side, note) for a midpoint from its decisions against the good end
    (dg) and the bad end (db).  side is "good", "bad" or None (the signal
    fades: told apart from neither end, or inconclusive against both).

      dg \\ db   DIFFERENT      SAME   UNKNOWN
      DIFFERENT  bad (spread)   bad    bad (clear side)
      SAME       good           None   good (clear side)
      UNKNOWN    good (clear)   bad (clear side)  None
    """
    if dg == DIFFERENT:
        return "bad", {DIFFERENT: "spread", SAME: None,
                       UNKNOWN: "clear side"}[db]
    if db == DIFFERENT:
        return "good", None if dg == SAME else "clear side"
    if dg == SAME and db == UNKNOWN:
        return "good", "clear side"
    if dg == UNKNOWN and db == SAME:
        return "bad", "clear side"
    return None, None


def bisect_variants(variants, good, bad, measure, better=HIGHER, start=5,
                    cap=20, min_effect=significance.MIN_EFFECT, alpha=significance.ALPHA,
                    log=lambda s: None):
    """Returns a dict: first_bad (or None), verdict text, steps, evidence."""
    if good not in variants or bad not in variants:
        missing = [v for v in (good, bad) if v not in variants]
        raise UserError("bisect: %s not in the variants list (%s)"
                        % (", ".join(missing), ", ".join(variants)))
    lo, hi = variants.index(good), variants.index(bad)
    if lo >= hi:
        raise UserError("bisect: good variant %s must come before bad "
                        "variant %s in the variants list" % (good, bad))
    smp = Samples(measure, log)
    steps, notes = [], []
    def no_runs(names, ev):
        empty = [v for v in names if not smp.vals.get(v)]
        return {"first_bad": None, "steps": steps, "evidence": ev,
                "notes": notes, "counted": {v: len(smp.vals.get(v, []))
                                            for v in names},
                "verdict": "not bisectable: no run of %s counted (every "
                "run failed; see the messages above)" % " or ".join(empty)}

    d, res = decide(smp, good, bad, better, start, cap, min_effect, alpha)
    steps.append({"a": good, "b": bad, "decision": d, "result": res})
    log("bisect: %s vs %s: %s (%s)" % (good, bad, d, res["reason"]))
    if d == NO_RUNS:
        return no_runs((good, bad), res)
    if d != DIFFERENT:
        if res["verdict"] == "improvement":
            # they differ, the other way: say so rather than "no
            # difference", which a user would read as a null result
            why = ("the endpoints differ the other way: %s is better than "
                   "%s on this metric (improvement: %s), so there is no "
                   "regression between them to bisect" % (
                       bad, good, res["reason"]))
        else:
            why = ("the endpoints %s and %s do not differ significantly "
                   "(%s: %s)" % (good, bad, res["verdict"], res["reason"]))
        return {"first_bad": None, "steps": steps, "evidence": res,
                "notes": notes, "verdict": "not bisectable: " + why}
    while hi - lo > 1:
        mid = (lo + hi) // 2
        m = variants[mid]
        dg, rg = decide(smp, variants[lo], m, better, start, cap,
                        min_effect, alpha)
        db, rb = (NO_RUNS, rg) if dg == NO_RUNS else decide(
            smp, m, variants[hi], better, start, cap, min_effect, alpha)
        steps.append({"a": variants[lo], "b": m, "decision": dg,
                      "result": rg})
        steps.append({"a": m, "b": variants[hi], "decision": db,
                      "result": rb})
        log("bisect: %s: vs good %s %s, vs bad %s %s"
            % (m, variants[lo], dg, variants[hi], db))
        if NO_RUNS in (dg, db):
            return no_runs((variants[lo], m, variants[hi]), rg)
        side, why = classify_mid(dg, db)
        if why == "spread":
            notes.append("%s differs from both %s and %s: the change is "
                         "spread over several variants; following the "
                         "first" % (m, variants[lo], variants[hi]))
        elif why == "clear side":
            notes.append("%s: %s against %s but %s against %s at the cap of "
                         "runs; decided %s by the clear side"
                         % (m, dg, variants[lo], db, variants[hi], side))
        if side == "bad":
            hi = mid
        elif side == "good":
            lo = mid
        else:
            return {"first_bad": None, "steps": steps, "evidence": rg,
                    "notes": notes,
                    "verdict": "not bisectable: the signal fades at %s "
                    "(vs %s: %s, vs %s: %s)" % (m, variants[lo], dg,
                                                variants[hi], db)}
    ev = None
    for s in steps:
        if s["a"] == variants[lo] and s["b"] == variants[hi]:
            ev = s["result"]
    if ev is None:
        _, ev = decide(smp, variants[lo], variants[hi], better, start, cap,
                       min_effect, alpha)
    return {"first_bad": variants[hi], "last_good": variants[lo],
            "steps": steps, "evidence": ev, "notes": notes,
            "verdict": "first bad variant: %s (last good: %s)"
            % (variants[hi], variants[lo])}


def render(result, metric):
    lines = []
    for s in result["steps"]:
        r = s["result"]
        lines.append("  %-16s -> %-16s %-9s %s" % (
            s["a"], s["b"], s["decision"], table.fmt_verdict(r)))
    ev = result["evidence"]
    width = max(20, len(metric))
    out = ["steps:"] + lines + ["", "evidence:", table.header(width),
                                table.row(metric, ev, width)]
    out += ["note: " + n for n in result["notes"]]
    out += ["", result["verdict"]]
    return "\n".join(out)


def run_variants(a):
    """The CLI: measure with the real runner, results kept under results/.
    The variants and the case are checked before anything runs."""
    variants = planmod.read_variants_list(a.variants_list)
    safeio.check_name(a.case, "bisect: case")
    for which in (a.good, a.bad):
        if which not in variants:
            raise UserError("unknown variant %r%s" % (
                which, did_you_mean(which, variants, " (variants: %s)"
                                    % ", ".join(variants))))
    metric = a.metric or primary_metric(a.mode)
    params = {}
    for p in a.param:
        if "=" not in p:
            raise UserError("bisect: --param %r is not NAME=VALUE" % p)
        k, v = p.split("=", 1)
        params[k] = v
    for v in variants[variants.index(a.good) if a.good in variants else 0:]:
        path = runner.runner_path(a.build, v)
        if not os.access(path, os.X_OK):
            raise UserError("bisect: variant %s has no runner %s (run make)"
                            % (v, path))
    cases = runner.list_cases(runner.runner_path(a.build, a.bad))
    if cases is not None and a.case not in cases:
        raise UserError("unknown case %r: the runner of %s does not "
                        "list it%s" % (a.case, a.bad, did_you_mean(
                            a.case, cases, " (cases: %s)"
                            % ", ".join(sorted(cases)))))
    now = datetime.datetime.now(datetime.timezone.utc)
    bid, bdir = layout.claim_dir(a.results, layout.this_host(),
                                 "bisect-%s-%s" % (
                                     now.strftime("%Y%m%dT%H%M%SZ"),
                                     layout.safe_name(a.case)))
    plan = {"seconds": a.seconds, "warmup": a.warmup, "params": params,
            "events": []}
    if getattr(a, "nodes", None) or getattr(a, "memoryless", None):
        # the sweep plan's checks of the topology
        plan.update({k: v for k, v in planmod.normalise({
            "cases": a.case, "variants": a.good or "x", "nodes": a.nodes,
            "memoryless": a.memoryless}).items()
            if k in ("nodes", "memoryless")})
    count = {}
    better = [HIGHER]

    def log(s):
        print(term(s), flush=True)

    def measure(v, n):
        vals = []
        for _ in range(n):
            k = count[v] = count.get(v, 0) + 1
            rel = layout.run_relpath(v, a.case, a.mode, a.nr_task, k - 1)
            spec = {"variant": v, "case": a.case, "mode": a.mode,
                    "nr_task": a.nr_task}
            log("bisect: run %s %s t=%d #%d" % (v, a.case, a.nr_task, k))
            rec = runner.run_once(runner.runner_path(a.build, v), spec, plan,
                                  bdir, rel, rel[:-5] + ".log")
            if rec["status"] == "skipped":
                raise UserError("bisect: case %s is unsupported on %s"
                                % (a.case, v))
            if rec["status"] == "interrupted":
                raise KeyboardInterrupt
            if rec["status"] == "nospace":
                raise ResourceError("bisect: %s; the runs so far are in %s"
                                    % (rec["message"], bdir))
            if rec["status"] == "usage":
                # every run would fail alike: stop, with the runner's words
                raise UserError("bisect: the runner of %s refused the "
                                "arguments: %s" % (v, rec["message"]))
            if rec["status"] != "ok":
                log("bisect:   %s: %s (not counted)" % (rec["status"],
                                                         rec["message"]))
                continue
            m = runner.load_run_under(bdir, rel).metrics().get(metric)
            if m is None:
                raise UserError("bisect: case %s has no metric %s"
                                % (a.case, metric))
            better[0] = m[1]
            vals.append(m[0])
        return vals

    res = bisect_variants(variants, a.good, a.bad, measure, better=HIGHER
                          if metric.endswith("_ops") else _direction(metric),
                          start=a.repeats, cap=a.max_repeats,
                          min_effect=a.min_effect, log=log)
    text = render(res, metric)
    print(term_lines(text))
    layout.write_json_atomic(os.path.join(bdir, "bisect.json"), {
        "case": a.case, "metric": metric, "nr_task": a.nr_task,
        "mode": a.mode, "good": a.good, "bad": a.bad, "result": res})
    layout.write_text_atomic(os.path.join(bdir, "bisect.txt"), text + "\n")
    print("results: %s" % bdir)
    return 0 if res["first_bad"] else 3


def _direction(metric):
    return LOWER
