"""Measuring instruments of the benchmark: counted embedding calls, prompt tokens per chat-model
call, process memory, timed retrievals, and a description of the machine."""

from __future__ import annotations

import contextlib
import os
import platform
import re
import resource
import sys
import time
from collections.abc import Callable
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.embeddings import Embeddings

Log = Callable[[str], None]


def stderr_log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


class MeteredEmbeddings(Embeddings):
    """Wraps an embedding model and counts the work done through it (calls, texts, seconds)."""

    def __init__(self, inner: Embeddings) -> None:
        self.inner = inner
        self.reset()

    def reset(self) -> None:
        self.calls = 0
        self.texts = 0
        self.seconds = 0.0

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        started = time.perf_counter()
        out = self.inner.embed_documents(texts)
        self.seconds += time.perf_counter() - started
        self.calls += 1
        self.texts += len(texts)
        return out

    def embed_query(self, text: str) -> list[float]:
        started = time.perf_counter()
        out = self.inner.embed_query(text)
        self.seconds += time.perf_counter() - started
        self.calls += 1
        self.texts += 1
        return out


def clear_query_cache(embeddings: Embeddings) -> None:
    """Forget cached question embeddings, so that every timed retrieval embeds its question."""
    cache = getattr(embeddings, "_query_cache", None)
    if cache is not None and hasattr(cache, "cache_clear"):
        cache.cache_clear()


class PromptMeter(BaseCallbackHandler):
    """Records the prompt tokens of every chat-model call.

    The number comes from the server's usage report (``stream_usage``: llama.cpp counts the tokens of
    the templated prompt, and reports how many it reused from its prompt cache); when a backend sends
    none, the llama.cpp server's ``/apply-template`` + ``/tokenize`` are asked, and failing that the
    words are counted (marked ``estimate``).
    """

    def __init__(self, llm: Any) -> None:
        self.llm = llm
        self.calls: list[dict[str, Any]] = []
        self._messages: list[Any] | None = None

    def on_chat_model_start(self, serialized: dict, messages: list[list[Any]], **kwargs: Any) -> None:
        self._messages = messages[0] if messages else None

    def on_llm_end(self, response: Any, **kwargs: Any) -> None:
        usage = None
        with contextlib.suppress(AttributeError, IndexError):
            usage = response.generations[0][0].message.usage_metadata
        if usage and usage.get("input_tokens"):
            details = usage.get("input_token_details") or {}
            tokens, cached = int(usage["input_tokens"]), details.get("cache_read")
            self.calls.append({"input_tokens": tokens, "cached_tokens": cached, "method": "usage"})
        else:
            tokens, method = self._count(self._messages or [])
            self.calls.append({"input_tokens": tokens, "cached_tokens": None, "method": method})
        self._messages = None

    def _count(self, messages: list[Any]) -> tuple[int, str]:
        server = getattr(self.llm, "_server", None)
        if server is not None:
            try:
                import httpx

                base = server.listening_address.rstrip("/")
                key = self.llm.openai_api_key.get_secret_value() if self.llm.openai_api_key else ""
                headers = {"Authorization": f"Bearer {key}"}
                roles = {"system": "system", "human": "user", "ai": "assistant"}
                payload = [{"role": roles.get(m.type, "user"), "content": m.content} for m in messages]
                prompt = httpx.post(f"{base}/apply-template", json={"messages": payload}, headers=headers, timeout=10)
                tokens = httpx.post(
                    f"{base}/tokenize", json={"content": prompt.json()["prompt"]}, headers=headers, timeout=10
                )
                return len(tokens.json()["tokens"]), "tokenize"
            except Exception:  # noqa: BLE001, S110 - fall back to an estimate
                pass
        from rag.retrieve import approx_tokens

        return sum(approx_tokens(str(m.content)) for m in messages), "estimate"


def attach_meter(llm: Any) -> PromptMeter:
    meter = PromptMeter(llm)
    if "stream_usage" in getattr(type(llm), "model_fields", {}):
        llm.stream_usage = True  # ask for the usage report on the final streamed chunk
    llm.callbacks = [*(llm.callbacks or []), meter]
    return meter


def rss() -> dict[str, float]:
    """Peak RSS of this process (getrusage) and its current and peak RSS from /proc, in MB."""
    out = {"peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}
    try:
        status = Path("/proc/self/status").read_text()
        for key, name in (("VmRSS", "current_mb"), ("VmHWM", "hwm_mb")):
            m = re.search(rf"^{key}:\s+(\d+) kB", status, re.MULTILINE)
            if m:
                out[name] = int(m.group(1)) / 1024
    except OSError:
        pass
    return {k: round(v, 1) for k, v in out.items()}


def dir_bytes(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def machine() -> dict[str, Any]:
    """What the figures were measured on."""
    info: dict[str, Any] = {
        "platform": platform.platform(),
        "python": platform.python_version(),
        "cpu_count": os.cpu_count(),
        "cpus_usable": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count(),
    }
    try:
        cpuinfo = Path("/proc/cpuinfo").read_text()
        m = re.search(r"^model name\s*:\s*(.+)$", cpuinfo, re.MULTILINE)
        info["cpu"] = m.group(1).strip() if m else platform.processor()
        m = re.search(r"^MemTotal:\s+(\d+) kB", Path("/proc/meminfo").read_text(), re.MULTILINE)
        info["memory_gb"] = round(int(m.group(1)) / 1024 / 1024, 1) if m else None
    except OSError:
        info["cpu"] = platform.processor()
    versions = {}
    for pkg in (
        "torch",
        "sentence-transformers",
        "chromadb",
        "xllamacpp",
        "langchain-core",
        "langchain-openai",
        "langchain-text-splitters",
        "bm25s",
    ):
        try:
            versions[pkg] = version(pkg)
        except PackageNotFoundError:
            versions[pkg] = None
    info["versions"] = versions
    return info


def retrieval_latencies(retrieve: Callable[[str], Any], embeddings: Embeddings, questions: list[str]) -> list[float]:
    """Seconds per retrieval (question embedding included: the query cache is cleared first)."""
    clear_query_cache(embeddings)
    times = []
    for q in questions:
        started = time.perf_counter()
        retrieve(q)
        times.append(time.perf_counter() - started)
    return times
