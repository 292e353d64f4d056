# SPDX-License-Identifier: GPL-2.0-only
"""A strict parser of will-it-scale's text output (plus slabscale's
summary line), as runtest.py and lkp read it."""
import re

LINE = re.compile(r"^min:(\d+) max:(\d+) total:(\d+)$")
# -v: one line per task before each min: line, will-it-scale's "%4d -> %llu"
TASK = re.compile(r"^([ \d]{3}\d) -> (\d+)$")
SUMMARY = re.compile(
    r"^(per_thread_ops|per_process_ops): (\d+) \u00b1(\d+\.\d%|n/a) "
    r"\(median (\d+), (\d+) intervals, tasks (\d+)\.\.(\d+)\)$")
# slabscale-run's second summary line (harness/src/output.c)
CPU_SHARE = re.compile(
    r"^cpu_share: (\d\.\d{3}) \(tasks (\d\.\d{3})\.\.(\d\.\d{3})\), "
    r"waiting (\d+\.\d)% \(max (\d+\.\d)% of an interval\), "
    r"ops_per_cpu_sec: (\d+)( DISTURBED)?$|^cpu_share: n/a \(no schedstat\)$")
NEIGHBOURS = re.compile(
    r"^neighbours: (\d+\.\d\d) CPU busy outside the run \(other CPUs "
    r"(\d+\.\d\d), the run's CPUs (\d+\.\d\d)\), steal (\d+\.\d)%"
    r"(?:, load (\d+\.\d\d) at the start)?( SHARED)?$"
    r"|^neighbours: n/a \(no /proc/stat or schedstat\)$")


def parse(text, summary=True, verbose_tasks=0):
    """Return dict(description, warmup=[(min,max,total)], measurement=[...],
    average, summary, per_task=[[...]]).  Raises on any deviation."""
    lines = text.splitlines()
    i = 0
    assert lines[i].startswith("testcase:"), lines[i]
    desc = lines[i][len("testcase:"):]
    i += 1
    assert lines[i] == "warmup", lines[i]
    i += 1
    res = {"description": desc, "warmup": [], "measurement": [],
           "per_task": [], "average": None, "summary": None}
    part = "warmup"
    while i < len(lines):
        ln = lines[i]
        i += 1
        if ln == "measurement":
            assert part == "warmup"
            part = "measurement"
            continue
        if ln.startswith("average:"):
            assert part == "measurement"
            res["average"] = int(ln[len("average:"):])
            break
        if verbose_tasks:
            vals = []
            for t in range(verbose_tasks):
                m = TASK.match(ln)
                assert m and int(m.group(1)) == t, ln
                vals.append(int(m.group(2)))
                ln = lines[i]
                i += 1
            res["per_task"].append(vals)
        m = LINE.match(ln)
        assert m, f"unexpected line {ln!r}"
        res[part].append(tuple(int(x) for x in m.groups()))
    rest = lines[i:]
    if summary and res["average"] is not None:
        assert len(rest) == 3, rest
        m = SUMMARY.match(rest[0])
        assert m, rest[0]
        res["summary"] = m.groups()
        m = CPU_SHARE.match(rest[1])
        assert m, rest[1]
        res["cpu_share"] = m.groups()
        m = NEIGHBOURS.match(rest[2])
        assert m, rest[2]
        res["neighbours"] = m.groups()
    else:
        assert rest == [], rest
    return res
