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

from rag.asks import name_words
from rag.derive import DIFFERENCE, FALL_VERBS, GROWTH_VERBS, RELATIVE
from rag.ground import Evidence, Grounded, cited_text
from rag.judge import AnswerCheck
from rag.parts import asked_part, on_its_own, question_parts
from rag.quote import MIN_SHARED, merged
from rag.text import CLAUSES, NUMBER, STOPWORDS, WORD, content_words, names
from rag.types import Chunk, Citation, Passage, Sentence, Status
from rag.verify import Check, verify

# A figure with its unit or currency: a bare number may count seconds, days or staff, which the words
# after it tell apart only sometimes. "$3.7bn" and "350M" are not read (their unit is not one of these).
LEVEL = re.compile(
    r"(?<![\w.,-])(?P<cur>[$€£])?(?P<num>\d+(?:,\d{3})*(?:\.\d+)?)(?!\w|[.,]\d)"
    r"(?:\s*(?P<unit>%|percent\b|(?:thousand|million|billion|trillion)\b))?"
)
NEXT_WORD = re.compile(r"\s*([A-Za-z]+)")
BEFORE_LATER = re.compile(r"\bto\s*$")  # "... to 31%": the level reached
BEFORE_EARLIER = re.compile(r"\bfrom\s*$")  # "from 22% ..."
BEFORE_CHANGE = re.compile(r"\bby\s*$")  # "decreased by 22.5%": a change, not a level
# A figure just after one of these is a change, not a level ("added 300 million", "up 5%").
CHANGED = re.compile(
    r"\b(?:by|added|adding|gained|gaining|lost|losing|up|down|plus|minus|another|more|fewer|less)\s+(?:[a-z]+\s+)?$",
    re.IGNORECASE,
)
POSSESSIVE = re.compile(r"\w['’]s\b")  # "its rival's count jumped to ...": another owner's figure
# Which way a question asks a figure to have gone ("by how much did it grow?" is not answered by a fall).
UP = re.compile(rf"\b(?:{GROWTH_VERBS}|up|more|higher|larger)\b", re.IGNORECASE)
DOWN = re.compile(rf"\b(?:{FALL_VERBS}|down|less|fewer|lower|smaller)\b", re.IGNORECASE)
# A verb that takes one level to the other between them ("350 million ..., but by October, this number had
# jumped to 650 million"): past forms and participles, not a noun ("an increase in tariffs could add up to
# $2 billion") nor "lost" ("had $10 billion ... and lost a lawsuit that could cost it up to $2 billion").
CHANGE_VERB = re.compile(
    r"\b(?:rose|rising|risen|grew|growing|grown|jumped|increased|increasing|climbed|climbing|surged|soared|"
    r"fell|falling|fallen|dropped|dropping|declined|declining|decreased|decreasing|shr[au]nk|shrinking|"
    r"went (?:up|down))\b",
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
    noun: str  # the content word just after it ("weekly" in "1.5 million weekly users"), or ""

    @classmethod
    def of(cls, match: re.Match[str], sentence: str) -> Level:
        unit = (match.group("unit") or "").lower().replace("percent", "%")
        value = Decimal(match.group("num").replace(",", ""))
        after = NEXT_WORD.match(sentence, match.end())
        noun = after.group(1).lower() if after and after.group(1).lower() not in STOPWORDS else ""
        return cls(match.group(0).strip(), value, unit, match.group("cur") or "", match.start(), match.end(), noun)

    def alike(self, other: Level) -> bool:
        """Whether ``other`` is a figure of the same kind: unit, currency, and the word after it where both
        have one ("1.5 million weekly" is not "10 million monthly")."""
        same_noun = not (self.noun and other.noun) or self.noun == other.noun
        return (self.unit, self.currency) == (other.unit, other.currency) and same_noun


def levels(sentence: str) -> list[Level]:
    """The figures of ``sentence`` that have a unit or a currency."""
    found = [Level.of(m, sentence) for m in LEVEL.finditer(sentence)]
    return [lv for lv in found if lv.unit or lv.currency]


def asks_difference(question: str) -> bool:
    """Whether ``question`` asks by how much one figure differs from another."""
    return bool(DIFFERENCE.search(question)) and not RELATIVE.search(question)


def level_pair(sentence: str) -> tuple[Level, Level] | None:
    """The two levels of one measure ``sentence`` gives, the earlier first ("from 22% to 31%"; "350
    million ..., by October ... jumped to 650 million"), or None: the later must follow "to", the earlier
    "from" or precede a verb of change, no other figure of their unit may stand in the sentence, and no
    name between them ("ChatGPT had a 70% share, and Gemini's grew to 20%" gives two companies' levels)."""
    found = levels(sentence)
    for later in found:
        if not BEFORE_LATER.search(sentence[: later.start]):
            continue
        same = [lv for lv in found if lv.unit == later.unit and lv.currency == later.currency]
        earlier = same[0]
        if len(same) != 2 or earlier is later or not earlier.alike(later):
            return None
        between = sentence[earlier.end : later.start]
        before = sentence[: earlier.start]
        changed = CHANGED.search(before) and not BEFORE_EARLIER.search(before)  # "added 300 million", not "up from"
        if names(between) or POSSESSIVE.search(between) or changed:
            return None
        if BEFORE_EARLIER.search(sentence[: earlier.start]) or CHANGE_VERB.search(between):
            return earlier, later
    return None


def change_pair(sentence: str, question: str) -> tuple[Level, Level] | None:
    """The two changes ``sentence`` gives in clauses of their own, alike but for their measures ("time
    spent has decreased by 22.5%, and the number of conversations has also decreased by 20.7%"), when
    ``question`` names each clause's own measure (a word of each that the other lacks), or None: each
    clause has one figure, of the same kind as the other's (``Level.alike``), both change the same way
    ("decreased" twice, not "decreased" and "increased"), and they do not name two subjects."""
    clauses = [c for c in CLAUSES.split(sentence) if levels(c)]
    if len(clauses) != 2:
        return None
    found = [levels(c) for c in clauses]
    if any(len(given) != 1 for given in found) or not found[0][0].alike(found[1][0]):
        return None
    first, second = found[0][0], found[1][0]
    if not all(BEFORE_CHANGE.search(c[: lv.start]) for c, lv in zip(clauses, (first, second), strict=True)):
        return None  # "rose to 31%" is a level, "rose by 5%" a change
    verbs = [{v.lower() for v in CHANGE_VERB.findall(c)} for c in clauses]
    named = [name_words(c) for c in clauses]
    if not verbs[0] & verbs[1] or (named[0] and named[1] and named[0] != named[1]):
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


def difference(pair: tuple[Level, Level]) -> Decimal:
    """How far apart the two figures of ``pair`` are."""
    return abs(pair[1].value - pair[0].value)


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
    one the answer cites for the part asking for the difference was checked to answer it already (and
    must be the only one with a difference to give); a retrieved one, when nothing was answered, must also
    pass ``answers`` (the quote check)."""
    parts = question_parts(question)
    part = next((p for p in parts if asks_difference(p)), None)
    if part is None or grounded.status not in (Status.ANSWERED, Status.UNSUPPORTED):
        return grounded, []
    given = [s for s in grounded.sentences if s.citations]
    asked = question if len(parts) == 1 else on_its_own(question, part, [s.text for s in given], guess=False)
    if grounded.status is Status.ANSWERED:
        about = [s for s in given if len(parts) == 1 or asked_part(question, s.text) in (part, "")]
        cited = dict.fromkeys(grounded.chunk(n) for s in about for n in s.citations)
        found = {chunk: pair for chunk in cited if (pair := _checked_pair(asked, chunk, evidence))}
        if len(found) != 1:
            return grounded, []  # nothing to compute from, or two differences to choose between
        [(chunk, pair)] = found.items()
        if any(difference(pair) in _numbers(s.text) for s in given):
            return grounded, []  # the answer gives it already (or gives a figure it could be taken for)
        own = Sentence(difference_claim(pair), (grounded.chunks.index(chunk) + 1,))
        return replace(grounded, sentences=(*grounded.sentences, own)), [Check(own, True, COMPUTED)]
    if answers is None:
        return grounded, []
    for chunk in _retrieved(asked, passages):
        if (pair := _checked_pair(asked, chunk, evidence)) is None:
            continue
        sentence = Sentence(difference_claim(pair), (1,))
        single = Grounded(Status.ANSWERED, (sentence,), (Citation.of(1, chunk, 1.0),), (), (chunk,))
        verdict = answers(cited_text(chunk, evidence), asked)
        if not verdict.holds:
            return grounded, [
                Check(sentence, False, f"not computed: the model found it does not answer ({verdict.describe()})")
            ]
        return merged(grounded, single), [Check(sentence, True, f"{COMPUTED} ({verdict.describe()})")]
    return grounded, []


def _checked_pair(question: str, chunk: Chunk, evidence: Evidence) -> tuple[Level, Level] | None:
    """The two figures ``chunk`` gives for the difference ``question`` asks, when the claim stating it
    passes verification's lexical checks citing ``chunk`` (the question's subject and periods there), or
    None. Two levels must have gone the way the question asks, if it says ("did it grow?")."""
    if (pair := level_pair(chunk.text)) is not None:
        went = pair[1].value - pair[0].value
        if (went < 0 and UP.search(question) and not DOWN.search(question)) or (
            went > 0 and DOWN.search(question) and not UP.search(question)
        ):
            return None
    elif (pair := change_pair(chunk.text, question)) is None:
        return None
    claim = Sentence(difference_claim(pair), (1,))
    single = Grounded(Status.ANSWERED, (claim,), (Citation.of(1, chunk, 1.0),), (), (chunk,))
    return pair if verify(question, single, evidence)[0].status is Status.ANSWERED else None


def _numbers(text: str) -> set[Decimal]:
    """The figures written in ``text``, as numbers ("9.50" and "9.5" alike)."""
    return {Decimal(n.replace(",", "")) for n in NUMBER.findall(text)}


def _retrieved(question: str, passages: Sequence[Passage]) -> list[Chunk]:
    """The retrieved sentences (bullets and table rows too: they give levels as well) that share
    ``MIN_SHARED`` content words with ``question``, the most first."""
    asked = content_words(question)
    chunks = list({c.id: c for p in passages for c in p.chunks}.values())
    shared = {c.id: len(asked & content_words(c.text)) for c in chunks}
    return sorted((c for c in chunks if shared[c.id] >= MIN_SHARED), key=lambda c: -shared[c.id])
