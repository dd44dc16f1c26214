"""The manifest and the extracted texts kept in a shared Chroma server, so that several replicas
(``rag serve`` processes with the same ``RAG_CHROMA_URL`` and collection) agree on what is indexed.

Two extra collections beside the chunks' collection ``C``:

- ``C__manifest``: one record per document (id ``doc:<source>``, its ``DocEntry`` as JSON) and a header
  record (id ``header``) holding the embedding model and a generation token that changes on every
  commit. A commit writes the records of the documents it changed, then the header; replicas committing
  different documents never overwrite each other, and the same document committed twice holds the same
  deterministic chunk ids. Readers compare the header's generation with the one their view was loaded
  at to notice another replica's commit.
- ``C__texts``: each document's extracted text, keyed by its SHA-256 (in metadata: kept out of Chroma's
  full-text index, which only chunks need).

Records need an embedding; these collections hold a constant 1-dimensional one and are never queried
by vector. Kept PDF originals (``rag.texts.keep_original``) stay in each replica's own data folder.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterable, Mapping
from typing import Any

from pydantic import ValidationError

from rag.chroma import open_client, unavailable
from rag.config import Settings
from rag.errors import IndexError_
from rag.manifest import DocEntry, Manifest

HEADER = "header"
DOC = "doc:"
PLACEHOLDER = [1.0]  # the embedding of every manifest and text record
BATCH = 500


class ChromaManifestStore:
    """Server mode: the manifest and texts in the Chroma server every replica uses."""

    shared = True

    def __init__(self, settings: Settings, client: Any | None = None) -> None:
        self.settings = settings
        self._client = client
        self._collections: dict[str, Any] = {}
        self.manifest_name = f"{settings.collection}__manifest"
        self.texts_name = f"{settings.collection}__texts"

    def describe(self) -> str:
        return f"the Chroma server at {self.settings.chroma_url} (collection {self.settings.collection!r})"

    def _call(self, fn, *args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except IndexError_:
            raise
        except Exception as exc:  # noqa: BLE001 - httpx and chroma raise many types; all mean the same here
            raise IndexError_(unavailable(self.settings, exc)) from exc

    def _collection(self, name: str) -> Any:
        if name not in self._collections:
            if self._client is None:
                self._client = open_client(self.settings)
            self._collections[name] = self._call(self._client.get_or_create_collection, name, embedding_function=None)
        return self._collections[name]

    def _manifest(self) -> Any:
        return self._collection(self.manifest_name)

    def _texts(self) -> Any:
        return self._collection(self.texts_name)

    def _header(self) -> dict[str, Any] | None:
        got = self._call(self._manifest().get, ids=[HEADER], include=["metadatas"])
        return dict(got["metadatas"][0]) if got["ids"] else None

    def read(self) -> Manifest | None:
        got = self._call(self._manifest().get, include=["metadatas"])
        header: dict[str, Any] | None = None
        documents: dict[str, DocEntry] = {}
        try:
            for record_id, meta in zip(got["ids"], got["metadatas"], strict=True):
                if record_id == HEADER:
                    header = dict(meta)
                elif record_id.startswith(DOC):
                    documents[record_id[len(DOC) :]] = DocEntry.model_validate_json(str(meta["entry"]))
            if header is None:
                return None
            return Manifest(embedding_model=str(header["embedding_model"]), documents=documents)
        except (ValidationError, ValueError, KeyError, TypeError) as exc:
            raise IndexError_(
                f"the index manifest in {self.describe()} is corrupt ({exc.__class__.__name__}). "
                "Rebuild the index with: rag ingest --reset"
            ) from None

    def generation(self) -> str | None:
        header = self._header()
        return None if header is None else str(header.get("generation"))

    def commit(self, manifest: Manifest, changed: Mapping[str, DocEntry | None]) -> None:
        """Write the changed documents' records, then a new generation (nothing when nothing changed)."""
        header = self._header()
        if not changed and header is not None and header.get("embedding_model") == manifest.embedding_model:
            return
        collection = self._manifest()
        put = [(s, e) for s, e in changed.items() if e is not None]
        for i in range(0, len(put), BATCH):
            batch = put[i : i + BATCH]
            self._call(
                collection.upsert,
                ids=[DOC + s for s, _ in batch],
                metadatas=[{"source": s, "entry": e.model_dump_json()} for s, e in batch],
                embeddings=[PLACEHOLDER] * len(batch),
            )
        gone = [DOC + s for s, e in changed.items() if e is None]
        for i in range(0, len(gone), BATCH):
            self._call(collection.delete, ids=gone[i : i + BATCH])
        self._call(
            collection.upsert,
            ids=[HEADER],
            metadatas=[{"embedding_model": manifest.embedding_model, "generation": uuid.uuid4().hex}],
            embeddings=[PLACEHOLDER],
        )

    def clear(self) -> None:
        """Drop the manifest (first: a reset killed halfway leaves "no index") and the texts."""
        if self._client is None:
            self._client = open_client(self.settings)
        for name in (self.manifest_name, self.texts_name):
            self._collections.pop(name, None)
            with contextlib.suppress(Exception):  # an absent collection is fine
                self._client.delete_collection(name)

    def read_text(self, sha256: str) -> str | None:
        got = self._call(self._texts().get, ids=[sha256], include=["metadatas"])
        if not got["ids"]:
            return None
        text = got["metadatas"][0].get("text")
        return text if isinstance(text, str) else None

    def write_text(self, sha256: str, text: str) -> None:
        self._call(self._texts().upsert, ids=[sha256], metadatas=[{"text": text}], embeddings=[PLACEHOLDER])

    def stored_texts(self, shas: Iterable[str]) -> set[str]:
        wanted = sorted(set(shas))
        found: set[str] = set()
        for i in range(0, len(wanted), BATCH):
            found.update(self._call(self._texts().get, ids=wanted[i : i + BATCH], include=[])["ids"])
        return found

    def prune_texts(self, keep: set[str], dropped: set[str]) -> int:
        """Only the texts of versions this ingest replaced or removed, and only when no document of the
        current manifest (``keep``) still refers to them: another replica may be about to commit a text
        it just wrote, so nothing else is deleted."""
        stale = sorted(dropped - keep)
        for i in range(0, len(stale), BATCH):
            self._call(self._texts().delete, ids=stale[i : i + BATCH])
        return len(stale)
