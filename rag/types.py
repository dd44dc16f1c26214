"""The core's data: plain typed records that every other module reads, importing nothing of ours.

A ``Chunk`` is a span of one document as indexed; a ``Passage`` is the run of chunks given to the
model as source ``[n]``; a ``Citation`` is the exact span an answer sentence rests on; an ``Answer``
says what happened (``status``), which sentences survived checking and which citations each has.
Front ends (CLI, web chat, eval, bench) read these fields; none of them re-parses answer text.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

REFUSAL = "The documents do not say."


class Status(StrEnum):
    """Why an answer looks the way it does."""

    ANSWERED = "answered"  # at least one claim survived grounding
    NOT_RELEVANT = "not_relevant"  # the relevance gate stopped it before the model was asked
    UNSUPPORTED = "unsupported"  # the model answered, but grounding withdrew every claim
    DECLINED = "declined"  # the model itself said the documents do not say
    ERROR = "error"  # the backend failed (eval records this instead of stopping the run)


SECTION_SEPARATOR = " > "  # between the levels of a heading path: "8 Command Line Editing > 8.3 Readline Init File"


@dataclass(frozen=True)
class Layout:
    """Where things are in a document's extracted text: page starts, section headings, OCR pages.

    ``pages[i]`` is the offset where page ``i + 1`` starts (empty: the format has no pages);
    ``sections`` are ``(offset, heading path)`` in text order; ``ocr_pages`` are the 1-based pages
    whose text was recognised by OCR.
    """

    pages: tuple[int, ...] = ()
    sections: tuple[tuple[int, str], ...] = ()
    ocr_pages: tuple[int, ...] = ()

    def page_at(self, offset: int) -> int | None:
        """The 1-based page holding ``offset``, or ``None`` for a format without pages."""
        return bisect_right(self.pages, offset) or 1 if self.pages else None

    def section_at(self, offset: int) -> str | None:
        """The heading path the text at ``offset`` sits under, or ``None`` before the first heading."""
        i = bisect_right(self.sections, (offset, "\U0010ffff"))
        return self.sections[i - 1][1] if i else None

    def is_ocr(self, offset: int) -> bool:
        page = self.page_at(offset)
        return page is not None and page in self.ocr_pages


@dataclass(frozen=True)
class Document:
    """A loaded document; ``text`` is the extracted text that offsets index into (for .txt/.md the file)."""

    path: Path
    source: str  # path relative to the project root, as cited
    text: str
    sha256: str  # of the file's bytes
    layout: Layout = field(default_factory=Layout)

    @property
    def title(self) -> str:
        first = self.text.strip().splitlines()[0] if self.text.strip() else self.path.name
        return first.lstrip("# ").strip()[:120] or self.path.name


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
    page: int | None = None  # 1-based page (PDFs), else None
    section: str | None = None  # heading path the chunk sits under, if the format has headings
    ocr: bool = False  # the text was recognised by OCR from a scanned page
    term: str | None = None  # the definition-list term whose entry holds it (``rag.entries``)

    def metadata(self) -> dict[str, str | int | bool]:
        """The fields stored beside the text in the vector store (which holds no ``None``: page 0 and
        section and term "" mean none)."""
        return {
            "source": self.source,
            "doc_sha256": self.doc_sha256,
            "start": self.start,
            "end": self.end,
            "para_start": self.para_start,
            "para_end": self.para_end,
            "position": self.position,
            "page": self.page or 0,
            "section": self.section or "",
            "ocr": self.ocr,
            "term": self.term or "",
        }

    @classmethod
    def from_record(cls, chunk_id: str, text: str, meta: dict[str, Any]) -> Chunk:
        """Rebuild a chunk from a vector-store record (id, document, metadata)."""
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
            page=int(meta.get("page") or 0) or None,
            section=str(meta.get("section") or "") or None,
            ocr=bool(meta.get("ocr", False)),
            term=str(meta.get("term") or "") or None,
        )


@dataclass(frozen=True)
class Passage:
    """Consecutive sentences of one paragraph given to the model as source ``[n]``."""

    n: int
    chunks: tuple[Chunk, ...]
    cosine: float

    @property
    def source(self) -> str:
        return self.chunks[0].source

    @property
    def start(self) -> int:
        return self.chunks[0].start

    @property
    def end(self) -> int:
        return self.chunks[-1].end

    @property
    def text(self) -> str:
        return " ".join(c.text for c in self.chunks)

    def span(self) -> dict[str, Any]:
        """Where the passage lies: ``{"n", "source", "start", "end"}`` (eval's retrieval metrics)."""
        return {"n": self.n, "source": self.source, "start": self.start, "end": self.end}

    def as_citation(self) -> Citation:
        """The passage as a citation-shaped span (its text joins its sentences with single spaces): its
        first sentence's page and section, and OCR if any of its sentences was recognised by OCR."""
        first, ocr = self.chunks[0], any(c.ocr for c in self.chunks)
        where = (first.page, first.section, ocr)
        return Citation(self.n, self.source, self.start, self.end, self.text, self.cosine, *where)


@dataclass(frozen=True)
class Citation:
    """An exact span of a source: ``text == extracted_text[start:end]``, where the index stores each
    document's extracted text; ``page`` (1-based, PDFs) and ``section`` are ``None`` where the format
    has none, and ``ocr`` marks text recognised from a scanned page."""

    n: int
    source: str
    start: int
    end: int
    text: str
    score: float
    page: int | None = None
    section: str | None = None
    ocr: bool = False

    @classmethod
    def of(cls, n: int, chunk: Chunk, score: float) -> Citation:
        """Cite a whole chunk as source ``n``."""
        return cls(n, chunk.source, chunk.start, chunk.end, chunk.text, score, chunk.page, chunk.section, chunk.ocr)

    def to_json(self) -> dict[str, Any]:
        return {**asdict(self), "score": round(self.score, 4)}


@dataclass(frozen=True)
class Sentence:
    """One checked answer sentence: its text without markers, and the citation numbers it rests on."""

    text: str
    citations: tuple[int, ...] = ()

    def body_and_end(self) -> tuple[str, str]:
        """The text split before its closing punctuation: ``("X is 5", ".")``."""
        return (self.text[:-1].rstrip(), self.text[-1]) if self.text[-1:] in ".!?" else (self.text, "")

    def render(self) -> str:
        """The sentence with its ``[n]`` markers before the closing punctuation: ``"X is 5 [1]."``."""
        if not self.citations:
            return self.text
        body, end = self.body_and_end()
        return f"{body} {''.join(f'[{n}]' for n in self.citations)}{end}"


SEARCHED_PASSAGES = 3  # passages shown for a reader to check beside an answer that found none answering


@dataclass(frozen=True)
class Answer:
    """The result of one question: a status, the checked sentences and the citations they use.

    ``sentences`` and ``citations`` are empty unless ``status`` is ``answered``.
    """

    question: str
    status: Status
    sentences: tuple[Sentence, ...] = ()
    citations: tuple[Citation, ...] = ()
    rewritten_question: str | None = None
    timings: dict[str, float] = field(default_factory=dict)
    model: str = ""
    draft: str = ""  # the model's raw text before grounding (for debugging; not in the JSON contract)
    dropped: tuple[str, ...] = ()  # draft sentences removed as unsupported
    retrieved: tuple[Passage, ...] = ()  # the passages given to the model, in rank order
    error: str | None = None  # what went wrong, for ``status == error``
    checks: tuple[str, ...] = ()  # verification verdicts, "rule: sentence", for every checked sentence
    quoted: bool = False  # every drafted claim was withdrawn; the answer quotes a source sentence (rag.quote)
    redrafted: bool = False  # the model declined; the answer is its checked short answer from a passage (rag.redraft)
    computed: bool = False  # its last sentence is a difference worked out from a cited sentence (rag.calculate)
    # The parts of a two-part question whose drafted answer was withdrawn and that no checked sentence
    # answers (rag.quote.withdrawn_parts), said beside the answer instead of left out silently; not in the
    # JSON contract.
    unanswered: tuple[str, ...] = ()

    @property
    def verified(self) -> bool:
        """An answer whose every sentence passed verification (grounding, then meaning)."""
        return self.status is Status.ANSWERED and bool(self.checks)

    def __post_init__(self) -> None:
        if self.status is not Status.ANSWERED and (self.sentences or self.citations or self.unanswered):
            raise ValueError(f"a {self.status} answer carries no sentences, citations or unanswered parts")
        numbers = [c.n for c in self.citations]
        if len(set(numbers)) != len(numbers):
            raise ValueError(f"citation numbers must be unique, got {numbers}")
        unknown = {n for s in self.sentences for n in s.citations} - set(numbers)
        if unknown:
            raise ValueError(f"sentences cite {sorted(unknown)}, which are not among the citations")

    @property
    def refused(self) -> bool:
        """True for every status but ``answered`` (the answer text is then ``REFUSAL``)."""
        return self.status is not Status.ANSWERED

    @property
    def answer(self) -> str:
        """The answer text with inline ``[n]`` markers, or ``REFUSAL``."""
        if self.refused:
            return REFUSAL
        return " ".join(s.render() for s in self.sentences)

    @property
    def plain_text(self) -> str:
        """The answer without markers (what a follow-up's history carries)."""
        return REFUSAL if self.refused else " ".join(s.text for s in self.sentences)

    def citation(self, n: int) -> Citation | None:
        return next((c for c in self.citations if c.n == n), None)

    def searched(self, limit: int = SEARCHED_PASSAGES) -> list[Citation]:
        """Where the model found no answer (it declined, or every claim was withdrawn), the first ``limit``
        passages it was given, best first, for a reader to check; none where the relevance gate found
        nothing close, or the answer cites its own."""
        if self.status not in (Status.DECLINED, Status.UNSUPPORTED):
            return []
        return [p.as_citation() for p in self.retrieved[:limit]]

    def to_json(self) -> dict[str, Any]:
        """Exactly the ``rag ask --json`` contract (README: "The JSON contract")."""
        return {
            "question": self.question,
            "rewritten_question": self.rewritten_question,
            "answer": self.answer,
            "refused": self.refused,
            "status": self.status.value,
            "citations": [c.to_json() for c in self.citations],
            "timings": {k: round(v, 4) for k, v in self.timings.items()},
            "model": self.model,
        }
