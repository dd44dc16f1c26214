"""Two-part questions: splitting a question into what it asks (no model)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from rag.ground import Grounded
from rag.parts import on_its_own, question_parts
from rag.quote import merged, unanswered_parts
from rag.types import Chunk, Citation, Sentence, Status


@pytest.mark.parametrize(
    ("question", "parts"),
    [
        ("When did Acme launch Zeta, and who announced it?", ["When did Acme launch Zeta", "who announced it?"]),
        ("Who leads Acme? What did she do before?", ["Who leads Acme?", "What did she do before?"]),
        ("What did Acme ship and when did it ship it?", ["What did Acme ship", "when did it ship it?"]),
        ("Which firm employs Jane Roe, and by what percentage did sales fall?",
         ["Which firm employs Jane Roe", "by what percentage did sales fall?"]),
        ("How big is Zeta, as well as what does it cost?", ["How big is Zeta", "what does it cost?"]),
        # Any preposition may come before the second question word.
        ("When did Zeta launch, and into which market did it expand?",
         ["When did Zeta launch", "into which market did it expand?"]),
        ("Who founded Acme, and out of which lab did it grow?", ["Who founded Acme", "out of which lab did it grow?"]),
        ("Who sued Acme? About what did they complain?", ["Who sued Acme?", "About what did they complain?"]),
        ("Name the model Acme shipped and say what it beat.", ["Name the model Acme shipped", "say what it beat."]),
        ("How many users did Zeta have between March and October?",
         ["How many users did Zeta have between March and October?"]),
        ("Which company and which division does she lead?", ["Which company and which division does she lead?"]),
        ("Who said that and why?", ["Who said that and why?"]),
        ("When did she join Acme? (Jane Roe ceo zeta)", ["When did she join Acme? (Jane Roe ceo zeta)"]),
        ("Who leads Acme? I need it for a report.", ["Who leads Acme? I need it for a report."]),
        ("Who leads Acme? Is she its founder too?", ["Who leads Acme?", "Is she its founder too?"]),
    ],
)
def test_question_parts(question, parts):
    assert question_parts(question) == parts


def test_a_part_that_points_back_gets_the_name_it_points_to():
    question = "When did Jane Roe join Acme? Which division was she made head of?"
    parts = question_parts(question)
    assert [on_its_own(question, p) for p in parts] == [
        "When did Jane Roe join Acme?",
        "Jane Roe: which division was she made head of?",
    ]
    question = "Which executive joined the firm, and what did she do before?"  # no name to lend
    assert on_its_own(question, question_parts(question)[1]) == "what did she do before?"
    # The answer to the part before names who "she" is, and the question does not.
    second = question_parts(question)[1]
    answers = ["Jane Roe joined the firm in May.", "Acme hired her."]
    assert on_its_own(question, second, answers) == "Jane Roe: what did she do before?"
    asked = "When did Jane Roe join Acme? Which division was she made head of?"
    assert on_its_own(asked, question_parts(asked)[1], ["Jane Roe joined Acme in May."]).startswith("Jane Roe:")
    # Without guessing, what no earlier answer names is read with the whole question.
    model = "Which Acme model did Zeta beat, and how does the article describe that model's update?"
    assert on_its_own(model, question_parts(model)[1]) == "Acme: how does the article describe that model's update?"
    assert on_its_own(model, question_parts(model)[1], guess=False) == model
    second = question_parts(model)[1]
    assert on_its_own(model, second, ["The Acme Q9 lost to Zeta."], guess=False).startswith("Acme Q9:")


def _answer(*texts: str) -> Grounded:
    chunks = tuple(Chunk(f"c{i}", "doc.txt", "0" * 64, i * 100, i * 100 + len(t), i * 100, i * 100 + len(t), i, t)
                   for i, t in enumerate(texts, 1))
    citations = tuple(Citation.of(i, c, 0.9) for i, c in enumerate(chunks, 1))
    sentences = tuple(Sentence(t, (i,)) for i, t in enumerate(texts, 1))
    return Grounded(Status.ANSWERED, sentences, citations, (), chunks)


QUESTION = "When did Acme launch the Zeta robot, and which chip does the robot run on?"


def test_the_parts_no_cited_sentence_takes_up_are_unanswered():
    launch, chip = question_parts(QUESTION)
    assert unanswered_parts(QUESTION, _answer("Acme launched the Zeta robot in May.")) == [chip]
    assert unanswered_parts(QUESTION, _answer("The robot runs on the Q9 chip.")) == [launch]
    both = _answer("Acme launched the Zeta robot in May.", "The robot runs on the Q9 chip.")
    assert unanswered_parts(QUESTION, both) == []
    # one sentence assigned to the launch, which also speaks of the chip the robot runs on
    one = _answer("Acme launched the Zeta robot in May; the robot runs on a Q9 chip.")
    assert unanswered_parts(QUESTION, one) == []
    assert unanswered_parts(QUESTION, _answer("The robot shipped in May.")) == []  # as close to either part
    assert unanswered_parts(QUESTION, Grounded(Status.UNSUPPORTED)) == [launch, chip]
    assert unanswered_parts("When did Acme launch the Zeta robot?", Grounded(Status.UNSUPPORTED)) == []
    uncited = Grounded(Status.ANSWERED, (Sentence("The robot runs on a chip."),))
    assert unanswered_parts(QUESTION, uncited) == [launch, chip]


def test_merged_numbers_the_added_citations_after_the_first():
    first, extra = _answer("Acme launched the Zeta robot in May."), _answer("“The robot runs on the Q9 chip.”")
    both = merged(replace(first, dropped=("a withdrawn claim",)), extra)
    assert [s.citations for s in both.sentences] == [(1,), (2,)]
    assert [c.n for c in both.citations] == [1, 2] and both.chunk(2) == extra.chunk(1)
    assert both.dropped == ("a withdrawn claim",)
    alone = merged(Grounded(Status.UNSUPPORTED, dropped=("a withdrawn claim",)), extra)
    assert alone.sentences == extra.sentences and alone.dropped == ("a withdrawn claim",)
