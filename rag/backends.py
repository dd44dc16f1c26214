"""Chat-model backends keyed by ``provider:model`` (LangChain's ``init_chat_model`` convention).

Factories are imported lazily, so a missing optional package only matters when it is used, and the
error names the extra to install. Third parties add providers through the ``rag.providers``
entry-point group (``rag.registry``): an entry point named ``myprov`` pointing at
``factory(model: str, settings)`` makes ``myprov:some-model`` available. Keys and server addresses
come from the settings (``OPENAI_API_KEY``, ``OLLAMA_HOST`` ... are read there, once).
"""

from __future__ import annotations

import itertools
import re
import secrets
from collections.abc import Callable
from pathlib import Path
from typing import Any

from langchain_core.language_models import BaseChatModel
from pydantic import PrivateAttr

from rag.config import Settings
from rag.errors import ModelError
from rag.registry import Registry

Factory = Callable[[str, Settings], BaseChatModel]
ENTRY_POINT_GROUP = "rag.providers"


def _openai_chat(model: str, settings: Settings, base_url: str | None, api_key: str | None) -> BaseChatModel:
    from langchain_openai import ChatOpenAI

    return ChatOpenAI(
        model=model,
        base_url=base_url,
        api_key=api_key or "not-needed",
        temperature=settings.temperature,
        max_tokens=settings.max_tokens,
        timeout=settings.timeout_s,
        max_retries=1,
        stream_usage=True,
    )


def _local_chat_class() -> type[BaseChatModel]:
    from langchain_openai import ChatOpenAI

    class LocalChatModel(ChatOpenAI):
        """ChatOpenAI talking to an in-process llama.cpp server on a loopback port it owns."""

        _server: Any = PrivateAttr(default=None)

    return LocalChatModel


def start_llama_server(model_path: Path, settings: Settings, api_key: str) -> Any:
    """Start xllamacpp's OpenAI-compatible server in this process on 127.0.0.1 (random port)."""
    import xllamacpp

    params = xllamacpp.CommonParams()
    params.model.path = str(model_path)
    params.n_ctx = settings.n_ctx * settings.model_slots  # llama.cpp splits the context across its slots
    params.cpuparams.n_threads = settings.threads
    params.cpuparams_batch.n_threads = settings.threads
    params.n_parallel = settings.model_slots  # continuous batching across simultaneous questions
    params.cache_prompt = True  # the fixed system prompt prefix is reused across questions
    # llama.cpp's "extra buffer types" repack the weights for its CPU matrix kernels: a second,
    # anonymous copy of most of the model beside the mapped file. Measured with the 1.5B model on
    # 2 cores: off, peak RSS 3.17 -> 2.57 GB and prompt processing p50 2.35-2.54 -> 2.01-2.05 s.
    params.no_extra_bufts = not settings.repack_weights
    params.api_keys = [api_key]
    params.verbosity = -1
    try:
        return xllamacpp.Server(params)
    except Exception as exc:  # noqa: BLE001
        raise ModelError(f"llama.cpp could not load {model_path}: {exc}") from exc


def _local(model: str, settings: Settings) -> BaseChatModel:
    from rag.models import BUNDLED, resolve_bundled

    if model in BUNDLED:
        path = resolve_bundled(model, settings.model_cache_dir)
    else:
        path = Path(model).expanduser()
        if path.suffix != ".gguf" or not path.is_file():
            raise ModelError(
                f"local model {model!r} is neither bundled ({', '.join(BUNDLED)}) nor an existing .gguf file"
            )
    key = secrets.token_urlsafe(16)
    server = start_llama_server(path, settings, key)
    chat = _local_chat_class()(
        model=model,
        base_url=server.listening_address.rstrip("/") + "/v1",
        api_key=key,
        temperature=settings.temperature,
        max_tokens=settings.max_tokens,
        timeout=settings.timeout_s,
        max_retries=0,
        seed=0,
    )
    chat._server = server  # lives as long as the chat model
    return chat


def _openai(model: str, settings: Settings) -> BaseChatModel:
    base_url = settings.openai_base_url
    api_key = settings.openai_api_key.get_secret_value() if settings.openai_api_key else None
    if not base_url and not api_key:
        raise ModelError(
            "openai: needs OPENAI_API_KEY for api.openai.com, or RAG_OPENAI_BASE_URL for a compatible "
            "server (vLLM, llama.cpp server, LM Studio, Ollama's /v1)"
        )
    return _openai_chat(model, settings, base_url, api_key)


def _ollama(model: str, settings: Settings) -> BaseChatModel:
    try:
        from langchain_ollama import ChatOllama
    except ImportError:
        raise ModelError('the ollama provider needs an extra: pip install ".[ollama]"') from None
    return ChatOllama(
        model=model,
        base_url=settings.ollama_host,
        temperature=settings.temperature,
        num_predict=settings.max_tokens,
        num_ctx=settings.n_ctx,
        client_kwargs={"timeout": settings.timeout_s},
    )


def _huggingface(model: str, settings: Settings) -> BaseChatModel:
    """A local transformers model directory (never a hub download), through langchain-huggingface."""
    try:
        from langchain_huggingface import ChatHuggingFace, HuggingFacePipeline
    except ImportError:
        raise ModelError('the huggingface provider needs an extra: pip install ".[huggingface]"') from None
    path = Path(model).expanduser()
    if not (path / "config.json").is_file():
        raise ModelError(
            f"huggingface:{model} is not a local transformers model directory (no config.json); "
            "models are never downloaded at run time"
        )
    try:
        pipe = HuggingFacePipeline.from_model_id(
            model_id=str(path),
            task="text-generation",
            model_kwargs={"local_files_only": True},
            pipeline_kwargs={"max_new_tokens": settings.max_tokens, "do_sample": False, "return_full_text": False},
        )
    except Exception as exc:  # noqa: BLE001
        raise ModelError(f"cannot load the transformers model in {path}: {exc}") from exc
    return ChatHuggingFace(llm=pipe, model_id=str(path))


def _fake(model: str, settings: Settings) -> BaseChatModel:
    """``fake:<reply>`` always answers ``<reply>``; ``fake:@file.txt`` cycles through its lines.

    Replies stream word by word and are cut at ``max_tokens`` words, like a real backend.
    """
    from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
    from langchain_core.messages import AIMessage

    if model.startswith("@"):
        replies = [line for line in Path(model[1:]).read_text(encoding="utf-8").splitlines() if line.strip()]
    else:
        replies = [model or "The documents do not say."]
    cut = [" ".join(r.split(" ")[: settings.max_tokens]) for r in replies]
    return GenericFakeChatModel(messages=(AIMessage(content=r) for r in itertools.cycle(cut)))


PROVIDERS: Registry[Factory] = Registry(
    "model provider",
    ENTRY_POINT_GROUP,
    {"local": _local, "openai": _openai, "ollama": _ollama, "huggingface": _huggingface, "fake": _fake},
    error=ModelError,
)


SECRET_SHAPES = re.compile(r"(?i)(bearer\s+|api[_-]?key[\"']?\s*[:=]\s*[\"']?)[^\s\"',}]+|\bsk-[A-Za-z0-9_-]{8,}")
MAX_DETAIL = 300


def redact(text: str, settings: Settings) -> str:
    """``text`` without the configured API key or anything shaped like a credential."""
    key = settings.openai_api_key.get_secret_value() if settings.openai_api_key else ""
    if key:
        text = text.replace(key, "[redacted]")
    return SECRET_SHAPES.sub(lambda m: (m.group(1) or "") + "[redacted]", text)


def explain_failure(exc: Exception, spec: str, settings: Settings) -> str:
    """A backend exception as a sentence that says what to check; credentials a server echoes back
    in its error body are redacted, and the detail is cut short."""
    name = exc.__class__.__name__
    text = redact(str(exc), settings)[:MAX_DETAIL]
    if "AuthenticationError" in name or "PermissionDenied" in name or "401" in text:  # also OpenAI*Error
        return f"{spec}: the server rejected the API key; check OPENAI_API_KEY (or the server's key)"
    if "Timeout" in name or "timed out" in text.lower():
        return f"{spec}: no answer within {settings.timeout_s:g} s (timeout_s); is the server overloaded or stuck?"
    if "ConnectionError" in name or name == "ConnectError" or "connect" in text.lower():
        return f"{spec}: cannot connect to the model server; is it running at the configured URL?"
    if name.endswith("NotFoundError") or "404" in text:
        return f"{spec}: the server does not know this model; check the model name"
    return f"{spec} failed: {name}: {text}"


def parse_spec(spec: str) -> tuple[str, str]:
    provider, sep, model = spec.partition(":")
    if not sep or not provider:
        raise ModelError(f"model spec {spec!r} must look like 'provider:model', e.g. local:qwen2.5-1.5b")
    return provider, model


def make_chat_model(settings: Settings, spec: str | None = None) -> BaseChatModel:
    """Build the chat model for ``spec`` (default ``settings.llm``); raises ``ModelError`` clearly."""
    provider, model = parse_spec(spec or settings.llm)
    return PROVIDERS.get(provider)(model, settings)
