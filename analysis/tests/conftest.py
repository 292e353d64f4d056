import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ANALYSIS = os.path.dirname(HERE)
REPO = os.path.dirname(ANALYSIS)
sys.path.insert(0, ANALYSIS)

import collections  # noqa: E402

import pytest  # noqa: E402

# Inputs the hostile-input suite (test_hostile.py) tried, by kind; printed
# at the end of the run.
HOSTILE = collections.Counter()


def pytest_terminal_summary(terminalreporter):
    if HOSTILE:
        terminalreporter.write_line(
            "hostile-input suite: %d inputs tried (%s)" % (
                sum(HOSTILE.values()), ", ".join(
                    "%d %s" % (n, k) for k, n in sorted(HOSTILE.items()))))


def write_doc(path, doc):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        json.dump(doc, f)
    return path


@pytest.fixture
def write():
    return write_doc


def fake_build(tmp_path, variants, **extra):
    """A build tree whose <variant>/slabscale-run is fake_runner.py, and the
    environment that points ./slabscale at it (results and the runner's
    log under tmp_path too)."""
    build = tmp_path / "build"
    for v in variants:
        d = build / v
        d.mkdir(parents=True)
        r = d / "slabscale-run"
        r.write_text("#!/bin/sh\nexec %s %s %s \"$@\"\n" % (
            sys.executable, os.path.join(HERE, "fake_runner.py"), v))
        r.chmod(0o755)
    return dict(os.environ, SLABSCALE_BUILD=str(build),
                SLABSCALE_RESULTS=str(tmp_path / "results"),
                FAKE_LOG=str(tmp_path / "log"), **extra)
