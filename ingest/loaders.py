"""Load documents from disk; every problem is reported by file name, never silently skipped.

File types come from one registry keyed by suffix (``LOADERS``): a loader turns a file's bytes into
the text that is indexed and cited. Another package adds a format through the ``rag.loaders``
entry-point group, with an entry point named after the suffix (``.rst = mypkg:load_rst``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from rag.errors import InputError
from rag.registry import Registry
from rag.types import Document

MAX_DOCUMENT_BYTES = 20_000_000
# Files that describe a corpus folder rather than belong to it.
CORPUS_NOTES = frozenset({"README.md"})

Loader = Callable[[bytes, str], str]


@dataclass(frozen=True)
class Skipped:
    """A file that was not ingested, and why."""

    path: Path
    reason: str


def decode(data: bytes, name: str, max_bytes: int = MAX_DOCUMENT_BYTES) -> str:
    """Decode document bytes as UTF-8 text or raise ``ValueError`` with a reason a user can act on."""
    if len(data) > max_bytes:
        raise ValueError(f"{len(data):,} bytes is over the {max_bytes:,}-byte limit; split the file")
    if b"\x00" in data[:8192]:
        raise ValueError("looks like a binary file, not text")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ValueError(f"not valid UTF-8 (byte {exc.start}); re-save {name} as UTF-8") from None
    text = text.removeprefix("\ufeff")
    if not text.strip():
        raise ValueError("the file is empty")
    return text


def load_text(data: bytes, name: str) -> str:
    """Plain text and Markdown: the decoded file is the indexed text."""
    return decode(data, name)


LOADERS: Registry[Loader] = Registry(
    "document type", "rag.loaders", {".txt": load_text, ".md": load_text, ".markdown": load_text}
)


def supported_suffixes() -> list[str]:
    """Every file suffix some loader reads, built-in or installed (``[".markdown", ".md", ".txt"]``)."""
    return LOADERS.names()


def describe_supported() -> str:
    """The supported types for messages: ``".markdown, .md, .txt"``."""
    return ", ".join(supported_suffixes())


def load_document(path: Path, source: str, max_bytes: int = MAX_DOCUMENT_BYTES) -> Document:
    """Read one file. Raises ``ValueError`` (unsupported, unreadable, binary, empty, too big)."""
    suffix = path.suffix.lower()
    if suffix not in supported_suffixes():
        raise ValueError(f"unsupported file type {path.suffix or '(none)'}; supported: {describe_supported()}")
    try:
        size = path.stat().st_size
        if size > max_bytes:  # checked before reading: a huge file is never loaded into memory
            raise ValueError(f"{size:,} bytes is over the {max_bytes:,}-byte limit; split the file")
        data = path.read_bytes()
    except OSError as exc:
        raise ValueError(f"cannot read the file: {exc.strerror or exc}") from None
    text = LOADERS.get(suffix)(data, path.name)
    if not text.strip():
        raise ValueError("the file is empty")
    return Document(path=path, source=source, text=text, sha256=hashlib.sha256(data).hexdigest())


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
