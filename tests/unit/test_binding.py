"""Figure binding: a claim may not move a figure of its cited sentence onto another figure's period,
measure or role (hand-made sentences, no model)."""

from __future__ import annotations

import pytest

from rag.binding import misbound, roles
from rag.ground import ground
from rag.parts import asked_part
from rag.types import Status
from rag.verify import verify
from tests.unit.helpers import BowEvidence, bow_embed, passages_from

PERIODS = "In January, Acme employed only 120 engineers, but by June the team had grown to 310."
MEASURES = "Zeta now holds 45% of the cloud storage market and 12% of the email market."
ROLES = "Quarterly revenue rose by 8% to $40 million, the company said."


@pytest.mark.parametrize(
    ("claim", "question"),
    [
        ("Acme employed 310 engineers in January.", "How many engineers did Acme employ?"),
        ("310 engineers.", "How many engineers did Acme employ in January?"),
        ("Acme employed 120 engineers in June.", "How big was the team?"),
        ("Acme employed 310 engineers in January and March.", "How many engineers?"),
        ("About 310 engineers worked at Acme in January.", "How many engineers?"),  # "About" is no name
    ],
)
def test_a_figure_moved_to_another_period_is_misbound(claim, question):
    assert misbound(claim, question, [PERIODS]) is not None


@pytest.mark.parametrize(
    ("claim", "question"),
    [
        ("Acme employed 310 engineers in June.", "How many engineers did Acme employ?"),
        ("310 engineers.", "How many engineers did Acme employ in June?"),
        ("The team grew from 120 engineers in January to 310 in June.", "How did the team grow?"),
        ("The team had 310 engineers in June, up from 120 in January.", "How did the team grow?"),
        ("Acme employed 310 engineers.", "How many engineers does Acme employ now?"),
        ("Between January and June the team reached 310.", "How many engineers by June?"),  # two periods, one figure
        ("Acme employed 310 engineers in 2023.", "How many engineers?"),  # a period the sentence does not pair
    ],
)
def test_a_figure_kept_with_its_own_period_is_not(claim, question):
    assert misbound(claim, question, [PERIODS]) is None


def test_periods_are_paired_only_when_the_sentence_pairs_them_one_to_one():
    # Two figures, one period: which figure the month belongs to is not written, so nothing is read.
    source = "By June the team had 310 engineers and 45 designers."
    assert misbound("The team had 45 engineers in June.", "", [source]) is None
    assert misbound("Acme employed 310 engineers in January.", "", [source]) is None


def test_days_years_and_versions_are_not_amounts():
    source = "On March 3, 2024, Zeta 2 had 50 users, and on May 9, 2025, it had 900."
    # 50 ↔ March/2024 and 900 ↔ May/2025 would need as many figures as periods: two figures, four periods.
    assert misbound("Zeta 2 had 900 users in March.", "", [source]) is None
    source = "Zeta 2 had 50 users in March and 900 in May."
    assert misbound("Zeta 2 had 900 users in March.", "", [source]) is not None
    assert misbound("Zeta 2 had 50 users in March.", "", [source]) is None
    source = "Zeta had 50 users in March and 900 by May 9."  # "May" is also a modal verb; "9" is still a day
    assert misbound("Zeta had 900 users in March.", "", [source]) is not None


def test_a_figure_the_sentence_gives_twice_keeps_both_its_periods():
    source = "Acme had 120 engineers in January, 310 in June and 120 again in December."
    assert misbound("Acme had 120 engineers in January.", "", [source]) is None
    assert misbound("Acme had 120 engineers in December.", "", [source]) is None
    assert misbound("Acme had 120 engineers in June.", "", [source]) is not None


@pytest.mark.parametrize(
    ("claim", "question", "wrong"),
    [
        ("Zeta holds 45% of the email market.", "What share of the email market does Zeta hold?", True),
        ("45%.", "What share of the email market does Zeta hold?", True),
        ("45 percent of email.", "How big is Zeta in email?", True),
        ("Zeta holds 12% of the email market.", "What share of the email market does Zeta hold?", False),
        ("12%.", "What share of the email market does Zeta hold?", False),
        ("Zeta holds 45% of cloud storage.", "What share of cloud storage does Zeta hold?", False),
        ("Zeta holds 45% of the storage business.", "What share?", False),  # paraphrased, still its own
        ("Zeta holds 45% of the online backup business.", "What share?", False),  # neither phrase: not read
        ("Zeta holds 45% of the email market and leads cloud storage.", "What share?", True),  # the phrase ends
        ("45 per cent of the email market.", "What about email?", True),
        ("45%.", "Leaving aside the success of its email arm, what share of cloud storage does Zeta hold?", False),
    ],
)
def test_a_percentage_keeps_the_measure_of_its_of_phrase(claim, question, wrong):
    assert (misbound(claim, question, [MEASURES]) is not None) is wrong


@pytest.mark.parametrize(
    ("claim", "question", "wrong"),
    [
        ("Revenue rose by $40 million.", "How much did revenue rise?", True),
        ("$40 million.", "By how much did quarterly revenue rise?", True),
        ("Revenue rose to 8%.", "What happened to revenue?", True),
        ("Revenue rose by 8%.", "By how much did revenue rise?", False),
        ("8%.", "By how much did quarterly revenue rise?", False),
        ("Revenue rose by more than 8%, to $40 million.", "How did revenue change?", False),
        ("Quarterly revenue reached $40 million.", "What was quarterly revenue?", False),  # no role written
    ],
)
def test_a_change_is_not_given_as_a_level_nor_a_level_as_a_change(claim, question, wrong):
    assert (misbound(claim, question, [ROLES]) is not None) is wrong


def test_up_and_down_mark_a_change_too():
    source = "Unit sales fell to 700, down 30 from a year earlier."
    assert misbound("Unit sales fell to 30.", "", [source]) is not None
    assert misbound("Unit sales fell by 700.", "", [source]) is not None
    assert misbound("Unit sales were down 30.", "", [source]) is None


def test_a_figure_bound_as_the_claim_binds_it_in_any_cited_sentence_is_kept():
    other = "Acme employed 310 engineers in January of the following year."
    assert misbound("Acme employed 310 engineers in January.", "", [PERIODS]) is not None
    assert misbound("Acme employed 310 engineers in January.", "", [PERIODS, other]) is None


def test_verification_withdraws_a_misbound_claim_and_names_the_period():
    doc = f"Acme is a robotics firm based in Oslo. {PERIODS}\n"
    passages, chunks = passages_from(doc, [[1]])
    evidence = BowEvidence(chunks)
    question = "How many engineers did Acme employ in January?"
    grounded = ground("Acme employed 310 engineers in January [1].", passages, bow_embed, evidence, question)
    assert grounded.status is Status.ANSWERED  # every figure and name is in the cited sentence
    result, checks = verify(question, grounded, evidence)
    assert result.status is Status.UNSUPPORTED
    assert checks[0].rule == "310 is given for june in the cited sentence, not january"
    result, _ = verify(question, ground("Acme employed 120 engineers in January [1].", passages, bow_embed, evidence,
                                        question), evidence)
    assert result.status is Status.ANSWERED


def test_a_two_part_question_lends_a_claim_only_the_part_it_answers():
    question = "By how much did revenue rise, and how many engineers did Acme have in June?"
    assert asked_part(question, "Acme had 310 engineers in June.") == "how many engineers did Acme have in June?"
    assert asked_part(question, "310.") == ""  # answers either part: neither is lent
    assert asked_part("How many engineers in June?", "310.") == "How many engineers in June?"
    source = "Revenue rose by 8% while the team grew to 310 engineers."
    assert misbound("Acme had 310 engineers.", question, [source]) is None  # "by how much" asks the other part
    assert misbound("Acme had 310 engineers.", "By how much did the team grow?", [source]) is not None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("He later served as CEO of Instacart.", [("ceo", ("instacart",))]),
        ("Acme CEO Jane Roe said so.", [("ceo", ("acme",))]),
        ("Jane Roe, Acme's CFO, said so.", [("cfo", ("acme",))]),
        ("Who are the founders of the Zeta Group?", [("founder", ("zeta", "group"))]),
        ("She is the head of developer relations at Acme.", []),  # the role is of relations, not of Acme
        ("The company's CEO resigned.", []),  # no name: nothing to compare with
        ("Who is the boss at Zeta?", [("boss", ("zeta",))]),
        ("He is CEO of Acme's Zeta Labs.", [("ceo", ("acme",))]),  # a possessive ends the name
        ("Orbit's Zeta CEO spoke.", [("ceo", ("zeta",))]),
        ("The CEO resigned.", []),
        ("Which firm was Jane Roe CEO of before that?", []),  # the name before a linked role holds it
    ],
)
def test_roles_read_the_organisation_a_role_is_held_at(text, expected):
    assert roles(text) == expected


def test_a_role_at_another_organisation_does_not_answer_for_the_one_asked():
    source = "Before joining Acme, she led sales at Zeta and later served as CEO of Orbit."
    assert misbound("“" + source + "”", "Who is the CEO of Zeta?", [source]) is not None
    assert misbound("She was CEO of Orbit.", "Who was the CEO of Orbit?", [source]) is None
    assert misbound("She led sales at Zeta.", "Who led sales at Zeta?", [source]) is None  # no role word
    both = "Acme's CEO Jane Roe met Orbit's CEO John Doe."
    assert misbound("Jane Roe.", "Who is Acme's chief?", [both]) is None  # another role: not read
    assert misbound("Jane Roe is Acme's CEO.", "Who is the CEO of Acme?", [both]) is None
    assert misbound("Jane Roe.", "Who is the CEO of Zeta?", [both]) is not None
    other_role = "Jane Roe, Acme's CFO, met Zeta CEO John Doe."
    assert misbound("John Doe.", "Who is the CEO of Acme?", [other_role]) is not None


DROPS = "Orders on the app fell by 22.5% since May, and returns fell by 20.7%."


@pytest.mark.parametrize(
    ("claim", "wrong"),
    [
        ("The drop in orders was 22.5% larger than the drop in returns.", True),  # a level given as the gap
        ("Orders fell 22.5 percentage points more than returns.", True),
        ("Orders fell by 22.5%, returns by 20.7%.", False),
        ("The drop in orders was 1.8 percentage points larger.", False),  # derived: not the sentence's figure
        ("Orders fell by more than 20.7%.", False),  # "more than" before a figure hedges it
    ],
)
def test_a_figure_is_not_given_as_a_difference_the_sentence_does_not_state(claim, wrong):
    question = "How many percentage points larger was the drop in orders than the drop in returns?"
    assert (misbound(claim, question, [DROPS]) is not None) is wrong


def test_a_difference_the_sentence_states_may_be_given_as_one():
    source = "Zeta now has 300 million more users than in March."
    assert misbound("Zeta has 300 million more users than in March.", "How many more?", [source]) is None


TWO_EVENTS = "Sign-ups at Zeta have slowed sharply since April and have stalled since September."


@pytest.mark.parametrize(
    ("claim", "question", "wrong"),
    [
        ("Since April.", "Since when have sign-ups at Zeta stalled?", True),
        ("Since September.", "Since when have sign-ups at Zeta stalled?", False),
        ("Since September.", "Since when have sign-ups slowed?", True),
        ("Since April.", "Since when have sign-ups slowed?", False),
        ("Sign-ups slowed since April.", "Since when have sign-ups stalled?", False),  # true; its own event
        ("Since April.", "When did things change at Zeta?", False),  # neither event asked: not read
    ],
)
def test_a_period_answers_when_only_for_the_event_it_dates(claim, question, wrong):
    assert (misbound(claim, question, [TWO_EVENTS]) is not None) is wrong


def test_only_a_claim_giving_a_period_for_one_of_two_events_is_read():
    question = "Which firm found that sign-ups slowed?"
    assert misbound("Zeta found that sign-ups slowed.", question, [TWO_EVENTS]) is None  # no period given
    one_event = "Sign-ups at Zeta have slowed sharply since May 2025."  # a month and a year: one date
    assert misbound("Since 2025.", "Since when have sign-ups slowed?", [one_event]) is None


def test_a_period_opening_its_clause_dates_nothing_that_can_be_read():
    source = "In March, Zeta had 350 users, but by October, it had 650."
    assert misbound("In March.", "When did Zeta have 350 users?", [source]) is None
    assert misbound("In October.", "When did Zeta have 650 users?", [source]) is None


def test_a_place_at_another_organisation_does_not_answer_a_role_asked_at_one():
    source = "Orbit CEO Jane Roe and John Doe, former head of sales at Zeta, both replied."
    question = "What was John Doe's role at Orbit?"
    assert misbound("John Doe was the former head of sales at Zeta.", question, [source]) is not None
    assert misbound("John Doe was the former head of sales at Zeta.", "What was John Doe's role at Zeta?",
                    [source]) is None
    assert misbound("He was head of sales.", question, [source]) is None  # no place given: the judge decides
    # A role the claim gives at the organisation asked must be one the sentence gives there.
    assert misbound("Jane Roe is the CEO of Zeta.", "What is Jane Roe's role at Zeta?", [source]) is not None
    assert misbound("Jane Roe is the CEO of Orbit.", "What is Jane Roe's role at Orbit?", [source]) is None
    both = "Orbit CEO Jane Roe, a board member at Zeta, replied."
    claim = "Jane Roe is CEO of Orbit and a board member at Zeta."
    assert misbound(claim, "What is Jane Roe's role at Zeta?", [both]) is None  # her role at Orbit is not read


def test_a_claim_may_not_move_a_role_to_another_organisation_whatever_was_asked():
    source = "This executive previously led apps at Zeta and later served as CEO of Orbit."
    question = "Which company did Jane Roe run before joining Acme?"  # asks no role at any organisation
    assert misbound("Jane Roe was CEO of Zeta before joining Acme.", question, [source]) == (
        "the cited sentence gives the ceo of orbit, not of zeta"
    )
    assert misbound("Jane Roe was CEO of Orbit before joining Acme.", question, [source]) is None
    assert misbound("Jane Roe led apps at Zeta.", question, [source]) is None  # no role word: not read
    assert misbound("Jane Roe was Zeta's CEO.", question, ["Jane Roe was a CEO before."]) is None  # held nowhere
    both = "Orbit CEO Jane Roe met Zeta CEO John Doe."
    assert misbound("John Doe is the CEO of Zeta.", "Who did she meet?", [both]) is None  # any cited pairing
    # "role", "job" and "position" name no particular role: the judge reads those
    assert misbound("Her role at Zeta was sales.", question, ["Her role at Orbit was sales."]) is None



@pytest.mark.parametrize(
    ("claim", "sources"),
    [
        # the words before an unlinked role are no organisation: a title, a person
        ("Former CEO Jane Roe left Orbit in May.", ["Jane Roe, the former CEO of Orbit, left in May."]),
        ("Orbit named Jane Roe CEO.", ["Orbit's CEO Jane Roe spoke."]),
        ("Jane Roe chairs the board of Orbit.", ["Jane Roe, chair of Orbit, spoke."]),  # a verb
        # a mention of the role whose organisation the parser cannot read: not a sentence about another's
        ("Jane Roe is CEO of Zeta.", ["Zeta named Jane Roe as its CEO.", "John Doe, CEO of Orbit, spoke."]),
        ("Jane Roe is Head of Research at Orbit.", ["She is head of research at Orbit."]),
        # the claim's organisation is not named in the cited sentences (an abbreviation, another name)
        ("Jane Roe is CEO of General Motors.", ["GM CEO Jane Roe spoke.", "John Doe, CEO of Orbit, spoke."]),
        ("Jane Roe is CEO of Zeta.", ["John Doe, CEO of Orbit, spoke."]),
    ],
)
def test_a_role_is_not_read_as_moved_where_the_sentences_do_not_say_whose_it_is(claim, sources):
    assert misbound(claim, "What did she do?", sources) is None


TWO_MEASURES = (
    "Meanwhile, the daily time a user spends in the app has decreased by 22.5% since July, and the average "
    "number of conversations has also decreased by 20.7%."
)


@pytest.mark.parametrize(
    ("claim", "question", "misplaced"),
    [
        # the claim names the other clause's measure: true, but not what was asked
        ("The average number of conversations has decreased by 20.7%.", "How much less time do users spend?", True),
        ("Conversations have decreased by 20.7%.", "How much less time do users spend?", True),
        ("Time spent has decreased by 22.5%.", "How much less time do users spend?", False),
        # a question that names the claim's measure too is not answered by another's
        ("Conversations have decreased by 20.7%.", "How much less time per conversation do users spend?", False),
        ("Conversations fell by 20.7%.", "By how much did the number of conversations fall?", False),
        ("It decreased by 20.7%.", "How much less time do users spend?", False),  # names no measure: others decide
        # one word of the other clause's is not enough to tell which measure is asked about
        ("Conversations have decreased by 20.7%.", "How much have chats in the app decreased?", False),
        # a question that excludes a measure names it
        ("Conversations fell by 20.7%.", "Other than time spent, by how much did use fall?", False),
        # giving both figures answers with the asked one too
        ("Time fell by 22.5% and conversations by 20.7%.", "How much less time do users spend?", False),
        # not a figure question
        ("Conversations fell by 20.7%.", "What happened to the time users spend?", False),
    ],
)
def test_a_figure_given_for_another_measure_does_not_answer(claim, question, misplaced):
    why = misbound(claim, question, [TWO_MEASURES])
    assert (why is not None and "another measure" in why) is misplaced, why


def test_clauses_about_two_subjects_are_not_two_measures():
    source = "ChatGPT's share fell to 70%, while Gemini's share rose to 20% of the market."
    assert misbound("ChatGPT's share fell to 70%.", "What share of the market does ChatGPT have?", [source]) is None
