"""A second draft when the model says the documents do not say, though its passages may answer.

A 1.5B model often declines with the answer in its first passage ("The documents do not say." for a
6% fall written word for word in source 1): weighing four passages and a refusal rule at once is what
it finds hard. Asked instead for the answer from one passage, in a few copied words (the second
opinion's prompt, ``rag.prompts.own_answer_messages``), it finds it. Each of the top passages is asked
in rank order; a short reply (not "none", not a sentence) becomes the draft "<reply> [n]." and goes
through grounding and verification like any draft, with two differences, since this draft *is* the
model's own answer:
its second opinion would only agree with itself, so the model check must be sure on its own
(P(yes) >= ``judge_sure``; a client that cannot report token probabilities gives no second draft), and
a reply that copies its passage still goes to that check (copied from the wrong sentence, it is still
a restatement of it).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from langchain_core.language_models import BaseChatModel

from rag.agree import NONE
from rag.config import Settings
from rag.ground import EmbedFn, Evidence, Grounded, ground
from rag.judge import OWN_ANSWER_TOKENS, Judge, Verdict, make_judge, own_answer, reports_probabilities, short_replies
from rag.prompts import SYSTEM_PROMPT
from rag.text import is_refusal
from rag.types import Passage, Sentence, Status
from rag.verify import Check, verify

REDRAFT_PASSAGES = 2  # the passages asked, in rank order; each costs ~0.4 s (a few tokens out)

# A reply with an auxiliary or copula of its own ("Anthropic was founded by former OpenAI executives" for
# "What are the names of Anthropic's founders?") is a sentence about the question, not the name, figure,
# date or short phrase the prompt asks for: the model is describing, not finding. It is passed over.
CLAUSE = re.compile(r"\b(?:is|are|was|were|has|have|had|do|does|did|will|would)\b|n't\b")  # lower case: "Will Smith"
ABBREVIATION = re.compile(r"(?:\b[A-Z]\.){2,}$|\b(?:Inc|Ltd|Corp|Co|Jr|Sr|St)\.$")

OwnAnswer = Callable[[str, str], str]  # (a passage's text, question) -> the model's short answer from it


def short_answer(reply: str) -> str:
    """``reply`` without the punctuation that would end a sentence early: trailing commas, colons and a
    final full stop, except one that closes an abbreviation ("U.S.", "Inc.")."""
    reply = reply.strip().rstrip(",;:").strip()
    return reply if ABBREVIATION.search(reply) else reply.rstrip(".").strip()


def sentence_case(reply: str) -> str:
    """``reply`` with a capital first letter when its first word is all lower case ("over 800 million"
    -> "Over 800 million"; "iPhone" stays)."""
    first = reply.split(maxsplit=1)[0] if reply.strip() else ""
    return reply[:1].upper() + reply[1:] if first.isalpha() and first.islower() else reply


@dataclass(frozen=True)
class Redrafter:
    """Asks the model for a short answer from each top passage and checks it as a draft."""

    own_answer: OwnAnswer
    judge: Judge  # sure or nothing: no second opinion (see the module docstring)

    def __call__(
        self,
        question: str,
        checked: str,
        passages: Sequence[Passage],
        evidence: Evidence,
        embed: EmbedFn,
    ) -> tuple[Grounded | None, list[Check]]:
        """The first checked second draft for ``question`` (None when none holds) and every verdict.
        ``checked`` is the question the checks read (a follow-up's "she" named, ``rag.condense``)."""
        tried: list[Check] = []
        seen: set[tuple[str, tuple[str, ...]]] = set()
        for passage in passages[:REDRAFT_PASSAGES]:
            reply = short_answer(self.own_answer(passage.text, question))
            if not reply or NONE.match(reply) or is_refusal(reply):
                continue
            offered, why = Sentence(reply, (passage.n,)), f"second draft from source {passage.n}"
            if CLAUSE.search(reply):
                tried.append(Check(offered, False, f"{why}: a sentence, not a short answer"))
                continue
            grounded = ground(f"{sentence_case(reply)} [{passage.n}].", passages, embed, evidence, checked)
            if grounded.status is not Status.ANSWERED:  # unsupported, or it only restates the question
                tried.append(Check(offered, False, f"{why}: no claim the passages support"))
                continue
            # Grounding may re-cite a reply to the sentence that holds it: the same reply citing the same
            # sentences is checked once.
            key = (reply.lower(), tuple(chunk.id for chunk in grounded.chunks))
            if key in seen:
                continue
            seen.add(key)
            grounded, checks = verify(checked, grounded, evidence, SYSTEM_PROMPT, self.judge, judge_every=True)
            tried += [replace(c, rule=f"{why}: {c.rule}") for c in checks]
            if grounded.status is Status.ANSWERED:
                return grounded, tried
        return None, tried


def make_redrafter(llm: BaseChatModel, model_name: str, settings: Settings) -> Redrafter | None:
    """A second drafter on ``llm`` (the pipeline's checker: the chat model unless another is given), or
    None when ``redraft_when_declined`` or ``verify_with_model`` is off (an unchecked second draft would
    be a guess) or the client cannot report token probabilities."""
    if not (settings.verify_with_model and settings.redraft_when_declined and reports_probabilities(llm)):
        return None  # without token probabilities no check is ever sure enough: asking would be wasted
    strict = make_judge(llm, model_name, settings.model_copy(update={"judge_threshold": settings.judge_sure}))
    if strict is None:
        return None
    answerer = short_replies(llm, OWN_ANSWER_TOKENS)

    def answer(source: str, question: str) -> str:
        return own_answer(answerer, source, question, model_name, settings, whole=True)

    def sure(source: str, question: str, claim: str) -> Verdict:
        verdict = strict(source, question, claim)
        # A bare "yes" (a server that reported no probabilities) is never sure: small models say it to anything.
        return verdict if verdict.p_yes is not None else Verdict(False)

    return Redrafter(answer, sure)
