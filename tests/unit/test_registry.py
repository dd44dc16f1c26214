"""Plug-ins from entry points: a real (temporary) installed distribution adds a chat provider, an
embedding provider and a file type, and each is found through its registry."""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path

import pytest

from rag.backends import PROVIDERS, make_chat_model
from rag.config import load_settings
from rag.embeddings import EMBEDDINGS, make_embeddings
from rag.errors import ModelError
from rag.registry import Registry, UnknownPlugin

PLUGIN = """
from langchain_core.embeddings import DeterministicFakeEmbedding
from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage


def chat(model, settings):
    return GenericFakeChatModel(messages=iter([AIMessage(content=f"plugin says {model}")]))


def embeddings(model, settings):
    return DeterministicFakeEmbedding(size=int(model))


def load_rst(data, name):
    return data.decode("utf-8").replace("====", "").strip()
"""


@pytest.fixture
def plugin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An installed distribution ``rag-plugin-demo`` whose entry points name the module above."""
    (tmp_path / "rag_plugin_demo.py").write_text(PLUGIN)
    info = tmp_path / "rag_plugin_demo-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: rag-plugin-demo\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text(
        textwrap.dedent(
            """\
            [rag.providers]
            demo = rag_plugin_demo:chat
            broken = rag_plugin_demo:missing

            [rag.embeddings]
            demo-emb = rag_plugin_demo:embeddings

            [rag.loaders]
            .rst = rag_plugin_demo:load_rst
            """
        )
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    yield tmp_path
    sys.modules.pop("rag_plugin_demo", None)


def test_chat_provider_from_an_entry_point(plugin, tmp_path):
    settings = load_settings(project_root=tmp_path, env={})
    assert "demo" in PROVIDERS.names()
    model = make_chat_model(settings, "demo:hello")
    assert model.invoke("hi").content == "plugin says hello"


def test_broken_plugin_is_reported_by_name(plugin, tmp_path):
    settings = load_settings(project_root=tmp_path, env={})
    with pytest.raises(ModelError, match="'broken' .*failed to load"):
        make_chat_model(settings, "broken:x")


def test_embedding_provider_from_an_entry_point(plugin, tmp_path):
    settings = load_settings(project_root=tmp_path, env={}, embeddings="demo-emb:12")
    assert "demo-emb" in EMBEDDINGS.names()
    assert len(make_embeddings(settings).embed_query("x")) == 12


def test_file_type_from_an_entry_point_is_ingested_and_listed(plugin, tmp_path):
    from ingest.loaders import describe_supported, load_document

    doc = tmp_path / "guide.rst"
    doc.write_text("Title\n====\nThe plug-in reads this.")
    assert ".rst" in describe_supported()
    assert load_document(doc, "guide.rst").text == "Title\n\nThe plug-in reads this."


def test_unknown_names_list_what_is_available(tmp_path):
    settings = load_settings(project_root=tmp_path, env={})
    with pytest.raises(ModelError, match="unknown embedding provider 'nope'; available: fake, sentence-transformers"):
        make_embeddings(settings, "nope:x")
    registry: Registry[int] = Registry("widget", "rag.test-widgets", {"a": 1})
    assert registry.get("a") == 1
    with pytest.raises(UnknownPlugin, match="unknown widget 'b'; available: a"):
        registry.get("b")
