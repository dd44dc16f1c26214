"""``/v1``: OpenAI-compatible chat completions, models and files, beside the web chat on one port.

Every answer goes through the same pipeline as the web chat (retrieve, generate, ground, verify). A
stream never shows an unchecked claim: the draft is generated and checked first, then the checked
answer is streamed sentence by sentence, and the last chunk carries ``citations``, ``refused`` and
``status`` (README: "The OpenAI-compatible API"). With ``RAG_API_KEYS`` set, every ``/v1`` request
needs ``Authorization: Bearer <key>``.
"""

from __future__ import annotations

import json
import secrets
import shutil
import tempfile
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Annotated

import anyio
from fastapi import APIRouter, Depends, FastAPI, File, Form, Request, UploadFile
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, PlainTextResponse, StreamingResponse

from api.schemas import (
    MODEL_ID,
    answer_fields,
    chunk,
    completion,
    error_body,
    file_object,
    model_object,
    new_id,
    parse_request,
)
from rag.chain import Pipeline, Token, clean_history, clean_question
from rag.config import Settings
from rag.errors import IndexError_, InputError, ModelError, RagError
from rag.store import Index
from rag.types import Answer
from ui.uploads import Uploader, safe_filename


class ApiError(Exception):
    """An error answered with OpenAI's error body and ``status``."""

    def __init__(
        self,
        status: int,
        message: str,
        kind: str = "invalid_request_error",
        code: str | None = None,
        param: str | None = None,
    ):
        super().__init__(message)
        self.status, self.kind, self.code, self.param = status, kind, code, param


def from_rag_error(exc: RagError) -> ApiError:
    """Our errors as HTTP: bad input 400, no usable index 503, the model backend failing 502."""
    if isinstance(exc, InputError):
        return ApiError(400, str(exc))
    if isinstance(exc, IndexError_):
        return ApiError(503, str(exc), "server_error", "index_unavailable")
    if isinstance(exc, ModelError):
        return ApiError(502, str(exc), "server_error", "model_unavailable")
    return ApiError(500, str(exc), "server_error")


def _error_response(exc: ApiError) -> JSONResponse:
    headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None
    body = error_body(str(exc), exc.kind, exc.code, exc.param)
    return JSONResponse(body, status_code=exc.status, headers=headers)


def sse(data: dict | str) -> str:
    """One server-sent event."""
    return f"data: {data if isinstance(data, str) else json.dumps(data, ensure_ascii=False)}\n\n"


def sentence_pieces(answer: Answer) -> Iterator[str]:
    """The checked answer as stream deltas, one sentence each (markers kept), or the refusal."""
    if answer.refused:
        yield answer.answer
        return
    for i, sentence in enumerate(answer.sentences):
        yield ("" if i == 0 else " ") + sentence.render()


async def stream_answer(pipeline: Pipeline, question: str, history: list[dict], cid: str) -> AsyncIterator[str]:
    """The SSE stream of one answer: a role chunk at once, the checked sentences once the answer is
    checked, a final chunk with ``citations``/``refused``/``status``, then ``[DONE]``. A client that
    goes away stops the model: the pipeline's generator is closed, which closes its model request."""
    created = int(time.time())
    events = pipeline.stream(question, history)
    try:
        yield sse(chunk(cid, created, {"role": "assistant", "content": ""}))
        answer = None
        while answer is None:  # the draft's tokens are not shown: they are not checked yet
            event = await anyio.to_thread.run_sync(next, events, None)
            if event is None:
                raise RagError("the answer stream ended without an answer")
            if not isinstance(event, Token):
                answer = event
        for piece in sentence_pieces(answer):
            yield sse(chunk(cid, created, {"content": piece}))
        yield sse(chunk(cid, created, {}, "stop", **answer_fields(answer)))
    except RagError as exc:  # after the headers: the error travels in the stream (the SDKs raise it)
        err = from_rag_error(exc)
        yield sse(error_body(str(err), err.kind, err.code))
    finally:
        events.close()
    yield sse("[DONE]")


def openai_router(settings: Settings, pipeline: Pipeline, uploader: Uploader) -> APIRouter:
    """The ``/v1`` routes over one pipeline (the one the web chat uses)."""
    started = int(time.time())
    keys = [k.get_secret_value().encode() for k in settings.api_keys]

    def authorize(request: Request) -> None:
        if not keys:
            return
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise ApiError(
                401,
                "No API key: send the header 'Authorization: Bearer <key>' (the server's keys are RAG_API_KEYS)",
                code="missing_api_key",
            )
        given = token.strip().encode()
        if not any(secrets.compare_digest(given, key) for key in keys):  # the key is never echoed or logged
            raise ApiError(401, "Incorrect API key provided.", code="invalid_api_key")

    router = APIRouter(prefix="/v1", dependencies=[Depends(authorize)])

    @router.get("/models")
    def list_models() -> dict:
        return {"object": "list", "data": [model_object(settings.llm, started)]}

    @router.get("/models/{model_id}")
    def get_model(model_id: str) -> dict:
        _check_model(model_id)
        return model_object(settings.llm, started)

    @router.post("/chat/completions", response_model=None)
    async def chat_completions(request: Request) -> JSONResponse | StreamingResponse:
        req = parse_request(await request.body())
        _check_model(req.model)
        question, history = req.conversation()
        clean_question(question, settings.max_question_chars)  # a bad question is a 400 before any stream
        clean_history(history)
        if req.stream:
            return StreamingResponse(
                stream_answer(pipeline, question, history, new_id()),
                media_type="text/event-stream",
                headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
            )
        answer = await anyio.to_thread.run_sync(pipeline.answer, question, history)
        return JSONResponse(completion(answer, new_id(), int(time.time())))

    def current_index() -> Index:
        pipeline.refresh_index()  # another replica may have added documents to a shared store
        return pipeline.index

    @router.get("/files")
    def list_files() -> dict:
        index = current_index()
        data = [_file(index, source) for source in sorted(index.manifest.documents)]
        return {"object": "list", "data": data, "has_more": False}  # one page: the SDKs stop paging here

    @router.post("/files")
    async def upload_file(file: Annotated[UploadFile, File()], purpose: Annotated[str, Form()] = "assistants") -> dict:
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / safe_filename(file.filename or "upload")  # never outside the temp folder
            with path.open("wb") as out:  # already received (spooled by Starlette); save_upload checks the size
                shutil.copyfileobj(file.file, out)
            (result,) = await anyio.to_thread.run_sync(uploader.add, [path])
        if result.error or result.source is None:
            raise ApiError(400, result.error or f"{result.name} was not added", param="file")
        return _file(pipeline.index, result.source, purpose)

    @router.get("/files/{file_id}")
    def get_file(file_id: str) -> dict:
        index = current_index()
        return _file(index, _source_of(index, file_id))

    @router.get("/files/{file_id}/content")
    def file_content(file_id: str) -> PlainTextResponse:
        index = current_index()
        text = index.document_text(_source_of(index, file_id))
        if text is None:
            raise ApiError(404, f"the extracted text of {file_id} is missing; run: rag ingest", code="file_not_found")
        return PlainTextResponse(text)

    def _check_model(model: str) -> None:
        if model != MODEL_ID:
            raise ApiError(
                404,
                f"The model {model!r} does not exist: this server answers as {MODEL_ID!r}",
                code="model_not_found",
                param="model",
            )

    def _file(index: Index, source: str, purpose: str = "assistants") -> dict:
        entry = index.manifest.documents[source]
        text = index.document_text(source) or ""
        return file_object(
            f"file-{entry.sha256}",
            source,
            len(text.encode("utf-8")),
            started,
            purpose,
            title=entry.title,
            chunks=entry.chunks,
            pages=len(entry.pages) or None,
        )

    def _source_of(index: Index, file_id: str) -> str:
        for source, entry in index.manifest.documents.items():
            if file_id == f"file-{entry.sha256}":
                return source
        raise ApiError(
            404, f"no indexed document has the id {file_id!r} (GET /v1/files lists them)", code="file_not_found"
        )

    return router


def install(app: FastAPI, settings: Settings, pipeline: Pipeline, uploader: Uploader) -> None:
    """Add the ``/v1`` routes to ``app`` and answer their errors in OpenAI's shape."""
    app.include_router(openai_router(settings, pipeline, uploader))

    @app.exception_handler(ApiError)
    async def api_error(request: Request, exc: ApiError) -> JSONResponse:
        return _error_response(exc)

    @app.exception_handler(RagError)
    async def rag_error(request: Request, exc: RagError) -> JSONResponse:
        return _error_response(from_rag_error(exc))

    @app.exception_handler(RequestValidationError)
    async def bad_request(request: Request, exc: RequestValidationError) -> JSONResponse:
        where = "; ".join(f"{'.'.join(str(x) for x in e['loc'])}: {e['msg']}" for e in exc.errors())
        return _error_response(ApiError(400, f"invalid request: {where}"))
