# SPDX-License-Identifier: GPL-2.0-only
"""The hostile-input suite of the runner: option values, case
and parameter names, --param values and --json targets built to break it.
Every one is a usage error: exit 2, a message on stderr, nothing measured
(stdout empty), no document written, no crash.  The number of inputs tried
is printed at the end of the run (conftest.py)."""
import os

import pytest

from conftest import HOSTILE

ESC = "\x1b]0;pwned\x07\x1b[2J"
NUMBERS = ["", " ", "-1", "abc", "1e400", "nan", "inf", "-inf", "0x10",
           " 1", "1 ", "+1", "1,5", "1e300", "99999999999999999999", ESC,
           "\n1", "1\n"]


def option_inputs():
    out = []
    for opt in ("-s", "--seconds", "--warmup"):
        out += [[opt, v] for v in NUMBERS + ["1.5", "0.3", "1e9"]]
    out += [["--interval", v] for v in NUMBERS + ["0", "0.001", "1e9",
                                                  "3601"]]
    out += [["--until-ci", v] for v in NUMBERS + ["0", "101", "-0"]]
    out += [["--cleanup-timeout", v] for v in NUMBERS + ["0", "0.5"]]
    out += [[opt, v] for opt in ("-t", "--tasks")
            for v in ["", "0", "-1", "1,,2", "2-1", "3000", "1-100", "a",
                      "1,", ",1", "99999999999999999999", "1-9999999999999",
                      ESC, "1 2", "1-", "-", "1--2"]]
    out += [["--mode", v] for v in ["", "fibers", "THREADS", "threads ",
                                    ESC, "thread"]]
    out += [["--events", v] for v in ["", ",", ",,,", "a" * 5000,
                                      ",".join(["task-clock"] * 17),
                                      "no-such-event", ESC,
                                      "cycles:u:k:bogus"]]
    out += [["--param", v] for v in ["", "=", "=1", "novalue", "x" * 100 + "=1",
                                     "a=" + "v" * 300, "sipn=1", ESC + "=1",
                                     "a=1\n"]]
    out += [["--param", "spin=" + v] for v in
            ["", "-1", "010", "0x40", " 64", "64 ", "+64", "1e3", "lots",
             "99999999999999999999", ESC, "1.0", "١٢"]]
    out += [["--param", "unused_default=" + v] for v in
            ["", " 1.5", "0x1p1", "nan", "inf", "1e999", ".", "1.5x", ESC,
             "1,5", "--1"]]
    out += [sum((["--param", "p%d=1" % i] for i in range(33)), [])]
    out += [["--param", "spin=1", "--param", "spin=2"]]
    out += [[o] for o in ("-s", "-t", "--json", "--param", "--mode",
                          "--events", "--interval", "--warmup", "--until-ci",
                          "--cleanup-timeout")]
    out += [[o] for o in ("--bogus", "-z", "--list=x", "-", "--=",
                          "--" + ESC, "-" + "\x1b")]
    out += [["--until-ci", "5", "-s", "0"]]
    return out


def json_inputs(tmp_path):
    (tmp_path / "d").mkdir()
    (tmp_path / "f").write_text("x")
    os.mkfifo(tmp_path / "fifo")
    (tmp_path / "ln").symlink_to(tmp_path / "f")
    return [str(tmp_path / "d"), str(tmp_path / "d") + "/", str(tmp_path) +
            "/nodir/x.json", str(tmp_path / "f") + "/x.json",
            str(tmp_path / "fifo"), str(tmp_path / "ln"),
            str(tmp_path / ("n" * 300)), str(tmp_path) + "/" + "d/" * 2100,
            "/proc/self/status", "", "/", "."]


CASES = ["", "../empty", ESC, "x" * 10000, "empty\n", "-s", "EMPTY",
         "empty ", "page_fault3_threads", "empty_processes"]
OPTIONS = option_inputs()


def _refused(p, out=None):
    assert p.returncode == 2, (p.returncode, p.stdout[-300:], p.stderr[-500:])
    assert p.stdout == ""
    assert p.stderr.strip()
    if out is not None:
        assert not os.path.exists(out)


@pytest.mark.parametrize("args", OPTIONS,
                         ids=[repr(a)[:60] for a in OPTIONS])
def test_bad_option_value(run_test, out, args):
    HOSTILE["option values"] += 1
    p = run_test("test_metrics", *args, "--json", out, timeout=60)
    _refused(p, out)


@pytest.mark.parametrize("case", CASES, ids=[repr(c)[:30] for c in CASES])
def test_bad_case_name(run_test, out, case):
    HOSTILE["case names"] += 1
    _refused(run_test(case, "--json", out, timeout=60), out)


def test_bad_json_targets(run_none, tmp_path):
    targets = json_inputs(tmp_path)
    for t in targets:
        HOSTILE["--json targets"] += 1
        p = run_none("empty", "-s", 1, "--warmup", 0, "--json", t,
                     timeout=60)
        _refused(p)
    # none of them was replaced
    assert (tmp_path / "f").read_text() == "x"
    assert os.path.islink(tmp_path / "ln")
    assert not any((tmp_path / "d").iterdir())


def test_the_suite_is_not_shrinking():
    assert len(OPTIONS) >= 220 and len(CASES) >= 10, len(OPTIONS)
