"""The lkp-style compare table."""
from slabscale_analysis import significance, table
from slabscale_analysis.results import HIGHER


def res(a, b):
    r = significance.compare_samples(a, b, HIGHER)
    r["metric"] = "per_thread_ops"
    return r


def test_row_lkp_layout_with_stddev():
    a = [100000.0, 104000.0, 96000.0, 100000.0, 101000.0]
    b = [x * 0.63 for x in a]
    line = table.row("per_thread_ops", res(a, b), 20)
    # base median (SI prefix), ±N% (shown: > 2 %), %change, new median,
    # ±N%, the gating mark, metric
    assert line.startswith("    100k ±  3%  -37.0%    63.0k ±  3%"
                           " * per_thread_ops")
    assert line.endswith(" [-40,-34]     0.012  regression")
    # run counts stand in the group header; a row differing from it says so
    assert "5/5" not in line
    assert table.row("per_thread_ops", res(a, b), 20, runs=(5, 4)).endswith(
        "regression [n 5/5]")


def test_stddev_hidden_at_or_below_two_percent():
    a = [1000.0, 1001.0, 999.0]
    line = table.row("per_thread_ops", res(a, a), 20)
    assert "±" not in line
    assert line.startswith("   1.00k         +0.0%    1.00k       "
                           "* per_thread_ops")


def test_header_columns_align_with_rows():
    hdr = table.header(20).splitlines()
    a = [100000.0, 104000.0, 96000.0, 100000.0, 101000.0]
    line = table.row("per_thread_ops", res(a, [x * 0.63 for x in a]), 20)
    # "%stddev" ends where "±  3%" ends, "%change" where "-37.0%" ends
    assert hdr[0].index("%stddev") + 7 == line.index("±") + 5
    assert hdr[0].index("%change") + 7 == line.index("-37.0%") + 6
    assert hdr[1].index("|") == hdr[0].index("%change") + 6


def test_inconclusive_says_how_many_runs():
    r = res([1.0, 1.1, 0.95], [0.97, 1.05, 0.9])
    assert r["verdict"] == "inconclusive"
    assert "(+%d runs/side)" % r["more_runs"] in table.fmt_verdict(r)


def test_hopeless_noise_is_said_plainly():
    r = res([1.0, 3.0, 0.2], [2.0, 0.1, 1.0])
    assert r["more_runs"] > table.TOO_NOISY
    assert table.fmt_verdict(r) == "inconclusive (too noisy)"
    # the short word is explained once under the group's header
    assert table.group_notes({}, [r]) == [
        "   (too noisy): more than 100 runs a side would be needed"]
