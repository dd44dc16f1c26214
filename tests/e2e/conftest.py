"""Launched web chats for end-to-end tests: real embeddings, a real index, a real or scripted model.

Each fixture is module-scoped: a module loads its app once and every test in it reuses it.
"""

from __future__ import annotations

import shutil
import socket
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from ingest.pipeline import prepare_index
from rag.chain import Pipeline
from rag.config import Settings, load_settings

ROOT = Path(__file__).resolve().parents[2]
ARTICLE = ROOT / "corpus" / "openai-code-red.txt"
SMALL_MODEL = "local:smollm2-135m"  # tiny and fast; its answers are poor, so tests check plumbing
# A scripted reply that grounding confirms, so a cited passage is shown deterministically.
SCRIPTED_MODEL = "fake:Over 800 million people worldwide chat with ChatGPT every week [1]."


@dataclass
class Served:
    url: str
    settings: Settings
    pipeline: Pipeline


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve(tmp: Path, llm: str, embeddings) -> Iterator[Served]:
    from api.server import create_app, start

    (tmp / "corpus").mkdir()
    shutil.copy(ARTICLE, tmp / "corpus" / ARTICLE.name)
    # No model as yes/no judge of claims (verify_with_model): a scripted model cannot answer "yes", and the
    # 135M model withdraws nearly every answer, right or wrong. The page is what is tested here.
    settings = load_settings(
        project_root=tmp, env={}, llm=llm, host="127.0.0.1", port=free_port(), verify_with_model=False
    )
    pipeline = Pipeline.load(settings, embeddings=embeddings, prepare=prepare_index(settings))
    server = start(create_app(settings, pipeline), settings)
    try:
        yield Served(server.url, settings, pipeline)
    finally:
        server.close()


@pytest.fixture(scope="module")
def quoting_app(tmp_path_factory, real_embeddings) -> Iterator[Served]:
    """The web chat with model checks on, on a scripted model: its draft dates a stagnation "Since April"
    (the article's April is the slowdown's; the stagnation is September's), which verification
    withdraws before any model check, and the quote check says yes to the source's own sentence. One
    question's worth of replies."""
    from api.server import create_app, start
    from rag.store import Index
    from tests.unit.helpers import scripted

    tmp = tmp_path_factory.mktemp("quoting")
    (tmp / "corpus").mkdir()
    shutil.copy(ARTICLE, tmp / "corpus" / ARTICLE.name)
    settings = load_settings(project_root=tmp, env={}, llm="fake:unused", host="127.0.0.1", port=free_port())
    assert settings.verify_with_model and settings.quote_when_withdrawn  # the defaults under test
    prepare_index(settings)(real_embeddings)
    llm = scripted("Since April, according to Apptopia [1].", "yes")
    pipeline = Pipeline(settings, Index.load(settings), real_embeddings, llm, "fake:scripted")
    server = start(create_app(settings, pipeline), settings)
    try:
        yield Served(server.url, settings, pipeline)
    finally:
        server.close()


@pytest.fixture(scope="module")
def small_model_app(tmp_path_factory, real_embeddings) -> Iterator[Served]:
    """The web chat on the 135M local model."""
    yield from serve(tmp_path_factory.mktemp("small"), SMALL_MODEL, real_embeddings)


@pytest.fixture(scope="module")
def scripted_app(tmp_path_factory, real_embeddings) -> Iterator[Served]:
    """The web chat on a scripted model whose answer cites the weekly-users sentence."""
    yield from serve(tmp_path_factory.mktemp("scripted"), SCRIPTED_MODEL, real_embeddings)
