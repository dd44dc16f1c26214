"""Yes/no and either/or questions: the claim that answers them in the question's own words."""

import pytest

from rag.asks import alternatives, answers_polar, covers_periods, option_names, question_names


@pytest.mark.parametrize(
    ("question", "first", "second"),
    [
        ("Will it ship next week or next month?", {"week"}, {"month"}),
        ("Is the new model Claude Sonnet 4.5 or Claude Opus 4.5?", {"sonnet"}, {"opus"}),
        ("By October, had Gemini reached 650 million or 800 million users?", {"650"}, {"800"}),
        ("Did she come from Google or from Meta?", {"googl"}, {"meta"}),
        # "one" after the "or" is the first option's noun again; "US" is the country
        ("Did Bolt study the US market or the Dutch one?", {"us"}, {"dutch"}),
        # what the second option adds to the first is both options' ("severe level")
        ("Is red the most or the least severe level?", {"most"}, {"least"}),
        ("Did they launch it in Europe or in North America?", {"europ"}, {"north"}),
        ("Did it have more users or fewer?", {"more"}, {"fewer"}),
        ("Who founded Anthropic?", set(), set()),
    ],
)
def test_the_options_of_an_either_or_question(question, first, second):
    got_first, got_second = alternatives(question)
    assert first <= got_first and got_second == second
    assert not got_first & got_second


@pytest.mark.parametrize(
    ("question", "first", "second"),
    [
        ("Is red the most or the least severe level?", {"most"}, {"least"}),
        ("Did Bolt study the US market or the Dutch one?", {"us"}, {"dutch"}),
        # the first option's words are kept when the second is the shorter: they cannot be told from the
        # context before them ("priced above or below ...")
        ("Is Opus priced above or below Gemini 3 Pro?", {"opus", "price", "above"}, {"below", "gemini", "3", "pro"}),
        # "one" is read as the noun only where both options open alike
        ("Which one, the first or the second one?", set(), {"second"}),
        ("Is it bigger or smaller than the EU one?", {"bigger"}, {"smaller"}),
        ("The red or the big one?", {"red"}, {"big"}),  # too few words before the "or" to line up
    ],
)
def test_the_exact_options_of_an_either_or_question(question, first, second):
    assert alternatives(question) == (first, second)


@pytest.mark.parametrize(
    ("claim", "question", "answers"),
    [
        # one option kept, the other not: a choice, even in the question's own words
        ("The model will ship next week.", "Will the model ship next week or next month?", True),
        ("The new model is Claude Opus 4.5.", "Is the new model Claude Sonnet 4.5 or Claude Opus 4.5?", True),
        ("Bolt studied the Dutch market.", "Did Bolt study the US market or the Dutch one?", True),
        ("Red is the most severe level.", "Is red the most or the least severe level?", True),
        ("Red is the severe level.", "Is red the most or the least severe level?", False),
        ("It had more users.", "Did it have more users or fewer?", True),
        # both options, or neither: no choice made
        ("The model will ship next week or next month.", "Will the model ship next week or next month?", False),
        ("The model will ship.", "Will the model ship next week or next month?", False),
        # a yes or a no answers a yes/no question, also after a leading phrase
        ("Yes, Fidji Simo was Instacart's CEO.", "Before OpenAI, had Fidji Simo been Instacart's CEO?", True),
        ("No, it was trained on TPUs.", "Was Gemini 3 trained on GPUs?", True),
        # but not a question that asks for something else
        ("Yes, Fidji Simo.", "Who was Instacart's CEO?", False),
    ],
)
def test_a_claim_answering_a_polar_question_in_its_own_words(claim, question, answers):
    assert answers_polar(claim, question) is answers


def test_one_option_of_an_either_or_question_covers_its_periods():
    question = "Did Altman say the model would ship next week or next month?"
    assert covers_periods(question, "They will release a model next week.")
    assert not covers_periods(question, "They will release a model.")
    # a period outside the options is still required
    assert not covers_periods("Every month, did it gain users next week or next year?", "Next week it grew.")
    assert not covers_periods("How many users every month?", "800 million every week")


@pytest.mark.parametrize(
    ("question", "offered"),
    [
        ("Did Fidji Simo come to OpenAI from Google or from Meta?", [("google",), ("meta",)]),
        ("Did the model run on Gemini 3 or on GPT-5.1?", [("gemini",), ("gpt-5.1",)]),
        ("Will OpenAI ship it next week or next month?", []),  # options that are not names
        ("Did OpenAI ship it next week?", []),  # no choice
        ("Did OpenAI beat Anthropic or not?", []),  # one option, not two names
        ("Did Microsoft invest in OpenAI, or did Google?", []),  # more than one name on a side
        ("Was Gemini 3 or GPT-5.1 first on the charts?", []),  # a comparison needs both
        ("Did OpenAI or Anthropic raise more?", []),
        ("Is Claude or Gemini pricier than GPT-4?", []),
    ],
)
def test_the_names_an_either_or_question_offers(question, offered):
    assert option_names(question, question_names(question, "")) == offered
