"""The model check of claims: P(yes) from token probabilities against the threshold, the plain reply
where a backend gives none, and the prompt it is asked with."""

from __future__ import annotations

import math

import pytest
from langchain_core.messages import AIMessage, HumanMessage, SystemMessage
from langchain_openai import ChatOpenAI

from rag.config import load_settings
from rag.errors import ModelError
from rag.judge import Verdict, make_answer_check, make_judge, short_replies, yes_probability
from rag.prompts import JUDGE_EXAMPLES, QUOTE_SYSTEM, judge_messages
from rag.text import answer_part
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


def test_the_claim_and_then_its_answer_are_probed_and_both_must_pass(settings):
    llm = scripted("x")
    llm.messages = iter(
        [
            reply("yes", yes=0.7, no=0.3), reply("yes", yes=0.9, no=0.1),  # both pass
            reply("yes", yes=0.9, no=0.1), reply("yes", yes=0.6, no=0.4),  # the claim holds, its answer does not
            reply("yes", yes=0.6, no=0.4),  # a hesitant "yes" to the claim: the answer is not asked
            reply("yes", yes=0.8, no=0.2), reply("yes", yes=0.7, no=0.3),
        ]
    )  # fmt: skip
    judge = make_judge(llm, "fake:x", settings)
    assert settings.judge_threshold == 0.65
    claim, question = "Ann Lee and Bo Chan run Acme since 2020.", "Who runs Acme?"
    assert judge("s", question, claim) == Verdict(True, 0.7, (0.7, 0.9))
    assert judge("s", question, claim) == Verdict(False, 0.6, (0.9, 0.6))
    assert judge("s", question, claim) == Verdict(False, 0.6)
    assert len(llm.received) == 5
    first, second = llm.received[:2]
    assert first[:-1] == second[:-1]  # the same prefix: the prompt cache serves the second probe
    assert second[-1].content == (
        "Source: s\nQuestion: Who runs Acme?\nProposed answer: Ann Lee and Bo Chan\nDoes the source give this answer?"
    )
    assert "the lower of claim 0.80 and answer 0.70" in judge("s", question, claim).describe()
    lenient = scripted("x")
    lenient.messages = iter([reply("yes", yes=0.6, no=0.4), reply("yes", yes=0.6, no=0.4)])
    assert make_judge(lenient, "f", settings.model_copy(update={"judge_threshold": 0.55}))("s", "q", "a").holds


@pytest.mark.parametrize(
    ("claim", "question", "part"),
    [
        (
            "Larry Page and Sergey Brin were recalled in 2022.",
            "Which Google founders were recalled in 2022?",
            "Larry Page and Sergey Brin",
        ),
        ("Anthropic's CEO is Dario Amodei.", "Who is Anthropic's CEO?", "Dario Amodei"),  # the owner was asked
        ("Conversations fell by 20.7%, to $1.4 trillion.", "How much did conversations fall?", "20.7%, $1.4 trillion"),
        ("It launched on November 30, 2022.", "When did it launch?", "November 30, 2022"),
        ("Simo was hired to help OpenAI earn.", "Why did OpenAI hire Simo?", "Simo was hired to help OpenAI earn."),
        ("The AI lab said so.", "Who said so?", "AI"),  # whole words: "said" does not ask about "AI"
    ],
)
def test_the_answer_a_claim_gives_is_what_the_question_lacks(claim, question, part):
    assert answer_part(claim, question) == part


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
    assert answers("Ann runs Acme.", "Who runs Acme?") == Verdict(True, 0.7)  # its own threshold
    assert answers("Ann runs Acme.", "Who runs Acme?") == Verdict(False, 0.6)
    system, turn = llm.received[0]
    assert system == SystemMessage(QUOTE_SYSTEM) and len(llm.received[0]) == 2  # no examples to copy
    assert turn.content == "Sentence: Ann runs Acme.\nQuestion: Who runs Acme?\nDoes the sentence answer the question?"
    assert make_answer_check(scripted(), "f", settings.model_copy(update={"quote_when_withdrawn": False})) is None
    assert make_answer_check(scripted(), "f", settings.model_copy(update={"verify_with_model": False})) is None
