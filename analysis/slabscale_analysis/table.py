"""lkp-style compare table (ncompare's layout) with the verdict columns.

           %stddev     %change         %stddev
               \\          |                \\
      263173           -11.7%     232411        per_process_ops
      161714 ±  2%     -37.0%     101819 ±  2%  per_thread_ops

"± N%" (relative stddev of the runs) is shown only above 2 %, as lkp does.
The values are medians of the runs; %change is between the medians.
After the metric name come: runs per side, the CI of the change, the
Mann-Whitney p-value and the verdict.
"""

from .textsafe import term

SHOW_STDDEV_ABOVE = 0.02
TOO_NOISY = 100



def fmt_value(v):
    if v is None:
        return "-"
    a = abs(v)
    if a >= 1000:
        return "%d" % round(v)
    if a >= 1:
        return "%.2f" % v
    if a == 0:
        return "0"
    return "%.4g" % v


def fmt_stddev(s):
    if s is None or s["rel_stddev"] is None or s["n"] < 2 \
            or s["rel_stddev"] <= SHOW_STDDEV_ABOVE:
        return " " * 6
    return " ±%3d%%" % round(100 * s["rel_stddev"])


def fmt_change(c):
    return "-" if c is None else "%+.1f%%" % (100 * c)


def fmt_ci(ci):
    if ci is None:
        return "-"
    return "[%+.1f%%,%+.1f%%]" % (100 * ci[0], 100 * ci[1])


def fmt_p(p):
    return "-" if p is None else ("%.3f" % p if p >= 0.001 else "%.1e" % p)


def fmt_verdict(res):
    v = _verdict_text(res)
    if res.get("wall_time_case"):
        v += " [wall-time case: diagnostic]"
    if res.get("budget_runs"):
        counted, spent = res["budget_runs"]
        v += " [%d runs%s]" % (counted, "" if spent == counted
                               else " of %d" % spent)
    if res.get("shared_runs"):
        v += " [%d shared]" % res["shared_runs"]
    return v


def _verdict_text(res):
    v = res["verdict"]
    if res.get("all_disturbed"):
        return "%s (every run of a side disturbed)" % v
    if res.get("cpu_rate_over_disturbed"):
        v = "%s (every run disturbed: CPU-time rate over them)" % v
    if v == "inconclusive" and res.get("more_runs"):
        if res["more_runs"] > TOO_NOISY:
            return "%s (too noisy: >%d runs/side)" % (v, TOO_NOISY)
        return "%s (+%d runs/side)" % (v, res["more_runs"])
    return v


def row(metric, res, metric_width):
    a, b = res["base"], res["new"]
    left = "%12s%s%11s%11s%s  " % (fmt_value(a["median"]), fmt_stddev(a),
                                  fmt_change(res["change"]),
                                  fmt_value(b["median"]), fmt_stddev(b))
    extra = "  %5s  %-18s %-8s %s" % ("%d/%d" % (a["n"], b["n"]),
                                      fmt_ci(res["ci"]), fmt_p(res["p"]),
                                      fmt_verdict(res))
    return left + term(metric).ljust(metric_width) + extra


def group_title(g):
    params = " ".join("%s=%s" % kv for kv in g["params"])
    t = "%s %s nr_task=%d" % (g["case"], g["mode"], g["nr_task"])
    return t + (" (%s)" % params if params else "")


def header(metric_width):
    """lkp's two header lines, aligned with row(), plus the extra columns."""
    l1 = "%18s%11s%17s" % ("%stddev", "%change", "%stddev")
    l2 = "%18s%11s%17s" % ("\\", "|", "\\")
    extra = "  %5s  %-18s %-8s %s" % ("n", "CI of change", "p", "verdict")
    return (l1 + " " * (2 + metric_width) + extra).rstrip() + "\n" + l2


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
        return ["   unpaired: %s" % term(m["unpaired_why"])]
    return []


def render(cmp):
    """The whole table for a compare result (see compare.compare_sets).
    Every name in it comes from results files: term() makes each one
    inert on a terminal (no escape sequences, no forged lines)."""
    lines = ["base: %s" % term(cmp["base_label"]),
             "new:  %s" % term(cmp["new_label"])]
    if cmp.get("excluded"):
        lines.append("not averaged in: %s" % term(cmp["excluded"]))
    for g in cmp["groups"]:
        lines.append("")
        title = group_title(g)
        if g.get("variant"):
            title = "%s [variant %s]" % (title, g["variant"])
        lines.append("== " + term(title))
        if not g["metrics"]:
            ex = g.get("excluded", {})
            lines.append("   no ok runs to compare (base: %s; new: %s)" % (
                _counts(ex.get("base")), _counts(ex.get("new"))))
            continue
        nd = g.get("disturbed") or {}
        if nd.get("base") or nd.get("new"):
            lines.append("   disturbed runs: base %d, new %d (%s)" % (
                nd.get("base", 0), nd.get("new", 0),
                "averaged in" if cmp.get("include_disturbed")
                else "left out of the verdicts"))
        ns = g.get("shared") or {}
        if ns.get("base") or ns.get("new"):
            lines.append("   shared runs: base %d, new %d (busy neighbours "
                         "outside the run; kept in the verdicts)" % (
                             ns.get("base", 0), ns.get("new", 0)))
        lines.extend(_rounds_note(g))
        if g.get("budget"):
            b = g["budget"]
            lines.append("   budget: %d run(s) added, %s" % (
                b["added"], term(b["state"])))
        width = max([len(term(m["metric"])) for m in g["metrics"]] + [20])
        lines.append(header(width))
        for m in g["metrics"]:
            lines.append(row(m["metric"], m, width))
    for note in cmp.get("notes", []):
        lines.append("note: " + term(note))
    return "\n".join(lines)
