"""Uploaded documents: type and size checked, saved under the data folder with a safe name."""

from __future__ import annotations

import re
import shutil
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


def add_uploads(files: list[Path], settings: Settings, pipeline: Pipeline) -> str:
    """Save, ingest and index uploaded files; returns a markdown report (one line per file)."""
    lines: list[str] = []
    saved: list[Path] = []
    for f in files:
        try:
            saved.append(save_upload(f, settings.data_path / "uploads", settings.max_upload_bytes))
        except UploadError as exc:
            lines.append(WARNING + escape_markdown(str(exc)))
    if not saved:
        return "\n\n".join(lines)
    try:
        report = ingest(settings, pipeline.embeddings, saved, progress=False)
        pipeline.reload_index()
    except RagError as exc:
        return "\n\n".join([*lines, WARNING + escape_markdown(str(exc))])
    skipped = {s.path.resolve(): s.reason for s in report.skipped}
    for path in saved:
        name = escape_markdown(path.name)
        reason = skipped.get(path.resolve())
        if reason is None:
            lines.append(f"✅ **{name}** is ready: ask about it now.")
        else:
            lines.append(f"{WARNING}**{name}** was not added: {escape_markdown(reason)}")
            path.unlink(missing_ok=True)  # keep only what is in the index
    return "\n\n".join(lines)
