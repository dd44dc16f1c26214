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

# "How many more ...", "by how much did it grow", "how many points higher": an absolute difference. The
# verb of change must be the question's own, not a clause's ("How many users did it have when its share rose?").
DIFFERENCE = re.compile(
    r"\bhow (?:many|much) (?:(?:percentage )?points? )?(?:more|fewer|less|higher|lower|larger|bigger|smaller)\b|"
    r"\bby how (?:many|much)\b|\b(?:what(?:'s| is| was)|how (?:big|large) (?:is|was)) the (?:difference|gap)\b|"
    r"\bhow (?:many|much)\b(?:(?!\b(?:when|while|after|before|as|since|if|once|until)\b)[^?])*?"
    r"\b(?:increased?|decreased?|grow|grew|gain(?:ed)?|rise|rose|climb(?:ed)?|fall|fell|drop(?:ped)?|declined?|"
    r"jump(?:ed)?|go(?:ne)? (?:up|down)|went (?:up|down))\b",
    re.IGNORECASE,
)
# Other arithmetic a question may ask for: a total, a ratio, a relative change, a difference named as such.
OTHER_COMPUTATION = re.compile(
    r"\bdifference\b|\bcombined\b|\bin total\b|\baltogether\b|\bpercentage points?\b|"
    r"\btimes (?:more|as|larger|bigger)\b|\bratio\b",
    re.IGNORECASE,
)
MAX_FIGURES = 12  # a passage with more figures than this is too ambiguous to derive from


def asks_for_computation(question: str) -> bool:
    """Whether ``question`` asks for a figure computed from others (a change, total or ratio)."""
    return bool(DIFFERENCE.search(question) or OTHER_COMPUTATION.search(question))


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
