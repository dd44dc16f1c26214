"""Real documents for tests: Debian's Bash manual (PDF and HTML, package bash-doc), and Word files,
scanned pages and broken files generated here. ``scripts/setup.sh --dev`` installs bash-doc and
Tesseract; without them these tests skip on a developer's machine and fail in CI."""

from __future__ import annotations

import io
import os
import zipfile
from pathlib import Path

import pytest

BASH_DOC = Path("/usr/share/doc/bash")
MANUAL_PDF = BASH_DOC / "bashref.pdf"  # Bash Reference Manual 5.2, 196 pages, with an outline
MANUAL_HTML = BASH_DOC / "bashref.html"
MANUAL_PAGES = 196
# A sentence of the manual, the page it is printed on (1-based) and the section it sits under.
WORD_SPLITTING = "The shell scans the results of parameter expansion, command substitution, and arithmetic"
WORD_SPLITTING_PAGE = 41
WORD_SPLITTING_SECTION = "3.5.7 Word Splitting"

SCANNED_LINES = [
    "Riverside Pumping Station: maintenance notes",
    "",
    "The north pump is inspected every 45 days by the day shift.",
    "Its bearings were replaced in March 2023 after a vibration alarm.",
    "",
    "The backup generator runs a load test on the first Monday of each month.",
]


def require(path: Path, package: str) -> Path:
    """``path`` from a Debian package, or a skip (a failure in CI, where setup.sh installs it)."""
    if path.is_file():
        return path
    message = f"{path} is missing: apt-get install {package} (scripts/setup.sh --dev does it as root)"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


def manual_pdf() -> Path:
    return require(MANUAL_PDF, "bash-doc")


def manual_html() -> Path:
    return require(MANUAL_HTML, "bash-doc")


def ocr_missing() -> str | None:
    from ingest.ocr import ocr_missing as missing

    return missing()


def require_ocr() -> None:
    why = ocr_missing()
    if why is not None:
        if os.environ.get("CI"):
            pytest.fail(why)
        pytest.skip(why)


def write_docx(path: Path, blocks: list[tuple[str, str]]) -> Path:
    """A Word file from ``(kind, text)`` blocks: kind is "title", "h1".."h3", "p" or "table" (cells
    separated by "|", rows by "\\n")."""
    import docx

    document = docx.Document()
    for kind, text in blocks:
        if kind == "title":
            document.add_heading(text, level=0)
        elif kind.startswith("h"):
            document.add_heading(text, level=int(kind[1:]))
        elif kind == "table":
            rows = [r.split("|") for r in text.split("\n")]
            table = document.add_table(rows=len(rows), cols=len(rows[0]))
            for i, row in enumerate(rows):
                for j, cell in enumerate(row):
                    table.cell(i, j).text = cell.strip()
        else:
            document.add_paragraph(text)
    document.save(str(path))
    return path


def scanned_image(lines: list[str]):
    """An A4 page at 200 dpi with ``lines`` drawn as pixels (no text layer)."""
    from PIL import Image, ImageDraw, ImageFont

    font = ImageFont.load_default(size=28)
    image = Image.new("L", (1654, 2339), 255)
    draw = ImageDraw.Draw(image)
    y = 160
    for line in lines:
        draw.text((140, y), line, font=font, fill=0)
        y += 52
    return image


def write_scanned_pdf(path: Path, pages: list[list[str]]) -> Path:
    """A PDF whose pages are only images of text, as a scanner makes them."""
    images = [scanned_image(lines) for lines in pages]
    images[0].save(path, "PDF", resolution=200, save_all=True, append_images=images[1:])
    return path


def write_manual_excerpt(path: Path, first: int, last: int, *more: tuple[int, int]) -> Path:
    """Pages ``first``..``last`` (1-based; then each ``(first, last)`` of ``more``) of the real manual
    as their own PDF (pypdf), for tests that need a real PDF but not all 196 pages of it."""
    from pypdf import PdfReader, PdfWriter

    reader = PdfReader(manual_pdf())
    writer = PdfWriter()
    kept: dict[int, int] = {}  # original page index → excerpt page index
    for a, b in [(first, last), *more]:
        for index in range(a - 1, b):
            kept[index] = len(kept)
            writer.add_page(reader.pages[index])

    def copy_outline(items: list, parent=None) -> None:  # the manual's bookmarks that point into the excerpt
        last = parent
        for item in items:
            if isinstance(item, list):
                copy_outline(item, last)
                continue
            index = reader.get_destination_page_number(item)
            if index in kept:
                last = writer.add_outline_item(item.title, kept[index], parent=parent)

    copy_outline(reader.outline)
    with path.open("wb") as fh:
        writer.write(fh)
    return path


def write_encrypted_pdf(path: Path, password: str = "s3cret") -> Path:
    """The manual's first two pages, encrypted with a user password (pypdf)."""
    from pypdf import PdfReader, PdfWriter

    reader = PdfReader(manual_pdf())
    writer = PdfWriter()
    for page in reader.pages[:2]:
        writer.add_page(page)
    writer.encrypt(user_password=password, owner_password=password + "-owner")
    with path.open("wb") as fh:
        writer.write(fh)
    return path


def write_blank_pdf(path: Path) -> Path:
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    with path.open("wb") as fh:
        writer.write(fh)
    return path


def write_zip_bomb_docx(path: Path, inflated: int = 30_000_000) -> Path:
    """A .docx whose one extra entry inflates ~1000x (zeros): the shape of a zip bomb."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document/>")
        archive.writestr("word/media/padding.bin", b"\0" * inflated)
    path.write_bytes(buffer.getvalue())
    return path


HOSTILE_HTML = """<!doctype html>
<html><head><title>Valve guide</title>
<script>document.title = "pwned"; fetch("http://127.0.0.1:9/steal");</script>
<style>body { color: red }</style></head>
<body>
<header class="site-header"><a href="/">Home</a> Site banner text</header>
<nav><ul><li><a href="/a">Products</a></li><li><a href="/b">Support</a></li></ul></nav>
<main>
<div class="breadcrumbs">Docs / Valves / Maintenance</div>
<h1>Valve maintenance</h1>
<p>Close the <b>isolation valve</b> before removing the actuator.</p>
<script>alert("never run")</script>
<h2>Torque</h2>
<p>Tighten the flange bolts to 45 newton metres in a star pattern.</p>
<table><tr><th>Part</th><th>Interval</th></tr><tr><td>Seal</td><td>12 months</td></tr></table>
<img src="x" onerror="alert('img')">
</main>
<footer>Copyright footer text. <a href="/privacy">Privacy</a></footer>
</body></html>
"""
