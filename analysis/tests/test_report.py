"""The sweep report: HTML escaping, Markdown, and the page in headless
Chromium (no console errors, tables and images present)."""
import glob
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


def chromium_dump(path):
    with tempfile.TemporaryDirectory() as prof:
        p = subprocess.run(
            ["/usr/bin/chromium", "--headless", "--no-sandbox",
             "--disable-gpu", "--disable-quic", "--no-first-run",
             "--disable-background-networking", "--disable-component-update",
             "--disable-sync", "--user-data-dir=" + prof,
             "--enable-logging=stderr", "--v=0", "--dump-dom",
             "file://" + path],
            capture_output=True, text=True, timeout=120)
    return p


def test_report_from_fake_sweep_in_chromium(tmp_path):
    env = fake_build(tmp_path, ("old", "new"), FAKE_HOSTNAME=EVIL)
    p = subprocess.run([SLABSCALE, "sweep", "--variants", "old,new",
                        "--cases", "page_fault3,cache_destroy", "-t", "1,2",
                        "--repeats", "3", "-s", "1", "--warmup", "0"],
                       capture_output=True, text=True, env=env, timeout=300)
    assert p.returncode == 0, p.stderr
    m = re.search(r"^report: (.*index\.html)$", p.stderr, re.M)
    assert m, p.stderr
    page = m.group(1)
    html = open(page).read()
    assert EVIL not in html
    assert "&lt;script&gt;" in html
    md = open(os.path.join(os.path.dirname(page), "report.md")).read()
    assert "| per\\_thread\\_ops |" in md
    pngs = glob.glob(os.path.join(os.path.dirname(page), "*.png"))
    assert len(pngs) == 2
    c = chromium_dump(page)
    assert c.returncode == 0, c.stderr[-2000:]
    dom = c.stdout
    assert "CONSOLE" not in c.stderr, c.stderr
    assert "<script" not in dom
    assert dom.count('class="compare"') >= 4
    assert 'id="machine"' in dom and 'id="plan"' in dom
    imgs = re.findall(r'<img src="([^"]+)"', dom)
    assert len(imgs) == 2
    for i in imgs:
        assert os.path.getsize(os.path.join(os.path.dirname(page), i)) > 1000


def test_broken_page_is_noticed(tmp_path):
    """The console check can fail: a page with a script error is caught."""
    page = tmp_path / "bad.html"
    page.write_text("<!DOCTYPE html><html><body><script>undefined_fn()"
                    "</script></body></html>")
    c = chromium_dump(str(page))
    assert "CONSOLE" in c.stderr
