"""The difference a question asks for, computed from a sentence that gives both levels (``rag.calculate``)."""

from __future__ import annotations

import pytest

from rag.calculate import DOWN, UP, asks_difference, calculate, change_pair, difference_claim, level_pair
from rag.ground import Grounded
from rag.judge import Verdict
from rag.types import Citation, Sentence, Status
from tests.unit.helpers import WORLD_DOC, BowEvidence, passages_from

DOC = WORLD_DOC.replace("it had 650 million", "it had jumped to 650 million")
GROWTH = "By how many monthly active users did Gemini grow between March and October?"


@pytest.mark.parametrize(
    ("sentence", "claim"),
    [
        (
            "In March, Gemini had 350 million monthly active users, and by October it had jumped to 650 million.",
            "The difference is 300 million (650 million − 350 million).",
        ),
        ("Its share rose from 22% to 31% of ChatGPT's traffic.", "The difference is 9 percentage points (31% − 22%)."),
        (
            "After Gemini 3 launched, its share fell from 31.5% to 22%.",
            "The difference is 9.5 percentage points (31.5% − 22%).",
        ),
        (
            "Between 2023 and 2025, revenue grew from $1,200 million to $1,450.5 million.",
            "The difference is $250.5 million ($1,450.5 million − $1,200 million).",
        ),
        ("Sales went up from $5 to $8 in 2025.", "The difference is $3 ($8 − $5)."),
        ("Revenue grew from $1,200 to $2,450.", "The difference is $1,250 ($2,450 − $1,200)."),
    ],
)
def test_two_levels_of_one_measure_give_their_difference(sentence, claim):
    pair = level_pair(sentence)
    assert pair is not None and difference_claim(pair) == claim


@pytest.mark.parametrize(
    "sentence",
    [
        "Time spent has decreased by 22.5% since July, and conversations have also decreased by 20.7%.",  # changes
        "Its share rose from 22% to 31%, and Claude's to 12%.",  # a third level in the unit
        "Usage rose from 22% to 31 million visits.",  # two units
        "From 2022 to 2024, sales fell.",  # years are no levels
        "She sent 5 emails to 7 people.",  # "to" a figure, but nothing changes from one to the other
        "It had 350 million users in March.",  # one level
        "Staff grew from 1,200 to 2,450.",  # bare numbers: staff, seconds or days alike
        "Revenue rose from $3.7bn to $13bn.",  # a unit not read
        "Headcount grew from 1,500 million to 2,050 million as contractors rose to 300 million.",  # a third level
        "Users grew from 1.5 million weekly to 10 million monthly.",  # two measures
        "ChatGPT had a 70% share in October, and Gemini's grew to 20%.",  # two companies' levels
        "In March, Gemini added 300 million users, and by October its total had jumped to 650 million.",  # a change
        "Gemini had 800 million users, and by October its rival's count had jumped to 650 million.",  # another owner
        # no verb takes one to the other: a noun of change, or "lost" something else
        "Sales were $3 billion in 2023, and any increase in tariffs could add up to $2 billion.",
        "The fund had $10 billion in assets and lost a lawsuit that could cost it up to $2 billion.",
    ],
)
def test_anything_else_is_no_level_pair(sentence):
    assert level_pair(sentence) is None


@pytest.mark.parametrize(
    ("question", "asks"),
    [
        (GROWTH, True),
        ("How many more users did Gemini have in October than in March?", True),
        ("How many percentage points did its share gain?", True),
        ("How much did its share rise after the launch?", True),
        ("What is the difference between the two figures?", True),
        ("How many users did Gemini have in October?", False),
        ("By what percentage did its users grow?", False),  # a relative change
        ("How many times bigger was GPT-3?", False),  # a ratio
        ("How many users did Gemini have when its share rose to 31%?", False),  # a level, at a change
        ("By how many percent did its share grow?", False),  # a relative change
        ("How many-fold did its users grow?", False),
        ("How much did its users grow in relative terms?", False),
        ("How many points higher was its share in October?", True),
        ("How much did its share jump?", True),
        ("By how many points did its traffic, measured relative to ChatGPT's, go up?", True),
        ("What difference did the October launch make to its users?", False),  # "difference" as a noun
        ("How many times did its users increase?", False),
        ("How much did its users grow, as a percent change?", False),  # a relative change
    ],
)
def test_a_question_asks_for_a_difference(question, asks):
    assert asks_difference(question) is asks


@pytest.fixture
def world():
    passages, chunks = passages_from(DOC, [[0], [1], [2], [3, 4], [5]])
    return passages, chunks, BowEvidence(chunks)


def answered(text: str, chunk) -> Grounded:
    return Grounded(Status.ANSWERED, (Sentence(text, (1,)),), (Citation.of(1, chunk, 0.9),), (), (chunk,))


def test_an_answer_that_quotes_both_levels_gets_their_difference_citing_the_same_sentence(world):
    passages, chunks, evidence = world
    quoted = answered(f"“{chunks[2].text}”", chunks[2])
    grounded, (check,) = calculate(GROWTH, quoted, passages, evidence)
    assert grounded.status is Status.ANSWERED and len(grounded.citations) == 1
    assert grounded.sentences[-1] == Sentence("The difference is 300 million (650 million − 350 million).", (1,))
    assert check.kept and check.rule == "computed from the cited sentence"


def test_an_answer_that_gives_the_difference_is_left_as_it_is(world):
    passages, chunks, evidence = world
    given = answered("Gemini grew by 300 million monthly active users.", chunks[2])
    assert calculate(GROWTH, given, passages, evidence) == (given, [])


class Checker:
    """A scripted quote check that records what it was asked."""

    def __init__(self, holds: bool) -> None:
        self.holds, self.asked = holds, []

    def __call__(self, sentence: str, question: str) -> Verdict:
        self.asked.append((sentence, question))
        return Verdict(self.holds, 0.9 if self.holds else 0.1)


def test_with_every_claim_withdrawn_a_retrieved_sentence_the_model_finds_answering_is_computed_from(world):
    passages, chunks, evidence = world
    withdrawn = Grounded(Status.UNSUPPORTED, dropped=("Gemini grew by 200 million.",))
    check = Checker(True)
    grounded, (verdict,) = calculate(GROWTH, withdrawn, passages, evidence, check)
    assert grounded.status is Status.ANSWERED and grounded.dropped == ("Gemini grew by 200 million.",)
    assert [c.text for c in grounded.chunks] == [chunks[2].text]
    assert grounded.sentences == (Sentence("The difference is 300 million (650 million − 350 million).", (1,)),)
    assert check.asked == [(chunks[2].text, GROWTH)] and verdict.kept


def test_a_retrieved_sentence_the_model_finds_not_answering_adds_nothing(world):
    passages, _, evidence = world
    withdrawn = Grounded(Status.UNSUPPORTED)
    grounded, (verdict,) = calculate(GROWTH, withdrawn, passages, evidence, Checker(False))
    assert grounded == withdrawn and not verdict.kept and verdict.rule.startswith("not computed")


def test_without_a_model_check_a_retrieved_sentence_is_not_computed_from(world):
    passages, _, evidence = world
    withdrawn = Grounded(Status.UNSUPPORTED)
    assert calculate(GROWTH, withdrawn, passages, evidence) == (withdrawn, [])


@pytest.mark.parametrize(
    "question",
    [
        "By how many weekly users did Gemini grow between March and October?",  # another period
        "By how many monthly active users did Gemini grow between March and October in Europe?",  # another place
        "How many monthly active users did Gemini have in October?",  # no difference asked
    ],
)
def test_levels_that_do_not_answer_the_question_are_not_put_to_the_model(world, question):
    passages, _, evidence = world
    withdrawn, check = Grounded(Status.UNSUPPORTED), Checker(True)
    assert calculate(question, withdrawn, passages, evidence, check) == (withdrawn, [])
    assert check.asked == []


def test_a_draft_that_said_the_documents_do_not_say_stays_declined(world):
    passages, _, evidence = world
    declined = Grounded(Status.DECLINED)
    assert calculate(GROWTH, declined, passages, evidence, Checker(True)) == (declined, [])


PARALLEL = "Time spent has decreased by 22.5% since July, and the number of conversations has also decreased by 20.7%."


@pytest.mark.parametrize(
    ("sentence", "question", "claim"),
    [
        (
            PARALLEL,
            "How many percentage points larger was the drop in time spent than the drop in conversations?",
            "The difference is 1.8 percentage points (22.5% − 20.7%).",
        ),
        (PARALLEL, "By how much did time spent fall since July?", None),  # one measure: the sentence gives it
        (PARALLEL, "How much more did conversations fall than messages?", None),  # one of the two measures
        (
            "Time spent has decreased by 22.5% since July, and conversations have also decreased by 20 million.",
            "How much more did time spent fall than conversations?",
            None,  # two units
        ),
        (
            "Time spent decreased by 22.5%, and conversations decreased by 20.7% and 3%.",
            "How much more did time spent fall than conversations?",
            None,  # a clause with two figures
        ),
        (
            "The app's revenue rose by 20%; its profit fell by 5%.",
            "By how many points did the revenue rise more than the profit fell?",
            None,  # nothing said alike of the two
        ),
        (
            "Time spent per user has decreased by 22.5%, while messages per user have increased by 20.7%.",
            "How many points larger was the drop in time spent than the rise in messages?",
            None,  # opposite changes
        ),
        (
            "ChatGPT's time spent decreased by 22.5%, while Gemini's conversations decreased by 20.7%.",
            "How many points larger was the drop in time spent than the drop in conversations?",
            None,  # two subjects
        ),
        (
            "Its share of the app market rose to 31% in October, and its share of the web market rose by 5%.",
            "How many points more did its share of the app market rise than of the web market?",
            None,  # a level and a change
        ),
        (
            "Time spent fell by 22.5%; conversations fell by 20.7%; sessions fell by 10%.",
            "How much more did time spent fall than conversations and sessions?",
            None,  # three changes
        ),
    ],
)
def test_two_changes_the_question_compares_give_their_difference(sentence, question, claim):
    pair = change_pair(sentence, question)
    assert (pair and difference_claim(pair)) == claim


def test_an_answer_citing_two_changes_the_question_compares_gets_their_difference():
    passages, chunks = passages_from(PARALLEL + "\n", [[0]])
    question = "How many percentage points larger was the drop in time spent than the drop in conversations?"
    given = answered("Time spent decreased by 22.5% and conversations by 20.7%.", chunks[0])
    grounded, _ = calculate(question, given, passages, BowEvidence(chunks))
    assert grounded.sentences[-1] == Sentence("The difference is 1.8 percentage points (22.5% − 20.7%).", (1,))


def test_an_answer_about_another_subject_gets_no_difference(world):
    passages, chunks, evidence = world
    quoted = answered(f"“{chunks[2].text}”", chunks[2])
    question = "By how many monthly active users did Gemini grow between March and October in Europe?"
    assert calculate(question, quoted, passages, evidence) == (quoted, [])


def test_a_two_part_answer_that_cites_levels_only_for_the_other_part_gets_no_difference(world):
    passages, chunks, evidence = world
    quoted = answered(f"“{chunks[2].text}”", chunks[2])
    question = "How many monthly active users did Gemini have in March, and by how many did they grow by October?"
    assert calculate(question, quoted, passages, evidence) == (quoted, [])


def test_an_answer_citing_two_sentences_with_levels_gets_no_difference_to_choose():
    doc = "Its share rose from 22% to 31% in March.\nIts share rose from 10% to 14% in May.\n"
    passages, chunks = passages_from(doc, [[0], [1]])
    sentences = (Sentence("Its share rose to 31% [1].", (1,)), Sentence("And to 14% [2].", (2,)))
    citations = (Citation.of(1, chunks[0], 0.9), Citation.of(2, chunks[1], 0.9))
    given = Grounded(Status.ANSWERED, sentences, citations, (), tuple(chunks[:2]))
    assert calculate("By how many points did its share rise?", given, passages, BowEvidence(chunks)) == (given, [])


def test_levels_that_went_the_other_way_do_not_answer_how_much_it_grew():
    doc = "In March, Gemini had 650 million users, but by October it had fallen to 350 million.\n"
    passages, chunks = passages_from(doc, [[0]])
    given = answered(f"“{chunks[0].text}”", chunks[0])
    evidence = BowEvidence(chunks)
    assert calculate("By how many users did Gemini grow by October?", given, passages, evidence) == (given, [])
    fell, _ = calculate("By how many users did Gemini fall by October?", given, passages, evidence)
    assert fell.sentences[-1].text == "The difference is 300 million (650 million − 350 million)."


def test_an_answer_that_gives_the_difference_written_another_way_is_left_as_it_is():
    doc = "Its share rose from 22% to 31.50% of the traffic.\n"
    passages, chunks = passages_from(doc, [[0]])
    given = answered("Its share rose by 9.5 points.", chunks[0])
    assert calculate("By how many points did its share rise?", given, passages, BowEvidence(chunks)) == (given, [])


def test_the_difference_cites_the_sentence_with_the_levels_by_its_own_number(world):
    passages, chunks, evidence = world
    sentences = (Sentence("Gemini is Google's.", (1,)), Sentence(f"“{chunks[2].text}”", (2,)))
    citations = (Citation.of(1, chunks[1], 0.9), Citation.of(2, chunks[2], 0.9))
    given = Grounded(Status.ANSWERED, sentences, citations, (), (chunks[1], chunks[2]))
    grounded, _ = calculate(GROWTH, given, passages, evidence)
    assert grounded.sentences[-1] == Sentence("The difference is 300 million (650 million − 350 million).", (2,))


def test_with_every_claim_withdrawn_the_retrieved_sentence_with_the_levels_is_found_past_others():
    doc = (
        "Gemini's monthly active users grew fast between March and October, analysts said.\n"
        "In March, Gemini had 350 million monthly active users, and by October it had jumped to 650 million.\n"
        "Gemini is made by Google.\n"
    )
    passages, chunks = passages_from(doc, [[0], [1], [2]])
    check = Checker(True)
    grounded, _ = calculate(GROWTH, Grounded(Status.UNSUPPORTED), passages, BowEvidence(chunks), check)
    assert grounded.chunks == (chunks[1],) and check.asked == [(chunks[1].text, GROWTH)]


def test_with_every_claim_withdrawn_the_retrieved_sentence_closest_to_the_question_is_tried_first():
    doc = (
        "Between March and October, Gemini's monthly downloads rose from 2 million to 5 million.\n"
        "Gemini's monthly active users grew from 350 million in March to 650 million in October.\n"
    )
    passages, chunks = passages_from(doc, [[0], [1]])
    check = Checker(True)
    grounded, _ = calculate(GROWTH, Grounded(Status.UNSUPPORTED), passages, BowEvidence(chunks), check)
    assert check.asked == [(chunks[1].text, GROWTH)]
    assert grounded.sentences == (Sentence("The difference is 300 million (650 million − 350 million).", (1,)),)


def test_a_difference_is_computed_from_a_retrieved_line_without_a_full_stop():
    doc = "Gemini's monthly active users grew from 350 million in March to 650 million in October\n"
    passages, chunks = passages_from(doc, [[0]])
    grounded, _ = calculate(GROWTH, Grounded(Status.UNSUPPORTED), passages, BowEvidence(chunks), Checker(True))
    assert grounded.sentences == (Sentence("The difference is 300 million (650 million − 350 million).", (1,)),)


@pytest.mark.parametrize(
    ("question", "went"),
    [
        ("How much has Gemini's audience grown between March and October?", "up"),
        ("How many monthly active users has Gemini been losing between March and October?", "down"),
        ("How many monthly active users did Gemini have in March and October?", ""),
        ("How much has Gemini's audience shrunk between March and October?", "down"),
    ],
)
def test_the_direction_asked_is_read_in_any_form_of_its_verb(question, went):
    assert asks_difference(question) is bool(went)
    if went:
        assert bool(UP.search(question)) is (went == "up") and bool(DOWN.search(question)) is (went == "down")
