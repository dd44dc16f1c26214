"""Grounding: align each answer sentence to the source sentence that supports it.

Markers the model wrote are checked against the passages: a wrong marker is re-pointed to the
passage that does support the sentence, a missing one is added, a sentence whose names or numbers
appear in no passage is dropped, and an answer left with no supported claim becomes a refusal.
A claim's numbers must occur in the passage it cites, and its names in that passage's paragraph,
so a figure the document gives for something else cannot pass.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import Stemmer

from ingest.chunking import Chunk
from rag.answer import Citation
from rag.retrieve import Passage

EmbedFn = Callable[[list[str]], np.ndarray]

MARKER = re.compile(r"\s*\[(\d+(?:\s*[,;]\s*\d+)*)\]")
NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
WORD = re.compile(r"[A-Za-z][A-Za-z0-9'’-]*|\d+(?:[.,]\d+)*")
# Never before a "[n]" marker; a closing quote or bracket stays with its sentence.
SENTENCE_END = re.compile(r"(?:(?<=[.!?])|(?<=[.!?][\"”’)]))\s+(?=[\"“(]?[A-Z0-9])")
TRAILING_MARKERS = re.compile(r"([.!?])((?:\s*\[\d+(?:\s*[,;]\s*\d+)*\])+)")
TOKEN = re.compile(r"[A-Za-z][A-Za-z0-9'’-]*|\d+(?:[.,]\d+)*|[^\w\s]")
CLAUSE = re.compile(r",\s+(?:while|whereas|and|but)\s+|;\s+|\s+while\s+")
MONTHS = frozenset(
    [
        "january",
        "february",
        "march",
        "april",
        "may",
        "june",
        "july",
        "august",
        "september",
        "october",
        "november",
        "december",
    ]
)
QUANTITY_QUESTION = re.compile(r"\b(how (much|many|large|big|long)|what (percentage|share|number|amount))\b", re.I)
REFUSAL_PATTERNS = re.compile(
    r"(do(?:es)? not|don't|doesn't|did not|didn't)\s+(say|mention|provide|contain|specify|state|include|"
    r"give|answer|discuss|cover)|\bnot (mentioned|provided|specified|stated|given|included)\b|"
    r"\bno (information|mention|details?|data)\b|\bcannot (find|answer|determine)\b|\bunable to\b|"
    r"\bis not (available|known)\b",
    re.IGNORECASE,
)
STOPWORDS = frozenset(
    [
        "a",
        "an",
        "the",
        "and",
        "or",
        "but",
        "of",
        "to",
        "in",
        "on",
        "at",
        "by",
        "for",
        "with",
        "from",
        "as",
        "is",
        "are",
        "was",
        "were",
        "be",
        "been",
        "being",
        "it",
        "its",
        "this",
        "that",
        "these",
        "those",
        "he",
        "she",
        "they",
        "them",
        "his",
        "her",
        "their",
        "there",
        "then",
        "than",
        "which",
        "who",
        "whom",
        "whose",
        "what",
        "when",
        "where",
        "why",
        "how",
        "has",
        "have",
        "had",
        "do",
        "does",
        "did",
        "not",
        "no",
        "yes",
        "so",
        "such",
        "also",
        "about",
        "into",
        "over",
        "after",
        "before",
        "since",
        "until",
        "while",
        "during",
        "per",
        "can",
        "could",
        "will",
        "would",
        "should",
        "may",
        "might",
        "must",
        "i",
        "you",
        "we",
        "our",
        "your",
        "my",
        "me",
        "us",
        "according",
    ]
)
SENTENCE_OPENERS = frozenset(
    [
        "however",
        "although",
        "though",
        "both",
        "either",
        "neither",
        "after",
        "before",
        "during",
        "since",
        "unlike",
        "like",
        "while",
        "despite",
        "yes",
        "currently",
        "today",
        "now",
        "here",
        "overall",
        "instead",
        "meanwhile",
        "first",
        "second",
        "finally",
        "also",
        "another",
        "one",
        "some",
        "many",
        "most",
        "all",
        "any",
        "each",
        "every",
    ]
)
# Words an answer uses to talk about the sources rather than to state a fact (stemmed).
META_WORDS = frozenset({"document", "passag", "sourc", "answer", "question", "contain", "articl", "text"})
MIN_SIMILARITY = 0.55
MIN_OVERLAP = 0.5
CHOICE_MARGIN = 0.1


@lru_cache(maxsize=1)
def _stem() -> Callable[[str], str]:
    return Stemmer.Stemmer("english").stemWord


def content_words(text: str) -> set[str]:
    """Stemmed words that carry meaning (no stopwords; single digits count: "6%" is a claim)."""
    stem = _stem()
    return {
        stem(w.lower().strip("'’"))
        for w in WORD.findall(text)
        if w.lower() not in STOPWORDS and (len(w) > 1 or w.isdigit())
    }


def numbers(text: str) -> set[str]:
    """Figures and month names: the specific facts a claim must share with its source."""
    figures = {n.replace(",", "").rstrip(".") for n in NUMBER.findall(text)}
    months = {w.lower() for w in WORD.findall(text) if w.lower() in MONTHS and w[0].isupper()}
    return figures | months


def names(sentence: str) -> list[tuple[str, ...]]:
    """Runs of capitalised words (proper names, products), lower-cased; a sentence's first word
    counts only if it is not a common sentence opener."""
    found: list[tuple[str, ...]] = []
    run: list[str] = []
    for i, w in enumerate(TOKEN.findall(sentence)):
        w = re.sub(r"['’]s$", "", w)
        low = w.lower()
        is_name = w[:1].isupper() and low not in STOPWORDS and low not in MONTHS
        if i == 0 and (low in SENTENCE_OPENERS or low.endswith("ly")):
            is_name = False
        if is_name:
            run.append(low)
        elif run:
            found.append(tuple(run))
            run = []
    if run:
        found.append(tuple(run))
    return found


def names_supported(claim_names: list[tuple[str, ...]], text: str) -> bool:
    """Every name is a word of ``text``; a multi-word name needs one of its words ("Sam Altman" →
    "Altman"). Whole words only: a truncated "Tur" is not "Turley"."""
    low = text.lower()
    words = set(re.findall(r"[a-z0-9][a-z0-9'’.-]*[a-z0-9]|[a-z0-9]", low))
    words |= set(re.findall(r"[a-z0-9][a-z0-9'’-]*", low))
    words |= {re.sub(r"['’]s$", "", w) for w in words} | set(re.findall(r"[a-z]+", low))
    return all(any(part in words for part in name) for name in claim_names)


def split_sentences(text: str) -> list[str]:
    """Answer text into sentences; a marker written after the full stop stays with its sentence."""
    text = TRAILING_MARKERS.sub(r"\2\1", text.strip())
    return [s.strip() for s in SENTENCE_END.split(text) if s.strip()]


def is_refusal(text: str) -> bool:
    return bool(REFUSAL_PATTERNS.search(text))


def parse_markers(sentence: str) -> tuple[str, list[int]]:
    """Return the sentence without ``[n]`` markers, and the marker numbers in order."""
    found: list[int] = []
    for m in MARKER.finditer(sentence):
        found.extend(int(x) for x in re.split(r"\s*[,;]\s*", m.group(1)) if len(x) <= 9)  # no 5000-digit ints
    return MARKER.sub("", sentence).strip(), found


@dataclass(frozen=True)
class Support:
    passage: Passage
    chunk: Chunk
    score: float
    ok: bool


@dataclass(frozen=True)
class Grounded:
    text: str
    citations: list[Citation]
    refused: bool
    dropped: list[str]


def _support(
    claim: str,
    claim_vec: np.ndarray,
    passage: Passage,
    chunk_vecs: dict[str, np.ndarray],
    paragraph: Callable[[Chunk], str],
) -> Support:
    words = content_words(claim)
    nums = numbers(claim)
    claim_names = names(claim)
    passage_nums = numbers(passage.text)
    para_text = " ".join({paragraph(c) for c in passage.chunks}).lower()
    best_chunk, best_score, best_sim = passage.chunks[0], -1.0, -1.0
    for chunk in passage.chunks:
        sim = float(claim_vec @ chunk_vecs[chunk.id])
        overlap = len(words & content_words(chunk.text)) / max(1, len(words))
        bonus = 0.2 * len(nums & numbers(chunk.text)) / max(1, len(nums))
        score = 0.5 * sim + 0.5 * overlap + bonus
        if score > best_score:
            best_chunk, best_score, best_sim = chunk, score, sim
    overlap_all = len(words & content_words(passage.text)) / max(1, len(words))
    ok = (
        nums <= passage_nums
        and names_supported(claim_names, para_text)
        and (best_sim >= MIN_SIMILARITY or overlap_all >= MIN_OVERLAP)
    )
    return Support(passage, best_chunk, best_score, ok)


def _choose(
    claim: str,
    markers: list[int],
    vec: np.ndarray,
    passages: Sequence[Passage],
    chunk_vecs: dict[str, np.ndarray],
    paragraph: Callable[[Chunk], str],
) -> list[Support]:
    """The passages that support ``claim``: the model's own markers when they are (nearly) as good
    as the best supporting passage, else the best one; none when nothing supports it."""
    supports = sorted((_support(claim, vec, p, chunk_vecs, paragraph) for p in passages), key=lambda s: -s.score)
    ok = [s for s in supports if s.ok]
    if not ok:
        return []
    cited = [s for s in ok if s.passage.n in markers and s.score >= ok[0].score - CHOICE_MARGIN]
    return cited[:2] or ok[:1]


def ground(
    answer: str,
    passages: Sequence[Passage],
    embed: EmbedFn,
    paragraph: Callable[[Chunk], str],
    question: str = "",
) -> Grounded:
    """Check and repair the citations of ``answer`` against ``passages``.

    ``embed`` maps texts to L2-normalised vectors; ``paragraph`` gives a chunk's paragraph text.
    A sentence that fails as a whole may pass clause by clause ("X is 5, while Y is 7"), each
    clause then citing its own passage.
    """
    sentences = split_sentences(answer)
    if not sentences or not passages or is_refusal(sentences[0]):
        return Grounded("", [], True, [])
    if QUANTITY_QUESTION.search(question) and not NUMBER.search(MARKER.sub("", answer)):
        return Grounded("", [], True, [])  # "how much" answered without any figure is not an answer
    parsed = [parse_markers(s) for s in sentences]
    all_chunks = {c.id: c for p in passages for c in p.chunks}
    claims = [c for c, _ in parsed]
    clauses = {c: [x.strip() for x in CLAUSE.split(c) if content_words(x)] for c in claims}
    extra = [x for c in claims for x in clauses[c] if len(clauses[c]) > 1]
    vecs = embed([c.text for c in all_chunks.values()] + claims + extra)
    chunk_vecs = dict(zip(all_chunks, vecs[: len(all_chunks)], strict=True))
    text_vecs = dict(zip(claims + extra, vecs[len(all_chunks) :], strict=True))

    asked = content_words(question) | META_WORDS
    numbering: dict[str, int] = {}
    citations: list[Citation] = []
    out: list[str] = []
    dropped: list[str] = []
    for claim, markers in parsed:
        if is_refusal(claim) or not (content_words(claim) - asked):
            out.append(claim)  # nothing to check: no content, or only restates the question
            continue
        chosen = _choose(claim, markers, text_vecs[claim], passages, chunk_vecs, paragraph)
        if not chosen and len(clauses[claim]) > 1:
            per_clause = [_choose(x, markers, text_vecs[x], passages, chunk_vecs, paragraph) for x in clauses[claim]]
            if all(per_clause):
                chosen = [s[0] for s in per_clause]
        if not chosen:
            if numbers(claim) or names(claim):
                dropped.append(claim)  # a specific claim no passage supports
            else:
                out.append(claim)
            continue
        tags = []
        for s in chosen:
            if s.chunk.id not in numbering:
                numbering[s.chunk.id] = len(numbering) + 1
                c = s.chunk
                citations.append(Citation(numbering[c.id], c.source, c.start, c.end, c.text, s.score))
            tag = f"[{numbering[s.chunk.id]}]"
            if tag not in tags:
                tags.append(tag)
        body, end = (claim[:-1], claim[-1]) if claim[-1:] in ".!?" else (claim, "")
        out.append(f"{body.rstrip()} {''.join(tags)}{end}")
    if not citations:
        return Grounded("", [], True, dropped)
    return Grounded(" ".join(s for s in out if s), citations, False, dropped)
