"""What a question asks: the kind of answer it wants (a name, a figure, a date), its subject, the
periods it speaks of, and the source it attributes the fact to; whether a sentence gives that kind;
and, for a yes/no or either/or question, whether a claim in the question's own words answers it.
Verification (``rag.verify``) checks an answer against these, part by part for a question that asks
two things (``rag.parts``); grounding (``rag.ground``) asks ``answers_polar``.
"""

from __future__ import annotations

import re
from difflib import SequenceMatcher
from enum import StrEnum

from rag.text import MONTHS, NUMBER, TOKEN, WORD, content_words, figures, names

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


# Nouns whose instances are known by a name: "which company", "what toolkit", "which newly released
# OpenAI model" (up to three words between, after the question's first "which" or "what") ask for one;
# "what kind of product" and "... able to do with what big models know" do not.
NAMED_THINGS = (
    r"compan(?:y|ies)|firms?|publications?|outlets?|newspapers?|media|persons?|people|executives?|"
    r"organi[sz]ations?|banks?|startups?|models?|products?|teams?|apps?|browsers?|partners?|founders?|"
    r"investors?|accounts?|channels?|services?|platforms?|toolkits?|codenames?|divisions?|rivals?|competitors?"
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
        r"^\s*(who|whom|whose)\b|^(?:(?!\b(?:which|what)\b).)*\b(which|what)\s+"
        rf"(?:(?!(?:of|is|are|was|were|do|does|did|the|a|an)\b)[\w'’-]+\s+){{0,3}}?(?:{NAMED_THINGS})\b|"
        r"\bwhat(?:'s|’s|\s+is|\s+was|\s+are|\s+were)\s+(?:the\s+)?(?:name|codename)s?\b|"
        r"\bwhat\b[^?]{0,60}\bcalled\s*\?",
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


# A figure noun that is also a verb ("share", "count") is a verb straight after an auxiliary's subject:
# "what did some users share screenshots of?" asks for a thing, "what did the share reach?" a figure.
AS_VERB = re.compile(
    r"\bwhat\s+(?:did|does|do|will|would|can|could|should|might|may)\s+(?:[\w-]+\s+){0,3}?"
    r"(?<!\bthe )(?<!\bits )(?<!\btheir )(?<!\ba )(?:share|rate|count|cost|figure|number|price|size)\b",
    re.I,
)


def question_kind(question: str) -> Kind:
    """The kind of answer ``question`` asks for (``OTHER`` when it does not say)."""
    for kind, pattern in QUESTION_KINDS:
        if any(kind is not Kind.FIGURE or not AS_VERB.search(m.group(0)) for m in pattern.finditer(question)):
            return kind
    return Kind.OTHER


def name_words(text: str) -> set[str]:
    """The words of ``text``'s names, lower-cased."""
    return {word for run in names(text) for word in run}


VERSION = re.compile(r"([A-Za-z]+)([- ]?)(\d+(?:\.\d+)*)")  # GPT-5.1, Opus 4.5, V3.2


def quantities(text: str) -> set[str]:
    """The figures of ``text`` that are amounts, not part of a name or version: a number joined to a
    word ("GPT-5.1", "V3") or following a name ("Claude Opus 4.5") is a version."""
    named = name_words(text)
    versions = {m.group(3) for m in VERSION.finditer(text) if m.group(2) != " " or m.group(1).lower() in named}
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
    asked = name_words(question)
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
    cited text speaks of: "800 million every week" does not answer "how many every month". Of the two
    options of an either/or question ("next week or next month?"), one is enough."""
    wanted, have = periods(question), periods(source)
    first, second = (periods(" ".join(side)) for side in _options(question))
    if first - second and second - first:
        return wanted - first - second <= have and bool(have & (first ^ second))
    return wanted <= have


# A yes/no or either/or question opens with an auxiliary, after at most a leading phrase ("By October,
# had Gemini reached ...?", "Is the flagship model X or Y?").
POLAR = re.compile(
    r"^\W*(?:[^,?]{0,60},\s*)?(?:is|are|was|were|do|does|did|has|have|had|can|could|will|would|should)\b", re.I
)
YES_OR_NO = re.compile(r"^\W*(?:yes|no)\b", re.I)


PRO_FORMS = frozenset({"one", "ones"})  # "the US market or the European one": "one" is "market" again


def _options(question: str) -> tuple[list[str], list[str]]:
    """The words around a question's last "or": what follows it, and as many words before it and two
    more (empty lists when there is no "or"). A final "one" or "ones" after the "or" stands for the
    noun the first option ends with, and is read as that noun, where both options open with the same
    word ("the US market or the European one"; not "which one, the first or the second one?")."""
    words = WORD.findall(question)  # as written: a capitalised "May" is the month
    lowered = [w.lower() for w in words]
    if "or" not in lowered:
        return [], []
    at = len(words) - 1 - lowered[::-1].index("or")
    after = words[at + 1 :]
    before = words[max(0, at - len(after) - 2) : at]
    tail = before[-len(after) :]
    if (
        len(after) > 1
        and after[-1].lower() in PRO_FORMS
        and len(tail) == len(after)
        and tail[0].lower() == after[0].lower()
    ):
        after = [*after[:-1], before[-1]]  # "the US market or the European one": both options open alike
    return before, after


# Stop words that can be what tells two options apart ("the most or the least severe level", "more users
# or fewer"); stemming leaves them as they are.
OPTION_STOPWORDS = frozenset(
    "most more least less few fewer much many all both before after above below up down".split()
)


def option_words(text: str) -> set[str]:
    """The content words of ``text``, with the stop words that can name an option of an either/or question
    and "US" as written (the country, not the pronoun "us")."""
    words = WORD.findall(text)
    return content_words(text) | {w.lower() for w in words if w.lower() in OPTION_STOPWORDS or w == "US"}


def alternatives(question: str) -> tuple[set[str], set[str]]:
    """The words that tell apart the two options of an either/or question (``option_words``): around its
    last "or", the words of what follows that differ from those just before it ("next week or next month"
    → {week}, {month}; "650 million or 800 million monthly users" → {650, ...}, {800}). When the first
    option ends at the "or" and the second has more words, those are both options': "the most or the
    least severe level" → {most}, {least}. (The other way round, "too much computing power or too
    little", cannot be told from context before the first option, "priced above or below X", so it is
    not read.) Two empty sets when the question offers no choice."""
    before, after = _options(question)
    matcher = SequenceMatcher(None, [w.lower() for w in before], [w.lower() for w in after], autojunk=False)
    firsts: list[str] = []
    seconds: list[str] = []
    for op, i, j, k, m in matcher.get_opcodes():
        if op != "replace":
            continue
        if j == len(before) and m - k > j - i:  # what the second option adds is the first's too
            m = k + (j - i)
        firsts += before[i:j]
        seconds += after[k:m]
    first, second = option_words(" ".join(firsts)), option_words(" ".join(seconds))
    return first - second, second - first


# A question that compares its options ("Did OpenAI or Anthropic raise more?") needs both named.
COMPARES = re.compile(
    r"\b(?:more|less|fewer|most|least|first|last|ahead|behind|earlier|later|better|best|worse|worst|bigger|"
    r"biggest|larger|largest|higher|highest|lower|lowest|greater|greatest|smaller|smallest|faster|fastest|"
    r"slower|slowest|cheaper|cheapest|older|oldest|newer|newest|younger|youngest|stronger|strongest|"
    r"weaker|weakest|longer|longest|shorter|shortest|\w+er than)\b",
    re.IGNORECASE,
)


def option_names(question: str, names: list[tuple[str, ...]]) -> list[tuple[str, ...]]:
    """The two names of ``names`` that are the options of an either/or question ("a background at Google
    or at Meta?" → Google, Meta): an answer names the one it chooses, not both. Empty unless each
    option is one name, and empty for a question that compares them ("which raised more?")."""
    if COMPARES.search(question):
        return []
    first, second = alternatives(question)
    ones = [n for n in names if option_words(" ".join(n)) & first]
    twos = [n for n in names if option_words(" ".join(n)) & second]
    return ones + twos if len(ones) == len(twos) == 1 and ones != twos else []


def answers_polar(claim: str, question: str) -> bool:
    """Whether ``claim`` answers a yes/no or either/or question in the question's own words: it opens
    with yes or no ("Yes, Fidji Simo was Instacart's chief executive"), or it keeps one option and not
    the other ("The reasoning model will ship next week"). Such a claim says something (which one,
    whether), so it is checked like any other, not passed over as a restatement of the question."""
    first, second = alternatives(question)
    words = option_words(claim)
    chose = bool(first and second) and bool(words & first) != bool(words & second)
    return chose or bool(POLAR.match(question) and YES_OR_NO.match(claim))
