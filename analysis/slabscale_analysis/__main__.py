"""python3 -m slabscale_analysis: check the dependencies, then run the CLI."""

import sys


def _need_modules():
    missing = []
    for mod in ("numpy", "scipy"):
        try:
            __import__(mod)
        except ImportError:
            missing.append(mod)
    if missing:
        sys.stderr.write(
            "slabscale: Python module(s) %s missing for %s.\n"
            "  slabscale needs Debian's /usr/bin/python3 with python3-numpy "
            "and python3-scipy\n  (install them with: make deps)\n"
            % (", ".join(missing), sys.executable))
        sys.exit(2)


_need_modules()

from .cli import main  # noqa: E402

sys.exit(main())
