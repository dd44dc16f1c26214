"""One contract, every installed backend, each against the real thing this machine allows:

- ``local``: SmolLM2-135M in process through xllamacpp;
- ``openai``: langchain-openai against a real llama.cpp OpenAI-compatible HTTP server on 127.0.0.1;
- ``ollama``: langchain-ollama against a loopback server speaking Ollama's /api/chat protocol in front
  of that same llama.cpp model (no Ollama server can be installed here);
- ``huggingface``: a tiny randomly initialised transformers model saved with ``save_pretrained``
  (real loading and generation; random weights cannot answer, so it is held to the plumbing part);
- ``fake``: the scripted model used by unit tests.
"""

from __future__ import annotations

import importlib.util
import os
import secrets
import socket
import time
from pathlib import Path

import pytest

from rag.backends import make_chat_model, start_llama_server
from rag.chain import Pipeline
from rag.config import load_settings
from rag.errors import ModelError
from rag.models import resolve_bundled
from rag.store import Index
from rag.types import Status
from tests.backends.servers import echoing_server, ollama_adapter, tiny_transformers_model
from tests.integration.conftest import make_project

pytestmark = pytest.mark.slow
QUESTION = "Who is the head of ChatGPT?"
MAX_TOKENS = 8
# The 135M model stands in for a real one here; as its own yes/no judge (verify_with_model) it withdraws
# nearly every answer, right or wrong, so these tests check generation and grounding without it.
NO_JUDGE = {"verify_with_model": False}


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    return make_project(tmp_path_factory.mktemp("backends"))


@pytest.fixture(scope="module")
def base_settings(project):
    return load_settings(project_root=project, env={}, max_tokens=MAX_TOKENS, timeout_s=60)


@pytest.fixture(scope="module")
def llama(base_settings):
    key = secrets.token_urlsafe(8)
    path = resolve_bundled("smollm2-135m", base_settings.model_cache_dir)
    server = start_llama_server(path, base_settings, key)
    yield server, key


@pytest.fixture(scope="module")
def backends(llama, project, tmp_path_factory):
    """spec -> the environment a user would set for it, for every backend installed here."""
    server, key = llama
    found = {
        "local:smollm2-135m": {},
        "openai:smollm2": {"OPENAI_BASE_URL": server.listening_address + "/v1", "OPENAI_API_KEY": key},
        "fake:Nick Turley is the head of ChatGPT [1].": {},
    }
    if importlib.util.find_spec("langchain_ollama"):
        found["ollama:smollm2"] = {"OLLAMA_HOST": "ADAPTER"}
    if importlib.util.find_spec("langchain_huggingface"):
        text = (project / "corpus" / "openai-code-red.txt").read_text()
        model_dir = tiny_transformers_model(tmp_path_factory.mktemp("hf"), text)
        found[f"huggingface:{model_dir}"] = {}
    return found


SPECS = ["local:smollm2-135m", "openai:smollm2", "ollama:smollm2", "huggingface:", "fake:"]


def _resolve(spec_prefix: str, backends: dict):
    for spec, value in backends.items():
        if spec.startswith(spec_prefix):
            return spec, value
    pytest.skip(f"{spec_prefix} backend not installed")


@pytest.fixture(params=SPECS)
def backend(request, backends, project, llama):
    """(spec, settings) with the backend's variables read the way the app reads them (load_settings)."""
    spec, env = _resolve(request.param, backends)
    server, _ = llama
    with ollama_adapter(server) as ollama_url:
        env = {k: ollama_url if v == "ADAPTER" else v for k, v in env.items()}
        yield (
            spec,
            load_settings(project_root=project, env=env, llm=spec, max_tokens=MAX_TOKENS, timeout_s=60, **NO_JUDGE),
        )


def test_streams_and_honours_max_tokens(backend):
    spec, settings = backend
    model = make_chat_model(settings, spec)
    chunks = [c.content for c in model.stream([("user", "Tell me a long story about the sea.")])]
    text = "".join(chunks)
    assert len([c for c in chunks if c]) >= 2, chunks
    assert text.strip()
    assert len(text.split()) <= MAX_TOKENS * 2  # a token is at most a word here (word-level or BPE)


def test_answers_from_the_article_with_exact_citations(backend, real_embeddings, project):
    spec, settings = backend
    settings = settings.model_copy(update={"max_tokens": 64})
    pipeline = Pipeline(
        settings, _index(settings, real_embeddings), real_embeddings, make_chat_model(settings, spec), spec
    )
    answer = pipeline.answer(QUESTION)
    text = (project / "corpus" / "openai-code-red.txt").read_text()
    for c in answer.citations:
        assert text[c.start : c.end] == c.text
    assert answer.draft, "the model produced no text"  # it was called and its reply arrived
    if spec.startswith("huggingface:"):
        # Random weights write random words: the model ran, and grounding withdrew every claim.
        assert answer.status is Status.UNSUPPORTED, (answer.status, answer.draft)
    else:
        assert answer.status is Status.ANSWERED, (answer.status, answer.draft)
        assert "Turley" in answer.answer
        assert any("Nick Turley" in c.text and "head of ChatGPT" in c.text for c in answer.citations)


def test_bad_spec_errors_are_clear(base_settings):
    with pytest.raises(ModelError, match="available"):
        make_chat_model(base_settings, "nosuch:model")
    with pytest.raises(ModelError, match="not a local transformers model directory"):
        make_chat_model(base_settings, "huggingface:/no/such/dir")


def test_openai_wrong_key_is_a_clear_error(llama, project, real_embeddings):
    server, key = llama
    wrong = "sk-wrong-" + secrets.token_urlsafe(12)
    env = {"OPENAI_API_KEY": wrong, "OPENAI_BASE_URL": server.listening_address + "/v1"}
    settings = load_settings(project_root=project, env=env, max_tokens=MAX_TOKENS, timeout_s=60)
    model = make_chat_model(settings, "openai:smollm2")
    pipeline = Pipeline(settings, _index(settings, real_embeddings), real_embeddings, model, "openai:smollm2")
    with pytest.raises(ModelError, match="rejected the API key") as caught:
        pipeline.answer(QUESTION)
    message = str(caught.value)
    assert wrong not in message and wrong[3:] not in message and key not in message, message


def _openai_pipeline(settings, embeddings, port: int, timeout_s: float) -> Pipeline:
    settings = settings.model_copy(update={"openai_base_url": f"http://127.0.0.1:{port}/v1", "timeout_s": timeout_s})
    return Pipeline(
        settings, _index(settings, embeddings), embeddings, make_chat_model(settings, "openai:x"), "openai:x"
    )


def test_openai_server_down_fails_fast(base_settings, real_embeddings, monkeypatch):
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monkeypatch.setenv("OPENAI_API_KEY", "k")
    pipeline = _openai_pipeline(base_settings, real_embeddings, port, timeout_s=5)
    started = time.perf_counter()
    with pytest.raises(ModelError, match="cannot connect"):
        pipeline.answer(QUESTION)
    assert time.perf_counter() - started < 30


def test_openai_silent_server_times_out(base_settings, real_embeddings, monkeypatch):
    with socket.socket() as listener:  # accepts connections, never answers
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        monkeypatch.setenv("OPENAI_API_KEY", "k")
        pipeline = _openai_pipeline(base_settings, real_embeddings, listener.getsockname()[1], timeout_s=2)
        started = time.perf_counter()
        with pytest.raises(ModelError, match="no answer within 2 s"):
            pipeline.answer(QUESTION)
        assert time.perf_counter() - started < 20


def _index(settings, embeddings) -> Index:
    from ingest.pipeline import ingest

    ingest(settings, embeddings, progress=False)
    return Index.load(settings)


SECRET = "sk-very-secret-value-0123456789"


def _model_error(settings, embeddings, spec: str = "openai:x") -> str:
    """The message a user sees when ``spec`` fails on a question about the article."""
    model = make_chat_model(settings, spec)
    assert SECRET not in repr(model)
    pipeline = Pipeline(settings, _index(settings, embeddings), embeddings, model, spec)
    with pytest.raises(ModelError) as caught:
        pipeline.answer(QUESTION)
    return str(caught.value)


def test_api_key_never_in_error_messages(llama, project, real_embeddings):
    """Every way a keyed backend fails here, the message (shown in the terminal, the page and logs)
    names the problem without the key."""
    server, _ = llama
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        dead = s.getsockname()[1]
    failures = {
        "server down": f"http://127.0.0.1:{dead}/v1",
        "key rejected": server.listening_address + "/v1",
        "no such route": server.listening_address + "/nope/v1",
    }
    messages = {}
    for what, url in failures.items():
        env = {"OPENAI_API_KEY": SECRET, "OPENAI_BASE_URL": url}
        message = _model_error(load_settings(project_root=project, env=env, timeout_s=10), real_embeddings)
        messages[what] = message
        assert message.startswith("openai:x"), (what, message)
        assert SECRET not in message and SECRET[3:] not in message, (what, message)
    assert "cannot connect" in messages["server down"] and "rejected the API key" in messages["key rejected"]
    assert os.environ.get("OPENAI_API_KEY") != SECRET  # nothing was put into the process environment


def test_api_key_not_in_message_when_the_server_echoes_it(project, real_embeddings):
    with echoing_server(500) as url:
        env = {"OPENAI_API_KEY": SECRET, "OPENAI_BASE_URL": url + "/v1"}
        message = _model_error(load_settings(project_root=project, env=env, timeout_s=10), real_embeddings)
    assert "500" in message  # the server's error reached the user ...
    assert SECRET not in message, message  # ... without the key it echoed
