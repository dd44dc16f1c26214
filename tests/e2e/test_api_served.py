"""The OpenAI-compatible API of a real ``rag serve`` (the default model, real embeddings, the article),
used the way a developer or an evaluator would: the official ``openai`` client, and ``rag eval --server``."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import openai
import pytest

from tests.conftest import ROOT
from tests.reliability.helpers import free_port, new_project

pytestmark = [pytest.mark.slow, pytest.mark.default_model]

KEY = "sk-e2e-" + "7" * 24
WEEKLY = (
    "Currently, over 800 million people worldwide chat with ChatGPT every week, seeking advice or completing tasks."
)


def server_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAG_")}
    return {**env, "HF_HUB_OFFLINE": "1", **extra}


@pytest.fixture(scope="module")
def served(tmp_path_factory) -> Iterator[tuple[str, Path]]:
    project = new_project(tmp_path_factory.mktemp("api-served"))
    port = free_port()
    log = project / "serve.log"
    proc = subprocess.Popen(
        [sys.executable, "-m", "rag.cli", "serve", "--port", str(port)],
        cwd=project,
        env=server_env(RAG_API_KEYS=KEY),
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + 300
        while True:
            assert proc.poll() is None, log.read_text()[-3000:]
            assert time.monotonic() < deadline, "rag serve did not start within 300 s"
            try:
                if httpx.get(url + "v1/models", headers={"Authorization": f"Bearer {KEY}"}, timeout=2).is_success:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(1)
        yield url, project
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
        assert KEY not in log.read_text()  # the key is never logged


def client(url: str, key: str = KEY) -> openai.OpenAI:
    return openai.OpenAI(base_url=url + "v1", api_key=key, max_retries=0, timeout=300)


def test_openai_client_answers_800_million_with_a_top_level_citation(served):
    url, _ = served
    reply = client(url).chat.completions.create(
        model="rag-chat", messages=[{"role": "user", "content": "How many people use ChatGPT every week?"}]
    )
    content = reply.choices[0].message.content
    assert "800 million" in content and "[1]" in content
    assert reply.model_extra["refused"] is False and reply.model_extra["status"] == "answered"
    assert WEEKLY in [c["text"] for c in reply.model_extra["citations"]]


def test_stream_delivers_checked_sentences_then_citations(served):
    url, _ = served
    started = time.perf_counter()
    chunks, first_text = [], None
    for chunk in client(url).chat.completions.create(
        model="rag-chat", messages=[{"role": "user", "content": "How many people use ChatGPT every week?"}], stream=True
    ):
        chunks.append(chunk)
        if first_text is None and chunk.choices and chunk.choices[0].delta.content:
            first_text = time.perf_counter() - started
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert "800 million" in text
    assert WEEKLY in [c["text"] for c in chunks[-1].model_extra["citations"]]
    print(f"\nfirst checked sentence after {first_text:.2f} s")


def test_unanswerable_question_is_refused_without_citations(served):
    url, _ = served
    reply = client(url).chat.completions.create(
        model="rag-chat", messages=[{"role": "user", "content": "What is the boiling point of mercury?"}]
    )
    assert reply.model_extra["refused"] is True and reply.model_extra["citations"] == []
    assert reply.choices[0].message.content.startswith("The documents do not say.")


def test_wrong_key_is_refused(served):
    url, _ = served
    with pytest.raises(openai.AuthenticationError):
        client(url, "sk-wrong").chat.completions.create(model="rag-chat", messages=[{"role": "user", "content": "x"}])


def rag_eval(project: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "rag.cli", "eval", *args],
        cwd=project,
        env=server_env(RAG_EMBEDDINGS="sentence-transformers:all-MiniLM-L6-v2"),
        capture_output=True,
        text=True,
        timeout=900,
    )


def test_rag_eval_gates_the_running_server(served, tmp_path):
    url, project = served
    suite = str(ROOT / "evals" / "smoke.yaml")
    result = rag_eval(project, suite, "--server", url, "--api-key", KEY, "--report", str(tmp_path / "out"))
    assert result.returncode == 0, result.stdout + result.stderr
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert summary["passed"] == summary["cases"] == 5 and summary["model"].startswith(url.rstrip("/"))
    assert summary["citation_precision"] == 1.0 and summary["hit_at_k"] is None  # not measurable through the API
    lines = [json.loads(x) for x in (tmp_path / "out" / "results.jsonl").read_text().splitlines()]
    asked = [x for x in lines if x["status"] != "not_relevant"]
    assert all(x["timings"]["total_s"] >= x["timings"]["ttft_s"] > 0 for x in lines)
    assert all("server_ttft_s" in x["timings"] for x in asked)  # the server's own figures kept beside the client's

    refused = rag_eval(project, suite, "--server", url, "--api-key", "sk-wrong")
    assert refused.returncode == 1 and "refused the API key" in refused.stderr and "sk-wrong" not in refused.stderr


def test_langchain_chat_openai_invokes_and_streams_through_rag_serve(served):
    from langchain_openai import ChatOpenAI

    url, _ = served
    chat = ChatOpenAI(base_url=url + "v1", api_key=KEY, model="rag-chat", max_retries=0, timeout=300)
    message = chat.invoke("How many people use ChatGPT every week?")
    assert "800 million" in message.content
    streamed = "".join(str(c.content) for c in chat.stream("How many people use ChatGPT every week?"))
    assert "800 million" in streamed and "[1]" in streamed
