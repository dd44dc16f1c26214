"""The manifest: which documents the index holds (by content hash) and which embedding model built it,
and where it lives together with each document's extracted text.

Two implementations of one small interface, ``ManifestStore``, picked from the settings by
``rag.store.manifest_store``:

- ``LocalManifestStore`` (embedded mode, no ``chroma_url``): ``DATA_DIR/manifest.json``, replaced
  atomically on every commit, and ``DATA_DIR/texts/<sha256>.txt`` (``rag.texts``). One writer per folder.
- ``rag.shared.ChromaManifestStore`` (``chroma_url`` set): records in the shared Chroma server, one per
  document, so that replicas sharing the server agree on what is indexed.

The commit is the point where a new document version becomes visible; its chunks and text are written
before it, and whatever it replaced is deleted after it.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Protocol

from pydantic import BaseModel, ValidationError

from rag import texts
from rag.config import Settings
from rag.errors import IndexError_

MANIFEST_NAME = "manifest.json"


class DocEntry(BaseModel):
    """One indexed document. Its extracted text is in the text store (``ManifestStore.read_text``);
    ``pages`` holds the offset where each page starts in it (PDFs; empty for formats without pages)."""

    sha256: str
    chunks: int
    title: str = ""
    pages: list[int] = []
    ocr_pages: list[int] = []
    headed: bool = False  # its chunks were embedded with their section's heading (``rag.headings``)
    termed: bool = False  # ... and with their definition-list entry's term (``rag.entries``)


class Manifest(BaseModel):
    """What the index holds: which documents (by content hash) and which embedding model built it."""

    version: int = 1
    embedding_model: str
    documents: dict[str, DocEntry] = {}

    def owns(self, chunk_source: str, doc_sha256: str) -> bool:
        entry = self.documents.get(chunk_source)
        return entry is not None and entry.sha256 == doc_sha256


class ManifestStore(Protocol):
    """Where the manifest and the extracted texts live.

    ``commit`` gets the whole new manifest (the local file is rewritten from it) and the documents this
    ingest changed (``None``: removed), which is all the shared store writes, so that two replicas
    committing different documents never undo each other. ``generation`` changes on every commit
    (``None``: no index, or a store that is never written by another process)."""

    shared: bool

    def describe(self) -> str: ...

    def read(self) -> Manifest | None: ...

    def generation(self) -> str | None: ...

    def commit(self, manifest: Manifest, changed: Mapping[str, DocEntry | None]) -> None: ...

    def clear(self) -> None: ...

    def read_text(self, sha256: str) -> str | None: ...

    def write_text(self, sha256: str, text: str) -> None: ...

    def stored_texts(self, shas: Iterable[str]) -> set[str]: ...

    def prune_texts(self, keep: set[str], dropped: set[str]) -> int: ...


def manifest_path(settings: Settings) -> Path:
    return settings.data_path / MANIFEST_NAME


def read_manifest(settings: Settings) -> Manifest | None:
    """The local manifest, or ``None`` when nothing was ingested yet."""
    path = manifest_path(settings)
    if not path.exists():
        return None
    try:
        return Manifest.model_validate_json(path.read_text(encoding="utf-8"))
    except (ValidationError, ValueError, OSError) as exc:
        raise IndexError_(
            f"the index manifest {path} is corrupt ({exc.__class__.__name__}). "
            "Rebuild the index with: rag ingest --reset"
        ) from None


def write_manifest(settings: Settings, manifest: Manifest) -> None:
    """Atomically replace the local manifest (write a temp file, fsync, rename)."""
    path = manifest_path(settings)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".manifest", dir=path.parent)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(manifest.model_dump_json(indent=1))
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


class LocalManifestStore:
    """Embedded mode: ``DATA_DIR/manifest.json`` and ``DATA_DIR/texts/``, written by one process at a time."""

    shared = False

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def describe(self) -> str:
        return str(self.settings.data_path)

    def read(self) -> Manifest | None:
        return read_manifest(self.settings)

    def generation(self) -> str | None:
        return None  # nothing else writes this folder while a process reads it

    def commit(self, manifest: Manifest, changed: Mapping[str, DocEntry | None]) -> None:
        write_manifest(self.settings, manifest)

    def clear(self) -> None:
        manifest_path(self.settings).unlink(missing_ok=True)

    def read_text(self, sha256: str) -> str | None:
        return texts.read_text(self.settings, sha256)

    def write_text(self, sha256: str, text: str) -> None:
        texts.write_text(self.settings, sha256, text)

    def stored_texts(self, shas: Iterable[str]) -> set[str]:
        return {sha for sha in shas if texts.has_text(self.settings, sha)}

    def prune_texts(self, keep: set[str], dropped: set[str]) -> int:
        """Every text the manifest does not refer to (and a crash's temp files): one writer, so all of them."""
        return texts.prune_texts(self.settings, keep)
