"""Real models for integration tests: loaded once per module, never per test."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from rag.config import load_settings

ROOT = Path(__file__).resolve().parents[2]


def make_project(tmp: Path) -> Path:
    (tmp / "corpus").mkdir(parents=True)
    shutil.copy(ROOT / "corpus" / "openai-code-red.txt", tmp / "corpus")
    return tmp


@pytest.fixture(scope="module")
def module_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_project(tmp_path_factory.mktemp("project"))


def settings_for(project: Path, **overrides):
    return load_settings(project_root=project, env={}, **overrides)
