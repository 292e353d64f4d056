"""What users read: the metric registry, alerts grouped by cause, number
formatting and the colour switch, the USL fit, the exit codes of input
validation, and the one-way structure of the package (load -> decide ->
render: every module imports alone, no cycle, imports at module level)."""
import ast
import glob
import io
import json
import os
import subprocess
import sys

import numpy as np
import pytest

from conftest import ANALYSIS, REPO, fake_build, write_doc
from slabscale_analysis import (compare, decide, fmt, metrics, results,
                                summary, synth, table, usl)
from slabscale_analysis.metrics import (DIAGNOSTIC, GATING, HIGHER, LOWER,
                                        NEUTRAL, PRIMARY, ROLES)

SLABSCALE = os.path.join(REPO, "slabscale")
PKG = os.path.join(ANALYSIS, "slabscale_analysis")


def full_doc(**kw):
    """A document with every kind of metric a run emits: rates, a latency
    family with per-kind splits, a max, a counter, PMU, allocator counters
    (summed, per cache, locks) per op and per cycle."""
    lat = {}
    for name, v in (("destroy_latency", 6e6), ("destroy_latency_rcu", 9e6),
                    ("destroy_latency_plain", 6e6)):
        lat[name] = {"kind": "latency", "unit": "ns", "count": 100,
                     "mean": v, "min": v / 2, "p10": v, "p50": v, "p90": v,
                     "p99": v * 1.5, "max": v * 2, "per_task": [100]}
    lat["peak_rss_kb"] = {"kind": "max", "unit": "KiB", "value": 5000,
                          "per_task": [5000]}
    lat["cycles"] = {"kind": "counter", "unit": "cycles", "value": 100,
                     "per_task": [100]}
    snap = synth.snapshot({"maple_node": {
        "stats": {"alloc_fastpath": 3000, "barn_get": 50},
        "locks": {"barn_lock": {"acquired": 60, "wait_ns": 100}}}},
        locks={"zone_lock": {"acquired": 3}})
    return synth.make_doc(case="cache_destroy", metrics=lat,
                          allocator=[snap], **kw)


# ---- the registry -----------------------------------------------------------
def test_every_metric_a_run_emits_has_unit_direction_role_family():
    doc = full_doc()
    info = results.Run(doc, "x.json").metric_info()
    names = set(results.extract_metrics(doc))
    assert set(info) == names and len(names) > 25
    for n, mi in info.items():
        assert mi.unit and mi.unit != "?", n
        assert mi.better in (HIGHER, LOWER, NEUTRAL), n
        assert mi.role in ROLES, n
        assert mi.family, n
    assert info["per_thread_ops"].role == PRIMARY
    assert info["per_thread_ops"].unit == "ops/s"
    # a wall-time case's CPU-time rate explains, never gates
    assert info["ops_per_cpu_sec"].role == DIAGNOSTIC
    assert info["destroy_latency.p50"].role == GATING
    assert info["destroy_latency.p50"].unit == "ns"
    assert info["peak_rss_kb"].unit == "KiB"
    # the latency family takes in the per-kind splits
    assert info["destroy_latency_rcu.p99"].family == "destroy_latency"
    assert info["destroy_latency_rcu.p99"].label == "rcu p99"
    # allocator counters: unit and direction as the C declaration says
    assert info["slab.barn_get.per_cycle"].unit == "sheaves/cycle"
    assert info["slab.barn_get.per_cycle"].better == LOWER
    assert info["slab.alloc_fastpath.per_op"].better == NEUTRAL
    assert info["slab.locks.barn_lock.wait_ns.per_op"].unit == "ns/op"
    assert info["slab.maple_node.barn_get.per_op"].family == "slab.barn_get"
    for n, mi in info.items():
        if n.startswith(("slab.", "pmu.")):
            assert mi.role == DIAGNOSTIC, n


def test_synthetic_documents_declare_what_the_c_header_declares():
    decl = synth.declared_counters()
    with open(os.path.join(REPO, "allocator", "include", "slab.h")) as f:
        text = f.read()
    body = text[text.index("#define SLAB_STAT_ITEMS"):
                text.index("#define SLAB_STAT_ENUM")]
    assert len(decl["stats"]) == body.count("\tX(") > 40
    assert set(decl["locks"]) == {"acquired", "contended", "wait_ns",
                                  "trylock_failed"}


def test_a_counter_added_in_c_appears_without_a_python_edit(tmp_path):
    """Declare a new counter in a copy of the tree's slab.h, build a
    runner from that copy, run it: the new counter is a metric with the
    unit and direction written in C, and nothing in analysis/ changed."""
    tree = tmp_path / "tree"
    files = subprocess.run(["git", "ls-files", "-z"], cwd=REPO, check=True,
                           capture_output=True).stdout.split(b"\0")
    for f in files:
        f = f.decode()
        if not f or f.startswith("results/"):
            continue
        dst = tree / f
        dst.parent.mkdir(parents=True, exist_ok=True)
        if os.path.islink(os.path.join(REPO, f)):
            continue
        dst.write_bytes(open(os.path.join(REPO, f), "rb").read())
        os.chmod(dst, os.stat(os.path.join(REPO, f)).st_mode)
    h = tree / "allocator" / "include" / "slab.h"
    text = h.read_text()
    anchor = '\tX(ALLOC_FROM_SHEAF, "alloc_from_sheaf"'
    assert anchor in text
    h.write_text(text.replace(anchor, '\tX(TEST_NEW_COUNTER, '
                              '"test_new_counter", "widgets", LOWER,\t\\\n'
                              '\t  "a counter the analysis never saw")\t\\\n'
                              + anchor))
    p = subprocess.run(["make", "-j2", "build/cpuslab/slabscale-run"],
                       cwd=tree, capture_output=True, text=True)
    assert p.returncode == 0, p.stderr[-3000:]
    out = tmp_path / "run.json"
    p = subprocess.run([str(tree / "build" / "cpuslab" / "slabscale-run"),
                        "slab_alloc_free", "-s", "1", "--warmup", "0",
                        "--no-events", "--json", str(out)],
                       capture_output=True, text=True)
    assert p.returncode in (0,), p.stderr[-2000:]
    run = results.load_run(str(out))
    info = run.metric_info()
    mi = info["slab.test_new_counter.per_op"]
    assert (mi.unit, mi.better, mi.role) == ("widgets/op", LOWER, DIAGNOSTIC)
    assert mi.what == "a counter the analysis never saw"


# ---- alerts grouped by cause ----------------------------------------------
def lat_runs(variant, p50, rcu_p50, plain_p50, n=5, case="cache_destroy"):
    out = []
    for i in range(n):
        j = 1 + 0.01 * i
        m = {}
        for name, v in (("destroy_latency", p50), ("destroy_latency_rcu",
                                                   rcu_p50),
                        ("destroy_latency_plain", plain_p50)):
            m[name] = {"kind": "latency", "unit": "ns", "count": 100,
                       "mean": v * j, "min": v / 2, "p50": v * j,
                       "p90": v * j, "p99": v * j * 1.5, "max": v * 2,
                       "per_task": [100]}
        for t in (1, 2):
            out.append(results.Run(synth.make_doc(
                case=case, variant=variant, nr_task=t, metrics=m,
                ops=1e6 * j), "%s-%d-%d.json" % (variant, t, i)))
    return out


def alerts_of(base, new):
    cmp = compare.compare_sets(base, new)
    return decide.alerts({"vs_baseline": [cmp], "vs_previous": []})


def test_a_family_that_moves_together_is_one_alert():
    al = alerts_of(lat_runs("a", 6e6, 6e6, 6e6),
                   lat_runs("b", 9e6, 9e6, 9e6))
    regs = al["regression"]
    assert len(regs) == 1, regs
    a = regs[0]
    assert (a["case"], a["family"], a["metric"]) == (
        "cache_destroy", "destroy_latency", "destroy_latency.p50")
    # 3 latencies x (mean, p50, p99) x 2 task counts, all agreeing
    assert (a["rows"], a["agree"], a["apart"]) == (18, 18, [])
    assert a["tasks"] == [1, 2]
    line = summary.alert_line(a)
    assert line.startswith("REGRESSION  cache_destroy destroy_latency p50 "
                           "6.12 ms → 9.18 ms (+50.0%) at t=1,2; 18 of 18 "
                           "rows agree"), line
    assert "moves apart" not in line
    assert al["improvement"] == [] and al["undecided"] == []


def test_a_family_whose_rows_move_apart_says_so():
    al = alerts_of(lat_runs("a", 6e6, 6e6, 6e6),
                   lat_runs("b", 9e6, 9e6, 3e6))
    (a,) = al["regression"]
    assert a["apart"] == ["plain mean", "plain p50", "plain p99"]
    assert a["agree"] == 12 and a["rows"] == 18
    assert "the family moves apart: improves plain mean, plain p50, " \
        "plain p99" in " ".join(summary.alert_line(a).split())
    # it still is one alert, and the improvement is not counted twice
    assert al["improvement"] == []


def test_diagnostic_rows_make_no_alert_and_gating_ones_set_the_exit():
    base = [results.Run(d, "a%d" % i) for i, d in enumerate(
        synth.make_doc(allocator=[synth.snapshot({"c": {"barn_get": 10}})],
                       ops=1e6 * (1 + 0.01 * i)) for i in range(5))]
    new = [results.Run(d, "b%d" % i) for i, d in enumerate(
        synth.make_doc(allocator=[synth.snapshot({"c": {"barn_get": 90}})],
                       ops=1e6 * (1 + 0.01 * i)) for i in range(5))]
    cmp = compare.compare_sets(base, new)
    m = [x for g in cmp["groups"] for x in g["metrics"]
         if x["metric"] == "slab.barn_get.per_op"][0]
    assert m["verdict"] == "regression" and m["role"] == DIAGNOSTIC
    an = {"vs_baseline": [cmp], "vs_previous": []}
    assert decide.alerts(an)["regression"] == []
    manifest = {"runs": [{"status": "ok"}] * 10}
    assert decide.exit_status(an, manifest)[0] == 0
    # shown in neutral words, hidden unless asked for
    assert table.fmt_verdict(m) == "↑ 9.0×"
    assert "slab.barn_get" not in table.render(cmp)
    assert "↑ 9.0×" in table.render(cmp, show_all=True)


def test_exit_status_precedence():
    reg = {"vs_baseline": [{"groups": [{"case": "c", "mode": "threads",
                                         "nr_task": 1, "metrics": [{
                                             "metric": "per_thread_ops",
                                             "verdict": "regression",
                                             "role": PRIMARY}]}]}],
           "vs_previous": []}
    failed = {"runs": [{"status": "ok"}, {"status": "failed"}]}
    assert decide.exit_status(reg, failed)[0] == 1        # 1 wins over 3
    clean = {"vs_baseline": [], "vs_previous": []}
    assert decide.exit_status(clean, failed)[0] == 3
    assert decide.exit_status(clean, {"runs": [{"status": "ok"}]})[0] == 0


# ---- numbers and colour ----------------------------------------------------
@pytest.mark.parametrize("v,unit,want", [
    (6160383, "ns", "6.16 ms"), (519355825, "ns", "519 ms"),
    (211, "ns", "211 ns"), (1760, "ns", "1.76 µs"), (2.5, "s", "2.50 s"),
    (343548, "ops/s", "344k ops/s"), (38.5e6, "ops/s", "38.5M ops/s"),
    (2.714e-05, "slabs/op", "27.1µ slabs/op"), (0, "ns", "0 ns"),
    (4 << 30, "B", "4.00 GiB"), (5000, "KiB", "4.88 MiB"),
    (9.0, "count", "9.00"), (None, "ns", "-")])
def test_quantities_carry_units_and_si_prefixes(v, unit, want):
    assert fmt.quantity(v, unit) == want


def test_compact_cells_and_one_p_value_format():
    assert fmt.compact(6160383, "ns") == "6.16ms"
    assert fmt.compact(343548, "ops/s") == "344k"
    assert fmt.unit_note("ops/s") == "(ops/s)" and fmt.unit_note("ns") == ""
    assert [fmt.pvalue(p) for p in (5.8e-4, 0.002, 0.0213, 1.0, None)] == [
        "<0.001", "0.002", "0.021", "1.000", "-"]


def test_colour_only_on_a_terminal_and_never_with_no_color():
    class Tty(io.StringIO):
        def isatty(self):
            return True
    assert fmt.colour_wanted(Tty(), {}) is True
    assert fmt.colour_wanted(io.StringIO(), {}) is False
    assert fmt.colour_wanted(Tty(), {"NO_COLOR": "1"}) is False
    assert fmt.colour_wanted(Tty(), {"TERM": "dumb"}) is False
    on, off = fmt.Paint(True), fmt.Paint(False)
    assert on.verdict("regression", "regression") == \
        fmt.RED + fmt.BOLD + "regression" + fmt.RESET
    assert off.verdict("regression", "regression") == "regression"
    # a diagnostic row is never red, even when its verdict is
    assert fmt.RED not in on.verdict("↑ 2×", "regression", gating=False)


def test_piped_output_has_no_escape_sequences(tmp_path):
    for i in range(5):
        write_doc(str(tmp_path / "a" / ("%d.json" % i)),
                  synth.make_doc(ops=1e6 * (1 + 0.01 * i)))
        write_doc(str(tmp_path / "b" / ("%d.json" % i)),
                  synth.make_doc(ops=0.8e6 * (1 + 0.01 * i)))
    p = subprocess.run([SLABSCALE, "compare", str(tmp_path / "a"),
                        str(tmp_path / "b")], capture_output=True, text=True,
                       timeout=120)
    assert p.returncode == 0, p.stderr
    assert "\033[" not in p.stdout
    assert "REGRESSION  page_fault3 per_thread_ops 1.02M ops/s → 816k ops/s"\
        in p.stdout
    assert max(len(line) for line in p.stdout.splitlines()) <= 120


# ---- the USL fit ------------------------------------------------------------
def test_usl_fit_recovers_a_known_curve():
    ns = [1, 2, 4, 8, 16, 32, 64]
    lam, alpha, beta = 1e6, 0.05, 0.0008
    per_task = usl.per_task(ns, lam, alpha, beta)
    f = usl.fit(ns, per_task)
    assert f["alpha"] == pytest.approx(alpha, rel=1e-3)
    assert f["beta"] == pytest.approx(beta, rel=1e-3)
    assert f["lam"] == pytest.approx(lam, rel=1e-3)
    assert f["peak"] == pytest.approx(np.sqrt((1 - alpha) / beta), rel=1e-3)
    # with 2 % noise it is still close
    rng = np.random.default_rng(3)
    noisy = per_task * (1 + 0.02 * rng.standard_normal(len(ns)))
    g = usl.fit(ns, noisy)
    assert abs(g["alpha"] - alpha) < 0.02 and g["peak"] == \
        pytest.approx(f["peak"], rel=0.25)
    # linear scaling: no contention, no coherency, no peak
    h = usl.fit(ns, [1e6] * len(ns))
    assert h["alpha"] < 1e-6 and h["beta"] < 1e-9 and h["peak"] is None
    assert "N* none" in usl.describe(h)
    # three task counts are too few for three parameters
    assert usl.fit([1, 2, 4], per_task[:3]) is None
    assert "N* 34" in usl.describe(f)


# ---- input validation: exit 2, "did you mean" ------------------------------
@pytest.fixture(scope="module")
def swept(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("swept")
    env = fake_build(tmp, ("old", "new"))
    p = subprocess.run([SLABSCALE, "sweep", "--variants", "old,new",
                        "--cases", "page_fault3_slab", "-t", "1",
                        "--repeats", "3", "-s", "1", "--warmup", "0",
                        "--no-report"], capture_output=True, text=True,
                       env=env, timeout=300)
    assert p.returncode == 0, p.stderr
    return tmp, env


def cli(env, *args):
    return subprocess.run([SLABSCALE] + list(args), capture_output=True,
                          text=True, env=env, timeout=300)


@pytest.mark.parametrize("args,says", [
    (["compare", "latest:old", "latest:new", "--metric", "per_thread_opz"],
     "no metric 'per_thread_opz' in these runs; did you mean "
     "per_thread_ops?"),
    (["plot", "--case", "page_falt3_slab"],
     "no runs of case 'page_falt3_slab'; did you mean page_fault3_slab?"),
    (["plot", "--case", "page_fault3_slab", "--sweep", "nosuch"],
     "no sweep 'nosuch' under"),
    (["plot", "--case", "page_fault3_slab", "--metric", "per_thread_opz"],
     "did you mean per_thread_ops?"),
    (["plot", "--history", "--case", "page_fault3_slab", "--variant",
      "nwe"], "did you mean new?"),
    (["bisect", "--good", "old", "--bad", "new", "--case",
      "page_falt3_slab"], "unknown case 'page_falt3_slab': the runner of new "
     "does not list it; did you mean page_fault3_slab"),
    (["bisect", "--good", "odl", "--bad", "new", "--case",
      "page_fault3_slab"], "unknown variant 'odl'; did you mean old?"),
    (["report", "nosuch"], "no sweep 'nosuch'"),
    (["sweep", "--variants", "old,new", "--cases", "page_falt3_slab"],
     "sweep: unknown case page_falt3_slab: no variant's runner lists it; "
     "did you mean page_fault3_slab"),
])
def test_bad_names_exit_2_with_the_likely_name(swept, args, says):
    tmp, env = swept
    if args[0] == "bisect":
        vl = tmp / "variants.list"
        vl.write_text("old\nnew\n")
        args = args + ["--variants-list", str(vl)]
    p = cli(env, *args)
    assert p.returncode == 2, (p.stdout, p.stderr)
    assert says in p.stderr, p.stderr
    assert "Traceback" not in p.stderr
    assert len(p.stderr.strip().splitlines()) == 1
    if args[0] == "bisect":
        assert not (tmp / "log").read_text().count("page_falt3_slab")


@pytest.mark.parametrize("cmd,opt,want", [
    ("compare", "--metrik", "--metric"), ("plot", "--hisotry", "--history"),
    ("sweep", "--repeets", "--repeats")])
def test_misspelled_option_prints_the_subcommands_usage(cmd, opt, want):
    args = {"compare": ["a", "b", opt, "x"], "plot": ["--case", "c", opt],
            "sweep": [opt, "3", "--variants", "nosuch"]}[cmd]
    p = subprocess.run([SLABSCALE, cmd] + args, capture_output=True,
                       text=True, timeout=60)
    assert p.returncode == 2
    assert p.stderr.startswith("usage: slabscale %s " % cmd), p.stderr
    assert "did you mean %s" % want in p.stderr, p.stderr


def test_history_without_variant_draws_one_line_per_variant(swept):
    tmp, env = swept
    out = tmp / "hist"
    p = cli(env, "plot", "--history", "--case", "page_fault3_slab", "-o",
            str(out))
    assert p.returncode == 0, p.stderr
    assert "old: change points" in p.stdout and "new: change points" \
        in p.stdout
    assert os.path.exists(str(out) + ".dat") and \
        os.path.exists(str(out) + ".1.dat")


# ---- one-way structure ------------------------------------------------------
MODULES = sorted(os.path.basename(p)[:-3]
                 for p in glob.glob(os.path.join(PKG, "*.py"))
                 if not p.endswith("__main__.py"))


@pytest.mark.parametrize("mod", MODULES)
def test_each_module_imports_alone(mod):
    p = subprocess.run([sys.executable, "-c", "import slabscale_analysis.%s"
                        % mod], cwd=ANALYSIS, capture_output=True, text=True,
                       timeout=60)
    assert p.returncode == 0, p.stderr


# third-party modules a function may import on first use: scipy takes a
# third of a second to import, which most commands never need
LAZY_IMPORTS = {"scipy"}


def package_imports():
    """{module: set of package modules it imports}, and the imports found
    inside functions (but those of LAZY_IMPORTS)."""
    graph, inner = {}, []
    for mod in MODULES:
        tree = ast.parse(open(os.path.join(PKG, mod + ".py")).read())
        deps = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.level == 1:
                if node.module:
                    deps.add(node.module.split(".")[0])
                else:
                    deps.update(a.name for a in node.names)
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                for sub in ast.walk(node):
                    if isinstance(sub, ast.ImportFrom) and not sub.level \
                            and sub.module.split(".")[0] in LAZY_IMPORTS:
                        continue
                    if isinstance(sub, (ast.Import, ast.ImportFrom)):
                        inner.append("%s:%d" % (mod, sub.lineno))
        graph[mod] = deps & set(MODULES)
    return graph, inner


def test_no_import_cycle_and_imports_at_module_level():
    graph, inner = package_imports()
    assert inner == []
    state = {}

    def visit(m, path):
        if state.get(m) == "done":
            return
        assert state.get(m) != "open", "import cycle: " + " -> ".join(
            path + [m])
        state[m] = "open"
        for d in sorted(graph[m]):
            visit(d, path + [m])
        state[m] = "done"
    for m in MODULES:
        visit(m, [])
    # load -> decide -> render: the renderers never reach back
    for render in ("report", "table", "summary", "plot", "plotcmd", "fmt"):
        assert "sweep" not in graph[render], render
    assert "report" not in graph["decide"] and "sweep" not in graph["decide"]
    assert "decide" not in graph["load"] and "report" not in graph["load"]


def test_commands_start_without_scipy():
    """Loading the command line imports no scipy (LAZY_IMPORTS): a usage
    error or a listing answers without it."""
    p = subprocess.run([sys.executable, "-c",
                        "import sys, slabscale_analysis.cli;"
                        "print(sorted(m for m in sys.modules"
                        " if m.split('.')[0] in %r))" % (LAZY_IMPORTS,)],
                       cwd=ANALYSIS, capture_output=True, text=True,
                       timeout=60)
    assert p.returncode == 0, p.stderr
    assert p.stdout.strip() == "[]", p.stdout
