"""The command line of the results database: `slabscale history` and
`slabscale db`.  cli.py lists them with the other commands; __main__ runs
them through main() here without importing the statistics (scipy) the
other commands need, so that history answers quickly."""

import argparse
import re
import sys

from . import db, history, layout
from .db import importer
from .db.engine import open_db
from .errors import UserError, EXIT_USAGE, EXIT_INTERRUPTED
from .usage import Parser
from .textsafe import term


def pos_int(s):
    try:
        v = int(s)
    except ValueError:
        raise argparse.ArgumentTypeError("%r is not an integer" % s)
    if v < 1:
        raise argparse.ArgumentTypeError("%r must be >= 1" % s)
    return v


def db_flag(p):
    p.add_argument("--db", metavar="URL", help="results database: "
                   "postgresql://..., sqlite:///FILE or a file path, 'none' "
                   "for no database (default: $SLABSCALE_DB, else "
                   "RESULTS/slabscale.db)")


def results_flag(p):
    p.add_argument("--results", default=layout.default_results_dir(),
                   help="results directory (default: %(default)s; "
                   "env SLABSCALE_RESULTS)")


def db_url(a):
    given = getattr(a, "db", None)
    return db.url_for(None if given == "default" else given, a.results)


def since(s):
    if s and not re.match(r"^\d{4}-\d{2}-\d{2}", s):
        raise UserError("--since %r is not a date (YYYY-MM-DD)" % s)
    return s


def add_parsers(sub):
    p = sub.add_parser("history", help="nightly history of a series from "
                       "the results database, with change points",
                       description="The nights (sweeps) of one case and "
                       "variant on one host from the results database: a "
                       "table and a plot with change points and the commit "
                       "range each falls in; an open change says how many "
                       "more nights would settle it.  --changed: what "
                       "changed on each host since its last clean night.")
    p.add_argument("--case")
    p.add_argument("--variant")
    p.add_argument("--changed", action="store_true")
    p.add_argument("--host", help="host (default: this one; with --changed: "
                   "every host)")
    p.add_argument("--since", metavar="DATE", help="nights started on or "
                   "after DATE (YYYY-MM-DD)")
    p.add_argument("--metric", help="default per_thread_ops/per_process_ops")
    p.add_argument("--mode", choices=("threads", "processes"),
                   default="threads")
    p.add_argument("-t", "--nr-task", dest="nr_task", type=pos_int,
                   help="nr_task (default: the smallest)")
    p.add_argument("-o", "--out", help="plot base name (.png, .svg, .gp)")
    p.add_argument("--param", action="append", default=[],
                   metavar="NAME=VALUE", help="the runs with exactly these "
                   "case parameters (default: the newest night's)")
    p.add_argument("--no-plot", action="store_true")
    db_flag(p)
    p.add_argument("--include-disturbed", action="store_true",
                   help="count runs the harness marked disturbed (left out by default)")
    results_flag(p)

    p = sub.add_parser("db", help="the results database: import results",
                       description="import DIR: record every run document "
                       "below DIR (sweeps, bisections, loose files) in the "
                       "results database; a run already there is not added "
                       "again.  upgrade: bring its schema to the newest "
                       "migration.")
    p.add_argument("action", choices=("import", "upgrade"))
    p.add_argument("dir", nargs="?", help="results directory (import; "
                   "default: --results)")
    db_flag(p)
    results_flag(p)


def cmd_history(a):
    a.since = since(a.since)
    url = db_url(a)
    if url is None:
        raise UserError("history reads the results database; --db none "
                        "leaves nothing to read")
    return history.run_history(a, url)


def cmd_db(a):
    url = db_url(a)
    if url is None:
        raise UserError("db: --db none names no database")
    if a.action == "upgrade":
        open_db(url)
        return 0
    return importer.cmd_import(url, a.dir or a.results,
                               lambda s: print(s, flush=True))


COMMANDS = {"history": cmd_history, "db": cmd_db}


def main(argv=None):
    """As cli.main, for the commands above only."""
    top = Parser(prog="slabscale")
    sub = top.add_subparsers(dest="cmd", metavar="COMMAND",
                             parser_class=Parser)
    sub.required = True
    add_parsers(sub)
    args = top.parse_args(argv)
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
        sys.stderr.write("slabscale %s: %s%s\n" % (
            args.cmd, term(e.filename) + ": " if e.filename else "",
            term(e.strerror or e)))
        return EXIT_USAGE if e.filename else 3
