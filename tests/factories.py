"""Builders of core records for tests: an ``Answer`` from marked-up text, as grounding would emit it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rag.text import parse_markers, split_sentences
from rag.types import Answer, Citation, Sentence, Status

# The ``rag ask --json`` contract (README, "Command line"): every field, written out independently of the code.
ASK_JSON_KEYS = frozenset(
    {"question", "rewritten_question", "answer", "refused", "status", "citations", "timings", "model"}
)


def sentences_of(text: str) -> tuple[Sentence, ...]:
    """``"A [1]. B [2, 3]."`` → the sentences with their citation numbers (test input only)."""
    out = []
    for raw in split_sentences(text):
        plain, numbers = parse_markers(raw)
        out.append(Sentence(plain, tuple(dict.fromkeys(numbers))))
    return tuple(out)


def answered(question: str, text: str, citations: Sequence[Citation] = (), **kw: Any) -> Answer:
    return Answer(
        question=question, status=Status.ANSWERED, sentences=sentences_of(text), citations=tuple(citations), **kw
    )


def refused(question: str, status: Status = Status.DECLINED, **kw: Any) -> Answer:
    return Answer(question=question, status=status, **kw)
