"""The ./slabscale entry point: --help, exit 2 on usage errors, clear
one-line errors (no traceback) for bad input, compare end to end."""
import json
import re
import os
import subprocess

import pytest

from conftest import REPO, write_doc
from slabscale_analysis import synth

SLABSCALE = os.path.join(REPO, "slabscale")


def run(*args, env=None):
    e = dict(os.environ)
    e.update(env or {})
    return subprocess.run([SLABSCALE] + list(args), capture_output=True,
                          text=True, env=e, timeout=120)


@pytest.mark.parametrize("cmd", ["sweep", "compare", "bisect", "plot",
                                 "report"])
def test_every_subcommand_has_help(cmd):
    p = run(cmd, "--help")
    assert p.returncode == 0
    assert "usage: slabscale " + cmd in p.stdout


@pytest.mark.parametrize("args", [[], ["frobnicate"], ["compare", "a"],
                                  ["sweep", "--repeats", "zero"],
                                  ["compare", "a", "b", "--min-effect", "x"]])
def test_usage_errors_exit_2(args):
    p = run(*args)
    assert p.returncode == 2
    assert "Traceback" not in p.stderr
    assert "usage:" in p.stderr


def test_missing_input_is_a_clear_error(tmp_path):
    p = run("compare", str(tmp_path / "nope"), str(tmp_path / "nope2"),
            "--results", str(tmp_path))
    assert p.returncode == 2
    assert "Traceback" not in p.stderr
    assert "nope" in p.stderr


def test_malformed_file_is_a_clear_error(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "x.json").write_text("{")
    write_doc(str(tmp_path / "b" / "x.json"), synth.make_doc())
    p = run("compare", str(tmp_path / "a"), str(tmp_path / "b"))
    assert p.returncode == 2
    assert "malformed JSON" in p.stderr and "Traceback" not in p.stderr


def test_compare_dirs_table_and_json(tmp_path):
    for i, (a, b) in enumerate([(100, 90), (102, 91), (98, 89), (101, 90),
                                (99, 92)]):
        write_doc(str(tmp_path / "a" / ("%d.json" % i)),
                  synth.make_doc(ops=a * 1000.0, latency=1000.0))
        write_doc(str(tmp_path / "b" / ("%d.json" % i)),
                  synth.make_doc(ops=b * 1000.0, latency=1000.0))
    p = run("compare", str(tmp_path / "a"), str(tmp_path / "b"))
    assert p.returncode == 0, p.stderr
    assert re.search(r"%stddev +%change +%stddev", p.stdout)
    line = [l for l in p.stdout.splitlines()
            if l.rstrip().endswith("regression")][0]
    assert "per_thread_ops" in line and "-10.0%" in line
    p = run("compare", str(tmp_path / "a"), str(tmp_path / "b"), "--json")
    doc = json.loads(p.stdout)
    m = {x["metric"]: x for x in doc["groups"][0]["metrics"]}
    assert m["per_thread_ops"]["verdict"] == "regression"
    assert m["destroy_latency.p99"]["verdict"] == "no change"


def test_launcher_says_which_module_is_missing(tmp_path):
    p = run("--help", env={"SLABSCALE_PYTHON": "/bin/false"})
    assert p.returncode != 0
    fake = tmp_path / "py"
    fake.write_text("#!/bin/sh\nexec /usr/bin/python3 -S \"$@\"\n")
    fake.chmod(0o755)
    p = run("--help", env={"SLABSCALE_PYTHON": str(fake)})
    assert p.returncode == 2
    assert "numpy" in p.stderr and "make deps" in p.stderr
