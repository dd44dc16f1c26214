"""Idempotent, atomic ingest: only new or changed documents are embedded; removed ones are deleted."""

from __future__ import annotations

import contextlib
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from langchain_core.embeddings import Embeddings
from tqdm import tqdm

from ingest.chunking import chunk_text
from ingest.loaders import Skipped, discover, load_document
from rag.config import Settings
from rag.errors import IndexError_
from rag.store import (
    DocEntry,
    Manifest,
    manifest_path,
    open_client,
    open_collection,
    read_manifest,
    write_manifest,
)
from rag.types import Chunk, Document

BATCH = 128


@dataclass
class IngestReport:
    """What an ingest run did; printed as the summary."""

    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    chunks_embedded: int = 0
    chunks_deleted: int = 0
    chunks_total: int = 0
    seconds: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "added": self.added,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "removed": self.removed,
            "skipped": [{"path": str(s.path), "reason": s.reason} for s in self.skipped],
            "chunks_embedded": self.chunks_embedded,
            "chunks_deleted": self.chunks_deleted,
            "chunks_total": self.chunks_total,
            "seconds": round(self.seconds, 3),
        }


def _load_all(paths: list[Path], settings: Settings, report: IngestReport) -> list[Document]:
    docs: list[Document] = []
    for path in discover(paths):
        try:
            docs.append(load_document(path, settings.relative_source(path)))
        except ValueError as exc:
            report.skipped.append(Skipped(path, str(exc)))
    return docs


def _existing_ids(collection: Any, ids: list[str]) -> set[str]:
    found: set[str] = set()
    for i in range(0, len(ids), 1000):
        found.update(collection.get(ids=ids[i : i + 1000], include=[])["ids"])
    return found


def _store_chunks(collection: Any, embeddings: Embeddings, chunks: list[Chunk], bar: tqdm) -> int:
    """Embed and add the chunks not already stored (a killed run's work is reused)."""
    present = _existing_ids(collection, [c.id for c in chunks])
    todo = [c for c in chunks if c.id not in present]
    for i in range(0, len(todo), BATCH):
        batch = todo[i : i + BATCH]
        vectors = embeddings.embed_documents([c.text for c in batch])
        collection.upsert(
            ids=[c.id for c in batch],
            documents=[c.text for c in batch],
            metadatas=[c.metadata() for c in batch],
            embeddings=vectors,
        )
        bar.update(len(batch))
    return len(todo)


def _delete_unowned(collection: Any, manifest: Manifest) -> int:
    """Delete chunks that no manifest document owns (removed, replaced, or left by a crash)."""
    records = collection.get(include=["metadatas"])
    stale = [
        cid
        for cid, meta in zip(records["ids"], records["metadatas"], strict=True)
        if not manifest.owns(str(meta.get("source")), str(meta.get("doc_sha256")))
    ]
    for i in range(0, len(stale), 1000):
        collection.delete(ids=stale[i : i + 1000])
    return len(stale)


def _reset_store(settings: Settings) -> Any:
    """Drop the index for ``--reset``: the manifest first (so a reset killed halfway leaves "no index",
    which the next ``rag ingest`` rebuilds, never a manifest pointing at missing chunks), then the
    collection. An embedded Chroma folder too damaged to open is deleted and created afresh."""
    manifest_path(settings).unlink(missing_ok=True)
    try:
        client = open_client(settings)
        with contextlib.suppress(Exception):  # an absent collection is fine
            client.delete_collection(settings.collection)
        open_collection(settings, client)
        return client
    except IndexError_:
        if settings.chroma_url:
            raise  # a server's storage is not ours to delete
    shutil.rmtree(settings.data_path / "chroma", ignore_errors=True)
    return open_client(settings)


def ingest(
    settings: Settings,
    embeddings: Embeddings,
    paths: list[Path] | None = None,
    reset: bool = False,
    progress: bool = True,
) -> IngestReport:
    """Bring the index in line with ``paths`` (default: the corpus folder).

    Only documents under ``paths`` are considered for removal, so ingesting one extra file
    does not delete the rest of the corpus.
    """
    started = time.perf_counter()
    report = IngestReport()
    paths = paths or [settings.corpus_path]
    docs = _load_all(paths, settings, report)  # before anything is changed: a bad path drops nothing
    if reset:
        client = _reset_store(settings)
        old = None
    else:
        client = open_client(settings)
        try:
            old = read_manifest(settings)
        except IndexError_:
            old = None  # a corrupt manifest is rebuilt from the files
    if old is not None and old.embedding_model != settings.embeddings:
        raise IndexError_(
            f"the index was built with {old.embedding_model!r}, not {settings.embeddings!r}. Run: rag ingest --reset"
        )
    collection = open_collection(settings, client)
    old_docs = dict(old.documents) if old else {}
    scope = [settings.relative_source(p) for p in paths]

    def in_scope(source: str) -> bool:
        return any(source == s or source.startswith(s.rstrip("/") + "/") for s in scope)

    new_docs: dict[str, DocEntry] = {s: e for s, e in old_docs.items() if not in_scope(s)}
    pending: list[Chunk] = []
    for doc in docs:
        previous = old_docs.get(doc.source)
        chunks = chunk_text(doc.text, doc.source, doc.sha256)
        if not chunks:
            report.skipped.append(Skipped(doc.path, "no text to index"))
            continue
        new_docs[doc.source] = DocEntry(sha256=doc.sha256, chunks=len(chunks), title=doc.title)
        if previous is None:
            report.added.append(doc.source)
        elif previous.sha256 != doc.sha256:
            report.updated.append(doc.source)
        else:
            report.unchanged.append(doc.source)
            continue
        pending.extend(chunks)
    report.removed = sorted(s for s in old_docs if in_scope(s) and s not in new_docs)

    with tqdm(total=len(pending), desc="embedding", unit="chunk", disable=not progress) as bar:
        report.chunks_embedded = _store_chunks(collection, embeddings, pending, bar)
    manifest = Manifest(embedding_model=settings.embeddings, documents=new_docs)
    write_manifest(settings, manifest)  # the commit point
    report.chunks_deleted = _delete_unowned(collection, manifest)
    report.chunks_total = sum(e.chunks for e in new_docs.values())
    report.seconds = time.perf_counter() - started
    return report


def prepare_index(settings: Settings, always: bool = True) -> Callable[[Embeddings], IngestReport | None]:
    """A ``Pipeline.load(prepare=...)`` hook: ingest the corpus folder (``always``), or only when
    nothing was ingested yet. On an unchanged corpus that only hashes the files."""

    def prepare(embeddings: Embeddings) -> IngestReport | None:
        if always or read_manifest(settings) is None:
            return ingest(settings, embeddings, progress=False)
        return None

    return prepare
