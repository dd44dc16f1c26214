"""Verification by meaning and derived figures, on hand-made passages (no model)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from rag.agree import Agreement
from rag.asks import Kind, gives_kind, question_kind
from rag.derive import asks_for_computation, derivable
from rag.ground import Grounded, ground
from rag.judge import Verdict
from rag.types import Sentence, Status
from rag.verify import copies, verify
from tests.unit.helpers import WORLD_DOC, BowEvidence, bow_embed, passages_from

DOC = WORLD_DOC
PROMPT = "Answer in one to three short sentences, in your own words, using only the passages."


@pytest.fixture
def world():
    passages, chunks = passages_from(DOC, [[0], [1], [2], [3, 4], [5]])
    return passages, BowEvidence(chunks)


def verified(doc: str, groups: list[list[int]], draft: str, question: str):
    """``draft`` grounded in passages of ``doc``'s sentences (``groups``), then verified: both results."""
    passages, chunks = passages_from(doc, groups)
    evidence = BowEvidence(chunks)
    grounded = ground(draft, passages, bow_embed, evidence, question)
    return (grounded, *verify(question, grounded, evidence))


def checked(draft: str, question: str, world, judge=None):
    passages, evidence = world
    grounded = ground(draft, passages, bow_embed, evidence, question)
    return verify(question, grounded, evidence, PROMPT, judge)


def test_true_claim_that_answers_is_kept(world):
    result, checks = checked("Sarah Friar is OpenAI's CFO [1].", "Who is OpenAI's CFO?", world)
    assert result.status is Status.ANSWERED and [c.rule for c in checks] == ["lexical"]
    assert "Sarah Friar" in result.text


def test_role_swapped_to_another_organisation_is_withdrawn(world):
    # Grounding alone accepts it: every name is in the paragraph window of a passage.
    passages, evidence = world
    assert ground("Sarah Friar is the CFO [1].", passages, bow_embed, evidence, "").status is Status.ANSWERED
    result, _ = checked("Sarah Friar is the CFO [1].", "Who is the CFO of Anthropic?", world)
    assert result.status is Status.UNSUPPORTED and not result.citations


def test_claim_naming_what_its_sentence_does_not_is_withdrawn(world):
    result, checks = checked("Sarah Friar is Anthropic's CFO [1].", "Who is Anthropic's CFO?", world)
    assert result.status is Status.UNSUPPORTED
    assert checks[0].rule == "names not in the cited sentence"


def test_true_sentence_that_does_not_answer_is_withdrawn(world):
    result, _ = checked("Anthropic released Claude Opus 4.5 [2].", "How many users does Anthropic have?", world)
    assert result.status is Status.UNSUPPORTED


def test_subject_named_just_before_the_cited_sentence_counts(world):
    result, _ = checked("The executive joined OpenAI in May [4].", "When did the executive join OpenAI?", world)
    assert result.status is Status.ANSWERED


def test_copied_prompt_wording_is_withdrawn_and_citations_renumbered(world):
    passages, evidence = world
    first = ground("Anthropic released Claude Opus 4.5 [2].", passages, bow_embed, evidence, "")
    second = ground("Sarah Friar is OpenAI's CFO [1].", passages, bow_embed, evidence, "")
    copied = Sentence("Answer in one to three short sentences, in your own words.", (1,))
    answer = Sentence(second.sentences[0].text, (2,))
    both = Grounded(
        Status.ANSWERED,
        (copied, answer),
        (first.citations[0], replace(second.citations[0], n=2)),
        (),
        (first.chunks[0], second.chunks[0]),
    )
    result, checks = verify("Who is OpenAI's CFO?", both, evidence, PROMPT)
    assert [c.rule for c in checks] == ["copies the prompt", "lexical"]
    assert result.status is Status.ANSWERED and result.text == "Sarah Friar is OpenAI's CFO [1]."
    assert [c.n for c in result.citations] == [1] and "Friar" in result.citations[0].text
    assert result.chunk(1) == second.chunks[0] and result.dropped == (copied.text,)


def test_derived_difference_is_recomputed_and_kept(world):
    question = "How many more monthly active users did Gemini have in October than in March?"
    result, _ = checked("Gemini had 300 million more users in October [3].", question, world)
    assert result.status is Status.ANSWERED and "650 million" in result.citations[0].text
    wrong, _ = checked("Gemini had 310 million more users in October [3].", question, world)
    assert wrong.status is Status.UNSUPPORTED
    # Without a question asking for a computation, a figure the source does not give is not accepted.
    plain, _ = checked("Gemini had 300 million users [3].", "How many users did Gemini have?", world)
    assert plain.status is Status.UNSUPPORTED


def test_model_judge_is_asked_only_for_non_verbatim_claims(world):
    asked: list[str] = []

    def judge(source: str, question: str, claim: str) -> Verdict:
        asked.append(claim)
        return Verdict(False, 0.3)

    verbatim, _ = checked("Fidji Simo leads OpenAI Applications [5].", "Who leads OpenAI Applications?", world, judge)
    assert verbatim.status is Status.ANSWERED and asked == []
    result, checks = checked(
        "Simo is the boss of OpenAI Applications [5].", "Who leads OpenAI Applications?", world, judge
    )
    assert asked == ["Simo is the boss of OpenAI Applications."]
    assert result.status is Status.UNSUPPORTED and checks[0].rule.startswith("the model")
    assert "P(yes) 0.30" in checks[0].rule
    differs, checks = checked(
        "Simo is the boss of OpenAI Applications [5].",
        "Who leads OpenAI Applications?",
        world,
        lambda *_: Verdict(False, 0.85, "Sarah Friar", Agreement.DIFFERS),
    )
    assert differs.status is Status.UNSUPPORTED
    assert checks[0].rule == (
        "the model's own answer from the source differs (model, P(yes) 0.85; its own answer 'Sarah Friar': differs)"
    )


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        ("Who is the head of ChatGPT?", Kind.NAME),
        ("Which publication reported it?", Kind.NAME),
        ("How many people use it every week?", Kind.FIGURE),
        ("What is OpenAI's valuation?", Kind.FIGURE),
        ("When did she join?", Kind.DATE),
        ("Since when has growth stalled?", Kind.DATE),
        ("Why did Altman declare a Code Red?", Kind.OTHER),
        # A figure noun used as a verb asks for a thing; as a noun it still asks for a figure.
        ("What did some users share screenshots of?", Kind.OTHER),
        ("What does the company count as revenue?", Kind.OTHER),
        ("What did the share of usage reach?", Kind.FIGURE),
        ("What will users share with it, and how much?", Kind.FIGURE),
        # A thing known by its name, with up to three words before the noun, after the first "what".
        ("Which newly released OpenAI model did it surpass?", Kind.NAME),
        ("What toolkit did the company put out?", Kind.NAME),
        ("For which music streaming service can people build playlists?", Kind.NAME),
        ("What is the name of the browser it released?", Kind.NAME),
        ("What's the codename of the new model?", Kind.NAME),
        ("And what is that model called?", Kind.NAME),
        ("What kind of product is she good at building?", Kind.OTHER),
        ("What type of model will they release?", Kind.OTHER),
        ("What is the model able to do with what big models know?", Kind.OTHER),
        ("What did the big new models of the year do?", Kind.OTHER),
    ],
)
def test_question_kinds(question, kind):
    assert question_kind(question) is kind


def test_an_answer_must_add_what_the_question_lacks():
    assert gives_kind("Nick Turley leads it.", Kind.NAME, "Who leads ChatGPT?")
    assert not gives_kind("ChatGPT is led well.", Kind.NAME, "Who leads ChatGPT?")
    assert gives_kind("Over 800 million.", Kind.FIGURE, "How many?")
    assert not gives_kind("It has 5 million users.", Kind.FIGURE, "Does it have 5 million users?")
    assert gives_kind("Since September.", Kind.DATE, "Since when?")
    # A share asked: a proportion answers it, a count of users or dollars does not.
    share = "What share of AI assistant usage does Gemini account for?"
    assert question_kind(share) is Kind.FIGURE
    assert not gives_kind("Gemini has 650 million monthly active users.", Kind.FIGURE, share)
    for answer in ("It accounts for 70%.", "About 70 percent.", "Roughly a third of it.", "One in five uses it."):
        assert gives_kind(answer, Kind.FIGURE, share), answer
    assert gives_kind("It fell 1.8 percentage points more.", Kind.FIGURE, "How many percentage points larger?")
    assert gives_kind("650 million.", Kind.FIGURE, "How many users does Gemini have?")  # a count asked


def test_an_answer_that_only_describes_the_subject_names_nobody():
    """A nationality beside the asked-about name is that name described, not someone else."""
    who = "Who founded DeepSeek?"
    assert not gives_kind("DeepSeek was founded by the Chinese DeepSeek team.", Kind.NAME, who)
    assert gives_kind("The Chinese DeepSeek team launched it.", Kind.NAME, "Which team launched V3.2?")
    assert gives_kind("American lawmakers did.", Kind.NAME, "Who criticised OpenAI?")
    assert gives_kind("Gemini 3 Pro did.", Kind.NAME, "Which Gemini model did it beat?")  # a version is new
    assert gives_kind("Liang Wenfeng founded the Chinese DeepSeek.", Kind.NAME, who)


def test_copies_needs_a_run_of_words():
    assert copies("Please answer in one to three short sentences here.", PROMPT)
    assert not copies("Answer in one sentence.", PROMPT)


def test_derivable_arithmetic():
    assert derivable("300", [350, 650]) and derivable("9", [22, 31])
    assert derivable("85.7", [350, 300]) and not derivable("85.8", [350, 300])
    assert not derivable("7", [350, 650]) and not derivable("300", [650])
    assert asks_for_computation("How many more users did it have in October than in March?")
    assert asks_for_computation("By how many percentage points did it rise?")
    assert not asks_for_computation("How many users did it have in October?")
    assert not asks_for_computation("How many subscribers did it gain in May?")  # a figure written as such
    assert not asks_for_computation("How many jobs did Intel lose in 2024?")
    assert not asks_for_computation("How many users did it have when its share rose?")  # the clause's verb


@pytest.mark.parametrize(
    "question",
    [
        "How much has Gemini's user base grown since March?",
        "How much have prices risen this year?",
        "How much has its market share fallen?",
        "How many users has it been adding, and how much have they been dropping?",
        "How much growth did Gemini see between March and October?",
        "By what percentage did Gemini's users grow?",
        "What were the two figures combined?",
    ],
)
def test_a_computation_is_asked_in_any_form_of_its_verb(question):
    assert asks_for_computation(question)


def test_the_question_period_must_be_the_cited_one():
    from rag.asks import covers_periods, periods

    assert periods("How many people use it weekly, and in 2022?") == {"every week", "2022"}
    week = "Over 800 million people chat with it every week."
    assert covers_periods("How many people use it every week?", week)
    assert covers_periods("How many weekly users does it have?", week)
    assert not covers_periods("How many people use it every month?", week)
    assert not covers_periods("What will revenue be next year?", "Revenue will exceed $20 billion this year.")
    assert covers_periods("How much did it rise over the past month?", "Over the past month, it rose 11%.")
    assert covers_periods("Who leads it?", week)  # no period asked, nothing to match


def test_a_two_part_question_may_be_answered_across_sentences(world):
    question = "Who is OpenAI's CFO, and how many monthly active users did Gemini have by October?"
    draft = "Sarah Friar is OpenAI's CFO [1]. Gemini had 650 million monthly active users by October [3]."
    result, _ = checked(draft, question, world)
    assert result.status is Status.ANSWERED and len(result.sentences) == 2
    # One part answered stands on its own (the pipeline then tries the other part by itself).
    only_one, _ = checked("Sarah Friar is OpenAI's CFO [1].", question, world)
    assert only_one.status is Status.ANSWERED and [s.text for s in only_one.sentences] == [
        "Sarah Friar is OpenAI's CFO."
    ]


ATTRIBUTED_DOC = (
    "According to data from Apptopia, mobile growth has slowed since April. Meanwhile, the time users "
    "spend each day has decreased by 22.5% since July.\n"
    "Deutsche Bank tracked spending in Europe.\n"
)


@pytest.mark.parametrize(
    ("question", "status"),
    [
        # the source the question names is in the cited sentence's paragraph: the fact is about time spent
        ("According to Apptopia, by how much has daily time spent fallen since July?", Status.ANSWERED),
        # another source than the one the article gives for this figure: not answered
        ("According to Deutsche Bank, by how much has daily time spent fallen since July?", Status.UNSUPPORTED),
    ],
)
def test_a_source_named_in_the_question_is_looked_for_around_the_cited_sentence(question, status):
    passages, chunks = passages_from(ATTRIBUTED_DOC, [[1], [2]])
    evidence = BowEvidence(chunks)
    grounded = ground(
        "Time spent each day has decreased by 22.5% since July [1].", passages, bow_embed, evidence, question
    )
    result, _ = verify(question, grounded, evidence, PROMPT)
    assert result.status is status


@pytest.mark.parametrize(
    ("claim", "source", "question", "restated"),
    [
        ("Nick Turley is the head of ChatGPT.", "According to Nick Turley, head of ChatGPT, usage grew.",
         "Who is the head of ChatGPT?", True),
        ("Google's CEO is Sundar Pichai.", "Google CEO Sundar Pichai and Logan Kilpatrick, former head of "
         "developer relations at OpenAI, replied.", "Who is Google's CEO?", True),
        # A role moved to another organisation: same words, another order.
        ("Sundar Pichai is the CEO of OpenAI.", "Google CEO Sundar Pichai and Logan Kilpatrick, former head of "
         "developer relations at OpenAI, replied.", "What is Sundar Pichai's role at OpenAI?", False),
        # Negations and directions are part of the claim, though stop words elsewhere.
        ("Simo did not join OpenAI in May.", "Simo joined OpenAI in May.", "When did Simo join OpenAI?", False),
        ("Gemini rose to 22% from 31%.", "Gemini rose from 22% to 31%.", "How did Gemini's share change?", False),
    ],
)  # fmt: skip
def test_a_restatement_may_drop_function_words_but_not_reorder_or_negate(claim, source, question, restated):
    from rag.verify import restates

    assert restates(claim, source, question) is restated


SCENE_DOC = (
    "In 2022, OpenAI grew GPT-3 to 175 billion parameters. At the end of the year, OpenAI released ChatGPT, "
    "based on the GPT-3.5 model. Meta hired many engineers, to put it mildly.\n"
)


@pytest.mark.parametrize(
    ("question", "status"),
    [
        # the year is set one sentence before the cited one, in its paragraph
        ("Which model was ChatGPT based on when OpenAI released it in 2022?", Status.ANSWERED),
        ("Which model was ChatGPT based on when OpenAI released it in 2023?", Status.UNSUPPORTED),
        # a question's first word is capitalised by position, not a name it asks about, even when the
        # text has the word in lower case ("to put it mildly")
        ("Put simply, which model was ChatGPT based on?", Status.ANSWERED),
        # but a name it opens with is, as owner or when the text around names it too
        ("Google's ChatGPT was based on which model?", Status.UNSUPPORTED),
        ("Meta built ChatGPT on which model?", Status.UNSUPPORTED),
    ],
)
def test_the_subject_and_period_may_be_set_just_before_the_cited_sentence(question, status):
    passages, chunks = passages_from(SCENE_DOC, [[0, 1]])
    evidence = BowEvidence(chunks)
    grounded = ground("ChatGPT was based on the GPT-3.5 model [1].", passages, bow_embed, evidence, question)
    assert grounded.status is Status.ANSWERED and grounded.citations[0].text.startswith("At the end")
    result, _ = verify(question, grounded, evidence)
    assert result.status is status


ALERT_DOC = (
    "Red alert is a common expression among Silicon Valley firms facing a crisis. "
    "Depending on the urgency of a crisis, firms use yellow and orange alerts, with red the highest.\n"
    "Anthropic was founded by former OpenAI staff. Fidji Simo became CEO of OpenAI Applications.\n"
)


@pytest.mark.parametrize(
    ("draft", "question", "status"),
    [
        # the question's subject is set one sentence before a cited sentence that names nobody else
        (
            "Silicon Valley firms use yellow and orange alerts [1].",
            "Apart from red, which alert colours do Silicon Valley firms use?",
            Status.ANSWERED,
        ),
        # a name the question does not have must still be in the cited sentence itself
        (
            "Silicon Valley firms use yellow and orange alerts [1].",
            "Apart from red, which alert colours do firms use?",
            Status.UNSUPPORTED,
        ),
        # a cited sentence about someone else never lends its role to the subject named before it
        ("Anthropic's CEO is Fidji Simo [2].", "Who is Anthropic's CEO?", Status.UNSUPPORTED),
    ],
)
def test_names_from_the_question_may_be_set_just_before_a_sentence_naming_nobody_else(draft, question, status):
    passages, chunks = passages_from(ALERT_DOC, [[1], [3]])
    evidence = BowEvidence(chunks)
    grounded = ground(draft, passages, bow_embed, evidence, question)
    assert grounded.status is Status.ANSWERED
    result, checks = verify(question, grounded, evidence)
    assert result.status is status
    if status is Status.UNSUPPORTED:
        assert checks[0].rule == "names not in the cited sentence"


def test_the_model_check_reads_the_sentence_before_when_the_claims_subject_stands_there():
    # The claim's "Silicon Valley firms" is in the sentence before the cited one; the model check must
    # see that sentence too, or it judges a claim whose subject its source does not have.
    passages, chunks = passages_from(ALERT_DOC, [[1]])
    evidence = BowEvidence(chunks)
    question = "Apart from red, which alert colours do Silicon Valley firms use?"
    grounded = ground("Silicon Valley firms use yellow and orange alerts [1].", passages, bow_embed, evidence, question)
    sources = []

    def judge(source: str, question: str, claim: str) -> Verdict:
        sources.append(source)
        return Verdict(True, 0.9)

    result, _ = verify(question, grounded, evidence, judge=judge)
    assert result.status is Status.ANSWERED
    assert sources == [f"{chunks[0].text} {chunks[1].text}"]


def test_a_claim_the_other_way_round_from_its_source_is_withdrawn(world):
    result, checks = checked("Anthropic founded OpenAI [2].", "Who founded OpenAI?", world)
    assert result.status is Status.UNSUPPORTED
    assert checks[0].rule == "the other way round from the cited sentence"
    result, _ = checked("Former OpenAI executives founded Anthropic [2].", "Who founded Anthropic?", world)
    assert result.status is Status.ANSWERED


def test_the_direction_is_read_in_the_cited_sentence_itself_even_when_it_refers_back():
    # "its predecessor" makes the cited text include the sentence before, which names Google Search
    # on the other side too; the relation is the cited sentence's own.
    doc = (
        "Google Search is the core product of Google. "
        "Unlike its predecessor, Gemini 3 was integrated into Google Search upon release.\n"
    )
    passages, chunks = passages_from(doc, [[1]])
    evidence = BowEvidence(chunks)
    question = "What was Gemini 3 integrated into?"
    grounded = ground("Google Search was integrated into Gemini 3 [1].", passages, bow_embed, evidence, question)
    assert grounded.status is Status.ANSWERED
    result, checks = verify(question, grounded, evidence)
    assert result.status is Status.UNSUPPORTED and checks[0].rule == "the other way round from the cited sentence"


def test_ai_names_a_field_not_a_subject_the_cited_sentence_must_repeat(world):
    from rag.asks import question_names

    question = "By October, how many monthly active users did the AI assistant Gemini have?"
    assert question_names(question, DOC) == [("gemini",)]
    assert question_names("How did OpenAI's AI chatbot do?", DOC) == [("openai",)]
    result, _ = checked("By October, Gemini had 650 million monthly active users [3].", question, world)
    assert result.status is Status.ANSWERED and "650 million" in result.text


def test_each_part_of_a_two_part_question_is_answered_on_its_own(world):
    question = "Who is OpenAI's CFO, and how many monthly active users did Gemini have in October?"
    both, _ = checked(
        "Sarah Friar is OpenAI's CFO [1]. Gemini had 650 million monthly active users in October [3].", question, world
    )
    assert both.status is Status.ANSWERED and len(both.sentences) == 2
    # The second sentence gives no figure: it alone is withdrawn, the first still answers its part.
    part, checks = checked("Sarah Friar is OpenAI's CFO [1]. Gemini kept growing in October [3].", question, world)
    assert [s.text for s in part.sentences] == ["Sarah Friar is OpenAI's CFO."]
    assert checks[1].rule.startswith("no sentence gives the figure asked for about gemini")
    neither, _ = checked("OpenAI backed guarantees [1]. Gemini kept growing in October [3].", question, world)
    assert neither.status is Status.UNSUPPORTED


def test_the_model_judges_a_claim_against_the_part_it_answers(world):
    asked: list[tuple[str, str]] = []

    def judge(source: str, question: str, claim: str) -> Verdict:
        asked.append((claim, question))
        return Verdict(True, 0.9)

    question = "Who is OpenAI's CFO, and how many monthly active users did Gemini have in October?"
    checked("Friar is the finance chief at OpenAI [1]. Gemini reached 650 million monthly users [3].", question,
            world, judge)
    assert asked == [
        ("Friar is the finance chief at OpenAI.", "Who is OpenAI's CFO"),
        ("Gemini reached 650 million monthly users.", "how many monthly active users did Gemini have in October?"),
    ]
    # A part that points back is asked with whom the answer before it names.
    asked.clear()
    checked("Sarah Friar is the finance chief at OpenAI [1]. She backed guarantees from the government [1].",
            "Who is OpenAI's CFO, and what did she back?", world, judge)
    assert asked[1] == ("She backed guarantees from the government.", "Sarah Friar: what did she back?")
    # With nothing answered before it to say who "she" is, the claim is judged against the whole question.
    asked.clear()
    question = "Which executive joined the firm in May, and what does she lead?"
    checked("She leads the Applications unit at OpenAI [5].", question, world, judge)
    assert asked == [("She leads the Applications unit at OpenAI.", question)]


STAFF_DOC = (
    "Fidji Simo is the new head of applications. This executive previously led apps at Meta.\n"
    "Simo was hired for growth. Among those who work at OpenAI, about 630 previously worked at Meta.\n"
)


def test_a_claim_opening_with_she_speaks_of_the_person_the_question_names():
    # The staff sentence holds every word of "She previously worked at Meta" but is about OpenAI staff;
    # the claim is about Fidji Simo, whom the question names, and must cite a sentence about her.
    # "Among those who ..." does not point back to the sentence before, which names her.
    passages, chunks = passages_from(STAFF_DOC, [[3]])
    staff_only = passages, BowEvidence(chunks)
    result, checks = checked("She previously worked at Meta [1].", "Where did Fidji Simo work before?", staff_only)
    assert result.status is Status.UNSUPPORTED and checks[0].rule == "names not in the cited sentence"
    passages, chunks = passages_from(STAFF_DOC, [[3], [0, 1]])
    world = passages, BowEvidence(chunks)
    result, _ = checked("She previously led apps at Meta [2].", "Where did Fidji Simo work before?", world)
    assert result.status is Status.ANSWERED and result.citations[0].text.startswith("This executive")
    # Given both, grounding cites the sentence about her, though the model marked the staff one and its
    # wording is closer: her names stand there, and only there.
    result, _ = checked("She previously worked at Meta [1].", "Where did Fidji Simo work before?", world)
    assert result.status is Status.ANSWERED and [c.text for c in result.citations] == [
        "This executive previously led apps at Meta."
    ]


PLACES_DOC = (
    "Daily time spent in ChatGPT in the US has fallen by 22.5% since July.\n"
    "Fidji Simo, who ran Instacart, came to OpenAI from Meta.\n"
    "He told us the figure would rise in Europe.\n"
)


@pytest.mark.parametrize(
    ("draft", "question", "status"),
    [
        # a country asked for by its demonym is the one the sentence names by its short form
        ("It has fallen by 22.5% [1].", "How much has the daily time Americans spend in ChatGPT fallen?",
         Status.ANSWERED),
        ("It has fallen by 22.5% [1].", "How much has the daily time Germans spend in ChatGPT fallen?",
         Status.UNSUPPORTED),
        # "us" in lower case is the pronoun, not the country
        ("The figure would rise [3].", "Would the figure rise in America?", Status.UNSUPPORTED),
        # of the names an either/or question offers, the answer names the one it chooses
        ("Fidji Simo came to OpenAI from Meta [2].", "Did Fidji Simo come to OpenAI from Google or from Meta?",
         Status.ANSWERED),
        # the rest of the question's subject still has to be there
        ("Fidji Simo came to OpenAI from Meta [2].", "Did Fidji Simo come to Anthropic from Google or from Meta?",
         Status.UNSUPPORTED),
        # and so does one of the options
        ("Fidji Simo came to OpenAI [2].", "Did Fidji Simo come to OpenAI from Google or from Apple?",
         Status.UNSUPPORTED),
    ],
)  # fmt: skip
def test_a_subject_may_be_named_otherwise_or_chosen_from_the_options(draft, question, status):
    grounded, result, checks = verified(PLACES_DOC, [[0], [1], [2]], draft, question)
    assert result.status is status, checks
    if status is Status.UNSUPPORTED and grounded.status is Status.ANSWERED:
        assert any(c.rule.startswith("no sentence gives") or c.rule.startswith("names not") for c in checks), checks


EITHER_DOC = "Meta hired a new CFO in May.\nFidji Simo, who ran Instacart, came to OpenAI.\n"


def test_the_option_chosen_must_be_named_by_the_answer_not_only_near_its_sentence():
    question = "Did Fidji Simo come to OpenAI from Google or from Meta?"
    grounded, result, checks = verified(EITHER_DOC, [[1]], "Fidji Simo came to OpenAI [1].", question)
    assert grounded.status is Status.ANSWERED
    assert result.status is Status.UNSUPPORTED, checks
