"""Change points in a series of nightly medians: E-Divisive (Matteson &
James), the method Chrome's anomaly detection and Apache Otava use, in its
plain form: binary segmentation on the energy statistic, each split kept
only if a permutation test finds it significant and the medians on both
sides differ by at least min_change."""

import numpy as np


def _energy(x, k):
    """Scaled energy distance between x[:k] and x[k:]."""
    a, b = x[:k], x[k:]
    m, n = a.size, b.size
    ab = np.abs(a[:, None] - b[None, :]).mean()
    aa = np.abs(a[:, None] - a[None, :]).sum() / (m * (m - 1)) if m > 1 else 0
    bb = np.abs(b[:, None] - b[None, :]).sum() / (n * (n - 1)) if n > 1 else 0
    return (m * n / (m + n)) * (2 * ab - aa - bb)


def best_split(x, min_size):
    """(index, statistic) of the strongest split, or (None, 0)."""
    best, stat = None, 0.0
    for k in range(min_size, x.size - min_size + 1):
        q = _energy(x, k)
        if q > stat:
            best, stat = k, q
    return best, stat


def e_divisive(values, min_size=3, alpha=0.05, permutations=199,
               min_change=0.05, seed=0):
    """Sorted indices i where a new segment starts at values[i]."""
    x = np.asarray(values, dtype=float)
    rng = np.random.default_rng(seed)
    found = []

    def split(lo, hi):
        seg = x[lo:hi]
        if seg.size < 2 * min_size:
            return
        k, stat = best_split(seg, min_size)
        if k is None or stat <= 0:
            return
        ge = 0
        for _ in range(permutations):
            _, s = best_split(rng.permutation(seg), min_size)
            ge += s >= stat
        p = (ge + 1) / (permutations + 1)
        if p > alpha:
            return
        left, right = np.median(seg[:k]), np.median(seg[k:])
        if left == 0 or abs(right / left - 1) < min_change:
            return
        found.append(lo + k)
        split(lo, lo + k)
        split(lo + k, hi)

    split(0, x.size)
    return sorted(found)
