"""Two real ``rag serve`` replicas (separate project folders and data dirs) behind one real ``chroma run``
on 127.0.0.1, used through their OpenAI-compatible API with the official client: a document uploaded
through one replica is listed and answerable through the other within seconds, and uploads through both
at once end with every document once, every chunk once, and both replicas agreeing."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import openai
import pytest

from tests.reliability.helpers import CHROMA, ChromaServer, cli_env, free_port, new_project
from tests.reliability.test_shared_index import shared_env

pytestmark = pytest.mark.slow
ANSWER = "The Zorblax protocol was invented by Quintessa Marlowe [1]."


class Replica:
    def __init__(self, project: Path, env: dict[str, str]) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/"
        self.log = project / "serve.log"
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "rag.cli", "serve", "--port", str(self.port)],
            cwd=project,
            env=cli_env(**env),
            stdout=self.log.open("w"),
            stderr=subprocess.STDOUT,
        )

    def wait(self) -> None:
        deadline = time.monotonic() + 120
        while True:
            assert self.proc.poll() is None, self.log.read_text()[-3000:]
            assert time.monotonic() < deadline, "rag serve did not start within 120 s"
            try:
                if httpx.get(self.url + "v1/models", timeout=2).is_success:
                    return
            except httpx.HTTPError:
                time.sleep(0.5)

    @property
    def client(self) -> openai.OpenAI:
        return openai.OpenAI(base_url=self.url + "v1", api_key="unused", max_retries=0, timeout=60)

    def files(self) -> dict[str, str]:
        return {f.filename: f.id for f in self.client.files.list()}

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        assert "Traceback" not in self.log.read_text(), self.log.read_text()[-3000:]


@pytest.fixture(scope="module")
def replicas(tmp_path_factory) -> Iterator[tuple[Replica, Replica, ChromaServer]]:
    if not CHROMA.exists():
        pytest.skip(f"{CHROMA} not found (chromadb's console script)")
    root = tmp_path_factory.mktemp("replicas")
    chroma = ChromaServer(root / "db", free_port(), root / "chroma.log")
    chroma.start()
    env = {**shared_env(chroma, "served"), "RAG_LLM": f"fake:{ANSWER}"}
    a = Replica(new_project(root / "a"), env)
    b = Replica(new_project(root / "b"), env)
    try:
        a.wait()
        b.wait()
        yield a, b, chroma
    finally:
        a.stop()
        b.stop()
        chroma.stop()


def note(tmp: Path, name: str, text: str) -> Path:
    path = tmp / name
    path.write_text(text, encoding="utf-8")
    return path


def test_upload_through_one_replica_is_answerable_through_the_other(replicas, tmp_path):
    a, b, _ = replicas
    path = note(tmp_path, "zorblax.md", "The Zorblax protocol was invented by Quintessa Marlowe in 2031.\n")
    uploaded = a.client.files.create(file=path.open("rb"), purpose="assistants")
    started = time.monotonic()
    while uploaded.filename not in b.files():
        assert time.monotonic() - started < 10, "replica B did not see A's upload within 10 s"
        time.sleep(0.2)
    print(f"\nB listed A's upload after {time.monotonic() - started:.2f} s")
    assert "Quintessa Marlowe" in b.client.files.content(uploaded.id).text  # B never had the file
    reply = b.client.chat.completions.create(
        model="rag-chat", messages=[{"role": "user", "content": "Who invented the Zorblax protocol?"}]
    )
    assert reply.model_extra["status"] == "answered"
    assert reply.model_extra["citations"][0]["source"] == uploaded.filename == ".rag/uploads/zorblax.md"


def test_uploads_through_both_replicas_at_once_neither_lose_nor_duplicate(replicas, tmp_path):
    import chromadb

    a, b, chroma = replicas
    files = {
        name: note(tmp_path, name, f"The {name[:-3]} device was built in {1900 + i} by engineer number {i}.\n" * 3)
        for i, name in enumerate(["alpha.md", "beta.md", "gamma.md", "delta.md"])
    }
    same = note(tmp_path, "shared.md", "Both replicas received this identical shared file.\n")
    jobs = [(a, files["alpha.md"]), (b, files["beta.md"]), (a, files["gamma.md"]), (b, files["delta.md"])]
    jobs += [(a, same), (b, same)]
    errors: list[BaseException] = []

    def upload(replica: Replica, path: Path) -> None:
        try:
            replica.client.files.create(file=path.open("rb"), purpose="assistants")
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=upload, args=job) for job in jobs]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors, errors
    time.sleep(1.5)  # past one staleness check
    listed_a, listed_b = a.files(), b.files()
    assert listed_a == listed_b
    expected = {f".rag/uploads/{n}" for n in [*files, "shared.md"]}
    assert expected <= set(listed_a)
    client = chromadb.HttpClient(host="127.0.0.1", port=chroma.port)
    collection = client.get_collection("served")
    metas = collection.get(include=["metadatas"])["metadatas"]
    chunks_by_source: dict[str, int] = {}
    for meta in metas:
        chunks_by_source[meta["source"]] = chunks_by_source.get(meta["source"], 0) + 1
    listed_chunks = {f.filename: f.model_extra["chunks"] for f in a.client.files.list()}
    assert chunks_by_source == listed_chunks  # every chunk once, none left over, none missing
