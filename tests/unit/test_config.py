from pathlib import Path

import pytest

from rag.config import load_settings
from rag.errors import ConfigError


def test_defaults(tmp_path: Path):
    s = load_settings(project_root=tmp_path, env={})
    assert s.llm == "local:qwen2.5-1.5b"
    assert s.embeddings == "sentence-transformers:all-MiniLM-L6-v2"
    assert s.data_path == tmp_path.resolve() / ".rag"
    assert s.host == "127.0.0.1"


def test_precedence_defaults_toml_env_flags(tmp_path: Path):
    (tmp_path / "rag.toml").write_text('llm = "local:qwen2.5-0.5b"\ntop_k = 3\nport = 9000\n')
    env = {"RAG_LLM": "openai:gpt-4o-mini", "RAG_PORT": "9100", "OTHER": "x"}
    s = load_settings(project_root=tmp_path, env=env, port=9200, top_k=None)
    assert s.top_k == 3  # toml over default; a None flag falls through
    assert s.llm == "openai:gpt-4o-mini"  # env over toml
    assert s.port == 9200  # flag over env


def test_malformed_toml_names_the_file(tmp_path: Path):
    (tmp_path / "rag.toml").write_text("llm = [unclosed")
    with pytest.raises(ConfigError, match="rag.toml is not valid TOML"):
        load_settings(project_root=tmp_path, env={})


def test_invalid_values_name_the_field(tmp_path: Path):
    with pytest.raises(ConfigError, match="top_k"):
        load_settings(project_root=tmp_path, env={"RAG_TOP_K": "zero"})
    with pytest.raises(ConfigError, match="llm"):
        load_settings(project_root=tmp_path, env={"RAG_LLM": "no-provider"})
    (tmp_path / "rag.toml").write_text("unknown_key = 1\n")
    with pytest.raises(ConfigError, match="unknown_key"):
        load_settings(project_root=tmp_path, env={})


def test_missing_explicit_config_file(tmp_path: Path):
    with pytest.raises(ConfigError, match="does not exist"):
        load_settings(project_root=tmp_path, config_file=tmp_path / "nope.toml", env={})


def test_auth_is_not_in_repr(tmp_path: Path):
    s = load_settings(project_root=tmp_path, env={"RAG_AUTH": "alice:secret"})
    assert s.auth == "alice:secret"
    assert "secret" not in repr(s)
