"""python3 -m slabscale_analysis: check the dependencies, then run the CLI."""

import importlib.util
import sys


def _need_modules():
    missing = []
    for mod in ("numpy", "scipy"):
        if importlib.util.find_spec(mod) is None:
            missing.append(mod)
    if missing:
        sys.stderr.write(
            "slabscale: Python module(s) %s missing for %s.\n"
            "  slabscale needs Debian's /usr/bin/python3 with python3-numpy "
            "and python3-scipy\n  (install them with: make deps)\n"
            % (", ".join(missing), sys.executable))
        sys.exit(2)


_need_modules()

if len(sys.argv) > 1 and sys.argv[1] in ("history", "db"):
    # the database's commands need no statistics: not importing scipy's
    # makes `slabscale history` answer in a fraction of the time
    from .dbcli import main  # noqa: E402
else:
    from .cli import main  # noqa: E402

sys.exit(main())
