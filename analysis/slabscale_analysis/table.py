"""The terminal compare table, lkp's layout (ncompare) in 120 columns.

         cpuslab       sheaves-all
  --------------- ---------------
        %stddev     %change        %stddev
              \\          |               \\
     344k ±  2%      -12.3%     301k ±  5% * per_thread_ops (ops/s)   [-16,-8]  0.008  regression

The variant names stand above their columns, as lkp puts the commits
there.  Values are the medians of the runs with SI prefixes (time and
bytes carry their unit; the others' unit follows the metric name);
"± N%" (relative stddev of the runs) shows only above 2 %, as lkp does;
%change is between the medians.  After the metric come the CI of the
change (percent), the Mann-Whitney p (one format: three decimals,
"<0.001") and the verdict.  "*" marks the rows that decide the exit
status (primary and gating metrics, metrics.py); diagnostic rows say how
they moved in neutral words (↑ 3.2×, new, gone) and are hidden unless
asked for (--all).  Run counts stand once in the group header.
"""

import textwrap

from . import fmt
from .metrics import DIAGNOSTIC
from .significance import MIN_RUNS as MIN_RUNS_NOTE
from .textsafe import term

SHOW_STDDEV_ABOVE = 0.02
TOO_NOISY = 100
WIDTH = 120
METRIC_WIDTH = 28
VALUE = 8
CHANGE = 7
CI_WIDTH = 12


def fmt_value(v, unit=""):
    return fmt.compact(v, unit)


def fmt_stddev(s):
    if s is None or s["rel_stddev"] is None or s["n"] < 2 \
            or s["rel_stddev"] <= SHOW_STDDEV_ABOVE:
        return " " * 6
    return " ±%3d%%" % min(999, round(100 * s["rel_stddev"]))


def fmt_change(c):
    return fmt.change(c)


def fmt_ci(ci):
    """The CI of the change in percent, "[-16,-8.2]"."""
    if ci is None:
        return "-"

    def one(x):
        x *= 100
        return "%+.0f" % x if abs(x) >= 9.95 else "%+.1f" % x
    return "[%s,%s]" % (one(ci[0]), one(ci[1]))


def fmt_p(p):
    return fmt.pvalue(p)


def diagnostic(res):
    return res.get("role") == DIAGNOSTIC


def fmt_verdict(res, with_runs=True, shared_in_header=None):
    """The verdict words: for a diagnostic row the neutral description of
    its move (fmt.ratio_word), for the others the verdict and why."""
    if diagnostic(res) and fmt.ratio_word(res):
        v = fmt.ratio_word(res)
    else:
        v = _verdict_text(res)
    if res.get("wall_time_case"):
        v += " [wall-time case: diagnostic]"
    if with_runs and res.get("budget_runs"):
        counted, spent = res["budget_runs"]
        v += " [%d runs%s]" % (counted, "" if spent == counted
                               else " of %d" % spent)
    if res.get("shared_runs") and res["shared_runs"] != shared_in_header:
        # (the terminal's group header gives the group's count once)
        v += " [%d shared]" % res["shared_runs"]
    return v


def _verdict_text(res):
    """At most 29 columns; what a short word cannot say goes in the
    group's notes (group_notes)."""
    v = res["verdict"]
    if res.get("all_disturbed"):
        return "%s (disturbed)" % v
    if res.get("cpu_rate_over_disturbed"):
        v = "%s (over disturbed)" % v
    if v == "inconclusive" and "undisturbed run" in (res.get("reason") or ""):
        n = min(res["base"]["n"], res["new"]["n"])
        return "%s (%d quiet run%s)" % (v, n, "" if n == 1 else "s")
    if v == "inconclusive" and res.get("more_runs"):
        if res["more_runs"] > TOO_NOISY:
            return "%s (too noisy)" % v
        return "%s (+%d runs/side)" % (v, res["more_runs"])
    return v


def group_notes(g, mets):
    """Lines under a group header for what the verdict words shorten."""
    out = []
    if any(m.get("all_disturbed") for m in mets):
        out.append("(disturbed): every run of a side disturbed, nothing "
                   "left to decide on")
    if any(m.get("cpu_rate_over_disturbed") for m in mets):
        out.append("(over disturbed): every run disturbed: CPU-time rate "
                   "over them (it counts only the time the tasks had a CPU)")
    if any("undisturbed run" in (m.get("reason") or "") for m in mets):
        out.append("(N quiet runs): fewer undisturbed runs a side than a "
                   "verdict needs (%d)" % MIN_RUNS_NOTE)
    if any(m.get("bucket_width") for m in mets):
        out.append("percentiles: from histogram buckets at most 6.25% of "
                   "their value wide, placed in the bucket by rank")
    if any(m["verdict"] == "inconclusive" and (m.get("more_runs") or 0) >
           TOO_NOISY for m in mets):
        out.append("(too noisy): more than %d runs a side would be needed"
                   % TOO_NOISY)
    return [ln for x in out for ln in wrap("   " + x)]


def metric_label(metric, res):
    note = fmt.unit_note(res.get("unit", ""))
    return term(metric) + (" " + note if note else "")


def row(metric, res, metric_width=METRIC_WIDTH, paint=None, runs=None,
        shared=None):
    """One table row.  runs: the group's run count per side; the row says
    its own n only where it differs (runs left out for this metric)."""
    paint = paint or fmt.Paint(False)
    a, b = res["base"], res["new"]
    unit = res.get("unit", "")
    left = "%*s%s %*s %*s%s " % (VALUE, fmt_value(a["median"], unit),
                                 fmt_stddev(a), CHANGE,
                                 fmt_change(res["change"]),
                                 VALUE, fmt_value(b["median"], unit),
                                 fmt_stddev(b))
    mark = "  " if diagnostic(res) else "* "
    name = metric_label(metric, res).ljust(metric_width)
    # a verdict to act on says its shared runs itself; the others leave
    # a count the group header gives to it
    verdict = fmt_verdict(res, with_runs=False, shared_in_header=None
                          if res["verdict"] in ("regression", "improvement")
                          else shared)
    if runs is not None and (a["n"], b["n"]) != tuple(runs):
        verdict += " [n %d/%d]" % (a["n"], b["n"])
    extra = " %-*s %6s  %s" % (CI_WIDTH, fmt_ci(res["ci"]), fmt_p(res["p"]),
                                paint.verdict(verdict, res["verdict"],
                                              not diagnostic(res)))
    return left + mark + name + extra


def header(metric_width=METRIC_WIDTH, base=None, new=None):
    """lkp's header lines aligned with row(): the variant names above
    their columns (when given), then %stddev %change %stddev."""
    lines = []
    col = VALUE + 6
    if base or new:
        def name(s):
            s = term(s or "")
            return s if len(s) <= col else s[:col - 1] + "…"
        lines.append("%*s %*s %*s" % (col, name(base), CHANGE, "", col,
                                        name(new)))
        lines.append("%s %*s %s" % ("-" * col, CHANGE, "", "-" * col))
    l1 = "%*s %*s %*s" % (col, "%stddev", CHANGE, "%change", col, "%stddev")
    l2 = "%*s %*s %*s" % (col, "\\", CHANGE, "|", col, "\\")
    l1 += "   " + "metric".ljust(metric_width) + " %-*s %6s  %s" % (
        CI_WIDTH, "CI of change", "p", "verdict")
    lines.append(l1)
    lines.append(l2)
    return "\n".join(lines)


def group_title(g, shown_params=None):
    """case, mode where not threads, nr_task, and the parameters that say
    something (shown_params: the names to show; None shows every one)."""
    params = " ".join("%s=%s" % kv for kv in g["params"]
                      if shown_params is None or kv[0] in shown_params)
    t = "%s%s t=%d" % (g["case"], "" if g["mode"] == "threads"
                       else " " + g["mode"], g["nr_task"])
    return t + (" (%s)" % params if params else "")


def shown_params(cmp, plan_params=None):
    """Per case, the parameter names worth a header: those given on the
    command line or in the plan (plan_params, "NAME" or "CASE:NAME"), and
    those whose values differ between the case's groups."""
    out = {}
    given = set()
    for k in (plan_params or {}):
        given.add(k.split(":", 1)[-1])
    vals = {}
    for g in cmp["groups"]:
        for k, v in g["params"]:
            vals.setdefault((g["case"], k), set()).add(v)
    for (case, k), vs in vals.items():
        if k in given or len(vs) > 1:
            out.setdefault(case, set()).add(k)
    return out


def wrap(text, width=WIDTH):
    return textwrap.wrap(text, width, subsequent_indent="   ",
                         break_on_hyphens=False, break_long_words=False) \
        or [""]


def _counts(c):
    return ", ".join("%d %s" % (n, s) for s, n in sorted((c or {}).items())) \
        or "0 ok"


def _rounds_note(g):
    """How the group's first metric was decided: paired over complete
    rounds, or unpaired although the runs had rounds (and why)."""
    m = g["metrics"][0]
    rd = m.get("rounds") or {}
    if m.get("paired"):
        return ["   paired over %d complete round(s)%s" % (
            rd.get("complete", 0), ", %d incomplete left out"
            % rd["incomplete"] if rd.get("incomplete") else "")]
    if rd.get("complete") and m.get("unpaired_why"):
        return wrap("   unpaired: %s" % term(m["unpaired_why"]))
    return []


def group_note(g, include_disturbed=False):
    """'5+5 runs, 2 disturbed left out' for a group header."""
    runs = g.get("runs") or {}
    parts = ["%d+%d runs" % (runs.get("base", 0), runs.get("new", 0))]
    nd = g.get("disturbed") or {}
    if nd.get("base", 0) or nd.get("new", 0):
        parts.append("disturbed: base %d, new %d (%s)" % (
            nd.get("base", 0), nd.get("new", 0),
            "averaged in" if include_disturbed
            else "left out of the verdicts"))
    ns = g.get("shared") or {}
    if ns.get("base") or ns.get("new"):
        parts.append("shared runs: base %d, new %d (busy neighbours outside "
                     "the run; kept in the verdicts)" % (ns.get("base", 0),
                                                    ns.get("new", 0)))
    if g.get("budget"):
        parts.append("budget: +%d, %s" % (g["budget"]["added"],
                                          term(g["budget"]["state"])))
    return ", ".join(parts)


def render(cmp, show_all=False, paint=None, plan_params=None):
    """The whole table for a compare result (compare.compare_sets).
    Every name in it comes from results files: term() makes each one
    inert on a terminal (no escape sequences, no forged lines).
    show_all: the diagnostic rows too."""
    paint = paint or fmt.Paint(False)
    lines = ["base: %s" % term(cmp["base_label"]),
             "new:  %s" % term(cmp["new_label"])]
    if cmp.get("excluded"):
        lines += wrap("not averaged in: %s" % term(cmp["excluded"]))
    shown = shown_params(cmp, plan_params)
    hidden = 0
    first = True
    for g in cmp["groups"]:
        lines.append("")
        title = group_title(g, shown.get(g["case"], set()))
        if g.get("variant"):
            title = "%s [variant %s]" % (title, g["variant"])
        head = "== %s · %s" % (term(title), group_note(
            g, cmp.get("include_disturbed")))
        hdr = len(lines)
        lines.append(head)
        if not g["metrics"]:
            ex = g.get("excluded", {})
            lines.append("   no ok runs to compare (base: %s; new: %s)" % (
                _counts(ex.get("base")), _counts(ex.get("new"))))
            continue
        mets = [m for m in g["metrics"] if show_all or not diagnostic(m)]
        hidden += len(g["metrics"]) - len(mets)
        if not mets:
            continue
        width = max([METRIC_WIDTH] + [len(metric_label(m["metric"], m))
                                      for m in mets if show_all])
        if first or show_all:
            lines.append(header(width, g.get("base_variant"),
                                g.get("new_variant")))
            first = False
        runs = None
        ns = {(m["base"]["n"], m["new"]["n"]) for m in mets}
        if len(ns) == 1:
            runs = ns.pop()
            total = g.get("runs") or {}
            if runs != (total.get("base"), total.get("new")):
                lines[hdr] += " (%d+%d counted)" % runs
        if len(lines[hdr]) > WIDTH:
            lines[hdr:hdr + 1] = wrap(lines[hdr])
        lines += _rounds_note(g)
        lines += group_notes(g, mets)
        # the shared runs each verdict counted: once in the header when
        # every row counted the same
        shs = {m.get("shared_runs", 0) for m in mets}
        shared = shs.pop() if len(shs) == 1 else None
        if shared is None:
            # rows counted different runs: the most common count in the
            # header, the others on their rows
            counts = [m.get("shared_runs", 0) for m in mets]
            shared = max(set(counts), key=counts.count)
        sh = g.get("shared") or {}
        if shared and shared != sh.get("base", 0) + sh.get("new", 0):
            lines.insert(hdr + 1, "   %d of the counted runs shared" % shared)
        odd = ["%s %d" % (term(m["metric"]), m.get("shared_runs", 0))
               for m in mets if m.get("shared_runs", 0) != shared and
               m["verdict"] not in ("regression", "improvement")]
        if odd:
            lines += wrap("   shared runs counted by other rows: " +
                          ", ".join(odd))
        for m in mets:
            lines.append(row(m["metric"], m, width, paint, runs,
                             m.get("shared_runs", 0)
                             if m["verdict"] not in ("regression",
                                                     "improvement")
                             else shared).rstrip())
    if hidden:
        lines.append("")
        lines.append("(%d diagnostic row%s hidden: --all shows them; * marks "
                     "the rows that decide the exit status)"
                     % (hidden, "" if hidden == 1 else "s"))
    for note in cmp.get("notes", []):
        lines.append("note: " + term(note))
    return "\n".join(lines)
