"""Results loading: synthetic documents follow the schema; malformed and
mismatched results are refused with a message naming what is wrong."""
import json
import os

import jsonschema
import pytest

from conftest import REPO, write_doc
from slabscale_analysis import compare, results, synth
from slabscale_analysis.errors import DataError

SCHEMA = os.path.join(REPO, "harness", "schema", "slabscale-run.schema.json")


def test_synthetic_documents_follow_the_schema():
    with open(SCHEMA) as f:
        schema = json.load(f)
    for doc in (synth.make_doc(), synth.make_doc(mode="processes", nr_task=2),
                synth.make_doc(status="failed", latency=1000.0)):
        jsonschema.validate(doc, schema)


def test_load_ok_and_metrics(tmp_path):
    p = write_doc(str(tmp_path / "a.json"),
                  synth.make_doc(ops=123.0, latency=50.0))
    run = results.load_run(p)
    m = run.metrics()
    assert m["per_thread_ops"] == (123.0, results.HIGHER)
    assert m["destroy_latency.p99"][1] == results.LOWER
    assert m["pmu.task-clock.per_op"][1] == results.LOWER


@pytest.mark.parametrize("text,needle", [
    ("{not json", "malformed JSON at line 1"),
    ("[1, 2]", "not a JSON object"),
    (json.dumps({"schema": "other"}), "schema is 'other'"),
    (json.dumps(dict(synth.make_doc(), schema_version=7)),
     "schema_version 7"),
    (json.dumps(dict(synth.make_doc(), mode="fibers")), "unknown mode"),
    (json.dumps({k: v for k, v in synth.make_doc().items() if k != "case"}),
     "missing field 'case'"),
    (json.dumps(dict(synth.make_doc(), stats={})), "stats.per_thread_ops"),
])
def test_malformed_rejected_clearly(tmp_path, text, needle):
    p = tmp_path / "bad.json"
    p.write_text(text)
    with pytest.raises(DataError) as e:
        results.load_run(str(p))
    assert needle in str(e.value)
    assert str(p) in str(e.value)


def test_failed_runs_never_averaged(tmp_path):
    for i, (ops, st) in enumerate([(100, "ok"), (100, "ok"), (1, "failed"),
                                   (1, "interrupted")]):
        write_doc(str(tmp_path / ("r%d.json" % i)),
                  synth.make_doc(ops=ops, status=st))
    runs = results.load_set(str(tmp_path))
    vals, better = results.samples(runs, "per_thread_ops")
    assert vals == [100.0, 100.0]


def _set(tmp_path, name, n=3, **kw):
    out = []
    for i in range(n):
        p = write_doc(str(tmp_path / name / ("r%d.json" % i)),
                      synth.make_doc(**kw))
        out.append(results.load_run(p))
    return out


def test_compare_refuses_other_host(tmp_path):
    a = _set(tmp_path, "a")
    b = _set(tmp_path, "b", host={"hostname": "elsewhere"})
    with pytest.raises(DataError) as e:
        compare.compare_sets(a, b)
    assert "hostname: 'testhost' vs 'elsewhere'" in str(e.value)
    assert "--allow-host-mismatch" in str(e.value)
    assert compare.compare_sets(a, b, allow_host_mismatch=True)["groups"]


def test_compare_refuses_other_case(tmp_path):
    a = _set(tmp_path, "a", case="page_fault3")
    b = _set(tmp_path, "b", case="cache_destroy")
    with pytest.raises(DataError) as e:
        compare.compare_sets(a, b)
    assert "case: page_fault3 vs cache_destroy" in str(e.value)


def test_compare_identical_sets_no_change(tmp_path):
    a = _set(tmp_path, "a", ops=1000.0)
    b = _set(tmp_path, "b", ops=1000.0)
    res = compare.compare_sets(a, b)
    (g,) = res["groups"]
    verdicts = {m["metric"]: m["verdict"] for m in g["metrics"]}
    assert verdicts["per_thread_ops"] == "no change"
