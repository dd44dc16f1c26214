"""Computing the change a question asks for, when the answer leaves the arithmetic to the reader.

"By how many monthly active users did Gemini grow between March and October?" is answered by a sentence
that gives both levels ("350 million ..., but by October, this number had jumped to 650 million"). A small
model often gets the subtraction wrong (verification withdraws it: ``rag.derive`` recomputes every derived
figure) or quotes the sentence and stops there. Where the question asks for a difference and a sentence
gives exactly two levels of one measure, one going to the other ("from 22% to 31%", "... jumped to 650
million"), the difference is computed here and added as a sentence of its own that cites that sentence,
with its arithmetic in view: "The difference is 300 million (650 million − 350 million)." So is the gap
between two changes a sentence gives alike in two clauses ("time spent has decreased by 22.5%, and the
number of conversations has also decreased by 20.7%"), when the question names both measures.

A figure the sentence gives as a change ("decreased by 22.5%") is no level, and a sentence with a third
figure in the same unit, or its levels in two units, is left alone. The sentences tried are the ones the
answer cites for the part of the question that asks for the difference, which were checked to answer it.
When every claim was withdrawn, they are the retrieved sentences that take up the question, and the
computed sentence must pass what a quote passes (``rag.quote``): verification's lexical checks (the
question's subject and periods in the cited sentence, so a level pair about another company or period
does not answer) and then the model's check that the sentence answers the question.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from decimal import Decimal

from rag.ground import Evidence, Grounded, cited_text
from rag.judge import AnswerCheck
from rag.parts import asked_part, on_its_own, question_parts
from rag.quote import MIN_SHARED, merged
from rag.text import CLAUSES, WORD, content_words, figures
from rag.types import Chunk, Citation, Passage, Sentence, Status
from rag.verify import Check, verify

# "How many more ...", "by how much did it grow", "how many percentage points": an absolute difference.
DIFFERENCE = re.compile(
    r"\bhow (?:many|much) (?:more|fewer|less|higher|lower|larger|bigger|smaller)\b|\bby how (?:many|much)\b|"
    r"\bhow many percentage points\b|\bdifference\b|"
    r"\bhow (?:many|much)\b[^?]*\b(?:increased?|decreased?|grow|grew|gained?|rise|rose|climbed?|fall|fell|dropped?|"
    r"declined?|jumped?)\b",
    re.IGNORECASE,
)
# A ratio or a relative change is another computation ("by what percentage", "how many times").
RELATIVE = re.compile(
    r"\bwhat percent|\bhow many times\b|\bratio\b|\bpercent(?:age)? (?:change|increase|decrease)\b", re.IGNORECASE
)
LEVEL = re.compile(
    r"(?<![\w.,-])(?P<cur>[$€£])?(?P<num>\d+(?:,\d{3})*(?:\.\d+)?)"
    r"(?:\s*(?P<unit>%|percent\b|(?:thousand|million|billion|trillion)\b))?"
)
BEFORE_LATER = re.compile(r"\bto\s*$")  # "... to 31%": the level reached
BEFORE_EARLIER = re.compile(r"\bfrom\s*$")  # "from 22% ..."
CHANGE_VERB = re.compile(
    r"\b(?:rose|rising|risen|grew|growing|grown|jumped|increased|increasing|climbed|climbing|surged|soared|"
    r"fell|falling|fallen|dropped|dropping|declined|declining|decreased|decreasing|shrank|went (?:up|down))\b",
    re.IGNORECASE,
)
COMPUTED = "computed from the cited sentence"


@dataclass(frozen=True)
class Level:
    """A figure as a sentence writes it, with its unit ("31%", "650 million", "$20 billion")."""

    text: str
    value: Decimal
    unit: str
    currency: str
    start: int
    end: int

    @classmethod
    def of(cls, match: re.Match[str]) -> Level:
        unit = {"percent": "%"}.get((match.group("unit") or "").lower(), (match.group("unit") or "").lower())
        value = Decimal(match.group("num").replace(",", ""))
        return cls(match.group(0).strip(), value, unit, match.group("cur") or "", match.start(), match.end())

    @property
    def is_year(self) -> bool:
        bare = not (self.unit or self.currency)
        return bare and self.value == self.value.to_integral() and 1900 <= self.value <= 2100


def asks_difference(question: str) -> bool:
    """Whether ``question`` asks by how much one figure differs from another."""
    return bool(DIFFERENCE.search(question)) and not RELATIVE.search(question)


def level_pair(sentence: str) -> tuple[Level, Level] | None:
    """The two levels of one measure ``sentence`` gives, the earlier first ("from 22% to 31%"; "350
    million ..., by October ... jumped to 650 million"), or None: the later must follow "to", the earlier
    "from" or precede a verb of change, and no other figure of their unit may stand in the sentence."""
    levels = [lv for lv in map(Level.of, LEVEL.finditer(sentence)) if not lv.is_year]
    for later in levels:
        if not BEFORE_LATER.search(sentence[: later.start]):
            continue
        same = [lv for lv in levels if (lv.unit, lv.currency) == (later.unit, later.currency)]
        earlier = same[0]
        if len(same) != 2 or earlier is later:
            return None
        between = sentence[earlier.end : later.start]
        if BEFORE_EARLIER.search(sentence[: earlier.start]) or CHANGE_VERB.search(between):
            return earlier, later
    return None


def change_pair(sentence: str, question: str) -> tuple[Level, Level] | None:
    """The two changes ``sentence`` gives in clauses of their own, alike but for their measures ("time
    spent has decreased by 22.5%, and the number of conversations has also decreased by 20.7%"), when
    ``question`` names each clause's own measure (a word of each that the other lacks), or None: each
    clause has one figure, in the same unit as the other's, and nothing else has a figure."""
    clauses = [c for c in CLAUSES.split(sentence) if LEVEL.search(c)]
    if len(clauses) != 2:
        return None
    found = [[lv for lv in map(Level.of, LEVEL.finditer(c)) if not lv.is_year] for c in clauses]
    if any(len(levels) != 1 for levels in found):
        return None
    first, second = found[0][0], found[1][0]
    if (first.unit, first.currency) != (second.unit, second.currency):
        return None
    ours, theirs = (content_words(" ".join(w for w in WORD.findall(c) if w.islower())) for c in clauses)
    asked = content_words(question)
    if not ours & theirs or not asked & (ours - theirs) or not asked & (theirs - ours):
        return None  # not the same said of two measures, or the question does not name both
    return first, second


def _written(value: Decimal, like: tuple[Level, Level]) -> str:
    """``value`` written with as many decimals as its figures and their thousands separators."""
    places = max(-lv.value.as_tuple().exponent for lv in like)  # type: ignore[operator]
    commas = any("," in lv.text for lv in like)
    return f"{value:,.{places}f}" if commas else f"{value:.{places}f}"


def difference_claim(pair: tuple[Level, Level]) -> str:
    """The sentence that states the difference of ``pair``, its arithmetic in view."""
    high, low = sorted(pair, key=lambda lv: lv.value, reverse=True)
    amount = _written(high.value - low.value, pair)
    unit = {"%": " percentage points", "": ""}.get(high.unit, f" {high.unit}")
    return f"The difference is {high.currency}{amount}{unit} ({high.text} − {low.text})."


def calculate(
    question: str,
    grounded: Grounded,
    passages: Sequence[Passage],
    evidence: Evidence,
    answers: AnswerCheck | None = None,
) -> tuple[Grounded, list[Check]]:
    """``grounded`` with the difference its question asks for added as a cited sentence, where the answer
    does not already state it and a sentence gives the two levels (see the module's docstring), and the
    verdicts. The sentence computed from must pass verification's lexical checks as the claim's citation:
    one the answer cites (for the part asking for the difference, or any when no sentence takes that part
    up) was checked to answer already; a retrieved one, when nothing was answered, must also pass
    ``answers`` (the quote check)."""
    parts = question_parts(question)
    part = next((p for p in parts if asks_difference(p)), None)
    if part is None or grounded.status not in (Status.ANSWERED, Status.UNSUPPORTED):
        return grounded, []
    given = [s for s in grounded.sentences if s.citations]
    asked = question if len(parts) == 1 else on_its_own(question, part, [s.text for s in given], guess=False)
    if grounded.status is Status.ANSWERED:
        about = [s for s in given if len(parts) == 1 or asked_part(question, s.text) in (part, "")] or given
        for chunk in dict.fromkeys(grounded.chunk(n) for s in about for n in s.citations):
            claim = _checked_claim(asked, chunk, evidence)
            if claim is None:
                continue
            if any(figures(claim) & figures(s.text) - figures(chunk.text) for s in given):
                return grounded, []  # the answer gives it already
            own = Sentence(claim, (grounded.chunks.index(chunk) + 1,))
            return replace(grounded, sentences=(*grounded.sentences, own)), [Check(own, True, COMPUTED)]
        return grounded, []
    if answers is None:
        return grounded, []
    for chunk in _retrieved(asked, passages):
        if (claim := _checked_claim(asked, chunk, evidence)) is None:
            continue
        sentence = Sentence(claim, (1,))
        single = Grounded(Status.ANSWERED, (sentence,), (Citation.of(1, chunk, 1.0),), (), (chunk,))
        verdict = answers(cited_text(chunk, evidence), asked)
        if not verdict.holds:
            return grounded, [
                Check(sentence, False, f"not computed: the model found it does not answer ({verdict.describe()})")
            ]
        return merged(grounded, single), [Check(sentence, True, f"{COMPUTED} ({verdict.describe()})")]
    return grounded, []


def _checked_claim(question: str, chunk: Chunk, evidence: Evidence) -> str | None:
    """The difference ``chunk`` gives for ``question``, when it passes verification's lexical checks
    citing ``chunk`` (the question's subject and periods there), or None."""
    if (pair := level_pair(chunk.text) or change_pair(chunk.text, question)) is None:
        return None
    claim = difference_claim(pair)
    single = Grounded(Status.ANSWERED, (Sentence(claim, (1,)),), (Citation.of(1, chunk, 1.0),), (), (chunk,))
    return claim if verify(question, single, evidence)[0].status is Status.ANSWERED else None


def _retrieved(question: str, passages: Sequence[Passage]) -> list[Chunk]:
    """The retrieved sentences that share ``MIN_SHARED`` content words with ``question``, the most first."""
    asked = content_words(question)
    chunks = list({c.id: c for p in passages for c in p.chunks}.values())
    shared = {c.id: len(asked & content_words(c.text)) for c in chunks}
    return sorted((c for c in chunks if shared[c.id] >= MIN_SHARED), key=lambda c: -shared[c.id])
