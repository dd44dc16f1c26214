"""The app's small I/O helpers: auth parsing, reading cited documents safely, appending feedback."""

import json
from pathlib import Path

import pytest

from rag.config import load_settings
from rag.errors import ConfigError
from rag.types import Citation, Passage
from tests import factories
from ui.app import append_feedback, original_links, parse_auth, read_documents
from ui.render import Turn


def test_parse_auth():
    assert parse_auth(None) is None and parse_auth("") is None
    assert parse_auth("ann:s3cret:x") == ("ann", "s3cret:x")
    with pytest.raises(ConfigError, match="user:password"):
        parse_auth("justaname")


def _turn(*sources: str) -> Turn:
    cites = [Citation(i, s, 0, 4, "text", 0.5) for i, s in enumerate(sources, 1)]
    return Turn("Q", factories.answered("Q", "A [1].", cites))


def test_read_documents_returns_the_stored_extracted_text_and_nothing_else(tmp_path: Path):
    from ingest.pipeline import ingest
    from rag.store import Index
    from tests.unit.helpers import BowEmbeddings

    root = tmp_path / "project"
    (root / "corpus").mkdir(parents=True)
    (root / "corpus" / "a.txt").write_bytes("\ufeffline one\r\nline two".encode())
    (tmp_path / "secret.txt").write_text("secret")
    settings = load_settings(project_root=root, env={}, embeddings="fake:bow")
    ingest(settings, BowEmbeddings(), progress=False)
    (root / "corpus" / "a.txt").write_text("edited after ingest")  # never re-read: the index's text is shown
    index = Index.load(settings)
    turns = [_turn("corpus/a.txt", "../secret.txt", str(tmp_path / "secret.txt"), "gone.txt")]
    docs = read_documents(index, turns)
    assert docs["corpus/a.txt"] == "line one\r\nline two"  # BOM dropped, line endings kept (offsets match)
    assert docs["../secret.txt"] is None and docs[str(tmp_path / "secret.txt")] is None
    assert docs["gone.txt"] is None
    assert original_links(index, turns) == dict.fromkeys(docs)  # only PDFs get a link
    chunk = index.chunks[0]
    searched = factories.refused("Q", retrieved=(Passage(1, (chunk,), 0.5),))  # declined: its passages are shown
    assert read_documents(index, [Turn("Q", searched)]) == {"corpus/a.txt": "line one\r\nline two"}


def test_original_links_point_at_the_kept_copy_of_a_pdf(tmp_path: Path):
    from ingest.pipeline import ingest
    from rag.store import Index
    from tests import documents
    from tests.unit.helpers import BowEmbeddings

    root = tmp_path / "project"
    (root / "corpus").mkdir(parents=True)
    documents.write_docx(root / "corpus" / "notes.docx", [("p", "The pump is inspected every 45 days.")])
    pdf = root / "corpus" / "manual.pdf"
    documents.write_manual_excerpt(pdf, 40, 42)
    settings = load_settings(project_root=root, env={}, embeddings="fake:bow")
    ingest(settings, BowEmbeddings(), progress=False)
    index = Index.load(settings)
    links = original_links(index, [_turn("corpus/manual.pdf", "corpus/notes.docx")])
    assert links["corpus/notes.docx"] is None
    page = next(c for c in index.chunks if c.source == "corpus/manual.pdf")
    declined = Turn("Q", factories.refused("Q", retrieved=(Passage(1, (page,), 0.5),)))
    assert original_links(index, [declined]) == {"corpus/manual.pdf": links["corpus/manual.pdf"]}  # searched too
    kept = settings.data_path / "originals"
    assert links["corpus/manual.pdf"].startswith("gradio_api/file=" + str(kept.resolve()))
    assert links["corpus/manual.pdf"].endswith(".pdf")
    (path,) = kept.iterdir()
    assert path.read_bytes() == pdf.read_bytes()


def test_append_feedback_writes_one_json_line_per_vote(tmp_path: Path):
    path = tmp_path / "data" / "feedback.jsonl"
    append_feedback(path, {"vote": "up", "question": "é?"})
    append_feedback(path, {"vote": "down", "question": "b"})
    lines = path.read_text(encoding="utf-8").splitlines()
    assert [json.loads(line)["vote"] for line in lines] == ["up", "down"]
    assert "é?" in lines[0]
