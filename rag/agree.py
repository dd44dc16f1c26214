"""Does the model's own short answer, read from a claim's source, agree with the claim?

The one-token claim check (``rag.judge``) is a confirmation, and a 1.5B model confirms false claims
with P(yes) up to 0.9 ("Fidji Simo" as the name of a web browser, 0.87). Asked instead to answer the
question from the source itself, in a few copied words, the same model commits to something that can be
compared with the claim: "Spotify" does not agree with "Fidji Simo"; "Larry Page and Sergey Brin"
agrees with "Larry Page and Sergey Brin were recalled ...". Only what the answer adds to the question
counts ("Instacart" says nothing about a claim for "Which Instacart apps ...?"), and where the question
offers a choice, which option it keeps.
"""

from __future__ import annotations

import re
from enum import Enum

from rag.asks import POLAR, YES_OR_NO, alternatives, option_words
from rag.text import content_words, figures, is_refusal

NONE = re.compile(r"^\W*(?:none|n/a|unknown|not (?:stated|given|mentioned))\W*$", re.I)


class Agreement(Enum):
    """How the model's own answer relates to a claim."""

    AGREES = "agrees"  # everything the answer adds to the question is in the claim
    DIFFERS = "differs"  # the answer adds something, and none of it is in the claim
    SILENT = "no opinion"  # "none", a bare restatement of the question, or partly in the claim


def added(answer: str, question: str) -> set[str]:
    """The content words ``answer`` adds to ``question``; for an either/or question, the words of the
    option it names count as added ("next week" for "... next week or next month?")."""
    first, second = alternatives(question)
    return _words(answer, first | second) - (content_words(question) - first - second)


def _words(text: str, options: set[str]) -> set[str]:
    """The content words of ``text``, with the stop words among them that name one of an either/or
    question's ``options`` ("most" for "... the most or the least severe?", "US")."""
    return content_words(text) | (option_words(text) & options)


def agreement(answer: str, claim: str, question: str) -> Agreement:
    """Whether ``answer`` (the model's own, from the claim's source) agrees with ``claim`` on what it
    adds to ``question``: yes or no to a yes/no question, else its figures and content words."""
    if not answer.strip() or NONE.match(answer) or is_refusal(answer):
        return Agreement.SILENT
    said, claimed = YES_OR_NO.match(answer), YES_OR_NO.match(claim)
    if POLAR.match(question) and said and claimed:
        same = said.group(0).lower().endswith("yes") == claimed.group(0).lower().endswith("yes")
        return Agreement.AGREES if same else Agreement.DIFFERS
    new = added(answer, question)
    if not new:
        return Agreement.SILENT
    numbers = figures(answer) - figures(question)
    if numbers and not numbers & figures(claim):
        return Agreement.DIFFERS  # a figure is the answer: "650 million" is not "350 million"
    words = _words(claim, set().union(*alternatives(question)))
    if new <= words:
        return Agreement.AGREES
    return Agreement.SILENT if new & words else Agreement.DIFFERS
