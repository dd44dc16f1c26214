"""The app's small I/O helpers: auth parsing, reading cited documents safely, appending feedback."""

import json
from pathlib import Path

import pytest

from rag.config import load_settings
from rag.errors import ConfigError
from rag.types import Citation
from tests import factories
from ui.app import append_feedback, parse_auth, read_documents
from ui.render import Turn


def test_parse_auth():
    assert parse_auth(None) is None and parse_auth("") is None
    assert parse_auth("ann:s3cret:x") == ("ann", "s3cret:x")
    with pytest.raises(ConfigError, match="user:password"):
        parse_auth("justaname")


def _turn(*sources: str) -> Turn:
    cites = [Citation(i, s, 0, 4, "text", 0.5) for i, s in enumerate(sources, 1)]
    return Turn("Q", factories.answered("Q", "A [1].", cites))


def test_read_documents_reads_cited_files_as_indexed_and_nothing_outside(tmp_path: Path):
    root = tmp_path / "project"
    (root / "corpus").mkdir(parents=True)
    (root / "corpus" / "a.txt").write_bytes("\ufeffline one\r\nline two".encode())
    (tmp_path / "secret.txt").write_text("secret")
    settings = load_settings(project_root=root, env={})
    docs = read_documents(settings, [_turn("corpus/a.txt", "../secret.txt", str(tmp_path / "secret.txt"), "gone.txt")])
    assert docs["corpus/a.txt"] == "line one\r\nline two"  # BOM dropped, line endings kept (offsets match)
    assert docs["../secret.txt"] is None and docs[str(tmp_path / "secret.txt")] is None
    assert docs["gone.txt"] is None


def test_append_feedback_writes_one_json_line_per_vote(tmp_path: Path):
    path = tmp_path / "data" / "feedback.jsonl"
    append_feedback(path, {"vote": "up", "question": "é?"})
    append_feedback(path, {"vote": "down", "question": "b"})
    lines = path.read_text(encoding="utf-8").splitlines()
    assert [json.loads(line)["vote"] for line in lines] == ["up", "down"]
    assert "é?" in lines[0]
