"""The other-way-round check: two names of the source on opposite sides of the relation."""

from __future__ import annotations

import pytest

from rag.direction import reverses

SURPASS = "The Gemini 3 Pro topped the charts upon release, even surpassing OpenAI's newly released GPT-5.1 model."
FOUNDED = "Anthropic, a startup founded by former OpenAI executives, released Claude Opus 4.5."
RECALL = "Three years ago, Pichai issued a red alert within Google, even recalling founders Larry Page and Sergey Brin."
INTEGRATED = "Unlike its predecessor, Gemini 3 was integrated into Google Search upon release."
MIXED = (
    "Gemini 3 Pro beat GPT-5.1 on every chart. The charts were published by several independent testing groups "
    "over the following weeks and months of the year. Later GPT-5.1 praised Gemini 3 Pro."
)
BASED = "At the end of the year, OpenAI released ChatGPT, based on the GPT-3.5 model."


@pytest.mark.parametrize(
    ("claim", "source", "reversed_"),
    [
        ("OpenAI's GPT-5.1 model surpassed Gemini 3 Pro.", SURPASS, True),
        ("Gemini 3 Pro surpassed GPT-5.1.", SURPASS, False),
        ("GPT-5.1 was surpassed by Gemini 3 Pro.", SURPASS, False),  # the passive turns the sides round
        ("Gemini 3 Pro was surpassed by GPT-5.1.", SURPASS, True),
        ("Former OpenAI executives founded Anthropic.", FOUNDED, False),  # the source is the passive one
        ("Anthropic founded OpenAI.", FOUNDED, True),
        ("The founders of Anthropic are former OpenAI executives.", FOUNDED, False),  # "are former" is no passive
        ("Larry Page and Sergey Brin were recalled by Google.", RECALL, False),
        ("Larry Page and Sergey Brin were recalled when Google issued a red alert.", RECALL, False),
        ("Larry Page recalled Google.", RECALL, True),
        ("Google Search was integrated into Gemini 3.", INTEGRATED, True),
        ("Gemini 3 was integrated into Google Search.", INTEGRATED, False),
        # names far apart in the claim are not related by the words between them
        ("Google Search, as the firm said at length in a note, was integrated into Gemini 3.", INTEGRATED, False),
        # every word the claim shares with its source must have the names the other way round
        ("GPT-5.1 praised and beat Gemini 3 Pro.", MIXED, False),
        ("Gemini 3 is popular.", INTEGRATED, False),  # one name: nothing to reverse
        # "was based on" and ", based on" say the same; a form of "be" on one side only compares nothing
        ("ChatGPT was based on the GPT-3.5 model.", BASED, False),
        ("GPT-3.5 was based on ChatGPT.", BASED, False),
    ],
)  # fmt: skip
def test_a_claim_that_puts_two_names_the_other_way_round(claim, source, reversed_):
    assert reverses(claim, source) is reversed_
