"""Split text into sentence chunks that keep exact character offsets into the source text."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache

import pysbd

MAX_CHUNK_CHARS = 600
_LINE = re.compile(r"[^\n]+")
_BLANK_LINES = re.compile(r"\n[ \t]*\n")
_STRUCTURAL = re.compile(r"[ \t]*(#|[-*+>|]\s|\d+[.)]\s|```)")
WRAP_WIDTH = 100  # a document whose lines are (nearly) all this short is hard-wrapped


@dataclass(frozen=True)
class Chunk:
    """One retrieval unit. ``text == source_text[start:end]``; the paragraph span gives context."""

    id: str
    source: str
    doc_sha256: str
    start: int
    end: int
    para_start: int
    para_end: int
    position: int  # sentence number within the document
    text: str

    def metadata(self) -> dict[str, str | int]:
        return {
            "source": self.source,
            "doc_sha256": self.doc_sha256,
            "start": self.start,
            "end": self.end,
            "para_start": self.para_start,
            "para_end": self.para_end,
            "position": self.position,
        }

    @classmethod
    def from_record(cls, chunk_id: str, text: str, meta: dict) -> Chunk:
        return cls(
            id=chunk_id,
            source=str(meta["source"]),
            doc_sha256=str(meta["doc_sha256"]),
            start=int(meta["start"]),
            end=int(meta["end"]),
            para_start=int(meta["para_start"]),
            para_end=int(meta["para_end"]),
            position=int(meta["position"]),
            text=text,
        )


@lru_cache(maxsize=1)
def _segmenter() -> pysbd.Segmenter:
    return pysbd.Segmenter(language="en", clean=False)


def _strip_span(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def _split_long(text: str, start: int, end: int, limit: int) -> Iterator[tuple[int, int]]:
    """Cut an over-long span at whitespace so that no piece exceeds ``limit`` characters."""
    while end - start > limit:
        cut = text.rfind(" ", start + limit // 2, start + limit)
        cut = cut if cut > start else start + limit
        s, e = _strip_span(text, start, cut)
        if e > s:
            yield s, e
        start = cut
    s, e = _strip_span(text, start, end)
    if e > s:
        yield s, e


def sentence_spans(text: str, start: int, end: int, limit: int = MAX_CHUNK_CHARS) -> Iterator[tuple[int, int]]:
    """Yield ``(start, end)`` of each sentence in ``text[start:end]``, located exactly in ``text``.

    Line breaks inside the paragraph (hard-wrapped text) are shown to the segmenter as spaces; the
    replacement keeps every offset, so spans still index the original text.
    """
    flat = text[start:end].replace("\n", " ")
    cursor = start
    for sentence in _segmenter().segment(flat):
        piece = sentence.strip()
        if not piece:
            continue
        found = flat.find(piece, cursor - start)
        found = found + start if found >= 0 else -1
        if found < 0:  # the segmenter altered the text; fall back to the rest of the paragraph
            yield from _split_long(text, cursor, end, limit)
            return
        yield from _split_long(text, cursor, found, limit)  # text the segmenter skipped (rare)
        yield from _split_long(text, found, found + len(piece), limit)
        cursor = found + len(piece)
    yield from _split_long(text, cursor, end, limit)  # text the segmenter dropped (":.??" loses "??")


def chunk_id(source: str, doc_sha256: str, start: int, end: int) -> str:
    """Stable id from the document's content hash and the span, so re-ingest is idempotent."""
    return hashlib.sha256(f"{source}\0{doc_sha256}\0{start}\0{end}".encode()).hexdigest()[:32]


def is_hard_wrapped(text: str) -> bool:
    """Lines broken at a fixed width (90% of them ≤ ``WRAP_WIDTH`` characters), as in man pages or
    wrapped Markdown, rather than one paragraph per line."""
    lengths = sorted(len(m.group()) for m in _LINE.finditer(text))
    return len(lengths) >= 5 and lengths[int(0.9 * (len(lengths) - 1))] <= WRAP_WIDTH


def paragraph_spans(text: str) -> list[tuple[int, int]]:
    """Paragraphs as ``(start, end)``: each line, or, for hard-wrapped text, blocks between blank
    lines (a heading, list item or quote line still starts a paragraph of its own)."""
    if not is_hard_wrapped(text):
        return [(m.start(), m.end()) for m in _LINE.finditer(text)]
    spans: list[tuple[int, int]] = []
    block_start = 0
    for block_end in [m.start() for m in _BLANK_LINES.finditer(text)] + [len(text)]:
        start = block_start
        for line in _LINE.finditer(text, block_start, block_end):
            if _STRUCTURAL.match(line.group()) and line.start() > start:
                spans.append((start, line.start()))
                start = line.start()
        spans.append((start, block_end))
        block_start = block_end
    return spans


def chunk_text(text: str, source: str, doc_sha256: str, limit: int = MAX_CHUNK_CHARS) -> list[Chunk]:
    """Split a document into sentence chunks within paragraphs (see ``paragraph_spans``)."""
    chunks: list[Chunk] = []
    for para_start, para_end in paragraph_spans(text):
        p_start, p_end = _strip_span(text, para_start, para_end)
        if p_end <= p_start:
            continue
        for s, e in sentence_spans(text, p_start, p_end, limit):
            chunks.append(
                Chunk(
                    id=chunk_id(source, doc_sha256, s, e),
                    source=source,
                    doc_sha256=doc_sha256,
                    start=s,
                    end=e,
                    para_start=p_start,
                    para_end=p_end,
                    position=len(chunks),
                    text=text[s:e],
                )
            )
    return chunks
