"""`rag models` as a real process: the configured models (from rag.toml and the environment) and every
bundled model with its size and state, read from this machine's installed packages and a model cache."""

from __future__ import annotations

import re
from pathlib import Path

from rag.models import BUNDLED, is_installed
from tests.reliability.helpers import new_project, rag


def _rows(stdout: str) -> dict[str, str]:
    """name -> the rest of its line, for the bundled-model lines of the output."""
    rows = {}
    for line in stdout.splitlines():
        if line.startswith("local:"):
            name, rest = line.split(maxsplit=1)
            rows[name] = rest
    return rows


def test_models_lists_configuration_and_every_bundled_model(tmp_path: Path) -> None:
    project = new_project(tmp_path / "p", article=False)
    (project / "rag.toml").write_text('llm = "local:qwen2.5-0.5b"\n', encoding="utf-8")
    cache = tmp_path / "empty-cache"  # nothing joined yet
    result = rag(project, "models", RAG_LLM="", RAG_MODEL_CACHE_DIR=str(cache), RAG_EMBEDDINGS="fake:64")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "configured llm: local:qwen2.5-0.5b"  # from rag.toml (the empty RAG_LLM is unset)
    assert lines[1] == "configured embeddings: fake:64"  # the environment
    rows = _rows(result.stdout)
    assert set(rows) == {f"local:{name}" for name in BUNDLED}
    for name, model in BUNDLED.items():
        row = rows[f"local:{name}"]
        if model.size:
            assert f"{model.size / 1e6:,.0f} MB" in row, row
        if not is_installed(model):
            assert f"not installed ({model.install_hint})" in row, row
        elif model.inside_package:
            assert re.search(r"\binstalled, in package$", row), row
        else:
            assert re.search(r"\binstalled, not yet joined$", row), row  # the parts are joined on first use
    assert not cache.exists() or not any(cache.iterdir())  # listing joins nothing


def test_models_shows_a_joined_and_verified_model(tmp_path: Path) -> None:
    """A model whose joined file and verification stamp are in the cache is reported as verified."""
    model = next(m for m in BUNDLED.values() if not m.inside_package)
    cache = tmp_path / "cache"
    cache.mkdir()
    (cache / model.filename).write_bytes(b"stand-in")  # only its presence is read by `rag models`
    (cache / (model.filename + ".verified")).write_text("stamp")
    result = rag(new_project(tmp_path / "p", article=False), "models", RAG_MODEL_CACHE_DIR=str(cache))
    assert result.returncode == 0, result.stderr
    assert "configured llm: fake:" in result.stdout  # RAG_LLM from the environment
    row = _rows(result.stdout)[f"local:{model.name}"]
    assert row.endswith(", verified") if is_installed(model) else "not installed" in row
