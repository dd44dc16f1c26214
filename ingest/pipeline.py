"""Idempotent, atomic ingest: only new or changed documents are embedded; removed ones are deleted.

With a shared store (``RAG_CHROMA_URL``) several replicas may ingest at once: each commits only the
documents it changed, and deletes only the chunks and texts of the versions it replaced or removed
itself (never those of a document the manifest lists when it deletes them).
"""

from __future__ import annotations

import contextlib
import hashlib
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from langchain_core.embeddings import Embeddings
from tqdm import tqdm

from ingest.chunking import chunk_text
from ingest.extract import LoadError
from ingest.loaders import Skipped, discover, document_from, extract, read_document_bytes
from rag.chroma import windows_name
from rag.config import Settings
from rag.errors import IndexError_
from rag.headings import retrieval_text
from rag.store import (
    DocEntry,
    Manifest,
    ManifestStore,
    manifest_store,
    open_client,
    open_collection,
)
from rag.texts import keep_original, prune_originals
from rag.types import Chunk, Document
from rag.windows import window_texts

BATCH = 128


@dataclass
class IngestReport:
    """What an ingest run did; printed as the summary."""

    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    parsed: list[dict[str, Any]] = field(default_factory=list)  # {source, pages, ocr_pages, chars, seconds}
    chunks_embedded: int = 0
    chunks_deleted: int = 0
    chunks_total: int = 0
    windows_embedded: int = 0
    seconds: float = 0.0

    @property
    def pages_parsed(self) -> int:
        return sum(p["pages"] for p in self.parsed)

    def as_dict(self) -> dict[str, Any]:
        return {
            "added": self.added,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "removed": self.removed,
            "skipped": [{"path": str(s.path), "reason": s.reason, "error": s.kind} for s in self.skipped],
            "parsed": self.parsed,
            "pages_parsed": self.pages_parsed,
            "chunks_embedded": self.chunks_embedded,
            "chunks_deleted": self.chunks_deleted,
            "chunks_total": self.chunks_total,
            "windows_embedded": self.windows_embedded,
            "seconds": round(self.seconds, 3),
        }


@dataclass(frozen=True)
class Unchanged:
    """A file whose bytes hash to what the index already holds (with its text stored): not parsed."""

    source: str
    entry: DocEntry


def _load_all(
    files: list[Path],
    settings: Settings,
    old_docs: dict[str, DocEntry],
    report: IngestReport,
    progress: bool,
    stored: set[str],
) -> list[Document | Unchanged]:
    """Hash every file first; parse only new or changed ones (or one whose stored text is missing:
    ``stored`` holds the hashes whose texts are in the text store)."""
    out: list[Document | Unchanged] = []
    with tqdm(files, desc="reading", unit="file", disable=not progress) as bar:
        for path in bar:
            source = settings.relative_source(path)
            bar.set_postfix_str(path.name[-40:], refresh=False)
            try:
                data = read_document_bytes(path)
                sha = hashlib.sha256(data).hexdigest()
                previous = old_docs.get(source)
                if previous is not None and previous.sha256 == sha and sha in stored:
                    keep_original(settings, sha, path)  # no-op unless an older index lacks it
                    out.append(Unchanged(source, previous))
                    continue
                started = time.perf_counter()
                extracted = extract(data, path)
            except LoadError as exc:
                report.skipped.append(Skipped(path, str(exc), exc.kind))
                continue
            doc = document_from(path, source, data, extracted)
            pages = len(doc.layout.pages)
            report.parsed.append(
                {
                    "source": source,
                    "pages": pages,
                    "ocr_pages": len(doc.layout.ocr_pages),
                    "chars": len(doc.text),
                    "seconds": round(time.perf_counter() - started, 3),
                }
            )
            if pages:
                bar.set_postfix_str(f"{path.name[-40:]}: {pages} pages", refresh=True)
            out.append(doc)
    return out


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
        vectors = embeddings.embed_documents([retrieval_text(c) for c in batch])  # with its heading
        collection.upsert(
            ids=[c.id for c in batch],
            documents=[c.text for c in batch],
            metadatas=[c.metadata() for c in batch],
            embeddings=vectors,
        )
        bar.update(len(batch))
    return len(todo)


def _store_windows(windows: Any, embeddings: Embeddings, chunks: list[Chunk], bar: tqdm) -> int:
    """Embed and store the window vectors (``rag.windows``) of ``chunks`` (whole documents) that have none."""
    have = _existing_ids(windows, [c.id for c in chunks])
    todo = [c for c in chunks if c.id not in have]
    texts = window_texts(chunks) if todo else {}
    for i in range(0, len(todo), BATCH):
        batch = todo[i : i + BATCH]
        windows.upsert(
            ids=[c.id for c in batch],
            metadatas=[c.metadata() for c in batch],
            embeddings=embeddings.embed_documents([texts[c.id] for c in batch]),
        )
        bar.update(len(batch))
    return len(todo)


def _sync_windows(windows: Any, collection: Any, embeddings: Embeddings, manifest: Manifest, progress: bool) -> int:
    """After the commit, make the window collection match the chunk collection: embed the windows of
    the manifest's documents that lack some (an index from before windows, or a killed run), and
    delete windows whose chunk is gone. A reader that finds some missing ranks by sentence vectors
    meanwhile. Returns how many were embedded."""
    # Window ids first: a window is stored after its chunk, so one that another replica adds meanwhile
    # has its chunk in the records read next, and is not taken for stale.
    have = set(windows.get(include=[])["ids"])
    records = collection.get(include=["documents", "metadatas"])
    stale = sorted(have - set(records["ids"]))
    for i in range(0, len(stale), 1000):
        windows.delete(ids=stale[i : i + 1000])
    rows = zip(records["ids"], records["documents"], records["metadatas"], strict=True)
    owned = [
        Chunk.from_record(cid, text, meta)
        for cid, text, meta in rows
        if manifest.owns(str(meta.get("source")), str(meta.get("doc_sha256")))
    ]
    lacking = {c.doc_sha256 for c in owned if c.id not in have}
    chunks = [c for c in owned if c.doc_sha256 in lacking]
    with tqdm(total=len(chunks), desc="windows", unit="chunk", disable=not progress) as bar:
        return _store_windows(windows, embeddings, chunks, bar)


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


def _delete_replaced(collection: Any, store: ManifestStore, dropped: set[tuple[str, str]]) -> tuple[int, Manifest]:
    """Shared store: delete the chunks of the (source, sha256) versions this ingest replaced or removed,
    except those the manifest lists again when read just before deleting (another replica committed
    that version meanwhile). Chunks of other documents, or stored by another replica's ingest that has
    not committed yet, are never touched. Returns the count and the manifest it checked against."""
    found: dict[tuple[str, str], list[str]] = {}
    for source, sha in sorted(dropped):
        where = {"$and": [{"source": source}, {"doc_sha256": sha}]}
        found[(source, sha)] = collection.get(where=where, include=[])["ids"]
    current = store.read() or Manifest(embedding_model="", documents={})
    stale = [cid for pair, ids in found.items() if not current.owns(*pair) for cid in ids]
    for i in range(0, len(stale), 1000):
        collection.delete(ids=stale[i : i + 1000])
    return len(stale), current


def _reset_store(settings: Settings, store: ManifestStore) -> Any:
    """Drop the index for ``--reset``: the manifest first (so a reset killed halfway leaves "no index",
    which the next ``rag ingest`` rebuilds, never a manifest pointing at missing chunks), then the
    collection. An embedded Chroma folder too damaged to open is deleted and created afresh."""
    store.clear()
    try:
        client = open_client(settings)
        for name in (settings.collection, windows_name(settings)):
            with contextlib.suppress(Exception):  # an absent collection is fine
                client.delete_collection(name)
        open_collection(settings, client)
        return client
    except IndexError_:
        if settings.chroma_url:
            raise  # a server's storage is not ours to delete
    shutil.rmtree(settings.data_path / "chroma", ignore_errors=True)
    return open_client(settings)


def _read_old(settings: Settings, store: ManifestStore) -> Manifest | None:
    try:
        old = store.read()
    except IndexError_:
        if store.shared:
            raise  # the server did not answer: nothing to rebuild from here
        old = None  # a corrupt manifest is rebuilt from the files
    if old is not None and old.embedding_model != settings.embeddings:
        raise IndexError_(
            f"the index was built with {old.embedding_model!r}, not {settings.embeddings!r}. Run: rag ingest --reset"
        )
    return old


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
    files = discover(paths)  # before anything is changed: a bad path drops nothing
    store = manifest_store(settings)
    old = None if reset else _read_old(settings, store)
    old_docs = dict(old.documents) if old else {}
    stored = store.stored_texts({e.sha256 for e in old_docs.values()})
    docs = _load_all(files, settings, old_docs, report, progress, stored)
    client = _reset_store(settings, store) if reset else open_client(settings)
    collection = open_collection(settings, client)
    scope = [settings.relative_source(p) for p in paths]

    def in_scope(source: str) -> bool:
        return any(source == s or source.startswith(s.rstrip("/") + "/") for s in scope)

    new_docs: dict[str, DocEntry] = {s: e for s, e in old_docs.items() if not in_scope(s)}
    changed: dict[str, DocEntry | None] = {}
    pending: list[Chunk] = []
    texts: dict[str, str] = {}
    for doc in docs:
        if isinstance(doc, Unchanged):
            new_docs[doc.source] = doc.entry
            report.unchanged.append(doc.source)
            continue
        previous = old_docs.get(doc.source)
        chunks = chunk_text(doc.text, doc.source, doc.sha256, layout=doc.layout)
        if not chunks:
            report.skipped.append(Skipped(doc.path, "no text to index", "empty"))
            continue
        new_docs[doc.source] = changed[doc.source] = DocEntry(
            sha256=doc.sha256,
            chunks=len(chunks),
            title=doc.title,
            pages=list(doc.layout.pages),
            ocr_pages=list(doc.layout.ocr_pages),
            # chunks already stored are reused, not re-embedded: a restored document keeps its old vectors
            headed=previous.headed if previous is not None and previous.sha256 == doc.sha256 else True,
            termed=previous.termed if previous is not None and previous.sha256 == doc.sha256 else True,
        )
        texts[doc.sha256] = doc.text
        if previous is None:
            report.added.append(doc.source)
        elif previous.sha256 != doc.sha256:
            report.updated.append(doc.source)
        else:
            report.unchanged.append(doc.source)  # its stored text was missing: restored, chunks reused
        pending.extend(chunks)
    report.removed = sorted(s for s in old_docs if in_scope(s) and s not in new_docs)
    changed.update(dict.fromkeys(report.removed))
    dropped = {(s, old_docs[s].sha256) for s in [*report.updated, *report.removed]}

    with tqdm(total=len(pending), desc="embedding", unit="chunk", disable=not progress) as bar:
        report.chunks_embedded = _store_chunks(collection, embeddings, pending, bar)
    windows = open_collection(settings, client, windows=True) if settings.rank_by_window else None
    if windows is not None:
        with tqdm(total=len(pending), desc="windows", unit="chunk", disable=not progress) as bar:
            report.windows_embedded = _store_windows(windows, embeddings, pending, bar)  # before the commit too
    for doc in docs:  # before the manifest that refers to them
        if isinstance(doc, Document) and doc.sha256 in texts:
            store.write_text(doc.sha256, texts[doc.sha256])
            keep_original(settings, doc.sha256, doc.path)
    manifest = Manifest(embedding_model=settings.embeddings, documents=new_docs)
    store.commit(manifest, changed)  # the commit point
    if store.shared:
        report.chunks_deleted, manifest = _delete_replaced(collection, store, dropped)
    else:
        report.chunks_deleted = _delete_unowned(collection, manifest)
    if windows is not None:
        report.windows_embedded += _sync_windows(windows, collection, embeddings, manifest, progress)
    keep = {e.sha256 for e in manifest.documents.values()}
    store.prune_texts(keep, {sha for _, sha in dropped})
    prune_originals(settings, keep)
    report.chunks_total = sum(e.chunks for e in manifest.documents.values())
    report.seconds = time.perf_counter() - started
    return report


def skipped_lines(report: IngestReport) -> list[str]:
    """One line per file that could not be ingested: its name and why ("locked.pdf: ... password-protected")."""
    return [f"{s.path.name} was not ingested: {s.reason}" for s in report.skipped]


def prepare_index(
    settings: Settings, always: bool = True, notify: Callable[[str], None] | None = None
) -> Callable[[Embeddings], IngestReport | None]:
    """A ``Pipeline.load(prepare=...)`` hook: ingest the corpus folder (``always``), or only when
    nothing was ingested yet. On an unchanged corpus that only hashes the files. ``notify`` gets a
    line for every file that could not be ingested (front ends show it; nothing is lost silently)."""

    def prepare(embeddings: Embeddings) -> IngestReport | None:
        if always or manifest_store(settings).read() is None:
            report = ingest(settings, embeddings, progress=False)
            for line in skipped_lines(report) if notify else []:
                notify(line)
            return report
        return None

    return prepare
