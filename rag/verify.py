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
   must not relate two of them the other way round ("GPT-5.1 surpassed Gemini 3 Pro", ``direction``);
3. the answer must give the kind the question asks for (a name for "who", a figure for "how many",
   a date for "when"), one the question did not already contain;
4. what the answer's sentences cite, together, must name the question's own subject and speak of the
   period it asks about ("every month" is not answered by a figure for "every week"); a source the
   question attributes the fact to ("according to Apptopia, ...") is not its subject: it must be named
   around the cited sentences (its paragraph), where articles put attributions.
A claim that passes and is not a restatement of its source in the source's own words goes to ``judge``
(the chat model asked whether the source states this answer to the question, ``rag.judge``), when one
is configured.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from enum import StrEnum

from rag.direction import reverses
from rag.ground import Evidence, Grounded
from rag.judge import Judge
from rag.text import (
    MONTHS,
    NUMBER,
    STOPWORDS,
    TOKEN,
    WORD,
    content_words,
    figures,
    names,
    names_supported,
    refers_back,
    stem,
)
from rag.types import Sentence, Status

COPY_WINDOW = 6  # words in a row shared with the prompt that count as copying it
NUMBER_WORDS = frozenset(
    "one two three four five six seven eight nine ten eleven twelve twenty thirty forty fifty "
    "hundred hundreds thousand thousands million millions billion billions trillion half double "
    "twice".split()
)
# Nationality and regional adjectives: in a run with the question's own subject ("the Chinese DeepSeek
# team" asked who founded DeepSeek) they describe that subject; they never name someone else.
DEMONYMS = frozenset(
    "african american arab asian australian brazilian british canadian chinese dutch european french german "
    "indian irish israeli italian japanese korean mexican nordic russian saudi spanish swedish swiss taiwanese "
    "turkish ukrainian western eastern".split()
)
# Capitalised words that name a field, not anyone in it: "leading AI models" asks about models, and an
# article need not repeat "AI" in the sentence that answers.
GENERIC_NAMES = frozenset({("ai",)})
DATE_WORDS = MONTHS | frozenset(
    "monday tuesday wednesday thursday friday saturday sunday today yesterday tomorrow week weeks "
    "month months year years ago since until beginning end early late next last recently".split()
)


class Kind(StrEnum):
    """What kind of answer a question asks for."""

    NAME = "name"  # who / which company / what publication ...
    FIGURE = "figure"  # how many / how much / what percentage ...
    DATE = "date"  # when / what date / since when ...
    OTHER = "other"  # why, what is, how ... (no lexical expectation)


QUESTION_KINDS = (
    (Kind.FIGURE, re.compile(
        r"\b(how (much|many|large|big|long|far|fast|high|low)|by (how much|what (percentage|factor|amount)))\b|"
        r"\bwhat\b[^?]{0,40}?\b(percentage|share|number|amount|proportion|portion|rate|size|count|"
        r"valuation|revenue|price|cost|market cap\w*|figure)\b",
        re.I,
    )),
    (Kind.DATE, re.compile(r"^\s*(since )?when\b|\b(what|which) (date|day|year|month|time)\b|\bsince when\b", re.I)),
    (Kind.NAME, re.compile(
        r"^\s*(who|whom|whose)\b|\b(which|what) (company|companies|firm|publication|outlet|newspaper|media|"
        r"person|people|executive|organi[sz]ation|bank|startup|model|product|team|app|browser|partner)\b",
        re.I,
    )),
)  # fmt: skip


ATTRIBUTION = re.compile(
    r"(?i:\b(?:according to|as per|per|citing|reported by|data from|figures from|numbers from)\s+(?:the\s+)?)"
    r"((?:[A-Z][\w'’&.-]*(?:\s+|(?=[,?.;:])|$))+)"
)


def attributed(question: str) -> list[tuple[str, ...]]:
    """The names a question gives as the source of the fact it asks about ("According to Apptopia, ...",
    "per Reuters"): who reported it, not what it is about."""
    return [n for m in ATTRIBUTION.finditer(question) for n in names(m.group(1))]


def question_names(question: str, around: str) -> list[tuple[str, ...]]:
    """The names of ``question``. Its first word is capitalised by position ("Measured against ...",
    "Put bluntly, ..."): it counts as a name only when possessive ("Google's ...") or when ``around``
    (the text around what the answer cites) has it too, capitalised as written ("put it more
    directly" does not make "Put" a name)."""
    found = [run for run in names(question) if run not in GENERIC_NAMES]
    first = TOKEN.match(question.strip())  # a possessive token ("google's") is never its name ("google")
    if not found or first is None or found[0][0] != first.group(0).lower():
        return found
    if re.search(rf"(?<![\w'’-]){re.escape(first.group(0))}(?![\w-])", around):
        return found
    return ([found[0][1:]] if len(found[0]) > 1 else []) + found[1:]


def question_kind(question: str) -> Kind:
    """The kind of answer ``question`` asks for (``OTHER`` when it does not say)."""
    for kind, pattern in QUESTION_KINDS:
        if pattern.search(question):
            return kind
    return Kind.OTHER


def _name_words(text: str) -> set[str]:
    return {word for run in names(text) for word in run}


VERSION = re.compile(r"([A-Za-z]+)([- ]?)(\d+(?:\.\d+)*)")  # GPT-5.1, Opus 4.5, V3.2


def quantities(text: str) -> set[str]:
    """The figures of ``text`` that are amounts, not part of a name or version: a number joined to a
    word ("GPT-5.1", "V3") or following a name ("Claude Opus 4.5") is a version."""
    name_words = _name_words(text)
    versions = {m.group(3) for m in VERSION.finditer(text) if m.group(2) != " " or m.group(1).lower() in name_words}
    return {f for f in figures(text) if f[:1].isdigit() and f not in versions}


def _words(text: str) -> set[str]:
    return {w.lower() for w in WORD.findall(text)}


# A question that asks for a share wants a proportion back, not a count of users or dollars.
ASKS_SHARE = re.compile(
    r"\b(what|which)\s+(percentage|percent|share|proportion|fraction|portion)\b|\bpercentage points?\b|"
    r"\bby what percent(age)?\b|\bhow many percent\b",
    re.IGNORECASE,
)
FRACTION_WORDS = frozenset("half halves third thirds quarter quarters fifth fifths tenth tenths majority".split())
PROPORTION = re.compile(
    r"%|\bper ?cent\b|\bpercentage points?\b|\b(half|halves|thirds?|quarters?|fifths?|tenths?|majority)\b|"
    r"\bone in \w+\b",
    re.IGNORECASE,
)


def gives_kind(claim: str, kind: Kind, question: str) -> bool:
    """Whether ``claim`` contains an answer of ``kind`` that the question did not already contain (for a
    share, a proportion: "650 million users" does not say what share of usage that is)."""
    if kind is Kind.FIGURE:
        fresh = _words(claim) - _words(question)
        if ASKS_SHARE.search(question):
            if not PROPORTION.search(claim):
                return False
            fresh -= {"percent", "percentage", "points"}  # the unit alone is no figure
            return bool(quantities(claim) - figures(question)) or bool(fresh & (NUMBER_WORDS | FRACTION_WORDS))
        return bool(quantities(claim) - figures(question)) or bool(fresh & NUMBER_WORDS)
    if kind is Kind.DATE:
        words = {w.lower() for w in WORD.findall(claim)}
        return bool(NUMBER.search(claim)) or bool(words & DATE_WORDS)
    if kind is Kind.NAME:
        return bool(new_names(claim, question))
    return True


def new_names(claim: str, question: str) -> set[str]:
    """The name words of ``claim`` that the question does not already contain: the names it answers
    with. A name run that holds the question's subject is that subject, however described: a
    nationality beside it ("the Chinese DeepSeek team") names nobody new."""
    asked = _name_words(question)
    found: set[str] = set()
    for run in names(claim):
        fresh = set(run) - asked
        found |= fresh - DEMONYMS if len(fresh) < len(run) else fresh
    return found


PERIOD = re.compile(
    r"\b(every|each|per|this|next|last|past|previous|coming)\s+(day|week|month|quarter|year)s?\b|"
    r"\b(daily|weekly|monthly|quarterly|yearly|annually|annual)\b|\b(1[89]\d\d|20\d\d)\b",
    re.IGNORECASE,
)
ADVERB_UNITS = {"daily": "day", "weekly": "week", "monthly": "month", "quarterly": "quarter", "yearly": "year"}
SAME_MODIFIER = {"each": "every", "per": "every", "past": "last", "previous": "last"}


def periods(text: str) -> set[str]:
    """The periods ``text`` speaks of, normalised: "every week" = "weekly", "past month" = "last month",
    and years ("2022"); month names are figures already."""
    found = set()
    for m in PERIOD.finditer(text):
        modifier, unit, adverb, year = (g.lower() if g else g for g in m.groups())
        if year:
            found.add(year)
        elif adverb:
            found.add(f"every {ADVERB_UNITS.get(adverb, 'year')}")
        else:
            found.add(f"{SAME_MODIFIER.get(modifier, modifier)} {unit}")
    return found


def covers_periods(question: str, source: str) -> bool:
    """Whether every period the question asks about ("every month", "next year", "2024") is one the
    cited text speaks of: "800 million every week" does not answer "how many every month"."""
    wanted = periods(question)
    return wanted <= periods(source)


def copies(claim: str, prompt: str, window: int = COPY_WINDOW) -> bool:
    """Whether ``claim`` repeats ``window`` or more consecutive words of ``prompt``."""
    words = [w.lower() for w in WORD.findall(claim)]
    prompt_words = [w.lower() for w in WORD.findall(prompt)]
    grams = {tuple(prompt_words[i : i + window]) for i in range(len(prompt_words) - window + 1)}
    return any(tuple(words[i : i + window]) in grams for i in range(len(words) - window + 1))


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


PARTICIPLE_OPENER = re.compile(r"^\W*[A-Z][a-z]+(?:ing|ed)\b")  # "Depending on ...", "Founded in ..."


def names_in_place(sentence: Sentence, question: str, cited: str, grounded: Grounded, evidence: Evidence) -> bool:
    """Whether the names of ``sentence`` stand where they must: all of them in the sentence it cites;
    or, when that sentence names nobody the claim does not ("Depending on the urgency, there are
    yellow and orange alerts"), the names the claim repeats from the question (its subject: "Silicon
    Valley firms") in the sentences just before, where the article set the scene. A cited sentence
    about someone else ("Simo became CEO of Applications") never lends its role to the question's
    subject named nearby."""
    claim_names = names(sentence.text)
    if names_supported(claim_names, cited.lower()):
        return True
    claim_words = _name_words(sentence.text)
    others = [run for run in names(PARTICIPLE_OPENER.sub("", cited)) if not set(run) <= claim_words]
    if others:
        return False
    asked = _name_words(question)
    own = [run for run in claim_names if not set(run) <= asked]
    repeated = [run for run in claim_names if set(run) <= asked]
    lead = " ".join(evidence.lead(grounded.chunk(n)) for n in sentence.citations)
    return names_supported(own, cited.lower()) and names_supported(repeated, lead.lower())


def what_it_cites(sentence: Sentence, grounded: Grounded, evidence: Evidence) -> str:
    """The text a sentence's citations stand for: each cited sentence, with what comes just before it
    when it opens by referring back ("This executive, who joined ..." names her one sentence earlier)."""
    parts = []
    for n in sentence.citations:
        chunk = grounded.chunk(n)
        parts.append(evidence.lead(chunk) if refers_back(chunk.text) else chunk.text)
    return " ".join(parts)


def verify(
    question: str,
    grounded: Grounded,
    evidence: Evidence,
    prompt: str = "",
    judge: Judge | None = None,
) -> tuple[Grounded, list[Check]]:
    """Withdraw the sentences of ``grounded`` whose meaning its citations do not carry; withdraw the
    whole answer when no sentence answers ``question``. Returns the new result and every verdict."""
    if grounded.status is not Status.ANSWERED:
        return grounded, []
    kind = question_kind(question)
    sources = attributed(question)
    cited = {s: what_it_cites(s, grounded, evidence) for s in grounded.sentences if s.citations}
    checks: list[Check] = []
    for s in grounded.sentences:
        if not s.citations:
            checks.append(Check(s, True, "uncited"))  # no factual content (grounding decided)
        elif prompt and copies(s.text, prompt):
            checks.append(Check(s, False, "copies the prompt"))
        elif not names_in_place(s, question, cited[s], grounded, evidence):
            checks.append(Check(s, False, "names not in the cited sentence"))
        elif reverses(s.text, " ".join(grounded.chunk(n).text for n in s.citations)):  # the relation's own sentence
            checks.append(Check(s, False, "the other way round from the cited sentence"))
        else:
            checks.append(Check(s, True, "lexical"))
    kept = [c for c in checks if c.kept and c.sentence.citations]
    # The answer as a whole must address the question: some sentence gives the kind asked for, and what
    # the kept sentences cite, together with the sentences just before them (where an article sets the
    # scene: "In 2022, ..." then "At the end of the year, ..."), names the question's subject and its
    # periods (a two-part question is often answered in two sentences citing two passages).
    together = " ".join(evidence.lead(grounded.chunk(n)) for c in kept for n in c.sentence.citations)
    around = " ".join(evidence.paragraph(grounded.chunk(n)) for c in kept for n in c.sentence.citations)
    subject = [n for n in question_names(question, around) if n not in sources]
    answering = [c for c in kept if gives_kind(c.sentence.text, kind, question)]
    on_subject = names_supported(subject, together.lower()) and names_supported(sources, around.lower())
    if not (on_subject and covers_periods(question, together)):
        answering = []
    if not answering:
        about = " ".join(" ".join(n) for n in subject) or "it"
        reason = f"no sentence gives the {kind} asked for about {about} {' '.join(sorted(periods(question)))}".strip()
        checks = [replace(c, kept=False, rule=reason) if c.kept else c for c in checks]
    elif judge is not None:
        checks = [_judged(c, question, cited, judge) for c in checks]
    return _rebuild(grounded, checks), checks


def _judged(check: Check, question: str, cited: dict[Sentence, str], judge: Judge) -> Check:
    if not check.kept or not check.sentence.citations:
        return check
    source = cited[check.sentence]
    if restates(check.sentence.text, source, question):
        return check
    verdict = judge(source, question, check.sentence.text)
    if verdict.holds:
        return replace(check, rule=verdict.describe())
    return replace(check, kept=False, rule=f"the model found the source does not say it ({verdict.describe()})")


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
