"""Load documents from disk; every problem is reported by file name, never silently skipped.

File types come from one registry keyed by suffix (``LOADERS``): a loader turns a file's bytes into
the text that is indexed and cited, as a ``str`` or as ``Extracted`` (text plus page starts,
section headings and OCR pages; ``ingest/extract.py``). Another package adds a format through the
``rag.loaders`` entry-point group, with an entry point named after the suffix
(``.rst = mypkg:load_rst``). A loader raises ``LoadError`` (or ``ValueError``) with a reason a user
can act on; any other exception is reported as a file that could not be read.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ingest.extract import Extracted, LoadError, as_extracted, sniff
from ingest.pdf import load_pdf
from ingest.webpage import load_html
from ingest.word import load_docx
from rag.errors import InputError
from rag.registry import Registry
from rag.types import Document

MAX_DOCUMENT_BYTES = 20_000_000
MAX_BYTES_BY_TYPE = {".pdf": 100_000_000}  # PDFs carry fonts and page images
# Files that describe a corpus folder rather than belong to it.
CORPUS_NOTES = frozenset({"README.md"})

Loader = Callable[[bytes, str], "str | Extracted"]


@dataclass(frozen=True)
class Skipped:
    """A file that was not ingested, and why (``kind`` names the problem, see ``LoadError.KINDS``)."""

    path: Path
    reason: str
    kind: str = "unreadable"


def decode(data: bytes, name: str, max_bytes: int = MAX_DOCUMENT_BYTES) -> str:
    """Decode document bytes as UTF-8 text or raise ``LoadError`` with a reason a user can act on."""
    if len(data) > max_bytes:
        raise LoadError("too_big", f"{len(data):,} bytes is over the {max_bytes:,}-byte limit; split the file")
    kind = sniff(data)
    if kind not in ("text", "an HTML page", "binary data"):
        raise LoadError("wrong_type", f"looks like a binary file, not text: its content is {kind}")
    if b"\x00" in data[:8192]:
        raise LoadError("wrong_type", "looks like a binary file, not text")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise LoadError("unreadable", f"not valid UTF-8 (byte {exc.start}); re-save {name} as UTF-8") from None
    text = text.removeprefix("\ufeff")
    if not text.strip():
        raise LoadError("empty", "the file is empty")
    return text


def load_text(data: bytes, name: str) -> str:
    """Plain text and Markdown: the decoded file is the indexed text."""
    return decode(data, name)


LOADERS: Registry[Loader] = Registry(
    "document type",
    "rag.loaders",
    {
        ".txt": load_text,
        ".md": load_text,
        ".markdown": load_text,
        ".pdf": load_pdf,
        ".docx": load_docx,
        ".html": load_html,
        ".htm": load_html,
    },
)


def supported_suffixes() -> list[str]:
    """Every file suffix some loader reads, built-in or installed (``[".markdown", ".md", ".txt"]``)."""
    return LOADERS.names()


def describe_supported() -> str:
    """The supported types for messages: ``".markdown, .md, .txt"``."""
    return ", ".join(supported_suffixes())


def max_bytes_for(path: Path) -> int:
    return MAX_BYTES_BY_TYPE.get(path.suffix.lower(), MAX_DOCUMENT_BYTES)


def read_document_bytes(path: Path, max_bytes: int | None = None) -> bytes:
    """A supported file's bytes; raises ``LoadError`` (unsupported type, too big, unreadable)."""
    suffix = path.suffix.lower()
    if suffix not in supported_suffixes():
        raise LoadError(
            "unsupported", f"unsupported file type {path.suffix or '(none)'}; supported: {describe_supported()}"
        )
    max_bytes = max_bytes_for(path) if max_bytes is None else max_bytes
    try:
        size = path.stat().st_size
        if size > max_bytes:  # checked before reading: a huge file is never loaded into memory
            raise LoadError("too_big", f"{size:,} bytes is over the {max_bytes:,}-byte limit; split the file")
        return path.read_bytes()
    except OSError as exc:
        raise LoadError("unreadable", f"cannot read the file: {exc.strerror or exc}") from None


def extract(data: bytes, path: Path) -> Extracted:
    """Run the file type's loader. Every failure becomes a ``LoadError`` naming the file's problem."""
    try:
        extracted = as_extracted(LOADERS.get(path.suffix.lower())(data, path.name))
    except LoadError:
        raise
    except ValueError as exc:  # a plug-in's (or our text loader's) reason
        raise LoadError("unreadable", str(exc)) from None
    except Exception as exc:  # noqa: BLE001 - a parser's crash on one file must not stop the others
        raise LoadError("corrupt", f"{path.name} could not be read ({exc.__class__.__name__}: {exc})") from None
    if not extracted.text.strip():
        raise LoadError("empty", "the file is empty")
    return extracted


def document_from(path: Path, source: str, data: bytes, extracted: Extracted) -> Document:
    return Document(
        path=path,
        source=source,
        text=extracted.text,
        sha256=hashlib.sha256(data).hexdigest(),
        layout=extracted.layout,
    )


def load_document(path: Path, source: str, max_bytes: int | None = None) -> Document:
    """Read one file. Raises ``LoadError`` (a ``ValueError``): unsupported, unreadable, wrong type,
    corrupt, password-protected, empty, too big, or needing OCR that is not installed."""
    data = read_document_bytes(path, max_bytes)
    return document_from(path, source, data, extract(data, path))


def discover(paths: list[Path]) -> list[Path]:
    """Expand files and folders into a sorted list of candidate files (hidden files skipped)."""
    found: set[Path] = set()
    for root in paths:
        if root.is_file():
            found.add(root.resolve())
        elif root.is_dir():
            for p in root.rglob("*"):
                rel = p.relative_to(root)
                if p.is_file() and not any(part.startswith(".") for part in rel.parts):
                    if len(rel.parts) == 1 and rel.name in CORPUS_NOTES:
                        continue
                    found.add(p.resolve())
        else:
            raise InputError(
                f"{root} does not exist. Create it and put documents ({describe_supported()}) in it, "
                "or name existing files: "
                "rag ingest PATH ..."
            )
    return sorted(found)
