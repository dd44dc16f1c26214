"""Opening Chroma: an embedded folder under the data directory, or a server (``RAG_CHROMA_URL``), with
errors that say what to do."""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Any

from rag.config import Settings
from rag.errors import IndexError_


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


def windows_name(settings: Settings) -> str:
    """The collection of window vectors (``rag.windows``) beside the chunk collection."""
    return f"{settings.collection}-windows"


def open_collection(settings: Settings, client: Any | None = None, windows: bool = False) -> Any:
    """The chunk collection, or with ``windows`` the window-vector collection beside it."""
    client = client or open_client(settings)
    try:
        return client.get_or_create_collection(
            windows_name(settings) if windows else settings.collection,
            configuration={"hnsw": {"space": "cosine"}},
            metadata={"embedding_model": settings.embeddings},
        )
    except Exception as exc:  # noqa: BLE001
        if settings.chroma_url:
            raise IndexError_(unavailable(settings, exc)) from exc
        raise IndexError_(
            f"cannot open collection {settings.collection!r}: {exc}. Rebuild it with: rag ingest --reset"
        ) from exc
