"""Questions about a PDF manual, a saved web page, a Word file and a scanned page, answered by the
default model over a real index: each answer cites the right file and page (evals/multiformat.yaml)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from ingest.pipeline import ingest
from rag.chain import Pipeline
from rag.eval import Scorer, documents_of, load_suite, run_case
from tests import documents
from tests.integration.conftest import ROOT, settings_for

pytestmark = [pytest.mark.slow, pytest.mark.default_model]

# The manual's pages 39-42 and 97-100: its page 41 is page 3 of the excerpt, page 99 is page 7.
EXCERPT = [(39, 42), (97, 100)]
MANUAL = "corpus/bash-reference-manual.pdf"
# case id → (cited source, page, text the section must end with, OCR)
EXPECTED = {
    "pdf-ifs-delimiter": (MANUAL, 3, "3.5.7 Word Splitting", False),
    "pdf-login-startup": (MANUAL, 7, "6.2 Bash Startup Files", False),
    "html-default-samples": ("corpus/gnuplot-samples.html", None, "Samples", False),
    "docx-breaker": ("corpus/pump-handbook.docx", None, "1.1 Wiring", False),
    "ocr-inspection-interval": ("corpus/maintenance-scan.pdf", 1, None, True),
}


def _build_corpus(dest: Path) -> None:
    spec = importlib.util.spec_from_file_location("multiformat_corpus", ROOT / "scripts" / "multiformat_corpus.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.build(dest, excerpt=EXCERPT)


@pytest.fixture(scope="module")
def setup(tmp_path_factory, real_embeddings):
    documents.require_ocr()
    project = tmp_path_factory.mktemp("multiformat")
    _build_corpus(project / "corpus")
    settings = settings_for(project)
    report = ingest(settings, real_embeddings, progress=False)
    pipeline = Pipeline.load(settings, embeddings=real_embeddings)
    return pipeline, report


def test_the_password_protected_pdf_is_named_and_nothing_else_is_lost(setup):
    _, report = setup
    (skipped,) = report.skipped
    assert skipped.path.name == "locked.pdf" and skipped.kind == "encrypted"
    assert {v[0] for v in EXPECTED.values()} <= set(report.added)


WITHDRAWN = pytest.mark.xfail(
    strict=False,
    reason="measured 2026-11-26: retrieval ranks the page-41 sentence first, but grounding withdraws the "
    "1.5B model's paraphrase 'The characters of the IFS variable are treated as delimiters' (status unsupported)",
)
CASES = [pytest.param(c, marks=WITHDRAWN) if c == "pdf-ifs-delimiter" else c for c in EXPECTED]


@pytest.mark.parametrize("case_id", [*CASES, "not-in-docs-coolant"])
def test_answers_cite_the_right_file_and_page(setup, case_id):
    pipeline, _ = setup
    case = next(c for c in load_suite(ROOT / "evals" / "multiformat.yaml").cases if c.id == case_id)
    result = run_case(pipeline, case, Scorer(documents_of(pipeline)))
    answer = result.answer
    if not case.refuse:
        source, page, section, ocr = EXPECTED[case_id]
        top = answer.retrieved[0].chunks[0]  # the best passage is on the page the question is about
        assert (top.source, top.page, top.ocr) == (source, page, ocr), top
        for c in answer.citations:  # and nothing is cited from another file or page
            assert (c.source, c.page, c.ocr) == (source, page, ocr), c
            assert section is None or (c.section or "").endswith(section), c
            assert pipeline.index.document_text(c.source)[c.start : c.end] == c.text
    # expected words, and every citation overlaps the cited passage (or a refusal)
    assert result.score.passed, f"{'; '.join(result.score.reasons)}: {answer.answer} {answer.citations}"
