"""The web chat's answer callback (``respond`` in ui/app.py) through a launched app, driven the way the
page drives it: Gradio's queue protocol over HTTP (join the queue, read the event stream), one browser
session per conversation. Real chunking, index and retrieval; bag-of-words embeddings and scripted or
failing models, swapped per test, stand in for the real ones.
"""

from __future__ import annotations

import json
import secrets
import shutil
import socket
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest

from tests.conftest import ARTICLE
from tests.unit.helpers import scripted

WEEKLY_ANSWER = "Over 800 million people worldwide chat with ChatGPT every week [1]."
WARNING = "⚠️ "


@dataclass
class App:
    url: str
    pipeline: object
    fn_index: int
    trigger: int


@pytest.fixture(scope="module")
def app(tmp_path_factory) -> Iterator[App]:
    from api.server import create_app, start
    from ingest.pipeline import ingest
    from rag.chain import Pipeline
    from rag.config import load_settings
    from rag.store import Index
    from tests.unit.helpers import BowEmbeddings

    root = tmp_path_factory.mktemp("web")
    (root / "corpus").mkdir()
    shutil.copy(ARTICLE, root / "corpus" / ARTICLE.name)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    # No model judge of claims (verify_with_model): a scripted model cannot answer its yes/no question.
    settings = load_settings(
        project_root=root, env={}, embeddings="fake:bow", gate_threshold=0.3, port=port, verify_with_model=False
    )
    ingest(settings, BowEmbeddings(), progress=False)
    pipeline = Pipeline(settings, Index.load(settings), BowEmbeddings(), scripted(), "fake:test")
    server = start(create_app(settings, pipeline), settings)
    url = server.url
    try:
        config = httpx.get(url + "config", timeout=10).json()
        (dep,) = [d for d in config["dependencies"] if d.get("api_name") == "respond"]  # the question box's submit
        yield App(url, pipeline, dep["id"], dep["targets"][0][0])
    finally:
        server.close()


@dataclass
class Update:
    """The page's outputs after the callback finished, and the chat texts shown while it ran."""

    chat: list[tuple[str, str]]  # (role, text) of every message
    sources: str
    details: str
    question_box: str
    notice: str
    shown: list[str]  # every text the newest assistant message had while streaming


class Page:
    """One browser session: its conversation lives in the server's per-session state."""

    def __init__(self, app: App) -> None:
        self.app = app
        self.session = secrets.token_hex(8)

    def ask(self, question: str) -> Update:
        url = self.app.url + "gradio_api/"
        body = {
            "data": [question, None],
            "fn_index": self.app.fn_index,
            "trigger_id": self.app.trigger,
            "session_hash": self.session,
            "event_data": None,
        }
        joined = httpx.post(url + "queue/join", json=body, timeout=10)
        assert joined.status_code == 200, joined.text
        event_id = joined.json()["event_id"]
        shown: list[str] = []
        with httpx.stream("GET", url + "queue/data", params={"session_hash": self.session}, timeout=60) as stream:
            for line in stream.iter_lines():
                if not line.startswith("data:"):
                    continue
                msg = json.loads(line[5:])
                if msg.get("event_id") != event_id:
                    continue
                if msg["msg"] == "process_generating":
                    shown += _streamed_texts(msg["output"]["data"][0])
                if msg["msg"] == "process_completed":
                    assert msg.get("success"), msg
                    chat, sources, details, _state, box, notice = msg["output"]["data"]
                    return Update(_texts(chat), sources, details, box, notice, shown)
        raise AssertionError("the event stream ended without a result")


def _texts(chat: list[dict]) -> list[tuple[str, str]]:
    out = []
    for m in chat:
        content = m["content"]
        text = content if isinstance(content, str) else "".join(p.get("text", "") for p in content)
        out.append((m["role"], text))
    return out


def _streamed_texts(chat_output) -> list[str]:
    """The assistant texts in one streamed update: a full message list or a list of diffs."""
    if chat_output and isinstance(chat_output[0], dict):
        return [t for role, t in _texts(chat_output) if role == "assistant"]
    return [d[2] for d in chat_output if isinstance(d, list) and len(d) == 3 and isinstance(d[2], str)]


def test_answer_is_streamed_then_checked_and_the_follow_up_carries_the_conversation(app):
    app.pipeline.llm = llm = scripted(WEEKLY_ANSWER, "She joined OpenAI in May of this year [1].", WEEKLY_ANSWER)
    page = Page(app)
    first = page.ask("How many people chat with ChatGPT every week?")
    assert any("Draft: checking it against the sources" in t and "800 million" in t for t in first.shown)
    assert [r for r, _ in first.chat] == ["user", "assistant"] and first.notice == "" and first.question_box == ""
    assert "800 million" in first.chat[1][1] and 'class="rag-cite"' in first.chat[1][1]
    assert "<mark>Currently, over 800 million people worldwide chat with ChatGPT" in first.sources

    second = page.ask("When did Fidji Simo join?")
    assert [r for r, _ in second.chat] == ["user", "assistant"] * 2
    # The model got the first exchange as chat turns: the checked answer, markers removed.
    messages = llm.received[1]
    assert [m.type for m in messages] == ["system", "human", "ai", "human"]
    assert messages[1].content == "How many people chat with ChatGPT every week?"
    assert messages[2].content == "Over 800 million people worldwide chat with ChatGPT every week."

    other = Page(app).ask("How many people chat with ChatGPT every week?")  # another tab: its own conversation
    assert len(other.chat) == 2 and [m.type for m in llm.received[2]] == ["system", "human"]


def test_question_the_gate_stops_gets_a_calm_refusal_without_calling_the_model(app):
    app.pipeline.llm = llm = scripted("must not be used [1].")
    update = Page(app).ask("What is the best pasta recipe?")
    assert llm.received == []
    assert update.notice == "" and update.question_box == ""  # a refusal is an answer, not a problem
    (_, question), (_, answer) = update.chat
    assert question == "What is the best pasta recipe?"
    assert answer.startswith("The documents do not say.") and "Nothing in the documents answers this" in answer
    assert "No passage cited" in update.sources and "no draft" in update.details


def test_unsupported_draft_is_streamed_then_withdrawn(app):
    app.pipeline.llm = scripted("Anthropic is valued at $61.5 billion [1].")
    update = Page(app).ask("What is Anthropic's valuation?")
    assert any("61.5" in t for t in update.shown)  # the draft was shown while it was checked ...
    answer = update.chat[-1][1]
    assert "61.5" not in answer and answer.startswith("The documents do not say.")  # ... then withdrawn
    assert "sources did not support it" in answer and "withdrawn as unsupported" in update.details
    assert update.notice == ""
    # The passages it was given are shown for the reader to check, highlighted in the stored text.
    assert "passages searched closest to the question" in update.sources and "<mark>" in update.sources
    assert "document changed" not in update.sources


def test_model_failure_is_shown_and_the_conversation_kept(app):
    from rag.backends import make_chat_model

    page = Page(app)
    app.pipeline.llm = scripted(WEEKLY_ANSWER)
    page.ask("How many people chat with ChatGPT every week?")
    with socket.socket() as s:  # a model server that is down: the real openai backend's failure
        s.bind(("127.0.0.1", 0))
        dead = s.getsockname()[1]
    settings = app.pipeline.settings.model_copy(update={"openai_base_url": f"http://127.0.0.1:{dead}/v1"})
    app.pipeline.llm = make_chat_model(settings, "openai:x")
    failed = page.ask("Who is the head of ChatGPT?")
    assert failed.notice.startswith(WARNING) and "cannot connect to the model server" in failed.notice
    assert failed.question_box == "Who is the head of ChatGPT?"  # kept, to send again
    assert len(failed.chat) == 2 and "800 million" in failed.chat[1][1]  # no half turn was added

    app.pipeline.llm = llm = scripted("Nick Turley is the head of ChatGPT [1].")
    again = page.ask("Who is the head of ChatGPT?")
    assert again.notice == "" and len(again.chat) == 4 and "Nick Turley" in again.chat[3][1]
    assert [m.type for m in llm.received[0]] == ["system", "human", "ai", "human"]  # the failed try left no turn


@pytest.mark.parametrize(
    ("question", "notice"),
    [("   ", "Type a question about the documents."), ("x" * 3000, "the limit is 2,000")],
)
def test_bad_question_is_a_notice_and_the_model_is_not_called(app, question, notice):
    app.pipeline.llm = llm = scripted("must not be used [1].")
    update = Page(app).ask(question)
    assert update.notice.startswith(WARNING) and notice in update.notice
    assert update.chat == [] and llm.received == []
