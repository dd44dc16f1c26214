"""Intervals for a suite's rates, and the paired comparison of two runs of the same cases."""

from __future__ import annotations

import math

import pytest

from rag.confidence import interval, paired_change


def wilson(k: int, n: int, z: float = 1.959964) -> tuple[float, float]:
    """Wilson's score interval written out, to check the library call against."""
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return centre - half, centre + half


@pytest.mark.parametrize(("k", "n"), [(12, 21), (7, 7), (0, 20), (33, 40), (1, 2)])
def test_a_rate_gets_the_wilson_interval_of_its_count(k, n):
    band = interval(k, n)
    low, high = wilson(k, n)
    assert band == {"k": k, "n": n, "low": round(low, 3), "high": round(high, 3)}
    assert band["low"] <= k / n <= band["high"]


def test_the_interval_narrows_with_more_cases_and_is_absent_without_any():
    small, large = interval(6, 10), interval(60, 100)
    assert large["high"] - large["low"] < small["high"] - small["low"]
    assert interval(0, 0) is None


def test_paired_change_counts_the_cases_that_moved_and_tests_the_split():
    before = {"a": False, "b": False, "c": False, "d": True, "e": True, "gone": True}
    after = {"a": True, "b": True, "c": True, "d": True, "e": True, "new": False}
    change = paired_change(before, after)
    assert change.shared == 5  # "gone" and "new" are in one run only
    assert change.now_pass == ("a", "b", "c") and change.now_fail == ()
    assert change.p_value == pytest.approx(0.25)  # 3 of 3 one way: 2 × 0.5³
    assert "3 case(s) now pass, 0 now fail, of 5 shared; exact McNemar p = 0.25" in change.describe()
    assert "within chance" in change.describe()


def test_a_lopsided_split_is_unlikely_to_be_chance_and_an_even_one_is_not():
    before = {str(i): i >= 7 for i in range(10)}
    assert paired_change(before, {str(i): True for i in range(10)}).p_value == pytest.approx(2 * 0.5**7)
    assert "unlikely to be chance" in paired_change(before, {str(i): True for i in range(10)}).describe()
    even = paired_change({"a": True, "b": False}, {"a": False, "b": True})
    assert even.now_pass == ("b",) and even.now_fail == ("a",) and even.p_value == 1.0
    assert "no case in common" in paired_change({"a": True}, {"b": True}).describe()
    assert "p = 0.0156 (unlikely" in paired_change(before, {str(i): True for i in range(10)}).describe()
    unchanged = paired_change({"a": True}, {"a": True})
    assert unchanged.p_value == 1.0 and "none of 1 shared cases changed" in unchanged.describe()
