from rag.condense import condense, is_follow_up

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
