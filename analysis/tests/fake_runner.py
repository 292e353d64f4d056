"""A stand-in for build/<variant>/slabscale-run used by the sweep tests.

Usage: fake_runner.py VARIANT CASE -t N -s S --json FILE [...]
Behaviour from the environment:
  FAKE_LOG        append "variant case t" per run (order of invocations)
  FAKE_OPS        JSON {variant: ops} (default 1e6); noise 1 % by call
  FAKE_FAIL_CASE  this case fails (exit 1, status failed)
  FAKE_SKIP_CASE  this case is unsupported (exit 3, status skipped)
  FAKE_INTR_AT    on the Nth invocation (1-based) interrupt the parent sweep
  FAKE_SLAB       JSON {variant: {cache: {counter: per_op}}}: an allocator
                  snapshot whose counters are per_op x the run's iterations
"""
import json
import os
import signal
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from slabscale_analysis import synth  # noqa: E402

CASES = ["page_fault3", "page_fault3_slab", "cache_destroy", "crashy"]


def main():
    variant, args = sys.argv[1], sys.argv[2:]
    if args == ["--list"]:
        for c in CASES:
            print("%-24s fake %s" % (c, c))
        return 0
    case = args[0]
    opt = {}
    i = 1
    while i < len(args):
        opt.setdefault(args[i], []).append(args[i + 1])
        i += 2
    t = int(opt["-t"][0])
    mode = opt.get("--mode", ["threads"])[0]
    out = opt["--json"][0]
    params = dict(p.split("=", 1) for p in opt.get("--param", []))
    log = os.environ.get("FAKE_LOG")
    n = 0
    if log:
        with open(log, "a") as f:
            f.write("%s %s %d %s\n" % (variant, case, t,
                                       ",".join(sorted(params))))
        with open(log) as f:
            n = len(f.read().splitlines())
    ops = json.loads(os.environ.get("FAKE_OPS", "{}")).get(variant, 1e6)
    ops *= 1 + 0.01 * ((n * 7) % 5 - 2) / 2
    status, rc = "ok", 0
    if case == os.environ.get("FAKE_FAIL_CASE"):
        status, rc = "failed", 1
    if case == os.environ.get("FAKE_SKIP_CASE"):
        status, rc = "skipped", 3
    if str(n) == os.environ.get("FAKE_INTR_AT"):
        got = []
        signal.signal(signal.SIGINT, lambda *a: got.append(1))
        os.kill(os.getppid(), signal.SIGINT)
        t0 = time.time()
        while not got and time.time() - t0 < 10:
            time.sleep(0.05)
        status, rc = "interrupted", 130
    doc = synth.make_doc(case=case, variant=variant, mode=mode, nr_task=t,
                         ops=ops, status=status, params=params,
                         host={"hostname": os.environ.get(
                             "FAKE_HOSTNAME", os.uname().nodename)})
    slab = json.loads(os.environ.get("FAKE_SLAB", "{}")).get(variant)
    if slab is not None and status == "ok":
        n_ops = synth.iterations(doc)
        doc["allocator"] = [synth.snapshot(
            {c: {k: v * n_ops for k, v in cnt.items()}
             for c, cnt in slab.items()}, variant=variant)]
    tmp = out + ".tmp"
    with open(tmp, "w") as f:
        json.dump(doc, f)
    os.replace(tmp, out)
    return rc


sys.exit(main())
