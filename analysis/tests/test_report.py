"""The sweep report: HTML escaping, Markdown, and the page in headless
Chromium (no console errors, tables and images present)."""
import glob
import html as html_mod
import json
import os
import re
import subprocess
import tempfile

from conftest import REPO, fake_build
from slabscale_analysis import report

SLABSCALE = os.path.join(REPO, "slabscale")
EVIL = '<script>alert("x")</script><img src=x onerror=alert(1)>'


def test_esc_and_md():
    assert report.esc(EVIL) == ("&lt;script&gt;alert(&quot;x&quot;)&lt;"
                                "/script&gt;&lt;img src=x onerror=alert(1)"
                                "&gt;")
    assert "<" not in report.md(EVIL) or "\\<" in report.md(EVIL)
    assert report.md("a|b\nc") == "a\\|b c"


def chromium_dump(path, size="1400,900"):
    """Load a page in headless Chromium (a fresh profile in a temporary
    directory, stopped when it exits) and dump the DOM after its scripts
    ran; console messages go to stderr as "CONSOLE"."""
    with tempfile.TemporaryDirectory() as prof:
        p = subprocess.run(
            ["/usr/bin/chromium", "--headless", "--no-sandbox",
             "--disable-gpu", "--disable-quic", "--no-first-run",
             "--disable-background-networking", "--disable-component-update",
             "--disable-sync", "--user-data-dir=" + prof,
             "--window-size=" + size, "--hide-scrollbars",
             "--enable-logging=stderr", "--v=0", "--dump-dom",
             "file://" + path],
            capture_output=True, text=True, timeout=120)
    return p


# Measures the laid-out page (1400 x 900 px window) and writes what it
# found into <pre id="probe"> for the test to read from the dumped DOM.
PROBE = """<script>
(function () {
  var out = {}, H = window.innerHeight;
  var sum = document.getElementById("summary");
  var r = sum.getBoundingClientRect();
  out.summary_top = r.top; out.summary_bottom = r.bottom; out.height = H;
  out.summary_text = sum.innerText;
  out.page_width = document.documentElement.scrollWidth;
  out.window_width = window.innerWidth;
  out.pairs = [];
  document.querySelectorAll("table.compare:not(.diagnostic)").forEach(
    function (t) {
      var pair = t.closest(".pair"), img = pair && pair.querySelector(
        ".plots img"), tr = t.getBoundingClientRect();
      var e = {case: t.closest("section").id, img: !!img,
               clipped: tr.width > t.parentElement.clientWidth + 1};
      if (img) {
        var ir = img.getBoundingClientRect();
        e.beside = ir.left >= tr.right - 1 && ir.top < tr.bottom &&
          ir.bottom > tr.top;
      }
      var tall = 0;
      t.querySelectorAll("td").forEach(function (td) {
        var lh = parseFloat(getComputedStyle(td).lineHeight) || 20;
        if (td.getBoundingClientRect().height > 1.8 * lh) tall++;
      });
      e.wrapped_cells = tall;
      out.pairs.push(e);
    });
  out.diag_red = 0; out.diag_rows = 0;
  document.querySelectorAll('tr[data-role="diagnostic"] td').forEach(
    function (td) {
      out.diag_rows++;
      var c = getComputedStyle(td);
      if (c.backgroundColor === "rgb(255, 221, 221)" ||
          c.color === "rgb(187, 0, 0)") out.diag_red++;
    });
  out.gating_red = document.querySelectorAll(
    'tr[data-role="primary"].bad, tr[data-role="gating"].bad').length;
  var pre = document.createElement("pre");
  pre.id = "probe";
  pre.textContent = JSON.stringify(out);
  document.body.appendChild(pre);
})();
</script>"""


def probe(page):
    """Run PROBE on a copy of the page next to it (so its images load)."""
    html = open(page).read()
    copy = os.path.join(os.path.dirname(page), "probe.html")
    with open(copy, "w") as f:
        f.write(html.replace("</body>", PROBE + "</body>"))
    c = chromium_dump(copy)
    m = re.search(r'<pre id="probe">(.*?)</pre>', c.stdout, re.S)
    return c, json.loads(html_mod.unescape(m.group(1))) if m else None


BIG_NUMBER = re.compile(r"(?<![\w.,])(\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?"
                        r"(?![\w.,])(\s*\S*)")
UNITS = ("ops/s", "ops/CPU-s", "ns", "µs", "ms", "s", "B", "KiB", "MiB",
         "GiB", "TiB", "objects", "/op", "/cycle")


def unitless_big_numbers(text):
    """Numbers of a million or more in text not followed by a unit."""
    bad = []
    for m in BIG_NUMBER.finditer(text):
        v = float(m.group(1).replace(",", ""))
        if v >= 1e6 and not any(m.group(2).strip().startswith(u) or
                                m.group(2).strip().endswith(u)
                                for u in UNITS):
            bad.append(m.group(0))
    return bad


def test_report_from_fake_sweep_in_chromium(tmp_path):
    # a regression (gating), a counter that moves (diagnostic) and a
    # hostile host name, over two cases and two task counts
    env = fake_build(tmp_path, ("old", "new"), FAKE_HOSTNAME=EVIL,
                     FAKE_OPS=json.dumps({"new": 0.8e6}),
                     FAKE_SLAB=json.dumps({
                         "old": {"maple_node": {"barn_get": 0.001}},
                         "new": {"maple_node": {"barn_get": 0.004}}}))
    p = subprocess.run([SLABSCALE, "sweep", "--variants", "old,new",
                        "--cases", "page_fault3,cache_destroy", "-t", "1,2",
                        "--repeats", "5", "-s", "1", "--warmup", "0"],
                       capture_output=True, text=True, env=env, timeout=600)
    assert p.returncode == 1, p.stderr
    m = re.search(r"^report: (.*index\.html)$", p.stderr, re.M)
    assert m, p.stderr
    page = m.group(1)
    rdir = os.path.dirname(page)
    html = open(page).read()
    assert EVIL not in html
    assert "&lt;script&gt;" in html
    md = open(os.path.join(rdir, "report.md")).read()
    assert "| per\\_thread\\_ops |" in md
    # the summary comes first, then the cases, then machine/build/plan
    assert html.index('id="summary"') < html.index('id="case-page_fault3"') \
        < html.index('id="machine"')
    pngs = glob.glob(os.path.join(rdir, "*.png"))
    assert len(pngs) >= 2
    c, got = probe(page)
    assert c.returncode == 0, c.stderr[-2000:]
    assert "CONSOLE" not in c.stderr, c.stderr
    assert got is not None, c.stdout[-2000:]
    # the summary is in the first screenful and names every gating group
    assert 0 <= got["summary_top"] and got["summary_bottom"] <= got["height"]
    cmp = json.load(open(os.path.join(os.path.dirname(rdir),
                                      "compare.json")))
    regs = cmp["alerts"]["regression"]
    assert {a["case"] for a in regs} == {"page_fault3", "cache_destroy"}
    for a in regs:
        assert "REGRESSION %s %s" % (a["case"], a["metric"]) in \
            got["summary_text"], got["summary_text"]
    # every case table has its plot beside it, and nothing wraps or
    # scrolls sideways at 1400 px
    assert {e["case"] for e in got["pairs"]} == {"case-page_fault3",
                                                 "case-cache_destroy"}
    for e in got["pairs"]:
        assert e["img"] and e["beside"], got["pairs"]
        assert e["wrapped_cells"] == 0 and not e["clipped"], got["pairs"]
    assert got["page_width"] <= got["window_width"], got
    # diagnostic rows are never coloured as a regression; gating ones are
    assert got["diag_rows"] > 0 and got["diag_red"] == 0, got
    assert got["gating_red"] > 0, got
    # no number of a million or more without its unit
    text = re.sub(r"<[^>]+>", " ", c.stdout)
    text = html_mod.unescape(re.sub(r'<pre id="probe">.*?</pre>', "",
                                    c.stdout, flags=re.S))
    text = re.sub(r"<[^>]+>", " ", text)
    assert unitless_big_numbers(text) == [], unitless_big_numbers(text)[:10]
    assert unitless_big_numbers("x 12345678 y") == ["12345678 y"]
    assert unitless_big_numbers("x 12.3M ops/s 9,175,039 ns") == []
    imgs = re.findall(r'<img src="([^"]+)"', c.stdout)
    assert len(imgs) >= 2
    for i in imgs:
        assert os.path.getsize(os.path.join(rdir, i)) > 1000


def test_broken_page_is_noticed(tmp_path):
    """The console check can fail: a page with a script error is caught."""
    page = tmp_path / "bad.html"
    page.write_text("<!DOCTYPE html><html><body><script>undefined_fn()"
                    "</script></body></html>")
    c = chromium_dump(str(page))
    assert "CONSOLE" in c.stderr
