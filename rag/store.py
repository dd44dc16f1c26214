"""The index: a Chroma collection (dense), a BM25 index (lexical) and a manifest of documents.

The manifest is the commit point. Ingest writes new chunks first, then commits the manifest, then
deletes the chunks it replaced; readers only ever see chunks of documents listed in the manifest. A
crash at any point leaves the previous index usable. Where the manifest lives (a local file, or the
shared Chroma server that several replicas use) is ``rag.manifest`` / ``rag.shared``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import bm25s
import numpy as np
import Stemmer
from bm25s.tokenization import Tokenizer

from rag.chroma import open_client, open_collection, unavailable
from rag.config import Settings
from rag.entries import with_terms
from rag.errors import IndexError_
from rag.headings import retrieval_text
from rag.manifest import (
    MANIFEST_NAME,
    DocEntry,
    LocalManifestStore,
    Manifest,
    ManifestStore,
    manifest_path,
    read_manifest,
    write_manifest,
)
from rag.shared import ChromaManifestStore
from rag.terms import words
from rag.text import initialisms, stem
from rag.texts import original_path, read_text
from rag.types import Chunk
from rag.windows import read_windows

__all__ = [
    "MANIFEST_NAME",
    "DocEntry",
    "Index",
    "LexicalIndex",
    "Manifest",
    "ManifestStore",
    "manifest_path",
    "manifest_store",
    "open_client",
    "open_collection",
    "read_manifest",
    "unavailable",
    "write_manifest",
]
LOAD_TRIES = 3  # a load that raced a commit (the generation moved) is read again
LOG = logging.getLogger(__name__)


def manifest_store(settings: Settings, client: Any | None = None) -> ManifestStore:
    """The manifest store the settings select: the shared Chroma server's when ``chroma_url`` is set,
    else the local data folder's."""
    if settings.chroma_url:
        return ChromaManifestStore(settings, client)
    return LocalManifestStore(settings)


@dataclass
class LexicalIndex:
    """BM25 over chunk texts, each with its section's heading (``rag.headings``), with English stemming
    and stopwords (bm25s)."""

    chunks: list[Chunk]
    _tokenizer: Tokenizer = field(init=False)
    _bm25: bm25s.BM25 | None = field(init=False, default=None)

    def __post_init__(self) -> None:
        self._tokenizer = Tokenizer(stopwords="en", stemmer=Stemmer.Stemmer("english").stemWord)
        if self.chunks:
            texts = [retrieval_text(c) for c in self.chunks]
            ids = self._tokenizer.tokenize(texts, return_as="ids", show_progress=False)
            self._bm25 = bm25s.BM25()
            self._bm25.index(ids, show_progress=False)

    def _with_initialisms(self, query: str) -> str:
        """``query`` plus the initialisms of its phrases that the documents use as words ("chief
        financial officer" finds "CFO"); unknown ones would match nothing anyway."""
        vocab = self._tokenizer.get_vocab_dict()
        extra = sorted(i for i in initialisms(query) if stem(i) in vocab and i not in query.lower().split())
        return " ".join([query, *extra])

    def search(self, query: str, k: int) -> list[tuple[Chunk, float]]:
        if self._bm25 is None:
            return []
        tokens = self._tokenizer.tokenize(
            [self._with_initialisms(query)], return_as="ids", update_vocab=False, show_progress=False
        )
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
        store: ManifestStore | None = None,
        generation: str | None = None,
        windows: dict[str, np.ndarray] | None = None,
    ) -> None:
        self.settings = settings
        self.store = store
        self.generation = generation  # the manifest generation this view was read at (shared store only)
        self.collection = collection
        self.manifest = manifest
        self.chunks = sorted(chunks, key=lambda c: (c.source, c.position))
        self.by_id = {c.id: c for c in self.chunks}
        self._order = {c.id: i for i, c in enumerate(self.chunks)}
        self._vectors = vectors or {}
        self._matrix = self._stack_vectors()
        self._windows = self._stack_windows(windows or {})
        self.lexical = LexicalIndex(self.chunks)
        self._shas = sorted({e.sha256 for e in manifest.documents.values()})
        self._texts: dict[str, str | None] = {}
        self._words: dict[str, set[str]] = {}

    @classmethod
    def load(cls, settings: Settings) -> Index:
        """Open the index for reading; clear errors when it is missing, corrupt or mismatched.

        With a shared store another replica may commit while this reads: the generation is read
        before the manifest, and a view whose chunk count disagrees with its manifest is read again
        when the generation moved meanwhile (a commit, not damage)."""
        client = open_client(settings) if settings.chroma_url else None
        store = manifest_store(settings, client)
        for _ in range(LOAD_TRIES):
            generation = store.generation()
            manifest = store.read()
            if manifest is None:
                raise IndexError_(f"no index in {store.describe()}. Build it with: rag ingest")
            if manifest.embedding_model != settings.embeddings:
                raise IndexError_(
                    f"the index was built with embeddings {manifest.embedding_model!r} but "
                    f"{settings.embeddings!r} is configured. Re-ingest with: rag ingest --reset "
                    f"(or set RAG_EMBEDDINGS={manifest.embedding_model})"
                )
            collection = open_collection(settings, client)
            chunks, vectors = _visible_chunks(settings, collection, manifest)
            expected = sum(e.chunks for e in manifest.documents.values())
            if len(chunks) == expected:
                ids = [c.id for c in chunks]
                windows = _stored_windows(settings, client, ids) if settings.rank_by_window else {}
                if settings.rank_by_window and len(windows) < len(chunks):
                    LOG.warning(
                        "%d of %d sentences have no window vector: retrieval ranks by the sentences' own "
                        "vectors until `rag ingest` adds them",
                        len(chunks) - len(windows),
                        len(chunks),
                    )
                stale = _stale_headers(chunks, manifest)
                if stale:
                    LOG.warning(
                        "%d document(s) were embedded without their section headings or definition-list "
                        "terms (%s): `rag ingest --reset` re-embeds them for better retrieval",
                        len(stale),
                        ", ".join(stale[:3]),
                    )
                return cls(collection, manifest, chunks, settings, vectors, store, generation, windows)
            if not store.shared or store.generation() == generation:
                break
        raise IndexError_(
            f"the index is incomplete ({len(chunks)} of {expected} chunks). Run: rag ingest "
            "(or rag ingest --reset if that does not fix it)"
        )

    def document_text(self, source: str) -> str | None:
        """The extracted text an indexed document's citations point into (``None``: not indexed, or the
        text store lost it; ``rag ingest`` restores it). With a shared store it is read from the server
        (whichever replica ingested the document) and cached."""
        entry = self.manifest.documents.get(source)
        if entry is None or self.settings is None:
            return None
        if source not in self._texts:
            if self.store is not None:
                self._texts[source] = self.store.read_text(entry.sha256)
            else:
                self._texts[source] = read_text(self.settings, entry.sha256)
        return self._texts[source]

    def original(self, source: str) -> Path | None:
        """The kept copy of an indexed PDF, for opening it at a cited page (``None`` for other types).
        Copies stay in the data folder of the replica that ingested the document: with a shared store,
        other replicas get ``None`` (their citations still carry the page and the text)."""
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

    def _stack_vectors(self) -> np.ndarray | None:
        """Every visible chunk's unit vector as one matrix, rows in ``self.chunks`` order (the stored
        vectors become views of its rows, so memory is not doubled); None when some vector is missing."""
        if not self.chunks or any(c.id not in self._vectors for c in self.chunks):
            return None
        matrix = np.stack([self._vectors[c.id] for c in self.chunks]).astype(np.float32)
        norms = np.linalg.norm(matrix, axis=1, keepdims=True)
        matrix /= np.where(norms > 0, norms, 1.0)
        self._vectors = {c.id: matrix[i] for i, c in enumerate(self.chunks)}
        return matrix

    def _stack_windows(self, windows: dict[str, np.ndarray]) -> np.ndarray | None:
        """The window vectors (``rag.windows``) as unit rows in ``self.chunks`` order, or None unless
        every chunk has one (an index from before windows, or a lost collection: sentences rank)."""
        if self._matrix is None or any(c.id not in windows for c in self.chunks):
            return None
        matrix = np.stack([windows[c.id] for c in self.chunks]).astype(np.float32)
        return matrix / np.linalg.norm(matrix, axis=1, keepdims=True).clip(min=1e-12)

    @property
    def has_windows(self) -> bool:
        """Whether every visible chunk has a stored window vector (``rag ingest`` adds missing ones)."""
        return self._windows is not None

    def dense(self, vector: list[float], k: int, windows: bool = False) -> list[tuple[Chunk, float]]:
        """Nearest chunks by cosine similarity, restricted to manifest documents.

        Exact, over the vectors read at load (one matrix product: ~1 ms for 10,000 chunks). Chroma's
        approximate HNSW search is the fallback only: measured on a PDF manual whose table of contents
        gave 4,433 identical ". . . ." chunks, it returned those (cosine 0.13) and none of the article's
        sentences (0.74) for "When did ChatGPT first come out?".

        With ``windows`` (and window vectors stored for every chunk) chunks are *ranked* by their
        window vector (``rag.windows``); the score returned is still the chunk's own cosine, which
        the relevance gate reads."""
        if not self.chunks:
            return []
        if self._matrix is not None:
            query = np.asarray(vector, dtype=np.float32)
            query = query / (np.linalg.norm(query) or 1.0)  # a new array: the caller's vector is left as it is
            sims = self._matrix @ query
            rank = self._windows @ query if windows and self._windows is not None else sims
            k = min(k, len(self.chunks))
            top = np.argpartition(-rank, k - 1)[:k]
            return [(self.chunks[i], float(sims[i])) for i in top[np.argsort(-rank[top], kind="stable")]]
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

    def mentions(self, chunk: Chunk, word: str) -> bool:
        """Whether ``chunk``'s document has ``word`` (lower case) anywhere, its headings included: the
        document's words are gathered on first asking (rag.terms reads them)."""
        if chunk.source not in self._words:
            same = [c for c in self.chunks if c.source == chunk.source]
            names = {c.section or "" for c in same} | {Path(chunk.source).stem}
            self._words[chunk.source] = words(" ".join([*(c.text for c in same), *names]))
        return word in self._words[chunk.source]

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


def _stale_headers(chunks: list[Chunk], manifest: Manifest) -> list[str]:
    """Documents whose stored vectors lack the header ``rag.headings`` now embeds: a heading (they have
    sections) or a definition-list term (``rag.entries`` finds entries), from a version before either."""
    docs = manifest.documents
    by_source: dict[str, list[Chunk]] = {}
    for c in chunks:
        by_source.setdefault(c.source, []).append(c)
    return sorted(
        source
        for source, own in by_source.items()
        if (not docs[source].headed and any(c.section for c in own))
        or (not docs[source].termed and any(c.term for c in with_terms(sorted(own, key=lambda c: c.start))))
    )


def _visible_chunks(
    settings: Settings, collection: Any, manifest: Manifest
) -> tuple[list[Chunk], dict[str, np.ndarray]]:
    """The stored chunks (with their vectors) of documents ``manifest`` lists, at the version it names."""
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
    return chunks, vectors


def _stored_windows(settings: Settings, client: Any, ids: list[str]) -> dict[str, np.ndarray]:
    """The window vectors stored for ``ids``; none when their collection cannot be read (they are
    derived data: retrieval then ranks by sentence vectors, and ``rag ingest`` rebuilds them)."""
    try:
        return read_windows(open_collection(settings, client, windows=True), ids)
    except Exception:  # noqa: BLE001 - chroma raises many types; any of them means "no windows"
        return {}
