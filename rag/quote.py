"""Quoting the source when the drafted answer did not hold.

A small model often finds the right passage and then says it wrong ("Since April" for a stagnation
the passage dates to September, a comparison turned round); verification withdraws such a claim and
the reader would get a refusal for a question the documents answer. Instead, the passages' own
sentences are tried as the answer, verbatim and cited: the ones closest to the question in meaning
and words, each put through the same checks as a drafted claim (the kind of answer asked for, the
question's subject and periods in what it cites) and then, always, a one-token model check of
whether it answers the question (``rag.judge.make_answer_check``). Nothing is paraphrased, so nothing
can be misquoted; the check decides only whether the quote answers what was asked.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from rag.ground import Evidence, Grounded
from rag.judge import AnswerCheck
from rag.text import content_words, refers_back
from rag.types import Chunk, Citation, Passage, Sentence, Status
from rag.verify import Check, verify

MAX_JUDGED = 2  # quotes put to the model check at most (each ~1 s on 2 cores)
MIN_WORDS = 4  # a sentence with fewer content words is a heading or a fragment, not an answer


def _candidates(
    question: str, passages: Sequence[Passage], embed: Callable[[list[str]], np.ndarray], evidence: Evidence
) -> list[tuple[float, Chunk]]:
    """The passages' sentences, closest to ``question`` first: half cosine, half the share of the
    question's content words they contain."""
    asked = content_words(question)
    chunks = list({c.id: c for p in passages for c in p.chunks if len(content_words(c.text)) >= MIN_WORDS}.values())
    if not chunks:
        return []
    q = embed([question])[0]
    scored = [
        (0.5 * float(q @ evidence.vector(c)) + 0.5 * len(asked & content_words(c.text)) / max(1, len(asked)), c)
        for c in chunks
    ]
    return sorted(scored, key=lambda sc: -sc[0])


def quote(
    question: str,
    passages: Sequence[Passage],
    evidence: Evidence,
    embed: Callable[[list[str]], np.ndarray],
    answers: AnswerCheck,
) -> tuple[Grounded | None, list[Check]]:
    """The best sentence of ``passages`` as a verified, cited answer to ``question`` (None when no
    sentence passes the lexical checks and then the model check within ``MAX_JUDGED`` tries), and the
    verdict on every quote put to the model."""
    checks: list[Check] = []
    for score, chunk in _candidates(question, passages, embed, evidence):
        sentence = Sentence(f"“{chunk.text.strip()}”", (1,))
        single = Grounded(Status.ANSWERED, (sentence,), (Citation.of(1, chunk, score),), (), (chunk,))
        checked, _ = verify(question, single, evidence)  # lexical only: kind, subject, periods
        if checked.status is not Status.ANSWERED:
            continue
        source = evidence.lead(chunk) if refers_back(chunk.text) else chunk.text
        verdict = answers(source, question)
        if verdict.holds:
            return single, [*checks, Check(sentence, True, f"quoted from the source ({verdict.describe()})")]
        checks.append(Check(sentence, False, f"not quoted: the model found it does not answer ({verdict.describe()})"))
        if len(checks) >= MAX_JUDGED:
            break
    return None, checks
