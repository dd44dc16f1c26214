"""Loopback servers for backend tests: a real llama.cpp server, an Ollama-protocol adapter and a
recording proxy in front of it, and a tiny transformers model directory made on the spot."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any


@contextmanager
def ollama_adapter(llama_server: Any) -> Iterator[str]:
    """An HTTP server on 127.0.0.1 that speaks Ollama's /api/chat and answers with the real
    llama.cpp model behind it (no Ollama server can be installed here)."""

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:  # keep test output clean
            pass

        def do_POST(self) -> None:  # noqa: N802 - http.server API
            if self.path != "/api/chat":
                self.send_error(404)
                return
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            options = body.get("options") or {}
            reply = llama_server.handle_chat_completions(
                {
                    "messages": body["messages"],
                    "max_tokens": options.get("num_predict", 128),
                    "temperature": options.get("temperature", 0),
                }
            )
            text = reply["choices"][0]["message"]["content"]
            now = datetime.now(UTC).isoformat()
            pieces = [w + " " for w in text.split(" ")]
            self.send_response(200)
            self.send_header("Content-Type", "application/x-ndjson")
            self.end_headers()
            for piece in pieces if body.get("stream", True) else ["".join(pieces)]:
                line = {
                    "model": body["model"],
                    "created_at": now,
                    "message": {"role": "assistant", "content": piece},
                    "done": False,
                }
                self.wfile.write((json.dumps(line) + "\n").encode())
            usage = reply.get("usage", {})
            final = {
                "model": body["model"],
                "created_at": now,
                "message": {"role": "assistant", "content": ""},
                "done": True,
                "done_reason": "stop",
                "prompt_eval_count": usage.get("prompt_tokens", 0),
                "eval_count": usage.get("completion_tokens", 0),
            }
            self.wfile.write((json.dumps(final) + "\n").encode())

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@contextmanager
def recording_proxy(target: str) -> Iterator[tuple[str, list[dict]]]:
    """An HTTP proxy on 127.0.0.1 in front of ``target`` (e.g. a real llama.cpp server) that keeps the
    JSON body of every POST: tests assert on what the model was given while a real model answers.

    Yields (the proxy's base URL, the list of request bodies, appended as requests arrive)."""
    import httpx

    received: list[dict] = []

    class Handler(BaseHTTPRequestHandler):  # HTTP/1.0: the reply ends when the connection closes
        def log_message(self, *args: Any) -> None:
            pass

        def do_POST(self) -> None:  # noqa: N802 - http.server API
            body = self.rfile.read(int(self.headers["Content-Length"]))
            received.append(json.loads(body))
            headers = {k: v for k, v in self.headers.items() if k.lower() in ("authorization", "content-type")}
            with httpx.stream("POST", target + self.path, content=body, headers=headers, timeout=120) as reply:
                self.send_response(reply.status_code)
                self.send_header("Content-Type", reply.headers.get("content-type", "application/json"))
                self.end_headers()
                for piece in reply.iter_raw():
                    self.wfile.write(piece)
                    self.wfile.flush()

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", received
    finally:
        server.shutdown()
        server.server_close()


@contextmanager
def echoing_server(status: int) -> Iterator[str]:
    """An OpenAI-style server on 127.0.0.1 that fails every request with ``status`` and an error body
    quoting the request's Authorization header (as some proxies and gateways do)."""

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def do_POST(self) -> None:  # noqa: N802 - http.server API
            self.rfile.read(int(self.headers.get("Content-Length", 0)))
            error = {"message": f"upstream refused {self.headers.get('Authorization')}", "type": "server_error"}
            body = json.dumps({"error": error}).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def tiny_transformers_model(directory: Path, training_text: str) -> Path:
    """A randomly initialised 1-layer GPT-2 with a word-level tokenizer and a chat template,
    saved with ``save_pretrained``: exercises the real loading and generation path offline."""
    import torch
    from tokenizers import Tokenizer, models, pre_tokenizers, trainers
    from transformers import GPT2Config, GPT2LMHeadModel, PreTrainedTokenizerFast

    tok = Tokenizer(models.WordLevel(unk_token="[UNK]"))
    tok.pre_tokenizer = pre_tokenizers.Whitespace()
    tok.train_from_iterator(
        [training_text], trainers.WordLevelTrainer(special_tokens=["[UNK]", "[PAD]", "<s>", "</s>"])
    )
    fast = PreTrainedTokenizerFast(
        tokenizer_object=tok, unk_token="[UNK]", pad_token="[PAD]", bos_token="<s>", eos_token="</s>"
    )
    fast.chat_template = "{% for m in messages %}{{ m['role'] }}: {{ m['content'] }}\n{% endfor %}assistant:"
    config = GPT2Config(
        vocab_size=len(fast),
        n_positions=2048,
        n_embd=32,
        n_layer=1,
        n_head=2,
        bos_token_id=2,
        eos_token_id=3,
        pad_token_id=1,
    )
    torch.manual_seed(0)  # the same random weights every run: what they write, and so the test, is repeatable
    GPT2LMHeadModel(config).save_pretrained(directory)
    fast.save_pretrained(directory)
    return directory
