"""Window vectors: each sentence embedded together with the sentences just before and after it in its
paragraph, kept in a second Chroma collection under the sentence's own id.

With ``rank_by_window`` on (off by default: measured in docs/trust-rounds.md, eighth round), dense retrieval
ranks sentences by their window vector; everything else (the relevance gate's cosine, grounding,
quoting) keeps the sentence's own stored vector (with its heading, ``rag.headings``, where its document
has headings). A paraphrased question often names what the
sentence before says: "what is the chatbot maker reckoned to be worth?" is answered by "... now a
behemoth valued at over $500 billion", whose subject, OpenAI, is named one sentence earlier.

Windows are derived data: an index without them (built before they existed, or a collection lost)
still answers, ranking by sentence vectors, and ``rag ingest`` (with the setting on) adds the missing
ones.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from rag.types import Chunk


def window_texts(chunks: Sequence[Chunk]) -> dict[str, str]:
    """Each chunk's id -> its text with the chunks just before and after it in the same paragraph of the
    same document (``chunks`` in any order; whole documents, or a neighbour is simply missing)."""
    ordered = sorted(chunks, key=lambda c: (c.source, c.doc_sha256, c.position))
    out: dict[str, str] = {}
    for i, chunk in enumerate(ordered):
        parts = [chunk.text]
        for j, front in ((i - 1, True), (i + 1, False)):
            if 0 <= j < len(ordered) and _same_paragraph(ordered[j], chunk):
                parts.insert(0 if front else len(parts), ordered[j].text)
        out[chunk.id] = " ".join(parts)
    return out


def _same_paragraph(a: Chunk, b: Chunk) -> bool:
    return (a.source, a.doc_sha256, a.para_start) == (b.source, b.doc_sha256, b.para_start) and abs(
        a.position - b.position
    ) == 1


def read_windows(collection: Any, ids: Sequence[str]) -> dict[str, np.ndarray]:
    """The stored window vectors of ``ids`` (those that have one)."""
    out: dict[str, np.ndarray] = {}
    for i in range(0, len(ids), 1000):
        got = collection.get(ids=list(ids[i : i + 1000]), include=["embeddings"])
        for cid, vector in zip(got["ids"], got["embeddings"], strict=True):
            out[cid] = np.asarray(vector, dtype=np.float32)
    return out
