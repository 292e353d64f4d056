"""Numbers as people read them: SI prefixes and units, one p-value
format, neutral words for diagnostic changes, colour only where it helps.

  quantity(6160383, "ns")        -> "6.16 ms"
  quantity(343548, "ops/s")      -> "344k ops/s"
  quantity(2.714e-05, "slabs/op") -> "27.1µ slabs/op"
  compact(343548, "ops/s")       -> "344k"   (a table column; the unit
                                              goes beside the metric name)
  pvalue(0.00058)                -> "<0.001"; pvalue(0.0213) -> "0.021"
"""

import math
import os

SI = ((1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k"), (1, ""),
      (1e-3, "m"), (1e-6, "µ"), (1e-9, "n"))
TIME_UNITS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1.0}
TIME_STEPS = ((1.0, "s"), (1e-3, "ms"), (1e-6, "µs"), (1e-9, "ns"))
BYTE_UNITS = {"B": 1, "bytes": 1, "KiB": 1024, "kB": 1024, "MiB": 1 << 20}
BYTE_STEPS = ((1 << 40, "TiB"), (1 << 30, "GiB"), (1 << 20, "MiB"),
              (1 << 10, "KiB"), (1, "B"))


def _digits(x):
    """Three significant digits, never an exponent (x in [0, 1000))."""
    a = abs(x)
    if a >= 99.95:
        return "%.0f" % x
    if a >= 9.995:
        return "%.1f" % x
    return "%.2f" % x


def _si(v):
    """(number text, prefix)."""
    if v == 0:
        return "0", ""
    a = abs(v)
    for scale, prefix in SI:
        if a >= scale * 0.9995:
            return _digits(v / scale), prefix
    return _digits(v / 1e-9), "n"


def _scaled(v, base, steps):
    x = v * base
    a = abs(x)
    for scale, name in steps:
        if a >= scale * 0.9995:
            return _digits(x / scale), name
    return _digits(x / steps[-1][0]), steps[-1][1]


def is_time(unit):
    return unit in TIME_UNITS


def quantity(v, unit=""):
    """A value with its unit, e.g. "6.16 ms", "344k ops/s", "1.50 GiB"."""
    if v is None:
        return "-"
    if isinstance(v, float) and not math.isfinite(v):
        return str(v)
    if v == 0:
        return "0" + (" " + unit if unit and unit != "count" else "")
    if unit in TIME_UNITS:
        num, name = _scaled(v, TIME_UNITS[unit], TIME_STEPS)
        return "%s %s" % (num, name)
    if unit in BYTE_UNITS:
        num, name = _scaled(v, BYTE_UNITS[unit], BYTE_STEPS)
        return "%s %s" % (num, name)
    num, prefix = _si(v)
    if not unit or unit == "count":
        return num + prefix
    return "%s%s %s" % (num, prefix, unit)


def compact(v, unit=""):
    """A table cell: the number with its SI prefix, and the unit only
    where it scales (time, bytes); unit_note() gives the rest."""
    if v is None:
        return "-"
    if v == 0:
        return "0"
    if unit in TIME_UNITS or unit in BYTE_UNITS:
        return quantity(v, unit).replace(" ", "")
    num, prefix = _si(v)
    return num + prefix


def unit_note(unit):
    """What goes beside the metric name for compact() cells: "(ops/s)", or
    "" where the cells carry their unit."""
    if not unit or unit == "count" or unit in TIME_UNITS or \
            unit in BYTE_UNITS:
        return ""
    return "(%s)" % unit


def change(c, places=1):
    return "-" if c is None else "%+.*f%%" % (places, 100 * c)


def pvalue(p):
    """One format for every p: three decimals, "<0.001" below."""
    if p is None:
        return "-"
    return "<0.001" if p < 0.001 else "%.3f" % p


def ratio_word(res):
    """The neutral description of a diagnostic row's move: "new", "gone",
    "↑ 3.2×", "↓ 45%", or "" when it did not move significantly."""
    if res.get("verdict") not in ("regression", "improvement", "changed"):
        return ""
    a, b = res["base"]["median"], res["new"]["median"]
    if not a and b:
        return "new"
    if a and not b:
        return "gone"
    if not a or b is None:
        return ""
    r = b / a
    if r >= 2:
        return "↑ %.1f×" % r
    if r <= 0.5:
        return "↓ %.1f×" % (1 / r) if r else "gone"
    return "%s %.0f%%" % ("↑" if r > 1 else "↓", abs(100 * (r - 1)))


# ---- colour -----------------------------------------------------------------
RED, GREEN, YELLOW, DIM, BOLD, RESET = ("\033[31m", "\033[32m", "\033[33m",
                                        "\033[2m", "\033[1m", "\033[0m")


def colour_wanted(stream, env=None):
    """Colour only on a terminal, and never with NO_COLOR set
    (no-color.org) or TERM=dumb."""
    env = os.environ if env is None else env
    if env.get("NO_COLOR"):
        return False
    if env.get("TERM") == "dumb":
        return False
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


class Paint:
    """Wraps text in ANSI colours when enabled, else returns it as is."""

    def __init__(self, enabled):
        self.enabled = bool(enabled)

    def __call__(self, text, colour):
        if not self.enabled or not colour:
            return text
        return colour + text + RESET

    def verdict(self, text, verdict, gating=True):
        if not gating:
            return self(text, DIM)
        return self(text, {"regression": RED + BOLD, "improvement": GREEN,
                           "inconclusive": YELLOW}.get(verdict))
