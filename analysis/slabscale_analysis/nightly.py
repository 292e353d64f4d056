"""slabscale nightly: the entry point a cron line (or a Slurm scron line)
calls.  It

 1. imports the results tree into the database (runs that were written
    while the database was unreachable are recorded now),
 2. runs the plan: a local sweep, or `--slurm` dispatched over nodes,
 3. asks the history what changed on each host since its last clean night,
 4. writes a summary file a mailer can send (atomically) and exits with
    the sweep's status (0 clean, 1 regression, 3 incomplete, 4 disturbed).

docs/fleet.md has the cron and scron lines.
"""

import datetime
import os
import socket
import sys

import numpy as np

from . import history, layout, slurm, sweep
from .db import queries
from .db.engine import open_db, wrap_errors
from .db.importer import import_tree
from .errors import UserError
from .textsafe import term

MEANING = {0: "clean", 1: "REGRESSION", 2: "usage error", 3: "INCOMPLETE "
           "(runs or jobs failed, or a resource error)",
           4: "disturbed (the machine was not quiet enough to decide)",
           130: "interrupted"}
KEEP = ("sweep:", "runs:", "budget:", "db:", "slurm:", "report:", "  ")


def run_nightly(a, sweep_args, db_url):
    """a: the nightly options; sweep_args: the parsed `sweep` namespace."""
    lines = []

    def out(s):
        print(s, file=sys.stderr, flush=True)
        lines.append(s)
    started = datetime.datetime.now(datetime.timezone.utc)
    try:
        with wrap_errors(db_url):
            res = import_tree(open_db(db_url), a.results, out)
        out("db: %d run(s) recorded from JSON before the sweep (%d already "
            "there)" % (res["new"], res["known"]))
    except UserError as e:
        out("db: cannot import before the sweep: %s" % term(e))
    try:
        if sweep_args.slurm:
            rc = slurm.run_sweep(sweep_args, sweep_args.plan_raw, db_url,
                                 out=out)
        else:
            rc = sweep.run_sweep(
                sweep_args.plan_raw, a.results, sweep_args.build,
                out=out, db_url=db_url,
                min_effect=sweep_args.min_effect,
                make_report=not sweep_args.no_report,
                allow_host_mismatch=sweep_args.allow_host_mismatch,
                budget={"runs": sweep_args.budget,
                        "seconds": sweep_args.budget_time},
                include_disturbed=sweep_args.include_disturbed)
    except UserError as e:
        out("nightly: %s" % term(e))
        rc = e.code
    changes = []
    try:
        eng = open_db(db_url, write=False)
        hosts = [a.host] if a.host else queries.hosts(eng)
        for host in hosts:
            res, clean = history.changed(eng, host)
            for (case, variant, mode, t, params), nights, cps, opened, \
                    metric in res:
                meds = [float(np.median(n.values)) for n in nights]
                for i in cps:
                    changes.append("%s: %s %s %s t=%d %s: %s at %s, commits "
                                   "%s" % (host, case, variant, mode, t,
                                           metric, history._change_text(
                                               meds, i, nights),
                                           nights[i].sweep,
                                           history.commit_range(nights, i)))
                if opened:
                    changes.append("%s: %s %s %s t=%d %s: open %s at %s, %d "
                                   "more night(s) to settle" % (
                                       host, case, variant, mode, t, metric,
                                       history._change_text(
                                           meds, opened[0], nights),
                                       nights[opened[0]].sweep, opened[1]))
    except UserError as e:
        changes.append("history unavailable: %s" % e)
    text = ["slabscale nightly on %s, %s: %s (exit %d)" % (
        socket.gethostname(), started.strftime("%Y-%m-%d %H:%M UTC"),
        MEANING.get(rc, "exit %d" % rc), rc), ""]
    text += [term(s) for s in lines if s.startswith(KEEP)]
    text += ["", "changes since each host's last clean night:"]
    text += ["  " + term(c) for c in changes] or ["  none"]
    summary = a.summary or os.path.join(a.results, "nightly-summary.txt")
    os.makedirs(os.path.dirname(os.path.abspath(summary)), exist_ok=True)
    layout.write_text_atomic(summary, "\n".join(text) + "\n")
    print("nightly: summary in %s" % term(summary), file=sys.stderr)
    return rc
