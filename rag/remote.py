"""A deployed chatbot as an answerer: ``rag eval --server URL`` asks it through its OpenAI-compatible API.

``RemoteAnswerer.answer`` has the ``Pipeline.answer`` shape, so the one case runner of ``rag eval``
scores a server exactly like a local pipeline. Latency is measured here, at the client: ``ttft_s`` is
the time until the first checked sentence arrives (the server streams nothing unchecked), ``total_s``
until the stream ends; the server's own timings are kept beside them with a ``server_`` prefix.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

import openai

from rag.errors import ModelError
from rag.text import parse_markers, split_sentences
from rag.types import Answer, Citation, Sentence, Status

MODEL_ID = "rag-chat"


class RemoteAnswerer:
    """Answers questions through ``URL/v1/chat/completions`` (streamed) of a running ``rag serve``."""

    def __init__(self, url: str, api_key: str | None = None, timeout: float = 300) -> None:
        self.url = url.rstrip("/")
        base = self.url if self.url.endswith("/v1") else self.url + "/v1"
        self.client = openai.OpenAI(base_url=base, api_key=api_key or "none", timeout=timeout, max_retries=0)
        self.model_name = f"server:{self.url}"

    def _call(self, what: str, fn: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except openai.AuthenticationError as exc:
            raise ModelError(f"the server at {self.url} refused the API key ({what}): pass --api-key") from exc
        except openai.APIConnectionError as exc:
            raise ModelError(f"cannot reach the server at {self.url} ({what}): is rag serve running?") from exc
        except openai.APIError as exc:
            raise ModelError(f"the server at {self.url} failed ({what}): {exc}") from exc

    def describe(self) -> str:
        """``URL (backend)``: the model the server answers with, from ``/v1/models``."""
        models = self._call("GET /v1/models", self.client.models.list).data
        backend = next(((m.model_extra or {}).get("backend") for m in models if m.id == MODEL_ID), None)
        if backend is None:
            raise ModelError(f"{self.url} does not serve the model {MODEL_ID!r}: is it a rag serve?")
        return f"{self.url} ({backend})"

    def documents(self) -> dict[str, str]:
        """The extracted text of every document the server has indexed, keyed by source (for scoring)."""
        files = self._call("GET /v1/files", lambda: list(self.client.files.list()))
        return {
            f.filename: self._call(f"GET /v1/files/{f.id}/content", self.client.files.content, f.id).text for f in files
        }

    def answer(self, question: str, history: Sequence[dict] | None = None) -> Answer:
        started = time.perf_counter()
        messages = [*(history or []), {"role": "user", "content": question}]
        pieces: list[str] = []
        final: dict[str, Any] = {}
        ttft = None

        def read() -> None:
            nonlocal ttft
            stream = self.client.chat.completions.create(model=MODEL_ID, messages=messages, stream=True)
            for chunk in stream:
                delta = chunk.choices[0].delta.content if chunk.choices else None
                if delta:
                    ttft = ttft if ttft is not None else time.perf_counter() - started
                    pieces.append(delta)
                if chunk.model_extra and "status" in chunk.model_extra:
                    final.update(chunk.model_extra)

        self._call("POST /v1/chat/completions", read)
        if "status" not in final:
            raise ModelError(f"the stream from {self.url} ended without the final chunk (status, citations)")
        total = time.perf_counter() - started
        return to_answer(question, "".join(pieces), final, {"ttft_s": ttft or total, "total_s": total}, self.model_name)


def to_answer(question: str, text: str, final: dict[str, Any], timings: dict[str, float], model: str) -> Answer:
    """An ``Answer`` from a completion's text and its top-level fields (citations, status, timings)."""
    status = Status(final["status"])
    citations = tuple(Citation(**c) for c in final.get("citations") or [])
    sentences: tuple[Sentence, ...] = ()
    if status is Status.ANSWERED:
        parsed = [parse_markers(s) for s in split_sentences(text)]
        sentences = tuple(Sentence(body, tuple(dict.fromkeys(numbers))) for body, numbers in parsed if body)
    server = {f"server_{k}": float(v) for k, v in (final.get("timings") or {}).items()}
    return Answer(
        question=question,
        status=status,
        sentences=sentences,
        citations=citations,
        rewritten_question=final.get("rewritten_question"),
        timings={**timings, **server},
        model=model,
    )
