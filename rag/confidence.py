"""How far a suite's figures can be trusted: intervals for rates, and whether a change beat chance.

A suite of 20-40 questions measures a rate coarsely: 12 right answers of 21 is 0.571, and anything from
about 0.37 to 0.75 would often give that count. ``interval`` says so (Wilson's score interval, 95%), so
a summary shows its own uncertainty. ``paired_change`` compares two runs of the same cases the way the
cases moved, not the way the averages did: how many went from fail to pass and back, and the exact
two-sided McNemar p-value for that split (a sign test on the cases that changed).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from scipy.stats import binomtest

LEVEL = 0.95


def interval(successes: int, trials: int, level: float = LEVEL) -> dict[str, Any] | None:
    """``successes`` of ``trials`` with its Wilson score interval at ``level``; None for no trials."""
    if trials <= 0:
        return None
    ci = binomtest(successes, trials).proportion_ci(confidence_level=level, method="wilson")
    return {"k": successes, "n": trials, "low": round(float(ci.low), 3), "high": round(float(ci.high), 3)}


@dataclass(frozen=True)
class PairedChange:
    """How the cases both runs share moved between them."""

    shared: int
    now_pass: tuple[str, ...]
    now_fail: tuple[str, ...]
    p_value: float  # exact two-sided McNemar: the chance of a split at least this uneven with no real change

    def describe(self) -> str:
        """One line for a person: the counts, the p-value, and what it means."""
        moved = len(self.now_pass) + len(self.now_fail)
        if not self.shared:
            return "paired with the baseline: it has no case in common with this run"
        if not moved:
            return f"paired with the baseline: none of {self.shared} shared cases changed outcome"
        verdict = "unlikely to be chance" if self.p_value < 0.05 else "within chance for this many changes"
        return (
            f"paired with the baseline: {len(self.now_pass)} case(s) now pass, {len(self.now_fail)} now fail, "
            f"of {self.shared} shared; exact McNemar p = {self.p_value:.3g} ({verdict})"
        )


def paired_change(before: dict[str, bool], after: dict[str, bool]) -> PairedChange:
    """Compare two runs' pass/fail per case id (``summary.json``'s ``case_results``) on the ids both have."""
    shared = sorted(set(before) & set(after))
    now_pass = tuple(i for i in shared if after[i] and not before[i])
    now_fail = tuple(i for i in shared if before[i] and not after[i])
    moved = len(now_pass) + len(now_fail)
    p = binomtest(len(now_pass), moved).pvalue if moved else 1.0  # two-sided: the split either way
    return PairedChange(len(shared), now_pass, now_fail, min(1.0, float(p)))
