"""slabscale sweep --slurm: the plan dispatched through Slurm.

The plan's cases are shared out over --slurm-nodes nodes (round robin); each
share is one sbatch job (`--exclusive`, one node: no two benchmarks ever
share a node) that runs the ordinary local sweep of its share
(`slabscale sweep --plan SHARE --dispatch ID/k`), which records every run
into the shared results database.  The submitting command shows the jobs'
progress (state, node, runs recorded), waits, then compares per host, each
host's runs against its own baseline variant only, and exits as a local
sweep does (1 regression, 3 failed runs or a job that failed or was
cancelled, 4 disturbed, 0 clean).  A job that failed or was cancelled is
named with its host; `--resume ID` submits again only the shares without
a complete sweep in the database.

The dispatch is recorded in RESULTS/dispatch/<ID>/dispatch.json (the
shares' plans, their jobs); the jobs' output is share-<k>-<job>.out there.
"""

import datetime
import os
import shlex
import subprocess
import sys
import time

from . import budget as budgetmod, compare as cmpmod, db, layout
from . import plan as planmod, table
from .db import queries
from .db.engine import open_db
from .errors import (DataError, UserError, EXIT_OK, EXIT_REGRESSION,
                     EXIT_INCOMPLETE, EXIT_DISTURBED, EXIT_INTERRUPTED)
from .results import diagnostic_metric, load_json_file
from .significance import MIN_EFFECT
from .textsafe import term

POLL = 1.0                              # seconds between looks at the queue
ENDED_OK = ("COMPLETED",)
ENDED_BAD = ("FAILED", "CANCELLED", "TIMEOUT", "NODE_FAIL", "PREEMPTED",
             "OUT_OF_MEMORY", "BOOT_FAIL", "DEADLINE")


def share_plan(plan, nodes):
    """The plan's cases shared round robin over nodes: [plan] (every
    share keeps every variant, task count and repeat, so each host has
    its own baseline)."""
    cases = plan["cases"]
    if nodes > len(cases):
        raise UserError("sweep --slurm: --slurm-nodes %d, but the plan has %d "
                        "case(s) to share out" % (nodes, len(cases)))
    return [dict(plan, cases=cases[k::nodes]) for k in range(nodes)]


def _slurm(cmd, what):
    try:
        p = subprocess.run(cmd, capture_output=True, text=True)
    except FileNotFoundError:
        raise UserError("sweep --slurm: %s not found (Debian's slurm-wlm "
                        "client: make deps)" % cmd[0])
    if p.returncode != 0:
        raise UserError("sweep --slurm: %s failed: %s" % (
            what, (p.stderr.strip().splitlines() or ["exit %d"
                                                     % p.returncode])[-1]))
    return p.stdout


def job_state(jid):
    """(state, node, exit code) of a job, from squeue while it is known
    there, else from scontrol (jobs stay there MinJobAge after ending)."""
    out = subprocess.run(["scontrol", "-o", "show", "job", str(jid)],
                         capture_output=True, text=True).stdout
    f = dict(kv.split("=", 1) for kv in out.split() if "=" in kv)
    if not f:
        return "UNKNOWN", None, None
    code = f.get("ExitCode", "0:0").split(":")[0]
    node = f.get("BatchHost") or f.get("NodeList")
    return f.get("JobState", "UNKNOWN"), None if node in (
        None, "(null)", "") else node, int(code) if code.isdigit() else None


def new_dispatch_id(plan_hash):
    return "slurm-" + layout.new_sweep_id(plan_hash)


def dispatch_dir(results, did):
    return os.path.join(results, "dispatch", layout.safe_name(did))


def _sweep_cmd(a, share_file, did, k, db_url):
    args = [os.path.join(layout.repo_root(), "slabscale"), "sweep",
            "--plan", share_file, "--dispatch", "%s/%d" % (did, k),
            "--results", os.path.abspath(a.results), "--build",
            os.path.abspath(a.build), "--db", db_url]
    for flag, val in (("--budget", a.budget), ("--budget-time",
                                               a.budget_time)):
        if val:
            args += [flag, str(val)]
    if a.no_report:
        args.append("--no-report")
    if a.include_disturbed:
        args.append("--include-disturbed")
    return " ".join(shlex.quote(x) for x in args)


def submit(a, rec, k, db_url, ddir):
    share_file = os.path.join(ddir, "share-%d.plan.json" % k)
    layout.write_json_atomic(share_file, rec["shares"][k]["plan"])
    cmd = ["sbatch", "--parsable", "--exclusive", "--nodes=1",
           "--job-name=slabscale-%s-%d" % (rec["id"][-17:], k),
           "--output=%s" % os.path.join(ddir, "share-%d-%%j.out" % k),
           "--chdir=%s" % layout.repo_root()]
    if a.partition:
        cmd.append("--partition=%s" % a.partition)
    if a.constraint:
        cmd.append("--constraint=%s" % a.constraint)
    cmd += ["--wrap", _sweep_cmd(a, share_file, rec["id"], k, db_url)]
    jid = _slurm(cmd, "sbatch").strip().split(";")[0]
    rec["shares"][k]["jobs"].append(jid)
    return jid


def _recorded(eng, did, k):
    """(runs recorded, sweep complete?) of share k."""
    sws = queries.sweeps(eng, dispatch="%s/%d" % (did, k))
    runs = sum(len(queries.load_runs(eng, host=s["host"], sweep=s["uid"]))
               for s in sws) if sws else 0
    return runs, any(s["state"] == "complete" for s in sws), sws


def wait(rec, eng, out):
    """Poll until every submitted job ended; returns {k: (state, node,
    exit code)}."""
    did = rec["id"]
    pending = {k: s["jobs"][-1] for k, s in enumerate(rec["shares"])
               if s.get("submitted")}
    last, final = {}, {}
    t0 = time.monotonic()
    while pending:
        for k, jid in sorted(pending.items()):
            st, node, code = job_state(jid)
            runs, _, _ = _recorded(eng, did, k)
            total = rec["shares"][k]["runs"]
            line = "slurm: share %d (job %s): %s%s, %d/%d runs recorded" % (
                k, jid, st, " on %s" % node if node else "", runs, total)
            if last.get(k) != line:
                out("%s [%ds]" % (line, time.monotonic() - t0))
                last[k] = line
            if st in ENDED_OK + ENDED_BAD or st == "UNKNOWN" and \
                    time.monotonic() - t0 > 60:
                final[k] = (st, node, code)
                del pending[k]
        if pending:
            time.sleep(POLL)
    return final


def compare_hosts(eng, did, plan, out, min_effect, include_disturbed):
    """Each host's runs of this dispatch against its own baseline variant
    (hosts never pooled); returns the number of gating regressions and of
    disturbed rows."""
    by_host = {}
    for s in queries.sweeps(eng):
        if (s["dispatch"] or "").startswith(did + "/"):
            by_host.setdefault(s["host"], []).extend(
                queries.load_runs(eng, host=s["host"], sweep=s["uid"]))
    regs, drows = 0, 0
    for host in sorted(by_host):
        runs = by_host[host]
        base = [r for r in runs if r.variant == plan["baseline"]]
        for v in plan["variants"]:
            new = [r for r in runs if r.variant == v]
            if v == plan["baseline"] or not new or not base:
                continue
            try:
                c = cmpmod.compare_sets(
                    base, new, "%s (baseline) @ %s" % (plan["baseline"],
                                                       host),
                    "%s @ %s" % (v, host), min_effect=min_effect,
                    include_disturbed=include_disturbed)
            except DataError as e:
                out("slurm: %s: cannot compare: %s" % (term(host), term(e)))
                continue
            out("\n# host %s: against the baseline variant\n%s" % (
                term(host), table.render(c)))
            regs += sum(1 for g, m in cmpmod.regressions(c)
                        if not diagnostic_metric(m["metric"], g["case"]))
            if not include_disturbed:
                drows += len(budgetmod.disturbed_rows([c]))
    return regs, drows, sorted(by_host)


def run_sweep(a, plan_raw, db_url, out=None):
    out = out or (lambda s: print(s, file=sys.stderr, flush=True))
    if db_url is None:
        raise UserError("sweep --slurm: the jobs record into the results "
                        "database; --db none leaves nothing to collect")
    db.require(db_url)
    eng = open_db(db_url)
    if a.resume:
        ddir = dispatch_dir(a.results, a.resume)
        if a.resume == "latest":
            root = os.path.join(a.results, "dispatch")
            ids = sorted(os.listdir(root)) if os.path.isdir(root) else []
            if not ids:
                raise UserError("sweep --slurm --resume: no dispatch under "
                                "%s" % root)
            ddir = os.path.join(root, ids[-1])
        rec = load_json_file(os.path.join(ddir, "dispatch.json"),
                             "a dispatch record")
        plan = rec["plan"]
        for k, s in enumerate(rec["shares"]):
            _, done, _ = _recorded(eng, rec["id"], k)
            s["submitted"] = not done
        todo = [k for k, s in enumerate(rec["shares"]) if s["submitted"]]
        out("slurm: resuming %s: %d of %d share(s) without a complete sweep"
            % (rec["id"], len(todo), len(rec["shares"])))
    else:
        requested = planmod.normalise(plan_raw)
        plan = requested
        did = new_dispatch_id(planmod.plan_hash(requested))
        ddir = dispatch_dir(a.results, did)
        os.makedirs(ddir, exist_ok=True)
        shares = share_plan(plan, a.slurm_nodes or 1)
        rec = {"id": did, "plan": plan, "db": db.describe(db_url),
               "started": datetime.datetime.now(
                   datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
               "shares": [{"plan": p, "jobs": [], "submitted": True,
                           "runs": len(planmod.schedule(p))}
                          for p in shares]}
        todo = list(range(len(shares)))
    for k in todo:
        jid = submit(a, rec, k, db_url, ddir)
        out("slurm: share %d (%s) submitted as job %s" % (
            k, ",".join(rec["shares"][k]["plan"]["cases"]), jid))
    layout.write_json_atomic(os.path.join(ddir, "dispatch.json"), rec)
    try:
        final = wait(rec, eng, out)
    except KeyboardInterrupt:
        out("slurm: interrupted; the jobs keep running (scancel them, or "
            "collect later with: slabscale sweep --slurm --resume %s)"
            % rec["id"])
        return EXIT_INTERRUPTED
    bad = []
    for k, (st, node, code) in sorted(final.items()):
        runs, done, sws = _recorded(eng, rec["id"], k)
        host = node or (sws[0]["host"] if sws else "?")
        if st not in ENDED_OK and code not in (EXIT_REGRESSION,
                                               EXIT_DISTURBED):
            bad.append(k)
            out("slurm: share %d on host %s: job %s %s (exit %s), %d run(s) "
                "recorded; resubmit what is missing with: slabscale sweep "
                "--slurm --resume %s" % (
                    k, term(host), rec["shares"][k]["jobs"][-1], st.lower(),
                    code, runs, rec["id"]))
        rec["shares"][k]["state"] = st
    layout.write_json_atomic(os.path.join(ddir, "dispatch.json"), rec)
    regs, drows, hosts = compare_hosts(
        eng, rec["id"], plan, out,
        MIN_EFFECT if a.min_effect is None else a.min_effect,
        a.include_disturbed)
    out("slurm: dispatch %s: %d share(s) on %d host(s) (%s)%s" % (
        rec["id"], len(rec["shares"]), len(hosts), ", ".join(
            map(term, hosts)) or "none",
        "; %d share(s) failed or cancelled" % len(bad) if bad else ""))
    codes = {c for _, _, c in final.values()}
    if regs or EXIT_REGRESSION in codes:
        out("sweep: significant regression(s): see the tables above and the "
            "jobs' output in %s" % term(ddir))
        return EXIT_REGRESSION
    if bad or not hosts or EXIT_INCOMPLETE in codes:
        return EXIT_INCOMPLETE
    if drows or EXIT_DISTURBED in codes:
        return EXIT_DISTURBED
    return EXIT_OK


def _bisect_cmd(a):
    args = [os.path.join(layout.repo_root(), "slabscale"), "bisect",
            "--good", a.good, "--bad", a.bad, "--case", a.case,
            "-t", str(a.nr_task), "--mode", a.mode, "-s", str(a.seconds),
            "--warmup", str(a.warmup), "--repeats", str(a.repeats),
            "--max-repeats", str(a.max_repeats),
            "--variants-list", os.path.abspath(a.variants_list),
            "--build", os.path.abspath(a.build),
            "--results", os.path.abspath(a.results)]
    if a.metric:
        args += ["--metric", a.metric]
    if getattr(a, "nodes", None):           # the model's NUMA topology
        args += ["--nodes", str(a.nodes)]
    if getattr(a, "memoryless", None):
        args += ["--memoryless", a.memoryless]
    if a.min_effect is not None:
        args += ["--min-effect", "%g" % (100 * a.min_effect)]
    for p in a.param:
        args += ["--param", p]
    return " ".join(shlex.quote(x) for x in args)


def run_bisect(a, out=None):
    """bisect --slurm: the same variant bisection as one exclusive job on
    each of --slurm-nodes nodes; each host decides every step on its own runs
    (never pooled).  Exit 0 when every host named the same first bad
    variant, 3 otherwise."""
    out = out or (lambda s: print(s, file=sys.stderr, flush=True))
    if a.git:
        raise UserError("bisect --slurm bisects variants; --git runs on "
                        "this machine")
    if not a.good or not a.bad:
        raise UserError("bisect needs --good and --bad variants")
    now = datetime.datetime.now(datetime.timezone.utc)
    did = "slurm-bisect-%s-%s" % (now.strftime("%Y%m%dT%H%M%SZ"),
                                  layout.safe_name(a.case))
    ddir = dispatch_dir(a.results, did)
    os.makedirs(ddir, exist_ok=True)
    jobs = []
    for k in range(a.slurm_nodes or 1):
        cmd = ["sbatch", "--parsable", "--exclusive", "--nodes=1",
               "--job-name=slabscale-bisect-%d" % k,
               "--output=%s" % os.path.join(ddir, "host-%d-%%j.out" % k),
               "--chdir=%s" % layout.repo_root()]
        if a.partition:
            cmd.append("--partition=%s" % a.partition)
        if a.constraint:
            cmd.append("--constraint=%s" % a.constraint)
        cmd += ["--wrap", _bisect_cmd(a)]
        jid = _slurm(cmd, "sbatch").strip().split(";")[0]
        jobs.append(jid)
        out("slurm: bisection %d submitted as job %s" % (k, jid))
    layout.write_json_atomic(os.path.join(ddir, "dispatch.json"), {
        "id": did, "kind": "bisect", "jobs": jobs})
    pending, last, final = dict(enumerate(jobs)), {}, {}
    while pending:
        for k, jid in sorted(pending.items()):
            st, node, code = job_state(jid)
            line = "slurm: bisection %d (job %s): %s%s" % (
                k, jid, st, " on %s" % node if node else "")
            if last.get(k) != line:
                out(line)
                last[k] = line
            if st in ENDED_OK + ENDED_BAD:
                final[k] = (st, node, code)
                del pending[k]
        if pending:
            time.sleep(POLL)
    firsts = []
    for k, (st, node, code) in sorted(final.items()):
        path = os.path.join(ddir, "host-%d-%s.out" % (k, jobs[k]))
        try:
            with open(path, errors="replace") as f:
                text = f.read()
        except OSError:
            text = ""
        verdict = [ln for ln in text.splitlines()
                   if ln.startswith(("first bad variant:", "not bisectable",
                                     "slabscale bisect:"))]
        first = None
        for ln in verdict:
            if ln.startswith("first bad variant:"):
                first = ln.split(":", 1)[1].split()[0]
        firsts.append(first)
        out("host %s: %s" % (term(node or "?"), term(
            verdict[-1] if verdict else "job %s %s (exit %s), no verdict"
            % (jobs[k], st.lower(), code))))
    if firsts and all(f is not None and f == firsts[0] for f in firsts):
        out("bisect --slurm: every host (%d) names %s as the first bad "
            "variant" % (len(firsts), term(firsts[0])))
        return EXIT_OK
    out("bisect --slurm: the hosts do not agree on a first bad variant "
        "(%s)" % ", ".join(term(str(f)) for f in firsts))
    return EXIT_INCOMPLETE
