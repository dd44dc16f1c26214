"""Definition-list entries: the term a manual's sentence is about.

Manuals define their options, variables and commands in definition lists. The entry's first sentence
names the term ("HISTSIZE The maximum number of commands to remember on the history list."); the
rest of the entry never does ("The shell sets the default value to 500 after reading any startup
files."), so neither the dense model nor BM25 can tell which variable that default belongs to. Each
sentence of an entry carries its term (``Chunk.term``), and retrieval reads it in the sentence's
header beside the section heading (``rag.headings.retrieval_text``); what is shown and cited is still
the sentence alone.

An entry starts with a sentence that opens with an identifier-like term followed by a capitalised
word on the same or the next line ("pipefail If set, ...", "HISTCONTROL A colon-separated ...",
"-d delim The first character ...", "editing-mode The ..."), or with a term alone on its line,
optionally with its arguments in brackets ("HISTTIMEFORMAT", an HTML ``<dt>``, "yank-last-arg (M-. or
M-_)", also at the end of the entry before), whose entry is the next paragraph when that opens a
sentence (its usage line, "cd [-L|-P] [directory]", comes between). It runs to the end of its
paragraph, and on into the next paragraphs that open in lower case (the description cut by a page
break) unless they start an entry of their own; a heading ends it. A term is a word in lower case, a
word in capitals ("HISTSIZE", not "The" or "eBay"), or an option ("-n", "--login"); function words
("the", "see") and the shell's closing keywords ("fi", "esac", "done") are not terms, nor a word the
sentence splitter cut off code ("${TEXTDOMAIN}.mo"). Terms alone one after another are a list of
words ("curl", "git"), not a term and its entry. Prose rarely opens a sentence in lower case or with
a capitalised word after a word in capitals, and a document needs ``MIN_TERMS`` distinct terms to
have a definition list at all, so prose gets none (the seed article none; "CEO Sam Altman said ...
US President ..." none). A name in capitals before a capitalised word ("GNU Parallel is ...") in a
manual is the known false positive, and so is a heading in capitals in plain text ("INTRODUCTION"),
where the term does a heading's work.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace

from rag.types import Chunk

_OPTION = r"-{1,2}[A-Za-z][\w-]*"  # "-n", "--login"
_WORD = r"[a-z][a-z0-9_.-]*[a-z0-9_]|[A-Z][A-Z0-9_]+"  # "pipefail", "editing-mode", "HISTSIZE"; not "The", "eBay"
# The term, an option's argument name ("-d delim"), then a capitalised word on the same or the next line.
LEADING_TERM = re.compile(
    rf"(?:(?P<option>{_OPTION})(?:[ \t]+[a-z][\w-]*)?|(?P<word>{_WORD}))(?:[ \t]+|[ \t]*\n[ \t]*)(?=[A-Z‘“][a-z ])"
)
TERM_ALONE = re.compile(rf"({_OPTION}|{_WORD})(?:[ \t]*\([^()\n]*\))?")
OPENERS = "‘“\"'("  # a description may open with a quotation or a bracket
MIN_TERMS = 3  # a document with fewer distinct terms has no definition list ("CEO Sam Altman said ...")
NOT_TERMS = frozenset(
    "a all also an and any are as at be both but by can case do done each elif else esac fi for from he her "
    "his how if in is it its may me my no none not of on only or other our see she so some such than that "
    "the their then there these they this those to us was we were what when where which who why will with "
    "you".split()
)  # fmt: skip


def leading_term(sentence: str) -> str | None:
    """The term a definition entry's first sentence opens with, or None."""
    m = LEADING_TERM.match(sentence)
    term = m and (m.group("option") or m.group("word"))
    return term if term and term not in NOT_TERMS else None


def term_alone(sentence: str) -> str | None:
    """The term when the sentence is nothing else, optionally with bracketed arguments
    ("yank-last-arg (M-. or M-_)"), or None."""
    m = TERM_ALONE.fullmatch(sentence.strip())
    return m.group(1) if m and m.group(1) not in NOT_TERMS else None


def _synopsis(sentence: str, term: str) -> bool:
    """Whether ``sentence`` is the usage line of ``term`` ("cd [-L|-P] [directory]" after "cd")."""
    return sentence.startswith(term + " ") and not leading_term(sentence)


def with_terms(chunks: Sequence[Chunk], min_terms: int = MIN_TERMS) -> list[Chunk]:
    """``chunks`` (one document's, in text order) with ``term`` set on the sentences of each
    definition entry (see the module docstring); none where fewer than ``min_terms`` distinct terms
    are found."""
    out: list[Chunk] = []
    term: str | None = None
    pending: str | None = None  # a term alone on its line: its entry is the next paragraph
    listing = False  # terms alone one after another are a list of words, not a term and its entry
    paragraph: int | None = None
    section: str | None = None
    end = -1
    for chunk in chunks:
        if chunk.section != section:  # a heading ends any entry
            section, term, pending = chunk.section, None, None
        if chunk.para_start != paragraph:
            paragraph, first = chunk.para_start, chunk.text[:1]
            if pending and _synopsis(chunk.text, pending):
                out.append(replace(chunk, term=pending))  # the usage line; the description follows
                end = chunk.end
                continue
            if pending and (first.isupper() or first in OPENERS):
                term = pending
            elif not first.islower():
                term = None  # continued only by a paragraph a page break cut off, in lower case
            alone = term_alone(chunk.text)
            if alone and (chunk.start, chunk.end) == (chunk.para_start, chunk.para_end):
                listing = listing or pending is not None
                pending, term = (None if listing else alone), None
                out.append(replace(chunk, term=None))
                end = chunk.end
                continue
            pending, listing = None, False
        elif chunk.end == chunk.para_end and chunk.start > end and (alone := term_alone(chunk.text)):
            pending, term = alone, None  # "downcase-word (M-l)" run on at the end of the entry before
            out.append(replace(chunk, term=None))
            end = chunk.end
            continue
        term = leading_term(chunk.text) or term
        out.append(replace(chunk, term=term))
        end = chunk.end
    if len({c.term for c in out if c.term}) < min_terms:
        return [replace(c, term=None) for c in out]
    return out
