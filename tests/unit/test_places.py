"""Places known by several names (``rag.places``)."""

from __future__ import annotations

import pytest

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
