# SPDX-License-Identifier: GPL-2.0-only
"""Foreign will-it-scale test files (harness/tests/wis/, built like
cases/wis/ into build/wistest/ by harness/wis.mk): they build unchanged
with will-it-scale's flags, run in both modes, stop and clean up, and the
X_threads / X_processes executables behave as will-it-scale's for its
drivers (output, options, exit statuses, names, pinning, no counters)."""
import concurrent.futures
import os
import pathlib
import re
import shutil
import signal
import subprocess
import time

import pytest

from conftest import BUILD, ROOT, load_json
from wisout import parse

SRC = ROOT / "harness/tests/wis"
WT = BUILD / "wistest"
FILES = sorted(p.stem for p in SRC.glob("*.c"))
# the one that cannot be stopped in threads mode (test_unstoppable_thread)
RUNNABLE = [f for f in FILES if f != "wis_blocks_signals"]
GUARD = 300         # hang guard of a single run, seconds


def alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    st = pathlib.Path(f"/proc/{pid}/stat")
    try:    # a zombie is not alive
        return st.read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def leftovers(stderr):
    """What the test files announce on stderr: /tmp files and processes;
    returns those that still exist."""
    files = re.findall(r"wis_tmpfile: file (\S+)", stderr)
    pids = [int(x) for x in re.findall(r"(?:partner|child) pid (\d+)",
                                       stderr)]
    return [f for f in files if os.path.exists(f)] + \
        [p for p in pids if alive(p)]


def wis(name, mode, *args, timeout=GUARD):
    return subprocess.run([str(WT / f"{name}_{mode}"), *map(str, args)],
                          capture_output=True, text=True, timeout=timeout)


def test_every_file_builds_unchanged():
    summary = (WT / "BUILD-SUMMARY").read_text()
    assert f"{len(FILES)} of {len(FILES)} will-it-scale cases built" in \
        summary, summary
    listed = subprocess.run([str(WT / "slabscale-run"), "--list"],
                            capture_output=True, text=True, check=True)
    assert sorted(ln.split()[0] for ln in listed.stdout.splitlines()) == \
        FILES
    for f in FILES:
        for m in ("threads", "processes"):
            exe = WT / f"{f}_{m}"
            assert exe.is_file() and not exe.is_symlink(), exe


def test_project_flags_would_refuse_them():
    """The reason for the separate flags: under the project's own
    -Wall -Wextra -Werror -D_GNU_SOURCE these files do not compile."""
    cc = os.environ.get("CC", "cc")
    for f in FILES:
        p = subprocess.run([cc, "-std=gnu11", "-Wall", "-Wextra", "-Werror",
                            "-D_GNU_SOURCE", "-c", "-o", os.devnull,
                            str(SRC / f"{f}.c")], capture_output=True,
                           text=True)
        assert p.returncode != 0, f
    p = subprocess.run([cc, "-Wall", "-O2", "-g", "-include",
                        str(ROOT / "harness/include/wis-prelude.h"), "-c",
                        "-o", os.devnull, str(SRC / "wis_gnu_source.c")],
                       capture_output=True, text=True)
    assert p.returncode == 0 and p.stderr == "", p.stderr


def test_a_broken_file_is_named_and_the_rest_builds(tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    shutil.copy(SRC / "wis_signal.c", src / "good.c")
    (src / "broken.c").write_text("char *testcase_description = \"x\"\n"
                                  "void testcase(unsigned long long *i {\n")
    (src / "nolink.c").write_text("char *testcase_description = \"x\";\n")
    out = tmp_path / "out"
    env = {k: v for k, v in os.environ.items()
           if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL")}
    p = subprocess.run(["make", "-C", str(ROOT), "--no-print-directory",
                        f"BUILD={BUILD}", f"WIS_CASES_DIR={src}",
                        f"WIS_BUILD={out}", f"{out}/slabscale-run"],
                       capture_output=True, text=True, env=env,
                       timeout=GUARD)
    assert p.returncode == 0, p.stderr
    assert "case 'broken' does not compile" in p.stderr
    assert "case 'nolink' does not link" in p.stderr
    assert "NOT BUILT: broken nolink" in p.stderr
    assert "1 of 3 will-it-scale cases built" in p.stdout
    assert (out / "good_threads").is_file()
    assert (out / "good_processes").is_file()
    assert not (out / "broken_threads").exists()
    assert not (out / "nolink_processes").exists()
    assert "expected" in (out / "log/broken.log").read_text()
    listed = subprocess.run([str(out / "slabscale-run"), "--list"],
                            capture_output=True, text=True, check=True)
    assert [ln.split()[0] for ln in listed.stdout.splitlines()] == ["good"]


@pytest.mark.parametrize("mode", ["threads", "processes"])
@pytest.mark.parametrize("name", RUNNABLE)
def test_runs_stops_and_cleans_up(tmp_path, name, mode):
    """Through slabscale-run, 1 and 2 tasks: counted, status ok, cleanup
    ran (its /tmp file is gone) and no helper or child process is left."""
    out = tmp_path / "o.json"
    p = subprocess.run([str(WT / "slabscale-run"), name, "-t", "1,2",
                        "--warmup", "0", "-s", "0.5", "--interval", "0.25",
                        "--mode", mode, "--json", str(out)],
                       capture_output=True, text=True, timeout=GUARD)
    assert p.returncode == 0, p.stderr
    for n in (1, 2):
        d = load_json(tmp_path / f"o.t{n}.json")
        assert d["status"] == "ok" and d["variant"] == "wis"
        assert d["stats"]["per_task_ops"] > 0
        assert all(d["samples"][-1]["deltas"])
    if name in ("wis_tmpfile", "wis_helper", "wis_forker"):
        assert re.search(r"(file|pid) ", p.stderr), p.stderr
    assert leftovers(p.stderr) == []


def test_unstoppable_thread_fails_the_run_after_cleanup():
    """A thread that blocks every signal cannot be parked: the run fails
    saying so (never hangs, never a silent skip), after testcase_cleanup();
    a process is simply killed."""
    p = subprocess.run([str(WT / "slabscale-run"), "wis_blocks_signals",
                        "--warmup", "0", "-s", "0.3", "--interval", "0.1"],
                       capture_output=True, text=True, timeout=GUARD)
    assert p.returncode == 1
    assert "1 task(s) could not be stopped (signal" in p.stderr
    assert "cleanup ran" in p.stderr
    assert "average:" not in p.stdout
    p = subprocess.run([str(WT / "slabscale-run"), "wis_blocks_signals",
                        "--warmup", "0", "-s", "0.3", "--interval", "0.1",
                        "--mode", "processes", "-t", "2"],
                       capture_output=True, text=True, timeout=GUARD)
    assert p.returncode == 0, p.stderr
    assert "cleanup ran" in p.stderr


def _wis_shape(name, mode):
    p = wis(name, mode, "-t", 2, "-s", 1, "-v")
    return name, mode, p


def test_wis_executables_print_will_it_scale_output():
    """Every file, both executables, -t 2 -s 1 -v: six warmup intervals,
    one measured, average; one '%4d -> %llu' line per task; exit 0."""
    jobs = [(f, m) for f in RUNNABLE for m in ("threads", "processes")]
    with concurrent.futures.ThreadPoolExecutor(len(jobs)) as ex:
        results = list(ex.map(lambda j: _wis_shape(*j), jobs))
    for name, mode, p in results:
        assert p.returncode == 0, (name, mode, p.stderr)
        r = parse(p.stdout, summary=False, verbose_tasks=2)
        assert len(r["warmup"]) == 6 and len(r["measurement"]) == 1
        assert r["average"] == r["measurement"][0][2] > 0
        assert all(len(v) == 2 for v in r["per_task"])
        for vals, (mn, mx, total) in zip(r["per_task"],
                                         r["warmup"] + r["measurement"]):
            assert (min(vals), max(vals)) == (mn, mx)
            assert abs(sum(vals) - total) <= 2
        assert leftovers(p.stderr) == [], (name, mode)


def test_wis_command_line_and_exit_statuses(tmp_path):
    for args in (["-h"], ["-m", "-n"], ["-n", "-m"], ["-x"], ["extra"],
                 ["-t", "0"], ["--json", "x"]):
        p = wis("wis_signal", "threads", *args, timeout=60)
        assert p.returncode == 1, (args, p.stderr)
        assert p.stdout.startswith("Usage: "), args
    # slabscale-run refuses -m -n too, with its own usage status
    p = subprocess.run([str(WT / "slabscale-run"), "wis_signal", "-m", "-n"],
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 2 and "-m and -n" in p.stderr


def _start(exe, *args):
    return subprocess.Popen([str(exe), *map(str, args)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)


def _lines_until(proc, n):
    got = []
    while sum(1 for x in got if x.startswith("min:")) < n:
        ln = proc.stdout.readline()
        assert ln, got
        got.append(ln.rstrip("\n"))
    return got


def _descendants(pid):
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        for t in pathlib.Path(f"/proc/{p}/task").iterdir():
            kids = (t / "children").read_text().split()
            todo += [int(k) for k in kids]
            out += [int(k) for k in kids]
    return out


def _threads(pid):
    return [int(t.name) for t in pathlib.Path(f"/proc/{pid}/task").iterdir()]


@pytest.mark.parametrize("mode", ["threads", "processes"])
def test_renamed_copy_sigterm_names_pinning_no_counters(tmp_path, mode):
    """A renamed copy runs its case; every task is named after the
    executable, bound to its whole core, opens no perf counter; SIGTERM
    stops the tasks, runs testcase_cleanup() and the program dies by
    SIGTERM as will-it-scale's (a shell sees 143)."""
    exe = tmp_path / f"renamed_{mode}"
    shutil.copy(WT / f"wis_tmpfile_{mode}", exe)
    proc = _start(exe, "-t", 2)
    try:
        head = _lines_until(proc, 1)
        assert head[0] == "testcase:Same file lseek, file made in prepare"
        kids = _descendants(proc.pid)
        tids = [t for k in [proc.pid] + kids for t in _threads(k)]
        comms = {pathlib.Path(f"/proc/{t}/comm").read_text().strip()
                 for t in tids}
        assert comms == {exe.name[:15]}, comms
        # the coordinator owns the counters slabscale-run opens
        fds = [os.readlink(f) for f in
               pathlib.Path(f"/proc/{proc.pid}/fd").iterdir()]
        assert not any("perf_event" in f for f in fds), fds
        # tasks: the threads of the host, or its children
        host = kids[0]
        tasks = ([t for t in _threads(host) if t != host]
                 if mode == "threads" else kids[1:])
        assert len(tasks) == 2
        for t in tasks:
            status = pathlib.Path(f"/proc/{t}/status").read_text()
            allowed = re.search(r"Cpus_allowed_list:\s+(\S+)",
                                status).group(1)
            cpu = int(allowed.replace("-", ",").split(",")[0])
            sib = pathlib.Path(f"/sys/devices/system/cpu/cpu{cpu}/topology/"
                               "thread_siblings_list").read_text().strip()
            assert allowed == sib, (t, allowed, sib)
        proc.send_signal(signal.SIGTERM)
        rc = proc.wait(timeout=GUARD)
    finally:
        proc.kill()
    err = proc.stderr.read()
    assert rc == -signal.SIGTERM, err
    assert re.search(r"wis_tmpfile: file \S+", err)
    assert leftovers(err) == []
    assert not any(alive(k) for k in kids)


def test_slabscale_run_sigterm_exits_143(tmp_path):
    proc = _start(WT / "slabscale-run", "wis_tmpfile", "-t", 2, "-s", 600,
                  "--warmup", 0, "--interval", 0.2)
    try:
        _lines_until(proc, 1)
        proc.send_signal(signal.SIGTERM)
        rc = proc.wait(timeout=GUARD)
    finally:
        proc.kill()
    err = proc.stderr.read()
    assert rc == 143 and "interrupted after" in err
    assert leftovers(err) == []


def _driver_row(name, n, seconds):
    """One runtest.py step: X_processes then X_threads, 'average:' of
    each, the idle fraction from /proc/stat around each."""
    row = [n]
    for mode in ("processes", "threads"):
        before = _cpu_times()
        p = subprocess.run([f"./{name}_{mode}", "-t", str(n), "-s",
                            str(seconds)], cwd=WT, capture_output=True,
                           text=True, timeout=GUARD)
        after = _cpu_times()
        assert p.returncode == 0, p.stderr
        avg = -1
        for ln in p.stdout.splitlines():
            if "average:" in ln:
                avg = int(ln.split(":")[1])
        busy = sum(a - b for a, b in zip(after[1], before[1]))
        idle = sum(a - b for a, b in zip(after[0], before[0]))
        row += [avg, 100.0 * idle / max(idle + busy, 1)]
    return row


def _cpu_times():
    f = pathlib.Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    v = [int(x) for x in f]
    return [v[3], v[4]], [v[0], v[1], v[2], v[5], v[6]] + v[7:10]


def test_runtest_style_driver_loop_and_its_csv(tmp_path):
    """A driver loop written like will-it-scale's runalltests/runtest.py
    (not theirs): the build directory's *_processes are exactly the
    foreign files; the CSV of one of them at 1 and 2 tasks parses like
    lkp-tests' will-it-scale stats do it."""
    tests = sorted(p.name[:-len("_processes")] for p in WT.iterdir()
                   if p.name.endswith("_processes"))
    assert tests == FILES
    rows = [_driver_row("wis_tmpfile", n, 1) for n in (1, 2)]
    linear = max(rows[0][1], rows[0][3])
    csv = ["tasks,processes,processes_idle,threads,threads_idle,linear",
           "0,0,100,0,100,0"]
    csv += ["%d,%d,%0.2f,%d,%0.2f,%d" % (r[0], r[1], r[2], r[3], r[4],
                                          linear * r[0]) for r in rows]
    (tmp_path / "wis_tmpfile.csv").write_text("\n".join(csv) + "\n")
    stats = _lkp_style(csv)
    for n in (1, 2):
        assert stats[f"{n}.processes"] > 0 and stats[f"{n}.threads"] > 0
        assert 0 <= stats[f"{n}.processes_idle"] <= 100
    assert stats["per_process_ops"] == pytest.approx(
        (rows[0][1] + rows[1][1] / 2) / 2, abs=1)
    assert stats["per_thread_ops"] == pytest.approx(
        (rows[0][3] + rows[1][3] / 2) / 2, abs=1)
    assert stats["workload"] == pytest.approx(
        sum(r[1] + r[3] for r in rows), abs=1)
    assert "scalability" in stats


def _lkp_style(lines):
    """The fields lkp-tests' will-it-scale stats script derives from the
    CSV (re-done here: N.<column> per row, the per-task averages, the sum
    of all rows and the last scalability)."""
    out, names, pp, pt, sc, work = {}, [], [], [], [], 0.0
    for ln in lines:
        if re.match(r"^[a-z_,]+$", ln):
            names = ln.split(",")[1:]
        elif re.match(r"^[0-9.,]+$", ln):
            v = ln.split(",")
            n = v.pop(0)
            if n == "0" or (int(v[0]) == 0 and int(v[2]) == 0):
                continue
            linear = int(v[-1])
            if linear and n != "1":
                sc.append(float(v[0]) / linear)
            pp.append(int(v[0]) / int(n))
            pt.append(int(v[2]) / int(n))
            work += int(v[0]) + int(v[2])
            for name, x in zip(names, v):
                out[f"{n}.{name}"] = float(x)
    out["scalability"] = sc[-1] if sc else None
    out["per_process_ops"] = int(sum(pp) / len(pp))
    out["per_thread_ops"] = int(sum(pt) / len(pt))
    out["workload"] = int(work)
    return out


def test_more_tasks_than_cpus(tmp_path):
    """Three times as many tasks as CPUs: task i on core i mod cores."""
    n = 3 * os.cpu_count()
    out = tmp_path / "o.json"
    p = subprocess.run([str(WT / "slabscale-run"), "wis_signal", "-t", str(n),
                        "--warmup", "0", "-s", "0.5", "--interval", "0.25",
                        "--json", str(out)], capture_output=True, text=True,
                       timeout=GUARD)
    assert p.returncode == 0, p.stderr
    d = load_json(out)
    assert d["status"] == "ok" and len(d["tasks"]) == n
    cpus = [t["cpu"] for t in d["tasks"]]
    assert cpus[:n // 3] == cpus[n // 3:2 * n // 3]
