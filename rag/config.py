"""One frozen settings object: defaults < rag.toml < RAG_* environment < command-line flags."""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping, MutableMapping
from pathlib import Path
from typing import Any

import platformdirs
from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator, model_validator

from rag.errors import ConfigError

ENV_PREFIX = "RAG_"
# Every model is local: libraries must never reach for a hub or phone home. Set by every entry point.
OFFLINE_ENV = {"HF_HUB_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false", "ANONYMIZED_TELEMETRY": "False"}
CONFIG_FILE_NAME = "rag.toml"
# The variables other tools already use for these settings; a RAG_* variable wins over them.
CONVENTIONAL_ENV = {
    "OPENAI_API_KEY": "openai_api_key",
    "OPENAI_BASE_URL": "openai_base_url",
    "OLLAMA_HOST": "ollama_host",
}


class Settings(BaseModel):
    """Everything the pipeline, CLI and UI need; built once and passed down explicitly."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    project_root: Path = Field(default_factory=Path.cwd)
    llm: str = "local:qwen2.5-1.5b"
    embeddings: str = "sentence-transformers:all-MiniLM-L6-v2"
    data_dir: Path = Path(".rag")
    corpus_dir: Path = Path("corpus")
    model_cache_dir: Path = Field(default_factory=lambda: Path(platformdirs.user_cache_dir("rag-chat")))
    chroma_url: str | None = None
    collection: str = "documents"

    # Retrieval and answering.
    top_k: int = Field(default=4, ge=1, le=20, description="passages given to the model")
    candidates: int = Field(default=20, ge=1, le=200, description="candidates per retriever before fusion")
    rank_by_window: bool = Field(
        default=False, description="rank by meaning with each sentence embedded beside its neighbours (rag.windows)"
    )
    gate_threshold: float = Field(default=0.25, ge=-1, le=1, description="min cosine of the best passage")
    context_tokens: int = Field(default=180, ge=50, le=8000, description="token budget for sources")
    max_question_chars: int = Field(default=2000, ge=10)
    verify_with_model: bool = Field(default=True, description="ask the chat model to confirm non-verbatim claims")
    quote_when_withdrawn: bool = Field(
        default=True, description="when every drafted claim is withdrawn, answer with a checked source sentence"
    )
    quote_threshold: float = Field(
        default=0.65, ge=0, le=1, description="P(yes) a source sentence needs to be quoted as the answer"
    )
    redraft_when_declined: bool = Field(
        default=True,
        description="when the model says the documents do not say, ask it for a short answer from each top passage, "
        "checked like a draft (needs verify_with_model)",
    )
    judge_threshold: float = Field(
        default=0.8, ge=0, le=1, description="P(yes) a model check needs to keep a claim (where reported)"
    )
    judge_sure: float = Field(
        default=0.9, ge=0, le=1, description="a claim kept below this P(yes) is withdrawn if the model's answer differs"
    )

    # Model backend.
    temperature: float = Field(default=0.0, ge=0, le=2)
    max_tokens: int = Field(default=256, ge=1, le=8192)
    n_ctx: int = Field(default=4096, ge=256)
    threads: int = Field(default=2, ge=1)
    repack_weights: bool = Field(
        default=False,
        description="let llama.cpp copy the weights into CPU-specific layouts (on 2 cores here: +0.6 GB, slower)",
    )
    model_slots: int = Field(
        default=4, ge=1, le=16, description="questions the local model answers at once (llama.cpp parallel slots)"
    )
    timeout_s: float = Field(default=120.0, gt=0)
    openai_base_url: str | None = None
    openai_api_key: SecretStr | None = Field(default=None, repr=False)
    ollama_host: str | None = None

    # Web chat.
    host: str = "127.0.0.1"
    port: int = Field(default=7860, ge=0, le=65535)
    auth: str | None = Field(default=None, repr=False)
    max_upload_bytes: int = Field(default=20_000_000, ge=1)  # PDFs are often several MB
    # OpenAI-compatible API (/v1 on the same port): bearer keys; empty = no key needed (loopback default).
    api_keys: list[SecretStr] = Field(default=[], repr=False)

    @field_validator("api_keys", mode="before")
    @classmethod
    def _comma_separated(cls, value: Any) -> Any:
        if isinstance(value, str):  # RAG_API_KEYS="key1,key2"
            return [k.strip() for k in value.split(",") if k.strip()]
        return value

    @model_validator(mode="after")
    def _judge_band(self) -> Settings:
        if self.judge_sure < self.judge_threshold:
            raise ValueError(
                f"judge_sure ({self.judge_sure}) is below judge_threshold ({self.judge_threshold}); "
                "set them equal for no second opinion"
            )
        return self

    @field_validator("llm", "embeddings")
    @classmethod
    def _spec_has_provider(cls, value: str) -> str:
        if ":" not in value and value != "fake":
            raise ValueError(f"expected 'provider:model', got {value!r}")
        return value

    def resolve(self, path: Path) -> Path:
        """Return ``path`` made absolute against the project root."""
        return path if path.is_absolute() else self.project_root / path

    @property
    def data_path(self) -> Path:
        return self.resolve(self.data_dir)

    @property
    def corpus_path(self) -> Path:
        return self.resolve(self.corpus_dir)

    def relative_source(self, path: Path) -> str:
        """A document's path relative to the project root (as cited), or absolute if outside it."""
        path = path.resolve()
        try:
            return path.relative_to(self.project_root.resolve()).as_posix()
        except ValueError:
            return path.as_posix()


def use_offline_env(environ: MutableMapping[str, str]) -> None:
    """Apply ``OFFLINE_ENV`` to ``environ`` (values already set are kept)."""
    for key, value in OFFLINE_ENV.items():
        environ.setdefault(key, value)


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as fh:
            data = tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path} is not valid TOML: {exc}. Fix the file or remove it.") from exc
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path} is not UTF-8 text (byte {exc.start}). Re-save it as UTF-8 or remove it.") from None
    except OSError as exc:
        raise ConfigError(f"cannot read config file {path}: {exc}") from exc
    return data


def _from_env(env: Mapping[str, str]) -> dict[str, Any]:
    fields = Settings.model_fields
    values: dict[str, Any] = {name: env[key] for key, name in CONVENTIONAL_ENV.items() if env.get(key)}
    for key, raw in env.items():
        if not key.startswith(ENV_PREFIX):
            continue
        name = key[len(ENV_PREFIX) :].lower()
        if name in fields and name != "project_root":
            values[name] = raw if raw != "" or name in ("auth", "chroma_url") else None
    return {k: v for k, v in values.items() if v is not None}


def load_settings(
    project_root: Path | None = None,
    config_file: Path | None = None,
    env: Mapping[str, str] | None = None,
    **overrides: Any,
) -> Settings:
    """Build the settings: defaults < ``rag.toml`` < ``RAG_*`` in ``env`` < ``overrides`` (flags).

    ``env`` defaults to ``os.environ``; tests pass an explicit mapping. ``overrides`` whose value
    is ``None`` are ignored, so unset CLI flags fall through.
    """
    env = os.environ if env is None else env
    root = (project_root or Path.cwd()).resolve()
    merged: dict[str, Any] = {"project_root": root}
    toml_path = config_file or (root / CONFIG_FILE_NAME)
    if config_file is not None and not config_file.exists():
        raise ConfigError(f"config file {config_file} does not exist")
    if toml_path.exists():
        merged.update(_read_toml(toml_path))
    merged.update(_from_env(env))
    merged.update({k: v for k, v in overrides.items() if v is not None})
    try:
        return Settings.model_validate(merged)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or 'settings'}: {err['msg']}" for err in exc.errors()
        )
        raise ConfigError(f"invalid settings ({problems}). Check {toml_path.name}, RAG_* variables and flags.") from exc
