"""slabscale validate: the published kernel results as a validation suite.

One validation plan per published row (plans/validation/*.plan, `key =
value` lines) names a kernel figure and how the model is measured against
it: a case, a topology, two variants (the kernel's before and after) and a
metric.  The model's figure is the change of the metric's median from the
base variant to the new one, over `repeats` interleaved runs a side
(A B A B ...).  Each row is judged by judge():

  sign agrees   the model moved the same way as the kernel, significantly
                (Mann-Whitney p <= alpha); not significant: "n.s."
  within 2x     |model change| / |kernel change| in [0.5, 2]; "-" when the
                kernel's figure has no size (only a direction published)
  verdict       agrees / size differs / disagrees / inconclusive, or
                path not taken: the plan's `mechanism` metric (the counter
                of the path the kernel's change is about) has a median of
                at most `mechanism_min` (default 0) on both sides, so
                whatever the metric did, it was not the kernel's mechanism
                (never fails the command)

A row whose kernel figure was taken on more CPUs (or tasks) than this
machine has runs with its task count clamped to the CPUs and says so; such
a row never fails the command, since it is not the kernel's experiment.
The command exits EXIT_DISAGREES when a row that fits this machine
disagrees (sign wrong, or size outside 2x), 0 otherwise; usage errors 2.

Plan keys (all strings; `kernel_change` a signed fraction, e.g. -0.64, or
`+`/`-` where only the direction is published):
  row, title, source, machine, kernel_figure, kernel_change, kernel_cpus
  (a number, or `unknown`: then the row never fits),
  kernel_tasks, case, mode, nr_task, nodes, memoryless, params, metric,
  mechanism, mechanism_min, base, new, repeats, seconds, warmup, note.
"""

import datetime
import math
import os
import statistics

from . import layout, runner, significance
from . import plan as planmod
from .errors import ResourceError, UserError
from .results import HIGHER, LOWER
from .textsafe import term, term_lines

EXIT_DISAGREES = 5

AGREES = "agrees"
SIZE_DIFFERS = "size differs"
DISAGREES = "disagrees"
INCONCLUSIVE = "inconclusive"
NOT_TAKEN = "path not taken"

REQUIRED = ("row", "title", "source", "machine", "kernel_figure",
            "kernel_change", "case", "metric", "base", "new")
OPTIONAL = ("kernel_cpus", "kernel_tasks", "mode",
            "nr_task", "nodes", "memoryless", "params", "repeats", "seconds",
            "warmup", "note", "mechanism", "mechanism_min")


# ---- plans -------------------------------------------------------------------

def _int(raw, key, default, lo, where):
    v = raw.get(key, default)
    try:
        n = int(str(v).strip())
    except (TypeError, ValueError):
        raise UserError("%s: %s %r is not a number" % (where, key, v))
    if n < lo:
        raise UserError("%s: %s must be >= %d" % (where, key, lo))
    return n


def normalise_row(raw, where):
    """A validation plan from its raw keys; UserError names the key."""
    unknown = sorted(set(raw) - set(REQUIRED) - set(OPTIONAL))
    if unknown:
        raise UserError("%s: unknown key(s) %s" % (where, ", ".join(unknown)))
    missing = [k for k in REQUIRED if not str(raw.get(k, "")).strip()]
    if missing:
        raise UserError("%s: missing %s" % (where, ", ".join(missing)))
    r = {k: str(raw[k]).strip() for k in REQUIRED}
    kc = r["kernel_change"]
    r["kernel_sign"] = None
    if kc in ("+", "-"):
        r["kernel_change"] = None
        r["kernel_sign"] = 1 if kc == "+" else -1
    else:
        try:
            r["kernel_change"] = float(kc)
        except ValueError:
            raise UserError("%s: kernel_change %r is not a number "
                            "(a signed fraction, -0.64 for -64 %%)"
                            % (where, kc))
        if not math.isfinite(r["kernel_change"]) or \
                r["kernel_change"] == 0 or r["kernel_change"] <= -1:
            raise UserError("%s: kernel_change %r must be finite, non-zero "
                            "and above -1" % (where, kc))
    r["mode"] = str(raw.get("mode", "threads")).strip()
    if r["mode"] not in ("threads", "processes"):
        raise UserError("%s: mode %r is not threads or processes"
                        % (where, r["mode"]))
    r["nr_task"] = _int(raw, "nr_task", 1, 1, where)
    r["kernel_tasks"] = _int(raw, "kernel_tasks", r["nr_task"], 1, where)
    if str(raw.get("kernel_cpus", "")).strip() == "unknown":
        r["kernel_cpus"] = None     # not published: never "fits"
    else:
        r["kernel_cpus"] = _int(raw, "kernel_cpus", r["nr_task"], 1, where)
    r["repeats"] = _int(raw, "repeats", 5, 1, where)
    r["seconds"] = _int(raw, "seconds", 2, 1, where)
    r["warmup"] = _int(raw, "warmup", 1, 0, where)
    r["note"] = str(raw.get("note", "")).strip()
    r["mechanism"] = str(raw.get("mechanism", "")).strip() or None
    try:
        r["mechanism_min"] = float(str(raw.get("mechanism_min", "0")))
    except ValueError:
        r["mechanism_min"] = math.nan
    if not math.isfinite(r["mechanism_min"]) or r["mechanism_min"] < 0:
        raise UserError("%s: mechanism_min %r is not a rate >= 0"
                        % (where, raw.get("mechanism_min")))
    if r["base"] == r["new"]:
        raise UserError("%s: base and new are the same variant" % where)
    # the sweep plan's own checks for params and the topology
    sweep = planmod.normalise({
        "cases": r["case"], "variants": "%s,%s" % (r["base"], r["new"]),
        "params": raw.get("params", {}), "nodes": raw.get("nodes"),
        "memoryless": raw.get("memoryless")})
    r["params"] = sweep["params"]
    for k in ("nodes", "memoryless"):
        if k in sweep:
            r[k] = sweep[k]
    return r


def load_rows(paths):
    """Every plan of paths (files, or directories of *.plan), sorted."""
    files = []
    for p in paths:
        if os.path.isdir(p):
            files += sorted(os.path.join(p, f) for f in os.listdir(p)
                            if f.endswith(".plan"))
        else:
            files.append(p)
    if not files:
        raise UserError("no validation plans in %s" % ", ".join(paths))
    rows = []
    for f in files:
        r = normalise_row(planmod.load_plan_file(f), f)
        r["plan"] = os.path.basename(f)
        rows.append(r)
    return rows


def clamp(row, cpus):
    """(tasks to run, note or None): a row taken on more CPUs or tasks
    than this machine has runs on every CPU and says so."""
    tasks = min(row["nr_task"], cpus)
    notes = []
    if row["kernel_tasks"] > cpus or row["nr_task"] > cpus:
        notes.append("%d tasks -> %d" % (max(row["kernel_tasks"],
                                             row["nr_task"]), tasks))
    if row["kernel_cpus"] is None:
        notes.append("the kernel machine's CPUs are not published")
    elif row["kernel_cpus"] > cpus:
        notes.append("kernel on %d CPUs, here %d" % (row["kernel_cpus"],
                                                     cpus))
    return tasks, ("clamped: " + "; ".join(notes)) if notes else None


# ---- the judgement -----------------------------------------------------------

def judge(kernel_change, kernel_sign, cmp):
    """Sign, size and verdict of one row from the kernel's change (a
    fraction, or None with kernel_sign +1/-1 when only the direction is
    published) and the model's comparison (significance.compare_samples)."""
    model = cmp.get("change")
    p = cmp.get("p")
    out = {"model_change": model, "p": p, "sign_agrees": None,
           "within_2x": None, "verdict": INCONCLUSIVE}
    want = kernel_sign if kernel_change is None else \
        (1 if kernel_change > 0 else -1)
    if model is None or p is None or p > significance.ALPHA or model == 0:
        out["why"] = cmp.get("reason") or "no model figure"
        if model is not None and p is not None and kernel_change is not None:
            out["within_2x"] = _within_2x(kernel_change, model)
        return out
    out["sign_agrees"] = (model > 0) == (want > 0)
    if kernel_change is not None:
        out["within_2x"] = _within_2x(kernel_change, model)
    if not out["sign_agrees"]:
        out["verdict"] = DISAGREES
        out["why"] = "the model moved the other way"
    elif out["within_2x"] is False:
        out["verdict"] = SIZE_DIFFERS
        out["why"] = "same direction, size outside 2x"
    else:
        out["verdict"] = AGREES
        out["why"] = "same direction" + (
            ", size within 2x" if out["within_2x"] else "")
    return out


def _within_2x(kernel, model):
    if (kernel > 0) != (model > 0) or model == 0:
        return False
    r = abs(model) / abs(kernel)
    return 0.5 <= r <= 2.0


def row_fails(row_result):
    """A row that fits this machine and disagrees fails the command."""
    return not row_result.get("clamped") and \
        row_result["verdict"] in (DISAGREES, SIZE_DIFFERS)


def exit_status(row_results):
    return EXIT_DISAGREES if any(row_fails(r) for r in row_results) else 0


# ---- the table ---------------------------------------------------------------

def _pct(x):
    return "-" if x is None else "%+.1f%%" % (100 * x)


def _spread(x):
    return "-" if x is None else "%.1f%%" % (100 * x)


def _yes(x):
    return {True: "yes", False: "NO", None: "n.s."}[x]


def render(row_results):
    """The table: one line per row, then the notes (clamping, spread)."""
    head = ("row", "kernel", "model", "sign agrees", "within 2x", "verdict")
    lines = []
    for r in row_results:
        k = r["kernel_figure"]
        if r.get("kernel_change") is not None:
            k = "%s (%s)" % (k, _pct(r["kernel_change"]))
        m = _pct(r.get("model_change"))
        if r.get("base_median") is not None:
            m = "%s (%.4g -> %.4g)" % (m, r["base_median"], r["new_median"])
        w2 = "-" if r.get("kernel_change") is None else \
            {True: "yes", False: "NO", None: "-"}[r.get("within_2x")]
        verdict = r["verdict"] + (" (clamped)" if r.get("clamped") else "")
        lines.append((r["row"], k, m, _yes(r.get("sign_agrees")), w2,
                      verdict))
    widths = [max(len(str(x[i])) for x in [head] + lines)
              for i in range(len(head))]
    fmt = "  ".join("%%-%ds" % w for w in widths)
    out = [fmt % head, fmt % tuple("-" * w for w in widths)]
    out += [fmt % tuple(str(c) for c in x) for x in lines]
    out.append("")
    for r in row_results:
        dist = r.get("disturbed")
        mech = ""
        if r.get("mechanism_medians") is not None:
            mech = "; %s %s -> %s" % (r["mechanism"], *(
                "-" if m is None else "%.4g" % m
                for m in r["mechanism_medians"]))
        out.append("row %s: %s; %s %s -> %s, %s, %s t=%d%s; n=%s/%s%s, "
                   "spread %s/%s; %s%s%s" % (
                       r["row"], r["title"], r["case"], r["base"], r["new"],
                       r["metric"], r["mode"], r["nr_task_run"],
                       (" nodes=%s memoryless=%s" % (
                           r.get("nodes"), r.get("memoryless") or "-")
                        if r.get("nodes") else ""),
                       r.get("n_base"), r.get("n_new"),
                       " (disturbed %d/%d)" % tuple(dist) if dist and any(dist)
                       else "",
                       _spread(r.get("base_spread")),
                       _spread(r.get("new_spread")), r.get("why", ""), mech,
                       ("; " + r["clamped"]) if r.get("clamped") else ""))
    return "\n".join(out)


# ---- running -----------------------------------------------------------------

def measure_row(row, tasks, run_one):
    """Interleave base and new runs; run_one(variant, k) returns the
    metric's (value, better) of one run or None (failed, not counted)."""
    vals = {row["base"]: [], row["new"]: []}
    better = None
    for k in range(row["repeats"]):
        for v in (row["base"], row["new"]):
            got = run_one(v, k)
            if got is not None:
                vals[v].append(got[0])
                better = got[1]
    return vals[row["base"]], vals[row["new"]], better


def evaluate(row, base_vals, new_vals, better, clamped, mechanism=None):
    """The row's result (JSON-ready) from the measured values; mechanism,
    with a plan's `mechanism` key, is its values ([base], [new])."""
    cmp = significance.compare_samples(base_vals, new_vals,
                                better=better if better in (HIGHER, LOWER)
                                else HIGHER)
    res = dict(row)
    res.update(judge(row["kernel_change"], row.get("kernel_sign"), cmp))
    if row.get("mechanism") and mechanism is not None:
        med = [statistics.median(v) if v else None for v in mechanism]
        res["mechanism_medians"] = med
        if all(m <= row["mechanism_min"] for m in med if m is not None):
            res["verdict"] = NOT_TAKEN
            res["sign_agrees"] = None
            res["why"] = "%s has a median of at most %g on both sides: " \
                "the kernel's path was not taken here" % (
                    row["mechanism"], row["mechanism_min"])
    sa, sb = cmp["base"], cmp["new"]
    res.update({"clamped": clamped, "n_base": sa["n"], "n_new": sb["n"],
                "base_median": sa["median"], "new_median": sb["median"],
                "base_spread": sa["rel_stddev"],
                "new_spread": sb["rel_stddev"], "compare": cmp})
    return res


def run_validation(args):
    """The CLI: run every plan, print the table, write the JSON."""
    rows = load_rows(args.plans)
    cpus = os.cpu_count() or 1
    now = datetime.datetime.now(datetime.timezone.utc)
    vdir = os.path.join(args.results, layout.this_host(),
                        now.strftime("%Y-%m-%d"),
                        "validate-%s" % now.strftime("%Y%m%dT%H%M%SZ"))
    for r in rows:
        for v in (r["base"], r["new"]):
            path = runner.runner_path(args.build, v)
            if not os.access(path, os.X_OK):
                raise UserError("row %s: variant %s has no runner %s (run "
                                "make)" % (r["row"], v, path))
    load = _loadavg()
    results = []
    for r in rows:
        if args.repeats:
            r["repeats"] = args.repeats
        if args.seconds:
            r["seconds"] = args.seconds
        tasks, clamped = clamp(r, cpus)
        print(term("validate: row %s (%s): %s, %s vs %s, t=%d, %d runs a "
                   "side%s" % (r["row"], r["plan"], r["case"], r["base"],
                               r["new"], tasks, r["repeats"],
                               ", " + clamped if clamped else "")),
              flush=True)
        plan = {"seconds": r["seconds"], "warmup": r["warmup"],
                "params": r["params"], "events": []}
        for k in ("nodes", "memoryless"):
            if k in r:
                plan[k] = r[k]
        disturbed = {}
        mech = {r["base"]: [], r["new"]: []}

        def run_one(v, k, r=r, plan=plan, tasks=tasks, mech=mech):
            rel = os.path.join("row-%s" % layout.safe_name(r["row"]),
                               layout.run_relpath(v, r["case"], r["mode"],
                                                  tasks, k))
            spec = {"variant": v, "case": r["case"], "mode": r["mode"],
                    "nr_task": tasks}
            rec = runner.run_once(runner.runner_path(args.build, v), spec,
                                  plan, vdir, rel, rel[:-5] + ".log")
            if rec["status"] == "interrupted":
                raise KeyboardInterrupt
            if rec["status"] == "nospace":
                raise ResourceError("validate: %s" % rec["message"])
            if rec["status"] == "usage":
                raise UserError("row %s: the runner of %s refused the "
                                "arguments: %s" % (r["row"], v,
                                                   rec["message"]))
            if rec["status"] != "ok":
                print(term("validate:   %s #%d: %s: %s (not counted)"
                           % (v, k + 1, rec["status"], rec["message"])))
                return None
            run_doc = runner.load_run_under(vdir, rel)
            if run_doc.doc.get("disturbed"):
                disturbed[v] = disturbed.get(v, 0) + 1
            metrics = run_doc.metrics()
            m = metrics.get(r["metric"])
            if m is None:
                raise UserError("row %s: case %s has no metric %s"
                                % (r["row"], r["case"], r["metric"]))
            if r["mechanism"]:
                # a counter that never moved is absent: 0
                mech[v].append((metrics.get(r["mechanism"]) or (0,))[0])
            return m

        base, new, better = measure_row(r, tasks, run_one)
        res = evaluate(r, base, new, better, clamped,
                       (mech[r["base"]], mech[r["new"]]))
        res["nr_task_run"] = tasks
        # counted in: on a busy machine every run may be (docs/measurements)
        res["disturbed"] = [disturbed.get(r["base"], 0),
                            disturbed.get(r["new"], 0)]
        res["base_values"], res["new_values"] = base, new
        results.append(res)
    text = render(results)
    print(term_lines(text))
    doc = {"rows": results, "cpus": cpus, "loadavg_start": load,
           "loadavg_end": _loadavg(), "exit": exit_status(results)}
    layout.write_json_atomic(os.path.join(vdir, "validate.json"), doc)
    layout.write_text_atomic(os.path.join(vdir, "validate.txt"), text + "\n")
    if args.json:
        layout.write_json_atomic(args.json, doc)
    print("results: %s" % vdir)
    return doc["exit"]


def _loadavg():
    try:
        with open("/proc/loadavg") as f:
            return f.read().split()[:3]
    except OSError:
        return None
