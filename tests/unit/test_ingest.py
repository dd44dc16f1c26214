"""Ingest with a deterministic fake embedding and a real Chroma on disk."""

from pathlib import Path

import pytest
from langchain_core.embeddings import DeterministicFakeEmbedding

from ingest.pipeline import ingest
from rag.config import load_settings
from rag.errors import IndexError_
from rag.store import Index, manifest_path


@pytest.fixture
def settings(project: Path):
    return load_settings(project_root=project, env={}, embeddings="fake:32")


@pytest.fixture
def emb():
    return DeterministicFakeEmbedding(size=32)


def test_first_ingest_then_rerun_does_no_embedding_work(settings, emb, article_text):
    first = ingest(settings, emb, progress=False)
    assert first.added == ["corpus/openai-code-red.txt"] and first.chunks_embedded > 50
    again = ingest(settings, emb, progress=False)
    assert again.unchanged == ["corpus/openai-code-red.txt"]
    assert again.chunks_embedded == 0 and again.chunks_deleted == 0
    index = Index.load(settings)
    assert len(index.chunks) == first.chunks_total
    for c in index.chunks:
        assert article_text[c.start : c.end] == c.text


def test_changed_file_replaces_and_removed_file_deletes(settings, emb, project):
    extra = project / "corpus" / "notes.md"
    extra.write_text("# Notes\n\nThe launch moved to Tuesday.\n")
    ingest(settings, emb, progress=False)
    extra.write_text("# Notes\n\nThe launch moved to Friday. Nobody knows why.\n")
    report = ingest(settings, emb, progress=False)
    assert report.updated == ["corpus/notes.md"] and report.chunks_embedded == 3
    assert report.chunks_deleted == 2
    texts = {c.text for c in Index.load(settings).chunks}
    assert "The launch moved to Friday." in texts and "The launch moved to Tuesday." not in texts
    extra.unlink()
    report = ingest(settings, emb, progress=False)
    assert report.removed == ["corpus/notes.md"] and report.chunks_deleted == 3
    assert all(c.source != "corpus/notes.md" for c in Index.load(settings).chunks)


def test_bad_files_are_reported_by_name_and_skipped(settings, emb, project):
    corpus = project / "corpus"
    (corpus / "empty.txt").write_text("  \n")
    (corpus / "binary.txt").write_bytes(b"\x00\x01\x02abc")
    (corpus / "latin1.txt").write_bytes("caf\xe9".encode("latin-1"))
    (corpus / "slides.pptx").write_bytes(b"PK\x03\x04")
    (corpus / "README.md").write_text("About this folder.")
    report = ingest(settings, emb, progress=False)
    reasons = {s.path.name: s.reason for s in report.skipped}
    assert set(reasons) == {"empty.txt", "binary.txt", "latin1.txt", "slides.pptx"}
    assert "empty" in reasons["empty.txt"] and "binary" in reasons["binary.txt"]
    assert "UTF-8" in reasons["latin1.txt"] and "unsupported file type .pptx" in reasons["slides.pptx"]
    assert report.added == ["corpus/openai-code-red.txt"]  # README.md describes the corpus


def test_ingesting_one_file_keeps_the_rest(settings, emb, project):
    ingest(settings, emb, progress=False)
    other = project / "elsewhere.txt"
    other.write_text("A separate document about tea.")
    report = ingest(settings, emb, [other], progress=False)
    assert report.added == ["elsewhere.txt"] and report.removed == []
    assert set(Index.load(settings).manifest.documents) == {"corpus/openai-code-red.txt", "elsewhere.txt"}


def test_other_embedding_model_is_refused(settings, emb, project):
    ingest(settings, emb, progress=False)
    other = load_settings(project_root=project, env={}, embeddings="sentence-transformers:all-MiniLM-L6-v2")
    with pytest.raises(IndexError_, match="rag ingest --reset"):
        Index.load(other)
    with pytest.raises(IndexError_, match="--reset"):
        ingest(other, emb, progress=False)


def test_missing_and_corrupt_index(settings, emb):
    with pytest.raises(IndexError_, match="rag ingest"):
        Index.load(settings)
    ingest(settings, emb, progress=False)
    manifest_path(settings).write_text("{not json")
    with pytest.raises(IndexError_, match="corrupt"):
        Index.load(settings)
    report = ingest(settings, emb, progress=False)  # rebuilds from the files, reusing stored chunks
    assert report.added and report.chunks_embedded == 0
    assert Index.load(settings).chunks


def test_crash_before_commit_leaves_previous_index_consistent(settings, emb, project, monkeypatch):
    ingest(settings, emb, progress=False)
    before = {c.id for c in Index.load(settings).chunks}
    (project / "corpus" / "new.txt").write_text("A brand new document. It has two sentences.")
    import rag.manifest

    def crash(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(rag.manifest, "write_manifest", crash)  # the local store's commit
    with pytest.raises(KeyboardInterrupt):
        ingest(settings, emb, progress=False)
    assert {c.id for c in Index.load(settings).chunks} == before  # new chunks stored but invisible
    monkeypatch.undo()
    report = ingest(settings, emb, progress=False)
    assert report.added == ["corpus/new.txt"] and report.chunks_embedded == 0  # reused
