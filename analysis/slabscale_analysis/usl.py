"""The Universal Scalability Law (Gunther) fitted to a scaling sweep.

Throughput at N tasks:  X(N) = lam * N / (1 + alpha (N - 1) + beta N (N - 1))

alpha (contention: the share of the work that serialises, a lock) and
beta (coherency: the cost each task adds to every other, cache lines
bouncing) say *why* a variant stops scaling; the peak is at
N* = sqrt((1 - alpha) / beta), where adding tasks starts to lose
throughput.  A per-task rate (per_thread_ops) is X(N) / N.

Fitted by least squares on the medians (scipy.optimize.curve_fit, alpha
and beta bounded to [0, 1]) when a series has at least MIN_TASKS task
counts: with three parameters, fewer points would fit anything.
"""

import math

import numpy as np

MIN_TASKS = 4
PEAK_RANGE = 100        # a peak further out than this x the largest
                        # task count measured is reported as none


def throughput(n, lam, alpha, beta):
    n = np.asarray(n, dtype=float)
    return lam * n / (1 + alpha * (n - 1) + beta * n * (n - 1))


def per_task(n, lam, alpha, beta):
    return throughput(n, lam, alpha, beta) / np.asarray(n, dtype=float)


def peak(alpha, beta):
    """N* (None where throughput never turns down: beta 0)."""
    if beta <= 0 or alpha >= 1 - 1e-9:
        return None     # no coherency cost, or nothing left to scale
    return math.sqrt((1 - alpha) / beta)


def fit(ns, values, per_task_values=True):
    """{"lam", "alpha", "beta", "peak", "n": task counts, "rel_rmse"} of
    one series (task counts and the median rate at each), or None when
    there are too few task counts or the fit fails."""
    pts = sorted((int(n), float(v)) for n, v in zip(ns, values)
                 if v is not None and v > 0)
    if len({n for n, _ in pts}) < MIN_TASKS:
        return None
    n = np.array([p[0] for p in pts], dtype=float)
    x = np.array([p[1] for p in pts], dtype=float)
    if per_task_values:
        x = x * n
    lam0 = float(x[n == n.min()].mean() / n.min())
    from scipy import optimize      # on first use: slow to import
    try:
        popt, _ = optimize.curve_fit(
            throughput, n, x, p0=(lam0, 0.01, 0.0001),
            bounds=((0, 0, 0), (np.inf, 1, 1)), maxfev=20000)
    except (RuntimeError, ValueError, optimize.OptimizeWarning):
        return None
    lam, alpha, beta = (float(v) for v in popt)
    pred = throughput(n, lam, alpha, beta)
    rel = float(np.sqrt(np.mean(((pred - x) / x) ** 2)))
    pk = peak(alpha, beta)
    if pk is not None and pk > PEAK_RANGE * n.max():
        pk = None       # far beyond what was measured: no peak to speak of
    return {"lam": lam, "alpha": alpha, "beta": beta,
            "peak": pk, "n": [int(v) for v in n],
            "rel_rmse": rel}


def describe(f):
    """'α 0.052, β 0.0011, N* 29' (or 'N* none' when throughput does not
    turn down within PEAK_RANGE x the task counts measured)."""
    pk = f["peak"]
    return "α %.3g, β %.3g, N* %s" % (
        f["alpha"], f["beta"], "%.0f" % pk if pk is not None
        else "none (no turn-down in range)")
