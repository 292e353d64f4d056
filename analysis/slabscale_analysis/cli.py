"""The thin command line behind ./slabscale.

Every subcommand has --help; usage errors exit 2 (argparse's convention);
a UserError/DataError is printed as one line, never as a traceback.
"""

import argparse
import errno
import json
import os
import signal
import sys

from . import bisect, compare, decide, fmt, gitbisect, layout, load
from . import (plan as planmod, plotcmd, report, significance, summary,
               sweep, table)
from . import db, dbcli, nightly, slurm, validate
from .db import queries as dbqueries
from .dbcli import db_flag as _db_flag, db_url as _db_url
from .errors import UserError, EXIT_USAGE, EXIT_INCOMPLETE, EXIT_INTERRUPTED
from .usage import Parser
from .suggest import did_you_mean
from .results import LIMITS
from .textsafe import term


PATH_ERRORS = (errno.ENOENT, errno.ENOTDIR, errno.EISDIR, errno.EACCES,
               errno.EPERM, errno.ENAMETOOLONG, errno.ELOOP, errno.EEXIST)


def _percent(s):
    try:
        v = float(s.rstrip("%"))
    except ValueError:
        raise argparse.ArgumentTypeError("%r is not a percentage" % s)
    if not 0 < v < 100:
        # 0 would ask for runs enough to tell any change from none: every
        # unchanged row would stay inconclusive for ever
        raise argparse.ArgumentTypeError(
            "%r is out of range (more than 0 and less than 100)" % s)
    return v / 100.0


def _int_in(lo, hi):
    """An argparse type: an integer in lo..hi (the limits the manifest
    reader accepts, results.LIMITS, so a sweep never writes a manifest its
    own reader refuses)."""
    def conv(s):
        try:
            v = int(s)
        except ValueError:
            raise argparse.ArgumentTypeError("%r is not an integer" % s)
        if not lo <= v <= hi:
            raise argparse.ArgumentTypeError("%r is not in %d..%d"
                                             % (s, lo, hi))
        return v
    conv.__name__ = "integer"
    return conv


_pos_int = _int_in(1, LIMITS["count"])
_seconds = _int_in(1, LIMITS["seconds"])
_warmup = _int_in(0, LIMITS["seconds"])
_repeats = _int_in(1, LIMITS["repeats"])
_tasks = _int_in(1, LIMITS["nr_task"])


def _common(p):
    p.add_argument("--results", default=layout.default_results_dir(),
                   help="results directory (default: %(default)s; "
                   "env SLABSCALE_RESULTS)")
    p.add_argument("--min-effect", type=_percent, default=significance.MIN_EFFECT,
                   metavar="PCT", help="smallest change called a regression "
                   "or improvement (default %d%%%%)" % (100 * significance.MIN_EFFECT))
    p.add_argument("--allow-host-mismatch", action="store_true",
                   help="compare results from different hosts anyway")


def _all_flag(p):
    p.add_argument("--all", dest="show_all", action="store_true",
                   help="show the diagnostic rows too (PMU counts, "
                   "allocator counters: they explain, never gate)")


def _disturbed_flag(p):
    p.add_argument("--include-disturbed", action="store_true",
                   help="average in runs the harness marked disturbed (by "
                   "default they are left out of the verdicts and counted)")


def _build_dir():
    return os.environ.get("SLABSCALE_BUILD") or os.path.join(
        layout.repo_root(), "build")


def build_parser():
    top = Parser(prog="slabscale", description="slabscale analysis: nightly "
                 "sweeps, compare, bisect, plots and reports "
                 "(see analysis/README.md)")
    sub = top.add_subparsers(dest="cmd", metavar="COMMAND", parser_class=Parser)
    sub.required = True

    p = sub.add_parser("sweep", help="run a plan, store, compare, report",
                       description="Run a plan (cases x variants x nr_task x "
                       "repeats, interleaved), store every run under "
                       "--results, compare against the baseline variant and "
                       "the previous sweep of the same plan, write the report."
                       " Exit 0 clean, 1 significant regression, 3 runs "
                       "failed, 4 rows stayed disturbed, 130 interrupted "
                       "(continue with --resume); when several apply, the "
                       "first of 1, 3, 4 wins.")
    p.add_argument("--plan", help="plan file (key = value lines or JSON)")
    p.add_argument("--cases", help="comma-separated cases")
    p.add_argument("--variants", help="comma-separated variants, baseline first")
    p.add_argument("--baseline", help="baseline variant (default: first)")
    p.add_argument("-t", "--nr-task", dest="nr_task",
                   help="comma-separated task counts ('all' = every CPU)")
    p.add_argument("--modes", help="threads, processes or both")
    p.add_argument("--repeats", type=_repeats)
    p.add_argument("-s", "--seconds", type=_seconds)
    p.add_argument("--warmup", type=_warmup)
    p.add_argument("--param", action="append", default=[],
                   metavar="NAME=VALUE", help="case parameter (repeatable)")
    p.add_argument("--events", help="comma-separated PMU events")
    p.add_argument("--resume", metavar="SWEEP",
                   help="continue an interrupted sweep (id or 'latest')")
    p.add_argument("--build", default=_build_dir(),
                   help="build directory (default: %(default)s)")
    p.add_argument("--no-report", action="store_true")
    p.add_argument("--budget", metavar="RUNS", type=_pos_int,
                   help="add interleaved repeats to rows that are "
                   "inconclusive or disturbed, up to RUNS more runs, until "
                   "their verdicts settle")
    p.add_argument("--budget-time", metavar="SECONDS", type=_seconds,
                   help="the same, up to SECONDS of added runs (with "
                   "--budget: whichever is spent first)")
    p.add_argument("--slurm", action="store_true",
                   help="dispatch the plan through Slurm: one exclusive "
                   "job per node's share (docs/fleet.md)")
    p.add_argument("--partition", help="Slurm partition (with --slurm)")
    p.add_argument("--constraint", metavar="FEATURE",
                   help="Slurm node feature (with --slurm)")
    p.add_argument("--slurm-nodes", type=_pos_int, metavar="N",
                   help="Slurm nodes to share the plan over (with --slurm; "
                   "default 1)")
    p.add_argument("--dispatch", help=argparse.SUPPRESS)
    _db_flag(p)
    _disturbed_flag(p)
    _all_flag(p)
    _common(p)

    p = sub.add_parser("compare", help="compare two result sets",
                       description="Compare result sets A (base) and B (new):"
                       " a file, a directory, a sweep id ('latest'), "
                       "SWEEP:VARIANT, a variant name within --sweep, or "
                       "db:[HOST/]SWEEP[:VARIANT] from the results database.")
    p.add_argument("a")
    p.add_argument("b")
    p.add_argument("--sweep", help="sweep for bare variant names "
                   "(default: latest on this host)")
    p.add_argument("--metric", action="append",
                   help="only this metric (repeatable; shell patterns such "
                   "as 'slab.*.per_cycle' work)")
    p.add_argument("--json", action="store_true", help="print JSON")
    _db_flag(p)
    _disturbed_flag(p)
    _all_flag(p)
    _common(p)

    p = sub.add_parser("bisect", help="find the first bad variant or revision",
                       description="Between variants: binary search over "
                       "allocator/variants.list. With --git GOOD BAD: git "
                       "bisect run over revisions in a temporary worktree.")
    p.add_argument("--good", help="good variant")
    p.add_argument("--bad", help="bad variant")
    p.add_argument("--git", nargs=2, metavar=("GOOD", "BAD"),
                   help="bisect git revisions instead")
    p.add_argument("--variant", help="variant to build (with --git)")
    p.add_argument("--case", required=True)
    p.add_argument("-t", "--nr-task", dest="nr_task", type=_tasks, default=1)
    p.add_argument("--mode", choices=("threads", "processes"),
                   default="threads")
    p.add_argument("--metric", help="metric (default per_thread_ops or "
                   "per_process_ops)")
    p.add_argument("-s", "--seconds", type=_seconds, default=3)
    p.add_argument("--warmup", type=_warmup, default=1)
    p.add_argument("--repeats", type=_repeats, default=5,
                   help="first repeats per point (default %(default)s)")
    p.add_argument("--max-repeats", type=_repeats, default=20,
                   help="cap of the doubling (default %(default)s)")
    p.add_argument("--param", action="append", default=[],
                   metavar="NAME=VALUE")
    p.add_argument("--nodes", type=_pos_int, help="topology: NUMA nodes "
                   "(slabscale-run --nodes)")
    p.add_argument("--memoryless", help="topology: nodes without memory "
                   "(with --nodes)")
    p.add_argument("--variants-list", default=layout.variants_list_path(),
        help="variants, oldest first (default: %(default)s)")
    p.add_argument("--build", default=_build_dir())
    p.add_argument("--slurm", action="store_true", help="run the "
                   "bisection as one exclusive Slurm job on each of --slurm-nodes "
                   "nodes, each host deciding on its own runs")
    p.add_argument("--partition", help="Slurm partition (with --slurm)")
    p.add_argument("--constraint", metavar="FEATURE",
                   help="Slurm node feature (with --slurm)")
    p.add_argument("--slurm-nodes", type=_pos_int, metavar="N",
                   help="Slurm nodes, one bisection each (with --slurm; "
                   "default 1)")
    _common(p)

    p = sub.add_parser("plot", help="gnuplot charts (PNG and SVG)",
                       description="Metric versus nr_task for several result "
                       "sets (one line each, the first is the baseline), or "
                       "with --history the metric across the sweeps of this "
                       "host with change points marked.")
    p.add_argument("sets", nargs="*", help="result sets as for compare; "
                   "default: every variant of the latest sweep")
    p.add_argument("--case", required=True)
    p.add_argument("--metric", help="default per_thread_ops/per_process_ops")
    p.add_argument("--mode", choices=("threads", "processes"),
                   default="threads")
    p.add_argument("--sweep", help="sweep for bare variant names")
    p.add_argument("--history", action="store_true")
    p.add_argument("--variant", help="variant for --history (default: "
                   "one line per variant)")
    p.add_argument("--db", metavar="URL", help="with --history: the nights "
                   "recorded in this results database (a URL, an SQLite "
                   "file, or 'default' for RESULTS/slabscale.db) instead of "
                   "the sweep directories")
    p.add_argument("-t", "--nr-task", dest="nr_task", type=_tasks,
                   help="nr_task for --history (default: the smallest)")
    p.add_argument("-o", "--out", help="output base name (.png, .svg, .gp)")
    _disturbed_flag(p)
    _common(p)

    p = sub.add_parser("validate", help="the published kernel results as "
                       "a validation suite",
                       description="Run plans/validation/*.plan (one per "
                       "published kernel figure), print the table (row, "
                       "kernel figure, model figure, sign agrees, within 2x, "
                       "verdict) and write JSON.  Exit 0, or 5 when a row "
                       "that fits this machine disagrees; rows taken on more "
                       "CPUs run clamped and never fail.")
    p.add_argument("plans", nargs="*", default=[os.path.join(
        layout.repo_root(), "plans", "validation")],
        help="plan files or directories (default: plans/validation)")
    p.add_argument("--repeats", type=_pos_int, help="runs a side (default: "
                   "each plan's)")
    p.add_argument("-s", "--seconds", type=_pos_int)
    p.add_argument("--json", help="also write the JSON here")
    p.add_argument("--build", default=_build_dir())
    p.add_argument("--results", default=layout.default_results_dir())

    p = sub.add_parser("report", help="(re)write a sweep's HTML/Markdown report")
    p.add_argument("sweep", nargs="?", default="latest")
    _disturbed_flag(p)
    _common(p)

    dbcli.add_parsers(sub)

    p = sub.add_parser("nightly", help="the nightly job: import, sweep, "
                       "history, summary file",
                       description="What a cron (or Slurm scron) line "
                       "calls: import RESULTS into the database, run the "
                       "sweep (every option but --summary and --host is "
                       "the sweep's: --plan, --slurm, --slurm-nodes, --budget, "
                       "...), list what changed on each host since its last "
                       "clean night, write the summary file a mailer can "
                       "send, and exit with the sweep's status (0 clean, 1 "
                       "regression, 3 incomplete, 4 disturbed).")
    p.add_argument("--summary", metavar="FILE", help="summary file "
                   "(default: RESULTS/nightly-summary.txt)")
    p.add_argument("--host", help="the host whose changes to list "
                   "(default: every host in the database)")
    top.subcommands = dict(sub.choices)
    return top


def _plan_from_args(a):
    raw = planmod.load_plan_file(a.plan) if a.plan else {}
    for k in ("cases", "variants", "baseline", "nr_task", "modes", "events"):
        v = getattr(a, k)
        if v:
            raw[k] = v
    for k in ("repeats", "seconds", "warmup"):
        v = getattr(a, k)
        if v is not None:
            raw[k] = v
    if a.param:
        raw["params"] = ",".join(a.param)
    if not raw.get("variants"):
        vl = planmod.read_variants_list()
        if not vl:
            raise UserError("sweep: no --variants and allocator/variants.list"
                            " is empty")
        raw["variants"] = [vl[0], vl[-1]] if len(vl) > 1 else vl
    return raw


# what a --resume takes from its manifest, not from the command line
PLAN_OPTIONS = (("plan", "--plan"), ("cases", "--cases"),
                ("variants", "--variants"), ("baseline", "--baseline"),
                ("nr_task", "--nr-task"), ("modes", "--modes"),
                ("repeats", "--repeats"), ("seconds", "--seconds"),
                ("warmup", "--warmup"), ("param", "--param"),
                ("events", "--events"), ("budget", "--budget"),
                ("budget_time", "--budget-time"))


def _paint():
    return fmt.Paint(fmt.colour_wanted(sys.stdout))


def cmd_sweep(a):
    if not a.slurm and (a.partition or a.constraint or a.slurm_nodes):
        raise UserError("sweep: --partition, --constraint and --slurm-nodes "
                        "go with --slurm")
    if a.resume is not None:
        if not a.resume.strip():
            raise UserError("sweep: --resume needs a sweep id or 'latest' "
                            "(an empty value: an unset variable?)")
        given = [opt for k, opt in PLAN_OPTIONS if getattr(a, k)
                 not in (None, [], False)]
        if given:
            raise UserError("sweep: --resume continues a sweep with its own "
                            "plan and budget; %s cannot change them (start a "
                            "new sweep instead)" % ", ".join(given))
    plan = None if a.resume is not None else _plan_from_args(a)
    if a.slurm:
        return slurm.run_sweep(a, plan, _db_url(a))
    return sweep.run_sweep(plan, a.results, a.build, resume=a.resume,
                           db_url=_db_url(a), dispatch=a.dispatch,
                           allow_host_mismatch=a.allow_host_mismatch,
                           make_report=not a.no_report,
                           min_effect=a.min_effect,
                           budget={"runs": a.budget, "seconds": a.budget_time}
                           if not a.resume else None,
                           include_disturbed=a.include_disturbed,
                           show_all=a.show_all,
                           paint=fmt.Paint(fmt.colour_wanted(sys.stderr)))


def _resolve(spec, a):
    if spec.startswith("db:"):
        return dbqueries.resolve_set(spec[3:], _db_url(a))
    return layout.resolve_set(spec, a.results, a.sweep)


def cmd_compare(a):
    la, ra = _resolve(a.a, a)
    lb, rb = _resolve(a.b, a)
    res = compare.compare_sets(ra, rb, la, lb, min_effect=a.min_effect,
                               allow_host_mismatch=a.allow_host_mismatch,
                               metric_filter=a.metric,
                               include_disturbed=a.include_disturbed)
    if a.json:
        json.dump(res, sys.stdout, indent=1, sort_keys=True)
        sys.stdout.write("\n")
    else:
        paint = _paint()
        # metrics asked for by name are shown, diagnostic or not
        print(table.render(res, a.show_all or bool(a.metric), paint))
        print()
        print(summary.render(decide.alerts({"vs_baseline": [res],
                                            "vs_previous": []}),
                             paint=paint))
    return 0


def cmd_bisect(a):
    if a.slurm:
        return slurm.run_bisect(a)
    if a.git:
        if a.good or a.bad:
            raise UserError("bisect: --git takes GOOD BAD itself; drop "
                            "--good/--bad")
        if not a.variant:
            raise UserError("bisect --git needs --variant")
        return gitbisect.run_git_bisect(a)
    if not a.good or not a.bad:
        raise UserError("bisect needs --good and --bad variants (or --git)")
    return bisect.run_variants(a)


def cmd_plot(a):
    return plotcmd.run_plot(a)


def cmd_validate(a):
    return validate.run_validation(a)


def cmd_report(a):
    """Load, decide, write compare.json and the report (as a sweep's end
    does, without running anything)."""
    sdir = load.find_sweep(a.results, a.sweep)
    data = load.load_sweep(sdir, a.results)
    an = decide.analyse(data, a.min_effect, a.include_disturbed,
                        a.allow_host_mismatch)
    al = decide.alerts(an, data.plan)
    code, _ = decide.exit_status(an, data.manifest, a.include_disturbed)
    layout.write_json_atomic(os.path.join(sdir, "compare.json"),
                             dict(an, alerts=al, exit_status=code))
    fits = decide.scaling_fits(data, a.include_disturbed)
    print(term(report.write_report(data, an, al,
                                   lambda s: print(term(s), file=sys.stderr),
                                   fits=fits)))
    return 0


def cmd_nightly(a):
    s = a.sweep_args
    if s.resume:
        raise UserError("nightly runs a new sweep; --resume is the sweep's")
    if not s.plan and not s.cases:
        raise UserError("nightly needs --plan FILE (or --cases ...)")
    s.plan_raw = _plan_from_args(s)
    url = _db_url(s)
    if url is None:
        raise UserError("nightly keeps its history in the results "
                        "database; --db none leaves it nowhere")
    db.require(url)
    a.results = s.results
    return nightly.run_nightly(a, s, url)


COMMANDS = {"nightly": cmd_nightly, "sweep": cmd_sweep,
            "compare": cmd_compare, "bisect": cmd_bisect, "plot": cmd_plot,
            "report": cmd_report, "validate": cmd_validate}
COMMANDS.update(dbcli.COMMANDS)


def _interrupt(signum, frame):
    raise KeyboardInterrupt


def main(argv=None):
    """Exit status: 0 ok, 1 significant regression (sweep), 2 usage or bad
    input (one line naming the file and field), 3 a run failed or a
    resource error (a full disk: one line, never a traceback), 130
    interrupted."""
    argv = sys.argv[1:] if argv is None else list(argv)
    top = build_parser()
    args, extra = top.parse_known_args(argv)
    if args.cmd == "nightly" and not {"-h", "--help"} & set(argv):
        # nightly's own options, and the sweep's for the rest
        args.sweep_args = top.parse_args(["sweep"] + extra)
        extra = []
    if extra:
        # a misspelled option of a subcommand: that subcommand's usage
        sp = top.subcommands[args.cmd]
        opts = [o for act in sp._actions for o in act.option_strings]
        bad = [x for x in extra if x.startswith("-")] or extra
        sp.error("unrecognized argument%s: %s%s" % (
            "s" if len(extra) > 1 else "", " ".join(extra),
            did_you_mean(bad[0].split("=")[0], opts)))
    # a closed terminal (SIGHUP) or a kill (SIGTERM) stops a command as a
    # Ctrl-C does: what was done is kept, a sweep says how to resume
    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, _interrupt)
    try:
        return COMMANDS[args.cmd](args) or 0
    except UserError as e:
        sys.stderr.write("slabscale %s: %s\n" % (args.cmd, term(e)))
        return e.code
    except KeyboardInterrupt:
        sys.stderr.write("slabscale %s: interrupted\n" % args.cmd)
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        return 0
    except OSError as e:
        # writing results, plots, reports: a path that cannot be used is
        # the user's (2); a full disk, a read-only file system, an I/O
        # error are the machine's (3).  What was written before is kept.
        sys.stderr.write("slabscale %s: %s%s\n" % (
            args.cmd, term(e.filename) + ": " if e.filename else "",
            term(e.strerror or e)))
        return EXIT_USAGE if e.errno in PATH_ERRORS else EXIT_INCOMPLETE
