"""Replicas that share one index: several project folders (each with its own RAG_DATA_DIR) pointed at
one real `chroma run` server on 127.0.0.1. The manifest and the extracted texts live in the server, so a
replica answers from documents it never saw, two replicas ingesting at once neither lose nor duplicate
anything, and a running pipeline notices another replica's commit within seconds."""

from __future__ import annotations

import hashlib
import json
import random
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from ingest.pipeline import BATCH, ingest
from rag.chain import STALE_CHECK_S, Pipeline
from rag.embeddings import make_embeddings
from rag.shared import ChromaManifestStore
from rag.store import Index
from tests.conftest import ARTICLE, ROOT
from tests.integration.conftest import settings_for
from tests.reliability.helpers import (
    FAKE_LLM,
    ChromaServer,
    cli_env,
    new_project,
    rag,
    running_chroma,
)

pytestmark = pytest.mark.slow
QUESTION = "How many people chat with ChatGPT every week?"
SOURCE = f"corpus/{ARTICLE.name}"
ROUNDS = 6


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ChromaServer]:
    yield from running_chroma(tmp_path_factory)


def shared_env(server: ChromaServer, collection: str) -> dict[str, str]:
    # The fake chat model would also judge its own claims (and say no): checks by rule only.
    return {
        "RAG_CHROMA_URL": server.url,
        "RAG_COLLECTION": collection,
        "RAG_TIMEOUT_S": "10",
        "RAG_VERIFY_WITH_MODEL": "false",
    }


def replica_settings(project: Path, server: ChromaServer, collection: str):
    return settings_for(
        project,
        chroma_url=server.url,
        collection=collection,
        embeddings="fake",
        llm=FAKE_LLM,
        gate_threshold=-1,
        verify_with_model=False,
    )


def test_replica_answers_from_a_document_only_another_replica_ingested(server: ChromaServer, tmp_path: Path) -> None:
    env = shared_env(server, "replicas-a")
    a = new_project(tmp_path / "a")
    b = new_project(tmp_path / "b", article=False)  # B never sees the file
    first = rag(a, "ingest", "--json", **env)
    assert first.returncode == 0, first.stderr
    assert json.loads(first.stdout)["added"] == [SOURCE]

    ask = rag(b, "ask", QUESTION, "--json", **env)
    assert ask.returncode == 0, ask.stderr
    answer = json.loads(ask.stdout)
    article = ARTICLE.read_text(encoding="utf-8")
    assert not answer["refused"] and answer["citations"], answer
    for c in answer["citations"]:
        assert c["source"] == SOURCE and article[c["start"] : c["end"]] == c["text"], c
    at_a = json.loads(rag(a, "ask", QUESTION, "--json", **env).stdout)
    assert (at_a["answer"], at_a["citations"]) == (answer["answer"], answer["citations"])  # as where it was ingested
    assert not (b / ".rag" / "manifest.json").exists() and not (b / ".rag" / "texts").exists()

    index_a = Index.load(replica_settings(a, server, "replicas-a"))
    index_b = Index.load(replica_settings(b, server, "replicas-a"))
    assert index_b.manifest == index_a.manifest and [c.id for c in index_b.chunks] == [c.id for c in index_a.chunks]
    assert index_b.document_text(SOURCE) == article  # read from the server, not B's folder
    assert index_b.original(SOURCE) is None


def test_another_replicas_upload_survives_a_replica_start(server: ChromaServer, tmp_path: Path) -> None:
    """Each replica ingests its corpus folder when it starts; removal is scoped to that folder, so an
    upload made through another replica (saved under its data folder) stays, and a start that changes
    nothing commits nothing (no other replica reloads for it)."""
    env = shared_env(server, "replicas-up")
    a, b = new_project(tmp_path / "a"), new_project(tmp_path / "b")
    upload = a / ".rag" / "uploads" / "mars-note.md"
    upload.parent.mkdir(parents=True)
    upload.write_text("The Mars outpost grows potatoes in forty-two greenhouses.\n", encoding="utf-8")
    assert rag(a, "ingest", **env).returncode == 0
    added = rag(a, "ingest", "--json", str(upload), **env)  # what the web chat's upload does
    assert json.loads(added.stdout)["added"] == [".rag/uploads/mars-note.md"], added.stderr
    store = ChromaManifestStore(replica_settings(b, server, "replicas-up"))
    generation = store.generation()

    start = rag(b, "ingest", "--json", **env)  # B starts: prepare_index ingests its corpus folder
    assert start.returncode == 0, start.stderr
    report = json.loads(start.stdout)
    assert report["removed"] == [] and report["unchanged"] == [SOURCE] and report["chunks_embedded"] == 0
    manifest = store.read()
    assert manifest is not None and sorted(manifest.documents) == [".rag/uploads/mars-note.md", SOURCE]
    assert store.generation() == generation
    index_b = Index.load(replica_settings(b, server, "replicas-up"))
    assert index_b.document_text(".rag/uploads/mars-note.md") == upload.read_text(encoding="utf-8")


WORKER = """
import json, random, sys, time
from pathlib import Path
from ingest.pipeline import BATCH, ingest
from rag.config import load_settings
from rag.embeddings import make_embeddings
from tests.reliability.test_shared_index import write_round

name, rounds, seed = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
rng = random.Random(seed)
settings = load_settings(project_root=Path.cwd())
emb = make_embeddings(settings)
for r in range(rounds):
    write_round(Path.cwd(), name, r)
    report = ingest(settings, emb, [Path("corpus") / name, Path("corpus/same.md")], progress=False)
    print(json.dumps({k: report.as_dict()[k] for k in ("added", "updated", "removed", "chunks_deleted")}))
    time.sleep(rng.random() * 0.3)
"""


def _paragraphs() -> list[str]:
    return [p for p in ARTICLE.read_text(encoding="utf-8").splitlines() if p.strip()]


def write_round(project: Path, name: str, r: int) -> None:
    """Round 0 writes three files; each later round rewrites one of them, and round 4 deletes one."""
    folder = project / "corpus" / name
    folder.mkdir(parents=True, exist_ok=True)
    rng = random.Random(f"{name}-{r}")
    for i in range(3) if r == 0 else [r % 3]:
        path = folder / f"{name}{i}.md"
        if r == 4:
            path.unlink(missing_ok=True)
            continue
        paras = rng.sample(_paragraphs(), rng.randint(2, 4))
        path.write_text(f"# Notes {name}{i}, round {r}\n\n" + "\n\n".join(paras) + "\n", encoding="utf-8")


def files_of(project: Path) -> dict[str, str]:
    """source -> sha256 of every file a replica's ingests cover."""
    paths = [*sorted((project / "corpus").glob("*/*.md")), project / "corpus" / "same.md"]
    return {p.relative_to(project).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest() for p in paths}


def test_two_replicas_ingesting_at_once_neither_lose_nor_duplicate(server: ChromaServer, tmp_path: Path) -> None:
    collection = "replicas-race"
    env = {**cli_env(**shared_env(server, collection)), "PYTHONPATH": str(ROOT)}
    projects = {}
    for name in ("a", "b"):
        projects[name] = project = tmp_path / name
        (project / "corpus").mkdir(parents=True)
        (project / "corpus" / "same.md").write_text(ARTICLE.read_text(encoding="utf-8"), encoding="utf-8")
    workers = {
        name: subprocess.Popen(
            [sys.executable, "-c", WORKER, name, str(ROUNDS), str(i)],
            cwd=project,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for i, (name, project) in enumerate(projects.items())
    }
    for name, proc in workers.items():
        out, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, f"{name}: {err[-3000:]}"
        assert len(out.splitlines()) == ROUNDS, out

    expected = {**files_of(projects["a"]), **files_of(projects["b"])}
    assert len(expected) == 2 * 2 + 1  # two files each (one deleted in round 4), plus the shared one
    index = Index.load(replica_settings(projects["a"], server, collection))
    other = Index.load(replica_settings(projects["b"], server, collection))
    assert other.manifest == index.manifest and other.generation == index.generation
    assert {s: e.sha256 for s, e in index.manifest.documents.items()} == expected

    stored = index.collection.get(include=["metadatas"])
    pairs = Counter((m["source"], m["doc_sha256"]) for m in stored["metadatas"])
    want = {(s, e.sha256): e.chunks for s, e in index.manifest.documents.items()}
    assert dict(pairs) == want  # no chunk of a replaced or removed version is left, none is missing
    assert len(stored["ids"]) == len(set(stored["ids"])) == sum(want.values()) == len(index.chunks)
    assert len({(c.source, c.position) for c in index.chunks}) == len(index.chunks)

    shared = ChromaManifestStore(replica_settings(projects["a"], server, collection))
    shas = {e.sha256 for e in index.manifest.documents.values()}
    assert shared.stored_texts(shas) == shas and shared._texts().count() == len(shas)  # no text leaked
    assert shared._manifest().count() == len(expected) + 1  # one record per document, plus the header
    for source in expected:
        project = projects["a"] if (projects["a"] / source).exists() else projects["b"]
        assert other.document_text(source) == (project / source).read_text(encoding="utf-8")


def test_running_pipeline_notices_another_replicas_commit(server: ChromaServer, tmp_path: Path) -> None:
    collection = "replicas-live"
    settings = replica_settings(new_project(tmp_path / "a"), server, collection)
    emb = make_embeddings(settings)
    ingest(settings, emb, progress=False)
    pipeline = Pipeline.load(settings, embeddings=emb)
    before = pipeline.index
    calls = []
    asked = before.store.generation
    before.store.generation = lambda: calls.append(1) or asked()  # counts the staleness checks
    started = time.monotonic()
    for _ in range(100):
        assert not pipeline.refresh_index()
    assert len(calls) <= 1 and time.monotonic() - started < 1.0, calls  # asks at most once per STALE_CHECK_S
    assert not pipeline.answer(QUESTION).refused

    other = new_project(tmp_path / "b", article=False)
    note = other / "notes" / "mars.md"
    note.parent.mkdir()
    note.write_text("The Mars outpost grows potatoes in forty-two greenhouses.\n", encoding="utf-8")
    done = rag(other, "ingest", "notes", **shared_env(server, collection))  # another process commits
    assert done.returncode == 0, done.stderr
    committed = time.monotonic()
    while "notes/mars.md" not in pipeline.index.manifest.documents and time.monotonic() - committed < 10:
        pipeline.answer("How many greenhouses does the Mars outpost have?")
        time.sleep(0.1)
    noticed = time.monotonic() - committed
    assert "notes/mars.md" in pipeline.index.manifest.documents, "the pipeline never saw the other commit"
    assert noticed < STALE_CHECK_S + 3, noticed
    assert "notes/mars.md" not in before.manifest.documents  # a question that held the old view keeps it
    assert pipeline.index.document_text("notes/mars.md") == note.read_text(encoding="utf-8")
    assert pipeline.index.generation != before.generation


class Interleave:
    """Embeddings that run ``then`` (another replica's whole ingest) at their ``at``-th batch: a
    deterministic way to put one replica's commit or clean-up inside another replica's ingest."""

    def __init__(self, inner, at: int, then) -> None:
        self.inner, self.at, self.then, self.calls = inner, at, then, 0

    def embed_documents(self, texts):
        self.calls += 1
        if self.calls == self.at:
            self.then()
        return self.inner.embed_documents(texts)

    def embed_query(self, text):
        return self.inner.embed_query(text)


def two_replicas(tmp_path: Path, server: ChromaServer, collection: str):
    a, b = tmp_path / "a", tmp_path / "b"
    for project in (a, b):
        (project / "corpus" / project.name).mkdir(parents=True)
    return a, b, replica_settings(a, server, collection), replica_settings(b, server, collection)


def assert_consistent(settings, projects: list[Path]) -> None:
    """The index loads, lists exactly the files of ``projects`` at their current bytes, and the chunk
    collection holds exactly the chunks of those versions."""
    files = {
        p.relative_to(project).as_posix(): p for project in projects for p in sorted((project / "corpus").rglob("*.md"))
    }
    index = Index.load(settings)
    assert {s: e.sha256 for s, e in index.manifest.documents.items()} == {
        s: hashlib.sha256(p.read_bytes()).hexdigest() for s, p in files.items()
    }
    stored = index.collection.get(include=["metadatas"])
    pairs = Counter((m["source"], m["doc_sha256"]) for m in stored["metadatas"])
    assert dict(pairs) == {(s, e.sha256): e.chunks for s, e in index.manifest.documents.items()}
    for source, path in files.items():
        assert index.document_text(source) == path.read_text(encoding="utf-8")


def test_a_commit_inside_another_replicas_ingest_is_kept(server: ChromaServer, tmp_path: Path) -> None:
    """B updates its document and cleans up while A's ingest (which read the manifest before) runs:
    A's commit must not put back B's old version, nor A's clean-up delete B's new chunks."""
    a, b, sa, sb = two_replicas(tmp_path, server, "replicas-inside")
    emb = make_embeddings(sa)
    paras = _paragraphs()
    (a / "corpus/a/a0.md").write_text("\n\n".join(paras[:3]) + "\n", encoding="utf-8")
    (b / "corpus/b/b0.md").write_text("\n\n".join(paras[3:6]) + "\n", encoding="utf-8")
    ingest(sa, emb, [a / "corpus/a"], progress=False)
    ingest(sb, emb, [b / "corpus/b"], progress=False)
    (a / "corpus/a/a0.md").write_text("\n\n".join(paras[6:9]) + "\n", encoding="utf-8")
    (b / "corpus/b/b0.md").write_text("\n\n".join(paras[9:12]) + "\n", encoding="utf-8")

    def b_ingests() -> None:
        assert ingest(sb, emb, [b / "corpus/b"], progress=False).updated == ["corpus/b/b0.md"]

    report = ingest(sa, Interleave(emb, 1, b_ingests), [a / "corpus/a"], progress=False)
    assert report.updated == ["corpus/a/a0.md"]
    assert_consistent(sa, [a, b])


def test_a_clean_up_inside_another_replicas_ingest_keeps_its_stored_chunks(
    server: ChromaServer, tmp_path: Path
) -> None:
    """A replaces a document and cleans up while B has stored part of a new document's chunks but not
    committed it: A must delete only what it replaced."""
    a, b, sa, sb = two_replicas(tmp_path, server, "replicas-cleanup")
    emb = make_embeddings(sa)
    paras = _paragraphs()
    (a / "corpus/a/a0.md").write_text("\n\n".join(paras[:3]) + "\n", encoding="utf-8")
    ingest(sa, emb, [a / "corpus/a"], progress=False)
    (a / "corpus/a/a0.md").write_text("\n\n".join(paras[3:6]) + "\n", encoding="utf-8")
    article = ARTICLE.read_text(encoding="utf-8")
    (b / "corpus/b/long.md").write_text(f"{article}\n\nReplica B's copy.\n\n{article}", encoding="utf-8")

    def a_ingests() -> None:
        report = ingest(sa, emb, [a / "corpus/a"], progress=False)
        assert report.updated == ["corpus/a/a0.md"] and report.chunks_deleted > 0

    report = ingest(sb, Interleave(emb, 2, a_ingests), [b / "corpus/b"], progress=False)  # after one batch
    assert report.added == ["corpus/b/long.md"] and report.chunks_embedded > BATCH
    assert_consistent(sb, [a, b])


def test_a_load_that_races_a_commit_reads_again(server: ChromaServer, tmp_path: Path, monkeypatch) -> None:
    """A replica loads its view while another replaces the document it is reading (and deletes the old
    chunks) between the manifest and the chunks: the load reads again instead of failing."""
    import rag.store

    a, b, sa, sb = two_replicas(tmp_path, server, "replicas-load")
    emb = make_embeddings(sa)
    paras = _paragraphs()
    (a / "corpus/a/a0.md").write_text("\n\n".join(paras[:3]) + "\n", encoding="utf-8")
    ingest(sa, emb, [a / "corpus/a"], progress=False)
    (a / "corpus/a/a0.md").write_text("\n\n".join(paras[3:6]) + "\n", encoding="utf-8")
    real, reads = rag.store._visible_chunks, []

    def commit_first(*args):
        reads.append(1)
        if len(reads) == 1:
            assert ingest(sa, emb, [a / "corpus/a"], progress=False).chunks_deleted > 0
        return real(*args)

    monkeypatch.setattr(rag.store, "_visible_chunks", commit_first)
    index = Index.load(sb)
    assert len(reads) == 2 and index.generation == ChromaManifestStore(sb).generation()
    monkeypatch.undo()
    assert_consistent(sb, [a, b])
