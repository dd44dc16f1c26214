"""Word loader (python-docx): body paragraphs and tables in order, sections from heading styles.

The archive is checked before python-docx opens it: a zip bomb (entries that inflate far beyond
the file's size) or a password-protected document gets a named error. Page headers and footers are
not read. Word files have no fixed pages, so citations carry ``page: null``.
"""

from __future__ import annotations

import io
import re
import zipfile
from typing import Any

from ingest.extract import Extracted, LoadError, TextBuilder, wrong_type

MAX_UNZIPPED_BYTES = 200_000_000  # all entries together, inflated
MAX_RATIO = 200  # inflated / compressed, per entry (XML compresses 5-20x; bombs 1000x and more)
MAX_ENTRIES = 10_000
_HEADING = re.compile(r"^(?:heading|überschrift|titre)\s*(\d)$", re.IGNORECASE)


def _check_archive(data: bytes, name: str) -> None:
    if data.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        if b"E\x00n\x00c\x00r\x00y\x00p\x00t\x00e\x00d\x00P\x00a\x00c\x00k\x00a\x00g\x00e" in data:
            raise LoadError(
                "encrypted",
                f"{name} is a password-protected Word document; save a copy without the password and add that",
            )
        raise LoadError("wrong_type", f"{name} is an old binary Word (.doc) file, not .docx; save it as .docx")
    if not data.startswith(b"PK"):
        raise wrong_type(name, "a Word document (.docx)", data)
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            entries = archive.infolist()
            if len(entries) > MAX_ENTRIES:
                raise LoadError("too_big", f"{name} holds {len(entries):,} files; a Word document has a few dozen")
            total = sum(e.file_size for e in entries)
            worst = max((e.file_size / max(e.compress_size, 1) for e in entries), default=0)
            if total > MAX_UNZIPPED_BYTES or worst > MAX_RATIO:
                raise LoadError(
                    "too_big",
                    f"{name} looks like a zip bomb: it inflates to {total:,} bytes "
                    f"(up to {worst:,.0f}x its compressed size); refused",
                )
            if "word/document.xml" not in archive.namelist():
                raise LoadError("wrong_type", f"{name} is a zip archive but not a Word document (no word/document.xml)")
            bad = archive.testzip()
    except zipfile.BadZipFile as exc:
        raise LoadError("corrupt", f"{name} is truncated or corrupt ({exc}); get a complete copy") from None
    if bad is not None:
        raise LoadError("corrupt", f"{name} is corrupt (entry {bad} fails its checksum); get a complete copy")


def _heading_level(paragraph: Any) -> int | None:
    style = getattr(paragraph.style, "name", "") or ""
    if style.lower() == "title":
        return 1
    match = _HEADING.match(style.strip())
    return int(match.group(1)) + 1 if match else None


def load_docx(data: bytes, name: str) -> Extracted:
    """The document body as paragraphs (a table row is one paragraph, cells joined by " | ")."""
    _check_archive(data, name)
    import docx
    from docx.table import Table

    try:
        document = docx.Document(io.BytesIO(data))
    except Exception as exc:  # noqa: BLE001 - python-docx raises KeyError, ValueError, lxml errors ...
        raise LoadError("corrupt", f"{name} is corrupt and cannot be read as a Word document ({exc})") from None
    builder = TextBuilder()
    for block in document.iter_inner_content():
        if isinstance(block, Table):
            for row in block.rows:
                cells: list[str] = []
                for cell in row.cells:
                    if cell.text.strip() and (not cells or cells[-1] != cell.text.strip()):  # merged cells repeat
                        cells.append(cell.text.strip())
                builder.paragraph(" | ".join(cells))
            continue
        level = _heading_level(block)
        if level is not None:
            builder.heading(block.text, level)
        else:
            builder.paragraph(block.text)
    if not builder.length:
        raise LoadError("empty", f"{name} has no text")
    return builder.build()
