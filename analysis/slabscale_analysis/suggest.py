"""'did you mean': the likely name for a misspelled case, variant, metric,
sweep or option."""

import difflib

from .textsafe import term


def close(name, candidates, n=3):
    """The candidates closest to name (difflib's ratio >= 0.6), best
    first; a case-insensitive exact match first of all."""
    cands = sorted({str(c) for c in candidates})
    low = [c for c in cands if c.lower() == str(name).lower()]
    return low + [c for c in difflib.get_close_matches(str(name), cands, n,
                                                       0.6) if c not in low]


def did_you_mean(name, candidates, otherwise=""):
    """'; did you mean X?' (or 'X or Y?'), else `otherwise`."""
    m = close(name, candidates, 2)
    if not m:
        return otherwise
    return "; did you mean %s?" % " or ".join(term(x) for x in m)
