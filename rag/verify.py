"""Verification: after grounding, check what each kept sentence *means* against what it cites, and
whether the answer addresses the question at all.

Grounding establishes support (a claim's figures are in the passage it cites, its names nearby);
that is not entailment, and entailment is not relevance. Measured failures this guards against:
a role at one organisation attributed to a person of another (both names in the paragraph), a true
sentence that does not answer the question, and the prompt's own wording echoed back as an answer.

Cheap lexical checks settle the clear cases, in order:
1. a sentence that repeats the system prompt is withdrawn;
2. a claim's names must occur in the sentence it cites (or the one before, when the cited sentence
   opens by referring back: "This executive ..."), not merely somewhere in the paragraph; the names it
   repeats from the question may stand just before a cited sentence that names nobody else; and it
   must not relate two of them the other way round ("GPT-5.1 surpassed Gemini 3 Pro", ``direction``),
   nor move a figure onto another's period, measure or role ("650 million" for March), nor answer for a
   role at one organisation from a sentence giving it at another ("CEO of Instacart" for Meta's, ``binding``);
3. the answer must give the kind the question asks for (a name for "who", a figure for "how many",
   a date for "when"), one the question did not already contain; each part of a two-part question
   on its own, a claim counting for the part it shares the most words with (``rag.parts``);
4. what the answer's sentences cite, together, must name the question's own subject and speak of the
   period it asks about ("every month" is not answered by a figure for "every week"); a source the
   question attributes the fact to ("according to Apptopia, ...") is not its subject: it must be named
   around the cited sentences (its paragraph), where articles put attributions. A country may be
   named by any of its names (``rag.places``); of the two names an either/or question offers, the
   answer must name the one it chose, and its cited text that one.
A claim that passes and is not a restatement of its source in the source's own words goes to ``judge``
(the chat model asked whether the source states this answer to the question, ``rag.judge``; a claim it
keeps unsure is withdrawn when its own short answer from the source names something else,
``rag.agree``), when one is configured; the source it reads is the cited sentence, with the sentences
before it when the claim's subject stands there (2. above). A second draft (``rag.redraft``) sends its
restatements to the check too (``judge_every``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from rag.agree import Agreement
from rag.asks import (
    attributed,
    covers_periods,
    gives_kind,
    option_names,
    periods,
    question_kind,
    question_names,
)
from rag.binding import misbound
from rag.direction import reverses
from rag.ground import Evidence, Grounded, cited_text, names_stand
from rag.judge import Judge
from rag.parts import asked_part, on_its_own, question_parts
from rag.text import (
    STOPWORDS,
    WORD,
    content_words,
    figures,
    names_supported,
    stem,
)
from rag.types import Sentence, Status

COPY_WINDOW = 6  # words in a row shared with the prompt that count as copying it


def word_runs(prompt: str, window: int = COPY_WINDOW) -> frozenset[tuple[str, ...]]:
    """Every run of ``window`` consecutive words of ``prompt``, lower-cased."""
    words = [w.lower() for w in WORD.findall(prompt)]
    return frozenset(tuple(words[i : i + window]) for i in range(len(words) - window + 1))


def copy_start(text: str, runs: frozenset[tuple[str, ...]], window: int = COPY_WINDOW) -> int | None:
    """The offset in ``text`` where it starts repeating one of ``runs`` (``word_runs``), or None."""
    found = list(WORD.finditer(text))
    for i in range(len(found) - window + 1):
        if tuple(m.group().lower() for m in found[i : i + window]) in runs:
            return found[i].start()
    return None


def copies(claim: str, prompt: str, window: int = COPY_WINDOW) -> bool:
    """Whether ``claim`` repeats ``window`` or more consecutive words of ``prompt``."""
    return copy_start(claim, word_runs(prompt, window), window) is not None


@dataclass(frozen=True)
class Check:
    """One sentence's verdict: kept or withdrawn, and by which rule."""

    sentence: Sentence
    kept: bool
    rule: str


TRIGRAM_COVERAGE = 0.7  # share of a claim's word triples found in its source for it to count as a restatement


# Function words that change what a sentence claims; they stay in the content sequence below, so
# "did not join" and "rose to 22% from 31%" never read as restatements of "joined", "from 22% to 31%".
RELATION_WORDS = frozenset(
    "not no nor never without than more less most least before after above below over under from to by "
    "against up down only all few".split()
)


def _trigrams(words: list[str]) -> set[tuple[str, ...]]:
    return {tuple(words[i : i + 3]) for i in range(len(words) - 2)}


def _coverage(claim: list[str], source: list[str]) -> float:
    grams = _trigrams(claim)
    return len(grams & _trigrams(source)) / len(grams) if grams else 1.0


def _content_sequence(text: str) -> list[str]:
    """The stemmed words of ``text`` in order, without the function words that carry no claim: "Nick
    Turley is the head of ChatGPT" and "Nick Turley, head of ChatGPT" give the same sequence."""
    return [
        stem(w.strip("'’")) for w in WORD.findall(text) if w.lower() not in STOPWORDS or w.lower() in RELATION_WORDS
    ]


def restates(claim: str, source: str, question: str) -> bool:
    """A claim that says nothing its source does not say, in the source's own order of words (its
    function words aside: "X is the head of Y" restates "X, head of Y"), about nothing the question
    brings in that the source lacks ("every day" asked, "every week" written).
    Such a claim needs no model check; anything else does."""
    words = [w.lower() for w in WORD.findall(claim)], [w.lower() for w in WORD.findall(source)]
    covered = max(_coverage(*words), _coverage(_content_sequence(claim), _content_sequence(source)))
    said = content_words(source) | content_words(claim)
    return (
        covered >= TRIGRAM_COVERAGE
        and content_words(claim) <= content_words(source)
        and figures(claim) <= figures(source)
        and content_words(question) <= said
    )


def names_in_place(
    sentence: Sentence, question: str, cited: str, grounded: Grounded, evidence: Evidence
) -> str | None:
    """The text the names of ``sentence`` stand in (``names_stand``), or None when they do not stand
    where they must."""
    lead = " ".join(evidence.lead(grounded.chunk(n)) for n in sentence.citations)
    return names_stand(sentence.text, question, cited, lead)


def what_it_cites(sentence: Sentence, grounded: Grounded, evidence: Evidence) -> str:
    """The text a sentence's citations stand for (``cited_text`` of each)."""
    return " ".join(cited_text(grounded.chunk(n), evidence) for n in sentence.citations)


def verify(
    question: str,
    grounded: Grounded,
    evidence: Evidence,
    prompt: str = "",
    judge: Judge | None = None,
    judge_every: bool = False,
) -> tuple[Grounded, list[Check]]:
    """Withdraw the sentences of ``grounded`` whose meaning its citations do not carry; withdraw the
    whole answer when no sentence answers ``question``. Returns the new result and every verdict.
    ``judge_every`` sends restatements of their source to ``judge`` too (words copied from the wrong
    sentence are a restatement of it)."""
    if grounded.status is not Status.ANSWERED:
        return grounded, []
    standing = {
        s: names_in_place(s, question, what_it_cites(s, grounded, evidence), grounded, evidence)
        for s in grounded.sentences
        if s.citations
    }
    cited = {s: text for s, text in standing.items() if text is not None}  # what the model check reads
    checks: list[Check] = []
    for s in grounded.sentences:
        if not s.citations:
            checks.append(Check(s, True, "uncited"))  # no factual content (grounding decided)
        elif prompt and copies(s.text, prompt):
            checks.append(Check(s, False, "copies the prompt"))
        elif standing[s] is None:
            checks.append(Check(s, False, "names not in the cited sentence"))
        elif reverses(s.text, " ".join(grounded.chunk(n).text for n in s.citations)):  # the relation's own sentence
            checks.append(Check(s, False, "the other way round from the cited sentence"))
        elif why := misbound(s.text, question, [grounded.chunk(n).text for n in s.citations]):
            checks.append(Check(s, False, why))
        else:
            checks.append(Check(s, True, "lexical"))
    kept = [c for c in checks if c.kept and c.sentence.citations]
    # The answer must address the question, each part of a two-part question on its own: a sentence
    # answers the part it shares the most words with (every part, when it shares as many with each).
    # A part that points back ("what did he do?") is read with what it points to (``on_its_own``).
    parts = question_parts(question)
    part_of = {c.sentence: asked_part(question, c.sentence.text) if len(parts) > 1 else question for c in kept}
    alone = {"": question}
    for i, p in enumerate(parts):
        earlier = [c.sentence.text for c in kept if part_of[c.sentence] in parts[:i]]
        alone[p] = on_its_own(question, p, earlier, guess=False)  # a claim is never judged on a guess
    mine = {p: [c for c in kept if part_of[c.sentence] in (p, "")] for p in parts}
    missing = {p: why for p in parts if (why := _unanswered(alone[p], mine[p], grounded, evidence))}
    if len(missing) == len(parts):
        checks = [replace(c, kept=False, rule=missing[parts[0]]) if c.kept else c for c in checks]
    else:
        checks = [replace(c, kept=False, rule=missing[part_of[c.sentence]]) if part_of.get(c.sentence) in missing
                  else c for c in checks]  # fmt: skip
        if judge is not None:
            checks = [_judged(c, alone[part_of.get(c.sentence, "")], cited, judge, judge_every) for c in checks]
    return _rebuild(grounded, checks), checks


def _unanswered(question: str, kept: list[Check], grounded: Grounded, evidence: Evidence) -> str | None:
    """Why no sentence of ``kept`` answers ``question`` (None when one does): one must give the kind
    asked for, and what they cite, together with the sentences just before (where an article sets the
    scene: "In 2022, ..." then "At the end of the year, ..."), must name the question's subject (of
    the names an either/or question offers to choose from, one) and its periods, and the source it
    attributes the fact to around them."""
    kind, sources = question_kind(question), attributed(question)
    cited = [grounded.chunk(n) for c in kept for n in c.sentence.citations]
    together = " ".join(evidence.lead(chunk) for chunk in cited)
    around = " ".join(evidence.paragraph(chunk) for chunk in cited)
    subject = [n for n in question_names(question, around) if n not in sources]
    answering = [c for c in kept if gives_kind(c.sentence.text, kind, question)]
    offered = option_names(question, subject)  # "at Google or at Meta?": the one the answer chose is enough
    claims = " ".join(c.sentence.text for c in answering)
    chosen = not offered or any(names_supported([n], claims) and names_supported([n], together) for n in offered)
    asked = [n for n in subject if n not in offered]
    on_subject = names_supported(asked, together) and chosen and names_supported(sources, around)
    if answering and on_subject and covers_periods(question, together):
        return None
    about = " ".join(" ".join(n) for n in subject) or "it"
    return f"no sentence gives the {kind} asked for about {about} {' '.join(sorted(periods(question)))}".strip()


def _judged(check: Check, question: str, cited: dict[Sentence, str], judge: Judge, every: bool) -> Check:
    if not check.kept or not check.sentence.citations:
        return check
    source = cited[check.sentence]
    if not every and restates(check.sentence.text, source, question):
        return check
    verdict = judge(source, question, check.sentence.text)
    if verdict.holds:
        return replace(check, rule=verdict.describe())
    differs = verdict.agreement is Agreement.DIFFERS
    why = "the model's own answer from the source differs" if differs else "the model found the source does not say it"
    return replace(check, kept=False, rule=f"{why} ({verdict.describe()})")


def _rebuild(grounded: Grounded, checks: Sequence[Check]) -> Grounded:
    """Keep the verified sentences; drop citations nobody uses and renumber the rest 1..n."""
    kept = [c.sentence for c in checks if c.kept]
    withdrawn = tuple(c.sentence.text for c in checks if not c.kept)
    used = sorted({n for s in kept for n in s.citations})
    if not used:
        return Grounded(Status.UNSUPPORTED, dropped=grounded.dropped + withdrawn)
    renumber = {old: new for new, old in enumerate(used, 1)}
    citations = tuple(replace(c, n=renumber[c.n]) for c in grounded.citations if c.n in renumber)
    sentences = tuple(replace(s, citations=tuple(renumber[n] for n in s.citations)) for s in kept)
    chunks = tuple(grounded.chunk(n) for n in used)
    return Grounded(Status.ANSWERED, sentences, citations, grounded.dropped + withdrawn, chunks)
