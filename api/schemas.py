"""The OpenAI chat-completions protocol as this server speaks it: requests in, response objects out.

Requests are validated here (a bad one gets a 400 that names the field); responses are the OpenAI
shapes plus three top-level fields the official clients expose through ``model_extra``: ``citations``
(the ``rag ask --json`` citation objects), ``refused`` and ``status``.
"""

from __future__ import annotations

import uuid
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from rag.errors import InputError
from rag.types import Answer

MODEL_ID = "rag-chat"


class TextPart(BaseModel):
    model_config = ConfigDict(extra="allow")
    type: str
    text: str | None = None


class Message(BaseModel):
    model_config = ConfigDict(extra="allow")  # name, tool_calls, ... are accepted and ignored
    role: Literal["system", "developer", "user", "assistant", "tool", "function"]
    content: str | list[TextPart] | None = None

    def text(self) -> str:
        """The message as plain text; only text content parts are understood."""
        if self.content is None:
            return ""
        if isinstance(self.content, str):
            return self.content
        other = sorted({p.type for p in self.content if p.type != "text"})
        if other:
            raise InputError(f"only text content is supported, not {', '.join(other)}")
        return "".join(p.text or "" for p in self.content)


class ChatRequest(BaseModel):
    """A ``POST /v1/chat/completions`` body. Sampling options (temperature, max_tokens, ...) are accepted
    and ignored: the server's own settings decide how the documents are answered from."""

    model_config = ConfigDict(extra="allow")
    model: str = Field(min_length=1)
    messages: list[Message] = Field(min_length=1)
    stream: bool = False
    n: int = 1

    def conversation(self) -> tuple[str, list[dict[str, str]]]:
        """``(question, history)``: the last message is the question (it must be the user's); earlier user
        and assistant messages are the history, exactly like the web chat's follow-ups. System and
        developer messages are ignored: the answer comes from the documents under the server's prompt."""
        if self.n != 1:
            raise InputError("n must be 1: one answer per request")
        talk = [m for m in self.messages if m.role not in ("system", "developer")]
        if not talk or talk[-1].role != "user":
            raise InputError("the last message must be the user's question (role 'user')")
        if any(m.role in ("tool", "function") for m in talk):
            raise InputError("tool and function messages are not supported: send user and assistant messages")
        *earlier, last = talk
        return last.text(), [{"role": m.role, "content": m.text()} for m in earlier]


def parse_request(body: bytes) -> ChatRequest:
    """The request, or ``InputError`` saying what is wrong with the body (not JSON, which field)."""
    try:
        return ChatRequest.model_validate_json(body)
    except ValidationError as exc:
        problems = []
        for err in exc.errors(include_url=False):
            where = ".".join(str(x) for x in err["loc"]) or "body"
            problems.append(
                "the request body is not valid JSON" if err["type"] == "json_invalid" else f"{where}: {err['msg']}"
            )
        raise InputError("; ".join(dict.fromkeys(problems))) from None


def new_id() -> str:
    return f"chatcmpl-{uuid.uuid4().hex}"


def answer_fields(answer: Answer) -> dict[str, Any]:
    """The extra top-level fields of a completion: citations, refused, status (and timings), and the parts of a
    two-part question whose drafted answer was withdrawn."""
    data = answer.to_json()
    fields = {key: data[key] for key in ("citations", "refused", "status", "rewritten_question", "timings")}
    return {**fields, "unanswered": list(answer.unanswered)}


def completion(answer: Answer, completion_id: str, created: int) -> dict[str, Any]:
    """A ``chat.completion`` object for a checked answer."""
    return {
        "id": completion_id,
        "object": "chat.completion",
        "created": created,
        "model": MODEL_ID,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": answer.answer},
                "finish_reason": "stop",
                "logprobs": None,
            }
        ],
        **answer_fields(answer),
    }


def chunk(completion_id: str, created: int, delta: dict[str, Any], finish: str | None = None, **extra: Any) -> dict:
    """One ``chat.completion.chunk`` of a stream."""
    return {
        "id": completion_id,
        "object": "chat.completion.chunk",
        "created": created,
        "model": MODEL_ID,
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish, "logprobs": None}],
        **extra,
    }


def error_body(message: str, kind: str = "invalid_request_error", code: str | None = None, param: str | None = None):
    """OpenAI's error shape: ``{"error": {"message", "type", "param", "code"}}``."""
    return {"error": {"message": message, "type": kind, "param": param, "code": code}}


def model_object(backend: str, created: int) -> dict[str, Any]:
    """The one model this server answers with; ``backend`` is the chat model behind it."""
    return {"id": MODEL_ID, "object": "model", "created": created, "owned_by": "rag-chat", "backend": backend}


def file_object(file_id: str, filename: str, size: int, created: int, purpose: str, **extra: Any) -> dict:
    """An OpenAI ``file`` object for an indexed document (``bytes``: its extracted text, UTF-8)."""
    return {
        "id": file_id,
        "object": "file",
        "bytes": size,
        "created_at": created,
        "filename": filename,
        "purpose": purpose,
        "status": "processed",
        **extra,
    }
