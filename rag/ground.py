"""Grounding: align each answer sentence to the source sentence that supports it.

Markers the model wrote are checked against the passages: a wrong marker is re-pointed to the
passage that does support the sentence, a missing one is added, a sentence whose names or figures
appear in no passage is dropped, so is one that runs in a loop ("Currently Currently Currently
Currently"), and an answer left with no supported claim is withdrawn. A lower-case identifier of the
question that a passage has only a look-alike of ("samples" for "isosamples", ``rag.terms``) is not
supported there. A sentence about the sources alone ("It is described in source.") is left out. A sentence
that only restates the question is passed over, unless it answers a yes/no or either/or question
("Yes, ...", or one option kept): that is a claim like any other.
A claim's figures must occur in the passage it cites, and its names in that passage's paragraph,
so a figure the document gives for something else cannot pass. Within the passage, the sentence cited
is the closest one to the claim where the claim's names stand by verification's rule (``names_stand``),
or the closest one when they stand in none.

Chunk vectors come from the index (the ones Chroma already stores); only the claims are embedded.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from rag.asks import answers_polar, name_words
from rag.derive import asks_for_computation, derivable, numeric
from rag.headings import heading
from rag.parts import question_parts
from rag.places import is_place
from rag.terms import displaced
from rag.text import (
    CLAUSES,
    NUMBER,
    content_words,
    figures,
    is_refusal,
    loops,
    names,
    names_supported,
    parse_markers,
    refers_back,
    speaking_of,
    split_sentences,
    strip_markers,
)
from rag.types import Chunk, Citation, Passage, Sentence, Status

EmbedFn = Callable[[list[str]], np.ndarray]

QUANTITY_QUESTION = re.compile(r"\b(how (much|many|large|big|long)|what (percentage|share|number|amount))\b", re.I)
# Words an answer uses to talk about the sources rather than to state a fact (stemmed).
META_WORDS = frozenset({"document", "passag", "sourc", "answer", "question", "contain", "articl", "text"})
SOURCE_WORDS = frozenset({"document", "passag", "sourc", "articl"})  # words that name the sources (stemmed)
# What a verdict may add to its yes or no without stating anything ("No, that is incorrect.", "Yes, indeed.")
VERDICT_WORDS = frozenset(
    content_words("correct incorrect true untrue false right wrong exactly indeed never quite definitely certainly")
)
MIN_SIMILARITY = 0.55
MIN_OVERLAP = 0.5
MIN_ADDED = 2  # content words a claim must add to the question for them alone to be its overlap
CHOICE_MARGIN = 0.1


class Evidence(Protocol):
    """What grounding needs from the index: stored chunk vectors and a chunk's surrounding text."""

    def vector(self, chunk: Chunk) -> np.ndarray:
        """The chunk's stored, L2-normalised embedding."""
        ...

    def paragraph(self, chunk: Chunk) -> str:
        """The chunk's paragraph and its neighbours (where a claim's names must appear)."""
        ...

    def lead(self, chunk: Chunk) -> str:
        """The chunk and the sentences just before it (where verification looks for its subject)."""
        ...

    def mentions(self, chunk: Chunk, word: str) -> bool:
        """Whether the chunk's document has ``word`` (lower case) anywhere, headings included."""
        ...


@dataclass(frozen=True)
class Asked:
    """The question a claim answers: its text and its content words (stemmed)."""

    text: str = ""
    words: frozenset[str] = frozenset()

    @classmethod
    def of(cls, question: str) -> Asked:
        return cls(question, frozenset(content_words(question)))


PARTICIPLE_OPENER = re.compile(r"^\W*[A-Z][a-z]+(?:ing|ed)\b")  # "Depending on ...", "Founded in ..."


def names_stand(claim: str, question: str, cited: str, lead: str) -> str | None:
    """The text the names of ``claim`` stand in, or None when they do not stand where they must: all
    of them in ``cited``, the sentence it cites (``cited`` is returned); or, when that sentence names
    nobody the claim does not ("Depending on the urgency, there are yellow and orange alerts"), the
    names the claim repeats from the question (its subject: "Silicon Valley firms") in ``lead``, the
    sentences just before it and itself, where the article set the scene (``lead`` is returned: the
    claim's meaning rests on it too). A cited sentence about someone else ("Simo became CEO of
    Applications") never lends its role to the question's subject named nearby. A claim that opens
    with "She"/"He" speaks of the person the question names (``speaking_of``)."""
    claim = speaking_of(claim, question)
    claim_names = names(claim)
    if names_supported(claim_names, cited):
        return cited
    claim_words = name_words(claim)
    others = [run for run in names(PARTICIPLE_OPENER.sub("", cited)) if not set(run) <= claim_words]
    if any(not is_place(run) for run in others):  # a place ("in the US") names nobody
        return None
    asked = name_words(question)
    own = [run for run in claim_names if not set(run) <= asked]
    repeated = [run for run in claim_names if set(run) <= asked]
    return lead if names_supported(own, cited) and names_supported(repeated, lead) else None


def cited_text(chunk: Chunk, evidence: Evidence) -> str:
    """What citing ``chunk`` stands for: the sentence, with what comes just before it when it opens by
    referring back ("This executive, who joined ..." names her one sentence earlier)."""
    return evidence.lead(chunk) if refers_back(chunk.text) else chunk.text


@dataclass(frozen=True)
class Support:
    passage: Passage
    chunk: Chunk
    score: float
    ok: bool
    placed: bool = False  # the claim's names stand in the sentence cited (``names_stand``)


@dataclass(frozen=True)
class Grounded:
    """What grounding made of a draft: ``answered`` with sentences and citations, or why not."""

    status: Status
    sentences: tuple[Sentence, ...] = ()
    citations: tuple[Citation, ...] = ()
    dropped: tuple[str, ...] = ()
    chunks: tuple[Chunk, ...] = ()  # the chunk behind each citation, in citation order

    def chunk(self, n: int) -> Chunk:
        """The indexed chunk that citation ``n`` quotes."""
        return self.chunks[n - 1]

    @property
    def text(self) -> str:
        return " ".join(s.render() for s in self.sentences)


def _underived(nums: set[str], passage: Passage) -> set[str]:
    """The figures of ``nums`` that no single sentence of ``passage`` yields by arithmetic."""
    return {n for n in nums if not (n[:1].isdigit() and any(derivable(n, numeric(c.text)) for c in passage.chunks))}


def _overlap(words: set[str], passage_words: set[str], asked: frozenset[str]) -> float:
    """The share of a claim's content words that its passage has. A claim that echoes the question's
    own wording ("the chatbot's daily unique visitors ... in the fortnight after ...") is judged by what
    it adds to the question, when that is at least ``MIN_ADDED`` words: a paraphrased question's words
    are not the passage's, and a single added word is too little to tell support from coincidence."""
    share = len(words & passage_words) / max(1, len(words))
    added = words - asked
    if MIN_ADDED <= len(added) < len(words):
        share = max(share, len(added & passage_words) / len(added))
    return share


def _support(
    claim: str,
    claim_vec: np.ndarray,
    passage: Passage,
    evidence: Evidence,
    derive: bool,
    asked: Asked = Asked(),
) -> Support:
    """How well ``passage`` supports ``claim``, and which of its sentences the claim cites: the best
    match, unless the claim's names do not stand there (``names_stand``, the rule verification reads
    them by) and they do in another: "Depending on the urgency, ... yellow and orange" rather than
    "... used by Silicon Valley companies"; "This executive ... later served as CEO of Instacart" (read
    with the sentence before it, which names her) rather than "... thanks to the addition of Fidji
    Simo"."""
    words = content_words(claim)
    nums = figures(claim)
    missing = nums - figures(passage.text)
    if missing and derive:
        missing = _underived(missing, passage)
    claim_names = names(claim)
    para_text = " ".join({evidence.paragraph(c) for c in passage.chunks})
    scored = []
    for chunk in passage.chunks:
        sim = float(claim_vec @ evidence.vector(chunk))
        overlap = len(words & content_words(chunk.text)) / max(1, len(words))
        bonus = 0.2 * len(nums & figures(chunk.text)) / max(1, len(nums))
        scored.append((0.5 * sim + 0.5 * overlap + bonus, sim, chunk))
    best_score, best_sim, best_chunk = max(scored, key=lambda t: t[0])

    def placed(chunk: Chunk) -> bool:
        return names_stand(claim, asked.text, cited_text(chunk, evidence), evidence.lead(chunk)) is not None

    naming = [t for t in scored if placed(t[2])]
    if naming:
        best_chunk = max(naming, key=lambda t: t[0])[2]  # the best sentence where the claim's names stand
    overlap_all = _overlap(words, content_words(passage.text), asked.words)
    context = " ".join([para_text, *(heading(c) for c in passage.chunks)])
    ok = (
        not missing
        and names_supported(claim_names, para_text)
        and (best_sim >= MIN_SIMILARITY or overlap_all >= MIN_OVERLAP)
        and not displaced(claim, asked.text, context, lambda t: any(evidence.mentions(c, t) for c in passage.chunks))
    )
    return Support(passage, best_chunk, best_score, ok, bool(naming))


def _choose(
    claim: str,
    markers: list[int],
    vec: np.ndarray,
    passages: Sequence[Passage],
    evidence: Evidence,
    derive: bool,
    asked: Asked = Asked(),
) -> list[Support]:
    """The passages that support ``claim``: the model's own markers when they are (nearly) as good
    as the best supporting passage, else the best one; none when nothing supports it. Passages where
    the claim's names stand (``names_stand``) come before those where they do not: "She previously
    worked at Meta" cites the sentence about her, not a closer-worded one about 630 other employees,
    which verification would withdraw. ``asked`` is what the question says (see ``_overlap`` and
    ``_support``)."""
    supports = sorted((_support(claim, vec, p, evidence, derive, asked) for p in passages), key=lambda s: -s.score)
    ok = [s for s in supports if s.ok]
    ok = [s for s in ok if s.placed] or ok
    if not ok:
        return []
    cited = [s for s in ok if s.passage.n in markers and s.score >= ok[0].score - CHOICE_MARGIN]
    return cited[:2] or ok[:1]


def ground(draft: str, passages: Sequence[Passage], embed: EmbedFn, evidence: Evidence, question: str = "") -> Grounded:
    """Check and repair the citations of ``draft`` against ``passages``.

    ``embed`` maps claim texts to L2-normalised vectors. A sentence that fails as a whole may pass
    clause by clause ("X is 5, while Y is 7"), each clause then citing its own passage.
    """
    sentences = split_sentences(draft)
    if sentences and is_refusal(sentences[0]):
        return Grounded(Status.DECLINED)
    if not sentences or not passages:
        return Grounded(Status.UNSUPPORTED)
    if all(QUANTITY_QUESTION.search(p) for p in question_parts(question)) and not NUMBER.search(strip_markers(draft)):
        return Grounded(Status.UNSUPPORTED)  # "how much" answered without any figure is not an answer
    parsed = [parse_markers(s) for s in sentences]
    claims = [c for c, _ in parsed]
    clauses = {c: [x.strip() for x in CLAUSES.split(c) if content_words(x)] for c in claims}
    extra = [x for c in claims for x in clauses[c] if len(clauses[c]) > 1]
    vecs = dict(zip(claims + extra, embed(claims + extra), strict=True))

    known = Asked.of(question)
    asked = known.words | META_WORDS
    derive = asks_for_computation(question)
    numbering: dict[str, int] = {}
    citations: list[Citation] = []
    cited: list[Chunk] = []
    out: list[Sentence] = []
    dropped: list[str] = []
    for claim, markers in parsed:
        if loops(claim):
            dropped.append(claim)  # a model that has lost its thread: its words prove nothing
            continue
        refusal, polar = is_refusal(claim), answers_polar(claim, question)
        # "It is described in source.": a sentence about the sources alone tells the reader nothing
        about_sources = not (refusal or polar) and bool(content_words(claim) & SOURCE_WORDS)
        if refusal or not (content_words(claim) - asked or polar):
            if not about_sources:
                out.append(Sentence(claim))  # nothing to check: no content, or only restates the question
            continue
        chosen = _choose(claim, markers, vecs[claim], passages, evidence, derive, known)
        if not chosen and len(clauses[claim]) > 1:
            per_clause = [_choose(x, markers, vecs[x], passages, evidence, derive, known) for x in clauses[claim]]
            if all(per_clause):
                chosen = [s[0] for s in per_clause]
        if not chosen:
            if figures(claim) or names(claim) or (polar and content_words(claim) - VERDICT_WORDS):
                dropped.append(claim)  # a specific claim, or a verdict stating what, that no passage supports
            elif not about_sources:
                out.append(Sentence(claim))  # a connecting sentence, shown uncited
            continue
        ids: list[int] = []
        for s in chosen:
            c = s.chunk
            if c.id not in numbering:
                numbering[c.id] = len(numbering) + 1
                citations.append(Citation.of(numbering[c.id], c, s.score))
                cited.append(c)
            if numbering[c.id] not in ids:
                ids.append(numbering[c.id])
        out.append(Sentence(claim, tuple(ids)))
    if not citations:
        return Grounded(Status.UNSUPPORTED, dropped=tuple(dropped))
    sentences = tuple(s for s in out if s.text)
    return Grounded(Status.ANSWERED, sentences, tuple(citations), tuple(dropped), tuple(cited))
