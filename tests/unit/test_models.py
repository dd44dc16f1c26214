"""Joining and verifying bundled models, with tiny fake part packages."""

import hashlib
from pathlib import Path

import pytest

from rag import models
from rag.errors import ModelError


def make_parts(tmp_path: Path, monkeypatch, chunks: list[bytes], prefix="fakepart") -> tuple[str, ...]:
    for i, data in enumerate(chunks, 1):
        pkg = tmp_path / "site" / f"{prefix}{i}"
        (pkg / "data").mkdir(parents=True)
        (pkg / "data" / "part.bin").write_bytes(data)
        (pkg / "__init__.py").write_text(
            "import os\ndef get_part_path():\n    return os.path.join(os.path.dirname(__file__), 'data', 'part.bin')\n"
        )
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    return tuple(f"{prefix}{i}" for i in range(1, len(chunks) + 1))


def register(monkeypatch, parts, data: bytes, sha=None) -> models.BundledModel:
    model = models.BundledModel(
        name="tiny",
        filename="tiny.gguf",
        parts=parts,
        pip_names=tuple(f"{p}==1" for p in parts),
        size=len(data),
        sha256=sha or hashlib.sha256(data).hexdigest(),
    )
    monkeypatch.setitem(models.BUNDLED, "tiny", model)
    return model


def test_parts_are_joined_in_order_verified_and_reused(tmp_path, monkeypatch):
    parts = make_parts(tmp_path, monkeypatch, [b"abc", b"def", b"gh"])
    register(monkeypatch, parts, b"abcdefgh")
    path = models.resolve_bundled("tiny", tmp_path / "cache")
    assert path.read_bytes() == b"abcdefgh"
    mtime = path.stat().st_mtime_ns
    assert models.resolve_bundled("tiny", tmp_path / "cache") == path and path.stat().st_mtime_ns == mtime


def test_hash_mismatch_is_refused_and_leaves_no_file(tmp_path, monkeypatch):
    parts = make_parts(tmp_path, monkeypatch, [b"abc", b"xyz"], prefix="badpart")
    register(monkeypatch, parts, b"abcdef", sha="0" * 64)  # same size, wrong content
    with pytest.raises(ModelError, match="SHA-256 .* expected 0000"):
        models.resolve_bundled("tiny", tmp_path / "cache")
    assert not (tmp_path / "cache" / "tiny.gguf").exists()


def test_tampered_cached_file_is_detected(tmp_path, monkeypatch):
    parts = make_parts(tmp_path, monkeypatch, [b"abc"], prefix="tamperpart")
    register(monkeypatch, parts, b"abc")
    path = models.resolve_bundled("tiny", tmp_path / "cache")
    path.write_bytes(b"abd")
    with pytest.raises(ModelError, match="delete it"):
        models.resolve_bundled("tiny", tmp_path / "cache")


def test_missing_part_package_names_what_to_install(tmp_path, monkeypatch):
    register(monkeypatch, ("no_such_part_pkg1",), b"abc")
    with pytest.raises(ModelError, match="missing no_such_part_pkg1==1"):
        models.resolve_bundled("tiny", tmp_path / "cache")


def test_unknown_bundled_name_lists_the_available_ones(tmp_path):
    with pytest.raises(ModelError, match="available: qwen2.5-1.5b, qwen2.5-0.5b, smollm2-135m"):
        models.resolve_bundled("gpt-5", tmp_path)


def test_registry_matches_the_design():
    q15 = models.BUNDLED["qwen2.5-1.5b"]
    assert len(q15.parts) == 22 and q15.size == 1117320768
    assert q15.sha256 == "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046"
    assert len(models.BUNDLED["qwen2.5-0.5b"].parts) == 6
