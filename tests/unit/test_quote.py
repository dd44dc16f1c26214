"""Quoting the source when every drafted claim was withdrawn (hand-made passages, scripted checks)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from rag.judge import Verdict
from rag.quote import MAX_JUDGED, complete, quotable, quote, withdrawn_parts
from rag.types import Status
from tests.unit.helpers import WORLD_DOC, BowEvidence, bow_embed, passages_from

DOC = WORLD_DOC + "Gemini rose.\n"


@pytest.fixture
def world():
    passages, chunks = passages_from(DOC, [[0], [1], [2], [3, 4], [5], [6]])
    return passages, BowEvidence(chunks)


def searching(passages):
    """A search that always finds ``passages`` and records every query it was given."""
    searched: list[str] = []

    def find(query: str):
        searched.append(query)
        return passages

    return searched, find


class Checker:
    """A scripted model check that records what it was asked."""

    def __init__(self, *verdicts: bool) -> None:
        self.verdicts = list(verdicts)
        self.asked: list[tuple[str, str]] = []

    def __call__(self, sentence: str, question: str) -> Verdict:
        self.asked.append((sentence, question))
        holds = self.verdicts.pop(0)
        return Verdict(holds, 0.9 if holds else 0.1)


def test_the_closest_sentence_that_answers_is_quoted_verbatim_and_cited(world):
    passages, evidence = world
    judge = Checker(True)
    grounded, (check,) = quote(
        "How many monthly active users did Gemini have in October?", passages, evidence, bow_embed, judge
    )
    assert grounded is not None
    (citation,) = grounded.citations
    assert grounded.status is Status.ANSWERED and citation.n == 1
    assert DOC[citation.start : citation.end] == citation.text and "650 million" in citation.text
    assert grounded.sentences[0].text == f"“{citation.text}”" and grounded.sentences[0].citations == (1,)
    assert judge.asked == [(citation.text, "How many monthly active users did Gemini have in October?")]
    assert check.kept and check.rule.startswith("quoted from the source")


def test_no_sentence_gives_what_is_asked_so_the_model_is_never_asked(world):
    passages, evidence = world
    judge = Checker()
    # Friar is OpenAI's CFO; nothing names Meta's: the subject check stops every quote first.
    assert quote("Who is the CFO of Meta?", passages, evidence, bow_embed, judge) == (None, [])
    assert judge.asked == []


def test_the_model_check_decides_and_is_asked_a_bounded_number_of_times(world):
    passages, evidence = world
    judge = Checker(*[False] * 10)
    grounded, checks = quote("What did OpenAI do?", passages, evidence, bow_embed, judge)
    assert grounded is None and len(judge.asked) == len(checks) == MAX_JUDGED
    assert all(not c.kept and c.rule.startswith("not quoted") for c in checks)


def test_a_sentence_referring_back_is_checked_with_the_one_before(world):
    passages, evidence = world
    judge = Checker(True)
    grounded, _ = quote("When did this executive join OpenAI?", passages, evidence, bow_embed, judge)
    assert "May" in grounded.citations[0].text
    source, _ = judge.asked[0]
    assert source == "The company said growth would continue. " + grounded.citations[0].text


def test_a_sentence_referring_back_is_ranked_by_what_it_is_read_with():
    # Two sentences name Fidji Simo; the one that answers names her only through the sentence before.
    doc = (
        "Fidji Simo is credited with the new features. This executive led apps at Meta before joining.\n"
        "After joining, Simo became head of the applications division.\n"
    )
    passages, chunks = passages_from(doc, [[0, 1], [2]])
    judge = Checker(*[False] * MAX_JUDGED)
    quote("Where did Fidji Simo work before joining?", passages, BowEvidence(chunks), bow_embed, judge)
    assert judge.asked[0][0].endswith("This executive led apps at Meta before joining.")


def test_fragments_are_never_quoted(world):
    passages, evidence = world
    judge = Checker(True, True)
    result = quote("Did Gemini rise?", [passages[-1]], evidence, bow_embed, judge)
    assert result == (None, []) and judge.asked == []  # "Gemini rose." holds too few words to be an answer


def test_a_part_left_unanswered_is_quoted_from_a_search_for_it_on_its_own(world):
    passages, evidence = world
    question = "Who is the CFO of OpenAI, and how many monthly active users did Gemini have in October?"
    first, _ = quote("Who is the CFO of OpenAI?", passages, evidence, bow_embed, Checker(True))
    searched, find = searching(passages)
    judge = Checker(True)
    done, (check,) = complete(question, first, find, evidence, bow_embed, judge)
    assert searched == ["how many monthly active users did Gemini have in October?"]
    assert [c.n for c in done.citations] == [1, 2] and "650 million" in done.citations[1].text
    assert done.sentences[1].citations == (2,) and check.kept
    nothing, checks = complete(question, first, lambda query: None, evidence, bow_embed, Checker())
    assert nothing.citations == first.citations and checks == []  # nothing relevant: the model is not asked


def test_a_part_that_points_back_is_searched_with_the_name_and_never_requotes_a_cited_sentence(world):
    passages, evidence = world
    question = "When did Fidji Simo join OpenAI, and what does she lead?"
    first, _ = quote("What does Fidji Simo lead?", passages, evidence, bow_embed, Checker(True))
    # Cited already, and taken for the first part: it shares more words with it.
    assert "Fidji Simo leads" in first.citations[0].text
    searched, find = searching(passages)
    judge = Checker(True, True)
    done, _ = complete(question, first, find, evidence, bow_embed, judge)
    assert len(searched) == 1 and searched[0].endswith(": what does she lead?")
    assert len({c.text for c in done.citations}) == len(done.citations)  # no sentence cited twice


def test_a_part_that_points_back_to_the_answer_before_it_is_searched_with_that_answer(world):
    passages, evidence = world
    question = "Who leads OpenAI Applications, and when did she join OpenAI?"
    first, _ = quote("Who leads OpenAI Applications?", passages, evidence, bow_embed, Checker(True))
    assert "Fidji Simo" in first.citations[0].text
    searched, find = searching(passages)
    complete(question, first, find, evidence, bow_embed, Checker(True, True))
    assert searched == ["Fidji Simo: when did she join OpenAI?"]  # "she" is who the first part's answer names


def test_a_part_is_named_only_when_its_drafted_answer_was_withdrawn(world):
    passages, evidence = world
    question = "Who is the CFO of OpenAI, and how many monthly active users did Gemini have in October?"
    first, _ = quote("Who is the CFO of OpenAI?", passages, evidence, bow_embed, Checker(True))
    second = "how many monthly active users did Gemini have in October?"
    assert withdrawn_parts(question, first) == []  # the draft never took the second part up
    tried = replace(first, dropped=("Gemini had 900 million monthly active users in October.",))
    assert withdrawn_parts(question, tried) == [second]
    assert withdrawn_parts(question, replace(first, dropped=("The CFO of OpenAI is John Smith.",))) == []
    # "led" is not "lead": a withdrawn sentence sharing no word with either part may be about the missing one.
    unclear = replace(first, dropped=("She led Facebook apps at Meta before that.",))
    assert withdrawn_parts(question, unclear) == [second]
    assert withdrawn_parts("Who is the CFO of OpenAI?", tried) == []  # one part: nothing to name


@pytest.mark.parametrize(
    "text",
    [
        "Code Red and Product Company",  # a heading
        "This construct allows both the standard output (file descriptor",  # cut off by the splitter before "1)"
        "A restricted shell disallows the following actions:",  # a lead-in
    ],
)
def test_only_a_whole_sentence_is_quoted(text):
    passages, chunks = passages_from(f"{text}\nThe restricted shell forbids changing directories with cd.\n", [[0, 1]])
    judge = Checker(True, True)
    result, checks = quote("What does the restricted shell forbid?", passages, BowEvidence(chunks), bow_embed, judge)
    assert [q for q, _ in judge.asked] == ["The restricted shell forbids changing directories with cd."]
    assert result is not None and result.text.startswith("“The restricted shell forbids")
    assert quotable(chunks[1]) and not quotable(chunks[0])
    ended = passages_from('He said: "It looks like a great model."\n', [[0]])[1][0]
    assert quotable(ended)  # a closing quote after the full stop
