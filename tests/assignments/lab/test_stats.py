"""Experiment statistics against values computed by hand (no database)."""

import math

import pytest

from assignments.lab.stats import (
    VariantData,
    compare,
    experiment_report,
    sample_size_per_group,
    two_proportion_z_test,
    wilson_interval,
)


def test_wilson_interval_matches_hand_computation():
    # 10/100: centre = (0.1 + 1.96²/200) / (1 + 1.96²/100) = 0.114797; half = 1.96·√(0.0009 + 0.00009604)/1.038415
    low, high = wilson_interval(10, 100)
    assert low == pytest.approx(0.055229, abs=1e-5)
    assert high == pytest.approx(0.174366, abs=1e-5)
    assert wilson_interval(0, 0) == (0.0, 1.0)
    low, high = wilson_interval(0, 10)  # no successes: the interval still reaches 27.8 %
    assert low == 0.0 and high == pytest.approx(0.277533, abs=1e-5)


def test_two_proportion_z_test_matches_hand_computation():
    # pooled 0.175; se = √(0.175·0.825·(1/100 + 1/100)) = 0.053735; z = 0.15 / 0.053735 = 2.7914
    z, p = two_proportion_z_test(10, 100, 25, 100)
    assert z == pytest.approx(2.7914, abs=1e-4)
    assert p == pytest.approx(0.005247, abs=2e-5)
    assert two_proportion_z_test(0, 50, 0, 50) == (0.0, 1.0)
    assert two_proportion_z_test(1, 0, 1, 5) == (0.0, 1.0)


def test_sample_size_matches_hand_computation():
    # (1.959964·√(2·0.15·0.85) + 0.841621·√(0.1·0.9 + 0.2·0.8))² / 0.1² = 198.96 -> 199 per variant
    assert sample_size_per_group(0.1, 0.2) == 199
    assert sample_size_per_group(0.1, 0.1) == sample_size_per_group(0.1, 0.12) == 3841


def test_significant_difference_gives_a_confident_verdict():
    a = VariantData(name="A", leads=100, contacted=60, converted=10, speeds=(30, 200, 400, 1000))
    b = VariantData(name="B", leads=100, contacted=62, converted=25, speeds=(10, 20, 100))
    result = compare(a, b, key="converted")
    assert result["significant"] and result["more_needed"] == 0
    assert result["verdict"] == "Variant B converts better than A, 95% confident (25.0% vs 10.0%, p = 0.005)."
    reverse = compare(b, a, key="converted")
    assert reverse["verdict"].startswith("Variant A converts worse than B, 95% confident")


def test_not_enough_data_says_how_many_more_leads():
    a = VariantData(name="A", leads=20, contacted=5, converted=2)
    b = VariantData(name="B", leads=20, contacted=6, converted=4)
    result = compare(a, b, key="converted")
    z, p = two_proportion_z_test(2, 20, 4, 20)
    assert z == pytest.approx(0.8856, abs=1e-4) and p == pytest.approx(0.3758, abs=1e-4)
    assert not result["significant"]
    assert result["more_needed"] == (199 - 20) * 2
    assert result["verdict"] == "Not enough data yet: ~358 more leads needed."


def test_tiny_samples_never_get_a_confident_verdict():
    a = VariantData(name="A", leads=5, contacted=0, converted=0)
    b = VariantData(name="B", leads=5, contacted=5, converted=5)
    assert two_proportion_z_test(0, 5, 5, 5)[1] < 0.05
    result = compare(a, b, key="converted")
    assert not result["significant"] and result["verdict"].startswith("Not enough data yet")


def test_equal_rates_with_plenty_of_data_say_no_clear_difference():
    a = VariantData(name="A", leads=5000, contacted=3000, converted=500)
    b = VariantData(name="B", leads=5000, contacted=3000, converted=500)
    assert compare(a, b, key="converted")["verdict"] == (
        "No clear difference in conversion between B and A (10.0% vs 10.0%, p = 1.00).")


def test_empty_variant_needs_data():
    a = VariantData(name="A", leads=0, contacted=0, converted=0)
    b = VariantData(name="B", leads=0, contacted=0, converted=0)
    result = compare(a, b, key="converted")
    assert result["more_needed"] == 2 * 3841
    assert result["verdict"] == "Not enough data yet: ~7,682 more leads needed."


def test_report_rows_and_headline():
    a = VariantData(name="A", leads=100, contacted=60, converted=10, speeds=(30.0, 200.0, 400.0, 1000.0))
    b = VariantData(name="B", leads=100, contacted=62, converted=25, speeds=(10.0, 20.0, 100.0))
    report = experiment_report([a, b])
    row_a, row_b = report["variants"]
    assert row_a["median_speed"] == 300.0 and row_b["median_speed"] == 20.0
    assert row_a["fast"]["successes"] == 2 and row_b["fast"]["successes"] == 3
    assert row_a["converted"]["rate"] == 0.1
    assert (row_a["converted"]["low"], row_a["converted"]["high"]) == pytest.approx((0.055229, 0.174366), abs=1e-5)
    assert report["headline"] == "Variant B converts better than A, 95% confident (25.0% vs 10.0%, p = 0.005)."
    metrics = report["comparisons"][0]["metrics"]
    assert set(metrics) == {"converted", "contacted", "fast"}
    assert math.isclose(metrics["contacted"]["p"], two_proportion_z_test(60, 100, 62, 100)[1])
    assert experiment_report([a])["headline"] == "Add a second variant."
