"""The hostile-input suite of the analysis: results files and
sweep manifests broken in every field the analysis reads, and names
(case, parameter, metric, variant, host) built to attack a terminal, a
gnuplot script or an SVG.

A broken file is one line on stderr naming the file (and the field), exit
2, for compare, plot, report and sweep --resume: never a traceback, never a
table or chart drawn from it.  A hostile name is shown escaped and never
acts.  The number of inputs tried is printed at the end of the run
(conftest.py: "hostile-input suite: N inputs tried").
"""
import copy
import json
import os
import re
import xml.etree.ElementTree as ET

import pytest

from conftest import HOSTILE, write_doc
from slabscale_analysis import cli, layout, plan as planmod, sweep, synth

NAN, INF = float("nan"), float("inf")
BAD_NUMBERS = [NAN, INF, -INF, 1e308, 10 ** 400, -1, -1e-9, "x", "1", None,
               True, [], {}, [1.0]]
NOT_OBJECTS = ["x", 5, [1, 2], True, 1.5]
NOT_STRINGS = [5, None, [], {}, True]


def _set_field(doc, path, value):
    *head, last = path
    d = doc
    for k in head:
        d = d[k]
    if value is DELETE:
        del d[last]
    else:
        d[last] = value


DELETE = object()


def _name(path):
    out = ""
    for k in path:
        out += "[%d]" % k if isinstance(k, int) else ("." if out else "") + k
    return out


def run_doc_inputs():
    """(id, mutated document or raw text, text the error must contain)."""
    out = []

    def add(path, values, needle=None):
        for v in values:
            out.append(("%s=%s" % (_name(path), "DELETE" if v is DELETE
                                   else repr(v)[:30]), path, v,
                        needle or _name(path)))

    add(("stats", "per_thread_ops"), BAD_NUMBERS + [DELETE])
    # the CPU-time rate decides verdicts too (absent is fine, 0 is not
    # while the run did work)
    add(("stats", "ops_per_cpu_sec"), [v for v in BAD_NUMBERS
                                       if v is not None] + [0])
    add(("stats",), NOT_OBJECTS + [None], "stats")
    for q in ("p50", "p99", "mean"):
        add(("metrics", "destroy_latency", q), BAD_NUMBERS)
    add(("metrics", "destroy_latency", "count"), BAD_NUMBERS + [1.5])
    add(("metrics", "destroy_latency", "kind"), ["x", None, 5])
    add(("metrics", "destroy_latency"), NOT_OBJECTS + [None])
    add(("metrics", "bg_kfree_rcu", "value"), BAD_NUMBERS)
    add(("metrics",), NOT_OBJECTS)
    add(("pmu", "events", 0, "per_op"), [v for v in BAD_NUMBERS
                                         if v is not None])
    add(("pmu", "events", 0, "name"), NOT_STRINGS)
    add(("pmu", "events", 0, "status"), NOT_STRINGS)
    add(("pmu", "events", 0), NOT_OBJECTS)
    add(("pmu", "events"), ["x", 5, {}])
    add(("pmu",), NOT_OBJECTS)
    add(("params",), NOT_OBJECTS)
    add(("params", "size"), [1, None, [1], {}, True, NAN])
    add(("host",), NOT_OBJECTS + [None, DELETE])
    add(("host", "hostname"), NOT_STRINGS + [DELETE])
    add(("host", "cpu_model"), [[1], {"a": 1}, NAN])
    add(("build",), NOT_OBJECTS)
    add(("build", "compiler"), [[1], {}])
    for f in ("case", "variant"):
        add((f,), NOT_STRINGS + ["", DELETE])
    add(("mode",), ["fibers", "", 1, None, DELETE])
    add(("nr_task",), [0, -1, 1.5, "2", 10 ** 400, True, None, DELETE])
    add(("status",), ["weird", "", 5, None, DELETE])
    add(("schema",), ["other", 5, None, DELETE], "schema")
    add(("schema_version",), [2, 0, "1", True, None, 1.5, DELETE],
        "schema_version")
    add(("run_id",), [5, "", [], {}, "x" * 200])
    add(("marks",), ["x", 5, [1], [{}], [{"reason": 5}]])
    add(("samples",), ["x", 5, {}])
    add(("samples", 1), ["x", 5, None])
    add(("samples", 1, "deltas"), ["x", 5, {}])
    add(("samples", 1, "deltas", 0), BAD_NUMBERS)
    add(("allocator",), ["x", 5, {}])
    add(("allocator", 0), ["x", 5, []])
    add(("allocator", 0, "caches"), ["x", 5, {}])
    add(("allocator", 0, "caches", 0), ["x", 5, None, []])
    add(("allocator", 0, "caches", 0, "name"), NOT_STRINGS + [DELETE])
    add(("allocator", 0, "caches", 0, "stats"), ["x", 5, []])
    add(("allocator", 0, "caches", 0, "stats", "alloc_slowpath"),
        [NAN, INF, -INF, 1e308, 10 ** 400, -1])
    add(("allocator", 0, "caches", 0, "locks", "list_lock", "contended"),
        [NAN, INF, 10 ** 400, -1])
    add(("allocator", 0, "locks"), ["x", 5, []])
    add(("allocator", 0, "locks", "barn", "wait_ns"), [NAN, -INF, 1e300])
    add(("start_time",), [5, [], {}])
    return out


RAW_TEXTS = [
    ("empty", "", "empty file"),
    ("blank", "  \n\t\n", "empty file"),
    ("open brace", "{", "malformed JSON"),
    ("truncated", None, "truncated"),          # half a good document
    ("deep [", "[" * 100000, "nested more than"),
    ("deep {", '{"a":' * 100000, "nested more than"),
    ("depth 70", "[" * 70 + "]" * 70, "nested more than"),
    ("null", "null", "not a JSON object"),
    ("list", "[]", "not a JSON object"),
    ("number", "1", "not a JSON object"),
    ("string", '"x"', "not a JSON object"),
    ("NaN", "NaN", "not a JSON object"),
    ("latin-1", b"\xff\xfe{\x00", "not UTF-8"),
    ("trailing", None, "malformed JSON"),     # a document, then garbage
]

RUN_INPUTS = run_doc_inputs()
SNAPSHOT = synth.snapshot(
    {"maple_node": {"stats": {"alloc_fastpath": 900, "alloc_slowpath": 30},
                    "locks": {"list_lock": {"taken": 5, "contended": 1}}}},
    locks={"barn": {"taken": 3, "wait_ns": 120}})


def _good(tmp_path, side, ops, n=3, **kw):
    for i in range(n):
        write_doc(str(tmp_path / side / ("r%d.json" % i)),
                  synth.make_doc(ops=ops + i, latency=1000.0,
                                 metrics={"bg_kfree_rcu": {
                                     "kind": "counter", "unit": "calls",
                                     "value": 7, "per_task": [7]}},
                                 params={"size": "64"},
                                 allocator=[copy.deepcopy(SNAPSHOT)], **kw))


def _one_line(err):
    lines = [l for l in err.splitlines() if l.strip()]
    assert len(lines) == 1, err
    assert "Traceback" not in err
    return lines[0]


def _expect_refused(tmp_path, capsys, bad_path, needle):
    for args in (["compare", str(tmp_path / "a"), str(tmp_path / "b")],
                 ["plot", str(tmp_path / "a"), str(tmp_path / "b"),
                  "--case", "page_fault3", "-o", str(tmp_path / "chart")]):
        rc = cli.main(args)
        out, err = capsys.readouterr()
        assert rc == 2, (args[0], out, err)
        line = _one_line(err)
        assert str(bad_path) in line, line
        assert needle in line, (needle, line)
        assert out == ""
    assert not os.path.exists(tmp_path / "chart.png")


@pytest.mark.parametrize("ident,path,value,needle", RUN_INPUTS,
                         ids=[x[0] for x in RUN_INPUTS])
def test_bad_run_document(tmp_path, capsys, ident, path, value, needle):
    HOSTILE["run documents"] += 1
    _good(tmp_path, "a", 100.0)
    _good(tmp_path, "b", 90.0)
    doc = synth.make_doc(ops=91.0, latency=1000.0, params={"size": "64"},
                         metrics={"bg_kfree_rcu": {
                             "kind": "counter", "unit": "calls", "value": 7,
                             "per_task": [7]}}, allocator=[copy.deepcopy(SNAPSHOT)])
    _set_field(doc, path, value)
    bad = tmp_path / "b" / "bad.json"
    bad.write_text(json.dumps(doc))
    _expect_refused(tmp_path, capsys, bad, needle)


@pytest.mark.parametrize("ident,text,needle", RAW_TEXTS,
                         ids=[x[0] for x in RAW_TEXTS])
def test_bad_run_file(tmp_path, capsys, ident, text, needle):
    HOSTILE["run files"] += 1
    _good(tmp_path, "a", 100.0)
    _good(tmp_path, "b", 90.0)
    good = json.dumps(synth.make_doc(ops=91.0))
    if ident == "truncated":
        text = good[:len(good) // 2]
    elif ident == "trailing":
        text = good + " }"
    bad = tmp_path / "b" / "bad.json"
    bad.write_bytes(text if isinstance(text, bytes) else text.encode())
    _expect_refused(tmp_path, capsys, bad, needle)


# ---- sweep manifests -----------------------------------------------------------

def _sweep_tree(tmp_path):
    """results/<this host>/<day>/<id>/ with a complete manifest and its
    runs, as sweep.run_sweep writes them; returns (results, manifest path)."""
    res = tmp_path / "results"
    plan = planmod.normalise({"cases": "page_fault3", "variants": "old,new",
                              "nr_task": "1", "repeats": 3})
    sid = layout.new_sweep_id(planmod.plan_hash(plan))
    sdir = layout.sweep_dir(str(res), layout.this_host(), sid)
    m = sweep.new_manifest(plan, plan, sid, layout.this_host())
    for r in m["runs"]:
        write_doc(os.path.join(sdir, r["file"]), synth.make_doc(
            variant=r["variant"], ops=100.0 + r["repeat"]))
        r.update(status="ok", attempts=1, exit_code=0)
    m["state"] = "complete"
    layout.write_json_atomic(os.path.join(sdir, "sweep.json"), m)
    return res, os.path.join(sdir, "sweep.json"), m


def manifest_inputs():
    out = []

    def add(path, values, needle=None):
        for v in values:
            out.append(("%s=%s" % (_name(path), "DELETE" if v is DELETE
                                   else repr(v)[:30]), path, v,
                        needle or _name(path).split("[")[0]))

    add(("plan",), [None, "x", 5, [], DELETE], "plan")
    add(("plan", "variants"), ["x", [], [1], None, DELETE])
    add(("plan", "cases"), ["x", [], [None], DELETE])
    add(("plan", "modes"), [["fibers"], "threads", DELETE])
    add(("plan", "baseline"), ["zz", 5, None, DELETE])
    add(("plan", "nr_task"), [["a"], [0], 5, [], [10 ** 400], DELETE])
    for k in ("repeats", "seconds", "warmup"):
        add(("plan", k), ["x", -1, 10 ** 400, 1.5, None, DELETE])
    add(("plan", "params"), [[1], "x"])
    add(("plan", "params", "x"), [1, None])
    add(("plan", "events"), ["x", [1]])
    add(("runs",), ["x", 5, None, {}, DELETE], "runs")
    add(("runs", 0), ["x", 5, None, []])
    add(("runs", 0, "status"), ["bogus", None, 5, DELETE])
    add(("runs", 0, "file"), ["../../etc/passwd", "/etc/passwd",
                              "runs/../../x.json", "runs/a/b.txt", 5, None,
                              "runs/./x.json", DELETE])
    add(("runs", 0, "variant"), ["zz", 5, DELETE])
    add(("runs", 0, "case"), ["zz", None])
    add(("runs", 0, "mode"), ["fibers"])
    add(("runs", 0, "nr_task"), [0, "1", 1.5, DELETE])
    add(("runs", 0, "repeat"), [99, -1, "0", None])
    add(("runs", 0, "attempts"), [-1, "1", None])
    add(("runs", 0, "message"), [5, []])
    add(("state",), ["weird", None, 5, DELETE])
    add(("schema_version",), [2, None, "1", True, DELETE], "schema_version")
    add(("schema",), ["other", None, DELETE], "schema")
    add(("id",), ["x\x1b[2J", 5, None, "../x", DELETE])
    add(("host",), ["a/b", "", 5, "x\x07", DELETE])
    add(("plan_hash",), [5, None, "zz", DELETE])
    return out


MANIFEST_INPUTS = manifest_inputs()
MANIFEST_TEXTS = [("empty", ""), ("truncated", None), ("open", "{"),
                  ("deep", "[" * 100000), ("null", "null"), ("list", "[]"),
                  ("binary", b"\x00\xff")]


def _manifest_refused(capsys, res, mpath, needle, build):
    for args in (["report", "latest"],
                 ["compare", "latest:old", "latest:new"],
                 ["plot", "--history", "--case", "page_fault3", "-o",
                  os.path.join(str(res), "h")],
                 ["sweep", "--resume", "latest", "--build", build]):
        rc = cli.main(args + ["--results", str(res)])
        out, err = capsys.readouterr()
        assert rc == 2, (args, out, err)
        line = _one_line(err)
        assert mpath in line, line
        assert needle in line, (needle, line)
        assert not re.search("[\x00-\x1f\x7f]", line)


@pytest.mark.parametrize("ident,path,value,needle", MANIFEST_INPUTS,
                         ids=[x[0] for x in MANIFEST_INPUTS])
def test_bad_manifest(tmp_path, capsys, ident, path, value, needle):
    HOSTILE["sweep manifests"] += 1
    res, mpath, m = _sweep_tree(tmp_path)
    m = copy.deepcopy(m)
    if path[0] == "state" and value is not DELETE:
        m["state"] = value
    _set_field(m, path, value)
    with open(mpath, "w") as f:
        json.dump(m, f)
    _manifest_refused(capsys, res, mpath, needle, str(tmp_path / "build"))


@pytest.mark.parametrize("ident,text", MANIFEST_TEXTS,
                         ids=[x[0] for x in MANIFEST_TEXTS])
def test_bad_manifest_file(tmp_path, capsys, ident, text):
    HOSTILE["sweep manifests"] += 1
    res, mpath, m = _sweep_tree(tmp_path)
    if text is None:
        good = open(mpath).read()
        text = good[:len(good) // 2]
    with open(mpath, "wb") as f:
        f.write(text if isinstance(text, bytes) else text.encode())
    _manifest_refused(capsys, res, mpath, "", str(tmp_path / "build"))


def test_the_manifest_tree_itself_is_good(tmp_path, capsys):
    """The unmutated tree the manifest inputs start from works (so each
    refusal above is the mutation's doing)."""
    res, mpath, m = _sweep_tree(tmp_path)
    assert cli.main(["compare", "latest:old", "latest:new", "--results",
                     str(res)]) == 0
    assert cli.main(["report", "latest", "--results", str(res)]) == 0
    out, err = capsys.readouterr()
    assert "per_thread_ops" in out and "Traceback" not in err


# ---- hostile names ---------------------------------------------------------------

NAMES = [
    ("osc title", "\x1b]0;pwned\x07"), ("clear", "\x1b[2J\x1b[H"),
    ("csi c1", "a\x9b31mred"), ("bell", "ding\x07"), ("nul", "a\x00b"),
    ("cr", "real\rfake"), ("newline", "a\nforged line"), ("tab", "a\tb"),
    ("del", "a\x7fb"), ("bidi", "abc\u202edcba"), ("lone surrogate", "a\ud800b"),
    ("line sep", "a\u2028b"), ("cdata end", "a]]>b"), ("xml", "<x a='&'>"),
    ("html", "<script>alert(1)</script>"), ("backquote", "`touch pwned`"),
    ("gnuplot", "'; system('touch pwned'); '"), ("format", "%s%n%x"),
    ("path", "../../../etc/passwd"), ("long", "n" * 5000),
    ("unicode", "ünïcødé ✓ 漢字"), ("noenhanced", "@ARG0 {sub}_^ $0"),
]
FIELDS = ["case", "param name", "param value", "metric", "variant",
          "hostname"]
NAME_INPUTS = [(f, n, s) for f in FIELDS for n, s in NAMES]
RAW_CONTROL = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u202e\ud800-\udfff]")


def _named_doc(field, s, ops):
    kw = {"case": "page_fault3", "params": {"size": "64"}, "metrics": {},
          "variant": "none", "host": None}
    if field == "case":
        kw["case"] = s
    elif field == "param name":
        kw["params"] = {s: "1"}
    elif field == "param value":
        kw["params"] = {"size": s}
    elif field == "metric":
        kw["metrics"] = {s: {"kind": "counter", "unit": s, "value": 3,
                             "per_task": [3]}}
    elif field == "variant":
        kw["variant"] = s
    elif field == "hostname":
        kw["host"] = {"hostname": s, "cpu_model": s}
    return synth.make_doc(ops=ops, **kw)


@pytest.mark.parametrize("field,ident,s", NAME_INPUTS,
                         ids=["%s-%s" % (f, n) for f, n, _ in NAME_INPUTS])
def test_hostile_name_is_shown_not_obeyed(tmp_path, capsys, field, ident, s):
    HOSTILE["names"] += 1
    for side, ops in (("a", 100.0), ("b", 80.0)):
        for i in range(3):
            write_doc(str(tmp_path / side / ("r%d.json" % i)),
                      _named_doc(field, s, ops + i))
    rc = cli.main(["compare", str(tmp_path / "a"), str(tmp_path / "b")])
    out, err = capsys.readouterr()
    assert rc == 0, err
    assert "Traceback" not in err
    assert not RAW_CONTROL.search(out), repr(out[:500])
    assert not RAW_CONTROL.search(err), repr(err[:500])
    assert "per_thread_ops" in out
    if field == "case":
        # the chart: gnuplot runs nothing, the SVG is well-formed XML
        rc = cli.main(["plot", str(tmp_path / "a"), str(tmp_path / "b"),
                       "--case", s, "-o", str(tmp_path / "chart")])
        out, err = capsys.readouterr()
        assert rc == 0, err
        ET.parse(str(tmp_path / "chart.svg"))
        assert os.path.getsize(tmp_path / "chart.png") > 1000
        assert not os.path.exists("pwned")
        assert not os.path.exists(tmp_path / "pwned")


def test_the_suite_is_not_shrinking():
    """The generated lists stay as large as designed: a refactor cannot
    quietly drop most of the inputs."""
    n = (len(RUN_INPUTS) + len(RAW_TEXTS) + len(MANIFEST_INPUTS)
         + len(MANIFEST_TEXTS) + len(NAME_INPUTS))
    assert len(RUN_INPUTS) >= 250 and len(MANIFEST_INPUTS) >= 80
    assert len(NAME_INPUTS) == len(FIELDS) * len(NAMES)
    assert n >= 480, n
