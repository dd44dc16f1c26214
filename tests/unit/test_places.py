"""Places known by several names (``rag.places``)."""

from __future__ import annotations

import pytest

from rag.ground import names_stand
from rag.parts import on_its_own
from rag.places import same_place_named
from rag.text import names, names_supported


@pytest.mark.parametrize(
    ("name", "text", "named"),
    [
        (("americans",), "time spent in the US has fallen", True),
        (("americans",), "time spent in the U.S. has fallen", True),
        (("america",), "controversy in the United States.", True),
        (("us",), "American tech media are concerned", True),
        (("united", "kingdom"), "British regulators", True),
        (("chinese",), "a lab in China", True),
        (("americans",), "he told us the figure", False),  # the pronoun
        (("americans",), "British regulators", False),  # another place
        (("americans",), "USB sticks and USAGE", False),  # a word that starts like it
        (("openai",), "OpenAI said", False),  # not a place: the word rules decide
        # part of a longer name is not the place
        (("americans",), "users in Latin America spend more", False),
        (("us",), "Bank of America said", False),
        (("united", "states"), "American Airlines gave it to staff", False),
        (("india",), "ships in the Indian Ocean", False),
        (("americans",), "In America, use fell", True),  # a capitalised stop word before is no name
        (("americans",), "US Steel cut 2,000 jobs", False),
        (("americans",), "CONTACT US", False),
        (("americans",), "jobs in the US. Then", True),
        (("india",), "China Mobile and Air India", False),  # a company named after a place
        (("us",), "call US NOW", False),  # capitals after capitals may be shouting
        # an office of the place, a coined name or a possessive after it leave it the place
        (("united", "states"), "US President Donald Trump said", True),
        (("uk",), "the British Prime Minister said", True),
        (("china",), "the Chinese DeepSeek team launched V3.2", True),
        (("chinese",), "China's Alibaba and Tencent", True),
        (("china",), "the Chinese Qwen3 models", True),
        (("americans",), "the American Airlines pilots", False),
        (("india",), "the Indian Premier League drew viewers", False),  # a league, not the premier's office
        (("us",), "the US State Department said", True),
        (("china",), "the Chinese Communist Party", True),
        (("china",), "Chinese AI labs raised money", True),  # an acronym after a name not in capitals
        (("taiwan",), "The Taiwanese TSMC makes chips", True),
        (("americans",), "US ARMY SURPLUS", False),  # capitals after capitals
        (("netherlands",), "The Dutch House is set near Philadelphia.", False),  # a title, not an office
    ],
)
def test_a_place_is_found_under_any_of_its_names(name, text, named):
    assert same_place_named(name, text) is named


def test_names_supported_reads_places_as_written():
    assert names_supported([("americans",), ("chatgpt",)], "ChatGPT use in the US fell")
    assert not names_supported([("americans",), ("chatgpt",)], "ChatGPT use in the US fell".lower())


@pytest.mark.parametrize(
    ("question", "name"),
    [
        ("How much time do US users spend?", ("us",)),
        ("How much time do U.S. users spend?", ("u.s.",)),
        ("What did the EU fine it?", ("eu",)),
    ],
)
def test_a_short_form_in_capitals_is_a_name(question, name):
    assert name in names(question)


def test_the_pronoun_us_is_no_name():
    assert names("So tell us how much time users spend") == []


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ("time spent in the United States fell", True),
        ("time spent by Americans fell", True),
        ("time spent in the U.S. fell", True),
        ("they told us that time spent in Europe fell", False),  # the pronoun is not the country
        ("time spent in Europe fell", False),
    ],
)
def test_a_question_about_the_us_needs_the_country_in_the_text(text, named):
    [us] = names("How much did time spent in the US fall?")
    [dotted] = names("How much did time spent in the U.S. fall?")
    assert names_supported([us], text) is named
    assert names_supported([dotted], text) is named


@pytest.mark.parametrize(
    "text", ["The U.N. adopted it.", "A.I. spending grew 20% in 2025.", "It met in Washington, D.C. in May."]
)
def test_a_dotted_initialism_is_found_as_written(text):
    assert names(text) and names_supported(names(text), text)


def test_a_place_named_by_the_cited_sentence_is_nobody_else():
    cited = "In the US, the chatbot had 50 million users."
    claim = "Gemini had 50 million users in the United States."
    question = "How many users did Gemini have in the US?"
    assert names_stand(claim, question, cited, f"Gemini grew fast. {cited}") == f"Gemini grew fast. {cited}"
    other = "Claude had 50 million users."
    assert names_stand(claim, question, other, f"Gemini grew fast. {other}") is None


def test_a_part_that_points_back_is_not_read_as_about_a_place():
    question = "How many users did Gemini have, and how many did it have there?"
    assert on_its_own(question, "how many did it have there?", ["Most users were in the US."]) == (
        "Gemini: how many did it have there?"
    )


def test_what_a_part_points_back_at_is_found_as_a_whole_word():
    assert on_its_own("Who won, and what did he get?", "what did he get?", ["The maximum prize went to Max."]) == (
        "Max: what did he get?"
    )


def test_a_claim_about_a_place_stands_on_its_adjective_before_a_name():
    sentence = "The Chinese DeepSeek team has also launched the DeepSeek-V3.2 series models."
    claim = "DeepSeek's team from China launched the DeepSeek-V3.2 series models."
    assert names_supported(names(claim), sentence)
    assert not names_supported(names(claim), sentence.replace("Chinese", "Korean"))
