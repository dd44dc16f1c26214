"""Loaders on real files: Debian's Bash manual as PDF and HTML, generated Word files and scanned
pages, and every kind of bad file, each refused with a named error."""

from __future__ import annotations

from pathlib import Path

import pypdfium2 as pdfium
import pytest

from ingest import ocr
from ingest.extract import Extracted, LoadError, unwrap_lines
from ingest.loaders import LOADERS, extract, load_document, read_document_bytes, supported_suffixes
from ingest.pdf import _heading_line
from tests import documents as docs


def load(path: Path) -> Extracted:
    return extract(read_document_bytes(path), path)


def test_every_format_is_registered_once():
    assert {".pdf", ".docx", ".html", ".htm", ".txt", ".md"} <= set(supported_suffixes())


def test_pdf_pages_and_sections_of_the_debian_manual():
    path = docs.manual_pdf()
    extracted = load(path)
    layout = extracted.layout
    assert len(extracted.pages) == docs.MANUAL_PAGES
    at = extracted.text.index(docs.WORD_SPLITTING)
    assert layout.page_at(at) == docs.WORD_SPLITTING_PAGE
    # the page really is the one PDFium prints that sentence on (independent of our joining)
    page = pdfium.PdfDocument(path)[docs.WORD_SPLITTING_PAGE - 1]
    assert docs.WORD_SPLITTING.split(",")[0] in page.get_textpage().get_text_bounded()
    assert layout.section_at(at).endswith(docs.WORD_SPLITTING_SECTION)
    assert layout.section_at(at).startswith("3 Basic Shell Features > 3.5 Shell Expansions")
    # every page start is a paragraph start, and no running header is left as text
    assert all(p == 0 or extracted.text[p - 2 : p] == "\n\n" for p in extracted.pages if p < len(extracted.text))
    assert "Chapter 3: Basic Shell Features" not in extracted.text
    assert not extracted.ocr_pages
    # "6.7 Arrays" runs on after the last sentence of "6.6 Aliases" in the extracted text: the section
    # starts at the heading, not at the start of that paragraph
    aliases = extracted.text.index("Aliases are not expanded when the shell is not interactive")
    assert layout.section_at(aliases).endswith("6.6 Aliases"), layout.section_at(aliases)
    assert layout.section_at(extracted.text.index("6.7 Arrays", aliases)).endswith("6.7 Arrays")


def test_a_heading_run_on_after_its_paragraph_starts_at_itself():
    text = "Use functions, not aliases. 6.7 Arrays\n\nBash has arrays. See data files. Coordinates\n\nThe arrays."
    lowered = text.lower()
    assert _heading_line(text, lowered, "Arrays", 0, len(text)) == (text.index("6.7"), "6.7 Arrays")
    assert _heading_line(text, lowered, "Coordinates", 0, len(text)) == (text.index("Coord"), "Coordinates")
    mention = "Bash has arrays and more\n\nText."
    assert _heading_line(mention, mention.lower(), "Arrays", 0, len(mention)) == (0, "Arrays")  # a mention
    both = "This section covers: Arrays\n\n6.7 Arrays\n\nBash has arrays. It is done. Arrays\n"
    assert _heading_line(both, both.lower(), "Arrays", 0, len(both)) == (both.index("6.7"), "6.7 Arrays")
    numbered = "Some text here.\n1. Arrays\n\nChapter 3: Arrays\n"
    assert _heading_line(numbered, numbered.lower(), "Arrays", 0, len(numbered)) == (16, "1. Arrays")
    lower = "Use lists, e.g. 5 arrays\n\nText."
    assert _heading_line(lower, lower.lower(), "Arrays", 0, len(lower)) == (0, "Arrays")  # another case: a mention


def test_html_main_text_and_sections_of_the_debian_manual_without_navigation():
    extracted = load(docs.manual_html())
    at = extracted.text.index(docs.WORD_SPLITTING)
    assert extracted.layout.page_at(at) is None  # web pages have no pages
    assert extracted.layout.section_at(at).endswith("3.5.7 Word Splitting")
    assert "Next: " not in extracted.text and "accesskey" not in extracted.text  # texinfo's navigation
    assert "\n\n" in extracted.text and all("\n" not in p for p in extracted.text.split("\n\n"))


def test_permalink_glyphs_are_not_text():
    text = load(docs.manual_html()).text
    assert "¶" not in text
    assert "\n\nHISTSIZE\n\n" in text  # texinfo's <dt>HISTSIZE<a class="copiable-anchor" href="#...">¶</a>


def test_a_sphinx_headerlink_is_not_part_of_its_heading(tmp_path: Path):
    page = tmp_path / "install.html"
    page.write_text(
        '<html><body><main><h1>Installation<a class="headerlink" href="#installation">¶</a></h1>'
        '<p>Run the installer. The mark <a href="marks.html">¶</a> ends a paragraph.</p></main></body></html>'
    )
    extracted = load(page)
    assert extracted.layout.section_at(extracted.text.index("Run")) == "Installation"
    assert "The mark ¶ ends a paragraph." in extracted.text  # a link elsewhere is text


def test_hostile_html_keeps_content_drops_scripts_navigation_header_and_footer(tmp_path: Path):
    page = tmp_path / "valves.htm"
    page.write_text(docs.HOSTILE_HTML, encoding="utf-8")
    extracted = load(page)
    text = extracted.text
    assert "Tighten the flange bolts to 45 newton metres" in text
    assert "Close the isolation valve before removing the actuator." in text  # inline tags joined
    assert "Seal | 12 months" in text
    for absent in ("pwned", "alert", "fetch", "Products", "Site banner", "Copyright footer", "color: red", "Docs /"):
        assert absent not in text, absent
    at = text.index("Tighten")
    assert extracted.layout.section_at(at) == "Valve maintenance > Torque"


def test_word_headings_become_sections_and_table_rows_paragraphs(tmp_path: Path):
    path = docs.write_docx(
        tmp_path / "pump.docx",
        [
            ("title", "Pump handbook"),
            ("h1", "1 Installation"),
            ("p", "Mount the pump on a level concrete base."),
            ("h2", "1.1 Wiring"),
            ("p", "The motor needs a 16 ampere breaker."),
            ("table", "Part|Torque\nFlange bolt|45 Nm"),
            ("h1", "2 Operation"),
            ("p", "Never run the pump dry."),
        ],
    )
    extracted = load(path)
    text, layout = extracted.text, extracted.layout
    assert layout.section_at(text.index("16 ampere")) == "Pump handbook > 1 Installation > 1.1 Wiring"
    assert layout.section_at(text.index("Never run")) == "Pump handbook > 2 Operation"
    assert "Flange bolt | 45 Nm" in text
    assert layout.page_at(0) is None and not extracted.pages


def test_scanned_pdf_is_read_by_ocr_and_marked(tmp_path: Path):
    docs.require_ocr()
    path = docs.write_scanned_pdf(tmp_path / "scan.pdf", [["A cover page with no facts."], docs.SCANNED_LINES])
    extracted = load(path)
    assert extracted.ocr_pages == (1, 2)
    at = extracted.text.index("inspected every 45 days")
    assert extracted.layout.page_at(at) == 2 and extracted.layout.is_ocr(at)
    assert "The backup generator runs a load test on the first Monday of each month." in extracted.text


def test_scanned_pdf_without_ocr_names_the_file_and_what_to_install(tmp_path: Path, monkeypatch):
    path = docs.write_scanned_pdf(tmp_path / "scan.pdf", [docs.SCANNED_LINES])
    monkeypatch.setattr("ingest.pdf.ocr_missing", lambda: "OCR is not installed (no tesseract program found): x")
    with pytest.raises(LoadError, match=r"scan\.pdf has scanned pages \(1\) and OCR is not installed") as err:
        load(path)
    assert err.value.kind == "ocr_missing"


def test_ocr_missing_says_what_to_install(monkeypatch):
    import pytesseract

    def absent():
        raise pytesseract.TesseractNotFoundError()

    ocr.ocr_missing.cache_clear()
    monkeypatch.setattr(pytesseract, "get_tesseract_version", absent)
    try:
        assert "apt-get install tesseract-ocr tesseract-ocr-eng" in ocr.ocr_missing()
    finally:
        ocr.ocr_missing.cache_clear()


def _bad(tmp_path: Path, case: str) -> Path:
    """Write one bad file and return it."""
    t = tmp_path
    if case == "encrypted":
        return docs.write_encrypted_pdf(t / "locked.pdf")
    if case == "truncated":
        data = docs.manual_pdf().read_bytes()
        (t / "cut.pdf").write_bytes(data[: len(data) // 2])
        return t / "cut.pdf"
    if case == "png-named-pdf":
        docs.scanned_image(["x"]).save(t / "photo.pdf", "PNG")
        return t / "photo.pdf"
    if case == "pdf-named-docx":
        (t / "report.docx").write_bytes(docs.manual_pdf().read_bytes()[:5000])
        return t / "report.docx"
    if case == "text-named-docx":
        (t / "notes.docx").write_text("just some notes")
        return t / "notes.docx"
    if case == "old-doc":
        (t / "old.docx").write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600)
        return t / "old.docx"
    if case == "corrupt-docx":
        data = docs.write_docx(t / "full.docx", [("p", "Some text " * 500)]).read_bytes()
        (t / "broken.docx").write_bytes(data[: len(data) // 2])
        return t / "broken.docx"
    if case == "zip-bomb":
        return docs.write_zip_bomb_docx(t / "bomb.docx")
    if case == "xlsx-named-docx":
        import zipfile

        with zipfile.ZipFile(t / "sheet.docx", "w") as z:
            z.writestr("xl/workbook.xml", "<workbook/>")
        return t / "sheet.docx"
    if case == "empty-pdf":
        return docs.write_blank_pdf(t / "blank.pdf")
    if case == "empty-docx":
        return docs.write_docx(t / "empty.docx", [])
    if case == "empty-html":
        (t / "empty.html").write_text("<html><body><nav>Home</nav><script>var x = 1;</script></body></html>")
        return t / "empty.html"
    if case == "binary-html":
        docs.scanned_image(["x"]).save(t / "image.html", "PNG")
        return t / "image.html"
    if case == "oversized":
        with (t / "huge.pdf").open("wb") as fh:
            fh.truncate(200_000_001)  # sparse; must never be read
        return t / "huge.pdf"
    raise AssertionError(case)


BAD = [
    ("encrypted", "encrypted", "locked.pdf is password-protected"),
    ("truncated", "corrupt", "cut.pdf is truncated or corrupt"),
    ("png-named-pdf", "wrong_type", "photo.pdf is named like a PDF but its content is a PNG image"),
    ("pdf-named-docx", "wrong_type", "report.docx is named like a Word document (.docx) but its content is a PDF"),
    ("text-named-docx", "wrong_type", "its content is text"),
    ("old-doc", "wrong_type", "old binary Word (.doc) file"),
    ("corrupt-docx", "corrupt", "broken.docx is truncated or corrupt"),
    ("zip-bomb", "too_big", "bomb.docx looks like a zip bomb"),
    ("xlsx-named-docx", "wrong_type", "sheet.docx is a zip archive but not a Word document"),
    ("empty-pdf", "empty", "blank.pdf has no text"),
    ("empty-docx", "empty", "empty.docx has no text"),
    ("empty-html", "empty", "empty.html has no text outside scripts"),
    ("binary-html", "wrong_type", "image.html is named like an HTML page but its content is a PNG image"),
    ("oversized", "too_big", "over the 100,000,000-byte limit"),
]


@pytest.mark.parametrize(("case", "kind", "message"), BAD, ids=[b[0] for b in BAD])
def test_bad_files_get_a_named_error(tmp_path: Path, case: str, kind: str, message: str):
    path = _bad(tmp_path, case)
    with pytest.raises(LoadError) as err:
        load_document(path, path.name)
    assert err.value.kind == kind and message in str(err.value), str(err.value)


def test_a_plugin_loader_may_return_plain_text_or_extracted(tmp_path: Path, monkeypatch):
    monkeypatch.setitem(LOADERS._builtins, ".rst", lambda data, name: data.decode() + " (rst)")
    monkeypatch.setitem(LOADERS._builtins, ".pages", lambda data, name: Extracted("One. Two.", pages=(0, 5)))
    (tmp_path / "a.rst").write_text("Title")
    (tmp_path / "b.pages").write_text("ignored")
    assert load_document(tmp_path / "a.rst", "a.rst").text == "Title (rst)"
    doc = load_document(tmp_path / "b.pages", "b.pages")
    assert doc.layout.page_at(5) == 2


def test_a_crashing_plugin_loader_is_reported_for_its_file_only(tmp_path: Path, monkeypatch):
    def crash(data: bytes, name: str) -> str:
        raise RuntimeError("parser bug")

    monkeypatch.setitem(LOADERS._builtins, ".odd", crash)
    (tmp_path / "x.odd").write_text("x")
    with pytest.raises(LoadError, match=r"x\.odd could not be read \(RuntimeError: parser bug\)"):
        load_document(tmp_path / "x.odd", "x.odd")


def test_unwrap_lines_joins_wrapped_lines_and_splits_at_short_ones():
    lines = [
        "3.5.7 Word Splitting",
        "The shell scans the results of parameter expansion, command substitution, and",
        "arithmetic expansion that did not occur within double quotes for word split-",
        "ting. A short closing line.",
        "",
        "Next paragraph.",
    ]
    assert unwrap_lines(lines) == [
        "3.5.7 Word Splitting",
        "The shell scans the results of parameter expansion, command substitution, and arithmetic expansion "
        "that did not occur within double quotes for word split-ting. A short closing line.",
        "Next paragraph.",
    ]


def test_a_definition_term_on_its_own_line_joins_its_description():
    from ingest.pdf import join_terms

    assert join_terms(["HISTFILESIZE", "The maximum number of lines contained in the history file.", "esac", "x"]) == [
        "HISTFILESIZE The maximum number of lines contained in the history file.",
        "esac",
        "x",
    ]
    assert join_terms(["3.5.7 Word Splitting", "The shell scans the results of parameter expansion."])[0] == (
        "3.5.7 Word Splitting"
    )
    extracted = load(docs.manual_pdf())
    assert "HISTFILESIZE The maximum number of lines contained in the history file." in extracted.text
