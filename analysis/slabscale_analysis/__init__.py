"""slabscale analysis: sweeps, statistics, compare, bisect, plots, report.

Small pure functions in modules, a thin command line in cli.py.  Run it
through the ./slabscale launcher at the repository root.
"""

SCHEMA = "slabscale-run"
KNOWN_SCHEMA_VERSIONS = (1,)
