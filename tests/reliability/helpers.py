"""Helpers for the reliability suite: run the real `rag` CLI in a project folder, free ports."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

from tests.conftest import ARTICLE

FAKE_LLM = "fake:ChatGPT has over 800 million weekly users [1]."


def cli_env(**extra: str) -> dict[str, str]:
    """The environment of a CLI run: no RAG_* from the developer, offline, fake models unless told."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAG_")}
    env.update(HF_HUB_OFFLINE="1", TOKENIZERS_PARALLELISM="false", ANONYMIZED_TELEMETRY="False")
    # Fake embeddings score at random: open the relevance gate so that answers depend on BM25 + grounding.
    env.update({"RAG_LLM": FAKE_LLM, "RAG_EMBEDDINGS": "fake", "RAG_GATE_THRESHOLD": "-1"})
    env.update(extra)
    return env


def rag(project: Path, *args: str | bytes, timeout: float = 120, **env: str) -> subprocess.CompletedProcess:
    """Run ``python -m rag.cli ARGS`` in ``project``; ``env`` adds or overrides variables."""
    result = subprocess.run(
        [sys.executable, "-m", "rag.cli", *args],
        cwd=project,
        env=cli_env(**env),
        capture_output=True,
        timeout=timeout,
    )
    result.stdout = result.stdout.decode("utf-8", "replace")
    result.stderr = result.stderr.decode("utf-8", "replace")
    assert "Traceback" not in result.stderr, result.stderr  # every failure is a message, never a crash
    return result


def new_project(root: Path, article: bool = True) -> Path:
    """A project folder with corpus/ (holding the article unless told otherwise)."""
    (root / "corpus").mkdir(parents=True)
    if article:
        shutil.copy(ARTICLE, root / "corpus" / ARTICLE.name)
    return root


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
