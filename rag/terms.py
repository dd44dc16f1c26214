"""Look-alike terms: a claim about one identifier must not rest on a sentence about another.

The names rules read capitalised names. A program's identifiers are lower case and look alike:
gnuplot's ``set isosamples`` and ``set samples``, Bash's ``histfilesize`` and ``histfile``, ``cdpath``
and ``path``. The model judge reads one for the other: asked for the default of ``set isosamples``,
the model answered "100 points", citing "By default, sampling is set to 100 points." (from the
``set samples`` section), and the judge gave it P(yes) 0.89.

A term of the question is *displaced* from a claim's source when the claim repeats it, the cited
sentences' paragraphs and headings do not have it but have a look-alike (one word inside the other,
"samples" in "isosamples", not the same stem), the cited document names the term elsewhere (so the
source is about something else of that document, not worded differently), and the term is an
identifier, not a word: it is not in pyspellchecker's English list, nor its look-alike joined to an
English word ("dataset" beside "data", "timestamp" beside "time"; "cdpath" and "nounset" are
identifiers), nor two words of the context joined ("filename" beside "file name"). All must hold; on
the 360 recorded answers of every suite the rule fires once, on that answer. A compound the list
lacks and whose other part is no word either still counts: "chatbot" beside "chat", in a document
that names a chatbot elsewhere.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import cache

from spellchecker import SpellChecker

from rag.text import stem

WORD = re.compile(r"[A-Za-z][A-Za-z0-9_]*[A-Za-z0-9]")
LOWER_TERM = re.compile(r"\b[a-z][a-z0-9_]*[a-z0-9]\b")  # as the question writes it: names are capitalised
MIN_TERM = 4


def words(text: str) -> set[str]:
    """The lower-cased words of ``text`` ("gnuplot's" gives "gnuplot")."""
    return {w.lower() for w in WORD.findall(text)}


@cache
def _english() -> SpellChecker:
    return SpellChecker(language="en")  # a 160,000-word frequency list, loaded once (under a second)


def is_english(word: str) -> bool:
    """Whether ``word`` is an English word (in pyspellchecker's English list), not an identifier."""
    return word in _english()


def look_alikes(term: str, here: set[str]) -> list[str]:
    """The words of ``here`` that hold ``term`` or that it holds, with another stem."""
    return sorted(
        w for w in here if len(w) >= MIN_TERM and w != term and (w in term or term in w) and stem(w) != stem(term)
    )


def compound(term: str, alike: str, context: str) -> bool:
    """Whether ``term`` is words joined: ``alike`` (a word) and another English word of three letters
    or more before or after it ("data" + "set"; not "cd" + "path", "no" + "unset"), or two neighbouring
    words of ``context`` ("file name" for "filename")."""
    rest = term[len(alike) :] if term.startswith(alike) else term[: -len(alike)] if term.endswith(alike) else ""
    if len(rest) >= 3 and is_english(rest) and is_english(alike):
        return True
    pairs = re.findall(r"(?=\b([a-z]+)[\s-]+([a-z]+)\b)", context.lower())
    return any(a + b == term for a, b in pairs)


def displaced(claim: str, question: str, context: str, in_document: Callable[[str], bool]) -> str | None:
    """The question's lower-case term that ``claim`` repeats but ``context`` (the cited sentences'
    paragraphs and headings) replaces with a look-alike, when the cited document names the term
    elsewhere (``in_document``) and it is an identifier, not a word; None when there is none."""
    claimed = words(claim)
    repeated = sorted({t for t in LOWER_TERM.findall(question) if len(t) >= MIN_TERM and t in claimed})
    here = words(context) if repeated else set()  # most claims repeat no such term: skip the context
    for term in repeated:
        if term in here:
            continue
        alikes = look_alikes(term, here)
        if not alikes or not in_document(term) or is_english(term):
            continue
        if not any(a in term and compound(term, a, context) for a in alikes):
            return term
    return None
