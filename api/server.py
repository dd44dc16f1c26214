"""One process, one port: the web chat at ``/`` and the OpenAI-compatible API at ``/v1``.

``create_app`` puts the Gradio page inside a FastAPI app (``gr.mount_gradio_app``) beside the ``/v1``
routes; ``run`` serves it with uvicorn until stopped (``rag serve``); ``start`` serves it from a thread
and returns a handle (tests, benchmarks).
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from dataclasses import dataclass

import gradio as gr
import uvicorn
from fastapi import FastAPI

from api.routes import install
from rag.chain import Pipeline
from rag.config import Settings
from rag.errors import ConfigError
from ui.app import build_app, page_options
from ui.uploads import Uploader


def create_app(settings: Settings, pipeline: Pipeline, problems: list[str] | None = None) -> FastAPI:
    """The web chat and ``/v1`` over one loaded pipeline (they share it, and one upload queue)."""
    app = FastAPI(title="rag-chat", docs_url=None, redoc_url=None, openapi_url=None)
    uploader = Uploader(settings, pipeline)
    install(app, settings, pipeline, uploader)  # before the page: /v1 is matched first
    blocks = build_app(settings, pipeline, problems, uploader)
    return gr.mount_gradio_app(app, blocks, path="/", **page_options(settings))


def bind(settings: Settings) -> socket.socket:
    """The listening socket on ``settings.host:settings.port``; a clear error when it is taken."""
    family = socket.AF_INET6 if ":" in settings.host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((settings.host, settings.port))
    except OSError as exc:
        sock.close()
        raise ConfigError(
            f"cannot listen on {settings.host}:{settings.port} ({exc.strerror or exc}). Is another rag serve "
            "running? Pick another port with --port (or RAG_PORT)"
        ) from None
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


def _server(app: FastAPI) -> uvicorn.Server:
    # No access log: the page polls a lot, and nothing about a request needs to be on disk.
    return uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False, timeout_graceful_shutdown=5))


def url_of(settings: Settings, sock: socket.socket) -> str:
    host = settings.host if settings.host not in ("0.0.0.0", "::") else "127.0.0.1"
    return f"http://{host}:{sock.getsockname()[1]}/"


def run(app: FastAPI, settings: Settings, announce=print) -> None:
    """Serve until interrupted (Ctrl-C or SIGTERM)."""
    sock = bind(settings)
    url = url_of(settings, sock)
    announce(f"Web chat: {url}\nOpenAI-compatible API: {url}v1 (model 'rag-chat')")
    _server(app).run(sockets=[sock])


@dataclass
class Running:
    """A server started by ``start``: its URL, and ``close()`` to stop it."""

    url: str
    server: uvicorn.Server
    thread: threading.Thread

    def close(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=15)


def start(app: FastAPI, settings: Settings, timeout: float = 60) -> Running:
    """Serve ``app`` from a background thread (port 0: any free port); returns once it accepts requests."""
    sock = bind(settings)
    server = _server(app)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True, name="rag-serve")
    thread.start()
    deadline = time.monotonic() + timeout
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            with contextlib.suppress(OSError):
                sock.close()
            raise RuntimeError("the server did not start (see the log above)")
        time.sleep(0.05)
    return Running(url_of(settings, sock), server, thread)
