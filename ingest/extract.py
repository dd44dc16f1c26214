"""What a loader returns, the errors it raises, and the helpers that build extracted text.

A loader turns a file's bytes into ``Extracted``: the text that is indexed and cited, plus where its
pages start, which headings it sits under and which pages were read by OCR. Rich formats are written
as paragraphs of one line each, separated by a blank line, so the chunker finds the same paragraphs
whatever the source looked like.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from rag.types import SECTION_SEPARATOR, Layout

PARAGRAPH_BREAK = "\n\n"
MAX_TEXT_CHARS = 50_000_000  # extracted text beyond this is refused as too big
_SPACE = re.compile(r"\s+")
_SOFT_HYPHENS = str.maketrans({"\u00ad": None, "\x02": None, "\ufffe": None})


class LoadError(ValueError):
    """A file that cannot be ingested. ``kind`` names the problem; the message says what to do."""

    KINDS = ("unsupported", "unreadable", "too_big", "empty", "wrong_type", "corrupt", "encrypted", "ocr_missing")

    def __init__(self, kind: str, message: str) -> None:
        assert kind in self.KINDS, kind
        super().__init__(message)
        self.kind = kind


@dataclass(frozen=True)
class Extracted:
    """A loader's result. ``pages``: start offset of each page (empty: no pages); ``sections``:
    ``(offset, heading path)`` in text order; ``ocr_pages``: 1-based pages recognised by OCR."""

    text: str
    pages: tuple[int, ...] = ()
    sections: tuple[tuple[int, str], ...] = ()
    ocr_pages: tuple[int, ...] = ()

    @property
    def layout(self) -> Layout:
        return Layout(self.pages, self.sections, self.ocr_pages)


def as_extracted(result: str | Extracted) -> Extracted:
    """A loader may return plain text (the whole text, no pages or sections) or ``Extracted``."""
    if isinstance(result, Extracted):
        return result
    if isinstance(result, str):
        return Extracted(result)
    raise TypeError(f"a loader must return str or Extracted, not {type(result).__name__}")


def clean_line(text: str) -> str:
    """One paragraph as a single line: whitespace runs become one space, soft hyphens go."""
    return _SPACE.sub(" ", text.translate(_SOFT_HYPHENS)).strip()


@dataclass
class TextBuilder:
    """Appends paragraphs, page starts and headings while keeping every offset exact."""

    parts: list[str] = field(default_factory=list)
    length: int = 0
    pages: list[int] = field(default_factory=list)
    sections: list[tuple[int, str]] = field(default_factory=list)
    ocr_pages: list[int] = field(default_factory=list)
    _headings: list[tuple[int, str]] = field(default_factory=list)

    def _append(self, text: str) -> int:
        if self.length:
            self.parts.append(PARAGRAPH_BREAK)
            self.length += len(PARAGRAPH_BREAK)
        start = self.length
        self.parts.append(text)
        self.length += len(text)
        if self.length > MAX_TEXT_CHARS:
            raise LoadError("too_big", f"over {MAX_TEXT_CHARS:,} characters of text; split the document")
        return start

    def paragraph(self, text: str) -> int | None:
        """Add one paragraph (whitespace collapsed); returns its offset, ``None`` if it was blank."""
        line = clean_line(text)
        return self._append(line) if line else None

    def heading(self, text: str, level: int) -> None:
        """Add a heading as a paragraph and open a section under it (``level`` 1 is outermost)."""
        title = clean_line(text)
        if not title:
            return
        start = self._append(title)
        self._headings = [h for h in self._headings if h[0] < level] + [(level, title)]
        self.section_at(start, self._headings)

    def section_at(self, offset: int, path: list[tuple[int, str]]) -> None:
        """Record that the text from ``offset`` on sits under the heading ``path``."""
        name = SECTION_SEPARATOR.join(t for _, t in path)
        if self.sections and self.sections[-1][0] >= offset:
            self.sections[-1] = (self.sections[-1][0], name)  # several headings at one place: the last wins
        elif name:
            self.sections.append((offset, name))

    def new_page(self, ocr: bool = False) -> None:
        """Start the next page at the current end (its paragraphs follow)."""
        self.pages.append(self.length + (len(PARAGRAPH_BREAK) if self.length else 0))
        if ocr:
            self.ocr_pages.append(len(self.pages))

    def build(self) -> Extracted:
        text = "".join(self.parts)
        pages = tuple(min(p, len(text)) for p in self.pages)
        return Extracted(text, pages, tuple(self.sections), tuple(self.ocr_pages))


def unwrap_lines(lines: list[str], short: float = 0.75) -> list[str]:
    """Hard-wrapped lines (a PDF page, OCR output) → paragraphs.

    A paragraph ends at a blank line or after a line clearly shorter than the page's usual line
    width (the last line of a paragraph, a heading). A line ending in a hyphen joins the next
    without a space.
    """
    lengths = sorted(len(x.strip()) for x in lines if x.strip())
    if not lengths:
        return []
    width = max(40, lengths[int(0.9 * (len(lengths) - 1))])
    paragraphs: list[str] = []
    current = ""
    for raw in lines:
        line = raw.translate(_SOFT_HYPHENS).strip()
        if not line:
            if current:
                paragraphs.append(current)
            current = ""
            continue
        current = current + line if current.endswith("-") or not current else f"{current} {line}"
        if len(line) < short * width:
            paragraphs.append(current)
            current = ""
    if current:
        paragraphs.append(current)
    return paragraphs


MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"%PDF-", "a PDF document"),
    (b"PK\x03\x04", "a zip archive"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "an old Office (OLE2) file"),
    (b"\x89PNG\r\n\x1a\n", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
    (b"\x1f\x8b", "a gzip archive"),
    (b"\x7fELF", "a program (ELF)"),
    (b"Rar!", "a RAR archive"),
    (b"7z\xbc\xaf", "a 7-Zip archive"),
)


def sniff(data: bytes) -> str:
    """What the bytes look like, for messages: "a PDF document", "a PNG image", "text", "binary data"."""
    head = data[:1024]
    for magic, name in MAGIC:
        if head.startswith(magic) or (magic == b"%PDF-" and magic in head):
            return name
    lowered = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if lowered.startswith((b"<!doctype html", b"<html")):
        return "an HTML page"
    if b"\x00" in data[:8192]:
        return "binary data"
    try:
        data[:8192].decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start < 8188:  # not just a character cut at the end of the sample
            return "binary data"
    return "text"


def wrong_type(name: str, expected: str, data: bytes) -> LoadError:
    """The error for a file whose content is not what its suffix says."""
    return LoadError("wrong_type", f"{name} is named like {expected} but its content is {sniff(data)}")
