"""One text toolkit for documents and answers: sentences, words, figures, names, citation markers.

Answers are cut into claims by the segmenter that cuts documents into chunks (``rag.segment``), so a
claim and the sentence it cites are cut the same way. Word lists come from kept libraries where one exists
(NLTK's English stop words as shipped by bm25s, month names from ``calendar``).
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Callable
from functools import lru_cache

import Stemmer
from bm25s.stopwords import STOPWORDS_EN_PLUS

from rag.places import same_place_named, short_form
from rag.segment import sentence_spans

# -- words ------------------------------------------------------------------------------------

WORD = re.compile(r"[A-Za-z][A-Za-z0-9'’-]*|\d+(?:[.,]\d+)*")
# Where a sentence's clauses part: "time spent fell by 22.5%, and conversations by 20.7%".
CLAUSES = re.compile(r",\s+(?:while|whereas|and|but)\s+|;\s+|\s+while\s+")
NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
# "GPT-3.5" is one token, and so is an initialism written with dots ("U.S.")
TOKEN = re.compile(r"(?:[A-Z]\.){2,}|[A-Za-z][A-Za-z0-9'’-]*(?:\.\d+)*|\d+(?:[.,]\d+)*|[^\w\s]")
# Words that point back to something named earlier ("This executive ...", "It is ...").
# "Among those who ..." names its own referent: "those"/"these" before a relative pronoun do not point back.
REFERRING = re.compile(
    r"\b(he|she|it|they|him|her|his|hers|its|their|theirs|them|this|that|"
    r"(?:these|those)(?!\s+(?:who|whom|whose|which|that)\b)|there|then|"
    r"the same|the company|the model|the firm)\b",
    re.IGNORECASE,
)
OPENING_WORDS = 6


def refers_back(sentence: str) -> bool:
    """Whether ``sentence`` opens by pointing at something named before it ("This executive, who ...")."""
    words = WORD.findall(sentence)
    opening = " ".join(words[:OPENING_WORDS])
    following = " ".join(words[: OPENING_WORDS + 1])  # the next word tells "among those who ..." apart
    return any(m.start() < len(opening) for m in REFERRING.finditer(following))


# NLTK's list, plus function words it lacks that carry no fact in an answer.
STOPWORDS = frozenset(STOPWORDS_EN_PLUS) | {
    "according", "also", "could", "may", "might", "must", "per", "since", "us", "whose", "would", "yes",
}  # fmt: skip
MONTHS = frozenset(m.lower() for m in calendar.month_name if m)
# Capitalised only because they open a sentence; never part of a name.
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


@lru_cache(maxsize=1)
def _stem() -> Callable[[str], str]:
    return Stemmer.Stemmer("english").stemWord


def stem(word: str) -> str:
    """The English Snowball stem of ``word`` (lower-cased)."""
    return _stem()(word.lower())


def content_words(text: str) -> set[str]:
    """Stemmed words that carry meaning (no stop words; single digits count: "6%" is a claim; a
    capitalised month is a fact, not the modal verb "may")."""
    return {
        stem(w.strip("'’"))
        for w in WORD.findall(text)
        if (w.lower() not in STOPWORDS or (w[0].isupper() and w.lower() in MONTHS)) and (len(w) > 1 or w.isdigit())
    }


def initialisms(text: str, longest: int = 5) -> set[str]:
    """The initials of every run of 2 to ``longest`` consecutive words of ``text`` that are not stop
    words, lower-cased: "chief financial officer" gives "cfo" (and "cf", "fo"). A question that spells
    out a title a document abbreviates can then match it lexically; callers keep only the initialisms
    their documents actually use."""
    found: set[str] = set()
    run: list[str] = []
    for word in [*WORD.findall(text), ""]:
        if word and word.isalpha() and word.lower() not in STOPWORDS:
            run.append(word[0].lower())
            continue
        for i in range(len(run)):
            for j in range(i + 2, min(len(run), i + longest) + 1):
                found.add("".join(run[i:j]))
        run = []
    return found


def figures(text: str) -> set[str]:
    """Figures and month names: the specific facts a claim must share with its source."""
    found = {n.replace(",", "").rstrip(".") for n in NUMBER.findall(text)}
    months = {w.lower() for w in WORD.findall(text) if w.lower() in MONTHS and w[0].isupper()}
    return found | months


def names(sentence: str) -> list[tuple[str, ...]]:
    """Runs of capitalised words (proper names, products), lower-cased; a sentence's first word
    counts only if it is not a common sentence opener. A possessive ends its run: "Anthropic's CFO"
    is two names, the owner and the role."""
    return [run for run, _ in name_runs(sentence)]


def name_runs(sentence: str) -> list[tuple[tuple[str, ...], int]]:
    """``names`` with the position (in ``TOKEN`` tokens) where each run starts."""
    found: list[tuple[tuple[str, ...], int]] = []
    run: list[str] = []
    for i, token in enumerate(TOKEN.findall(sentence)):
        w = re.sub(r"['’]s$", "", token)
        low = w.lower()
        is_name = w[:1].isupper() and (low not in STOPWORDS or short_form(w)) and low not in MONTHS
        if i == 0 and (low in SENTENCE_OPENERS or low.endswith("ly")):
            is_name = False
        if is_name:
            run.append(low)
            if w != token:  # possessive
                found.append((tuple(run), i + 1 - len(run)))
                run = []
        elif run:
            found.append((tuple(run), i - len(run)))
            run = []
    if run:
        found.append((tuple(run), i + 1 - len(run)))
    return found


# Runs of capitalised words, none with a capital inside ("OpenAI") or a digit: "Did Sam Altman".
CAPITALISED_RUN = re.compile(r"\b[A-Z][a-z]+(?:-[A-Z][a-z]+)?(?: [A-Z][a-z]+(?:-[A-Z][a-z]+)?)*\b")
PERSONAL = re.compile(r"\b(he|she|him|his|her|hers)\b", re.IGNORECASE)
NOT_A_NAME_START = STOPWORDS | MONTHS | SENTENCE_OPENERS  # "Did Sam Altman", "In May", "However Simo"


def people(text: str) -> list[str]:
    """The full personal names in ``text`` ("Fidji Simo"), in order, once each: two or three
    capitalised words, after any function word, month or sentence opener the run starts with ("Did
    Sam Altman" is Sam Altman; "The Information" and "In May" are none)."""
    found: list[str] = []
    for match in CAPITALISED_RUN.finditer(strip_markers(text)):
        words = match.group().split()
        while words and words[0].lower() in NOT_A_NAME_START:
            words.pop(0)
        name = " ".join(words)
        if 2 <= len(words) <= 3 and name not in found:
            found.append(name)
    return found


OPENING_PERSONAL = re.compile(r"^\s*(he|she|his|her)\b", re.IGNORECASE)


def speaking_of(claim: str, question: str) -> str:
    """``claim`` with an opening "He"/"She" ("His"/"Her") replaced by the one person ``question``
    names, whom it speaks of: "She previously worked at Meta" answering "Where did Fidji Simo work
    before?" must cite a sentence about Fidji Simo, not one about OpenAI staff who worked at Meta.
    Unchanged when the question names no one, or more than one person, by full name."""
    match = OPENING_PERSONAL.match(claim)
    named = people(question)
    if match is None or len(named) != 1:
        return claim
    possessive = match.group(1).lower() in ("his", "her")
    return named[0] + ("'s" if possessive else "") + claim[match.end() :]


def names_supported(claim_names: list[tuple[str, ...]], text: str) -> bool:
    """Every name is a word of ``text``, or has the same stem as one ("Europeans" → "European"), or
    is a place ``text`` names otherwise ("Americans" → "the US", ``rag.places``; pass ``text`` as
    written: "US" is the country, "us" a pronoun); a multi-word name needs one of its words ("Sam
    Altman" → "Altman"). Whole words only: a truncated "Tur" is not "Turley"."""
    places = [name for name in claim_names if " ".join(name) in STOPWORDS]  # "US", never the pronoun "us"
    if not all(same_place_named(name, text) for name in places):
        return False
    claim_names = [name for name in claim_names if name not in places]
    low = text.lower()
    words = set(re.findall(r"[a-z0-9][a-z0-9'’.-]*[a-z0-9]|[a-z0-9]", low))
    words |= set(re.findall(r"[a-z0-9][a-z0-9'’-]*", low))
    words |= {re.sub(r"['’]s$", "", w) for w in words} | set(re.findall(r"[a-z]+", low))
    words |= set(re.findall(r"(?<![\w.])(?:[a-z]\.){2,}", low))  # "U.N." as ``names`` gives it
    missing = [name for name in claim_names if not any(part in words for part in name)]
    if not missing:
        return True
    stems = {stem(w) for w in words if w.isalpha()}  # only when some name is not there word for word
    return all(
        any(part.isalpha() and stem(part) in stems for part in name) or same_place_named(name, text)
        for name in missing
    )


def key_terms(text: str) -> list[str]:
    """The words of ``text`` that are neither stop words nor single letters, possessives removed."""
    return [
        re.sub(r"['’]s$", "", w) for w in WORD.findall(strip_markers(text)) if w.lower() not in STOPWORDS and len(w) > 1
    ]


# -- citation markers in model output ----------------------------------------------------------

MARKER = re.compile(r"\s*\[(\d+(?:\s*[,;]\s*\d+)*)\]")
TRAILING_MARKERS = re.compile(r"([.!?])((?:\s*\[\d+(?:\s*[,;]\s*\d+)*\])+)")
# How small models spell a citation when not shown "[2]": "[source 2]", "[source id="2"]", "(Source 2)".
SPELLED_MARKER = re.compile(
    r"[\[(]\s*(?:source|passage)s?\s*(?:id\s*=\s*)?[\"']?(\d+(?:\s*(?:,|;|and)\s*\d+)*)[\"']?\s*[\])]", re.IGNORECASE
)
# "According to source 1, X." / "As stated in passages 1 and 2, X." → "X [1][2]."
SOURCE_PREFIX = re.compile(
    r"\b(?:according to|as (?:stated|mentioned|shown|noted) in|based on|from|in)\s+"
    r"(?:(?:the\s+)?(?:information|data|text)\s+(?:in|from)\s+)?(?:the\s+)?(?:source|passage)s?\s*"
    r"(?:\[)?(\d+(?:\s*(?:,|;|and)\s*\d+)*)(?:\])?\s*,\s*",
    re.IGNORECASE,
)


def normalise_markers(text: str) -> str:
    """Model output with every spelled-out citation turned into ``[n]`` markers at its sentence's end."""

    def bracket(numbers: str) -> str:
        return "".join(f"[{n}]" for n in re.findall(r"\d+", numbers))

    text = SPELLED_MARKER.sub(lambda m: bracket(m.group(1)), text)
    out = []
    for sentence in re.split(r"(?<=[.!?])\s+", text):
        m = SOURCE_PREFIX.search(sentence)
        if m:
            rest = sentence[: m.start()] + sentence[m.end() :]
            rest = rest[:1].upper() + rest[1:]
            body, end = (rest[:-1], rest[-1]) if rest[-1:] in ".!?" else (rest, "")
            sentence = f"{body.rstrip()} {bracket(m.group(1))}{end}"
        out.append(sentence)
    return " ".join(out)


def strip_markers(text: str) -> str:
    """``text`` without ``[n]`` markers."""
    return MARKER.sub("", text)


def parse_markers(sentence: str) -> tuple[str, list[int]]:
    """Return the sentence without ``[n]`` markers, and the marker numbers in order."""
    found: list[int] = []
    for m in MARKER.finditer(sentence):
        found.extend(int(x) for x in re.split(r"\s*[,;]\s*", m.group(1)) if len(x) <= 9)  # no 5000-digit ints
    return strip_markers(sentence).strip(), found


def split_sentences(text: str) -> list[str]:
    """Model output into sentences; a marker written after the full stop moves inside its sentence
    ("It is big. [2] Next" → "It is big [2]." | "Next"), so it is never a sentence of its own."""
    text = TRAILING_MARKERS.sub(r"\2\1", normalise_markers(text.strip()))
    return [text[s:e] for s, e in sentence_spans(text)]


# -- refusals ----------------------------------------------------------------------------------

REFUSAL_PATTERNS = re.compile(
    r"(do(?:es)? not|don't|doesn't|did not|didn't)\s+(say|mention|provide|contain|specify|state|include|"
    r"give|answer|discuss|cover)|\bnot (mentioned|provided|specified|stated|given|included)\b|"
    r"\bno (information|mention|details?|data)\b|\bcannot (find|answer|determine)\b|\bunable to\b|"
    r"\bis not (available|known)\b",
    re.IGNORECASE,
)


def is_refusal(text: str) -> bool:
    """Whether ``text`` says the sources do not answer (the model declining)."""
    return bool(REFUSAL_PATTERNS.search(text))


# -- loops ---------------------------------------------------------------------------------------

LOOP_TIMES = 4  # "ESC ESC ESC" is a key sequence; four in a row is a model that has lost its thread
LOOP_LONGEST = 4
TWO_LETTERS = re.compile(r"[a-z]{2}")


def loops(text: str, times: int = LOOP_TIMES, longest: int = LOOP_LONGEST) -> bool:
    """Whether ``text`` runs in a loop: a word or a group of up to ``longest`` tokens ``times`` times
    in a row ("Currently Currently Currently Currently", "), ), ), ),"), the way a model writes when
    it has lost its thread. A group must hold a word of two letters or more, or be punctuation with a
    comma (a list of nothing): figures ("0, 0, 0, 0", "1 0 0 0 1"), code ("( ((...)) )"), a row of
    dots and a Markdown table's pipes never loop."""
    tokens = [t.lower() for t in TOKEN.findall(strip_markers(text))]
    for n in range(1, longest + 1):
        for i in range(len(tokens) - n * times + 1):
            group = tokens[i : i + n]
            worded = any(TWO_LETTERS.search(t) for t in group)  # "c-x" is a key, not a word
            empty_list = "," in group and not any(t[0].isalnum() for t in group)
            if "|" in group or not (worded or empty_list):
                continue
            if all(tokens[i + k * n : i + (k + 1) * n] == group for k in range(1, times)):
                return True
    return False
