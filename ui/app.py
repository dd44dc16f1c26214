"""The Gradio web chat: ``build_app(settings, pipeline)`` builds the Blocks once; ``launch`` serves it.

Callbacks only adapt: they call the pipeline and the pure functions in ``ui.render``. Each browser
session keeps its own conversation in ``gr.State``; nothing mutable is shared between users except
the pipeline itself (which is built once, before the app, and is safe to share).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import gradio as gr

from ingest.loaders import describe_supported, supported_suffixes
from rag.chain import Pipeline, Token
from rag.config import Settings
from rag.errors import ConfigError, RagError
from rag.store import Index
from rag.texts import originals_path
from rag.types import Answer
from ui.render import (
    EMPTY_SOURCES,
    WARNING,
    Turn,
    chat_messages,
    details_markdown,
    escape_markdown,
    feedback_record,
    history_of,
    shown,
    sources_html,
)
from ui.theme import CITE_JS, CSS
from ui.uploads import Uploader

API_NAME = "ask"
EXAMPLES = [
    "Who is the head of ChatGPT?",
    "How many people use ChatGPT every week?",
    "What is Garlic?",
]
LOCAL_FONTS = ["ui-sans-serif", "system-ui", "Segoe UI", "Roboto", "Helvetica", "Arial", "sans-serif"]
LOCAL_MONO_FONTS = ["ui-monospace", "SFMono-Regular", "Menlo", "Consolas", "monospace"]

ChatUpdate = tuple[list[dict[str, str]], str, str, list[Turn], str, str]


def read_documents(index: Index, turns: list[Turn]) -> dict[str, str | None]:
    """The extracted text of every document the sources panel shows (``ui.render.shown``), as the index
    stores it (``None`` if it has none).

    Citations are offsets into this text, so nothing is re-read from (or outside) the corpus."""
    return {source: index.document_text(source) for source in {c.source for t in turns for c in shown(t.answer)}}


def original_links(index: Index, turns: list[Turn]) -> dict[str, str | None]:
    """For each PDF the sources panel shows, the URL of the indexed copy that the app serves (see ``launch``)."""
    links: dict[str, str | None] = {}
    for source in {c.source for t in turns for c in shown(t.answer)}:
        path = index.original(source)
        links[source] = None if path is None else "gradio_api/file=" + quote(str(path.resolve()))
    return links


def append_feedback(path: Path, record: dict[str, Any]) -> None:
    """Append one JSON line (a single write, so concurrent votes do not interleave)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as fh:
        fh.write(json.dumps(record, ensure_ascii=False) + "\n")


def parse_auth(auth: str | None) -> tuple[str, str] | None:
    """``"user:pass"`` → ``("user", "pass")`` for ``launch(auth=...)``."""
    if not auth:
        return None
    user, sep, password = auth.partition(":")
    if not sep or not user or not password:
        raise ConfigError("auth must look like 'user:password' (set RAG_AUTH or auth in rag.toml)")
    return user, password


def build_app(
    settings: Settings, pipeline: Pipeline, problems: list[str] | None = None, uploader: Uploader | None = None
) -> gr.Blocks:
    """Build the web chat around an already loaded pipeline (no model is loaded here). ``problems``:
    files of the corpus that could not be ingested, shown in the page until the first question;
    ``uploader``: shared with the API when both are served (one upload at a time)."""
    uploader = uploader or Uploader(settings, pipeline)
    startup_notice = "\n\n".join(WARNING + escape_markdown(p) for p in problems or [])
    feedback_path = settings.data_path / "feedback.jsonl"

    def render(turns: list[Turn]) -> tuple[list[dict[str, str]], str, str]:
        latest = turns[-1].answer if turns else None
        index = pipeline.index
        sources = sources_html(turns, read_documents(index, turns), original_links(index, turns))
        return chat_messages(turns), sources, details_markdown(latest)

    def respond(question: str, turns: list[Turn]) -> Iterator[ChatUpdate]:
        """Stream the draft into the chat, then replace it with the checked answer and its sources."""
        messages, sources, details = render(turns)
        if not question.strip():
            yield messages, sources, details, turns, "", WARNING + "Type a question about the documents."
            return
        draft = ""
        yield chat_messages(turns, question, draft), sources, details, turns, "", ""
        final: Answer | None = None
        try:
            for event in pipeline.stream(question, history_of(turns)):
                if isinstance(event, Token):
                    draft += event.text
                    yield chat_messages(turns, question, draft), sources, details, turns, "", ""
                else:
                    final = event
        except RagError as exc:  # shown in the page; the conversation stays as it was
            yield messages, sources, details, turns, question, WARNING + escape_markdown(str(exc))
            return
        assert final is not None
        turns = [*turns, Turn(question, final)]
        yield *render(turns), turns, "", ""

    def pick_example(evt: gr.SelectData) -> str:
        value = evt.value
        return str(value.get("text", "")) if isinstance(value, dict) else str(value)

    def new_chat() -> tuple[list, str, str, list[Turn], str, str]:
        return [], EMPTY_SOURCES, details_markdown(None), [], "", ""

    def vote(turns: list[Turn], data: gr.LikeData) -> str:
        index = data.index[0] if isinstance(data.index, (list, tuple)) else data.index
        turn_no = int(index) // 2
        if not 0 <= turn_no < len(turns):
            return ""
        choice = ("up" if data.liked else "down") if isinstance(data.liked, bool) else str(data.liked)
        append_feedback(feedback_path, feedback_record(turns[turn_no], choice))
        return "Thanks — your feedback was saved."

    def upload(files: list[str] | str | None) -> tuple[str, None]:
        paths = [files] if isinstance(files, str) else files or []
        return uploader.report([Path(f) for f in paths]), None

    def ask_api(question: str, history: str = "[]") -> dict:
        """Answer ``question`` from the documents.

        ``history`` is a JSON list of prior messages ``[{"role": "user"|"assistant", "content": ...}]``.
        Returns the ``rag ask --json`` object: answer, refused, citations (source, start, end, text), timings.
        """
        try:
            turns = json.loads(history) if history and history.strip() else []
        except ValueError as exc:
            raise gr.Error(f"history is not valid JSON: {exc}") from None
        if not isinstance(turns, list):
            raise gr.Error("history must be a JSON list of {role, content} messages")
        try:
            return pipeline.answer(question, turns).to_json()
        except RagError as exc:
            raise gr.Error(str(exc)) from None

    with gr.Blocks(title="Ask the documents", analytics_enabled=False, fill_width=True) as app:
        turns = gr.State([])
        gr.HTML(
            '<div class="rag-header"><h1>Ask the documents</h1>'
            "<p>Answers come only from your documents, and every claim links to the sentence that supports it."
            "</p></div>",
            elem_id="rag-header",
            js_on_load=CITE_JS,
            head=f"<style>{CSS}</style>",
        )
        with gr.Row(equal_height=False, elem_id="rag-main"):
            with gr.Column(scale=3, min_width=360):
                chatbot = gr.Chatbot(
                    elem_id="rag-chat",
                    label="Conversation",
                    show_label=False,
                    height="62vh",
                    min_height=360,
                    latex_delimiters=[],
                    feedback_options=("Like", "Dislike"),
                    buttons=["copy"],
                    placeholder="**Ask a question about the documents.**\n\nTry one of these:",
                    examples=[{"text": q} for q in EXAMPLES],
                    autoscroll=True,
                )
                question = gr.Textbox(
                    elem_id="rag-question",
                    show_label=False,
                    placeholder="Ask about the documents…",
                    lines=1,
                    max_lines=6,
                    submit_btn="Ask",
                    autofocus=True,
                )
                notice = gr.Markdown(startup_notice, elem_id="rag-notice")
                with gr.Row():
                    new = gr.Button("New chat", elem_id="rag-new-chat", variant="secondary", size="sm")
                with gr.Accordion("How this answer was made", open=False, elem_id="rag-details"):
                    details = gr.Markdown(details_markdown(None))
            with gr.Column(scale=2, min_width=300):
                gr.Markdown("### Sources", elem_id="rag-sources-title")
                sources = gr.HTML(EMPTY_SOURCES, elem_id="rag-sources", js_on_load=None)
                with gr.Accordion("Add a document", open=False, elem_id="rag-upload"):
                    files = gr.File(
                        label=f"{describe_supported()}, up to {settings.max_upload_bytes / 1e6:g} MB",
                        file_count="multiple",
                        file_types=supported_suffixes(),
                    )
                    upload_status = gr.Markdown("")

        # The scriptable endpoint first, so it owns its name; the UI's own events are private.
        slots = settings.model_slots  # as many questions at once as the model answers at once
        gr.api(ask_api, api_name=API_NAME, concurrency_id="model", concurrency_limit=slots)
        chat_outputs = [chatbot, sources, details, turns, question, notice]
        answer_event = {
            "fn": respond,
            "inputs": [question, turns],
            "outputs": chat_outputs,
            "api_visibility": "private",
            "concurrency_id": "model",  # questions queue for the model's slots, from the page and gr.api alike
            "concurrency_limit": slots,
        }
        question.submit(**answer_event)
        chatbot.example_select(pick_example, None, question, api_visibility="private").then(**answer_event)
        new.click(new_chat, None, chat_outputs, api_visibility="private")
        chatbot.clear(new_chat, None, chat_outputs, api_visibility="private")  # the chat's own trash button
        chatbot.like(vote, [turns], notice, api_visibility="private")
        files.upload(
            upload,
            files,
            [upload_status, files],
            api_visibility="private",
            concurrency_id="ingest",
            concurrency_limit=1,
        )
    return app


def page_options(settings: Settings) -> dict[str, Any]:
    """How the page is served (``gr.mount_gradio_app`` options): optional login, upload size, the one
    folder it may serve files from, no web fonts."""
    return {
        "auth": parse_auth(settings.auth),
        "max_file_size": settings.max_upload_bytes,
        # Only the kept copies of indexed PDFs are served (the "open page N" links); never the corpus
        # folder itself, which may hold HTML that must not run in the app's origin.
        "allowed_paths": [str(originals_path(settings))],
        "footer_links": ["api"],
        "ssr_mode": False,
        "theme": gr.themes.Soft(font=LOCAL_FONTS, font_mono=LOCAL_MONO_FONTS),  # no web fonts: works offline
    }
