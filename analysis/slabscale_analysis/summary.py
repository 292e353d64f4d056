"""The alerts (decide.alerts) as text: one line per cause, headline first.

REGRESSION  cache_destroy destroy_latency p50 6.16 ms → 9.18 ms (+49.0%) at t=1,2;
            6 of 18 rows agree; no change: mean, plain mean
IMPROVEMENT kvfree_rcu_barrier per_thread_ops 1.20M → 4.35M ops/s (+263%) at t=1
UNDECIDED   page_fault3_slab per_thread_ops at t=1,2: about 12 more runs a side; settle with:
              ./slabscale sweep --variants cpuslab,sheaves-all --cases page_fault3_slab -t 1,2 --repeats 17
"""

import textwrap

from . import fmt
from .decide import IMPROVEMENT, REGRESSION, UNDECIDED
from .textsafe import term

WORD = {REGRESSION: "REGRESSION", IMPROVEMENT: "IMPROVEMENT",
        UNDECIDED: "UNDECIDED"}
INDENT = 12
MAX_LABELS = 4          # past this many, the rest of a family is counted


def tasks_text(ts):
    return "t=" + ",".join(map(str, ts))


def headline(a):
    """'destroy_latency p50 6.16 ms → 9.18 ms (+49.0%) at t=1,2'."""
    fam = term(a["family"]) if a["family"] not in ("rate", "pmu") \
        else term(a["metric"])
    label = term(a["label"])
    what = fam if a["family"] in ("rate", "pmu") or label == fam \
        or a["label"] == a["metric"] else "%s %s" % (fam, label)
    if a["family"] == "rate" and a["metric"] != a["label"]:
        what = term(a["metric"])
    if a["base"] is None or a["new"] is None:
        vals = ""
    else:
        vals = " %s → %s" % (fmt.quantity(a["base"], a["unit"]),
                             fmt.quantity(a["new"], a["unit"]))
    ch = "" if a["change"] is None else " (%s)" % fmt.change(a["change"])
    return "%s%s%s at %s" % (what, vals, ch, tasks_text(a["tasks"]))


def detail(a):
    """How the rest of the family moved."""
    if a["kind"] == UNDECIDED:
        if a.get("all_disturbed"):
            return ("every run of a side was disturbed (a busy machine); "
                    "settle it on a quiet one with:")
        if a.get("more_runs"):
            need = "about %d more run%s a side" % (
                a["more_runs"], "" if a["more_runs"] == 1 else "s")
            if a.get("disturbed"):
                need += " (disturbed runs left out)"
        else:
            need = "too noisy: more than 100 runs a side"
        return "%s; settle with:" % need
    parts = []
    if a["rows"] > 1:
        parts.append("%d of %d rows agree" % (a["agree"], a["rows"]))
    if a["apart"]:
        parts.append("the family moves apart: %s %s" % (
            "improves" if a["kind"] == REGRESSION else "regresses",
            ", ".join(map(term, a["apart"]))))
    others = [(v, labs) for v, labs in sorted(a["others"].items())
              if v not in (REGRESSION, IMPROVEMENT)]
    if sum(len(labs) for _, labs in others) > MAX_LABELS:
        # a long family: counts, the table has the rows
        parts.append(", ".join("%s %d" % (v, len(labs))
                               for v, labs in others))
    else:
        for v, labs in others:
            parts.append("%s: %s" % (v, ", ".join(map(term, labs))))
    for b in a.get("also") or []:
        parts.append("also %s: %s" % (term(variant_of(b["new_label"])),
                                      headline(b)))
    return "; ".join(parts)


def variant_of(label):
    """'sheaves-all @ 2026...' -> 'sheaves-all'."""
    return label.split(" @ ", 1)[0]


def alert_text(a, with_case=True):
    """The alert as one unwrapped line of text, without its word and (for
    UNDECIDED) without the command."""
    where = "" if a["comparison"] == "vs_baseline" else \
        "[vs previous sweep: %s] " % term(variant_of(a["base_label"]))
    case = term(a["case"]) + " " if with_case else ""
    head = case + headline(a) if a["kind"] != UNDECIDED \
        else "%s%s at %s" % (case, term(a["metric"]), tasks_text(a["tasks"]))
    text = "%s%s" % (where, head)
    d = detail(a)
    if d:
        text += ("; " if a["kind"] != UNDECIDED else ": ") + d
    return text


def alert_line(a, width=120, paint=None):
    paint = paint or fmt.Paint(False)
    word = WORD[a["kind"]]
    text = alert_text(a)
    lines = textwrap.wrap(text, width - INDENT, break_on_hyphens=False,
                          break_long_words=False) or [""]
    colour = {REGRESSION: fmt.RED + fmt.BOLD, IMPROVEMENT: fmt.GREEN,
              UNDECIDED: fmt.YELLOW}[a["kind"]]
    out = [paint(word.ljust(INDENT - 1), colour) + " " + lines[0]]
    out += [" " * INDENT + ln for ln in lines[1:]]
    if a["kind"] == UNDECIDED and a.get("command"):
        # a command is not broken inside a word; past the width its
        # options go on a continuation line, as a shell takes them
        words = term(a["command"]).split(" ")
        # an option stays with its value on one line
        joined = []
        for w in words:
            if joined and joined[-1].startswith("-") and \
                    not w.startswith("-") and "\x00" not in joined[-1]:
                joined[-1] += "\x00" + w
            else:
                joined.append(w)
        cmd = [ln.replace("\x00", " ") for ln in textwrap.wrap(
            " ".join(joined), width - INDENT - 4, break_on_hyphens=False,
            break_long_words=False)]
        out.append(" " * INDENT + "  " + (" \\\n" + " " * (INDENT + 4)).join(
            cmd))
    return "\n".join(out)


def render(al, width=120, paint=None):
    """Every alert, regressions first; '(none)' lines where a kind is
    empty so the reader knows it was looked at."""
    out = []
    for kind in (REGRESSION, IMPROVEMENT, UNDECIDED):
        for a in al.get(kind, []):
            out.append(alert_line(a, width, paint))
    if not al.get(REGRESSION):
        out.insert(0, "nothing regressed (no gating metric got worse)")
    return "\n".join(out)
