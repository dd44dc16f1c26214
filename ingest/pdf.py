"""PDF loader (pypdfium2): text per page, sections from the outline, OCR for scanned pages.

Chosen by measurement on Debian's PDF manuals (2-core CPU): pypdfium2 extracted bashref.pdf
(196 pages) at 548 pages/s and gnuplot.pdf (311 pages) at 759 pages/s; pypdf gave the same text at
40 and 34 pages/s, pdfminer.six at 19 pages/s. pypdfium2 is Apache-2.0/BSD-3 and ships PDFium as a
wheel (no compiling).
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

from ingest.extract import Extracted, LoadError, TextBuilder, clean_line, unwrap_lines, wrong_type
from ingest.ocr import ocr_lines, ocr_missing

SCANNED_CHARS = 16  # a page with fewer text characters than this but with an image is OCRed
OCR_DPI = 300
MAX_RENDER_PIXELS = 40_000_000  # a scanned page is rendered at most this big (no decompression bombs)
PASSWORD_ERROR = 4  # FPDF_ERR_PASSWORD
RUNNING_PAGES = 3
# A sentence's end, then the title's number if any, just before a title run on after its paragraph:
# "... over aliases. 6.7 " before "Arrays", "... for data files. " before "Coordinates".
RUN_ON_HEADING = re.compile(r"[.!?:)”\"]\s+((?:(?:\d+|[A-Z])(?:\.\d+)*\.?\s+)?)$")
_TERM = re.compile(r"^-{0,2}[A-Za-z_][A-Za-z0-9_.-]{1,39}$")  # one identifier or option, nothing else


def _open(data: bytes, name: str) -> Any:
    import pypdfium2 as pdfium

    if b"%PDF-" not in data[:1024]:
        raise wrong_type(name, "a PDF", data)
    if b"%%EOF" not in data[-4096:]:
        raise LoadError("corrupt", f"{name} is truncated or corrupt (no end-of-file marker); get a complete copy")
    try:
        return pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        if getattr(exc, "err_code", None) == PASSWORD_ERROR:
            raise LoadError(
                "encrypted",
                f"{name} is password-protected; save a copy without the password "
                "(e.g. qpdf --decrypt --password=PASSWORD in.pdf out.pdf) and add that",
            ) from None
        raise LoadError("corrupt", f"{name} is corrupt and cannot be read as a PDF ({exc})") from None


def _chrome_key(line: str) -> str:
    return re.sub(r"\d+", "#", line.strip().lower())


def _edges(lines: list[str]) -> list[str]:
    text = [x for x in lines if x.strip()]
    return [text[0], text[-1]] if len(text) > 1 else text


def _running_lines(pages: list[list[str]]) -> set[str]:
    """Running headers and footers: a page's first or last line that recurs (numbers aside) as the first
    or last line of at least ``RUNNING_PAGES`` pages, or a bare page number."""
    counts = Counter(key for lines in pages for key in {_chrome_key(x) for x in _edges(lines)})
    return {key for key, n in counts.items() if n >= RUNNING_PAGES or key == "#"}


def _strip_chrome(lines: list[str], chrome: set[str]) -> list[str]:
    """The page's lines without its running header and footer."""
    edges = {i for i, x in enumerate(lines) if x.strip()}
    keep = list(lines)
    for i in (min(edges, default=-1), max(edges, default=-1)):
        if i >= 0 and _chrome_key(lines[i]) in chrome:
            keep[i] = ""
    return keep


def join_terms(paragraphs: list[str]) -> list[str]:
    """A definition-list term printed on a line of its own ("HISTFILESIZE", "--login") joins the
    description that follows, so the description's sentence names what it describes."""
    out: list[str] = []
    for paragraph in paragraphs:
        if out and _TERM.match(out[-1]) and len(paragraph) >= 40 and paragraph[0].isupper():
            out[-1] = f"{out[-1]} {paragraph}"
        else:
            out.append(paragraph)
    return out


def _page_text(page: Any) -> str:
    textpage = page.get_textpage()
    try:
        return textpage.get_text_bounded().replace("\r\n", "\n").replace("\r", "\n")
    finally:
        textpage.close()


def _has_image(page: Any) -> bool:
    import pypdfium2.raw as raw

    return any(True for _ in page.get_objects(filter=[raw.FPDF_PAGEOBJ_IMAGE], max_depth=2))


def _render(page: Any) -> Any:
    width, height = page.get_size()
    scale = min(OCR_DPI / 72, (MAX_RENDER_PIXELS / max(width * height, 1.0)) ** 0.5)
    return page.render(scale=scale, grayscale=True).to_pil()


def _outline(pdf: Any) -> list[tuple[int, str, int]]:
    """``(level, title, page index)`` of each outline entry that points at a page."""
    out = []
    for mark in pdf.get_toc(max_depth=8):
        dest = mark.get_dest()
        index = dest.get_index() if dest is not None else None
        title = clean_line(mark.get_title() or "")
        if index is not None and title:
            out.append((mark.level, title, index))
    return out


def _heading_line(text: str, lowered: str, title: str, start: int, end: int) -> tuple[int, str] | None:
    """Where the heading starts and its text: a line ending with the outline's title ("3.5.7 Word
    Splitting" for "Word Splitting") wins over a mention inside a paragraph (which keeps the title).
    The extracted text may run a heading on after the paragraph before it ("... over aliases. 6.7
    Arrays", "... for data files. Coordinates"): a title in the outline's case that ends its line just
    after a sentence end and its number, if any, is the heading too, starting there, when the page has
    no line that starts with it."""
    first = run_on_heading = None
    found = lowered.find(title.lower(), start, end)
    while found != -1:
        line_start = text.rfind("\n", 0, found) + 1
        line_end = text.find("\n", found)
        line_end = len(text) if line_end == -1 else line_end
        ends_line = found + len(title) == line_end
        if ends_line and found - line_start <= 16:
            return line_start, text[line_start:line_end]
        run_on = RUN_ON_HEADING.search(text, line_start, found) if ends_line else None
        if run_on and text.startswith(title, found):  # in the outline's own case: "... covers: arrays" is not it
            run_on_heading = run_on_heading or (run_on.start(1), text[run_on.start(1) : line_end])
        first = (line_start, title) if first is None else first
        found = lowered.find(title.lower(), found + 1, end)
    return run_on_heading or first


def _sections(builder: TextBuilder, found_in: Extracted, outline: list[tuple[int, str, int]]) -> None:
    """Place each outline heading at the line of its page that names it (else at the page start)."""
    text, pages = found_in.text, found_in.pages
    lowered = text.lower()
    ends = [*pages[1:], len(text)]
    path: list[tuple[int, str]] = []
    last = 0
    for level, title, index in outline:
        if not 0 <= index < len(pages):
            continue
        start, end = pages[index], ends[index]
        offset, title = _heading_line(text, lowered, title, max(start, last), end) or (start, title)
        last = max(last, offset)
        path = [p for p in path if p[0] < level] + [(level, title)]
        builder.section_at(last, path)


def load_pdf(data: bytes, name: str) -> Extracted:
    """Every page's text (OCR where a page is only an image), with page starts and outline sections."""
    pdf = _open(data, name)
    try:
        builder = TextBuilder()
        scanned: list[int] = []
        pages: list[list[str]] = []
        for index in range(len(pdf)):
            page = pdf[index]
            try:
                text = _page_text(page)
                if len(text.strip()) < SCANNED_CHARS and _has_image(page):
                    scanned.append(index + 1)
                    if ocr_missing() is None:
                        text = "\n".join(ocr_lines(_render(page)))
                pages.append(text.split("\n"))
            finally:
                page.close()
        chrome = _running_lines(pages)
        for number, lines in enumerate(pages, 1):
            builder.new_page(ocr=number in scanned)
            for paragraph in join_terms(unwrap_lines(_strip_chrome(lines, chrome))):
                builder.paragraph(paragraph)
        if scanned and (why := ocr_missing()) is not None:
            pages = ", ".join(map(str, scanned[:10])) + (" ..." if len(scanned) > 10 else "")
            raise LoadError("ocr_missing", f"{name} has scanned pages ({pages}) and {why}")
        if not builder.length:
            raise LoadError("empty", f"{name} has no text ({len(pages)} page(s), none with text or a scanned image)")
        extracted = builder.build()
        _sections(builder, extracted, _outline(pdf))
        return Extracted(extracted.text, extracted.pages, tuple(builder.sections), extracted.ocr_pages)
    finally:
        pdf.close()
