# SPDX-License-Identifier: GPL-2.0-only
"""Fixtures for the harness tests: the runners, a schema validator, and a
helper that runs a runner and validates every JSON document it writes."""
import collections
import json
import os
import pathlib
import subprocess
import sys

import pytest

# Inputs the hostile-input suite (test_hostile.py) tried, by kind; printed
# at the end of the run.
HOSTILE = collections.Counter()


def pytest_terminal_summary(terminalreporter):
    if HOSTILE:
        terminalreporter.write_line(
            "hostile-input suite: %d inputs tried (%s)" % (
                sum(HOSTILE.values()), ", ".join(
                    "%d %s" % (n, k) for k, n in sorted(HOSTILE.items()))))

try:
    import jsonschema
except ImportError:  # pragma: no cover - explained, not skipped
    sys.exit("harness tests need python3-jsonschema (run: make deps)")

ROOT = pathlib.Path(__file__).resolve().parents[2]
BUILD = pathlib.Path(os.environ.get("SLABSCALE_BUILD", ROOT / "build"))
SCHEMA = json.loads((ROOT / "harness/schema/slabscale-run.schema.json").read_text())
VALIDATOR = jsonschema.Draft202012Validator(SCHEMA)


def validate(doc):
    """Raise if doc does not follow the slabscale-run schema."""
    errors = sorted(VALIDATOR.iter_errors(doc), key=lambda e: list(e.path))
    assert not errors, "\n".join(
        f"{list(e.path)}: {e.message}" for e in errors[:5])
    return doc


def load_json(path):
    return validate(json.loads(pathlib.Path(path).read_text()))


class Runner:
    def __init__(self, path):
        self.path = pathlib.Path(path)
        assert self.path.exists(), f"{self.path} not built (make)"

    def __call__(self, *args, timeout=120, check=None, **kw):
        p = subprocess.run([str(self.path), *map(str, args)],
                           capture_output=True, text=True, timeout=timeout,
                           **kw)
        if check is not None:
            assert p.returncode == check, (p.returncode, p.stdout, p.stderr)
        return p


@pytest.fixture(scope="session")
def run_none():
    return Runner(BUILD / "none/slabscale-run")


@pytest.fixture(scope="session")
def run_test():
    return Runner(BUILD / "test/slabscale-run")


@pytest.fixture(scope="session")
def build_dir():
    return BUILD


@pytest.fixture
def out(tmp_path):
    return tmp_path / "out.json"
