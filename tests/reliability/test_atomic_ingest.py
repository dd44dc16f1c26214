"""Atomic ingest: SIGKILL a real `rag ingest` at random points while it is writing; the previous index
must stay fully usable and consistent, and the next run must finish the work.

Each kill is aimed after the run has stored at least one batch of chunks and before its commit (its
progress bar shows the batch; a random fraction of a batch's time later, the signal lands), and the
test checks afterwards that it did land there: the vector store grew, the manifest is still the old one.

The corpus is ~30 Markdown files made from the article's paragraphs (shuffled, re-worded, numbered),
embedded by the real bundled model in the CLI process. After every kill a fresh process (as
`rag ask` would be) loads the index and checks it: the manifest is exactly the old or the new one,
every visible chunk is the exact slice of the document version the manifest names, and the counts
agree.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import re
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from ingest.chunking import chunk_text
from ingest.pipeline import BATCH, ingest
from rag.config import load_settings
from rag.errors import IndexError_
from rag.store import Index, manifest_path
from tests.conftest import ARTICLE
from tests.reliability.helpers import cli_env, rag
from tests.unit.helpers import BowEmbeddings

REAL = {"RAG_EMBEDDINGS": "sentence-transformers:all-MiniLM-L6-v2"}
SWAPS = [
    ("company", "firm"),
    ("users", "customers"),
    ("However", "Still"),
    ("new", "fresh"),
    ("model", "system"),
    ("growth", "expansion"),
    ("market", "sector"),
    ("said", "stated"),
    ("significant", "notable"),
    ("also", "as well"),
]


def _paragraphs() -> list[str]:
    return [p for p in ARTICLE.read_text(encoding="utf-8").splitlines() if p.strip()]


def make_doc(rng: random.Random, name: str, version: int) -> str:
    """A document of 6–8 article paragraphs, re-worded and stamped so every version differs."""
    paras = rng.sample(_paragraphs(), rng.randint(6, 8))
    out = [f"# Notes {name} (version {version})", ""]
    for i, para in enumerate(paras):
        for old, new in rng.sample(SWAPS, 4):
            para = para.replace(old, new)
        out += [f"{para} This is paragraph {i + 1} of {name}.", ""]
    return "\n".join(out)


def write_corpus(corpus: Path, docs: dict[str, str], versions: dict[str, str]) -> None:
    """Make ``corpus`` hold exactly ``docs``; remember every version by its hash."""
    for old in corpus.glob("*.md"):
        if old.name not in docs:
            old.unlink()
    for name, text in docs.items():
        data = text.encode("utf-8")
        (corpus / name).write_bytes(data)
        versions[hashlib.sha256(data).hexdigest()] = text


CHECK = """
import json, random
from pathlib import Path
from rag.config import load_settings
from rag.store import Index
index = Index.load(load_settings(project_root=Path.cwd()))
hits = index.dense([random.Random(0).random() for _ in range(384)], 5)
print(json.dumps({
    "docs": {s: e.sha256 for s, e in index.manifest.documents.items()},
    "expected": sum(e.chunks for e in index.manifest.documents.values()),
    "chunks": [[c.source, c.doc_sha256, c.start, c.end, c.text] for c in index.chunks],
    "stored": index.collection.count(),
    "dense": len(hits),
    "lexical": len(index.lexical.search("ChatGPT OpenAI", 5)),
}))
"""


def check_index(project: Path, versions: dict[str, str]) -> dict:
    """Load the index in a fresh process and check that it is consistent; return what it holds."""
    run = subprocess.run(
        [sys.executable, "-c", CHECK], cwd=project, env=cli_env(**REAL), capture_output=True, text=True, timeout=120
    )
    assert run.returncode == 0, run.stderr
    state = json.loads(run.stdout)
    assert len(state["chunks"]) == state["expected"] > 0
    for source, sha, start, end, text in state["chunks"]:
        assert state["docs"][source] == sha
        assert versions[sha][start:end] == text, (source, start, end)
    assert state["dense"] == 5 and state["lexical"] > 0
    return state


def doc_state(docs: dict[str, str]) -> dict[str, str]:
    return {f"corpus/{n}": hashlib.sha256(t.encode("utf-8")).hexdigest() for n, t in docs.items()}


@dataclass
class Kill:
    """One SIGKILLed `rag ingest`: how far its progress bar got, and the index a fresh process saw after."""

    delay: float  # seconds waited after the bar showed the first stored batch
    killed: bool  # the process was still running when the signal was sent
    at: float  # seconds from start to the kill (or to the exit)
    bar: int  # chunks this run had stored when it was killed, as its progress bar showed
    stored_before: int  # chunks in the vector store before this run
    stored_after: int  # ... and after it was killed
    committed: bool  # the manifest on disk is the new one

    @property
    def interrupted_a_write(self) -> bool:
        """The kill landed mid-ingest: this run had written chunks, and its manifest was never committed."""
        return self.killed and not self.committed and self.stored_after >= self.stored_before + BATCH


PROGRESS = re.compile(rb"embedding:[^\r\n]*?(\d+)/(\d+)")


def kill_ingest_during_write(project: Path, delay: float) -> tuple[bool, float, int, float]:
    """Start `rag ingest`; once its progress bar shows the first batch stored, wait ``delay`` seconds
    (a fraction of a batch's time, so the next batch is still being embedded or written) and SIGKILL it.

    Returns (killed, seconds from start to the kill or the exit, chunks stored by this run as its bar
    showed, seconds the first batch took)."""
    started = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "rag.cli", "ingest"],
        cwd=project,
        env=cli_env(**REAL),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    stored = [0]
    times: dict[str, float] = {}
    first_batch = threading.Event()

    def watch() -> None:
        assert proc.stderr is not None
        seen = b""
        while block := proc.stderr.read1(4096):
            seen = (seen + block)[-4096:]
            if found := PROGRESS.findall(seen):
                times.setdefault("embedding", time.perf_counter())
                stored[0] = int(found[-1][0])
                if stored[0] > 0:
                    times.setdefault("batch", time.perf_counter())
                    first_batch.set()

    reader = threading.Thread(target=watch, daemon=True)
    reader.start()
    try:
        while not first_batch.wait(0.02):
            if proc.poll() is not None:
                break
            assert time.perf_counter() - started < 180, "ingest stored no batch within 180 s"
        if proc.poll() is None:
            time.sleep(delay)
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait(timeout=30)
            batch_s = times.get("batch", 0.0) - times.get("embedding", 0.0)
            return True, time.perf_counter() - started, stored[0], batch_s
        return False, time.perf_counter() - started, stored[0], 0.0
    finally:
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
        reader.join(timeout=5)


def chunk_count(docs: dict[str, str]) -> int:
    return sum(
        len(chunk_text(t, f"corpus/{n}", hashlib.sha256(t.encode("utf-8")).hexdigest())) for n, t in docs.items()
    )


@pytest.mark.slow
def test_sigkilled_ingest_leaves_previous_index_usable_and_next_run_completes(tmp_path: Path) -> None:
    rng = random.Random(7)
    project = tmp_path / "p"
    corpus = project / "corpus"
    corpus.mkdir(parents=True)
    versions: dict[str, str] = {}

    v1 = {f"doc{i:02d}.md": make_doc(rng, f"doc{i:02d}", 1) for i in range(14)}
    write_corpus(corpus, v1, versions)
    first = rag(project, "ingest", "--json", timeout=300, **REAL)
    assert first.returncode == 0, first.stderr
    old = check_index(project, versions)
    assert old["docs"] == doc_state(v1)

    # The next corpus (30 documents): 7 changed, 4 removed, 20 added.
    v2 = {n: t for n, t in v1.items() if n not in {"doc00.md", "doc01.md", "doc02.md", "doc03.md"}}
    for name in sorted(v2)[:7]:
        v2[name] = make_doc(rng, name[:-3], 2)
    v2 |= {f"new{i:02d}.md": make_doc(rng, f"new{i:02d}", 1) for i in range(20)}
    write_corpus(corpus, v2, versions)
    new_state = doc_state(v2)
    needed = chunk_count({n: t for n, t in v2.items() if v1.get(n) != t})  # chunks of changed or added documents

    kills: list[Kill] = []
    stored = old["stored"]
    batch_s = 1.0  # a first guess; then the time the previous run's first batch took
    # Each killed run stores at least one batch (reused by the next run); stop while a batch is still left.
    while len(kills) < 3 and needed - (stored - old["stored"]) > BATCH:
        delay = rng.uniform(0.0, 0.4) * batch_s
        killed, at, bar, took = kill_ingest_during_write(project, delay)
        state = check_index(project, versions)  # a fresh process can load and search the index after every kill
        kill = Kill(round(delay, 2), killed, round(at, 1), bar, stored, state["stored"], state["docs"] == new_state)
        kills.append(kill)
        # All or nothing: the manifest is the previous index or the complete new one.
        assert state["docs"] in (old["docs"], new_state), kills
        assert kill.interrupted_a_write, kills
        stored = state["stored"]
        batch_s = max(0.2, took)
    print(f"kills (chunks needed {needed}, stored before {old['stored']}): {kills}")
    # At least three kills landed mid-write (ingest must store chunks in batches, or none can).
    assert len(kills) >= 3 and all(k.interrupted_a_write for k in kills), (needed, BATCH, kills)

    final = rag(project, "ingest", "--json", timeout=300, **REAL)
    assert final.returncode == 0, final.stderr
    state = check_index(project, versions)
    assert state["docs"] == new_state
    assert state["stored"] == state["expected"]  # nothing stale left behind
    # The killed runs' chunks were reused: the last run embedded only what they had not stored.
    assert json.loads(final.stdout)["chunks_embedded"] == needed - (stored - old["stored"])


# Deterministic companions: a crash at the points a random kill rarely hits.


@pytest.fixture
def small(tmp_path: Path):
    project = tmp_path / "s"
    (project / "corpus").mkdir(parents=True)
    (project / "corpus" / "a.md").write_text("Alpha is the first letter. It starts the alphabet.\n")
    (project / "corpus" / "b.md").write_text("Beta comes second. Gamma is third.\n")
    settings = load_settings(project_root=project, env={}, embeddings="fake")
    ingest(settings, BowEmbeddings(), progress=False)
    return project, settings


def test_crash_after_commit_before_cleanup_is_consistent_and_cleaned_next_time(small, monkeypatch) -> None:
    project, settings = small
    import ingest.pipeline as pipeline

    (project / "corpus" / "b.md").write_text("Beta moved to the end. Delta is new.\n")

    def crash(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(pipeline, "_delete_unowned", crash)
    with pytest.raises(KeyboardInterrupt):
        ingest(settings, BowEmbeddings(), progress=False)
    index = Index.load(settings)  # the new manifest is committed; stale chunks are invisible
    assert {c.text for c in index.chunks if c.source == "corpus/b.md"} == {"Beta moved to the end.", "Delta is new."}
    assert index.collection.count() > len(index.chunks)
    monkeypatch.undo()
    report = ingest(settings, BowEmbeddings(), progress=False)
    assert report.chunks_embedded == 0 and report.chunks_deleted == 2
    assert Index.load(settings).collection.count() == len(Index.load(settings).chunks)


def test_crash_during_reset_leaves_no_index_and_plain_ingest_rebuilds(small, monkeypatch) -> None:
    project, settings = small
    import ingest.pipeline as pipeline

    def crash(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(pipeline, "_store_chunks", crash)
    with pytest.raises(KeyboardInterrupt):
        ingest(settings, BowEmbeddings(), reset=True, progress=False)
    assert not manifest_path(settings).exists()
    with pytest.raises(IndexError_, match="no index .* rag ingest"):
        Index.load(settings)
    monkeypatch.undo()
    report = ingest(settings, BowEmbeddings(), progress=False)
    assert sorted(report.added) == ["corpus/a.md", "corpus/b.md"]
    assert len(Index.load(settings).chunks) == 4


def test_reset_with_a_missing_path_drops_nothing(small) -> None:
    project, settings = small
    before = len(Index.load(settings).chunks)
    with pytest.raises(Exception, match="does not exist"):
        ingest(settings, BowEmbeddings(), paths=[project / "nope"], reset=True, progress=False)
    assert len(Index.load(settings).chunks) == before
