"""Load documents from disk; every problem is reported by file name, never silently skipped."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from rag.errors import InputError

SUPPORTED_SUFFIXES = frozenset({".txt", ".md", ".markdown"})
MAX_DOCUMENT_BYTES = 20_000_000
# Files that describe a corpus folder rather than belong to it.
CORPUS_NOTES = frozenset({"README.md"})


@dataclass(frozen=True)
class Document:
    """A loaded document; ``text`` is exactly the decoded file content (offsets index into it)."""

    path: Path
    source: str  # path relative to the project root, as cited
    text: str
    sha256: str

    @property
    def title(self) -> str:
        first = self.text.strip().splitlines()[0] if self.text.strip() else self.path.name
        return first.lstrip("# ").strip()[:120] or self.path.name


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


def load_document(path: Path, source: str, max_bytes: int = MAX_DOCUMENT_BYTES) -> Document:
    """Read one file. Raises ``ValueError`` (unsupported, unreadable, binary, empty, too big)."""
    if path.suffix.lower() not in SUPPORTED_SUFFIXES:
        raise ValueError(
            f"unsupported file type {path.suffix or '(none)'}; supported: {', '.join(sorted(SUPPORTED_SUFFIXES))}"
        )
    try:
        size = path.stat().st_size
        if size > max_bytes:  # checked before reading: a huge file is never loaded into memory
            raise ValueError(f"{size:,} bytes is over the {max_bytes:,}-byte limit; split the file")
        data = path.read_bytes()
    except OSError as exc:
        raise ValueError(f"cannot read the file: {exc.strerror or exc}") from None
    text = decode(data, path.name, max_bytes)
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
                f"{root} does not exist. Create it and put .txt or .md files in it, or name existing files: "
                "rag ingest PATH ..."
            )
    return sorted(found)
