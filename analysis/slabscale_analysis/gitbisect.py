"""slabscale bisect --git GOOD BAD --variant V --case C: git revisions.

The main work tree is never touched: a detached linked worktree in a
temporary directory is built and measured (refs/bisect and BISECT_* are
per worktree), and it is removed again at the end, whatever happens.

  1. Measure GOOD and BAD (build/<V>/slabscale-run, `repeats` runs each).
     If BAD is not a significant regression against GOOD, stop: not
     bisectable.
  2. `git bisect start BAD GOOD` and `git bisect run` this package's step
     (python3 -m slabscale_analysis.gitbisect STATE), which builds the
     revision, measures it and exits
        0   good: not a regression against GOOD (or closer to GOOD),
        1   bad: a regression against GOOD (or closer to BAD),
        125 skip: the revision does not build, the case is missing or every
            run crashed/failed,
     and never >= 128 (that would abort the bisection): every unexpected
     error maps to 125 too.
"""

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

import numpy as np

from . import layout, safeio, significance, table
from .errors import UserError
from .results import HIGHER, LOWER, load_run, primary_metric

GOOD, BAD, SKIP = "good", "bad", "skip"
EXIT = {GOOD: 0, BAD: 1, SKIP: 125}


def exit_code(outcome):
    """git bisect run exit status for an outcome; unknown -> skip (125)."""
    code = EXIT.get(outcome, 125)
    assert 0 <= code < 128
    return code


def classify(vals, good_vals, bad_vals, better, min_effect=significance.MIN_EFFECT):
    """GOOD / BAD / SKIP for a revision's values against both references."""
    if not vals:
        return SKIP
    r = significance.compare_samples(good_vals, vals, better, min_effect)
    if r["verdict"] == significance.REGRESSION:
        return BAD
    r2 = significance.compare_samples(vals, bad_vals, better, min_effect)
    if r2["verdict"] == significance.REGRESSION:
        return GOOD
    m = float(np.median(vals))
    dg = abs(m - float(np.median(good_vals)))
    db = abs(m - float(np.median(bad_vals)))
    return GOOD if dg <= db else BAD


def _git(args, cwd, check=True):
    p = subprocess.run(["git"] + args, cwd=cwd, capture_output=True,
                       text=True)
    if check and p.returncode != 0:
        raise UserError("git %s: %s" % (" ".join(args), p.stderr.strip()))
    return p


def _commit(rev, repo):
    """The full hash of revision rev; a revision git could read as an
    option (a leading '-') is refused, never handed to git."""
    if not rev or rev.startswith("-") or any(c in rev for c in "\0\n"):
        raise UserError("bisect --git: %r is not a revision" % rev)
    sha = _git(["rev-parse", "--verify", "--end-of-options",
                rev + "^{commit}"], repo).stdout.strip()
    if not re.match(r"^[0-9a-f]{40}([0-9a-f]{24})?$", sha):
        raise UserError("bisect --git: %r is not a revision" % rev)
    return sha


def build_and_measure(st, log=print):
    """Build st['variant'] in st['worktree'] and measure; values or None."""
    wt, v = st["worktree"], st["variant"]
    runner = os.path.join(wt, "build", v, "slabscale-run")
    p = subprocess.run(["make", "-C", wt, "-j2", "--no-print-directory",
                        "build/%s/slabscale-run" % v],
                       capture_output=True, text=True)
    if p.returncode != 0 or not os.access(runner, os.X_OK):
        log("  build failed: %s" % (p.stderr.strip().splitlines() or
                                    ["?"])[-1])
        return None
    vals = []
    for k in range(st["repeats"]):
        out = os.path.join(st["tmp"], "run-%d.json" % k)
        if os.path.exists(out):
            os.unlink(out)
        cmd = [runner, st["case"], "-t", str(st["nr_task"]), "-s",
               str(st["seconds"]), "--warmup", str(st["warmup"]), "--mode",
               st["mode"], "--json", out]
        for kv in st["params"]:
            cmd += ["--param", kv]
        try:
            rc = subprocess.run(cmd, capture_output=True,
                                timeout=st["seconds"] + st["warmup"] + 120
                                ).returncode
        except subprocess.TimeoutExpired:
            rc = 124
        if rc != 0 or not os.path.exists(out):
            log("  run %d: exit %d (not counted)" % (k + 1, rc))
            continue
        try:
            m = load_run(out).metrics().get(st["metric"])
        except UserError:
            m = None
        if m is not None:
            vals.append(m[0])
    return vals or None


def step(state_path):
    """One `git bisect run` step; returns the exit status."""
    try:
        with open(state_path) as f:
            st = json.load(f)
        head = _git(["rev-parse", "--short", "HEAD"], st["worktree"]).stdout
        vals = build_and_measure(st, log=lambda s: print(s, flush=True))
        out = classify(vals or [], st["good_vals"], st["bad_vals"],
                       st["better"], st["min_effect"])
        print("slabscale bisect: %s -> %s %s" % (head.strip(), out,
                                                 vals or ""), flush=True)
        return exit_code(out)
    except BaseException as e:      # never >= 128, never a crash exit
        print("slabscale bisect: step error (skip): %s" % e, flush=True)
        return exit_code(SKIP)


def run_git_bisect(a, repo=None):
    repo = repo or layout.repo_root()
    good, bad = (_commit(rev, repo) for rev in a.git)
    safeio.check_name(a.case, "bisect: case")
    safeio.check_name(a.variant, "bisect: variant")
    metric = a.metric or primary_metric(a.mode)
    tmp = tempfile.mkdtemp(prefix="slabscale-gitbisect-")
    wt = os.path.join(tmp, "wt")
    st = {"worktree": wt, "tmp": tmp, "variant": a.variant, "case": a.case,
          "nr_task": a.nr_task, "mode": a.mode, "seconds": a.seconds,
          "warmup": a.warmup, "repeats": a.repeats, "params": a.param,
          "metric": metric, "min_effect": a.min_effect,
          "better": HIGHER if metric.endswith("_ops") else LOWER}
    try:
        _git(["worktree", "add", "--detach", wt, bad], repo)
        refs = {}
        for name, rev in (("good", good), ("bad", bad)):
            _git(["checkout", "-q", "--detach", rev], wt)
            print("bisect --git: measuring %s %s" % (name, rev[:12]),
                  flush=True)
            vals = build_and_measure(st)
            if not vals:
                raise UserError("bisect --git: %s revision %s does not build "
                                "or run %s on %s" % (name, rev[:12], a.case,
                                                     a.variant))
            refs[name] = vals
        st["good_vals"], st["bad_vals"] = refs["good"], refs["bad"]
        r = significance.compare_samples(refs["good"], refs["bad"], st["better"],
                                  a.min_effect)
        print(table.header(max(20, len(metric))))
        print(table.row(metric, r, max(20, len(metric))))
        if r["verdict"] != significance.REGRESSION:
            print("not bisectable: %s is not a significant regression "
                  "against %s (%s)" % (a.git[1], a.git[0], r["reason"]))
            return 3
        spath = os.path.join(tmp, "state.json")
        with open(spath, "w") as f:
            json.dump(st, f)
        _git(["bisect", "start", bad, good], wt)
        env = dict(os.environ, PYTHONPATH=os.path.dirname(
            os.path.dirname(os.path.abspath(__file__))))
        p = subprocess.run(["git", "bisect", "run", sys.executable, "-m",
                            "slabscale_analysis.gitbisect", spath], cwd=wt,
                           capture_output=True, text=True, env=env)
        print(p.stdout)
        m = re.search(r"^([0-9a-f]{7,40}) is the first bad commit", p.stdout,
                      re.M)
        _git(["bisect", "reset"], wt, check=False)
        if m:
            print("first bad revision: %s" % m.group(1))
            return 0
        print("bisect --git: no single first bad revision (%s)"
              % (p.stderr.strip() or "see above"))
        return 3
    finally:
        _git(["worktree", "remove", "--force", wt], repo, check=False)
        shutil.rmtree(tmp, ignore_errors=True)
        _git(["worktree", "prune"], repo, check=False)


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.stderr.write("usage: python3 -m slabscale_analysis.gitbisect "
                         "STATE.json\n")
        sys.exit(125)
    sys.exit(step(sys.argv[1]))
