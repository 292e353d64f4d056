"""A stand-in for build/<variant>/slabscale-run used by the sweep tests.

Usage: fake_runner.py VARIANT CASE -t N -s S --json FILE [...]
Behaviour from the environment:
  FAKE_LOG        append "variant case t" per run (order of invocations)
  FAKE_OPS        JSON {variant: ops} (default 1e6); noise 1 % by call
  FAKE_FAIL_CASE  this case fails (exit 1, status failed)
  FAKE_SKIP_CASE  this case is unsupported (exit 3, status skipped)
  FAKE_INTR_AT    on the Nth invocation (1-based) interrupt the parent sweep
  FAKE_INTR_AFTER on the Nth invocation finish the run (ok), then interrupt
                  the parent sweep and exit 0 at once
  FAKE_HOLD_AT    on the Nth invocation write our pid to FAKE_PIDFILE and
                  wait until FAKE_RELEASE exists (at most 10 minutes)
  FAKE_UNLISTED   "variant:case,..." cases that variant's --list leaves out
  FAKE_FILL_AT    on the Nth invocation fill the file system of the --json
                  file first (a filler file in FAKE_FILL_DIR), so the
                  document cannot be written: as the harness, say so, exit 1
  FAKE_FILL_AFTER on the Nth invocation fill it after writing the document
  FAKE_SLAB       JSON {variant: {cache: {counter: per_op}}}: an allocator
                  snapshot whose counters are per_op x the run's iterations
  FAKE_SHARED     "all": every run is marked shared (busy neighbours)
  FAKE_DISTURBED  "all": every run is marked disturbed (a task waited for
                  a CPU); a number N: the first N invocations are
FAKE_HOSTS        JSON {variant: hostname}: that variant's runs name another
                  host (as if measured elsewhere)
A --param bogus=... or -t above 4096 is a usage error (exit 2, the error
line first, then usage text), as the harness's.
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
        hidden = [x.split(":", 1)[1] for x in
                  os.environ.get("FAKE_UNLISTED", "").split(",")
                  if x.startswith(variant + ":")]
        for c in CASES:
            if c not in hidden:
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
    if "bogus" in params or t > 4096:
        # as the harness: the error line first, then its usage text
        print("slabscale-run: %s" % (
            "--param bogus: case '%s' has no such parameter" % case
            if "bogus" in params else "bad task count '%d' (1..4096)" % t),
            file=sys.stderr)
        print("usage: slabscale-run CASE [options]\n  -t N ...\n"
              "  --list    list the cases", file=sys.stderr)
        return 2
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
    if str(n) == os.environ.get("FAKE_HOLD_AT"):
        with open(os.environ["FAKE_PIDFILE"] + ".tmp", "w") as f:
            f.write("%d\n" % os.getpid())
        os.replace(os.environ["FAKE_PIDFILE"] + ".tmp",
                   os.environ["FAKE_PIDFILE"])
        t0 = time.time()
        while not os.path.exists(os.environ["FAKE_RELEASE"]) \
                and time.time() - t0 < 600:
            time.sleep(0.05)
    if str(n) == os.environ.get("FAKE_FILL_AT"):
        fill(os.environ["FAKE_FILL_DIR"])
    dist = os.environ.get("FAKE_DISTURBED", "")
    disturbed = dist == "all" or (dist.isdigit() and n <= int(dist))
    doc = synth.make_doc(case=case, variant=variant, mode=mode, nr_task=t,
                         ops=ops, status=status, params=params,
                         disturbed=disturbed and status == "ok",
                         shared=os.environ.get("FAKE_SHARED") == "all"
                         and status == "ok",
                         host={"hostname": json.loads(os.environ.get(
                             "FAKE_HOSTS", "{}")).get(variant, os.environ.get(
                             "FAKE_HOSTNAME", os.uname().nodename))})
    slab = json.loads(os.environ.get("FAKE_SLAB", "{}")).get(variant)
    if slab is not None and status == "ok":
        n_ops = synth.iterations(doc)
        doc["allocator"] = [synth.snapshot(
            {c: {k: v * n_ops for k, v in cnt.items()}
             for c, cnt in slab.items()}, variant=variant)]
        doc["allocator_counters"] = synth.declared_counters()
    tmp = out + ".tmp"
    try:
        with open(tmp, "w") as f:
            json.dump(doc, f)
        os.replace(tmp, out)
    except OSError as e:
        if os.path.exists(tmp):
            os.unlink(tmp)
        print("slabscale-run: cannot write %s: %s" % (out, e.strerror),
              file=sys.stderr)
        return 1
    if str(n) == os.environ.get("FAKE_FILL_AFTER"):
        fill(os.environ["FAKE_FILL_DIR"])
    if str(n) == os.environ.get("FAKE_INTR_AFTER"):
        # the run is complete (document written) when the Ctrl-C comes
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        os.kill(os.getppid(), signal.SIGINT)
        return 0
    return rc


def fill(d):
    """Fill the file system of d to the last block."""
    fd = os.open(os.path.join(d, "filler"),
                 os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    for size in (1 << 20, 4096, 1):
        try:
            while True:
                os.write(fd, b"\0" * size)
        except OSError:
            pass
    os.close(fd)


sys.exit(main())
