"""Look-alike terms: a claim about one identifier must not rest on a sentence about another.

The names rules read capitalised names. A program's identifiers are lower case and look alike:
gnuplot's ``set isosamples`` and ``set samples``, Bash's ``histsize`` and ``histfilesize``, ``cdpath``
and ``path``. The model judge reads one for the other: asked for the default of ``set isosamples``,
the model answered "100 points", citing "By default, sampling is set to 100 points." (from the
``set samples`` section), and the judge gave it P(yes) 0.89.

A term of the question is *displaced* from a claim's source when the claim repeats it, the cited
sentences' paragraphs and headings do not have it but have a look-alike (one word inside the other,
"samples" in "isosamples", not the same stem), the cited document names the term elsewhere (so the
source is about something else of that document, not worded differently), and the term is no English
word (a compound like "chatbot" next to "chat", or "without" next to "with", is a paraphrase). All
five must hold; on the 358 recorded answers of every suite the rule fires once, on that answer.
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
    return SpellChecker(language="en")  # a 160,000-word frequency list, loaded once (about 0.1 s)


def is_english(word: str) -> bool:
    """Whether ``word`` is an English word (in pyspellchecker's English list), not an identifier."""
    return word in _english()


def look_alikes(term: str, here: set[str]) -> list[str]:
    """The words of ``here`` that hold ``term`` or that it holds, with another stem."""
    return sorted(
        w for w in here if len(w) >= MIN_TERM and w != term and (w in term or term in w) and stem(w) != stem(term)
    )


def displaced(claim: str, question: str, context: str, in_document: Callable[[str], bool]) -> str | None:
    """The question's lower-case term that ``claim`` repeats but ``context`` (the cited sentences'
    paragraphs and headings) replaces with a look-alike, when the cited document names the term
    elsewhere (``in_document``) and it is no English word; None when there is none."""
    claimed = words(claim)
    here = words(context)
    for term in sorted(set(LOWER_TERM.findall(question))):
        if len(term) < MIN_TERM or term not in claimed or term in here:
            continue
        if look_alikes(term, here) and in_document(term) and not is_english(term):
            return term
    return None
