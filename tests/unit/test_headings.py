"""Section headings in what retrieval reads (rag.headings): embedded and BM25-indexed with the sentence,
never shown or cited; documents without headings are read as they are."""

import json
import logging
from pathlib import Path

from ingest.chunking import chunk_text
from ingest.pipeline import ingest
from rag.chroma import open_collection
from rag.config import load_settings
from rag.headings import heading, retrieval_text
from rag.manifest import manifest_path
from rag.store import Index, LexicalIndex
from rag.types import Chunk, Layout
from tests.unit.helpers import BowEmbeddings, RecordingEmbeddings

SAMPLES_PAGE = (
    "<html><body><main><h1>Samples</h1><p>By default, sampling is set to 100 points.</p></main></body></html>"
)


def sectioned(text: str, source: str, section: str) -> list[Chunk]:
    return chunk_text(text, source, "sha", layout=Layout(sections=((0, section),)))


def test_a_chunk_is_read_under_its_file_name_and_its_own_heading():
    [startup] = sectioned(
        "Bash reads ~/.bashrc.", "docs/bash-reference_manual.pdf", "6 Bash Features > 6.2 Bash Startup Files"
    )
    assert heading(startup) == "bash reference manual - 6.2 Bash Startup Files"
    assert retrieval_text(startup) == "bash reference manual - 6.2 Bash Startup Files: Bash reads ~/.bashrc."
    [plain] = chunk_text("OpenAI declared a Code Red.", "corpus/openai-code-red.txt", "sha")
    assert heading(plain) == "" and retrieval_text(plain) == plain.text  # no headings: read as it is


def test_bm25_finds_a_sentence_by_its_heading():
    """No sentence of gnuplot's "Samples" page says "gnuplot"; its file name does."""
    [samples] = sectioned("By default, sampling is set to 100 points.", "gnuplot-samples.html", "Samples")
    [shell] = chunk_text("The default shell is set to bash.", "notes.txt", "sha2")
    found = LexicalIndex([shell, samples]).search("gnuplot default sampling", 2)
    assert [c for c, _ in found] == [samples, shell]
    assert [c for c, _ in LexicalIndex([shell, samples]).search("gnuplot", 2)] == [samples]


def test_ingest_embeds_the_heading_and_stores_the_sentence(project: Path, caplog):
    (project / "corpus" / "gnuplot-samples.html").write_text(SAMPLES_PAGE)
    settings = load_settings(project_root=project, env={}, embeddings="fake:bow")
    emb = RecordingEmbeddings()
    ingest(settings, emb, progress=False)
    assert "gnuplot samples - Samples: By default, sampling is set to 100 points." in emb.texts
    assert any(t.startswith("OpenAI") and ":" not in t.split(" ")[0] for t in emb.texts)  # the article: as it is
    stored = open_collection(settings).get(include=["documents"])["documents"]
    assert "By default, sampling is set to 100 points." in stored  # what is shown and cited: the sentence
    manifest = json.loads(manifest_path(settings).read_text())
    assert all(entry["headed"] for entry in manifest["documents"].values())
    with caplog.at_level(logging.WARNING, logger="rag.store"):
        Index.load(settings)
    assert "headings" not in caplog.text


def test_an_index_embedded_before_headings_is_named_and_still_answers(project: Path, caplog):
    (project / "corpus" / "gnuplot-samples.html").write_text(SAMPLES_PAGE)
    settings = load_settings(project_root=project, env={}, embeddings="fake:bow")
    ingest(settings, BowEmbeddings(), progress=False)
    path = manifest_path(settings)
    manifest = json.loads(path.read_text())
    for entry in manifest["documents"].values():
        del entry["headed"]  # as an older version wrote it
    path.write_text(json.dumps(manifest))
    with caplog.at_level(logging.WARNING, logger="rag.store"):
        index = Index.load(settings)
    assert "1 document(s) were embedded without their section headings" in caplog.text
    assert "gnuplot-samples.html" in caplog.text and "openai-code-red" not in caplog.text  # plain text needs none
    found = {c.text for c, _ in index.lexical.search("gnuplot", 5)}
    assert found == {"Samples", "By default, sampling is set to 100 points."}  # BM25 reads headings at load
    for stored in (settings.data_path / "texts").glob("*.txt"):
        stored.unlink()  # ingest restores the texts and reuses the stored chunks: their vectors stay as they were
    assert ingest(settings, BowEmbeddings(), progress=False).chunks_embedded == 0
    assert not any(entry["headed"] for entry in json.loads(path.read_text())["documents"].values())
