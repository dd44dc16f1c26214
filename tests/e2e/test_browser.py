"""The web chat in a real headless Chromium (Debian's ``chromium``), driven by Playwright.

Screenshots go to ``test-artifacts/`` at the repository root.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

pytestmark = [pytest.mark.slow, pytest.mark.browser]

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
TIMEOUT_MS = 90_000
WEEKLY = (
    "Currently, over 800 million people worldwide chat with ChatGPT every week, seeking advice or completing tasks."
)
BOT = '#rag-chat [data-testid="bot"]'
USER = '#rag-chat [data-testid="user"]'
# Records every distinct text of the newest assistant message, to prove the answer streamed.
RECORD_BOT_TEXTS = """
window.__botTexts = [];
new MutationObserver(() => {
  const bots = document.querySelectorAll('#rag-chat [data-testid="bot"]');
  if (!bots.length) return;
  const text = bots[bots.length - 1].innerText;
  if (window.__botTexts[window.__botTexts.length - 1] !== text) window.__botTexts.push(text);
}).observe(document.querySelector('#rag-chat'), {subtree: true, childList: true, characterData: true});
"""


@pytest.fixture(scope="module")
def browser() -> Iterator:
    if not (shutil.which(CHROMIUM) or Path(CHROMIUM).exists()):
        message = f"{CHROMIUM} not found: apt-get install -y chromium"
        if os.environ.get("CI"):
            pytest.fail(message)  # CI installs chromium; this test must run there
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield chromium
        chromium.close()


def open_chat(browser, url: str):
    page = browser.new_context(viewport={"width": 1400, "height": 900}).new_page()
    page.set_default_timeout(TIMEOUT_MS)
    page.goto(url, wait_until="domcontentloaded")  # a Gradio page never reaches "network idle"
    page.wait_for_selector("#rag-question textarea")
    return page


def ask(page, question: str) -> None:
    """Type a question, send it, and wait for the checked answer (its sources section appears)."""
    answered = page.locator("details.rag-turn").count()
    page.fill("#rag-question textarea", question)
    page.keyboard.press("Enter")
    page.wait_for_function(f"document.querySelectorAll('details.rag-turn').length > {answered}")


def test_chat_streams_cites_follows_up_and_starts_over(small_model_app, browser, article_text):
    page = open_chat(browser, small_model_app.url)
    for example in ("Who is the head of ChatGPT?", "How many people use ChatGPT every week?", "What is Garlic?"):
        assert page.get_by_text(example).is_visible()  # example questions on an empty chat
    page.evaluate(RECORD_BOT_TEXTS)

    ask(page, "Who is the head of ChatGPT?")
    drafts = page.evaluate("window.__botTexts")
    streamed = [t for t in drafts if "checking it against the sources" in t and t.split("▍")[0].strip()]
    assert streamed, f"no streamed draft was shown; saw {drafts}"
    answer = page.locator(BOT).last.inner_text()
    assert answer.strip() and "checking it against" not in answer  # the draft was replaced
    assert "Nick Turley" in answer and "do not say" not in answer  # the tiny model answers this one
    page.locator(f"{BOT} a.rag-cite").first.click()  # its cited sentence is highlighted
    mark = page.locator("#rag-sources details[open] mark").first
    mark.wait_for()
    assert "Nick Turley, head of ChatGPT" in mark.inner_text() and mark.inner_text() in article_text
    assert page.locator("#rag-sources article.rag-flash").count() == 1
    assert "openai-code-red.txt" in page.locator("#rag-sources details[open] .rag-src-doc").first.inner_text()

    ask(page, "When did he join?")  # a follow-up in the same conversation
    assert page.locator(USER).count() == 2 and page.locator(BOT).count() == 2
    page.locator("#rag-details").get_by_text("How this answer was made").click()
    page.locator("#rag-details").get_by_text("Searched for:").wait_for()
    details = page.locator("#rag-details").inner_text()
    assert "Searched for:" in details and "first token" in details and "total" in details
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "browser-chat.png"), full_page=True)

    page.locator(BOT).first.hover()
    page.locator("#rag-chat").get_by_label("Like", exact=True).first.click()  # thumbs up on the first answer
    feedback = small_model_app.settings.data_path / "feedback.jsonl"
    page.wait_for_function("document.querySelector('#rag-notice').innerText.includes('feedback')")
    record = json.loads(feedback.read_text(encoding="utf-8").splitlines()[-1])
    assert record["vote"] == "up" and record["question"] == "Who is the head of ChatGPT?"
    assert {"answer", "citations", "time"} <= set(record)

    page.click("#rag-new-chat")
    page.wait_for_function(f"document.querySelectorAll('{BOT}').length === 0")
    assert page.locator(USER).count() == 0
    assert page.get_by_text("Who is the head of ChatGPT?").is_visible()  # the examples are back
    assert "Cited passages appear here" in page.locator("#rag-sources").inner_text()
    page.context.close()


def test_cited_passage_is_highlighted_and_tabs_are_separate(scripted_app, browser):
    page = open_chat(browser, scripted_app.url)
    page.get_by_text("How many people use ChatGPT every week?").click()  # an example question
    page.wait_for_selector("details.rag-turn")
    link = page.locator(f"{BOT} a.rag-cite")
    assert link.inner_text() == "[1]"
    link.click()
    assert page.locator("#rag-sources details[open] mark").inner_text() == WEEKLY
    assert "characters" in page.locator("#rag-sources .rag-src-pos").inner_text()
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "browser-citation.png"))

    other = open_chat(browser, scripted_app.url)  # a second tab is a separate conversation
    assert other.locator(BOT).count() == 0
    ask(other, "How many people use ChatGPT every week?")
    assert other.locator(BOT).count() == 1 and page.locator(BOT).count() == 1
    other.context.close()
    page.context.close()


def test_a_withdrawn_draft_is_replaced_by_the_sources_own_sentence(quoting_app, browser, article_text):
    """Verification withdraws the draft; the chat shows the quoted source sentence, says why, and its
    [1] highlights exactly that sentence."""
    page = open_chat(browser, quoting_app.url)
    ask(page, "Since when has ChatGPT's mobile daily active user growth stagnated, according to Apptopia?")
    bot = page.locator(BOT).last
    text = bot.inner_text()
    assert "Since April, according to Apptopia" not in text  # the withdrawn draft is gone from the answer
    assert "did not hold up against the sources" in text and "word for word" in text
    quoted = text[text.index("“") + 1 : text.index("”")]
    assert quoted in article_text and "Apptopia" in quoted  # verbatim, a sentence of the article
    bot.locator("a.rag-cite").first.click()
    assert page.locator("#rag-sources details[open] mark").inner_text() == quoted
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "browser-quote.png"))
    page.context.close()


def test_a_refusal_shows_the_passages_it_searched(scripted_app, browser):
    """The model finds no answer: the chat says so, and the sources panel shows the passages it was
    given, highlighted in their paragraphs, for the reader to check."""
    from tests.unit.helpers import scripted

    pipeline, model = scripted_app.pipeline, scripted_app.pipeline.llm
    pipeline.llm = scripted("The documents do not say.")
    try:
        page = open_chat(browser, scripted_app.url)
        ask(page, "How many people use ChatGPT every week?")
        said = page.locator(BOT).last.inner_text()
        assert said.startswith("The documents do not say.") and "closest to it are under Sources" in said
        panel = page.locator("#rag-sources details[open]")
        assert "passages searched closest to the question, for you to check" in panel.inner_text()
        marks = panel.locator("mark").all_inner_texts()
        assert len(marks) == 3 and any(WEEKLY in m for m in marks)
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "browser-searched.png"))
        page.context.close()
    finally:
        pipeline.llm = model


def test_upload_a_document_and_see_errors_in_the_page(scripted_app, browser, tmp_path):
    page = open_chat(browser, scripted_app.url)
    page.get_by_text("Add a document").click()
    note = tmp_path / "zorblax notes.md"
    note.write_text("# Zorblax\nThe Zorblax protocol was invented by Quintessa Marlowe in 2031.\n", encoding="utf-8")
    page.locator("#rag-upload input[type=file]").set_input_files(str(note))
    page.get_by_text("zorblax_notes.md is ready").wait_for()
    pipeline = scripted_app.pipeline
    assert ".rag/uploads/zorblax_notes.md" in pipeline.index.manifest.documents
    found = pipeline.retrieve("Who invented the Zorblax protocol?")
    passages, relevant = found.passages, found.relevant
    assert relevant and passages[0].source == ".rag/uploads/zorblax_notes.md"

    bad = tmp_path / "page.html"
    bad.write_text("<script>alert(1)</script>", encoding="utf-8")
    page.locator("#rag-upload input[type=file]").set_input_files(str(bad))
    page.get_by_text("page.html was not added", exact=False).wait_for()  # only a script: no text to index
    assert not (scripted_app.settings.data_path / "uploads" / "page.html").exists()
    page.context.close()
