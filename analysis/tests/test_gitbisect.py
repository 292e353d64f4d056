"""bisect --git: exit-code mapping and a real `git bisect run` over a tiny
repository whose "build" makes a fake runner."""
import argparse
import json
import os
import subprocess
import sys

import pytest

from conftest import HERE
from slabscale_analysis import gitbisect


def test_exit_code_mapping():
    assert gitbisect.exit_code("good") == 0
    assert gitbisect.exit_code("bad") == 1
    assert gitbisect.exit_code("skip") == 125
    assert gitbisect.exit_code("anything else") == 125


def test_classify():
    good = [100.0, 101.0, 99.0, 100.5, 99.5]
    bad = [80.0, 81.0, 79.0, 80.5, 79.5]
    assert gitbisect.classify(good, good, bad, "higher") == "good"
    assert gitbisect.classify(bad, good, bad, "higher") == "bad"
    assert gitbisect.classify([], good, bad, "higher") == "skip"
    # too few runs to be significant: the closer reference decides
    assert gitbisect.classify([98.0], good, bad, "higher") == "good"
    assert gitbisect.classify([83.0], good, bad, "higher") == "bad"


def test_step_error_is_skip_never_128(tmp_path):
    p = tmp_path / "state.json"
    p.write_text("{broken")
    assert gitbisect.step(str(p)) == 125
    p.write_text(json.dumps({"worktree": str(tmp_path / "nowhere")}))
    assert gitbisect.step(str(p)) == 125


def git(repo, *args):
    subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@t"]
                   + list(args), cwd=repo, check=True, capture_output=True)


def commit(repo, ops, builds=True, msg=""):
    (repo / "runner.sh").write_text(
        "#!/bin/sh\nFAKE_OPS='{\"fake\": %d}' exec %s %s fake \"$@\"\n"
        % (ops, sys.executable, os.path.join(HERE, "fake_runner.py")))
    rule = ("mkdir -p build/fake && cp runner.sh $@ && chmod +x $@"
            if builds else "echo broken revision >&2; exit 1")
    (repo / "Makefile").write_text(
        "build/fake/slabscale-run: runner.sh\n\t%s\n" % rule)
    (repo / "msg").write_text(msg or "ops %d" % ops)
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", msg or "ops %d" % ops)
    return subprocess.run(["git", "rev-parse", "HEAD"], cwd=repo, check=True,
                          capture_output=True, text=True).stdout.strip()


@pytest.fixture
def repo(tmp_path):
    r = tmp_path / "repo"
    r.mkdir()
    git(r, "init", "-q")
    (r / ".gitignore").write_text("build/\n")
    return r


def args(good, bad):
    return argparse.Namespace(git=[good, bad], variant="fake",
                              case="page_fault3", nr_task=1, mode="threads",
                              seconds=1, warmup=0, repeats=5, param=[],
                              metric=None, min_effect=0.05)


def test_git_bisect_finds_first_bad_commit_and_cleans_up(repo, capsys):
    c0 = commit(repo, 1000000)
    commit(repo, 1000000, msg="still good")
    c2 = commit(repo, 800000, msg="the regression")
    commit(repo, 800000, builds=False, msg="does not build")
    c4 = commit(repo, 800000, msg="bad")
    rc = gitbisect.run_git_bisect(args(c0, c4), repo=str(repo))
    out = capsys.readouterr().out
    assert rc == 0, out
    assert "first bad revision: %s" % c2[:7] in out
    wts = subprocess.run(["git", "worktree", "list"], cwd=repo,
                         capture_output=True, text=True).stdout
    assert len(wts.strip().splitlines()) == 1
    head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=repo,
                          capture_output=True, text=True).stdout.strip()
    assert head == c4


def test_git_bisect_refuses_when_endpoints_equal(repo, capsys):
    c0 = commit(repo, 1000000)
    c1 = commit(repo, 1000000, msg="same")
    assert gitbisect.run_git_bisect(args(c0, c1), repo=str(repo)) == 3
    assert "not bisectable" in capsys.readouterr().out
