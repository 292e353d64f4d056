# SPDX-License-Identifier: GPL-2.0-only
"""check-bench: smoke tests of the bench programs and drivers.

Every bench program runs with tiny counts, its output must parse, refused
input must be refused with a message, and the drivers must produce their
tables and JSON.  Nothing here judges speed.

Run: BENCH_BUILD=build BENCH_VARIANTS="cpuslab sheaves" \
     /usr/bin/python3 -m pytest -q bench/test_bench.py
"""

import json
import os
import subprocess
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import benchcommon as bc  # noqa: E402
import hitpath  # noqa: E402
import pair  # noqa: E402
import rcu  # noqa: E402

BUILD = os.environ.get("BENCH_BUILD", "build")
BENCH = os.path.join(BUILD, "bench")
VARIANTS = os.environ.get("BENCH_VARIANTS", "").split()
SLAB = [v for v in VARIANTS
        if os.path.exists(os.path.join(BENCH, "pair-" + v))]
RCU = [v for v in VARIANTS
       if os.path.exists(os.path.join(BENCH, "rcu-" + v))]
PY = "/usr/bin/python3"


def run(cmd, env=None):
    """Run cmd; a clean TMPDIR per test run keeps leftovers visible."""
    return subprocess.run(cmd, capture_output=True, text=True, env=env,
                          timeout=300, check=False)


def pair_lines(binary, *args, env=None):
    p = run([os.path.join(BENCH, binary), "--pairs", "640", "--warmup",
             "64", "--reps", "3"] + list(args), env)
    assert p.returncode == 0, p.stderr
    return {r["batch"]: r for r in bc.parse_lines(p.stdout, "pair")}


@pytest.mark.parametrize("peer", [p for p in bc.PEERS])
def test_malloc_program_under_each_peer(peer):
    rows = pair_lines("pair-malloc", env=bc.peer_env(peer[1]))
    assert sorted(rows) == [1, 32]
    for r in rows.values():
        assert r["alloc"] == "malloc" and r["reps"] == 3
        assert 0 < r["min"] <= r["ns"] <= r["max"]


def test_slab_programs():
    """Every variant whose libslab.a exists has a working pair program."""
    for v in VARIANTS:
        lib = os.path.exists(os.path.join(BUILD, v, "libslab.a"))
        assert lib == (v in SLAB), "%s: libslab.a %s, pair-%s %s" % (
            v, lib, v, v in SLAB)
    for v in SLAB:
        for alloc in ("cache", "kmalloc"):
            rows = pair_lines("pair-" + v, "--alloc", alloc, "--batch", "32")
            assert list(rows) == [32]
            assert rows[32]["variant"] == v and rows[32]["ns"] > 0


@pytest.mark.parametrize("args,msg", [
    (["--batch", "7"], "--batch"),
    (["--pairs", "ten"], "--pairs"),
    (["--pairs", "-5"], "--pairs"),
    (["--alloc", "cache"], "not available"),
    (["--bogus", "1"], "usage"),
])
def test_pair_refuses_bad_input(args, msg):
    p = run([os.path.join(BENCH, "pair-malloc")] + args)
    assert p.returncode == 2
    assert msg in p.stderr
    assert p.stdout == ""


def test_callgrind_parsers(tmp_path):
    f = tmp_path / "cg.out"
    f.write_text("events: Ir\nfn=x\n1 5\nsummary: 12345\n")
    assert pair.cg_total(str(f)) == 12345
    f.write_text("events: Ir\n")
    with pytest.raises(bc.BenchError):
        pair.cg_total(str(f))
    assert rcu.slope([(10, 30.0), (100, 120.0), (1000, 1020.0)]) == \
        pytest.approx((1.0, 20.0))
    assert rcu.slope([(10, 1.0)]) == (None, None)


def test_parse_lines_refuses_garbage():
    assert bc.parse_lines("pair a=1 b=x c=2.5\nnoise\n", "pair") == \
        [{"a": 1, "b": "x", "c": 2.5}]
    with pytest.raises(bc.BenchError):
        bc.parse_lines("pair a=1 junk\n", "pair")


def test_pair_driver_smoke(tmp_path):
    out = tmp_path / "pair.json"
    # glibc, the headline and the fidelity baseline, whose hit paths are
    # checked below
    assert "sheaves" in SLAB and "cpuslab" in SLAB, \
        "make check builds build/bench/pair-sheaves and pair-cpuslab"
    only = ["glibc", "sheaves kmem_cache", "cpuslab kmem_cache"]
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    p = run([PY, os.path.join(HERE, "pair.py"), "--build", BUILD,
             "--variants", " ".join(VARIANTS), "--mode", "smoke",
             "--callgrind-only", ",".join(only), "--json", str(out)],
            env=dict(os.environ, TMPDIR=str(tmp)))
    assert p.returncode == 0, p.stdout + p.stderr
    assert "machine:" in p.stdout and "x fastest" in p.stdout
    res = json.loads(out.read_text())
    rows = {r["name"]: r for r in res["rows"]}
    assert {"glibc", "jemalloc", "tcmalloc", "mimalloc"} <= set(rows)
    for v in SLAB:
        assert v + " kmem_cache" in rows and v + " kmalloc" in rows
    for name, r in rows.items():
        assert r["error"] is None, name
        assert r["b1"]["ns"] > 0 and r["b32"]["ns"] > 0
        if name in only:
            # a pair costs at least a call and a store each way
            assert r["b1"]["ir"] > 4 and r["b32"]["ir"] > 4
            assert r["b1"]["functions"]
        else:
            assert r["b1"]["ir"] is None
    # the hit paths, counted from the binaries: the headline's sheaf
    # paths and the baseline's cpu-slab paths
    sp = res["static_hit_path"]
    for path, variant in (("rseq sheaf", "sheaves"),
                          ("atomic sheaf", "sheaves"),
                          ("rseq cpu slab", "cpuslab"),
                          ("atomic cpu slab", "cpuslab")):
        assert sp[path]["variant"] == variant
        assert all(n > 0 for n in sp[path]["functions"].values()), path
        assert "%s hit path of %s" % (path, variant) in p.stdout
    # the atomic ones are what callgrind ran: the same count per call
    for path, variant in (("atomic sheaf", "sheaves"),
                          ("atomic cpu slab", "cpuslab")):
        measured = rows[variant + " kmem_cache"]["b32"]["functions"]
        for fn, n in sp[path]["functions"].items():
            assert abs(measured[fn] - n) < 0.5, (path, fn, measured[fn], n)
    # the fidelity ratio is reported for both modes and the kernel shapes
    for b in ("1", "32"):
        assert set(res["fidelity"][b]) == {"rseq", "atomic",
                                           "kernel_shapes"}
        assert all(x > 0 for x in res["fidelity"][b].values())
    assert rows["kernel shape: sheaf"]["b1"]["ns"] > 0
    assert "fidelity batch  1: cpuslab / sheaves kmem_cache pair" in p.stdout
    # nothing of callgrind's is left behind
    assert os.listdir(tmp) == []


def test_rcu_driver_smoke(tmp_path):
    out = tmp_path / "rcu.json"
    p = run([PY, os.path.join(HERE, "rcu.py"), "--build", BUILD,
             "--variants", " ".join(VARIANTS), "--mode", "smoke",
             "--json", str(out)])
    assert p.returncode == 0, p.stdout + p.stderr
    if not RCU:
        assert "nothing to run yet" in p.stdout
        assert not out.exists()
        return
    res = json.loads(out.read_text())
    for v in RCU:
        d = res["variants"][v]
        assert d["error"] is None
        assert all(ns > 0 for ns in d["tput_ns"].values())
        assert d["barrier_us"]["rcu_barrier"] > 0
        if d["features"]["rcu_sheaf"]:
            assert d["destroy_us"]


def test_pair_driver_marks_a_crashing_row(tmp_path):
    """A row whose program dies is marked FAILED, not averaged, exit 1."""
    bench = tmp_path / "bench"
    bench.mkdir()
    os.symlink(os.path.abspath(os.path.join(BENCH, "pair-malloc")),
               bench / "pair-malloc")
    fake = bench / "pair-fake"
    fake.write_text("#!/bin/sh\necho 'pair alloc=cache batch=1 ns=1'\n"
                    "echo 'segfault, pretend' >&2\nexit 139\n")
    fake.chmod(0o755)
    out = tmp_path / "pair.json"
    p = run([PY, os.path.join(HERE, "pair.py"), "--build", str(tmp_path),
             "--variants", "fake", "--headline", "fake", "--mode", "smoke",
             "--no-callgrind", "--json", str(out)])
    assert p.returncode == 1
    assert "FAILED fake kmem_cache" in p.stdout
    assert "segfault, pretend" in p.stdout
    res = json.loads(out.read_text())
    rows = {r["name"]: r for r in res["rows"]}
    assert rows["fake kmem_cache"]["b1"]["ns"] is None
    assert rows["fake kmem_cache"]["b1"]["samples"] == []
    assert rows["glibc"]["error"] is None and rows["glibc"]["b1"]["ns"] > 0


DISASM = """
0000000000004dc0 <kmem_cache_alloc>:
    4dc0:	test   %rdi,%rdi
    4dc3:	je     4e28 <kmem_cache_alloc+0x68>
    4dc5:	mov    0x8(%rdi),%rdx
    4dc9:	cmpl   $0x0,(%rdx)
    4dcc:	jne    4e20 <kmem_cache_alloc+0x60>
    4dce:	ret
    4dcf:	nop
    4e20:	jmp    4450 <alloc_rseq_miss>
"""

# atomic mode first, then (jump at 4dd8) the rseq sequence
TWO_PATHS = """
0000000000004dc0 <kmem_cache_alloc>:
    4dc0:	test   %rdi,%rdi
    4dc3:	je     4e88 <kmem_cache_alloc+0xc8>
    4dd4:	mov    0x8(%rdi),%rdx
    4dd6:	test   %rdx,%rdx
    4dd8:	je     4e30 <kmem_cache_alloc+0x70>
    4ddd:	mov    %fs:0xfffffffffffffff8,%rcx
    4dea:	lock btsl $0x0,(%rdx)
    4def:	jb     4e90 <kmem_cache_alloc+0xd0>
    4df5:	mov    0x8(%rdx),%rcx
    4e1a:	movl   $0x0,(%rdx)
    4e20:	ret
    4e30:	mov    0x10(%rdi),%rdx
    4e39:	lea    0xf5c0(%rip),%rcx
    4e40:	mov    %rcx,%fs:0x928
    4e49:	movslq %fs:0x924,%rcx
    4e4f:	shl    $0x6,%rcx
    4e5c:	jne    4e90 <kmem_cache_alloc+0xd0>
    4e5e:	movl   $0x1,(%rcx)
    4e83:	ret
    4e88:	jmp    4b20 <alloc_slowpath>
    4e90:	jmp    4760 <alloc_rseq_miss>
"""


def test_hit_path_length():
    """Entry to a ret, the fewest instructions, never through a jmp."""
    assert hitpath.hit_path_length(DISASM) == 6
    # a jump or call before the ret: no hit path
    assert hitpath.hit_path_length(DISASM.replace("jne ", "jmp ")) is None
    assert hitpath.hit_path_length(DISASM.replace("mov    0x8",
                                                  "call   0x8")) is None
    assert hitpath.hit_path_length(DISASM.replace("ret", "nop")) is None
    assert hitpath.hit_path_length("") is None


def test_hit_path_through_a_marker():
    """Each fast path is found by what marks it, branches taken or not."""
    rseq = hitpath.PATHS["rseq sheaf"]
    atomic = hitpath.PATHS["atomic sheaf"]
    assert hitpath.hit_path_length(TWO_PATHS) == 11
    assert hitpath.hit_path_length(TWO_PATHS, atomic) == 11
    # the rseq path takes the branch at 4dd8: 5 + 8 instructions
    assert hitpath.hit_path_length(TWO_PATHS, rseq) == 13
    assert hitpath.hit_path_length(TWO_PATHS.replace("lock btsl", "btsl"),
                                   atomic) is None
    # without its committing store of 1 there is no rseq trylock
    assert hitpath.hit_path_length(
        TWO_PATHS.replace("movl   $0x1,(%rcx)", "nop"), rseq) is None
    assert hitpath.hit_path_length(DISASM, rseq) is None


# the mode flag tested twice (as gcc does in kmem_cache_free): the CPU id
# at 4a06, the lock at 4a12; the atomic CPU id costs 3 instructions more
# (4a60), and a path mixing the rseq CPU id with the atomic lock is the
# shortest but never runs
TWO_TESTS = """
0000000000004a00 <kmem_cache_free>:
    4a00:	movzbl 0x2692a(%rip),%edx        # 2c302 <slab_use_rseq>
    4a06:	test   %dl,%dl
    4a08:	je     4a60 <kmem_cache_free+0x60>
    4a0a:	movslq %fs:0x924,%rax
    4a10:	mov    %rax,%rcx
    4a12:	test   %dl,%dl
    4a14:	je     4a30 <kmem_cache_free+0x30>
    4a16:	movl   $0x1,(%rax)
    4a1c:	movl   $0x0,(%rax)
    4a22:	ret
    4a30:	lock btsl $0x0,(%rax)
    4a35:	jb     4a70 <kmem_cache_free+0x70>
    4a37:	movl   $0x0,(%rax)
    4a3d:	ret
    4a60:	mov    %fs:0xffffffffffffffd8,%rax
    4a69:	shr    $0x6,%rax
    4a6d:	sub    $0x1,%rax
    4a6f:	jmp    4a10 <kmem_cache_free+0x10>
    4a70:	jmp    4b70 <free_trylock_missed>
"""


def test_hit_path_follows_the_mode():
    """A path of a known mode tests the mode flag the same way each time,
    and follows jumps inside the function."""
    rseq, atomic = hitpath.PATHS["rseq sheaf"], hitpath.PATHS["atomic sheaf"]
    # without the mode: the mixed path, 4a00..4a14, 4a30..4a3d
    assert hitpath.hit_path_length(TWO_TESTS, atomic) == 11
    # atomic: 4a00..4a08, 4a60..4a6f, 4a10..4a14, 4a30..4a3d
    assert hitpath.hit_path_length(TWO_TESTS, atomic, False) == 14
    assert hitpath.hit_path_length(TWO_TESTS, rseq, True) == 10
    # an impossible combination has no path
    assert hitpath.hit_path_length(TWO_TESTS, rseq, False) is None
    assert hitpath.hit_path_length(TWO_TESTS, atomic, True) is None
    # a register overwritten no longer holds the flag: the second test
    # goes both ways again
    clobbered = TWO_TESTS.replace("mov    %rax,%rcx", "mov    %rax,%rdx")
    assert hitpath.hit_path_length(clobbered, atomic, True) == 11
    # the flag compared in memory counts as a test too
    in_memory = TWO_TESTS.replace(
        "test   %dl,%dl\n    4a14",
        "cmpb   $0x0,0x2692a(%rip)        # 2c302 <slab_use_rseq>\n    4a14")
    assert hitpath.hit_path_length(in_memory, atomic, False) == 14
    assert hitpath.hit_path_length(in_memory, atomic, True) is None
    assert hitpath.MODES == {"rseq sheaf": True, "atomic sheaf": False,
                             "rseq cpu slab": True,
                             "atomic cpu slab": False}


def test_cpu_slab_markers():
    """The cpu slab's paths: cmpxchg16b unlocked (rseq) or locked."""
    plain = hitpath.PATHS["rseq cpu slab"]
    locked = hitpath.PATHS["atomic cpu slab"]
    assert plain("cmpxchg16b", "0x10(%r14)")
    assert not plain("lock", "cmpxchg16b (%r10)")
    assert locked("lock", "cmpxchg16b (%r10)")
    assert not locked("lock", "btsl $0x0,(%rax)")


def test_hit_paths_of_the_binaries():
    """The built hit paths are straight lines to their ret, and short."""
    assert "sheaves" in SLAB and "cpuslab" in SLAB, \
        "make check builds build/bench/pair-sheaves and pair-cpuslab"
    for variant, paths in (("sheaves", hitpath.SHEAF_PATHS),
                           ("cpuslab", hitpath.CPU_SLAB_PATHS)):
        for path in paths:
            f = hitpath.hit_paths(os.path.join(BENCH, "pair-" + variant),
                                  path)
            assert set(f) == {"kmem_cache_alloc", "kmem_cache_free"}
            for name, n in f.items():
                assert n is not None and 8 < n < 70, (path, name, n)
