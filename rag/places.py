"""Countries and regions known by more than one name: a short form, the full name and the demonym.

A question asks how much "Americans" use something; the document says "in the US". Names are checked
word for word (``rag.text.names_supported``), so without this the sentence that answers reads as being
about someone else. Only names of the same place are equal here: "American" never stands for "British".
"""

from __future__ import annotations

import re
from functools import cache

from bm25s.stopwords import STOPWORDS_EN_PLUS as STOPWORDS  # rag.text's own list imports this module

# Each group names one place. A short form in capitals ("US", "UK", "EU") counts only as written, with
# or without dots: "us" and "eu" in lower case are other words.
PLACES = (
    ("US", "USA", "United States", "United States of America", "America", "American", "Americans"),
    ("UK", "United Kingdom", "Britain", "Great Britain", "British", "Briton", "Britons"),
    ("EU", "European Union"),
    ("Europe", "European", "Europeans"),
    ("China", "Chinese", "PRC"),
    ("Japan", "Japanese"),
    ("South Korea", "South Korean", "South Koreans"),
    ("India", "Indian", "Indians"),
    ("Germany", "German", "Germans"),
    ("France", "French"),
    ("Canada", "Canadian", "Canadians"),
    ("Australia", "Australian", "Australians"),
    ("Russia", "Russian", "Russians"),
    ("Israel", "Israeli", "Israelis"),
    ("Taiwan", "Taiwanese"),
    ("Netherlands", "Dutch", "Holland"),
    ("Switzerland", "Swiss"),
    ("UAE", "United Arab Emirates", "Emirati", "Emiratis"),
    ("Saudi Arabia", "Saudi", "Saudis"),
)


def _key(name: str) -> str:
    """A spelling as looked up: lower case, no dots or apostrophes ("U.S." → "us")."""
    return re.sub(r"[.’']", "", name).lower()


@cache
def _groups() -> dict[str, tuple[re.Pattern[str], ...]]:
    """Each spelling (lower case, no dots) -> patterns that find any name of its place in a text."""
    out: dict[str, tuple[re.Pattern[str], ...]] = {}
    for group in PLACES:
        patterns = tuple(_pattern(name) for name in group)
        out.update({_key(name): patterns for name in group})
    return out


def _pattern(name: str) -> re.Pattern[str]:
    """Where ``name`` is written in a text: a short form in capitals as written, dots or none; a name
    in any case."""
    if name.isupper():  # "US", "U.S.", "U.S.A." as written
        return re.compile(r"(?<![\w.])" + r"\.?".join(name) + r"\.?(?![\w])")
    words = r"['’]?\s+".join(re.escape(w) for w in name.split())
    return re.compile(rf"(?<![\w-]){words}(?![\w-])", re.IGNORECASE)


def is_place(name: tuple[str, ...]) -> bool:
    """Whether ``name`` (a lower-cased name run) is one of the places known here, by any of its names."""
    return _key(" ".join(name)) in _groups()


def short_form(word: str) -> bool:
    """Whether ``word``, as written, is a place's short form in capitals ("US", "U.S.", "EU"): a name even
    where the same letters in lower case are a common word ("us")."""
    return word.isupper() and _key(word) in _short_forms()


@cache
def _short_forms() -> frozenset[str]:
    return frozenset(_key(name) for group in PLACES for name in group if name.isupper())


def same_place_named(name: tuple[str, ...], text: str) -> bool:
    """Whether ``name`` (a lower-cased name run) is a place that ``text`` names in any of its forms, as a
    name of its own: not "Latin America", "Bank of America", "American Airlines", "Indian Ocean"."""
    patterns = _groups().get(_key(" ".join(name)))
    return patterns is not None and any(_alone(m, text) for p in patterns for m in p.finditer(text))


BEFORE = re.compile(r"([A-Z][\w’'-]*)(\s+of)?\s+$")  # "Latin ", "Bank of " just before
AFTER = re.compile(r"^\s+([A-Z][\w’'.-]*)")  # " Airlines", " President" just after
# Words that, capitalised after a place, name its office or institution, not a longer name of
# something else: "US President Donald Trump", "the British Prime Minister", "the US State Department".
OFFICES = frozenset(
    "president vice prime minister ministry chancellor secretary senator senate congress congressman congresswoman "
    "representative ambassador embassy consulate government parliament commission treasury department agency "
    "bureau army navy military marines court district supreme justice attorney governor king queen prince "
    "princess state communist foreign defense defence commerce trade federal central customs border "
    "census".split()
)


def _alone(match: re.Match[str], text: str) -> bool:
    """Whether ``match`` is a place name of its own, not part of a longer name ("US Steel", "CONTACT US",
    "American Airlines", "Indian Ocean", "Bank of America"). A capitalised word after it leaves it the
    place when it is an office of that place ("US President") or a name of something of that place no
    common word spells ("the Chinese DeepSeek team", "Chinese AI labs"; ``_own_word``). Nothing after a
    possessive makes it part of a longer name ("China's Alibaba", though also "America's Cup")."""
    before = BEFORE.search(text[max(0, match.start() - 40) : match.start()])
    if before and (before.group(1).lower() not in STOPWORDS or before.group(2)):
        return False
    if match.group().endswith("."):  # "the US. Then ..."
        return True
    after = AFTER.match(text[match.end() :])  # none after a possessive
    return after is None or _own_word(after.group(1), shouted=match.group().isupper())


def _own_word(word: str, shouted: bool) -> bool:
    """Whether ``word``, capitalised after a place name, leaves that name the place: an office of it, or
    a coined name ("DeepSeek", "Qwen3", an acronym after "Chinese") rather than a common word ("Airlines",
    "Steel", "Ocean"). After a name in capitals (``shouted``: "US", "UK"), a word in capitals is neither:
    the text may be shouting ("call US NOW", "US ARMY SURPLUS")."""
    if word.isupper():
        return not shouted and len(word) > 1
    return word.lower() in OFFICES or any(c.isupper() or c.isdigit() for c in word[1:])
