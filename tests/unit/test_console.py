"""What ``rag ask`` and ``rag chat`` print under the answer: why it refused, which part of the question it
left unanswered, its citations, or the passages it searched."""

from rag.console import print_sources
from rag.types import Chunk, Citation, Passage, Status
from tests import factories

CITE = Citation(1, "corpus/a.txt", 10, 30, "Over 800 million people.", 0.8, page=3)


def test_a_part_left_unanswered_is_named_under_the_answer(capsys):
    answer = factories.answered(
        "How many, and who said so?", "Over 800 million [1].", [CITE], unanswered=("who said so?",)
    )
    print_sources(answer)
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "  (not answered: who said so?)"
    assert out[1] == "  [1] corpus/a.txt:10-30, page 3  Over 800 million people."


def test_a_refusal_says_why_and_a_whole_answer_adds_nothing(capsys):
    print_sources(factories.refused("Who?", Status.DECLINED))
    assert capsys.readouterr().out == "  (the model found no answer in the passages)\n"
    print_sources(factories.answered("How many?", "Over 800 million [1].", [CITE]))
    assert capsys.readouterr().out.splitlines() == ["  [1] corpus/a.txt:10-30, page 3  Over 800 million people."]


def _passage(n: int, start: int, text: str, page: int | None = None) -> Passage:
    chunk = Chunk(f"c{n}", "corpus/a.txt", "sha", start, start + len(text), 0, 99, n, text, page=page)
    return Passage(n, (chunk,), 0.4)


def test_a_refusal_prints_the_passages_searched_for_the_reader_to_check(capsys):
    looked = tuple(_passage(n, 10 * n, f"Sentence {n}.", page=n) for n in (1, 2, 3, 4))
    print_sources(factories.refused("Who?", Status.UNSUPPORTED, retrieved=looked))
    assert capsys.readouterr().out.splitlines() == [
        "  (the draft was withdrawn: the passages do not support it)",
        "  passages searched, for you to check:",
        "  [1] corpus/a.txt:10-21, page 1  Sentence 1.",
        "  [2] corpus/a.txt:20-31, page 2  Sentence 2.",
        "  [3] corpus/a.txt:30-41, page 3  Sentence 3.",
    ]
    print_sources(factories.refused("Who?", Status.NOT_RELEVANT, retrieved=looked))  # nothing close: nothing shown
    assert capsys.readouterr().out == "  (nothing in the documents is close enough to the question)\n"
