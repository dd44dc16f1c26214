"""Ingest of a mixed folder (PDF excerpt of a real manual, its HTML page, a Word file, a scanned page, a
password-protected PDF): pages and sections reach the chunks, the index stores the extracted text
every citation points into, bad files are named, and an unchanged PDF is never parsed again."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ingest import pipeline as ingest_pipeline
from ingest.pipeline import ingest
from rag.config import load_settings
from rag.store import Index, read_manifest
from rag.texts import texts_path
from rag.types import Citation
from tests import documents as docs
from tests.unit.helpers import BowEmbeddings


@pytest.fixture
def mixed(tmp_path: Path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    docs.write_manual_excerpt(corpus / "manual.pdf", 40, 42)
    docs.write_docx(
        corpus / "pump.docx",
        [("h1", "Wiring"), ("p", "The motor needs a 16 ampere breaker."), ("p", "Use copper cable only.")],
    )
    (corpus / "valves.html").write_text(docs.HOSTILE_HTML, encoding="utf-8")
    docs.write_encrypted_pdf(corpus / "locked.pdf")
    ocr = docs.ocr_missing() is None
    if ocr:
        docs.write_scanned_pdf(corpus / "scan.pdf", [docs.SCANNED_LINES])
    settings = load_settings(project_root=tmp_path, env={}, embeddings="fake:bow")
    return settings, ocr


def test_mixed_folder_is_indexed_with_pages_sections_and_stored_text(mixed):
    settings, ocr = mixed
    report = ingest(settings, BowEmbeddings(), progress=False)
    expected = {"corpus/manual.pdf", "corpus/pump.docx", "corpus/valves.html"} | ({"corpus/scan.pdf"} if ocr else set())
    assert set(report.added) == expected
    (skipped,) = report.skipped
    assert skipped.path.name == "locked.pdf" and skipped.kind == "encrypted" and "password-protected" in skipped.reason
    assert report.as_dict()["skipped"][0]["error"] == "encrypted"
    parsed = {p["source"]: p for p in report.parsed}
    assert parsed["corpus/manual.pdf"]["pages"] == 3 and parsed["corpus/pump.docx"]["pages"] == 0
    assert report.pages_parsed == 3 + (1 if ocr else 0)

    index = Index.load(settings)
    for chunk in index.chunks:  # the contract: every span is exact in the stored extracted text
        assert index.document_text(chunk.source)[chunk.start : chunk.end] == chunk.text
    by_source: dict[str, list] = {}
    for chunk in index.chunks:
        by_source.setdefault(chunk.source, []).append(chunk)
    manual = by_source["corpus/manual.pdf"]
    splitting = next(c for c in manual if c.text.startswith("The shell scans the results"))
    assert splitting.page == 2 and not splitting.ocr  # page 41 of the manual is page 2 of the excerpt
    assert {c.page for c in manual} == {1, 2, 3}
    assert all(c.page is None for c in by_source["corpus/pump.docx"] + by_source["corpus/valves.html"])
    breaker = next(c for c in by_source["corpus/pump.docx"] if "16 ampere" in c.text)
    assert breaker.section == "Wiring"
    torque = next(c for c in by_source["corpus/valves.html"] if "45 newton metres" in c.text)
    assert torque.section == "Valve maintenance > Torque"
    assert Citation.of(1, splitting, 0.9).to_json()["page"] == 2
    if ocr:
        scan = next(c for c in by_source["corpus/scan.pdf"] if "45 days" in c.text)
        assert scan.page == 1 and scan.ocr and Citation.of(1, scan, 0.5).to_json()["ocr"] is True

    manifest = read_manifest(settings)
    entry = manifest.documents["corpus/manual.pdf"]
    assert len(entry.pages) == 3 and entry.pages[0] == 0
    stored = sorted(p.stem for p in texts_path(settings).iterdir())
    assert stored == sorted(e.sha256 for e in manifest.documents.values())


def test_an_unchanged_pdf_is_not_parsed_or_embedded_again(mixed, monkeypatch):
    settings, _ = mixed
    ingest(settings, BowEmbeddings(), progress=False)

    real_extract = ingest_pipeline.extract

    def only_the_refused_file(data, path):  # a refused file is tried again: it may be fixed by now
        assert path.name == "locked.pdf", f"{path.name} was parsed again"
        return real_extract(data, path)

    monkeypatch.setattr(ingest_pipeline, "extract", only_the_refused_file)
    report = ingest(settings, BowEmbeddings(), progress=False)
    assert report.chunks_embedded == 0 and not report.parsed and not report.added
    assert [s.path.name for s in report.skipped] == ["locked.pdf"]
    assert "corpus/manual.pdf" in report.unchanged


def test_a_lost_text_is_restored_without_embedding(mixed):
    settings, _ = mixed
    ingest(settings, BowEmbeddings(), progress=False)
    for path in texts_path(settings).iterdir():
        path.unlink()
    report = ingest(settings, BowEmbeddings(), progress=False)
    assert report.chunks_embedded == 0 and {p["source"] for p in report.parsed} >= {"corpus/manual.pdf"}
    index = Index.load(settings)
    assert all(index.document_text(c.source)[c.start : c.end] == c.text for c in index.chunks)


def test_removed_documents_lose_their_stored_text(mixed):
    settings, _ = mixed
    ingest(settings, BowEmbeddings(), progress=False)
    (settings.corpus_path / "pump.docx").unlink()
    report = ingest(settings, BowEmbeddings(), progress=False)
    assert report.removed == ["corpus/pump.docx"]
    manifest = read_manifest(settings)
    assert sorted(p.stem for p in texts_path(settings).iterdir()) == sorted(
        e.sha256 for e in manifest.documents.values()
    )
    assert json.loads(manifest.model_dump_json())["documents"]["corpus/manual.pdf"]["pages"][0] == 0
