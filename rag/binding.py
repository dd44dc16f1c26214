"""Figure binding: a figure that a claim shares with the sentence it cites must keep the place it has
there. A sentence with several figures gives each its own period, measure and role ("350 million in
March ..., 650 million by October"; "70% of assistant usage and 10% of search"; "jumped to 650
million", a level, not "grew by" it, a change), and a small model answering from it readily moves a
figure onto its neighbour's. Every word of such a claim is in its source, so grounding passes it and
the yes/no check scores it like a true one; the order of the source's words settles it.

These bindings of figures are read, each only where the source spells it out:
- **period**: in a sentence with as many figures as months or years, the n-th figure belongs to the
  n-th period ("In March ... 350 million, but by October ... 650 million");
- **measure**: a percentage belongs to the words of its "of" phrase ("70% of global AI assistant usage");
- **role**: a figure after "by", "up" or "down" is a change; after "to" or "from", a level.
- **difference**: a figure followed by "more", "larger", "higher", "times" ... is a difference or ratio
  ("22.5% larger than"); a figure the source states as a level or change is not one;
- **clause**: where clauses say the same of two measures, each with its figure ("time spent fell by
  22.5%, and the number of conversations by 20.7%"), a claim giving one measure's figure does not
  answer a question about the other's (``measure_elsewhere``).
A claim that moves a figure to a period or measure its source binds to *another* figure, gives a
level as a change (or the reverse), or gives a stated figure as the gap between two, is withdrawn. A
claim that states no period or measure of its own answers the question's ("How many ... in March?"
"650 million").

Periods are bound to events too: "has slowed since April and has stagnated since September" dates
the stagnation to September, so "Since April" does not answer "since when has it stagnated?".

Roles are bound the same way: "Who is the CEO of Meta?" is not answered by a sentence that makes
someone "CEO of Instacart" with Meta named beside it (a swap the yes/no check let through as a quote),
nor "what was his role at Google?" by a claim that places him at OpenAI, and no claim may make her
"CEO of Meta" from that sentence, whatever was asked.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from rag.asks import Kind, name_words, quantities, question_kind
from rag.parts import asked_part
from rag.text import CLAUSES, MONTHS, NUMBER, STOPWORDS, TOKEN, WORD, content_words, figures, stem

YEAR = re.compile(r"(19|20)\d\d")
HEDGES = frozenset(
    "$ € £ about around nearly almost over under approximately roughly some just only more less fewer than".split()
)
CHANGE, LEVEL = "change", "level"
ROLE_WORDS = {"by": CHANGE, "up": CHANGE, "down": CHANGE, "to": LEVEL, "from": LEVEL}
PROPORTION = frozenset("% percent per cent".split())
PART_WORDS = frozenset("percentage percent share portion proportion fraction part".split())
# Where a measure's "of" phrase ends: a clause or another figure begins.
PHRASE_ENDS = frozenset(
    "and or but while whereas than is was are were has had have do does did which that who in on for by to "
    "from with at as".split()
)
FUNCTION_WORDS = STOPWORDS | HEDGES | ROLE_WORDS.keys()
ASKS_CHANGE = re.compile(r"\bby how (much|many)\b|\bby what (percentage|amount|factor)\b", re.IGNORECASE)


@dataclass(frozen=True)
class _Figure:
    value: str  # "650", "22.5"
    at: int  # token index


def _tokens(text: str) -> list[str]:
    return TOKEN.findall(text)


def _amounts(tokens: list[str]) -> list[_Figure]:
    """The figures among ``tokens`` that are amounts: not a year, a version ("Gemini 3") or a day ("March 1")."""
    found = []
    for i, token in enumerate(tokens):
        if not NUMBER.fullmatch(token) or YEAR.fullmatch(token):
            continue
        before = tokens[i - 1] if i else ""
        if before[:1].isupper() and (before.lower() in MONTHS or before.lower() not in FUNCTION_WORDS):
            continue  # a version ("Gemini 3") or a day ("March 1"); not "By 650 million"
        found.append(_Figure(token.replace(",", ""), i))
    return found


def _periods(tokens: list[str]) -> list[str]:
    """The months (capitalised) and years of ``tokens``, in order."""
    return [t.lower() for t in tokens if (t[:1].isupper() and t.lower() in MONTHS) or YEAR.fullmatch(t)]


def _by_period(tokens: list[str]) -> dict[str, set[str]]:
    """The periods of each figure, where a sentence gives as many figures as periods: the n-th figure
    belongs to the n-th period."""
    amounts, periods = _amounts(tokens), _periods(tokens)
    if len(amounts) != len(periods):
        return {}
    paired: dict[str, set[str]] = {}
    for figure, period in zip(amounts, periods, strict=True):
        paired.setdefault(figure.value, set()).add(period)
    return paired


def _role(tokens: list[str], at: int) -> str | None:
    i = at - 1
    while i >= 0 and tokens[i].lower() in HEDGES:
        i -= 1
    return ROLE_WORDS.get(tokens[i].lower()) if i >= 0 else None


COMPARATIVES = frozenset("more fewer less larger bigger greater higher lower smaller times".split())
UNITS = frozenset("% percent percentage point points per cent million billion trillion thousand".split())


def _difference(tokens: list[str], at: int) -> bool:
    """Whether the figure at ``at`` is stated as a difference or ratio: "22.5% larger than", "300
    million more", "three times"; not "more than 800 million", where the comparison is a hedge."""
    i = at + 1
    while i < len(tokens) and i <= at + 3 and tokens[i].lower() in UNITS:
        i += 1
    return i < len(tokens) and tokens[i].lower() in COMPARATIVES


def _phrase(tokens: list[str], start: int) -> set[str]:
    """The stemmed content words from ``start`` to where the phrase ends."""
    words: set[str] = set()
    for token in tokens[start:]:
        lowered = token.lower()
        if lowered in PHRASE_ENDS or NUMBER.fullmatch(token) or not token[:1].isalnum():
            break
        words |= {stem(part) for part in lowered.split("-") if part and part not in STOPWORDS}
    return words


def _measure(tokens: list[str], at: int) -> set[str]:
    """The words of a percentage's "of" phrase ("70% of global AI assistant usage")."""
    i = at + 1
    if i < len(tokens) and tokens[i].lower() in PROPORTION:
        i += 2 if tokens[i].lower() == "per" else 1
        if i < len(tokens) and tokens[i].lower() == "of":
            return _phrase(tokens, i + 1)
    return set()


def _asked_measure(question: str) -> set[str]:
    """The measure a question asks a share of ("What portion of worldwide web-search activity ...")."""
    tokens = _tokens(question)
    for i, token in enumerate(tokens[:-1]):
        if token.lower() in PART_WORDS and tokens[i + 1].lower() == "of":
            return _phrase(tokens, i + 2)
    return set()


def _conflict(claim: list[str], question: str, figure: _Figure, count: int, source: list[str]) -> str | None:
    """Why ``figure`` of the claim stands somewhere other than in ``source`` (None when it does not)."""
    occurrences = [f for f in _amounts(source) if f.value == figure.value]
    by_period = _by_period(source)
    if figure.value in by_period:
        own = _by_period(claim).get(figure.value, set())
        stated = own or (set(_periods(claim)) if count == 1 else set())
        stated = stated or (set(_periods(_tokens(question))) if count == 1 else set())
        others = set().union(*(p for v, p in by_period.items() if v != figure.value))
        if stated and not stated & by_period[figure.value] and stated & others:
            given, there = "/".join(sorted(stated)), "/".join(sorted(by_period[figure.value]))
            return f"{figure.value} is given for {there} in the cited sentence, not {given}"
    measure = _measure(claim, figure.at) or (_asked_measure(question) if count == 1 else set())
    owns = [_measure(source, f.at) for f in occurrences]
    others = set().union(*(_measure(source, f.at) for f in _amounts(source) if f.value != figure.value))
    owns = [own - others for own in owns]  # "market" in "45% of the storage market and 12% of the email market"
    if measure and all(owns) and not any(measure & own for own in owns) and measure & (others - set().union(*owns)):
        return f"{figure.value}% is the share of {' '.join(sorted(owns[0]))} in the cited sentence"
    if _difference(claim, figure.at) and not any(_difference(source, f.at) for f in occurrences):
        return f"{figure.value} is not a difference in the cited sentence, but is given as one"
    role = _role(claim, figure.at) or (CHANGE if count == 1 and ASKS_CHANGE.search(question) else None)
    roles = {_role(source, f.at) for f in occurrences} - {None}
    if role and roles and role not in roles:
        return f"{figure.value} is a {roles.pop()} in the cited sentence, given as a {role}"
    return None


def misbound(claim: str, question: str, sources: Sequence[str]) -> str | None:
    """Why ``claim`` puts a figure of the sentences it cites in another figure's place, answers a
    question about a role at one organisation from sentences giving that role at another, or itself
    moves a role to another organisation; None when it does none of these. A figure counts as
    misplaced only when no cited sentence that has it binds it as the claim does."""
    question = asked_part(question, claim)
    tokens = _tokens(claim)
    amounts = _amounts(tokens)
    for figure in amounts:
        having = [s for s in map(_tokens, sources) if any(f.value == figure.value for f in _amounts(s))]
        reasons = [_conflict(tokens, question, figure, len(amounts), s) for s in having]
        if reasons and all(reasons):
            return reasons[0]
    return (
        role_elsewhere(question, sources, claim)
        or role_moved(claim, sources)
        or date_elsewhere(claim, question, sources)
        or measure_elsewhere(claim, question, sources)
    )


CLAUSE_ENDS = frozenset(", ; : ( ) and but while whereas or".split())


def _event(tokens: list[str], at: int) -> str | None:
    """The word a period at ``at`` dates: the nearest content word before it in its clause, adverbs in
    "-ly" skipped ("has stagnated since September" → stagnat); None at the clause's start ("In March, ...")."""
    i = at - 1
    while i >= 0 and tokens[i].lower() not in CLAUSE_ENDS:
        word = tokens[i].lower()
        if word[:1].isalpha() and word not in STOPWORDS and not word.endswith("ly") and word not in HEDGES:
            return stem(word)
        i -= 1
    return None


def date_elsewhere(claim: str, question: str, sources: Sequence[str]) -> str | None:
    """Why ``claim`` answers "when" with a period its cited sentence gives for another event: in "has
    slowed since April and has stagnated since September", stagnation dates from September. Read only
    where every period of the sentence dates a word of its own clause."""
    asked = {stem(w) for w in _tokens(question) + _tokens(claim)}
    given = set(_periods(_tokens(claim)))
    for source in map(_tokens, sources):
        dated = [(t.lower(), _event(source, i)) for i, t in enumerate(source) if _periods([t])]
        events = {e for _, e in dated}
        if not given or None in events or not given <= {p for p, _ in dated}:
            continue
        own = {e for p, e in dated if p in given}
        meant = {p for p, e in dated if e in asked}
        if meant and not own & asked:
            said, asked_for = "/".join(sorted(given)), "/".join(sorted(meant))
            return f"the cited sentence gives {said} for another event than {asked_for}"
    return None


EXCLUSION = re.compile(r"\b(?:other than|besides|apart from|aside from|except|instead of|other)\b", re.IGNORECASE)


def _lowercase_words(text: str) -> set[str]:
    """The stemmed content words of ``text`` written in lower case: what it measures, not whose."""
    return content_words(" ".join(w for w in WORD.findall(text) if w.islower()))


def measure_elsewhere(claim: str, question: str, sources: Sequence[str]) -> str | None:
    """Why ``claim`` answers a "how much" question with the figure its cited sentence gives for another
    measure: "The number of conversations has decreased by 20.7%" does not say how much less *time*
    users spend, which the same sentence gives in a clause of its own (22.5%). Read only where each
    figure stands in its own clause and the clauses say the same of different measures ("decreased"),
    the claim names its figure's measure, and the question names the other clause's (two words of it
    at least) and nothing of the claim's (a question "other than ..." names what it excludes), and the
    clauses do not name two subjects ("ChatGPT's share ..., while Gemini's ..."). "120 engineers in
    January, but by June the team had grown to 310" says nothing alike of the two: "the team" may be
    the engineers."""
    if question_kind(question) is not Kind.FIGURE or EXCLUSION.search(question):
        return None
    said = _lowercase_words(claim[:1].lower() + claim[1:])  # "Conversations fell ..." names a measure
    asked, given = _lowercase_words(question), quantities(claim)
    for source in sources:
        clauses = [c for c in CLAUSES.split(source) if quantities(c)]
        for value in given:
            own = [c for c in clauses if value in figures(c)]
            rest = [c for c in clauses if value not in figures(c)]
            if len(own) != 1 or not rest or any(given & figures(c) for c in rest):
                continue
            ours, others = name_words(own[0]), name_words(" ".join(rest))
            if ours and others and ours != others:
                continue  # "ChatGPT's share fell to 70%, while Gemini's rose to 20%": two subjects
            mine, theirs = _lowercase_words(own[0]), set().union(*map(_lowercase_words, rest))
            parallel = mine & theirs  # the same thing said of two measures ("decreased by")
            elsewhere = asked & (theirs - mine)  # two words at least: "time ... users", not "app" alone
            if parallel and said & (mine - theirs) and len(elsewhere) > 1 and not asked & (mine - theirs):
                return f"{value} is given for another measure in the cited sentence than the one asked about"
    return None


# Roles a person holds at an organisation; "the CEO of Meta" is answered only by a sentence that
# gives Meta's CEO, not Instacart's with Meta named beside it.
ROLES = frozenset(
    "ceo cfo cto coo president chairman chairwoman chair founder co-founder cofounder head editor director "
    "boss chief leader owner".split()
)
LINKS = frozenset({"of", "at"})
POSSESSIVE = re.compile(r"['’]s$")
# What a question asks when it asks someone's place at an organisation without naming the role.
ANY_ROLE = frozenset("role position job title post".split())
KNOWN = ROLES | ANY_ROLE


def _org_after(tokens: list[str], i: int) -> tuple[str, ...]:
    """The name run starting at ``i`` (an article skipped), stopping at a possessive or a non-name."""
    if i < len(tokens) and tokens[i].lower() == "the":
        i += 1
    run: list[str] = []
    while i < len(tokens) and tokens[i][:1].isupper() and tokens[i].lower() not in STOPWORDS | ROLES:
        run.append(re.sub(r"['’]s$", "", tokens[i]).lower())
        if run[-1] != tokens[i].lower():
            break
        i += 1
    return tuple(run)


def _org_before(tokens: list[str], i: int) -> tuple[str, ...]:
    """The name run ending just before ``i`` ("OpenAI's CFO", "Google CEO")."""
    run: list[str] = []
    while i > 0 and tokens[i - 1][:1].isupper() and tokens[i - 1].lower() not in STOPWORDS | ROLES:
        word = re.sub(r"['’]s$", "", tokens[i - 1]).lower()
        if run and word != tokens[i - 1].lower():
            break  # "Meta's" ends the run it is part of, not the one after it
        run.insert(0, word)
        i -= 1
    return tuple(run)


def _role_word(token: str) -> str:
    """The role ``token`` names ("CEO", "founders" → "founder"), or "" for any other word."""
    lowered = token.lower()
    return lowered if lowered in KNOWN else lowered[:-1] if lowered.endswith("s") and lowered[:-1] in KNOWN else ""


def roles(text: str, strict: bool = False) -> list[tuple[str, tuple[str, ...]]]:
    """The (role, organisation) pairs ``text`` states: "CEO of Instacart", "OpenAI's CFO", "Google CEO".
    ``strict`` reads only the linked ("CEO of Instacart") and possessive ("OpenAI's CFO") forms: in
    "Former CEO Jane Roe" or "Orbit named Jane Roe CEO" the words before the role are not its
    organisation."""
    tokens = _tokens(text)
    found = []
    for i, token in enumerate(tokens):
        role = _role_word(token)
        if not role:
            continue
        linked = i + 1 < len(tokens) and tokens[i + 1].lower() in LINKS
        if strict and not linked and not (i > 0 and POSSESSIVE.search(tokens[i - 1])):
            continue
        org = _org_after(tokens, i + 2) if linked else _org_before(tokens, i)  # "was Jane Roe CEO of ...": hers
        if org:
            found.append((role, org))
    return found


def role_moved(claim: str, sources: Sequence[str]) -> str | None:
    """Why ``claim`` gives a role at an organisation that the sentences it cites give at another one
    only: "Fidji Simo was CEO of Meta" from "... previously led Facebook apps at Meta and later served
    as CEO of Instacart", whatever the question asked. Read only in the linked and possessive forms
    (``roles(strict=True)``), where the cited sentences name the claim's organisation too, and where
    every mention of the role in them has its organisation read ("Zeta named Jane Roe as its CEO" does
    not say whose it is to this parser, so it is left to the model check)."""
    tokens = [_tokens(s) for s in sources]
    read = [roles(s, strict=True) for s in sources]  # each source's (role, organisation) pairs
    named = {POSSESSIVE.sub("", t).lower() for words in tokens for t in words}
    for role, org in roles(claim, strict=True):
        if role in ANY_ROLE or not set(org) <= named:
            continue
        held = [o for pairs in read for r, o in pairs if r == role]
        unread = any(
            sum(_role_word(t) == role for t in words) > sum(r == role for r, _ in pairs)
            for words, pairs in zip(tokens, read, strict=True)
        )
        if held and not unread and not any(set(o) & set(org) for o in held):
            return f"the cited sentence gives the {role} of {' '.join(held[0])}, not of {' '.join(org)}"
    return None


def role_elsewhere(question: str, sources: Sequence[str], claim: str = "") -> str | None:
    """Why the sentences cited do not give the role the question asks about at the organisation it
    names, when they give that role at another one ("CEO of Instacart" for "Who is the CEO of Meta?");
    or why ``claim`` answers "what is her role at Google?" with a place at another organisation."""
    for role, org in roles(question)[:1]:
        if role in ANY_ROLE:
            tokens = _tokens(claim)
            placed = [o for i, t in enumerate(tokens) if t.lower() == "at" and (o := _org_after(tokens, i + 1))]
            if placed and not any(set(o) & set(org) for o in placed):
                return f"the answer gives a place at {' '.join(placed[0])}, not at {' '.join(org)}"
            claimed = [r for r, o in roles(claim) if set(o) & set(org)]  # "he is the CEO of OpenAI": is he?
            if not claimed:
                continue
            role = claimed[0]
        held = [o for s in sources for r, o in roles(s) if r == role]
        if held and not any(set(o) & set(org) for o in held):
            return f"the cited sentence gives the {role} of {' '.join(held[0])}, not of {' '.join(org)}"
    return None
