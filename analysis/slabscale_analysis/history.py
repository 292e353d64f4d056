"""slabscale history: one series (case, variant, mode, nr_task, params,
metric) night by night on one host from the results database, its change
points and the commits each falls between; and `--changed`: what moved
on each host since its last clean night.

A night is one sweep; its value is the median of its ok runs (disturbed
ones left out unless asked).  Change points: E-Divisive
(changepoint.e_divisive) with at least MIN_NIGHTS nights on each side, a
permutation p below ALPHA and a median change of at least MIN_CHANGE.  A
shift in the last nights that has fewer than MIN_NIGHTS after it is
*open*: the table says how many more nights would settle it.  Hosts are
never pooled: a series belongs to one machine (docs/fleet.md says why).
"""

import collections
import os

import numpy as np

from . import changepoint, layout, plot
from .db import queries
from .db.engine import open_db, wrap_errors
from .db.store import params_key
from .errors import UserError
from .metrics import primary_metric
from .textsafe import term

MIN_NIGHTS = 4          # nights on each side of a change point
ALPHA = 0.01            # permutation test of a split
MIN_CHANGE = 0.06       # smallest change of the median called a change
PERMUTATIONS = 199

Night = collections.namedtuple(
    "Night", "sweep started commit dirty verdict values disturbed")


def pick_nights(rows, nr_task=None, params=None):
    """rows of db.queries.series_values -> (nights, nr_task, params,
    notes): the newest machine of that name, the smallest nr_task unless
    given, the newest night's params unless given."""
    notes = []
    if not rows:
        return [], nr_task, params, notes
    mids = {r[0] for r in rows}
    if len(mids) > 1:
        newest = rows[-1][0]
        notes.append("%d machines share this name (their CPU, CPU count or "
                     "arch differ); showing the newest one's runs"
                     % len(mids))
        rows = [r for r in rows if r[0] == newest]
    if nr_task is None:
        nr_task = min(r[1] for r in rows)
    rows = [r for r in rows if r[1] == nr_task]
    if params is None and rows:
        params = rows[-1][2]
        if len({r[2] for r in rows}) > 1:
            notes.append("runs with other parameters left out (showing %s)"
                         % params)
    rows = [r for r in rows if r[2] == params]
    nights = collections.OrderedDict()
    for (_m, _t, _p, sweep, started, verdict, commit, dirty, value,
         dist) in rows:
        n = nights.get(sweep)
        if n is None:
            n = nights[sweep] = Night(sweep, started, commit, dirty, verdict,
                                      [], [0])
        n.values.append(value)
        n.disturbed[0] += bool(dist)
    return list(nights.values()), nr_task, params, notes


def detect(meds, min_nights=MIN_NIGHTS, alpha=ALPHA, min_change=MIN_CHANGE,
           permutations=PERMUTATIONS):
    """(settled change points, open) over nightly medians: settled are
    indices i where night i starts a new level; open is None or (i, more
    nights needed) for a shift in the last nights too recent to settle."""
    meds = [float(v) for v in meds]
    cps = changepoint.e_divisive(meds, min_size=min_nights, alpha=alpha,
                                 permutations=permutations,
                                 min_change=min_change) \
        if len(meds) >= 2 * min_nights else []
    start = cps[-1] if cps else 0
    n = len(meds)
    opened = None
    for t in range(min_nights - 1, 0, -1):
        prev, tail = meds[start:n - t], meds[n - t:]
        if len(prev) < min_nights:
            continue
        lo, hi, mid = min(prev), max(prev), float(np.median(prev))
        if mid == 0:
            continue
        above = all(v > hi for v in tail)
        below = all(v < lo for v in tail)
        if (above or below) and abs(np.median(tail) / mid - 1) >= min_change:
            opened = (n - t, min_nights - t)
            break
    return cps, opened


def commit_range(nights, i):
    """The commits a change at night i falls between (the last night
    before it and night i)."""
    a, b = nights[i - 1], nights[i]

    def c(n):
        return "%s%s" % (str(n.commit)[:12], "+dirty" if n.dirty else "")
    if a.commit == b.commit and a.dirty == b.dirty:
        return "same commit %s (the machine or its environment changed)" % c(b)
    return "%s..%s" % (c(a), c(b))


def series(engine, host, case, variant, mode="threads", metric=None,
           nr_task=None, params=None, since=None, include_disturbed=False,
           plan_hash=None):
    """(nights, nr_task, params, notes, metric) of one series (see
    pick_nights); plan_hash: only the sweeps of that plan."""
    metric = metric or primary_metric(mode)
    rows = queries.series_values(engine, host, case, variant, mode, metric,
                                 since, include_disturbed, plan_hash)
    return pick_nights(rows, nr_task, params) + (metric,)


def _change_text(meds, i, nights):
    before = float(np.median(meds[max(0, i - MIN_NIGHTS):i]))
    after = float(np.median(meds[i:i + MIN_NIGHTS]))
    return "%+.1f%%" % (100 * (after / before - 1)) if before else "n/a"


def render(nights, cps, opened, metric):
    meds = [float(np.median(n.values)) for n in nights]
    lines = ["%-4s %-28s %-20s %-13s %4s %14s %8s  %s" % (
        "#", "night (sweep)", "started", "commit", "n", "median " + "",
        "spread", "change")]
    for i, n in enumerate(nights):
        v = np.asarray(n.values)
        spread = "±%.1f%%" % (100 * (v.max() - v.min()) / 2 / meds[i]) \
            if meds[i] and v.size > 1 else ""
        mark = ""
        if i in cps:
            mark = "<- change %s (%s)" % (_change_text(meds, i, nights),
                                          commit_range(nights, i))
        elif opened and i == opened[0]:
            mark = "<- open %s: %d more night(s) to settle" % (
                _change_text(meds, i, nights), opened[1])
        lines.append("%-4d %-28s %-20s %-13s %4d %14.6g %8s  %s" % (
            i, term(n.sweep), term(n.started or ""),
            term(str(n.commit)[:12]), v.size, meds[i], spread, mark))
    lines.append("%s: %d night(s), %d change point(s)%s" % (
        metric, len(nights), len(cps),
        ", 1 open" if opened else ""))
    for i in cps:
        lines.append("change at night %d (%s): %s, commits %s" % (
            i, term(nights[i].sweep), _change_text(meds, i, nights),
            term(commit_range(nights, i))))
    if opened:
        lines.append("open: night %d (%s) shifts %s; %d more night(s) at "
                     "the new level would settle it" % (
                         opened[0], term(nights[opened[0]].sweep),
                         _change_text(meds, opened[0], nights), opened[1]))
    return "\n".join(lines)


def history_plot(nights, cps, metric, out_base, title):
    os.makedirs(os.path.dirname(os.path.abspath(out_base)), exist_ok=True)
    pts = [(n.sweep, list(n.values)) for n in nights]
    plot.run_gnuplot(plot.history_script(pts, metric, out_base, cps, title))
    return out_base + ".png", out_base + ".svg"


def changed(engine, host, since=None):
    """[(series key, nights, cps, opened, metric)] of host's series that
    changed after the host's last clean night (a sweep whose verdict was
    clean), and that night's sweep id (or None)."""
    sw = queries.sweeps(engine, host=host)
    clean = [s for s in sw if s["verdict"] == "clean"]
    last_clean = clean[-1] if clean else None
    out = []
    for case, variant, mode, nr_task, params in queries.series_keys(
            engine, host, since):
        nights, _, _, _, metric = series(engine, host, case, variant, mode,
                                         nr_task=nr_task, params=params,
                                         since=since)
        if len(nights) < 2:
            continue
        meds = [float(np.median(n.values)) for n in nights]
        cps, opened = detect(meds)
        after = 0
        if last_clean:
            idx = [i for i, n in enumerate(nights)
                   if (n.started or "", n.sweep) <= (
                       last_clean["started"] or "", last_clean["uid"])]
            after = idx[-1] + 1 if idx else 0
        cps = [i for i in cps if i >= after]
        if opened and opened[0] < after:
            opened = None
        if cps or opened:
            out.append(((case, variant, mode, nr_task, params), nights, cps,
                        opened, metric))
    return out, last_clean


def run_history(a, url):
    eng = open_db(url, write=False)
    with wrap_errors(url):
        if a.changed:
            return run_changed(a, eng)
        if not a.case or not a.variant:
            raise UserError("history needs --case and --variant (or "
                            "--changed)")
        host = a.host or layout.this_host()
        params = None
        if a.param:
            if any("=" not in p for p in a.param):
                raise UserError("history: --param takes NAME=VALUE")
            params = params_key(dict(p.split("=", 1) for p in a.param))
        nights, t, params, notes, metric = series(
            eng, host, a.case, a.variant, a.mode, a.metric, a.nr_task,
            params, a.since, a.include_disturbed)
    for n in notes:
        print("history: note: %s" % term(n))
    if not nights:
        raise UserError("history: no ok runs of %s on %s (variant %s, %s) "
                        "in the database%s" % (
                            term(a.case), term(host), term(a.variant),
                            a.mode, " since %s" % a.since if a.since else ""))
    meds = [float(np.median(n.values)) for n in nights]
    cps, opened = detect(meds)
    print("history: host %s, %s %s t=%d %s, params %s" % (
        term(host), term(a.case), term(a.variant), t, a.mode, term(params)))
    print(render(nights, cps, opened, metric))
    if not a.no_plot:
        out = a.out or os.path.join(a.results, "plots", "history-%s-%s-%s-t%d"
                                    % (layout.safe_name(host),
                                       layout.safe_name(a.case),
                                       layout.safe_name(a.variant), t))
        png, svg = history_plot(nights, cps, metric, out,
                                "%s %s %s t=%d %s" % (host, a.case, a.variant,
                                                      t, metric))
        print(term(png))
        print(term(svg))
    return 0


def run_changed(a, eng):
    hosts = [a.host] if a.host else queries.hosts(eng)
    if not hosts:
        raise UserError("history --changed: the database has no runs")
    for host in hosts:
        res, clean = changed(eng, host, a.since)
        print("== %s: last clean night %s" % (
            term(host), term(clean["uid"]) if clean else "none recorded"))
        if not res:
            print("  nothing changed since")
        for (case, variant, mode, t, params), nights, cps, opened, metric \
                in res:
            meds = [float(np.median(n.values)) for n in nights]
            for i in cps:
                print("  %s %s %s t=%d %s %s: %s at %s, commits %s" % (
                    term(case), term(variant), mode, t, term(params),
                    metric, _change_text(meds, i, nights),
                    term(nights[i].sweep), term(commit_range(nights, i))))
            if opened:
                i, more = opened
                print("  %s %s %s t=%d %s %s: open %s at %s, %d more "
                      "night(s) to settle" % (
                          term(case), term(variant), mode, t, term(params),
                          metric, _change_text(meds, i, nights),
                          term(nights[i].sweep), more))
    return 0
