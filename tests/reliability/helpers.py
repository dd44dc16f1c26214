"""Helpers for the reliability suite: run the real `rag` CLI in a project folder, free ports, a real
`chroma run` server."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx

from tests.conftest import ARTICLE

FAKE_LLM = "fake:ChatGPT has over 800 million weekly users [1]."
CHROMA = Path(sys.executable).with_name("chroma")


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


class ChromaServer:
    """`chroma run` as a child process (its own session, so only it is ever signalled)."""

    def __init__(self, path: Path, port: int, log: Path) -> None:
        self.path, self.port, self.log = path, port, log
        self.url = f"http://127.0.0.1:{port}"
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        with self.log.open("ab") as log:
            self.proc = subprocess.Popen(
                [str(CHROMA), "run", "--path", str(self.path), "--port", str(self.port), "--host", "127.0.0.1"],
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                env={**os.environ, "ANONYMIZED_TELEMETRY": "False"},
            )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, self.log.read_text(errors="replace")[-2000:]
            try:
                if httpx.get(f"{self.url}/api/v2/heartbeat", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.1)
        raise AssertionError(f"chroma run did not answer within 60 s:\n{self.log.read_text(errors='replace')[-2000:]}")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGCONT)  # in case a test froze it
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=20)
        self.proc = None


def running_chroma(tmp_path_factory: Any) -> Iterator[ChromaServer]:
    """A module fixture's body: a real `chroma run` on a free loopback port, stopped afterwards."""
    import pytest

    if not CHROMA.exists():
        pytest.skip(f"{CHROMA} not found (chromadb's console script)")
    root = tmp_path_factory.mktemp("chroma")
    srv = ChromaServer(root / "db", free_port(), root / "chroma.log")
    srv.start()
    yield srv
    srv.stop()
