"""Quoting the source when the drafted answer did not hold.

A small model often finds the right passage and then says it wrong ("Since April" for a stagnation
the passage dates to September, a comparison turned round); verification withdraws such a claim and
the reader would get a refusal for a question the documents answer. Instead, the passages' own
sentences are tried as the answer, verbatim and cited: the ones closest to the question in meaning
and words, each put through the same checks as a drafted claim (the kind of answer asked for, the
question's subject and periods in what it cites) and then, always, a one-token model check of
whether it answers the question (``rag.judge.make_answer_check``). Nothing is paraphrased, so nothing
can be misquoted; the check decides only whether the quote answers what was asked.

A question that asks two things ("When did X launch, and what chip does it run on?") often gets an
answer to one: the model forgets the other, or its claim about it is withdrawn. Each part left
unanswered is then tried on its own the same way, from the passages retrieved for that part alone
(``complete``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import replace

import numpy as np

from rag.ground import Evidence, Grounded, cited_text
from rag.judge import AnswerCheck
from rag.parts import asked_part, on_its_own, question_parts
from rag.text import content_words
from rag.types import Chunk, Citation, Passage, Sentence, Status
from rag.verify import Check, verify

MIN_SHARED = 2  # content words a sentence shares with a part of a question to count as taking it up
MAX_JUDGED = 2  # quotes put to the model check at most (each ~1 s on 2 cores)
MIN_WORDS = 4  # a sentence with fewer content words is a heading or a fragment, not an answer
# A quote is a whole sentence: it ends as one ("...", "... 100 points.", '... great model."'). A heading
# ("Code Red and Product Company"), a caption, a piece the sentence splitter cut off ("This construct
# allows both the standard output (file descriptor", cut before "1)" as if a list item began) or a
# lead-in ("... the following are disallowed:") is not an answer.
SENTENCE_END = re.compile(r"[.!?][\"'”’)\]]*$")


def quotable(chunk: Chunk) -> bool:
    """Whether ``chunk`` could be an answer on its own: enough content words, and a sentence's ending."""
    return len(content_words(chunk.text)) >= MIN_WORDS and SENTENCE_END.search(chunk.text.strip()) is not None


def _candidates(
    question: str, passages: Sequence[Passage], embed: Callable[[list[str]], np.ndarray], evidence: Evidence
) -> list[tuple[float, Chunk]]:
    """The passages' sentences, closest to ``question`` first: half cosine, half the share of the
    question's content words they contain, read as the model check reads them (with the sentence they
    refer back to: "This internet executive ... previously led Facebook apps at Meta" takes up "Where
    did Fidji Simo work before?" through the sentence before it, which names her)."""
    asked = content_words(question)
    chunks = list({c.id: c for p in passages for c in p.chunks if quotable(c)}.values())
    if not chunks:
        return []
    q = embed([question])[0]
    shared = {c.id: len(asked & content_words(cited_text(c, evidence))) / max(1, len(asked)) for c in chunks}
    scored = [(0.5 * float(q @ evidence.vector(c)) + 0.5 * shared[c.id], c) for c in chunks]
    return sorted(scored, key=lambda sc: -sc[0])


def quote(
    question: str,
    passages: Sequence[Passage],
    evidence: Evidence,
    embed: Callable[[list[str]], np.ndarray],
    answers: AnswerCheck,
    skip: frozenset[str] = frozenset(),
) -> tuple[Grounded | None, list[Check]]:
    """The best sentence of ``passages`` (but those whose chunk id is in ``skip``) as a verified, cited
    answer to ``question`` (None when no sentence passes the lexical checks and then the model check
    within ``MAX_JUDGED`` tries), and the verdict on every quote put to the model."""
    checks: list[Check] = []
    for score, chunk in _candidates(question, passages, embed, evidence):
        if chunk.id in skip:
            continue
        sentence = Sentence(f"“{chunk.text.strip()}”", (1,))
        single = Grounded(Status.ANSWERED, (sentence,), (Citation.of(1, chunk, score),), (), (chunk,))
        checked, _ = verify(question, single, evidence)  # lexical only: kind, subject, periods
        if checked.status is not Status.ANSWERED:
            continue
        verdict = answers(cited_text(chunk, evidence), question)
        if verdict.holds:
            return single, [*checks, Check(sentence, True, f"quoted from the source ({verdict.describe()})")]
        checks.append(Check(sentence, False, f"not quoted: the model found it does not answer ({verdict.describe()})"))
        if len(checks) >= MAX_JUDGED:
            break
    return None, checks


def unanswered_parts(question: str, grounded: Grounded) -> list[str]:
    """The parts of a two-part ``question`` that no cited sentence of ``grounded`` answers: every part
    when it answers nothing, none when a sentence answers them alike, none for a one-part question."""
    parts = question_parts(question)
    if len(parts) < 2:
        return []
    if grounded.status is not Status.ANSWERED:
        return parts
    cited = [s.text for s in grounded.sentences if s.citations]
    taken = {asked_part(question, text) for text in cited}
    if "" in taken:
        return []
    return [p for p in parts if p not in taken and not any(_speaks_to(text, p) for text in cited)]


def withdrawn_parts(question: str, grounded: Grounded) -> list[str]:
    """The parts of a two-part ``question`` left unanswered although the draft took them up: a sentence
    withdrawn from the draft was about that part (or as much about it as about the other). A part that
    no withdrawn sentence was about is not named: one sentence often answers both ("Anthropic ...
    released its flagship model, Claude Opus 4.5" for "which startup ..., and what is that model
    called?"), and the word overlap that assigns sentences to parts cannot tell."""
    about = {asked_part(question, text) for text in grounded.dropped}
    return [p for p in unanswered_parts(question, grounded) if p in about or "" in about]


def _speaks_to(sentence: str, part: str) -> bool:
    """Whether ``sentence`` also takes up ``part`` ("... launched Gemini 3 ..., trained on its own TPU
    chip" answers "what chip was it trained on?" beside the launch date it was assigned to)."""
    return len(content_words(sentence) & content_words(part)) >= MIN_SHARED


def merged(first: Grounded, extra: Grounded) -> Grounded:
    """``first``'s sentences and then ``extra``'s, its citations numbered after ``first``'s."""
    if first.status is not Status.ANSWERED:
        return replace(extra, dropped=first.dropped + extra.dropped)
    shift = len(first.citations)
    sentences = tuple(replace(s, citations=tuple(n + shift for n in s.citations)) for s in extra.sentences)
    citations = tuple(replace(c, n=c.n + shift) for c in extra.citations)
    return Grounded(
        Status.ANSWERED,
        first.sentences + sentences,
        first.citations + citations,
        first.dropped + extra.dropped,
        first.chunks + extra.chunks,
    )


def complete(
    question: str,
    grounded: Grounded,
    find: Callable[[str], Sequence[Passage] | None],
    evidence: Evidence,
    embed: Callable[[list[str]], np.ndarray],
    answers: AnswerCheck,
) -> tuple[Grounded, list[Check]]:
    """Answer each part of a two-part ``question`` that ``grounded`` leaves out with a quote from the
    passages ``find`` retrieves for that part alone (None: nothing relevant), and the verdicts."""
    checks: list[Check] = []
    parts = question_parts(question)
    for part in unanswered_parts(question, grounded):
        before = parts[: parts.index(part)]
        given = [s.text for s in grounded.sentences if s.citations and asked_part(question, s.text) in before]
        asked = on_its_own(question, part, given)
        passages = find(asked)
        if not passages:
            continue
        cited = frozenset(c.id for c in grounded.chunks)
        quoted, tried = quote(asked, passages, evidence, embed, answers, skip=cited)
        checks.extend(tried)
        if quoted is not None:
            grounded = merged(grounded, quoted)
    return grounded, checks
