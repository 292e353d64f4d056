# SPDX-License-Identifier: GPL-2.0-only
"""The text output is will-it-scale's, and agrees with the JSON."""
import json

import pytest

from conftest import load_json
from wisout import parse

HALF = 0.5 + 1e-6       # a printed integer vs the JSON's fraction


@pytest.mark.parametrize("mode", ["threads", "processes"])
def test_text_and_json_agree(run_none, out, mode):
    p = run_none("empty", "-t", 2, "-s", 1, "--warmup", 0.5, "--interval",
                 0.25, "--mode", mode, "--json", out, check=0)
    r = parse(p.stdout)
    assert r["description"] == "Empty loop (the harness's own ceiling)"
    assert len(r["warmup"]) == 2 and len(r["measurement"]) == 4
    for mn, mx, total in r["warmup"] + r["measurement"]:
        assert 0 <= mn <= mx <= total
        assert abs(total - (mn + mx)) <= 2      # two tasks: min + max
    assert sum(t for _, _, t in r["measurement"]) > 0
    totals = [t for _, _, t in r["measurement"]]
    assert abs(r["average"] - sum(totals) / 4) <= 2
    d = load_json(out)
    assert d["status"] == "ok" and d["mode"] == mode and d["nr_task"] == 2
    st = d["stats"]
    assert st["intervals"] == 4
    # The text rounds half away from zero (llround) or with printf("%.0f"),
    # Python's round() halves to even: compare within half a unit.
    assert abs(st["ops_per_sec"] - r["average"]) <= HALF
    key = "per_thread_ops" if mode == "threads" else "per_process_ops"
    assert r["summary"][0] == key
    assert st[key] == st["per_task_ops"]
    assert abs(int(r["summary"][1]) - st[key]) <= HALF
    assert int(r["summary"][4]) == 4
    samples = d["samples"]
    assert [s["warmup"] for s in samples] == [True] * 2 + [False] * 4
    for s, (mn, mx, total) in zip(samples, r["warmup"] + r["measurement"]):
        assert abs(s["total"] - total) <= HALF
        assert abs(s["min"] - mn) <= HALF
        # rates are deltas over the measured interval length
        for dl, rt in zip(s["deltas"], s["rates"]):
            assert rt == pytest.approx(dl / s["seconds"], rel=1e-9)
    # the window's iterations are the measured deltas
    assert st["iterations"] == sum(sum(s["deltas"]) for s in samples[2:])
    assert st["task_min"] <= st["per_task_ops"] * 1.0001
    assert st["task_max"] >= st["per_task_ops"] * 0.9999
    assert [t["cpu"] for t in d["tasks"]] == [0, 1]
    assert len({t["tid"] for t in d["tasks"]}) == 2
    if mode == "processes":
        assert len({t["pid"] for t in d["tasks"]}) == 2
    else:
        assert len({t["pid"] for t in d["tasks"]}) == 1


def test_task_list_writes_one_document_each(run_none, tmp_path):
    out = tmp_path / "sweep.json"
    p = run_none("empty", "-t", "1,2", "-s", 0.3, "--warmup", 0,
                 "--interval", 0.1, "--json", out, check=0)
    assert p.stdout.count("testcase:") == 2
    assert p.stdout.count("average:") == 2
    assert sorted(x.name for x in tmp_path.iterdir()) == [
        "sweep.t1.json", "sweep.t2.json"]
    for n in (1, 2):
        d = load_json(tmp_path / f"sweep.t{n}.json")
        assert d["nr_task"] == n and len(d["samples"][0]["deltas"]) == n


def test_verbose_prints_every_task(run_none):
    p = run_none("empty", "-t", 2, "-s", 0.2, "--warmup", 0, "--interval",
                 0.1, "-v", check=0)
    r = parse(p.stdout, verbose_tasks=2)
    for vals, (mn, mx, _) in zip(r["per_task"], r["measurement"]):
        assert min(vals) == mn and max(vals) == mx


def test_no_affinity_and_smt(run_none, out):
    run_none("empty", "-t", 2, "-s", 0.1, "--warmup", 0, "--interval", 0.1,
             "-n", "--json", out, check=0)
    d = load_json(out)
    assert [t["cpu"] for t in d["tasks"]] == [None, None]
    assert d["options"]["affinity"] == "none"
    run_none("empty", "-t", 3, "-s", 0.1, "--warmup", 0, "--interval", 0.1,
             "-m", "--json", out, check=0)
    d = load_json(out)
    # three tasks on two PUs: task i on PU i mod 2
    assert [t["cpu"] for t in d["tasks"]] == [0, 1, 0]


def test_document_is_complete(run_none, out):
    run_none("page_fault1", "-s", 0.2, "--warmup", 0, "--interval", 0.1,
             "--json", out, check=0)
    d = load_json(out)
    assert d["variant"] == "none" and d["allocator"] is None
    assert d["allocator_counters"] is None
    assert d["build"]["variant"] == "none"
    assert len(d["build"]["git_commit"]) in (40, 7)
    h = d["host"]
    assert h["nr_cpus"] >= 1 and h["tmp_fstype"] and h["kernel"]
    assert d["rusage"]["minor_faults"] > 0      # page faults were counted
    assert d["end_time"] >= d["start_time"]
    # the document is written atomically: nothing else left in the dir
    assert sorted(p.name for p in out.parent.iterdir()) == [out.name]


def test_wis_names_print_exact_wis_output(build_dir):
    import subprocess
    exe = build_dir / "none/empty_processes"
    p = subprocess.run([str(exe), "-t", "2", "-s", "1", "-v"],
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    r = parse(p.stdout, summary=False, verbose_tasks=2)
    assert len(r["warmup"]) == 6 and len(r["measurement"]) == 1
    assert r["average"] == r["measurement"][0][2]
    assert "per_process_ops" not in p.stdout


def test_wis_names_refuse_slabscale_options(build_dir):
    """As will-it-scale's usage(): the text on stdout, exit 1."""
    import subprocess
    p = subprocess.run([str(build_dir / "none/page_fault3_threads"),
                        "--json", "x"], capture_output=True, text=True)
    assert p.returncode == 1
    assert "Usage:" in p.stdout and "-t tasks" in p.stdout
    assert "bad option" in p.stderr


def test_zero_mean_has_no_spread(run_test, out):
    """A case that counts nothing prints '±n/a', not '±-nan%', and its JSON
    cv is null (a spread of a zero mean is undefined)."""
    p = run_test("test_idle", "-t", 1, "-s", 1, "--warmup", 0,
                 "--interval", 0.5, "--json", out, check=0)
    r = parse(p.stdout)
    assert r["summary"][1] == "0" and r["summary"][2] == "n/a"
    assert "nan" not in p.stdout
    st = load_json(out)["stats"]
    assert st["per_task_ops"] == 0 and st["cv"] is None
