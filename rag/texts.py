"""The extracted text of every indexed document, kept beside the index: ``DATA_DIR/texts/<sha256>.txt``,
and a copy of each indexed PDF (``DATA_DIR/originals/<sha256>.pdf``) that the web chat links to.

Citations are offsets into this text (``citation.text == document_text[start:end]``), so the web chat
and the evaluation read it from here instead of re-reading (and re-parsing) the original file. Texts
are keyed by the SHA-256 of the file's bytes, written atomically before the manifest that refers to
them, and pruned after it. This is the embedded mode's text store; with a Chroma server
(``RAG_CHROMA_URL``) the texts live in the server instead (``rag.shared``), so that every replica can
read them. The originals always stay in the local data folder of the replica that ingested them. The
originals folder holds only PDFs (a hard link where the file system allows), so serving it can never
hand a browser an HTML page from the corpus.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

from rag.config import Settings

TEXTS_DIR = "texts"
ORIGINALS_DIR = "originals"
LINKED_TYPES = (".pdf",)  # originals kept for linking: opened at a page
_SHA = re.compile(r"^[0-9a-f]{64}$")


def texts_path(settings: Settings) -> Path:
    return settings.data_path / TEXTS_DIR


def text_path(settings: Settings, sha256: str) -> Path:
    if not _SHA.match(sha256):
        raise ValueError(f"not a SHA-256: {sha256!r}")
    return texts_path(settings) / f"{sha256}.txt"


def has_text(settings: Settings, sha256: str) -> bool:
    return text_path(settings, sha256).is_file()


def write_text(settings: Settings, sha256: str, text: str) -> None:
    """Store a document's extracted text atomically (temp file, fsync, rename); newlines kept as they are."""
    path = text_path(settings, sha256)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".text", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def read_text(settings: Settings, sha256: str) -> str | None:
    """The stored text, exactly as written (no newline translation), or ``None`` when missing."""
    try:
        with text_path(settings, sha256).open(encoding="utf-8", newline="") as fh:
            return fh.read()
    except (OSError, ValueError):
        return None


def _prune(folder: Path, stale: Callable[[Path], bool]) -> int:
    """Delete the files of ``folder`` that are temp files a crash left or ``stale``; returns the count."""
    if not folder.is_dir():
        return 0
    removed = 0
    for path in folder.iterdir():
        if path.name.startswith(".text") or stale(path):
            with contextlib.suppress(OSError):
                path.unlink()
                removed += 1
    return removed


def prune_texts(settings: Settings, keep: set[str]) -> int:
    """Delete stored texts no manifest document refers to (and temp files a crash left); returns the count."""
    return _prune(texts_path(settings), lambda path: path.suffix == ".txt" and path.stem not in keep)


def originals_path(settings: Settings) -> Path:
    return settings.data_path / ORIGINALS_DIR


def original_path(settings: Settings, sha256: str, suffix: str) -> Path | None:
    """Where the indexed copy of a linkable document lives (``None`` for other types)."""
    suffix = suffix.lower()
    if suffix not in LINKED_TYPES or not _SHA.match(sha256):
        return None
    return originals_path(settings) / f"{sha256}{suffix}"


def keep_original(settings: Settings, sha256: str, source: Path) -> None:
    """Keep the indexed version of a linkable file (hard link, else an atomic copy)."""
    target = original_path(settings, sha256, source.suffix)
    if target is None or target.is_file():
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".text-{os.getpid()}-{target.name}")
    try:
        try:
            os.link(source, tmp)
        except OSError:
            shutil.copyfile(source, tmp)
        os.replace(tmp, target)
    except OSError:
        with contextlib.suppress(OSError):
            tmp.unlink()


def prune_originals(settings: Settings, keep: set[str]) -> int:
    """Delete kept originals no manifest document refers to; returns the count."""
    return _prune(originals_path(settings), lambda path: path.name.split(".")[0] not in keep)
