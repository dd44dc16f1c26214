"""The chat model as a yes/no verifier of claims (``verify_with_model``).

A small model says "yes" to almost anything it is asked to confirm: on the dev suites' recorded
checks, the plain reply kept 10 of 12 false claims. Where the backend reports token probabilities
(llama.cpp, vLLM and other OpenAI-compatible servers), the verdict is P(yes) among the yes/no tokens
against ``judge_threshold`` instead, which separates true from false claims far better at the same
cost (one generated token). Other backends fall back to the reply's first word.

A claim it keeps below ``judge_sure`` gets a second question: answer the question from the source
itself, in a few words (``rag.agree``). An answer that names something else ("Spotify" for the claim
"Fidji Simo", P(yes) 0.87) withdraws the claim. The second question never keeps a claim the first
withdrew: the same model reading the same source makes the same mistake twice (kept that way, "He Jian
edited the article" from "author: He Jian, editor: Jiang Jiao" and four more false claims passed on the
frozen suites; docs/trust-rounds.md, thirteenth round).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import BaseMessage
from langchain_core.runnables import Runnable

from rag.agree import Agreement, agreement
from rag.backends import explain_failure
from rag.config import Settings
from rag.errors import ModelError
from rag.prompts import judge_messages, own_answer_messages, quote_messages

TOP_LOGPROBS = 10  # alternatives asked for at the verdict token: "yes"/"no" in any casing or spacing
OWN_ANSWER_TOKENS = 12  # a name, a figure or a short phrase; a longer answer is cut, not waited for


@dataclass(frozen=True)
class Verdict:
    """Whether the model found that the source states the claim, and how sure it was."""

    holds: bool
    p_yes: float | None = None  # None where the backend gives no token probabilities
    answer: str | None = None  # the model's own answer from the source, where it was asked for one
    agreement: Agreement | None = None  # how that answer relates to the claim

    def describe(self) -> str:
        text = "model" if self.p_yes is None else f"model, P(yes) {self.p_yes:.2f}"
        if self.answer is not None and self.agreement is not None:
            text += f"; its own answer {self.answer!r}: {self.agreement.value}"
        return text


Judge = Callable[[str, str, str], Verdict]  # (source text, question, claim) -> verdict
AnswerCheck = Callable[[str, str], Verdict]  # (a document's sentence, question) -> does it answer?


def reports_probabilities(llm: BaseChatModel) -> bool:
    """Whether ``llm``'s client can ask for token probabilities (OpenAI-compatible clients can)."""
    fields = type(llm).model_fields
    return "logprobs" in fields and "top_logprobs" in fields


def short_replies(llm: BaseChatModel, tokens: int) -> Runnable:
    """``llm`` capped at ``tokens`` generated tokens, whatever its provider calls the limit; token
    probabilities asked for where the model class supports them (OpenAI-compatible clients)."""
    fields = type(llm).model_fields
    update: dict[str, Any] = {}
    if reports_probabilities(llm):
        update.update(logprobs=True, top_logprobs=TOP_LOGPROBS)
    for limit in ("max_tokens", "num_predict", "max_new_tokens"):
        if limit in fields:
            update[limit] = tokens
            break
    return llm.model_copy(update=update) if update else llm


def yes_probability(reply: BaseMessage) -> float | None:
    """P(yes) / (P(yes) + P(no)) at the reply's first token, from the top alternatives the backend
    reported; None when it reported none (or neither word is among them)."""
    content = (reply.response_metadata.get("logprobs") or {}).get("content") or []
    if not content:
        return None
    mass = {"yes": 0.0, "no": 0.0}
    for alt in content[0].get("top_logprobs") or []:
        word = str(alt.get("token", "")).strip().lower()
        if word in mass:
            mass[word] += math.exp(float(alt.get("logprob", -math.inf)))
    total = mass["yes"] + mass["no"]
    return mass["yes"] / total if total > 0 else None


def ask(
    checker: Runnable, messages: list[BaseMessage], threshold: float, model_name: str, settings: Settings
) -> Verdict:
    """One yes/no question to ``checker``: P(yes) against ``threshold`` where the backend reports token
    probabilities, else the reply's first word."""
    try:
        reply = checker.invoke(messages)
    except Exception as exc:  # noqa: BLE001 - a failed check is a backend failure like any other
        raise ModelError(explain_failure(exc, model_name, settings)) from exc
    p_yes = yes_probability(reply)
    if p_yes is not None:
        return Verdict(p_yes >= threshold, round(p_yes, 3))
    text = reply.content if isinstance(reply.content, str) else ""
    return Verdict(text.strip().lower().startswith("yes"))


def own_answer(
    answerer: Runnable, source: str, question: str, model_name: str, settings: Settings, whole: bool = False
) -> str:
    """The model's own answer to ``question`` from ``source`` alone, in a few words (its first line);
    with ``whole``, "" when the reply was cut at the token limit (a fragment is no answer to show)."""
    try:
        reply = answerer.invoke(own_answer_messages(source, question))
    except Exception as exc:  # noqa: BLE001 - as in ``ask``
        raise ModelError(explain_failure(exc, model_name, settings)) from exc
    text = reply.content if isinstance(reply.content, str) else ""
    first, *rest = text.strip().split("\n", 1)
    if whole and not rest and reply.response_metadata.get("finish_reason") == "length":
        return ""
    return first.strip()


def make_judge(llm: BaseChatModel, model_name: str, settings: Settings) -> Judge | None:
    """The chat model as a one-token verifier, with a second opinion on the claims it keeps unsure, or
    None when ``verify_with_model`` is off."""
    if not settings.verify_with_model:
        return None
    checker, answerer = short_replies(llm, 1), short_replies(llm, OWN_ANSWER_TOKENS)

    def judge(source: str, question: str, claim: str) -> Verdict:
        verdict = ask(checker, judge_messages(source, question, claim), settings.judge_threshold, model_name, settings)
        if verdict.p_yes is None or not verdict.holds or verdict.p_yes >= settings.judge_sure:
            return verdict
        answer = own_answer(answerer, source, question, model_name, settings)
        found = agreement(answer, claim, question)
        return Verdict(found is not Agreement.DIFFERS, verdict.p_yes, answer, found)

    return judge


def make_answer_check(llm: BaseChatModel, model_name: str, settings: Settings) -> AnswerCheck | None:
    """The chat model asked whether a document's sentence answers a question (for quoting it), or None
    when ``verify_with_model`` or ``quote_when_withdrawn`` is off."""
    if not (settings.verify_with_model and settings.quote_when_withdrawn):
        return None
    checker = short_replies(llm, 1)

    def answers(sentence: str, question: str) -> Verdict:
        return ask(checker, quote_messages(sentence, question), settings.quote_threshold, model_name, settings)

    return answers
