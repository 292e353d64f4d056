#!/usr/bin/python3
"""make docs-figures: the screenshots and plots of docs/figures/ from real
runs on this machine.

Runs SWEEPS short sweeps of one plan (page_fault3_slab, cpuslab vs
sheaves-all, four task counts, so each sweep gets its scaling fit and the
later ones a history) into a results directory of their own, then takes
from the last sweep's report:

  docs/figures/report-first-screen.png   the report's first 1400x900 px
  docs/figures/report-case.png           one case section (table + plots)
  docs/figures/scaling.png, .svg         the scaling plot with the USL fit
                                         and the relative panel
  docs/figures/history.png, .svg         the history, one line per variant,
                                         change points marked

With four task counts on a machine of two CPUs the runs at 3 and 4 tasks
wait for CPUs, so they are all disturbed: the figures' sweeps average
disturbed runs in (--include-disturbed) and say so.
"""

import argparse
import glob
import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
DOC = os.path.join(REPO, "docs", "figures")
SLABSCALE = os.path.join(REPO, "slabscale")


def chromium_shot(url, out, size):
    with tempfile.TemporaryDirectory() as prof:
        p = subprocess.run(
            ["/usr/bin/chromium", "--headless", "--no-sandbox",
             "--disable-gpu", "--no-first-run", "--hide-scrollbars",
             "--disable-background-networking", "--disable-component-update",
             "--disable-sync", "--user-data-dir=" + prof,
             "--window-size=" + size, "--screenshot=" + out, url],
            capture_output=True, text=True, timeout=120)
    if p.returncode != 0 or not os.path.exists(out):
        sys.exit("docs-figures: chromium failed: %s" % p.stderr[-500:])


def section_page(page, case):
    """A copy of the report that starts at the case's section (a headless
    screenshot shows the top of a page)."""
    with open(page) as f:
        html = f.read()
    head, _, body = html.partition("<body>")
    start = body.index('<section id="case-%s"' % case)
    end = body.index("</section>", start) + len("</section>")
    out = os.path.join(os.path.dirname(page), "section-%s.html" % case)
    with open(out, "w") as f:
        f.write(head + "<body>" + body[start:end] + "</body></html>")
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--results", default=os.path.join(REPO, "build",
                                                      "docs-figures"))
    ap.add_argument("--sweeps", type=int, default=4,
                    help="sweeps to run first (0: only the report and the "
                    "figures of the latest sweep)")
    ap.add_argument("--case", default="page_fault3_slab")
    a = ap.parse_args()
    env = dict(os.environ, SLABSCALE_RESULTS=a.results)
    for i in range(a.sweeps):
        print("docs-figures: sweep %d of %d" % (i + 1, a.sweeps), flush=True)
        p = subprocess.run([SLABSCALE, "sweep", "--variants",
                            "cpuslab,sheaves-all", "--cases", a.case,
                            "-t", "1,2,3,4", "--repeats", "3", "-s", "1",
                            "--warmup", "1", "--include-disturbed"],
                           env=env, stderr=subprocess.PIPE, text=True)
        if p.returncode not in (0, 1, 4):
            sys.exit("docs-figures: the sweep failed (exit %d):\n%s"
                     % (p.returncode, p.stderr[-2000:]))
    # the latest sweep's report, written again (as `slabscale report`
    # does): with --sweeps 0 that is all this does
    p = subprocess.run([SLABSCALE, "report", "latest",
                        "--include-disturbed"], env=env,
                       capture_output=True, text=True)
    if p.returncode != 0:
        sys.exit("docs-figures: slabscale report failed: %s"
                 % p.stderr[-2000:])
    page = p.stdout.strip().splitlines()[-1]
    rdir = os.path.dirname(page)
    os.makedirs(DOC, exist_ok=True)
    chromium_shot("file://" + page, os.path.join(DOC,
                                                  "report-first-screen.png"),
                  "1400,900")
    chromium_shot("file://" + section_page(page, a.case),
                  os.path.join(DOC, "report-case.png"), "1400,1100")
    for kind, pat in (("scaling", "%s-threads-per_thread_ops" % a.case),
                      ("history", "history-%s-threads-per_thread_ops"
                       % a.case)):
        for ext in ("png", "svg"):
            src = os.path.join(rdir, "%s.%s" % (pat, ext))
            if not os.path.exists(src):
                sys.exit("docs-figures: %s was not written" % src)
            shutil.copyfile(src, os.path.join(DOC, "%s.%s" % (kind, ext)))
    print("docs-figures: wrote %s" % ", ".join(sorted(
        os.path.relpath(x, REPO) for x in glob.glob(os.path.join(DOC, "*"))
        if not os.path.basename(x).startswith("page_fault3_slab-"))))
    print("docs-figures: from sweep %s" % os.path.basename(
        os.path.dirname(rdir)))


if __name__ == "__main__":
    main()
