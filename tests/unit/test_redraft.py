"""The second draft after a decline: a short answer from each top passage, checked like a draft that
must convince the model check on its own (hand-made passages, scripted replies and checks)."""

from __future__ import annotations

import pytest
from langchain_core.messages import AIMessage, SystemMessage

from rag.config import load_settings
from rag.judge import Verdict
from rag.prompts import OWN_ANSWER_SYSTEM
from rag.redraft import CLAUSE, REDRAFT_PASSAGES, Redrafter, make_redrafter, sentence_case, short_answer
from rag.types import Status
from tests.unit.helpers import WORLD_DOC, BowEvidence, bow_embed, passages_from, scripted, scripted_with_probabilities
from tests.unit.test_judge import reply

QUESTION = "How many monthly active users did Gemini have in October?"


@pytest.fixture
def world():
    passages, chunks = passages_from(WORLD_DOC, [[0], [2], [1], [3, 4]])
    return passages, BowEvidence(chunks)


class Script:
    """Scripted short answers and checks that record what they were asked."""

    def __init__(self, replies: list[str], verdicts: list[bool]) -> None:
        self.replies, self.verdicts = list(replies), list(verdicts)
        self.answered: list[tuple[str, str]] = []
        self.judged: list[tuple[str, str, str]] = []

    def own_answer(self, source: str, question: str) -> str:
        self.answered.append((source, question))
        return self.replies.pop(0)

    def judge(self, source: str, question: str, claim: str) -> Verdict:
        self.judged.append((source, question, claim))
        holds = self.verdicts.pop(0)
        return Verdict(holds, 0.95 if holds else 0.5)

    def redrafter(self) -> Redrafter:
        return Redrafter(self.own_answer, self.judge)


def test_a_short_answer_from_a_lower_passage_becomes_a_checked_cited_answer(world):
    passages, evidence = world
    script = Script(["none", "650 million."], [True])
    assert sentence_case("over 800 million") == "Over 800 million" and sentence_case("iPhone 17") == "iPhone 17"
    grounded, checks = script.redrafter()(QUESTION, QUESTION, passages, evidence, bow_embed)
    assert grounded is not None and grounded.status is Status.ANSWERED
    (sentence,) = grounded.sentences
    assert sentence.text == "650 million." and [c.text for c in grounded.citations] == [passages[1].text]
    assert script.answered == [(passages[0].text, QUESTION), (passages[1].text, QUESTION)]  # in rank order
    # A reply copied from its passage is a restatement, and still goes to the model check.
    assert script.judged == [(passages[1].text, QUESTION, "650 million.")]
    assert checks[-1].kept and checks[-1].rule.startswith("second draft from source 2: model")


def test_the_model_check_decides_and_only_the_top_passages_are_asked(world):
    passages, evidence = world
    script = Script(["650 million", "650 million", "650 million"], [False])
    grounded, checks = script.redrafter()(QUESTION, QUESTION, passages, evidence, bow_embed)
    assert grounded is None and len(script.answered) == REDRAFT_PASSAGES == 2
    # Source 1 lacks the figure: grounding cites source 2, which holds it; the same reply from source 2
    # is not checked twice.
    assert script.judged == [(passages[1].text, QUESTION, "650 million.")]
    assert [c.kept for c in checks] == [False]
    assert checks[0].rule.startswith("second draft from source 1: the model found the source does not say it")


def test_the_same_reply_is_checked_again_where_it_cites_another_sentence():
    passages, chunks = passages_from(
        "In October, Gemini had 650 million monthly users.\nBy December, Claude had 650 million monthly users.\n",
        [[0], [1]],
    )
    script = Script(["650 million", "650 million"], [False, False])
    question = "How many monthly users?"
    assert script.redrafter()(question, question, passages, BowEvidence(chunks), bow_embed)[0] is None
    assert [source for source, _, _ in script.judged] == [passages[0].text, passages[1].text]


def test_a_reply_the_passage_does_not_carry_or_that_asks_nothing_is_never_judged(world):
    passages, evidence = world
    script = Script(["900 million", "The documents do not say."], [])
    grounded, checks = script.redrafter()(QUESTION, QUESTION, passages, evidence, bow_embed)
    assert grounded is None and script.judged == []
    assert [c.rule for c in checks] == ["second draft from source 1: no claim the passages support"]


def test_a_reply_that_is_a_sentence_about_the_question_is_passed_over(world):
    passages, evidence = world
    script = Script(["Anthropic was founded by former OpenAI executives.", "It isn't given"], [])
    question = "What are the names of Anthropic's founders?"
    grounded, checks = script.redrafter()(question, question, passages, evidence, bow_embed)
    assert grounded is None and script.judged == [] and len(script.answered) == 2
    assert [c.rule for c in checks] == [f"second draft from source {n}: a sentence, not a short answer" for n in (1, 2)]


def test_the_lexical_checks_still_apply_before_the_model_check(world):
    passages, evidence = world
    # Nothing names Meta's CFO; Sarah Friar is OpenAI's, so the binding check withdraws it unasked.
    script = Script(["Sarah Friar", "none"], [])
    grounded, checks = script.redrafter()("Who is Meta's CFO?", "Who is Meta's CFO?", passages, evidence, bow_embed)
    assert grounded is None and script.judged == [] and not checks[0].kept
    assert checks[0].rule == "second draft from source 1: the cited sentence gives the cfo of openai, not of meta"


def test_the_checks_read_the_named_follow_up_while_the_model_is_asked_the_question(world):
    passages, evidence = world
    script = Script(["May"], [True])
    grounded, _ = script.redrafter()(
        "When did she join?", "When did this executive join OpenAI?", passages[3:], evidence, bow_embed
    )
    assert grounded is not None and script.answered == [(passages[3].text, "When did she join?")]
    assert script.judged[0][1] == "When did this executive join OpenAI?"
    # Grounding reads the named question too: "OpenAI" only restates it, so it is no claim at all.
    script = Script(["OpenAI"], [])
    grounded, (check,) = script.redrafter()(
        "When did she join?", "When did this executive join OpenAI?", passages[3:], evidence, bow_embed
    )
    assert grounded is None and check.rule == "second draft from source 4: no claim the passages support"


def test_the_sure_check_has_no_second_opinion_and_the_setting_turns_it_off(tmp_path):
    settings = load_settings(project_root=tmp_path, env={}, embeddings="fake:bow", llm="fake:x")
    assert settings.redraft_when_declined and settings.judge_sure > settings.judge_threshold
    llm = scripted_with_probabilities("x")
    cut = AIMessage("enhancing personalization, improving", response_metadata={"finish_reason": "length"})
    llm.messages = iter([AIMessage("650 million\nmore"), cut, reply("yes", yes=0.85, no=0.15)])
    redrafter = make_redrafter(llm, "fake:x", settings)
    assert redrafter.own_answer("Source.", "Q?") == "650 million"  # the first line of a short reply
    assert redrafter.own_answer("Source.", "Q?") == ""  # cut at the token limit: a fragment, no answer
    assert llm.received[0][0] == SystemMessage(OWN_ANSWER_SYSTEM)
    # P(yes) 0.85 keeps a drafted claim (>= judge_threshold), but not the model's own answer: no agreement asked.
    assert redrafter.judge("Source.", "Q?", "650 million") == Verdict(False, 0.85)
    assert len(llm.received) == 3
    silent = scripted_with_probabilities("yes")  # the server reported no probabilities: a bare "yes" is not sure
    assert make_redrafter(silent, "fake:x", settings).judge("Source.", "Q?", "650 million") == Verdict(False)
    assert make_redrafter(scripted("yes"), "fake:x", settings) is None  # a client that cannot ask for them
    for off in ({"redraft_when_declined": False}, {"verify_with_model": False}):
        assert make_redrafter(llm, "fake:x", settings.model_copy(update=off)) is None


def test_a_reply_keeps_an_abbreviation_and_loses_what_would_end_it_early():
    assert [short_answer(r) for r in ("6%.", "the U.S.", "Acme Inc.", "Spotify,", " Pulse. ")] == [
        "6%", "the U.S.", "Acme Inc.", "Spotify", "Pulse"
    ]  # fmt: skip
    assert CLAUSE.search("Anthropic was founded by ex-OpenAI staff") and not CLAUSE.search("Will Smith")
