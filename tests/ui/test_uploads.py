"""Uploads: safe names, type and size limits, never written outside the uploads folder."""

from pathlib import Path

import pytest

from ui.uploads import UploadError, safe_filename, save_upload


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("notes.md", "notes.md"),
        ("My Notes (v2).TXT", "My_Notes_v2.txt"),
        ("../../etc/passwd.txt", "passwd.txt"),
        ("..\\..\\evil.md", "evil.md"),
        (".hidden.md", "hidden.md"),
        ("<script>.md", "script.md"),
        ("....md", "upload.md"),
        ("noext", "noext"),
    ],
)
def test_safe_filename(name, expected):
    assert safe_filename(name) == expected


def test_save_upload_copies_into_the_uploads_folder(tmp_path: Path):
    src = tmp_path / "in" / "a b.md"
    src.parent.mkdir()
    src.write_text("# Notes\nGarlic is a model.", encoding="utf-8")
    saved = save_upload(src, tmp_path / "uploads", max_bytes=1000)
    assert saved == (tmp_path / "uploads" / "a_b.md").resolve()
    assert saved.read_text(encoding="utf-8").startswith("# Notes")


def test_save_upload_refuses_wrong_type_and_too_big(tmp_path: Path):
    slides = tmp_path / "talk.pptx"
    slides.write_text("<p>hi</p>")
    with pytest.raises(UploadError, match=r"only these file types can be added: \.docx, \.htm, \.html, .*\.pdf, \.txt"):
        save_upload(slides, tmp_path / "uploads", max_bytes=1000)
    big = tmp_path / "big.txt"
    big.write_text("x" * 2000)
    with pytest.raises(UploadError, match="limit is 1,000"):
        save_upload(big, tmp_path / "uploads", max_bytes=1000)
    assert not (tmp_path / "uploads").exists() or not any((tmp_path / "uploads").iterdir())


# Uploader.report, as the web chat's upload button calls it: a real pipeline (real chunking, real Chroma
# index on disk), with bag-of-words embeddings and a scripted model standing in for the real models.

ZORBLAX_1 = "# Zorblax\nThe Zorblax protocol was invented by Quintessa Marlowe in 2031.\n"
ZORBLAX_2 = "# Zorblax\nThe Zorblax protocol was invented by Bartholomew Quill in 2042.\n"


@pytest.fixture
def pipeline(project: Path):
    from langchain_core.language_models.fake_chat_models import GenericFakeChatModel

    from ingest.pipeline import ingest
    from rag.chain import Pipeline
    from rag.config import load_settings
    from rag.store import Index
    from tests.unit.helpers import BowEmbeddings

    settings = load_settings(project_root=project, env={}, embeddings="fake:bow", max_upload_bytes=5_000)
    ingest(settings, BowEmbeddings(), progress=False)
    return Pipeline(settings, Index.load(settings), BowEmbeddings(), GenericFakeChatModel(messages=iter([])), "fake:x")


def _file(tmp_path: Path, name: str, text: str, folder: str = "in") -> Path:
    path = tmp_path / folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def _upload_chunks(pipeline) -> dict[str, list[str]]:
    """source -> chunk texts, for the uploaded documents in the pipeline's current index."""
    out: dict[str, list[str]] = {}
    for c in pipeline.index.chunks:
        if c.source.startswith(".rag/uploads/"):
            out.setdefault(c.source, []).append(c.text)
    return out


def test_add_uploads_indexes_good_files_and_refuses_wrong_type_and_size(pipeline, tmp_path: Path):
    from ui.uploads import Uploader

    good = _file(tmp_path, "zorblax notes.md", ZORBLAX_1)
    slides = _file(tmp_path, "talk.pptx", "Zorblax slides")
    big = _file(tmp_path, "big.txt", "Zorblax " * 1000)  # 8,000 bytes; the limit is 5,000
    report = Uploader(pipeline.settings, pipeline).report([good, slides, big]).split("\n\n")

    assert report[0] == "✅ **zorblax\\_notes.md** is ready: ask about it now."  # one line per file, in order
    assert report[1].startswith("⚠️") and "talk.pptx: only these file types can be added" in report[1]
    assert report[2].startswith("⚠️") and "big.txt is 8,000 bytes; the limit is 5,000" in report[2]
    uploads = pipeline.settings.data_path / "uploads"
    assert sorted(p.name for p in uploads.iterdir()) == ["zorblax_notes.md"]  # nothing refused was kept
    assert list(_upload_chunks(pipeline)) == [".rag/uploads/zorblax_notes.md"]
    found = pipeline.retrieve("Who invented the Zorblax protocol?")  # the pipeline sees it at once
    assert found.passages[0].source == ".rag/uploads/zorblax_notes.md"
    assert "Quintessa Marlowe" in found.passages[0].text


def test_only_refused_files_leave_the_index_alone(pipeline, tmp_path: Path):
    from ui.uploads import Uploader

    before = pipeline.index
    report = Uploader(pipeline.settings, pipeline).report([_file(tmp_path, "a.exe", "MZ")])
    assert report.startswith("⚠️") and "a.exe: only these file types" in report and "\n" not in report
    assert pipeline.index is before and not _upload_chunks(pipeline)


def test_same_name_upload_replaces_the_earlier_version(pipeline, tmp_path: Path):
    from ui.uploads import Uploader

    first = Uploader(pipeline.settings, pipeline).report([_file(tmp_path, "notes.md", ZORBLAX_1, "monday")])
    assert "is ready" in first
    # Another file whose safe name is the same: it replaces the first, in the folder and in the index.
    second = Uploader(pipeline.settings, pipeline).report([_file(tmp_path, "notes.md", ZORBLAX_2, "tuesday")])
    assert second == "✅ **notes.md** is ready: ask about it now."
    uploads = pipeline.settings.data_path / "uploads"
    assert [p.name for p in uploads.iterdir()] == ["notes.md"]
    assert (uploads / "notes.md").read_text(encoding="utf-8") == ZORBLAX_2
    chunks = _upload_chunks(pipeline)
    assert list(chunks) == [".rag/uploads/notes.md"]
    assert any("Bartholomew Quill" in t for t in chunks[".rag/uploads/notes.md"])
    assert not any("Quintessa" in c.text for c in pipeline.index.chunks)  # the old version is gone
    assert pipeline.index.collection.count() == len(pipeline.index.chunks)  # ... from the store too
    found = pipeline.retrieve("Who invented the Zorblax protocol?")
    assert "Bartholomew Quill" in found.passages[0].text


def test_upload_without_text_is_reported_and_not_kept(pipeline, tmp_path: Path):
    from ui.uploads import Uploader

    report = Uploader(pipeline.settings, pipeline).report([_file(tmp_path, "empty.md", "   \n\n")])
    assert report.startswith("⚠️ empty.md was not added: ") and "empty" in report.split(":", 1)[1]
    assert not (pipeline.settings.data_path / "uploads" / "empty.md").exists()
