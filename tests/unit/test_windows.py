"""Window vectors (rag.windows): built by ingest beside the chunks, kept in step with them, used to rank."""

import logging
import random
from pathlib import Path

import numpy as np
import pytest

from ingest.chunking import chunk_text
from ingest.pipeline import ingest
from rag.chroma import open_client, open_collection, windows_name
from rag.config import load_settings
from rag.retrieve import Retriever
from rag.store import DocEntry, Index, Manifest
from rag.windows import window_texts
from tests.unit.helpers import BowEmbeddings


def test_a_window_is_the_sentence_with_its_neighbours_in_the_paragraph():
    chunks = chunk_text("Alpha one. Alpha two. Alpha three.\nBeta one.\n", "d.txt", "sha")
    other = chunk_text("Gamma one. Gamma two.\n", "e.txt", "sha2")
    shuffled = [*chunks, *other]
    random.Random(1).shuffle(shuffled)
    texts = window_texts(shuffled)
    assert [texts[c.id] for c in chunks] == [
        "Alpha one. Alpha two.",
        "Alpha one. Alpha two. Alpha three.",
        "Alpha two. Alpha three.",
        "Beta one.",  # a new paragraph: nothing from the one before
    ]
    assert [texts[c.id] for c in other] == ["Gamma one. Gamma two.", "Gamma one. Gamma two."]  # documents apart
    gap = window_texts([chunks[0], chunks[2]])
    assert [gap[chunks[0].id], gap[chunks[2].id]] == ["Alpha one.", "Alpha three."]  # a missing one is not skipped


def test_a_sentence_is_ranked_by_its_window_but_scored_alone():
    """"It is valued at $500 billion." answers "what is the chatbot maker worth?" only with the sentence
    before it, which names the maker: ranked by its window it comes before a sentence that shares more
    with the question on its own, and the score it reports (the gate reads it) is its own cosine."""
    maker, valued, rivals = chunk_text("OpenAI makes ChatGPT. It is valued at $500 billion.\nRivals grow.\n", "d", "h")
    vectors = {maker.id: [1.0, 0.0, 0.0], valued.id: [0.0, 0.8, 0.6], rivals.id: [0.0, 0.9, 0.44]}
    windows = {maker.id: [1.0, 0.2, 0.1], valued.id: [0.7, 0.7, 0.1], rivals.id: [0.0, 0.9, 0.44]}
    manifest = Manifest(embedding_model="fake", documents={"d": DocEntry(sha256="h", chunks=3)})

    def index(win):
        return Index(None, manifest, [maker, valued, rivals], vectors=vectors, windows=win)

    question = [1.0, 1.0, 0.0]
    alone = index(windows).dense(question, 3)
    ranked = index(windows).dense(question, 3, windows=True)
    assert [c for c, _ in alone] == [maker, rivals, valued]
    assert [c for c, _ in ranked] == [valued, maker, rivals]
    assert dict(ranked) == pytest.approx(dict(alone))  # own cosines, whatever the order
    given = np.array(question, dtype=np.float32)
    index(windows).dense(given, 3, windows=True)
    assert given.tolist() == question  # the caller's vector is not normalised in place
    partial = index({k: v for k, v in windows.items() if k != rivals.id})
    assert not partial.has_windows and index(windows).has_windows
    assert [c for c, _ in partial.dense(question, 3, windows=True)] == [maker, rivals, valued]  # all or none

    class Emb:
        def embed_query(self, text):
            return question

    for on, first in ((True, valued), (False, maker)):
        settings = load_settings(env={}, rank_by_window=on, gate_threshold=0.0)
        retriever = Retriever.configured(index(windows), Emb(), settings)
        assert retriever.retrieve("zzz").hits[0].chunk == first  # the setting reaches the ranking


def stored_windows(settings) -> dict[str, np.ndarray]:
    got = open_collection(settings, windows=True).get(include=["embeddings"])
    return {i: np.asarray(v) for i, v in zip(got["ids"], got["embeddings"], strict=True)}


def test_windows_cost_nothing_while_off_and_are_added_when_switched_on(project: Path, caplog):
    off = load_settings(project_root=project, env={}, embeddings="fake:bow")  # the default
    with caplog.at_level(logging.WARNING, logger="rag.store"):
        report = ingest(off, BowEmbeddings(), progress=False)
        index = Index.load(off)
    assert not off.rank_by_window and report.windows_embedded == 0 and not stored_windows(off)
    assert not index.has_windows and "window" not in caplog.text  # nothing to warn about
    on = off.model_copy(update={"rank_by_window": True})
    assert ingest(on, BowEmbeddings(), progress=False).windows_embedded == report.chunks_total
    assert Index.load(on).has_windows and not Index.load(off).has_windows  # read only when used


def test_windows_are_stored_before_the_commit(project: Path, monkeypatch):
    """A replica that reloads as soon as a new manifest is committed must find its windows there."""
    import ingest.pipeline as pipeline

    settings = load_settings(project_root=project, env={}, embeddings="fake:bow", rank_by_window=True)
    monkeypatch.setattr(pipeline, "_sync_windows", lambda *args: 0)  # as if killed just after the commit
    report = ingest(settings, BowEmbeddings(), progress=False)
    assert report.windows_embedded == report.chunks_total and Index.load(settings).has_windows


def test_ingest_keeps_one_window_per_chunk_through_changes_upgrades_and_resets(project: Path, caplog):
    settings = load_settings(project_root=project, env={}, embeddings="fake:bow", rank_by_window=True)
    emb = BowEmbeddings()
    notes = project / "corpus" / "notes.md"
    notes.write_text("The launch moved to Tuesday. Nobody knows why.\n")
    first = ingest(settings, emb, progress=False)
    index = Index.load(settings)
    stored = stored_windows(settings)
    assert first.windows_embedded == first.chunks_total == len(stored) and index.has_windows
    texts = window_texts(index.chunks)
    launch = next(c for c in index.chunks if c.text == "The launch moved to Tuesday.")
    assert stored[launch.id] == pytest.approx(np.asarray(emb.embed_documents([texts[launch.id]])[0]), abs=1e-5)
    assert texts[launch.id] == "The launch moved to Tuesday. Nobody knows why."

    assert ingest(settings, emb, progress=False).windows_embedded == 0  # nothing new: nothing embedded

    notes.write_text("The launch moved to Friday.\n")
    changed = ingest(settings, emb, progress=False)
    stored = stored_windows(settings)
    assert changed.windows_embedded == changed.chunks_embedded == 1
    assert set(stored) == {c.id for c in Index.load(settings).chunks}  # the replaced chunks' windows went too

    open_collection(settings, windows=True).delete(ids=[gap := next(iter(stored))])  # a killed run's gap
    with caplog.at_level(logging.WARNING, logger="rag.store"):
        gapped = Index.load(settings)
    assert not gapped.has_windows and "rag ingest" in caplog.text
    assert f"1 of {len(gapped.chunks)} sentences have no window vector" in caplog.text  # says so, once loaded
    assert ingest(settings, emb, progress=False).windows_embedded == 1 and gap in stored_windows(settings)

    open_client(settings).delete_collection(windows_name(settings))  # an index from before windows
    old = Index.load(settings)
    assert not old.has_windows and old.dense(emb.embed_query("launch"), 3, windows=True)  # still answers
    upgraded = ingest(settings, emb, progress=False)
    assert upgraded.chunks_embedded == 0 and upgraded.windows_embedded == upgraded.chunks_total
    assert Index.load(settings).has_windows

    reset = ingest(settings, emb, reset=True, progress=False)
    assert reset.windows_embedded == reset.chunks_total == len(stored_windows(settings))
