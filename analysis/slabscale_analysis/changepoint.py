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


def _energies(x, ks):
    """_energy(x, k) for every k of ks at once: the block sums of the
    distance matrix from its 2-D prefix sums, O(n^2) for all splits."""
    n = x.size
    s = np.zeros((n + 1, n + 1))
    s[1:, 1:] = np.abs(x[:, None] - x[None, :]).cumsum(0).cumsum(1)
    m = ks.astype(float)
    r = n - m
    aa = s[ks, ks]
    ab = s[ks, n] - aa
    bb = s[n, n] - 2 * s[ks, n] + aa
    with np.errstate(invalid="ignore", divide="ignore"):
        q = (m * r / n) * (2 * ab / (m * r)
                           - np.where(m > 1, aa / (m * (m - 1)), 0)
                           - np.where(r > 1, bb / (r * (r - 1)), 0))
    return q


def best_split(x, min_size):
    """(index, statistic) of the strongest split, or (None, 0)."""
    ks = np.arange(min_size, x.size - min_size + 1)
    if ks.size == 0:
        return None, 0.0
    q = _energies(x, ks)
    i = int(np.argmax(q))
    if not q[i] > 0:
        return None, 0.0
    return int(ks[i]), float(q[i])


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
        # p = (ge + 1) / (permutations + 1) > alpha is certain as soon as
        # ge passes this: stop there (the same decision, far sooner on
        # the segments without a change, which are most of them)
        most = alpha * (permutations + 1) - 1
        ge = 0
        for _ in range(permutations):
            _, s = best_split(rng.permutation(seg), min_size)
            ge += s >= stat
            if ge > most:
                return
        left, right = np.median(seg[:k]), np.median(seg[k:])
        if left == 0 or abs(right / left - 1) < min_change:
            return
        found.append(lo + k)
        split(lo, lo + k)
        split(lo + k, hi)

    split(0, x.size)
    return sorted(found)
