# SPDX-License-Identifier: GPL-2.0-only
"""Shared helpers for the cases' integration tests: find the runners and
run one case with a JSON document."""
import json
import os
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILD = os.environ.get("BUILD", os.path.join(ROOT, "build"))
sys.path.insert(0, os.path.join(ROOT, "analysis"))
from slabscale_analysis.plan import read_variants_list  # noqa: E402


def variants():
    """Allocator variants, oldest first, as allocator/variants.list has them."""
    return read_variants_list()


def runner(variant):
    return os.path.join(BUILD, variant, "slabscale-run")


def built_variants():
    return [v for v in variants() if os.access(runner(v), os.X_OK)]


def representative_variant():
    """The newest built variant: it has every feature built so far."""
    built = built_variants()
    if not built:
        pytest.fail("no build/<variant>/slabscale-run: run make first")
    return built[-1]


def list_cases(variant):
    """Case names that `slabscale-run --list` prints (first word a line)."""
    p = subprocess.run([runner(variant), "--list"], capture_output=True,
                       text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    names = set()
    for line in p.stdout.splitlines():
        words = line.split()
        if words:
            names.add(words[0].rstrip(":"))
    return names


class Result:
    def __init__(self, proc, doc):
        self.rc = proc.returncode
        self.stdout = proc.stdout
        self.stderr = proc.stderr
        self.doc = doc

    def __repr__(self):
        return "rc=%d\nstdout:\n%s\nstderr:\n%s" % (self.rc, self.stdout,
                                                    self.stderr)


def run_case(tmp_path, variant, case, params=None, mode="threads", tasks=1,
             seconds=1, warmup=0, extra=(), timeout=120):
    """Run one case briefly and return its Result (doc = JSON or None)."""
    out = tmp_path / ("%s-%s-%s.json" % (variant, case, mode))
    cmd = [runner(variant), case, "-t", str(tasks), "-s", str(seconds),
           "--warmup", str(warmup), "--mode", mode, "--no-events",
           "--json", str(out)]
    for k, v in (params or {}).items():
        cmd += ["--param", "%s=%s" % (k, v)]
    cmd += list(extra)
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    doc = None
    if out.exists():
        with open(out) as f:
            doc = json.load(f)
    return Result(p, doc)


@pytest.fixture(scope="session")
def rep_variant():
    return representative_variant()


def pytest_report_header(config):
    return "cases: python %s, variants built: %s" % (
        sys.version.split()[0], " ".join(built_variants()) or "none")
