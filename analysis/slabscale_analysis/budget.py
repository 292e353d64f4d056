"""Repeats until the verdict settles (slabscale sweep --budget).

After the plan's runs, the rows (case, mode, nr_task) whose gating verdict
against the baseline variant is unsettled get one more interleaved repeat
of every variant (A B A B ...), analysed again, and so on until every row
settles or the budget is spent (Pinpoint-style: spend runs where the
answer is not known yet, none where it is).  A row is unsettled when a
gating metric (per_thread_ops / per_process_ops, and ops_per_cpu_sec for
CPU-bound cases) is inconclusive; disturbed runs never count
(compare.compare_sets), so a row whose runs were disturbed is unsettled
until enough quiet runs arrive.  A row that ends with disturbed runs and
no verdict "stayed disturbed": the sweep says so and exits EXIT_DISTURBED.
Rows with shared runs (busy neighbours outside the run) get their extra
repeats first.

Pure functions over compare results; sweep.py runs the loop.
"""

from . import significance
from .results import CPU_RATE, diagnostic_metric, primary_metric


def row_key(g):
    return (g["case"], g["mode"], g["nr_task"])


def _gating(g, m):
    """The metrics whose verdict settles a row: the per-task rate and,
    where it applies, the CPU-time rate (latencies and counters explain,
    they do not get repeats of their own)."""
    return m["metric"] in (primary_metric(g["mode"]), CPU_RATE) and \
        not diagnostic_metric(m["metric"], g["case"])


def _row_verdicts(comparisons):
    """row -> list of (comparison label, group, gating metric results)."""
    rows = {}
    for c in comparisons:
        for g in c["groups"]:
            mets = [m for m in g["metrics"] if _gating(g, m)]
            rows.setdefault(row_key(g), []).append((c, g, mets))
    return rows


def _disturbed(g):
    d = g.get("disturbed") or {}
    return d.get("base", 0) + d.get("new", 0)


def _shared(g):
    d = g.get("shared") or {}
    return d.get("base", 0) + d.get("new", 0)


def unsettled_rows(comparisons):
    """Rows that need more runs: a gating metric inconclusive (or every
    run of a side disturbed, which is inconclusive too).  Rows with shared
    runs come first (most shared runs first): their noise came from the
    machine, and more rounds are what pairs it away; a budget that runs
    out serves them before the rest."""
    out = []
    rows = _row_verdicts(comparisons)
    for key, entries in rows.items():
        if any(m["verdict"] == significance.INCONCLUSIVE
               for _, _, mets in entries for m in mets) or \
                any(not mets and _disturbed(g) for _, g, mets in entries):
            out.append(key)
    return sorted(out, key=lambda k: (
        -sum(_shared(g) for _, g, _ in rows[k]), k))


def disturbed_rows(comparisons):
    """Unsettled rows with disturbed runs: what a disturbed machine left."""
    out = []
    rows = _row_verdicts(comparisons)
    for key in unsettled_rows(comparisons):
        if any(_disturbed(g) for _, g, _ in rows[key]):
            out.append(key)
    return out


def next_specs(manifest, rows):
    """One more repeat of every variant for each row, variants innermost
    (interleaved); repeat numbers continue the row's own."""
    plan = manifest["plan"]
    last = {}
    for r in manifest["runs"]:
        k = (r["case"], r["mode"], r["nr_task"])
        last[k] = max(last.get(k, -1), r["repeat"])
    out = []
    for k in rows:
        for v in plan["variants"]:
            out.append({"variant": v, "case": k[0], "mode": k[1],
                        "nr_task": k[2], "repeat": last.get(k, -1) + 1,
                        "extra": True})
    return out


def spent(state, budget, elapsed):
    """Is the budget ({"runs": N or None, "seconds": S or None}) spent?"""
    if budget.get("runs") is not None and \
            state["added"] >= budget["runs"]:
        return True
    if budget.get("seconds") is not None and elapsed >= budget["seconds"]:
        return True
    return False


def fits(state, budget, n):
    """May n more runs start?"""
    return budget.get("runs") is None or state["added"] + n <= budget["runs"]


def annotate(comparisons, manifest):
    """Write each group's runs-per-verdict and budget state into the
    compare results (the table shows them)."""
    b = manifest.get("budget")
    if not b:
        return
    added = {}
    for r in manifest["runs"]:
        if r.get("extra"):
            k = (r["case"], r["mode"], r["nr_task"])
            added[k] = added.get(k, 0) + 1
    unsettled = set(unsettled_rows(comparisons))
    dist = set(disturbed_rows(comparisons))
    for c in comparisons:
        for g in c["groups"]:
            k = row_key(g)
            state = ("stayed disturbed" if k in dist else
                     "still inconclusive" if k in unsettled else "settled")
            g["budget"] = {"added": added.get(k, 0), "state": state,
                           "shared": _shared(g)}
            spent = sum((g.get("runs") or {}).values())
            for m in g["metrics"]:
                m["budget_runs"] = [m["base"]["n"] + m["new"]["n"], spent]
