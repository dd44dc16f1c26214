"""Shared fixtures: an isolated project dir per test; real models loaded once per session."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from rag.config import OFFLINE_ENV

os.environ.update(OFFLINE_ENV)

ROOT = Path(__file__).resolve().parents[1]
ARTICLE = ROOT / "corpus" / "openai-code-red.txt"


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """No test sees the developer's RAG_* settings."""
    for key in list(os.environ):
        if key.startswith("RAG_"):
            monkeypatch.delenv(key)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A project root holding a copy of the article in corpus/."""
    (tmp_path / "corpus").mkdir()
    shutil.copy(ARTICLE, tmp_path / "corpus" / ARTICLE.name)
    return tmp_path


@pytest.fixture(scope="session")
def article_text() -> str:
    return ARTICLE.read_text(encoding="utf-8")


@pytest.fixture(scope="session")
def real_embeddings():
    """The bundled all-MiniLM-L6-v2, loaded once (a few seconds)."""
    from rag.config import Settings
    from rag.embeddings import make_embeddings

    return make_embeddings(Settings(), "sentence-transformers:all-MiniLM-L6-v2")
