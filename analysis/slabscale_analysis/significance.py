"""The statistics behind every verdict (see docs/statistics.md).

compare_samples() decides, for one metric, between
  regression / improvement  - Mann-Whitney U p <= alpha, the median moved by
                              at least min_effect in the worse (better)
                              direction, and the bootstrap CI of the ratio
                              of medians excludes 1;
  no change                 - the CI lies inside +-min_effect, or the change
                              is significant but smaller than min_effect, or
                              p > alpha although the runs had the power to
                              see a min_effect change;
  changed                   - as regression, for a metric without a better
                              direction;
  inconclusive              - anything else, with an estimate of the runs
                              per side that would settle it.

compare_rounds() decides the same verdicts over interleaved rounds: the
runs of one round (one of each side, run back to back) saw the same
neighbours, so the row is decided on the paired differences of the log
values of its complete rounds (a paired t-test, the blocked design of
Kalibera & Jones 2013 with the round as the block); it falls back to
compare_samples() where the runs were not interleaved.
"""

import math

import functools

import numpy as np

from .metrics import HIGHER, LOWER


@functools.cache
def _stats():
    """scipy.stats, imported on first use: it is a third of a second of
    every command's start, and most commands (usage errors, listings,
    plots of one side) never test anything."""
    from scipy import stats
    return stats

ALPHA = 0.05
MIN_EFFECT = 0.05
CONFIDENCE = 0.95
POWER = 0.80
BOOTSTRAP = 2000
MIN_RUNS = 3            # below this per side: always inconclusive
MIN_EXACT_RUNS = 5      # exact MWU two-sided p reaches 0.008 at n=5

REGRESSION = "regression"
IMPROVEMENT = "improvement"
NO_CHANGE = "no change"
CHANGED = "changed"
INCONCLUSIVE = "inconclusive"
VERDICTS = (REGRESSION, IMPROVEMENT, NO_CHANGE, CHANGED, INCONCLUSIVE)


def summary(vals):
    """n, mean, median, stddev (sample), rel. stddev, min, max."""
    a = np.asarray(vals, dtype=float)
    n = a.size
    if n == 0:
        return {"n": 0, "mean": None, "median": None, "stddev": None,
                "rel_stddev": None, "min": None, "max": None}
    mean = float(a.mean())
    sd = float(a.std(ddof=1)) if n > 1 else 0.0
    return {"n": int(n), "mean": mean, "median": float(np.median(a)),
            "stddev": sd, "rel_stddev": sd / abs(mean) if mean else 0.0,
            "min": float(a.min()), "max": float(a.max())}


def percentile(vals, q):
    """q-th percentile (0..100) of vals, linear between order statistics;
    None for no values."""
    if not len(vals):
        return None
    return float(np.percentile(np.asarray(vals, dtype=float), q))


def mannwhitney_p(a, b):
    """Two-sided Mann-Whitney U p-value; exact for small samples.

    scipy's "auto" method is exact when a side has <= 8 values and there are
    no ties.  All values equal: nothing to tell apart, p = 1.
    """
    a = np.asarray(a, dtype=float)
    b = np.asarray(b, dtype=float)
    if a.size == 0 or b.size == 0:
        return None
    if np.all(np.concatenate([a, b]) == a[0]):
        return 1.0
    return float(_stats().mannwhitneyu(a, b, alternative="two-sided",
                                  method="auto").pvalue)


def bootstrap_ratio_ci(a, b, confidence=CONFIDENCE, n_boot=BOOTSTRAP, seed=0):
    """Percentile bootstrap CI of median(b)/median(a) (fixed seed: same
    inputs, same answer)."""
    a = np.asarray(a, dtype=float)
    b = np.asarray(b, dtype=float)
    rng = np.random.default_rng(seed)
    ma = np.median(a[rng.integers(0, a.size, (n_boot, a.size))], axis=1)
    mb = np.median(b[rng.integers(0, b.size, (n_boot, b.size))], axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        r = mb / ma
    r = r[np.isfinite(r)]
    if r.size == 0:
        return None
    lo = (1 - confidence) / 2
    return float(np.quantile(r, lo)), float(np.quantile(r, 1 - lo))


def runs_needed(rel_noise, min_effect, alpha=ALPHA, power=POWER):
    """Runs per side for a two-sample test to see a min_effect shift under
    rel_noise relative stddev (normal approximation, at least MIN_EXACT_RUNS).
    """
    z = _stats().norm.ppf(1 - alpha / 2) + _stats().norm.ppf(power)
    if min_effect <= 0:
        return None
    n = 2 * (z * rel_noise / min_effect) ** 2
    return max(MIN_EXACT_RUNS, int(math.ceil(n)))


def runs_needed_paired(log_sd, min_effect, alpha=ALPHA, power=POWER):
    """Complete rounds for a paired t-test to see a min_effect shift when
    the log-ratios of the rounds have standard deviation log_sd (normal
    approximation plus Guenther's z^2/2 for the t, at least MIN_RUNS + 1:
    with 3 rounds the t has 2 degrees of freedom)."""
    if min_effect <= 0:
        return None
    za = _stats().norm.ppf(1 - alpha / 2)
    z = za + _stats().norm.ppf(power)
    delta = math.log1p(min_effect)
    n = (z * log_sd / delta) ** 2 + za ** 2 / 2
    return max(MIN_EXACT_RUNS, int(math.ceil(n)))


def paired_log_test(base, new, confidence=CONFIDENCE):
    """Paired t-test on d = log(new) - log(base), one value per complete
    round (all values > 0).  Returns (change, (ci_lo, ci_hi), p, sd of d):
    change = exp(mean d) - 1 (the geometric mean ratio), its t-interval
    mapped back the same way."""
    d = np.log(np.asarray(new, dtype=float)) - \
        np.log(np.asarray(base, dtype=float))
    n = d.size
    mean = float(d.mean())
    sd = float(d.std(ddof=1)) if n > 1 else 0.0
    if sd == 0:
        # every round moved by exactly the same factor
        p = 1.0 if mean == 0 else 0.0
        return math.expm1(mean), (math.expm1(mean), math.expm1(mean)), p, sd
    se = sd / math.sqrt(n)
    t = mean / se
    p = float(2 * _stats().t.sf(abs(t), n - 1))
    h = float(_stats().t.ppf(1 - (1 - confidence) / 2, n - 1)) * se
    return math.expm1(mean), (math.expm1(mean - h), math.expm1(mean + h)), \
        p, sd


def _decide(res, change, ci, p, n, need, noise_text, better, min_effect,
            alpha):
    """The verdict rules shared by the unpaired and the paired test."""
    res["change"] = change
    res["p"] = p
    res["ci"] = ci
    ci_lo, ci_hi = ci if ci else (-math.inf, math.inf)
    sig = p <= alpha
    big = abs(change) >= min_effect
    excludes_zero = ci_lo > 0 or ci_hi < 0
    if sig and big and excludes_zero:
        if better is None:
            res["verdict"] = CHANGED
        elif (change < 0) == (better == HIGHER):
            res["verdict"] = REGRESSION
        else:
            res["verdict"] = IMPROVEMENT
        res["reason"] = "p %.3g <= %.3g and |change| >= %.1f%%" % (
            p, alpha, 100 * min_effect)
    elif sig and not big:
        res["verdict"] = NO_CHANGE
        res["reason"] = "significant but below the %.1f%% minimum effect" % (
            100 * min_effect)
    elif -min_effect < ci_lo and ci_hi < min_effect:
        res["verdict"] = NO_CHANGE
        res["reason"] = "CI of the change within +-%.1f%%" % (100 * min_effect)
    elif not sig and n >= need:
        res["verdict"] = NO_CHANGE
        res["reason"] = ("p %.3g > %.3g with enough runs to see a %.1f%% "
                         "change" % (p, alpha, 100 * min_effect))
    elif need == math.inf:
        res["reason"] = ("no minimum effect: p %.3g > %.3g, and no number of "
                         "runs shows a change of 0 exactly" % (p, alpha))
    else:
        res["more_runs"] = max(need - n, 1)
        res["reason"] = ("not enough runs for the noise (%s): about %d "
                         "per side would settle it" % (noise_text, need))


def from_zero(res, base, new, better, alpha):
    """The base median is 0, so no relative change exists; a counter that
    appears where it was absent (a lock taken, a slow path reached) is
    still a change when the new runs sit above the base ones (Mann-Whitney
    p <= alpha, new median > 0): change None, 'from_zero' set."""
    n = min(res["base"]["n"], res["new"]["n"])
    res["from_zero"] = True
    if n < MIN_RUNS or res["new"]["median"] <= 0:
        res["reason"] = "base median is 0: relative change undefined"
        return
    p = mannwhitney_p(base, new)
    res["p"] = p
    if p > alpha:
        res["reason"] = ("base median is 0, new median %.4g, p %.3g > %.3g"
                         % (res["new"]["median"], p, alpha))
        return
    if better is None:
        res["verdict"] = CHANGED
    elif better == LOWER:
        res["verdict"] = REGRESSION
    else:
        res["verdict"] = IMPROVEMENT
    res["reason"] = ("from 0 to a median of %.4g (p %.3g <= %.3g)" %
                     (res["new"]["median"], p, alpha))


def compare_samples(base, new, better=HIGHER, min_effect=MIN_EFFECT,
                    alpha=ALPHA):
    """Compare two samples of one metric; returns a dict (JSON-ready)."""
    sa, sb = summary(base), summary(new)
    res = {"base": sa, "new": sb, "better": better, "change": None,
           "ci": None, "p": None, "verdict": INCONCLUSIVE,
           "more_runs": None, "reason": ""}
    if sa["n"] == 0 or sb["n"] == 0:
        res["reason"] = "no successful runs on one side"
        return res
    if sa["median"] == 0:
        if sa["max"] == sa["min"] == sb["max"] == sb["min"] == 0:
            res.update(change=0.0, p=1.0, ci=(0.0, 0.0), verdict=NO_CHANGE,
                       reason="all values are 0")
        else:
            from_zero(res, base, new, better, alpha)
        return res
    change = sb["median"] / sa["median"] - 1
    res["change"] = change
    n = min(sa["n"], sb["n"])
    noise = math.sqrt(((sa["rel_stddev"] or 0) ** 2 +
                       (sb["rel_stddev"] or 0) ** 2) / 2)
    need = runs_needed(noise, min_effect, alpha)
    if need is None:            # no minimum effect: no run count settles it
        need = math.inf
    if n < MIN_RUNS:
        res["reason"] = "fewer than %d runs per side" % MIN_RUNS
        res["more_runs"] = MIN_RUNS - n if need == math.inf else \
            max(need, MIN_RUNS) - n
        return res
    p = mannwhitney_p(base, new)
    ci = bootstrap_ratio_ci(base, new)
    _decide(res, change, None if ci is None else (ci[0] - 1, ci[1] - 1), p,
            n, need, "%.1f%%" % (100 * noise), better, min_effect, alpha)
    return res


def compare_rounds(base, new, better=HIGHER, min_effect=MIN_EFFECT,
                   alpha=ALPHA):
    """Compare two sides given as lists of (round, value); round None: the
    run belongs to no interleaved round.

    Rounds with a value on both sides are complete (one value a side: a
    round with several values on a side is not a pairing round).  With at
    least MIN_RUNS complete rounds, every value > 0, the verdict is the
    paired test's over those rounds only (the others are counted,
    "rounds"); else compare_samples() over every value, saying why.
    The result carries "paired" (bool) and "rounds": {"complete": k,
    "incomplete": m} (rounds with a value on one side only)."""
    av = [v for _, v in base]
    bv = [v for _, v in new]
    ra, rb = {}, {}
    for side, vals in ((ra, base), (rb, new)):
        for r, v in vals:
            if r is not None:
                side.setdefault(r, []).append(v)
    complete = sorted((r for r in ra if r in rb and len(ra[r]) == 1 and
                       len(rb[r]) == 1), key=repr)
    incomplete = len(set(ra) ^ set(rb))
    pa = [ra[r][0] for r in complete]
    pb = [rb[r][0] for r in complete]
    res = compare_samples(av, bv, better, min_effect, alpha)
    res["paired"] = False
    res["rounds"] = {"complete": len(complete), "incomplete": incomplete}
    if not complete:
        if av and bv:
            res["unpaired_why"] = "runs not interleaved"
        return res
    if len(complete) < MIN_RUNS:
        res["unpaired_why"] = "%d complete round(s), fewer than %d" % (
            len(complete), MIN_RUNS)
        return res
    if min(pa + pb) <= 0:
        res["unpaired_why"] = "values <= 0 have no log-ratio"
        return res
    n = len(complete)
    change, ci, p, sd = paired_log_test(pa, pb)
    need = runs_needed_paired(sd, min_effect, alpha)
    if need is None:            # no minimum effect: no run count settles it
        need = math.inf
    out = {"base": res["base"], "new": res["new"], "better": better,
           "change": None, "ci": None, "p": None, "verdict": INCONCLUSIVE,
           "more_runs": None, "reason": "", "paired": True,
           "rounds": res["rounds"], "log_ratio_sd": sd,
           "unpaired": {k: res[k] for k in ("verdict", "change", "p", "ci")}}
    _decide(out, change, ci, p, n, need, "round-to-round %.1f%%" % (
        100 * sd), better, min_effect, alpha)
    out["reason"] = "paired over %d complete round(s)%s: %s" % (
        n, "" if not incomplete else " (%d incomplete left out)"
        % incomplete, out["reason"])
    return out
