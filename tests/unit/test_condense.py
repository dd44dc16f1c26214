from rag.condense import condense, is_follow_up, standalone
from rag.text import people, speaking_of

HISTORY = [
    {"role": "user", "content": "Who leads the OpenAI Applications division?"},
    {"role": "assistant", "content": "Fidji Simo leads it [1]."},
]


def test_follow_up_gets_previous_key_terms():
    rewritten = condense("When did she join?", HISTORY)
    assert rewritten.startswith("When did she join?")
    for term in ("OpenAI", "Applications", "division", "fidji", "simo"):
        assert term in rewritten


def test_standalone_questions_are_left_alone():
    assert condense("How many people use ChatGPT every week?", HISTORY) is None
    assert condense("When did she join?", []) is None


def test_follow_up_detection():
    assert is_follow_up("What about them?")
    assert is_follow_up("And Google?")
    assert not is_follow_up("Who is the head of ChatGPT at OpenAI?")


def test_a_follow_up_that_continues_the_last_turn_is_one():
    assert is_follow_up("So what is Altman focusing on instead?")
    assert is_follow_up("And what did Deedy Das say about users?")
    assert is_follow_up("What else did Altman announce?")
    assert not is_follow_up("What is Altman focusing on?")
    assert not is_follow_up("Who is the head of ChatGPT, and since when?")  # "and" inside is not a follow-up


def test_people_are_full_names_after_any_opening_function_word():
    assert people("Did Sam Altman hire Fidji Simo in May?") == ["Sam Altman", "Fidji Simo"]
    assert people("According to The Information, In May, Sarah Friar said so [1].") == ["Sarah Friar"]
    assert people("OpenAI's CFO met Pichai in March.") == []  # one-word names and "OpenAI" are not full names


def test_she_in_a_follow_up_is_the_person_the_last_turn_names():
    history = [
        {"role": "user", "content": "Who runs OpenAI's applications business?"},
        {"role": "assistant", "content": "Fidji Simo, who reports to Sam Altman [1]."},
    ]
    assert standalone("Where did she work before joining?", history) == "Where did Fidji Simo work before joining?"
    assert standalone("What was her role at Meta?", history) == "What was Fidji Simo's role at Meta?"
    assert standalone("What did Altman say about her?", history) == "What did Altman say about Fidji Simo?"
    # The person the last question names comes before the answer's.
    asked = [
        {"role": "user", "content": "Which firm does Deedy Das work for?"},
        {"role": "assistant", "content": "Menlo Ventures."},
    ]
    assert standalone("What did he say?", asked) == "What did Deedy Das say?"
    assert standalone("When is it expected?", history) is None  # "it" is left alone
    assert standalone("Where did she work?", []) is None
    assert standalone("Where did she work?", [{"role": "user", "content": "Who is OpenAI's CFO?"}]) is None


def test_a_claim_opening_with_she_is_read_as_about_the_one_person_the_question_names():
    assert speaking_of("She led apps at Meta.", "Where did Fidji Simo work?") == "Fidji Simo led apps at Meta."
    her = speaking_of("Her first job was at Meta.", "Where did Fidji Simo work?")
    assert her == "Fidji Simo's first job was at Meta."
    assert speaking_of("She led apps.", "Did Sam Altman hire Fidji Simo?") == "She led apps."  # two people
    assert speaking_of("Shelly led apps.", "Where did Fidji Simo work?") == "Shelly led apps."
    assert speaking_of("She led apps.", "Where did she work?") == "She led apps."
