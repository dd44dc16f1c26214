import pytest

from rag.ground import ground
from rag.text import figures, is_refusal, loops, names, names_supported, parse_markers, refers_back, split_sentences
from rag.types import Status
from tests.unit.helpers import BowEvidence, bow_embed, passages_from

DOC = (
    "Over 800 million people chat with ChatGPT every week.\n"
    "OpenAI is valued at over $500 billion.\n"
    "Anthropic released its flagship model Claude Opus 4.5.\n"
    "Fidji Simo joined OpenAI in May of this year.\n"
)


@pytest.fixture
def setup():
    passages, chunks = passages_from(DOC, [[0], [1], [2], [3]])
    return passages, BowEvidence(chunks), DOC


def run(answer, setup, question=""):
    passages, evidence, _ = setup
    return ground(answer, passages, bow_embed, evidence, question)


def test_correct_citation_is_kept_with_exact_span(setup):
    g = run("Over 800 million people chat with ChatGPT every week [1].", setup)
    assert g.status is Status.ANSWERED
    assert g.text == "Over 800 million people chat with ChatGPT every week [1]."
    (c,) = g.citations
    assert c.n == 1 and DOC[c.start : c.end] == c.text and "800 million" in c.text


def test_wrong_marker_is_repointed_to_the_supporting_passage(setup):
    g = run("OpenAI is valued at over $500 billion [3].", setup)
    assert g.status is Status.ANSWERED
    assert "$500 billion" in g.citations[0].text
    assert g.text.endswith("[1].")  # renumbered in order of appearance


def test_missing_and_out_of_range_markers(setup):
    g = run("Fidji Simo joined OpenAI in May [9]. Over 800 million people chat with ChatGPT every week.", setup)
    assert [c.text.split()[0] for c in g.citations] == ["Fidji", "Over"]
    assert g.text == ("Fidji Simo joined OpenAI in May [1]. Over 800 million people chat with ChatGPT every week [2].")


def test_figure_from_another_entity_is_not_supported(setup):
    # Anthropic and $500 billion both occur, but never in the same passage.
    g = run("Anthropic is valued at over $500 billion [2].", setup)
    assert g.status is Status.UNSUPPORTED and not g.citations


def test_unsupported_sentence_is_dropped_and_rest_kept(setup):
    g = run("OpenAI is valued at over $500 billion [2]. It has 9000 employees in Paris [2].", setup)
    assert g.status is Status.ANSWERED
    assert "9000" not in g.text and g.dropped == ("It has 9000 employees in Paris.",)


def test_clauses_can_cite_different_passages(setup):
    g = run("OpenAI is valued at over $500 billion, while over 800 million people chat with ChatGPT.", setup)
    assert g.status is Status.ANSWERED
    assert len(g.citations) == 2


def test_model_refusal_is_declined(setup):
    assert run("The documents do not say.", setup).status is Status.DECLINED
    assert run("The passages do not mention Anthropic's valuation.", setup).status is Status.DECLINED


def test_quantity_question_without_a_figure_is_refused(setup):
    g = run("OpenAI is valued highly [2].", setup, question="How much is OpenAI worth?")
    assert g.status is Status.UNSUPPORTED


def test_empty_answer_and_no_passages(setup):
    assert run("", setup).status is Status.UNSUPPORTED
    assert ground("Anything [1].", [], bow_embed, setup[1]).status is Status.UNSUPPORTED


def test_markers_after_the_full_stop_stay_with_their_sentence():
    assert split_sentences("It is big. [2] Next one [1].") == ["It is big [2].", "Next one [1]."]
    assert split_sentences("It reads ~/.bash_login or ~/.profile. [1] Then .inputrc [2].") == [
        "It reads ~/.bash_login or ~/.profile [1].",
        "Then .inputrc [2].",
    ]
    assert parse_markers("It is big [1, 2][3].") == ("It is big.", [1, 2, 3])


def test_a_draft_in_a_loop_is_no_claim_however_many_source_words_it_repeats(setup):
    # A model that has lost its thread repeats the source's words: "over" and "chatgpt" are all in [1].
    g = run("Over ChatGPT ChatGPT ChatGPT ChatGPT [1].", setup)
    assert g.status is Status.UNSUPPORTED and g.dropped == ("Over ChatGPT ChatGPT ChatGPT ChatGPT.",)
    g = run("Over 800 million people chat with ChatGPT every week [1]. Every week, ), ), ), ), [1].", setup)
    assert g.status is Status.ANSWERED and g.text == "Over 800 million people chat with ChatGPT every week [1]."
    assert g.dropped == ("Every week, ), ), ), ),.",)


def test_a_sentence_about_the_sources_alone_is_left_out(setup):
    g = run("OpenAI is valued at over $500 billion [2]. This is reported in source.", setup)
    assert g.text == "OpenAI is valued at over $500 billion [1]." and not g.dropped
    g = run("OpenAI is valued at over $500 billion [2]. The document contains the answer.", setup)
    assert g.text == "OpenAI is valued at over $500 billion [1]." and not g.dropped  # it only restates
    g = run("OpenAI is valued at over $500 billion [2]. That is a large sum. The text is short.", setup)
    assert g.text == "OpenAI is valued at over $500 billion [1]. That is a large sum. The text is short."
    g = run("OpenAI is valued at over $500 billion [2]. The documents do not say who valued it.", setup)
    assert g.text == "OpenAI is valued at over $500 billion [1]. The documents do not say who valued it."

def test_loops():
    looping = ["Currently Currently Currently Currently", "head of it head of it head of it head of it", "), ), ), ),"]
    for text in looping:
        assert loops(text), text
    prose = ["very, very good", "Press C-x C-x C-x C-x", "( ((...)) )", "[[ . =~ [.] ]]", "| --- | --- | --- | --- |"]
    figures_and_tables = ["The margins are 0, 0, 0, 0, 0.", "set view 0 0 0 0 1", "| yes | yes | yes | yes |"]
    for text in prose + figures_and_tables:
        assert not loops(text), text

def test_claim_features():
    assert figures("Up 22.5% since July, to 1,400 units") == {"22.5", "1400", "july"}
    assert names("According to Nick Turley, ChatGPT leads.") == [("nick", "turley"), ("chatgpt",)]
    assert is_refusal("The article does not specify that.")
    assert not is_refusal("ChatGPT has 800 million weekly users.")


def test_restating_the_question_is_not_a_supported_claim(setup):
    question = "What is OpenAI valued at?"
    g = run('The document contains the answer to the question "What is OpenAI valued at?" [2]', setup, question)
    assert g.status is Status.UNSUPPORTED


def test_names_must_match_whole_words():
    assert names_supported([("sam", "altman")], "Altman's memo said GPT-5.1 shipped.")
    assert names_supported([("gpt-5",)], "OpenAI's GPT-5.1 model")
    assert not names_supported([("tur",)], "According to Nick Turley")
    assert names_supported([("europeans",)], "in the European market")  # the same stem: a demonym's plural
    assert not names_supported([("gem",)], "in the Gemini market")  # a stem is not a prefix
    assert names_supported([("europe",)], "in the European market")  # a place by its demonym (rag.places)


def test_spelled_out_citations_become_markers():
    from rag.text import normalise_markers

    assert normalise_markers("$4 trillion [source 2]") == "$4 trillion [2]"
    assert normalise_markers('Garlic [source id="2"].') == "Garlic [2]."
    assert normalise_markers("It grew (Sources 1 and 3).") == "It grew [1][3]."
    assert (
        normalise_markers(
            "According to the information in sources 1 and 3, about 630 came from Meta. Most work in ads."
        )
        == "About 630 came from Meta [1][3]. Most work in ads."
    )
    assert normalise_markers("It was in 2022, from 5 sources.") == "It was in 2022, from 5 sources."
    assert split_sentences("According to source 1, revenue will exceed $20 billion.") == [
        "Revenue will exceed $20 billion [1]."
    ]


def test_an_answer_that_echoes_a_paraphrased_question_is_judged_by_what_it_adds(setup):
    # Most of this claim repeats the question's own wording, which the passage never uses; what it adds
    # (the figure and who) is the passage's.
    question = "Roughly how big a crowd talks to the chatbot in a typical seven-day span?"
    claim = "A crowd of over 800 million people talks to the chatbot in a typical seven-day span [1]."
    assert run(claim, setup).status is Status.UNSUPPORTED  # without the question: too little in common
    g = run(claim, setup, question)
    assert g.status is Status.ANSWERED and "800 million" in g.citations[0].text
    # A single added word is too little to tell support from coincidence.
    echo = "People talk to the chatbot in a typical seven-day span [1]."
    assert run(echo, setup, "Who talks to the chatbot in a typical seven-day span?").status is Status.UNSUPPORTED


NAMING_DOC = (
    "Red alert is a common expression among Silicon Valley firms facing a crisis. "
    "Depending on the urgency, firms use yellow and orange alerts.\n"
    "Fidji Simo is the new hire. This executive joined OpenAI in May.\n"
)


def test_within_a_passage_the_sentence_naming_what_the_claim_adds_is_cited():
    # The first sentence shares more words with the claim, but only the second has "yellow", the name
    # the claim adds to the question; verification reads names in the cited sentence itself.
    passages, chunks = passages_from(NAMING_DOC, [[0, 1]])
    question = "Which alert colours do Silicon Valley firms use in a crisis?"
    g = ground("Yellow and orange alerts are used by Silicon Valley firms in a crisis [1].", passages, bow_embed,
               BowEvidence(chunks), question)  # fmt: skip
    assert g.status is Status.ANSWERED
    assert g.citations[0].text.startswith("Depending")


def test_a_sentence_that_refers_back_to_the_name_keeps_its_citation():
    # "This executive" is named in the sentence before, which verification reads with it.
    passages, chunks = passages_from(NAMING_DOC, [[2, 3]])
    question = "Who joined OpenAI in May?"
    g = ground("Fidji Simo joined OpenAI in May [1].", passages, bow_embed, BowEvidence(chunks), question)
    assert g.status is Status.ANSWERED
    assert g.citations[0].text.startswith("This executive")


def test_a_yes_to_a_yes_no_question_is_a_claim_to_check(setup):
    # In the question's own words, but it says something: that it is so. It gets its citation ...
    question = "Did Fidji Simo join OpenAI in May?"
    g = run("Yes, Fidji Simo joined OpenAI in May [1].", setup, question)
    assert g.status is Status.ANSWERED and g.citations[0].text.startswith("Fidji Simo joined")
    # ... and is dropped when no passage supports it, never shown uncited beside a cited claim.
    question = "Did Fidji Simo join Anthropic in May?"
    g = run("Yes, Fidji Simo joined Anthropic in May. OpenAI is valued at over $500 billion [2].", setup, question)
    assert g.dropped == ("Yes, Fidji Simo joined Anthropic in May.",)
    assert all(s.citations for s in g.sentences)
    # A verdict that names nothing is no connecting sentence either: unsupported, it is dropped too.
    question = "Can a restricted shell change directories?"
    draft = "Yes, a restricted shell can change directories. OpenAI is valued at over $500 billion [2]."
    g = run(draft, setup, question)
    assert g.dropped == ("Yes, a restricted shell can change directories.",)
    assert all(s.citations for s in g.sentences)
    # A bare verdict states nothing of its own: the sentence after it carries the claim and the citation.
    question = "Did Fidji Simo join OpenAI in May?"
    for verdict in ("No.", "Yes, she did.", "No, that is incorrect.", "Yes, indeed."):
        g = run(f"{verdict} Fidji Simo joined OpenAI in May of this year [4].", setup, question)
        assert g.dropped == () and [s.text for s in g.sentences][0] == verdict


def test_choosing_one_option_of_an_either_or_question_is_a_claim_to_check(setup):
    g = run("Fidji Simo joined OpenAI in May [1].", setup, "Did Fidji Simo join OpenAI in May or in June?")
    assert g.status is Status.ANSWERED and g.citations[0].text.startswith("Fidji Simo joined")


def test_the_sentence_holding_every_name_of_the_claim_is_cited():
    # The best match names only Fidji Simo; the next sentence, read with the one it refers back to,
    # names her and Instacart, all the claim's names (none of them new to the question), and Meta.
    doc = "Fidji Simo is credited with the new features. This executive later served as CEO of Instacart after Meta.\n"
    passages, chunks = passages_from(doc, [[0, 1]])
    question = "Was Fidji Simo credited with the features after she was CEO of Instacart?"
    g = ground("Yes, Fidji Simo was credited with the features after being CEO of Instacart [1].", passages,
               bow_embed, BowEvidence(chunks), question)  # fmt: skip
    assert g.status is Status.ANSWERED and g.citations[0].text.startswith("This executive")


def test_only_an_opening_that_points_back_refers_back():
    assert refers_back("This executive, who joined OpenAI in May, led apps.")
    assert refers_back("These companies often see their stock prices surge.")
    assert not refers_back("According to The Information, among those who work at OpenAI, 630 came from Meta.")
    assert not refers_back("Fidji Simo joined OpenAI in May, and she led apps there.")  # "she" comes too late
