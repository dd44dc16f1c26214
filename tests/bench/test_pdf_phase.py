"""The PDF phase of rag bench on a real (excerpted) Debian manual, with fake embeddings: pages/s at
each size, a full ingest, and an unchanged re-run that parses and embeds nothing."""

from pathlib import Path

from bench.pdf import pdf_text, run_pdf
from rag.config import load_settings
from tests import documents
from tests.unit.helpers import BowEmbeddings


def test_pdf_phase_reports_pages_per_second_and_a_free_rerun(tmp_path: Path):
    pdf = documents.write_manual_excerpt(tmp_path / "manual.pdf", 1, 12)
    settings = load_settings(project_root=tmp_path, env={}, embeddings="fake:bow")
    lines: list[str] = []
    res = run_pdf(settings, BowEmbeddings(), tmp_path / "work", lines.append, pdf=pdf)
    assert res["pages"] == 12 and [e["copies"] for e in res["extract"]] == [1, 4, 16]
    assert all(e["pages"] == 12 * e["copies"] and e["pages_per_s"] > 0 for e in res["extract"])
    assert res["ingest"]["pages_per_s"] > 0 and res["ingest"]["chunks"] > 0
    assert res["reingest_unchanged"] == {**res["reingest_unchanged"], "parsed": 0, "chunks_embedded": 0}
    text = pdf_text(res)
    assert "manual.pdf, 12 pages" in text and "full ingest" in text and "pages/s" in text
    assert pdf_text({"skipped": "no PDF"}) == "PDF ingest: skipped (no PDF)"
