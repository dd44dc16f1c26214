"""Definition-list entries: the term a manual's sentence is about.

Manuals define their options, variables and commands in definition lists. The entry's first sentence
names the term ("HISTSIZE The maximum number of commands to remember on the history list."); the
rest of the entry never does ("The shell sets the default value to 500 after reading any startup
files."), so neither the dense model nor BM25 can tell which variable that default belongs to. Each
sentence of an entry carries its term (``Chunk.term``), and retrieval reads it in the sentence's
header beside the section heading (``rag.headings.retrieval_text``); what is shown and cited is still
the sentence alone.

An entry starts with a sentence that opens with an identifier-like term followed by a capitalised
word ("pipefail If set, ...", "HISTCONTROL A colon-separated ...", "-n Do not ...",
"editing-mode The ..."), or with a paragraph that is the term alone, optionally with its arguments in
brackets ("HISTTIMEFORMAT", "yank-last-arg (M-. or M-_)"), whose entry is the next paragraph. It runs to
the end of its paragraph, and on into the next paragraphs that open in lower case (the description
cut by a page break) unless they start an entry of their own. A term is a word in lower case, a word
in capitals ("HISTSIZE", not "The"), or an option ("-n", "--login"); function words ("the", "see")
are not terms. Prose never opens a sentence in lower case or with a capitalised word after a word in
capitals, so a document without definition lists gets no terms (the seed article gets none).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace

from rag.types import Chunk

_TERM = r"(-{1,2}[A-Za-z][\w-]*|[a-z][\w.-]*\w|[A-Z][A-Z0-9_]+)"
LEADING_TERM = re.compile(_TERM + r"[ \t]+(?=[A-Z‘“\"][a-z ])")
TERM_ALONE = re.compile(_TERM + r"(?:[ \t]*\([^()\n]*\))?")
NOT_TERMS = frozenset(
    "a all also an and any are as at be both but by can each for from he her his how if in is it its may me "
    "my no not of on only or other our see she so some such than that the their then there these they this "
    "those to us was we were what when where which who why will with you".split()
)  # fmt: skip


def leading_term(sentence: str) -> str | None:
    """The term a definition entry's first sentence opens with, or None."""
    m = LEADING_TERM.match(sentence)
    return m.group(1) if m and m.group(1) not in NOT_TERMS else None


def term_alone(sentence: str) -> str | None:
    """The term when the sentence is nothing else (optionally with bracketed arguments), or None."""
    m = TERM_ALONE.fullmatch(sentence.strip())
    return m.group(1) if m and m.group(1) not in NOT_TERMS else None


def with_terms(text: str, chunks: Sequence[Chunk]) -> list[Chunk]:
    """``chunks`` (one document's, in text order) with ``term`` set on the sentences of each
    definition entry (see the module docstring)."""
    out: list[Chunk] = []
    term: str | None = None
    pending: str | None = None  # a term alone on its paragraph: its entry is the next paragraph
    paragraph: int | None = None
    for chunk in chunks:
        if chunk.para_start != paragraph:
            paragraph = chunk.para_start
            continues = text[chunk.para_start : chunk.para_start + 1].islower() and not leading_term(chunk.text)
            term, pending = (pending, None) if pending else (term if continues else None, None)
            if (chunk.start, chunk.end) == (chunk.para_start, chunk.para_end) and term_alone(chunk.text):
                pending, term = term_alone(chunk.text), None
                out.append(chunk)
                continue
        term = leading_term(chunk.text) or term
        out.append(replace(chunk, term=term) if term else chunk)
    return out
