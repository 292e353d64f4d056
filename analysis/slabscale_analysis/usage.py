"""The argument parser every slabscale command line uses (cli.py, and
dbcli.py, which must start without scipy)."""

import argparse
import sys

from .errors import EXIT_USAGE


class Parser(argparse.ArgumentParser):
    """argparse, with usage errors exiting 2 (EXIT_USAGE) and no
    abbreviations: a misspelled option must not quietly become another
    one (--repeat would be --repeats, --s would be --since)."""

    def __init__(self, *a, **kw):
        kw.setdefault("allow_abbrev", False)
        super().__init__(*a, **kw)

    def error(self, message):
        self.print_usage(sys.stderr)
        sys.stderr.write("%s: error: %s\n" % (self.prog, message))
        sys.exit(EXIT_USAGE)
