"""Questions that ask two things at once: "When did X happen, and who announced it?", "Who leads X?
What did she do before?", "Name the model and say what it beat."

Each part is answered (or not) on its own: a claim answers the part it shares the most words with, a
check that binds figures to a question's period reads only that part, and a part that no checked
sentence answers is tried on its own.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from rag.asks import question_names
from rag.places import is_place
from rag.text import WORD, content_words, refers_back

# A question word may follow a preposition: "and into which product ...", "and from whom ...".
PREPOSITION = (
    r"(?:about|above|across|after|against|among|around|at|before|behind|below|between|beyond|by|despite|during|"
    r"for|from|in|inside|into|like|near|of|off|on|onto|out of|over|per|since|through|to|toward|towards|under|"
    r"until|upon|via|with|within|without)\s+"
)
# Where a question asks a second thing: another question after "?" or ";", "and" (or "as well as",
# "plus") before a question word, or "and" before an imperative ("Name ... and say ...").
SECOND_QUESTION = re.compile(
    rf"(?<=[?;])\s+|,?\s+(?:and|as well as|plus)\s+"
    rf"(?=(?:{PREPOSITION})?(?:how|what|when|who|whom|whose|which|where|why)\b)|"
    r",?\s+and\s+(?=(?:say|tell|explain|name|give|state|describe|list|identify)\b)",
    re.IGNORECASE,
)
MIN_PART_WORDS = 3  # a shorter "part" is no question of its own ("Which company and which division ...")


ASKING = re.compile(
    rf"^(?:{PREPOSITION})?(?:how|what|when|who|whom|whose|which|where|why|"
    r"is|are|was|were|do|does|did|can|could|will|would|has|have|had|say|tell|explain|name|give|state|describe|"
    r"list|identify)\b",
    re.IGNORECASE,
)


def question_parts(question: str) -> list[str]:
    """The questions ``question`` asks, in order (one, the whole question, when it asks one thing). What
    follows a question mark is another question only if it asks something: not a follow-up's added
    search terms ("When did she join? (Fidji Simo ...)"), not a remark."""
    parts = [p.strip() for p in SECOND_QUESTION.split(question.strip()) if p and p.strip()]
    if len(parts) < 2 or any(len(WORD.findall(p)) < MIN_PART_WORDS for p in parts):
        return [question]
    if not all(ASKING.match(p) for p in parts[1:]):
        return [question]
    return parts


def asked_part(question: str, claim: str) -> str:
    """The part of ``question`` that ``claim`` answers: the whole of a one-part question; of a two-part
    one, the part sharing the most words with the claim ("" when no part shares more than another)."""
    parts = question_parts(question)
    if len(parts) < 2:
        return question
    words = content_words(claim)
    shared = sorted(((len(words & content_words(p)), p) for p in parts), key=lambda t: t[0], reverse=True)
    return shared[0][1] if shared[0][0] > shared[1][0] else ""


def on_its_own(question: str, part: str, earlier_answers: Sequence[str] = (), guess: bool = True) -> str:
    """``part`` as a question of its own. One that points back ("what did he do ...?") is prefixed with
    what it points to: the first name that the answers to the parts before it give and the question
    does not ("Who is Google's chief executive, and what did he do ...?" answered "Sundar Pichai is
    ..." gives "Sundar Pichai: what did he do ...?"), else the first name the question gives before it
    ("When did Fidji Simo join OpenAI? Which division was she made CEO of?"). Without ``guess``, a
    part that points back at something no earlier answer names is the whole ``question``: "that
    model's update" is not about the first name the question gives ("Which OpenAI model ...")."""
    if not refers_back(part) or (at := question.find(part)) <= 0:
        return part
    earlier = question[:at]
    asked = {w for run in question_names(question, question) for w in run}
    found = [(text, run) for text in earlier_answers for run in question_names(text, text) if not set(run) <= asked]
    named = [(earlier, run) for run in question_names(earlier, earlier)] if guess else []
    for text, run in [*found, *named]:
        if is_place(run):
            continue  # "he", "that model" point back at someone or something, not at "the US"
        if m := re.search(r"(?<!\w)" + r"\W+".join(map(re.escape, run)) + r"(?!\w)", text, re.IGNORECASE):
            return f"{m.group(0)}: {part[:1].lower()}{part[1:]}"
    return part if guess else question
