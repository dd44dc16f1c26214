"""A PDF uploaded in the web chat (a real Debian manual's pages), asked about, and a citation clicked:
the sources panel shows the page and section, and its link serves the indexed PDF at that page."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests import documents
from tests.e2e.conftest import Served, serve
from tests.e2e.test_browser import ARTIFACTS, BOT, browser, open_chat  # noqa: F401 - browser is a fixture

pytestmark = [pytest.mark.slow, pytest.mark.browser]

# A scripted reply that grounding confirms against the manual's page 41 (page 3 of the excerpt).
REPLY = "fake:The shell treats each character of $IFS as a delimiter [1]."
SENTENCE = "The shell treats each character of $IFS as a delimiter"


@pytest.fixture(scope="module")
def pdf_app(tmp_path_factory, real_embeddings) -> Iterator[Served]:
    yield from serve(tmp_path_factory.mktemp("pdfchat"), REPLY, real_embeddings)


def test_upload_a_pdf_ask_and_open_the_cited_page(pdf_app, browser, tmp_path):  # noqa: F811
    pdf = documents.write_manual_excerpt(tmp_path / "bash manual.pdf", 39, 42)
    page = open_chat(browser, pdf_app.url)
    page.get_by_text("Add a document").click()
    page.locator("#rag-upload input[type=file]").set_input_files(str(pdf))
    page.get_by_text("bash_manual.pdf is ready").wait_for()

    page.fill("#rag-question textarea", "What does the shell treat as delimiters when it splits words?")
    page.keyboard.press("Enter")
    page.wait_for_selector("details.rag-turn")
    page.locator(f"{BOT} a.rag-cite").first.click()
    source = page.locator("#rag-sources details[open] article.rag-src").first
    assert source.locator(".rag-src-doc").inner_text() == "bash_manual.pdf"
    assert source.locator(".rag-src-pos").inner_text().startswith("page 3 · 3.5.7 Word Splitting")
    assert SENTENCE in source.locator("mark").inner_text()
    link = source.locator("a.rag-src-open")
    assert link.inner_text().startswith("open page 3")
    href = link.get_attribute("href")
    assert href.endswith("#page=3")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "browser-pdf-citation.png"))

    served = page.request.get(pdf_app.url + href.split("#")[0])  # what the link opens: the indexed PDF
    assert served.status == 200 and served.headers["content-type"] == "application/pdf"
    assert served.body() == pdf.read_bytes()
    corpus_file = pdf_app.settings.corpus_path / "openai-code-red.txt"  # nothing else is served
    assert page.request.get(f"{pdf_app.url}gradio_api/file={corpus_file}").status == 403
    page.context.close()
