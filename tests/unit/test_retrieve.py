import pytest

from ingest.chunking import chunk_text
from rag.retrieve import Hit, hybrid_search, passes_gate, rrf_fuse, select_passages
from rag.store import DocEntry, Index, LexicalIndex, Manifest
from rag.types import Layout

TEXT = "Alpha one. Alpha two. Alpha three.\nBeta one. Beta two.\nGamma stands alone.\n"


def make_index():
    chunks = chunk_text(TEXT, "d.txt", "sha")
    manifest = Manifest(embedding_model="fake", documents={"d.txt": DocEntry(sha256="sha", chunks=len(chunks))})
    return Index(collection=None, manifest=manifest, chunks=chunks), chunks


def test_rrf_rewards_agreement():
    a, b, c = chunk_text("The first one. The second one. The third one.", "x", "h")
    fused = rrf_fuse([[a, b, c], [b, c]])
    assert [ch.id for ch, _ in fused] == [b.id, c.id, a.id]


def test_gate_uses_best_dense_similarity():
    (a,) = chunk_text("The only one.", "x", "h")
    assert passes_gate([Hit(a, 1, 0.6, None)], 0.3)
    assert not passes_gate([Hit(a, 1, 0.1, 1)], 0.3)
    assert not passes_gate([], 0.3)


def test_neighbours_stay_in_the_paragraph():
    index, chunks = make_index()
    assert [c.text for c in index.neighbours(chunks[0], 1, 1)] == ["Alpha one.", "Alpha two."]
    assert [c.text for c in index.neighbours(chunks[3], 1, 1)] == ["Beta one.", "Beta two."]
    assert [c.text for c in index.neighbours(chunks[5], 2, 2)] == ["Gamma stands alone."]


def test_select_passages_widens_merges_and_respects_budget():
    index, chunks = make_index()
    hits = [Hit(chunks[1], 1.0, 0.9, 1), Hit(chunks[2], 0.9, 0.8, 2), Hit(chunks[5], 0.8, 0.7, 3)]
    passages = select_passages(index, hits, max_passages=4, token_budget=100)
    assert [p.text for p in passages] == ["Alpha one. Alpha two. Alpha three.", "Gamma stands alone."]
    assert [p.n for p in passages] == [1, 2]
    tight = select_passages(index, hits, max_passages=4, token_budget=4)
    assert [p.text for p in tight] == ["Alpha two."]


def test_a_heading_or_label_alone_takes_no_passage():
    # What a page's headings, labels and table heads become as chunks: no claim can rest on them, and
    # each took one of the four passages (gnuplot's "Samples" page: 15 times over the suites' questions).
    text = "Samples\n\n6.7 Arrays\n\nSyntax:\n\nPart | Torque\n\nBy default, sampling is set to 100 points.\n\n"
    text += "Seal | 12 months\n"  # a table row with a figure is a fact
    layout = Layout(sections=((0, "Samples"), (text.index("6.7"), "6 Bash Features > 6.7 Arrays")))
    chunks = chunk_text(text, "d.html", "sha", layout=layout)
    manifest = Manifest(embedding_model="fake", documents={"d.html": DocEntry(sha256="sha", chunks=len(chunks))})
    index = Index(collection=None, manifest=manifest, chunks=chunks)
    hits = [Hit(c, 1.0 - i / 10, 0.9, i) for i, c in enumerate(chunks)]
    passages = select_passages(index, hits, max_passages=3, token_budget=100)
    assert [p.text for p in passages] == ["By default, sampling is set to 100 points.", "Seal | 12 months"]
    assert [p.n for p in passages] == [1, 2]


def test_lexical_search_stems_and_ignores_unknown_words():
    chunks = chunk_text("Simo joined OpenAI in May.\nGemini grew fast.\n", "d", "h")
    lex = LexicalIndex(chunks)
    assert lex.search("when did she join", 5)[0][0].text.startswith("Simo")
    assert lex.search("zzzz qqqq", 5) == []


def test_paragraph_window_spans_neighbouring_paragraphs():
    index, chunks = make_index()
    assert [c.text for c in index.paragraph_window(chunks[3], extra=0)] == ["Beta one.", "Beta two."]
    window = [c.text for c in index.paragraph_window(chunks[3], extra=1)]
    assert window == ["Alpha one.", "Alpha two.", "Alpha three.", "Beta one.", "Beta two.", "Gamma stands alone."]


def test_a_spelled_out_title_finds_the_abbreviation_the_document_uses():
    from rag.text import initialisms

    assert "cfo" in initialisms("Who is OpenAI's chief financial officer?")
    assert "ai" in initialisms("bets on artificial intelligence")
    assert initialisms("Who is the head of it?") == set()  # stop words break runs; one word is no initialism
    chunks = chunk_text("The CFO, Sarah Friar, spoke.\nThe chief of staff left.\nOfficers met.\n", "d", "h")
    lex = LexicalIndex(chunks)
    found = [c.text for c, _ in lex.search("chief financial officer", 5)]
    assert "The CFO, Sarah Friar, spoke." in found  # without the initialism, no word of it matches
    assert lex.search("zzzz qqqq", 5) == []  # initialisms the documents do not use add nothing


def test_dense_search_is_exact_even_among_thousands_of_identical_chunks():
    """A PDF's table of contents gives thousands of identical ". . . ." chunks; approximate search
    (Chroma's HNSW) returned only those. The exact search ranks the one matching chunk first."""
    import numpy as np

    text = "Filler line.\n" * 3000 + "ChatGPT was released in 2022.\nOther text here.\n"
    chunks = chunk_text(text, "d.txt", "sha")
    rng = np.random.default_rng(0)
    junk = rng.normal(size=8).astype(np.float32)
    target = rng.normal(size=8).astype(np.float32)
    vectors = {c.id: (target * 3 if c.text.startswith("ChatGPT") else junk + 0.01 * rng.normal(size=8)) for c in chunks}
    manifest = Manifest(embedding_model="fake", documents={"d.txt": DocEntry(sha256="sha", chunks=len(chunks))})
    index = Index(collection=None, manifest=manifest, chunks=chunks, vectors=vectors)
    (best, cosine), *_ = index.dense(list(target), 5)
    assert best.text == "ChatGPT was released in 2022." and cosine == pytest.approx(1.0, abs=1e-5)  # unit vectors
    ranked = index.dense(list(junk), 4)
    scores = [score for _, score in ranked]
    assert len(ranked) == 4 and scores == sorted(scores, reverse=True)  # best first
    assert len(index.dense(list(target), 10_000)) == len(chunks)  # k beyond the index: everything, once


def test_each_retrievers_best_candidate_comes_first_even_if_the_other_misses_it():
    # A paraphrase: the dense model ranks the answer first, BM25 does not find it; RRF alone would
    # rank it below sentences both lists hold at modest ranks.
    a, b, c, d, e = chunk_text("One here. Two here. Three here. Four here. Five here.", "x", "h")

    class Idx:
        def dense(self, vector, k, windows=False):
            return [(a, 0.9), (b, 0.5), (c, 0.4), (d, 0.3)]

        class lexical:  # noqa: N801 - stands in for the index's attribute
            @staticmethod
            def search(query, k):
                return [(e, 9.0), (b, 5.0), (c, 4.0), (d, 3.0)]

    class Emb:
        def embed_query(self, text):
            return [0.0]

    assert [ch for ch, _ in rrf_fuse([[a, b, c, d], [e, b, c, d]])][:2] == [b, c]  # what plain RRF does
    order = [h.chunk for h in hybrid_search(Idx(), Emb(), "q", 4)]
    assert set(order[:2]) == {a, e} and order[2:] == [b, c, d]
