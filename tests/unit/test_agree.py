"""The second opinion's comparison: does the model's own short answer from the source agree with the
claim on what the claim adds to the question? Made-up sentences only."""

from __future__ import annotations

import pytest

from rag.agree import Agreement, added, agreement


@pytest.mark.parametrize(
    ("answer", "claim", "question", "expected"),
    [
        # What the answer adds is in the claim.
        ("Jane Roe and Tim Poe", "Jane Roe and Tim Poe were recalled in May.", "Which founders were recalled?",
         Agreement.AGREES),
        ("350 million", "Bolt had 350 million users in March.", "How many users did Bolt have in March?",
         Agreement.AGREES),
        # It names something else: the claim gives another name.
        ("Atlas", "Jane Roe", "What is the name of the browser Bolt released?", Agreement.DIFFERS),
        ("650 million", "Bolt had 350 million users.", "How many users did Bolt have?", Agreement.DIFFERS),  # a figure
        ("350 million", "Bolt had 350 million users by May.", "How many users did Bolt have?", Agreement.AGREES),
        # Nothing the question did not already say, a refusal, or only part of it in the claim.
        ("Acme", "Jane Roe led Bolt and later ran Acme.", "Which Acme apps did Jane Roe lead?", Agreement.SILENT),
        ("none", "Jane Roe runs Acme.", "Who runs Acme?", Agreement.SILENT),
        ("None.", "Jane Roe runs Acme.", "Who runs Acme?", Agreement.SILENT),
        ("", "Jane Roe runs Acme.", "Who runs Acme?", Agreement.SILENT),
        ("The documents do not say.", "Jane Roe runs Acme.", "Who runs Acme?", Agreement.SILENT),
        ("Jane Roe, Bolt", "She led Bolt before that.", "Which company did she lead as CEO?", Agreement.SILENT),
    ],
)
def test_the_answer_is_compared_on_what_it_adds_to_the_question(answer, claim, question, expected):
    assert agreement(answer, claim, question) is expected


def test_an_either_or_answer_is_compared_on_the_option_it_names():
    question = "Did Jane Roe say the model would ship next week or next month?"
    assert added("next week", question) == {"week"}
    assert agreement("next week", "The model will ship next week.", question) is Agreement.AGREES
    assert agreement("next month", "The model will ship next week.", question) is Agreement.DIFFERS
    # an option named by a stop word ("most") or by "US" counts too
    question = "Is red the most or the least severe level?"
    assert added("the most severe", question) == {"most"}
    assert agreement("most severe", "Red is the most severe level.", question) is Agreement.AGREES
    assert agreement("least severe", "Red is the most severe level.", question) is Agreement.DIFFERS
    question = "Did Bolt study the US market or the Dutch one?"
    assert agreement("the US market", "Bolt studied the Dutch market.", question) is Agreement.DIFFERS


def test_a_yes_or_no_answer_is_compared_with_the_claims_yes_or_no():
    question = "Was Jane Roe the CEO of Acme?"
    assert agreement("Yes.", "Yes, Jane Roe was the CEO of Acme.", question) is Agreement.AGREES
    assert agreement("No", "Yes, Jane Roe was the CEO of Acme.", question) is Agreement.DIFFERS
    assert agreement("no", "No, she was not.", question) is Agreement.AGREES
    # Not a yes/no question: "No ..." opens an answer like any other word.
    assert agreement("No one", "Jane Roe runs Acme.", "Who runs Acme?") is Agreement.DIFFERS
    question = "What did Jane Roe say about the merger?"
    assert agreement("No comment", "No merger talks were held in May.", question) is Agreement.DIFFERS
