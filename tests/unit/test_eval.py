from dataclasses import replace
from pathlib import Path

import pytest

from rag.errors import InputError
from rag.eval import (
    Case,
    check_thresholds,
    compare_to_baseline,
    load_suite,
    matches,
    reference_text,
    score_case,
    summarize,
)
from rag.types import Chunk, Citation, Passage, Status
from tests import factories

DOC = "ChatGPT has 800 million weekly users. Gemini had 650 million monthly users."
DOCS = {"d.txt": DOC}


def answer(text="", refused=False, cites=(), retrieved=()):
    citations = [Citation(i, "d.txt", s, e, DOC[s:e], 1.0) for i, (s, e) in enumerate(cites, 1)]
    chunks = [Chunk(f"c{i}", "d.txt", "sha", s, e, s, e, i, DOC[s:e]) for i, (s, e) in enumerate(retrieved, 1)]
    kw = {
        "retrieved": tuple(Passage(i, (c,), 0.5) for i, c in enumerate(chunks, 1)),
        "timings": {"ttft_s": 1.0, "total_s": 2.0},
    }
    if refused:
        return factories.refused("q", Status.DECLINED, **kw)
    return factories.answered("q", text, citations, **kw)


CASE = Case(id="users", question="How many?", expect=["800 million"], cite=["800 million weekly"])
FIRST, SECOND = (0, 37), (38, len(DOC))


def test_matches_substring_and_regex():
    assert matches("800 MILLION", "it has 800 million users")
    assert matches("/8\\d0 ?million/", "800million")
    assert not matches("/^800$/", "it is 800")


def test_correct_answer_with_precise_citation():
    s = score_case(CASE, answer("800 million [1].", cites=[FIRST], retrieved=[SECOND, FIRST]), DOCS)
    assert s.passed and s.answer_match and s.citation_precision == 1.0 and s.citation_recall == 1.0
    assert s.hit_at_k and s.reciprocal_rank == 0.5


def test_wrong_citation_lowers_precision_and_recall():
    s = score_case(CASE, answer("800 million [1][2].", cites=[SECOND, FIRST], retrieved=[FIRST]), DOCS)
    assert s.citation_precision == 0.5 and s.citation_recall == 1.0 and s.passed
    s = score_case(CASE, answer("800 million [1].", cites=[SECOND], retrieved=[SECOND]), DOCS)
    assert s.citation_precision == 0.0 and s.citation_recall == 0.0 and not s.passed
    assert s.hit_at_k is False and s.reciprocal_rank == 0.0


def test_no_citations_and_empty_answer():
    s = score_case(CASE, answer("800 million."), DOCS)
    assert s.citation_precision is None and s.citation_recall == 0.0 and s.answer_match
    s = score_case(CASE, answer(""), DOCS)
    assert not s.answer_match and not s.passed and "missing" in s.reasons[0]


def test_citation_outside_any_document_never_counts():
    a = replace(answer("800 million [1].", cites=[FIRST]), citations=(Citation(1, "other.txt", 0, 37, "x", 1.0),))
    s = score_case(CASE, a, DOCS)
    assert s.citation_precision == 0.0


def test_refusal_cases():
    refuse = Case(id="r", question="Valuation?", refuse=True)
    assert score_case(refuse, answer("The documents do not say.", refused=True), DOCS).passed
    s = score_case(refuse, answer("It is $5 [1].", cites=[FIRST]), DOCS)
    assert not s.passed and s.reasons == ["answered but should refuse"]
    s = score_case(CASE, answer("The documents do not say.", refused=True), DOCS)
    assert not s.passed and not s.refusal_correct and s.answer_match is False


def test_cite_passage_missing_from_documents_is_reported():
    case = Case(id="x", question="q", expect=["800"], cite=["not in the text"])
    assert "not found" in score_case(case, answer("800"), DOCS).reasons[0]


def test_summary_thresholds_and_baseline():
    good = score_case(CASE, answer("800 million [1].", cites=[FIRST], retrieved=[FIRST]), DOCS)
    bad = score_case(Case(id="b", question="q", expect=["650"]), answer("no idea"), DOCS)
    summary = summarize([good, bad], [answer(), answer()])
    assert summary["pass_rate"] == 0.5 and summary["answer_correctness"] == 0.5
    assert summary["case_results"] == {"users": True, "b": False}
    assert check_thresholds(summary, {"pass_rate": 0.5, "ttft_p50_s": 2}) == []
    assert "below the threshold 0.51" in check_thresholds(summary, {"pass_rate": 0.51})[0]
    assert "above the limit" in check_thresholds(summary, {"ttft_p50_s": 0.5})[0]
    baseline = {**summary, "pass_rate": 1.0, "case_results": {"users": True, "b": True}}
    problems = compare_to_baseline(summary, baseline, tolerance=0.1)
    assert any("pass_rate fell from 1.0 to 0.5" in p for p in problems)
    assert any("now fail: b" in p for p in problems)
    assert compare_to_baseline(summary, summary, tolerance=0.0) == []


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "suite.yaml"
    path.write_text(text)
    return path


def test_suite_validation_names_case_and_field(tmp_path):
    with pytest.raises(InputError, match="case second, field expect"):
        load_suite(
            write(tmp_path, "- {id: first, question: q, refuse: true}\n- {id: second, question: q, expect: '800'}\n")
        )
    with pytest.raises(InputError, match="case bad, field expect: .*bad regex"):
        load_suite(write(tmp_path, "- {id: bad, question: q, expect: ['/(unclosed/']}\n"))
    with pytest.raises(InputError, match="needs expect"):
        load_suite(write(tmp_path, "- {id: none, question: q}\n"))
    with pytest.raises(InputError, match="duplicate case ids: a"):
        load_suite(write(tmp_path, "- {id: a, question: q, refuse: true}\n- {id: a, question: q, refuse: true}\n"))
    with pytest.raises(InputError, match="field typo"):
        load_suite(write(tmp_path, "- {id: a, question: q, refuse: true, typo: 1}\n"))
    with pytest.raises(InputError, match="cannot read suite"):
        load_suite(write(tmp_path, "- [unclosed"))


def test_suite_with_thresholds_mapping(tmp_path):
    suite = load_suite(write(tmp_path, "thresholds: {pass_rate: 0.8}\ncases:\n- {id: a, question: q, refuse: true}\n"))
    assert suite.thresholds == {"pass_rate": 0.8} and suite.cases[0].refuse


def test_golden_set_is_valid_and_cites_the_article():
    root = Path(__file__).resolve().parents[2]
    suite = load_suite(root / "evals" / "golden.yaml")
    text = (root / "corpus" / "openai-code-red.txt").read_text()
    assert len(suite.cases) >= 40
    assert sum(bool(c.history) for c in suite.cases) >= 6 and sum(c.refuse for c in suite.cases) >= 8
    for case in suite.cases:
        for passage in case.cite:
            assert passage in text, (case.id, passage)


def test_reference_text_for_semantic_check():
    assert reference_text(Case(id="a", question="q", expect=["/800 ?million|800m/", "users"])) == "800 million users"
