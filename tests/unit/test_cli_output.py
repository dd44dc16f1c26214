"""What ``rag ask`` prints under the answer: why it refused, or which part of the question it left unanswered."""

from rag.cli import _print_sources
from rag.types import Citation, Status
from tests import factories

CITE = Citation(1, "corpus/a.txt", 10, 30, "Over 800 million people.", 0.8, page=3)


def test_a_part_left_unanswered_is_named_under_the_answer(capsys):
    answer = factories.answered(
        "How many, and who said so?", "Over 800 million [1].", [CITE], unanswered=("who said so?",)
    )
    _print_sources(answer)
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "  (not answered: who said so?)"
    assert out[1] == "  [1] corpus/a.txt:10-30, page 3  Over 800 million people."


def test_a_refusal_says_why_and_a_whole_answer_adds_nothing(capsys):
    _print_sources(factories.refused("Who?", Status.DECLINED))
    assert capsys.readouterr().out == "  (the model found no answer in the passages)\n"
    _print_sources(factories.answered("How many?", "Over 800 million [1].", [CITE]))
    assert capsys.readouterr().out.splitlines() == ["  [1] corpus/a.txt:10-30, page 3  Over 800 million people."]
