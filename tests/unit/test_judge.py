"""The model check of claims: P(yes) from token probabilities against the threshold, the plain reply
where a backend gives none, and the prompt it is asked with."""

from __future__ import annotations

import math

import pytest
from langchain_core.messages import AIMessage, HumanMessage, SystemMessage
from langchain_openai import ChatOpenAI

from rag.agree import Agreement
from rag.config import load_settings
from rag.errors import ConfigError, ModelError
from rag.judge import Verdict, make_answer_check, make_judge, short_replies, yes_probability
from rag.prompts import JUDGE_EXAMPLES, OWN_ANSWER_SYSTEM, QUOTE_SYSTEM, judge_messages
from tests.unit.helpers import scripted


def reply(text: str, **probs: float) -> AIMessage:
    """A one-token reply whose first token had these alternatives (token -> probability)."""
    top = [{"token": t.replace("_", " "), "logprob": math.log(p), "bytes": None} for t, p in probs.items()]
    return AIMessage(text, response_metadata={"logprobs": {"content": [{"token": text, "top_logprobs": top}]}})


@pytest.fixture
def settings(tmp_path):
    return load_settings(project_root=tmp_path, env={}, embeddings="fake:bow", llm="fake:x")


def test_yes_probability_adds_up_every_spelling_of_yes_and_no():
    p = yes_probability(reply("yes", yes=0.5, Yes=0.1, _no=0.3, maybe=0.1))
    assert p == pytest.approx(0.6 / 0.9)
    assert yes_probability(AIMessage("yes")) is None  # no probabilities reported
    assert yes_probability(reply("perhaps", perhaps=0.9)) is None  # neither word among them


def test_a_hesitant_yes_below_the_threshold_withdraws_the_claim(settings):
    llm = scripted("x")
    llm.messages = iter([reply("yes", yes=0.7, no=0.3), reply("yes", yes=0.9, no=0.1), reply("no", no=0.6, yes=0.4)])
    judge = make_judge(llm, "fake:x", settings)
    assert settings.judge_threshold == 0.8
    assert judge("s", "q", "a") == Verdict(False, 0.7)  # the reply said "yes", the model was not sure
    assert judge("s", "q", "a") == Verdict(True, 0.9)  # sure: no second question
    assert judge("s", "q", "a") == Verdict(False, 0.4)
    assert len(llm.received) == 3  # a withdrawn claim is never asked about again
    lenient = scripted("x")
    lenient.messages = iter([reply("yes", yes=0.95, no=0.05)])
    assert make_judge(lenient, "f", settings.model_copy(update={"judge_threshold": 0.9}))("s", "q", "a").holds


def test_a_claim_kept_unsure_is_withdrawn_when_the_models_own_answer_differs(settings):
    llm = scripted("x")
    llm.messages = iter([
        reply("yes", yes=0.85, no=0.15), AIMessage("Tim Poe\nand more"),  # names someone else: withdrawn
        reply("yes", yes=0.85, no=0.15), AIMessage("Jane Roe"),  # agrees: kept
        reply("yes", yes=0.85, no=0.15), AIMessage("none"),  # silent: kept, as the threshold says
    ])  # fmt: skip
    judge = make_judge(llm, "fake:x", settings)
    assert settings.judge_sure == 0.9
    claim, question = "Jane Roe runs Acme.", "Who runs Acme?"
    assert judge("Source.", question, claim) == Verdict(False, 0.85, "Tim Poe", Agreement.DIFFERS)
    assert judge("Source.", question, claim) == Verdict(True, 0.85, "Jane Roe", Agreement.AGREES)
    assert judge("Source.", question, claim) == Verdict(True, 0.85, "none", Agreement.SILENT)
    system, turn = llm.received[1]
    assert system == SystemMessage(OWN_ANSWER_SYSTEM) and len(llm.received[1]) == 2  # no examples to copy
    assert turn.content == "Source: Source.\nQuestion: Who runs Acme?"
    assert Verdict(False, 0.85, "Tim Poe", Agreement.DIFFERS).describe() == (
        "model, P(yes) 0.85; its own answer 'Tim Poe': differs"
    )
    once = scripted("x")  # judge_sure at the threshold: no second question
    once.messages = iter([reply("yes", yes=0.85, no=0.15)])
    sure = settings.model_copy(update={"judge_sure": 0.8})
    assert make_judge(once, "f", sure)("s", question, claim) == Verdict(True, 0.85)


def test_the_second_opinion_cannot_start_below_the_threshold(tmp_path):
    with pytest.raises(ConfigError, match=r"judge_sure \(0.7\) is below judge_threshold \(0.8\)"):
        load_settings(project_root=tmp_path, env={"RAG_JUDGE_SURE": "0.7"}, embeddings="fake:bow", llm="fake:x")


def test_without_probabilities_the_reply_word_decides(settings):
    judge = make_judge(scripted("Yes.", "no", "I think so"), "fake:x", settings)
    assert [judge("s", "q", "a") for _ in range(3)] == [Verdict(True), Verdict(False), Verdict(False)]
    assert make_judge(scripted(), "fake:x", settings.model_copy(update={"verify_with_model": False})) is None


def test_a_backend_failure_during_the_check_is_a_model_error(settings):
    judge = make_judge(scripted(), "fake:x", settings)  # no reply left: the fake model raises
    with pytest.raises(ModelError):
        judge("s", "q", "a")


def test_openai_compatible_clients_are_asked_for_one_token_and_its_alternatives():
    llm = ChatOpenAI(model="m", api_key="k", base_url="http://127.0.0.1:9/v1", max_tokens=256)
    capped = short_replies(llm, 1)
    assert (capped.max_tokens, capped.logprobs, capped.top_logprobs) == (1, True, 10)
    assert llm.max_tokens == 256 and not llm.logprobs  # the chat model itself is untouched


def test_the_check_asks_about_the_question_after_fictional_examples():
    messages = judge_messages("Source text.", "Who runs it?", "Ann runs it.")
    assert isinstance(messages[0], SystemMessage)
    shots = messages[1:-1]
    assert len(shots) == 2 * len(JUDGE_EXAMPLES)
    assert [m.content for m in shots[1::2]] == [v for _, _, v in JUDGE_EXAMPLES]
    assert {"yes", "no"} == {v for _, _, v in JUDGE_EXAMPLES}
    last = messages[-1]
    assert isinstance(last, HumanMessage)
    assert (
        last.content
        == "Source: Source text.\nQuestion: Who runs it?\nAnswer: Ann runs it.\nCorrect according to the source?"
    )
    # A document cannot speak as the chat template: control tokens in the source are broken up.
    assert "<|im_end|>" not in judge_messages("a <|im_end|> b", "q", "c")[-1].content


def test_the_quote_check_asks_whether_a_sentence_answers_with_its_own_threshold(settings):
    llm = scripted("x")
    llm.messages = iter([reply("yes", yes=0.7, no=0.3), reply("yes", yes=0.6, no=0.4)])
    answers = make_answer_check(llm, "fake:x", settings)
    assert settings.quote_threshold == 0.65
    assert answers("Ann runs Acme.", "Who runs Acme?") == Verdict(True, 0.7)  # below the claim threshold
    assert answers("Ann runs Acme.", "Who runs Acme?") == Verdict(False, 0.6)
    system, turn = llm.received[0]
    assert system == SystemMessage(QUOTE_SYSTEM) and len(llm.received[0]) == 2  # no examples to copy
    assert turn.content == "Sentence: Ann runs Acme.\nQuestion: Who runs Acme?\nDoes the sentence answer the question?"
    assert make_answer_check(scripted(), "f", settings.model_copy(update={"quote_when_withdrawn": False})) is None
    assert make_answer_check(scripted(), "f", settings.model_copy(update={"verify_with_model": False})) is None
