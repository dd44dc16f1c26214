"""Derived figures: a claim may state a sum, difference, ratio or percentage of figures its passage
gives ("how many more ..." → 650 − 350 = 300) when the question asks for such a computation. The
result is recomputed here, never taken on trust: it passes only if it matches, to the precision
the claim wrote it with.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Iterator
from itertools import permutations

from rag.text import NUMBER

# Verbs of change in any of their forms ("grow", "grown", "growing", "growth"; "rise", "risen", "rising").
RISE = r"grow(?:s|n|ing|th)?|grew|ris(?:e|es|en|ing)|rose|increas(?:e|es|ed|ing)|jump(?:s|ed|ing)?"
FALL = r"fall(?:s|en|ing)?|fell|drop(?:s|ped|ping)?|decreas(?:e|es|ed|ing)"
GROWTH_VERBS = rf"{RISE}|gain(?:s|ed|ing)?|climb(?:s|ed|ing)?|go(?:es|ne)? up|went up"
FALL_VERBS = rf"{FALL}|declin(?:e|es|ed|ing)|shr[iau]nk(?:s|ing)?|los(?:e|es|t|ing)|go(?:es|ne)? down|went down"


def difference_asked(verbs: str) -> re.Pattern[str]:
    """"How many more ...", "by how much did it grow", "how many points higher": a question asking for an
    absolute difference, by the verbs of change ``verbs``. The verb must be the question's own, not a
    clause's ("How many users did it have when its share rose?")."""
    return re.compile(
        r"\bhow (?:many|much) (?:(?:percentage )?points? )?(?:more|fewer|less|higher|lower|larger|bigger|smaller)\b|"
        r"\bby how (?:many|much)\b|\b(?:what(?:'s| is| was)|how (?:big|large) (?:is|was)) the (?:difference|gap)\b|"
        r"\bhow (?:many|much)\b(?:(?!\b(?:when|while|after|before|as|since|if|once|until)\b)[^?])*?"
        rf"\b(?:{verbs})\b",
        re.IGNORECASE,
    )


DIFFERENCE = difference_asked(f"{GROWTH_VERBS}|{FALL_VERBS}")  # what ``rag.calculate`` computes
# A ratio or a relative change ("by what percentage", "how many times", "-fold").
RELATIVE = re.compile(
    r"\bwhat percent|\bhow many percent\b|\bhow many times\b|-?\bfold\b|\bratio\b|\bas a percent|"
    r"\b(?:relative|percent|percentage) (?:terms|change|increase|decrease|growth)\b",
    re.IGNORECASE,
)
# Other arithmetic a question may ask for: a total, or a difference named as such.
TOTAL = re.compile(
    r"\bdifference\b|\bcombined\b|\bin total\b|\baltogether\b|\bpercentage points?\b|"
    r"\btimes (?:more|as|larger|bigger)\b",
    re.IGNORECASE,
)
# The changes after which a claim may give a figure no sentence writes ("How much did it grow?" answered
# from two levels). Not "gain", "lose" and the like: "How many subscribers did it gain in May?" asks for a
# figure written as such, and any sum of two figures in the sentence would pass for it.
DERIVED_DIFFERENCE = difference_asked(f"{RISE}|{FALL}")
MAX_FIGURES = 12  # a passage with more figures than this is too ambiguous to derive from


def asks_for_computation(question: str) -> bool:
    """Whether ``question`` asks for a figure computed from others (a change, total or ratio)."""
    return any(pattern.search(question) for pattern in (DERIVED_DIFFERENCE, RELATIVE, TOTAL))


def numeric(text: str) -> list[float]:
    """The figures written in ``text`` as numbers ("1,400" → 1400.0, "22.5%" → 22.5)."""
    return [float(n.replace(",", "").rstrip(".")) for n in NUMBER.findall(text)]


def _decimals(figure: str) -> int:
    return len(figure.split(".")[1]) if "." in figure else 0


def _results(values: list[float]) -> Iterator[float]:
    for a, b in permutations(values, 2):
        yield a + b
        yield a - b
        if b:
            yield a / b
            yield 100 * a / b
            yield 100 * (a - b) / b


def derivable(figure: str, sources: Iterable[float]) -> bool:
    """Whether ``figure`` (as written, e.g. "300" or "85.7") is a sum, difference, ratio, percentage
    or percentage change of two of ``sources``, rounded to the figure's own precision."""
    values = sorted(set(sources))
    if not 2 <= len(values) <= MAX_FIGURES:
        return False
    target = float(figure.replace(",", ""))
    tolerance = 0.5 * 10 ** -_decimals(figure) + 1e-9
    return any(math.isclose(r, target, abs_tol=tolerance) for r in _results(values))
