"""SVG charts escape every label; CSV cells are the table's text with formulas neutralised."""

import pytest

from reporting.charts import bar_chart, duration_text, pct_text
from reporting.exports import csv_text, neutralise
from reporting.tables import Column, cell_text


def test_chart_escapes_labels_titles_and_values():
    svg = bar_chart(title='<b>"T"</b>', bars=[("<script>alert(1)</script>", 60.0), ("&amp;", None)],
                    value_text=lambda v: "<i>x</i>" if v else "–", ghost=[120.0, None], ghost_name="<p90>")
    assert "<script>" not in svg and "<b>" not in svg and "<i>" not in svg and "<p90>" not in svg
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in svg
    assert 'aria-label="&lt;b&gt;&quot;T&quot;&lt;/b&gt;"' in svg
    assert "&amp;amp;" in svg
    assert svg.count('class="chart-bar"') == 2 and svg.count('class="chart-ghost"') == 1


def test_chart_scales_to_the_largest_value_and_long_labels_are_cut():
    svg = bar_chart(title="t", bars=[("a" * 40, 50.0), ("b", 100.0), ("c", -5.0)], value_text=pct_text)
    assert 'width="115.0"' in svg and 'width="230.0"' in svg and 'width="0.0"' in svg
    assert "a" * 17 + "…" in svg and "a" * 40 + ": 50.0 %" in svg  # full label kept in the tooltip


def test_empty_chart_is_nothing():
    assert bar_chart(title="t", bars=[], value_text=pct_text) == ""


@pytest.mark.parametrize("seconds, text", [(None, "–"), (45, "45 s"), (450, "7.5 min"), (11520, "3.2 h"),
                                           (231000, "2.7 d")])
def test_duration_text(seconds, text):
    assert duration_text(seconds) == text


@pytest.mark.parametrize("value, kind, text", [
    (None, "pct", ""), (14.285, "pct", "14.29"), (70.0, "money", "70.00"), (-35.0, "pct", "-35.00"),
    (420.0, "seconds", "420"), (47.2, "seconds", "47.2"), (0.001, "seconds", "0.001"), (7, "int", "7"),
    ("Solar", "text", "Solar"),
])
def test_cell_text(value, kind, text):
    assert cell_text(value, kind) == text


@pytest.mark.parametrize("text, safe", [
    ("=1+1", "'=1+1"), ("+1", "'+1"), ("-cmd", "'-cmd"), ("@SUM(A1)", "'@SUM(A1)"), ("\tx", "'\tx"),
    ("\rx", "'\rx"), ("Solar", "Solar"), ("a=b", "a=b"), ("", ""),
])
def test_neutralise(text, safe):
    assert neutralise(text) == safe


def test_csv_neutralises_text_cells_and_headers_not_numbers():
    columns = [Column("label", "=Group", "text"), Column("margin", "Margin", "money")]
    cells = [[("=HYPERLINK(\"x\")", "text", ""), ("-12.50", "money", "")]]
    assert csv_text(columns=columns, cells=cells) == "'=Group,Margin\r\n\"'=HYPERLINK(\"\"x\"\")\",-12.50\r\n"
