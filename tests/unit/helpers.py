"""Small builders shared by unit tests."""

from __future__ import annotations

import hashlib

import numpy as np
from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage

from ingest.chunking import chunk_text
from rag.terms import words
from rag.text import content_words
from rag.types import Chunk, Passage

# A small article-like text: roles at two organisations, figures for two months, a sentence that
# refers back ("This executive ..."). Each line is a paragraph.
WORLD_DOC = (
    "Recently, OpenAI's CFO, Sarah Friar, backed government guarantees.\n"
    "Anthropic, a startup founded by former OpenAI executives, released Claude Opus 4.5.\n"
    "In March, Gemini had 350 million monthly active users, and by October it had 650 million.\n"
    "The company said growth would continue. This executive joined OpenAI in May.\n"
    "Fidji Simo leads OpenAI Applications.\n"
)


def bow_embed(texts: list[str], dim: int = 512) -> np.ndarray:
    """A deterministic bag-of-words embedding: shared content words give high cosine."""
    out = np.zeros((len(texts), dim), dtype=np.float32)
    for row, text in enumerate(texts):
        for word in content_words(text):
            out[row, int(hashlib.md5(word.encode()).hexdigest(), 16) % dim] += 1.0
        norm = np.linalg.norm(out[row])
        if norm:
            out[row] /= norm
    return out


def passages_from(text: str, groups: list[list[int]], source: str = "doc.txt") -> tuple[list[Passage], list[Chunk]]:
    """Passages numbered 1.. made of the given sentence positions of ``text``."""
    chunks = chunk_text(text, source, "sha")
    return [Passage(n=i, chunks=tuple(chunks[j] for j in g), cosine=0.5) for i, g in enumerate(groups, 1)], chunks


class BowEvidence:
    """Grounding evidence over plain chunks: bag-of-words vectors, the chunk's own paragraph."""

    def __init__(self, chunks: list[Chunk]) -> None:
        self.chunks = chunks
        self.vectors = dict(zip([c.id for c in chunks], bow_embed([c.text for c in chunks]), strict=True))

    def vector(self, chunk: Chunk) -> np.ndarray:
        return self.vectors[chunk.id]

    def paragraph(self, chunk: Chunk) -> str:
        return " ".join(c.text for c in self.chunks if c.para_start == chunk.para_start)

    def lead(self, chunk: Chunk) -> str:
        i = self.chunks.index(chunk)
        return " ".join(c.text for c in self.chunks[max(0, i - 1) : i + 1])

    def mentions(self, chunk: Chunk, word: str) -> bool:
        return word in words(" ".join(c.text for c in self.chunks if c.source == chunk.source))


class BowEmbeddings:
    """LangChain-style embeddings over ``bow_embed`` (deterministic, similarity-preserving)."""

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return bow_embed(texts).tolist()

    def embed_query(self, text: str) -> list[float]:
        return bow_embed([text])[0].tolist()


class RecordingEmbeddings(BowEmbeddings):
    """``BowEmbeddings`` that keeps every text it embedded for documents (what ingest embedded)."""

    def __init__(self) -> None:
        self.texts: list[str] = []

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        self.texts += texts
        return super().embed_documents(texts)


class RecordingModel(GenericFakeChatModel):
    """A scripted model that also keeps the messages of every call, to assert on what it was given
    (streaming goes through ``_generate`` too)."""

    received: list = []

    def _generate(self, messages, *args, **kwargs):
        self.received.append(list(messages))
        return super()._generate(messages, *args, **kwargs)


def scripted(*replies: str) -> RecordingModel:
    """A ``RecordingModel`` that answers ``replies`` in turn."""
    return RecordingModel(messages=iter([AIMessage(content=r) for r in replies]), received=[])


class ProbabilityModel(RecordingModel):
    """A ``RecordingModel`` whose client, like OpenAI-compatible ones, can ask for token probabilities
    (the replies carry them where a test scripts them)."""

    logprobs: bool | None = None
    top_logprobs: int | None = None


def scripted_with_probabilities(*replies: str) -> ProbabilityModel:
    """A ``ProbabilityModel`` that answers ``replies`` in turn."""
    return ProbabilityModel(messages=iter([AIMessage(content=r) for r in replies]), received=[])
