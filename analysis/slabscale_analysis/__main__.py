"""python3 -m slabscale_analysis: check the dependencies, then run the CLI."""

import importlib.util
import sys


MODULES = (("numpy", "python3-numpy"), ("scipy", "python3-scipy"),
           ("sqlalchemy", "python3-sqlalchemy"),
           ("alembic", "python3-alembic"))


def _need_modules():
    missing = [(mod, pkg) for mod, pkg in MODULES
               if importlib.util.find_spec(mod) is None]
    if missing:
        sys.stderr.write(
            "slabscale: Python module(s) %s missing for %s.\n"
            "  slabscale needs Debian's /usr/bin/python3 with %s\n"
            "  (install them with: make deps)\n"
            % (", ".join(m for m, _ in missing), sys.executable,
               ", ".join(p for _, p in MODULES)))
        sys.exit(2)


_need_modules()

if len(sys.argv) > 1 and sys.argv[1] in ("history", "db"):
    # the database's commands need no statistics: not importing scipy's
    # makes `slabscale history` answer in a fraction of the time
    from .dbcli import main  # noqa: E402
else:
    from .cli import main  # noqa: E402

sys.exit(main())
