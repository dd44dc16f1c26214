"""Split text into sentence chunks that keep exact character offsets into the source text."""

from __future__ import annotations

import hashlib
import re

from rag.entries import with_terms
from rag.segment import MAX_SENTENCE_CHARS, sentence_spans, strip_span
from rag.types import Chunk, Layout

MAX_CHUNK_CHARS = MAX_SENTENCE_CHARS
_LINE = re.compile(r"[^\n]+")
_BLANK_LINES = re.compile(r"\n[ \t]*\n")
_STRUCTURAL = re.compile(r"[ \t]*(#|[-*+>|]\s|\d+[.)]\s|```)")
WRAP_WIDTH = 100  # a document whose lines are (nearly) all this short is hard-wrapped
# A sentence needs a letter or a digit to be worth a chunk. A PDF's table of contents gave 4,433
# ". . . ." leaders (and ".", "#", "}") in a 10,910-chunk index: nothing to retrieve or cite, but
# each one cost an embedding and a row in every search.
_CONTENT = re.compile(r"[^\W_]")


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


def chunk_text(
    text: str, source: str, doc_sha256: str, limit: int = MAX_CHUNK_CHARS, layout: Layout | None = None
) -> list[Chunk]:
    """Split a document into sentence chunks within paragraphs (see ``paragraph_spans``), leaving out
    sentences with no letter or digit (". . . ." leaders, rules, lone brackets); ``layout`` gives each
    chunk the page and section its start lies in, and whether OCR read it, and each sentence of a
    definition-list entry its term (``rag.entries``)."""
    layout = layout or Layout()
    chunks: list[Chunk] = []
    for para_start, para_end in paragraph_spans(text):
        p_start, p_end = strip_span(text, para_start, para_end)
        if p_end <= p_start:
            continue
        for s, e in sentence_spans(text, p_start, p_end, limit):
            if not _CONTENT.search(text, s, e):
                continue
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
                    page=layout.page_at(s),
                    section=layout.section_at(s),
                    ocr=layout.is_ocr(s),
                )
            )
    return with_terms(chunks)
