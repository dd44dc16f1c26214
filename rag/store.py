"""The index: a Chroma collection (dense), a BM25 index (lexical) and a manifest of documents.

The manifest is the commit point. Ingest writes new chunks first, then atomically replaces the
manifest, then deletes chunks no document in the manifest owns; readers only ever see chunks of
documents listed in the manifest. A crash at any point leaves the previous index usable.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import bm25s
import numpy as np
import Stemmer
from bm25s.tokenization import Tokenizer
from pydantic import BaseModel, ValidationError

from rag.config import Settings
from rag.errors import IndexError_
from rag.texts import original_path, read_text
from rag.types import Chunk

MANIFEST_NAME = "manifest.json"


class DocEntry(BaseModel):
    """One indexed document. Its extracted text is in ``texts/<sha256>.txt`` (``rag.texts``);
    ``pages`` holds the offset where each page starts in it (PDFs; empty for formats without pages)."""

    sha256: str
    chunks: int
    title: str = ""
    pages: list[int] = []
    ocr_pages: list[int] = []


class Manifest(BaseModel):
    """What the index holds: which documents (by content hash) and which embedding model built it."""

    version: int = 1
    embedding_model: str
    documents: dict[str, DocEntry] = {}

    def owns(self, chunk_source: str, doc_sha256: str) -> bool:
        entry = self.documents.get(chunk_source)
        return entry is not None and entry.sha256 == doc_sha256


def manifest_path(settings: Settings) -> Path:
    return settings.data_path / MANIFEST_NAME


def read_manifest(settings: Settings) -> Manifest | None:
    """The manifest, or ``None`` when nothing was ingested yet."""
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
    """Atomically replace the manifest (write a temp file, fsync, rename)."""
    path = manifest_path(settings)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".manifest", dir=path.parent)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(manifest.model_dump_json(indent=1))
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def unavailable(settings: Settings, exc: Exception) -> str:
    """Why the store did not answer and what to do, for a Chroma server or a local folder."""
    if settings.chroma_url:
        return (
            f"the Chroma server at {settings.chroma_url} did not answer ({exc.__class__.__name__}: {exc}). "
            "Check that it runs (chroma run --path DIR --port PORT) and that RAG_CHROMA_URL points at it, "
            "then try again"
        )
    return f"cannot read the index in {settings.data_path / 'chroma'} ({exc}). Rebuild it with: rag ingest --reset"


def _http_client(settings: Settings, chroma_settings: Any) -> Any:
    """A client for a Chroma server, with every request bounded by ``timeout_s``.

    chromadb's HTTP client waits forever by default (``timeout=None``), so a hung server would hang
    every question: a heartbeat with a timeout comes first, then the session gets the same bound.
    """
    from urllib.parse import urlparse

    import chromadb
    import httpx

    url = urlparse(settings.chroma_url or "")
    base = f"{url.scheme or 'http'}://{url.hostname or '127.0.0.1'}:{url.port or 8000}"
    httpx.get(f"{base}/api/v2/heartbeat", timeout=min(settings.timeout_s, 10.0)).raise_for_status()
    client = chromadb.HttpClient(
        host=url.hostname or "127.0.0.1",
        port=url.port or 8000,
        ssl=url.scheme == "https",
        settings=chroma_settings,
    )
    session = getattr(getattr(client, "_server", None), "_session", None)
    if session is not None:
        session.timeout = httpx.Timeout(settings.timeout_s, connect=min(settings.timeout_s, 10.0))
    return client


def _forget_embedded(path: Path) -> None:
    """Drop chromadb's cached client for ``path`` after a failed open: chromadb keeps the half-started
    one, and every later open of that folder in this process would fail with an unrelated error."""
    with contextlib.suppress(Exception):
        from chromadb.api.shared_system_client import SharedSystemClient

        SharedSystemClient._identifier_to_system.pop(str(path), None)


def open_client(settings: Settings) -> Any:
    """A Chroma client: embedded on disk by default, or a server when ``chroma_url`` is set."""
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    chroma_settings = ChromaSettings(anonymized_telemetry=False)
    if settings.chroma_url:
        try:
            return _http_client(settings, chroma_settings)
        except Exception as exc:  # noqa: BLE001 - httpx and chroma raise many types; all mean the same here
            raise IndexError_(unavailable(settings, exc)) from exc
    path = settings.data_path / "chroma"
    try:
        path.mkdir(parents=True, exist_ok=True)
        return chromadb.PersistentClient(path=str(path), settings=chroma_settings)
    except Exception as exc:  # noqa: BLE001 - chroma raises many types; all mean the same to a user
        _forget_embedded(path)
        raise IndexError_(
            f"cannot open the Chroma index at {path}: {exc}. Rebuild it with: rag ingest --reset"
        ) from exc


def open_collection(settings: Settings, client: Any | None = None) -> Any:
    client = client or open_client(settings)
    try:
        return client.get_or_create_collection(
            settings.collection,
            configuration={"hnsw": {"space": "cosine"}},
            metadata={"embedding_model": settings.embeddings},
        )
    except Exception as exc:  # noqa: BLE001
        if settings.chroma_url:
            raise IndexError_(unavailable(settings, exc)) from exc
        raise IndexError_(
            f"cannot open collection {settings.collection!r}: {exc}. Rebuild it with: rag ingest --reset"
        ) from exc


@dataclass
class LexicalIndex:
    """BM25 over chunk texts (bm25s), with English stemming and stopwords."""

    chunks: list[Chunk]
    _tokenizer: Tokenizer = field(init=False)
    _bm25: bm25s.BM25 | None = field(init=False, default=None)

    def __post_init__(self) -> None:
        self._tokenizer = Tokenizer(stopwords="en", stemmer=Stemmer.Stemmer("english").stemWord)
        if self.chunks:
            ids = self._tokenizer.tokenize([c.text for c in self.chunks], return_as="ids", show_progress=False)
            self._bm25 = bm25s.BM25()
            self._bm25.index(ids, show_progress=False)

    def search(self, query: str, k: int) -> list[tuple[Chunk, float]]:
        if self._bm25 is None:
            return []
        tokens = self._tokenizer.tokenize([query], return_as="ids", update_vocab=False, show_progress=False)
        if not tokens or not tokens[0]:
            return []
        k = min(k, len(self.chunks))
        docs, scores = self._bm25.retrieve(tokens, k=k, show_progress=False)
        return [(self.chunks[int(i)], float(s)) for i, s in zip(docs[0], scores[0], strict=True) if s > 0]


class Index:
    """A consistent read view of the index: only chunks of documents in the manifest are visible."""

    def __init__(
        self,
        collection: Any,
        manifest: Manifest,
        chunks: list[Chunk],
        settings: Settings | None = None,
        vectors: dict[str, np.ndarray] | None = None,
    ) -> None:
        self.settings = settings
        self.collection = collection
        self.manifest = manifest
        self.chunks = sorted(chunks, key=lambda c: (c.source, c.position))
        self.by_id = {c.id: c for c in self.chunks}
        self._order = {c.id: i for i, c in enumerate(self.chunks)}
        self._vectors = vectors or {}
        self.lexical = LexicalIndex(self.chunks)
        self._shas = sorted({e.sha256 for e in manifest.documents.values()})
        self._texts: dict[str, str | None] = {}

    @classmethod
    def load(cls, settings: Settings) -> Index:
        """Open the index for reading; clear errors when it is missing, corrupt or mismatched."""
        manifest = read_manifest(settings)
        if manifest is None:
            raise IndexError_(f"no index in {settings.data_path}. Build it with: rag ingest")
        if manifest.embedding_model != settings.embeddings:
            raise IndexError_(
                f"the index was built with embeddings {manifest.embedding_model!r} but "
                f"{settings.embeddings!r} is configured. Re-ingest with: rag ingest --reset "
                f"(or set RAG_EMBEDDINGS={manifest.embedding_model})"
            )
        collection = open_collection(settings)
        try:
            records = collection.get(include=["documents", "metadatas", "embeddings"])
        except Exception as exc:  # noqa: BLE001
            raise IndexError_(unavailable(settings, exc)) from exc
        chunks: list[Chunk] = []
        vectors: dict[str, np.ndarray] = {}
        rows = zip(records["ids"], records["documents"], records["metadatas"], records["embeddings"], strict=True)
        for chunk_id, text, meta, vector in rows:
            if manifest.owns(str(meta.get("source")), str(meta.get("doc_sha256"))):
                chunks.append(Chunk.from_record(chunk_id, text, meta))
                vectors[chunk_id] = np.asarray(vector, dtype=np.float32)
        expected = sum(e.chunks for e in manifest.documents.values())
        if len(chunks) != expected:
            raise IndexError_(
                f"the index is incomplete ({len(chunks)} of {expected} chunks). Run: rag ingest "
                "(or rag ingest --reset if that does not fix it)"
            )
        return cls(collection, manifest, chunks, settings, vectors)

    def document_text(self, source: str) -> str | None:
        """The extracted text an indexed document's citations point into (``None``: not indexed, or the
        text store lost it; ``rag ingest`` restores it)."""
        entry = self.manifest.documents.get(source)
        if entry is None or self.settings is None:
            return None
        if source not in self._texts:
            self._texts[source] = read_text(self.settings, entry.sha256)
        return self._texts[source]

    def original(self, source: str) -> Path | None:
        """The kept copy of an indexed PDF, for opening it at a cited page (``None`` for other types)."""
        entry = self.manifest.documents.get(source)
        if entry is None or self.settings is None:
            return None
        path = original_path(self.settings, entry.sha256, Path(source).suffix)
        return path if path is not None and path.is_file() else None

    def vector(self, chunk: Chunk) -> np.ndarray:
        """The chunk's embedding as stored in Chroma (read once at load; never recomputed)."""
        try:
            return self._vectors[chunk.id]
        except KeyError:
            raise IndexError_(f"no stored vector for chunk {chunk.id}. Run: rag ingest --reset") from None

    def paragraph(self, chunk: Chunk) -> str:
        """The chunk's paragraph and the paragraphs on each side of it, as one text."""
        return " ".join(c.text for c in self.paragraph_window(chunk, extra=1))

    def dense(self, vector: list[float], k: int) -> list[tuple[Chunk, float]]:
        """Nearest chunks by cosine similarity (Chroma), restricted to manifest documents."""
        if not self.chunks:
            return []
        where = {"doc_sha256": {"$in": self._shas}} if len(self._shas) > 1 else {"doc_sha256": self._shas[0]}
        try:
            res = self.collection.query(
                query_embeddings=[vector],
                n_results=min(k, len(self.chunks)),
                where=where,
                include=["distances"],
            )
        except Exception as exc:  # noqa: BLE001
            if self.settings is None:
                raise IndexError_(f"the vector store did not answer: {exc}") from exc
            raise IndexError_(unavailable(self.settings, exc)) from exc
        out = []
        for cid, dist in zip(res["ids"][0], res["distances"][0], strict=True):
            chunk = self.by_id.get(cid)
            if chunk is not None:
                out.append((chunk, 1.0 - float(dist)))
        return out

    def neighbours(self, chunk: Chunk, before: int, after: int) -> list[Chunk]:
        """The chunk with up to ``before``/``after`` sentences of the same paragraph around it."""
        i = self._order[chunk.id]
        out = [chunk]
        for j in range(i - 1, max(-1, i - before - 1), -1):
            c = self.chunks[j]
            if c.source != chunk.source or c.para_start != chunk.para_start:
                break
            out.insert(0, c)
        for j in range(i + 1, min(len(self.chunks), i + after + 1)):
            c = self.chunks[j]
            if c.source != chunk.source or c.para_start != chunk.para_start:
                break
            out.append(c)
        return out

    def lead(self, chunk: Chunk, sentences: int = 3) -> str:
        """The chunk with up to ``sentences`` sentences before it in its paragraph; when it opens its
        paragraph, the previous sentence of the document instead. This is what a claim's subject and
        names must be found in ("This executive ..." is named one sentence earlier)."""
        before = self.neighbours(chunk, sentences, 0)
        i = self._order[chunk.id]
        if len(before) == 1 and i > 0 and self.chunks[i - 1].source == chunk.source:
            before.insert(0, self.chunks[i - 1])
        return " ".join(c.text for c in before)

    def paragraph_window(self, chunk: Chunk, extra: int = 1) -> list[Chunk]:
        """The chunk's whole paragraph plus ``extra`` paragraphs of the same document on each side."""
        i = self._order[chunk.id]

        def walk(step: int) -> list[Chunk]:
            out: list[Chunk] = []
            para, changes, j = chunk.para_start, 0, i + step
            while 0 <= j < len(self.chunks) and self.chunks[j].source == chunk.source:
                if self.chunks[j].para_start != para:
                    changes += 1
                    para = self.chunks[j].para_start
                    if changes > extra:
                        break
                out.append(self.chunks[j])
                j += step
            return out

        return [*reversed(walk(-1)), chunk, *walk(1)]
