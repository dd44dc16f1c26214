"""Scale-out mode against a real `chroma run` server on 127.0.0.1: ingest into it, answer from it,
stop it (mid-question, and hung): a loaded pipeline keeps answering from its view in memory within a
bounded time and says why it cannot refresh, a new load gets a clear error; restart it, recover."""

from __future__ import annotations

import json
import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from ingest.pipeline import ingest
from rag.chain import Pipeline
from rag.errors import IndexError_
from tests.conftest import ARTICLE
from tests.integration.conftest import make_project, settings_for
from tests.reliability.helpers import FAKE_LLM, ChromaServer, rag, running_chroma

pytestmark = pytest.mark.slow
QUESTION = "How many people chat with ChatGPT every week?"
TIMEOUT_S = 3.0  # settings.timeout_s: bounds every request to the server


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ChromaServer]:
    yield from running_chroma(tmp_path_factory)


class StopServerOnQuery:
    """Real embeddings that can stop the server while a question is being answered: between
    embedding the question and querying Chroma, the point where the store is needed next."""

    def __init__(self, inner, server: ChromaServer) -> None:
        self.inner, self.server, self.armed = inner, server, False

    def embed_documents(self, texts):
        return self.inner.embed_documents(texts)

    def embed_query(self, text):
        vector = self.inner.embed_query(text)
        if self.armed:
            self.armed = False
            self.server.stop()
        return vector


def assert_answer(pipeline: Pipeline, article: str) -> None:
    answer = pipeline.answer(QUESTION)
    assert not answer.refused and answer.citations, answer
    for c in answer.citations:
        assert article[c.start : c.end] == c.text


def answered_in_outage(pipeline: Pipeline, server: ChromaServer, caplog: pytest.LogCaptureFixture) -> float:
    """A question during an outage: answered from the loaded view (vectors, chunks and texts are in
    memory); the failed freshness check is logged with the server's address. Returns the seconds."""
    time.sleep(1.1)  # past STALE_CHECK_S: this question asks the store whether another replica committed
    caplog.clear()
    started = time.monotonic()
    assert_answer(pipeline, ARTICLE.read_text(encoding="utf-8"))
    elapsed = time.monotonic() - started
    warned = [r.getMessage() for r in caplog.records if "kept the previous index view" in r.getMessage()]
    assert warned and f"Chroma server at {server.url}" in warned[0], caplog.text
    return elapsed


def test_ingest_answer_outage_and_recovery(
    server: ChromaServer, tmp_path: Path, real_embeddings, caplog: pytest.LogCaptureFixture
) -> None:
    project = make_project(tmp_path / "p")
    settings = settings_for(project, chroma_url=server.url, llm=FAKE_LLM, timeout_s=TIMEOUT_S, verify_with_model=False)
    report = ingest(settings, real_embeddings, progress=False)
    assert report.added == [f"corpus/{ARTICLE.name}"] and report.chunks_embedded > 50
    assert not (settings.data_path / "chroma").exists()  # the data went to the server
    article = ARTICLE.read_text(encoding="utf-8")
    emb = StopServerOnQuery(real_embeddings, server)
    pipeline = Pipeline.load(settings, embeddings=emb)
    assert_answer(pipeline, article)

    # Hung server (SIGSTOP: connections are accepted, nothing answers): bounded by timeout_s.
    assert server.proc is not None
    os.kill(server.proc.pid, signal.SIGSTOP)
    try:
        assert answered_in_outage(pipeline, server, caplog) < TIMEOUT_S + 20
        with pytest.raises(IndexError_, match="did not answer"):
            Pipeline.load(settings, embeddings=emb)  # a new process meeting a hung server does not hang
    finally:
        os.kill(server.proc.pid, signal.SIGCONT)
    assert_answer(pipeline, article)

    # Stopped mid-question, then down: the question is answered, the next ones fast.
    emb.armed = True
    assert_answer(pipeline, article)
    assert answered_in_outage(pipeline, server, caplog) < 10
    with pytest.raises(IndexError_, match=f"Chroma server at {server.url}"):
        Pipeline.load(settings, embeddings=emb)

    # Back on the same path and port: the running pipeline reconnects, and a new one loads.
    server.start()
    assert_answer(pipeline, article)
    assert_answer(Pipeline.load(settings, embeddings=real_embeddings), article)


def test_cli_with_rag_chroma_url(server: ChromaServer, tmp_path: Path) -> None:
    if server.proc is None:
        server.start()
    project = make_project(tmp_path / "cli")
    env = {"RAG_CHROMA_URL": server.url, "RAG_COLLECTION": "cli-docs", "RAG_TIMEOUT_S": str(TIMEOUT_S)}
    first = rag(project, "ingest", "--json", **env)
    assert first.returncode == 0, first.stderr
    assert json.loads(first.stdout)["chunks_total"] > 50 and not (project / ".rag" / "chroma").exists()
    ask = rag(project, "ask", QUESTION, "--json", **env)
    assert ask.returncode == 0, ask.stderr
    server.stop()
    try:
        down = rag(project, "ask", QUESTION, **env)
        assert down.returncode == 1
        assert f"Chroma server at {server.url} did not answer" in down.stderr and "chroma run" in down.stderr
        ingest_down = rag(project, "ingest", **env)
        assert ingest_down.returncode == 1 and "chroma run" in ingest_down.stderr
    finally:
        server.start()
    assert rag(project, "ask", QUESTION, "--json", **env).returncode == 0
