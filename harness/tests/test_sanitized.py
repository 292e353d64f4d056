# SPDX-License-Identifier: GPL-2.0-only
"""The runner built with ASan + UBSan (build/<newest variant>/san-asan/,
harness/harness.mk): the kernel's cases and two allocator cases, in both
modes, plus the usage-error and interrupt paths, without a report from
either sanitizer."""
import os
import signal
import subprocess
import sys

import pytest

from conftest import BUILD, ROOT, load_json
from test_failures import _wait_for

sys.path.insert(0, str(ROOT / "analysis"))
from slabscale_analysis.plan import read_variants_list  # noqa: E402

# sanitizer findings exit with these codes, so they cannot pass for a
# run that merely failed
ENV = dict(os.environ,
           ASAN_OPTIONS="detect_leaks=1:exitcode=86:abort_on_error=0",
           UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1:exitcode=87")
FINDINGS = ("AddressSanitizer", "LeakSanitizer", "runtime error:",
            "UndefinedBehaviorSanitizer")


def _newest_variant():
    names = read_variants_list()
    return names[-1] if names else "none"


@pytest.fixture(scope="module")
def san_runner():
    path = os.environ.get("SLABSCALE_SAN_RUNNER") or str(
        BUILD / _newest_variant() / "san-asan" / "slabscale-run")
    assert os.access(path, os.X_OK), \
        "%s not built (make check-harness-py builds it)" % path
    # really instrumented: both runtimes are linked in
    libs = subprocess.run(["ldd", path], capture_output=True, text=True,
                          check=True).stdout
    assert "libasan.so" in libs and "libubsan.so" in libs, libs
    return path


def _clean(text):
    for f in FINDINGS:
        assert f not in text, text[-3000:]


@pytest.mark.parametrize("mode", ["threads", "processes"])
@pytest.mark.parametrize("case", ["empty", "page_fault1", "page_fault2",
                                  "page_fault3", "slab_alloc_free",
                                  "page_fault3_slab"])
def test_case_under_asan_ubsan(san_runner, tmp_path, case, mode):
    out = tmp_path / "san.json"
    p = subprocess.run([san_runner, case, "-t", "2", "-s", "1", "--warmup",
                        "0", "--mode", mode, "--json", str(out)],
                       capture_output=True, text=True, timeout=300, env=ENV)
    _clean(p.stderr)
    assert p.returncode == 0, p.stderr[-3000:]
    d = load_json(out)
    assert d["status"] == "ok" and d["stats"]["intervals"] == 1
    per_task = [sum(x) for x in zip(*(s["deltas"] for s in d["samples"]))]
    assert len(per_task) == 2 and all(x > 0 for x in per_task), per_task
    if case in ("slab_alloc_free", "page_fault3_slab"):
        assert d["allocator"] and d["allocator"][0]["caches"]
        assert d["allocator_counters"]["stats"]["alloc_slowpath"][
            "better"] == "lower"


def test_error_paths_under_asan_ubsan(san_runner, tmp_path):
    out = tmp_path / "san.json"
    for args in (["empty", "-s"], ["empty", "-s", "1.5"],
                 ["slab_alloc_free", "--param", "batch=010"],
                 ["empty", "--json", str(tmp_path)]):
        p = subprocess.run([san_runner] + args, capture_output=True,
                           text=True, timeout=300, env=ENV)
        _clean(p.stderr)
        assert p.returncode == 2, (args, p.stderr[-3000:])
    proc = subprocess.Popen([san_runner, "page_fault3", "-t", "2", "-s", "60",
                             "--warmup", "0", "--interval", "0.2", "--mode",
                             "processes", "--json", str(out)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            env=ENV)
    try:
        buf = _wait_for(proc, "measurement\n", timeout=120)
        while buf.count("total:") < 2:
            buf += _wait_for(proc, "total:", timeout=120)
        proc.send_signal(signal.SIGINT)
        rc = proc.wait(timeout=120)
    finally:
        proc.kill()
    _clean(proc.stderr.read().decode())
    assert rc == 130
    assert load_json(out)["status"] == "interrupted"
