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
