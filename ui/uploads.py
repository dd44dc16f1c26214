"""Uploaded documents: type and size checked, saved under the data folder with a safe name."""

from __future__ import annotations

import re
import shutil
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from ingest.loaders import describe_supported, supported_suffixes
from ingest.pipeline import ingest
from rag.config import Settings
from rag.errors import RagError
from ui.render import WARNING, escape_markdown

if TYPE_CHECKING:
    from rag.chain import Pipeline

UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
MAX_NAME = 100


class UploadError(ValueError):
    """An upload that was refused, with a reason to show the user."""


def safe_filename(name: str) -> str:
    """A plain file name from an untrusted one: no folders, no hidden files, only ``[A-Za-z0-9._-]``."""
    base = re.split(r"[\\/]", name)[-1]
    stem, dot, suffix = base.rpartition(".")
    if not dot:
        stem, suffix = base, ""
    stem = UNSAFE.sub("_", stem).strip("._-")[:MAX_NAME] or "upload"
    suffix = UNSAFE.sub("", suffix).lower()
    return f"{stem}.{suffix}" if suffix else stem


def save_upload(source: Path, uploads_dir: Path, max_bytes: int) -> Path:
    """Copy an uploaded file into ``uploads_dir`` (never outside it); raises ``UploadError``."""
    name = safe_filename(source.name)
    if not name.endswith(tuple(supported_suffixes())):
        raise UploadError(f"{source.name}: only these file types can be added: {describe_supported()}")
    try:
        size = source.stat().st_size
    except OSError as exc:
        raise UploadError(f"{source.name}: the upload could not be read ({exc.strerror or exc})") from None
    if size > max_bytes:
        raise UploadError(f"{source.name} is {size:,} bytes; the limit is {max_bytes:,}")
    uploads_dir.mkdir(parents=True, exist_ok=True)
    target = (uploads_dir / name).resolve()
    if target.parent != uploads_dir.resolve():
        raise UploadError(f"{source.name}: not a valid file name")
    shutil.copyfile(source, target)
    return target


@dataclass(frozen=True)
class Uploaded:
    """What became of one uploaded file: its saved copy and indexed source, or why it was refused
    (``error`` names the file)."""

    name: str
    path: Path | None = None
    source: str | None = None
    error: str | None = None


def ingest_uploads(files: list[Path], settings: Settings, pipeline: Pipeline) -> list[Uploaded]:
    """Save, ingest and index uploaded files (one result per file, in order); the web chat and the
    ``/v1/files`` API both come here. A refused file is not kept; a store failure raises ``RagError``."""
    results: list[Uploaded] = []
    saved: list[Path] = []
    for f in files:
        try:
            path = save_upload(f, settings.data_path / "uploads", settings.max_upload_bytes)
        except UploadError as exc:
            results.append(Uploaded(f.name, error=str(exc)))
            continue
        saved.append(path)
        results.append(Uploaded(path.name, path=path))
    if not saved:
        return results
    report = ingest(settings, pipeline.embeddings, saved, progress=False)
    pipeline.reload_index()
    skipped = {s.path.resolve(): s.reason for s in report.skipped}
    done = []
    for result in results:
        if result.path is None:
            done.append(result)
            continue
        reason = skipped.get(result.path.resolve())
        if reason is not None:
            result.path.unlink(missing_ok=True)  # keep only what is in the index
            done.append(Uploaded(result.name, error=f"{result.name} was not added: {reason}"))
        else:
            done.append(Uploaded(result.name, result.path, settings.relative_source(result.path)))
    return done


@dataclass
class Uploader:
    """Adds uploaded files to one pipeline's index, one upload at a time (the web chat and the API share
    it, so two uploads never ingest at once in one process)."""

    settings: Settings
    pipeline: Pipeline
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, files: list[Path]) -> list[Uploaded]:
        with self.lock:
            return ingest_uploads(files, self.settings, self.pipeline)

    def report(self, files: list[Path]) -> str:
        """Add ``files``; a markdown report for the page, one line per file."""
        try:
            results = self.add(files)
        except RagError as exc:
            return WARNING + escape_markdown(str(exc))
        return "\n\n".join(
            WARNING + escape_markdown(r.error)
            if r.error
            else f"✅ **{escape_markdown(r.name)}** is ready: ask about it now."
            for r in results
        )
