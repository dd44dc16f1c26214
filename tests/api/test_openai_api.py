"""``/v1`` through a real server (uvicorn, the web chat mounted beside it) with the official ``openai``
client and LangChain's ``ChatOpenAI``. Real chunking, index, retrieval, grounding and verification;
bag-of-words embeddings and scripted models (swapped per test) stand in for the real models, which
tests/e2e/test_api_served.py uses through ``rag serve``.
"""

from __future__ import annotations

import json
import shutil
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import openai
import pytest
from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessageChunk
from langchain_core.outputs import ChatGenerationChunk

from tests.conftest import ARTICLE
from tests.unit.helpers import scripted

KEY = "sk-test-0123456789"
WEEKLY = (
    "Currently, over 800 million people worldwide chat with ChatGPT every week, seeking advice or completing tasks."
)
WEEKLY_ANSWER = "Over 800 million people worldwide chat with ChatGPT every week [1]."


class SlowModel(GenericFakeChatModel):
    """Streams one word every 0.2 s and notes whether the caller stopped it before the end."""

    events: list = []

    def _stream(self, messages, *args, **kwargs):
        words = ("Over 800 million people worldwide chat with ChatGPT every week [1]. " * 10).split(" ")
        try:
            for word in words:
                time.sleep(0.2)
                yield ChatGenerationChunk(message=AIMessageChunk(content=word + " "))
            self.events.append("finished")
        except GeneratorExit:
            self.events.append("stopped")
            raise


@dataclass
class Server:
    url: str
    pipeline: object

    def client(self, key: str = KEY) -> openai.OpenAI:
        return openai.OpenAI(base_url=self.url + "v1", api_key=key, max_retries=0, timeout=30)


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[Server]:
    from api.server import create_app, start
    from ingest.pipeline import ingest
    from rag.chain import Pipeline
    from rag.config import load_settings
    from rag.store import Index
    from tests.unit.helpers import BowEmbeddings

    root = tmp_path_factory.mktemp("api")
    (root / "corpus").mkdir()
    shutil.copy(ARTICLE, root / "corpus" / ARTICLE.name)
    settings = load_settings(
        project_root=root,
        env={"RAG_API_KEYS": f"other-key, {KEY}"},
        embeddings="fake:bow",
        gate_threshold=0.3,
        port=0,
        verify_with_model=False,  # a scripted model cannot answer the yes/no check
        max_upload_bytes=5_000,
    )
    ingest(settings, BowEmbeddings(), progress=False)
    pipeline = Pipeline(settings, Index.load(settings), BowEmbeddings(), scripted(), "fake:test")
    running = start(create_app(settings, pipeline), settings)
    try:
        yield Server(running.url, pipeline)
    finally:
        running.close()


def test_openai_client_gets_the_checked_answer_with_top_level_citations(server):
    server.pipeline.llm = scripted(WEEKLY_ANSWER)
    reply = server.client().chat.completions.create(
        model="rag-chat", messages=[{"role": "user", "content": "How many people chat with ChatGPT every week?"}]
    )
    assert reply.object == "chat.completion" and reply.model == "rag-chat"
    assert reply.choices[0].message.content == WEEKLY_ANSWER and reply.choices[0].finish_reason == "stop"
    extra = reply.model_extra
    assert extra["refused"] is False and extra["status"] == "answered" and extra["unanswered"] == []
    (citation,) = extra["citations"]
    assert citation["n"] == 1 and citation["text"] == WEEKLY
    text = ARTICLE.read_text(encoding="utf-8")
    assert text[citation["start"] : citation["end"]] == WEEKLY and citation["source"] == "corpus/" + ARTICLE.name


def test_stream_shows_only_checked_sentences_and_ends_with_citations(server):
    # The draft's second sentence is not in the sources: it is never streamed, not even for a moment.
    server.pipeline.llm = scripted(WEEKLY_ANSWER + " Anthropic is valued at $61.5 billion [1].")
    stream = server.client().chat.completions.create(
        model="rag-chat",
        messages=[{"role": "user", "content": "How many people chat with ChatGPT every week?"}],
        stream=True,
    )
    chunks = list(stream)
    assert chunks[0].choices[0].delta.role == "assistant"
    text = "".join(c.choices[0].delta.content or "" for c in chunks)
    assert text == WEEKLY_ANSWER and "61.5" not in text
    last = chunks[-1]
    assert last.choices[0].finish_reason == "stop" and last.model_extra["status"] == "answered"
    assert [c["text"] for c in last.model_extra["citations"]] == [WEEKLY]
    assert all("citations" not in (c.model_extra or {}) for c in chunks[:-1])


def test_a_part_of_a_two_part_question_whose_answer_was_withdrawn_is_named(server):
    server.pipeline.llm = scripted(WEEKLY_ANSWER + " OpenAI's CFO is John Smith [1].")  # no such name: dropped
    question = "How many people chat with ChatGPT every week, and who is OpenAI's CFO?"
    reply = server.client().chat.completions.create(model="rag-chat", messages=[{"role": "user", "content": question}])
    assert reply.choices[0].message.content == WEEKLY_ANSWER
    assert reply.model_extra["status"] == "answered" and reply.model_extra["unanswered"] == ["who is OpenAI's CFO?"]


def test_raw_stream_is_server_sent_events_ending_with_done(server):
    server.pipeline.llm = scripted(WEEKLY_ANSWER)
    # Worded like the article: with bag-of-words vectors a terse "Weekly ChatGPT users?" ranks other
    # sentences first (the real embedding model puts the 800 million sentence first either way).
    question = "How many people chat with ChatGPT every week?"
    body = {"model": "rag-chat", "stream": True, "messages": [{"role": "user", "content": question}]}
    headers = {"Authorization": f"Bearer {KEY}"}
    with httpx.stream("POST", server.url + "v1/chat/completions", json=body, headers=headers, timeout=30) as r:
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/event-stream")
        lines = [line for line in r.iter_lines() if line]
    assert all(line.startswith("data: ") for line in lines) and lines[-1] == "data: [DONE]"
    assert json.loads(lines[-2][6:])["refused"] is False


def test_history_comes_from_the_messages_like_the_web_chat(server):
    server.pipeline.llm = llm = scripted("She joined OpenAI in May of this year [1].")
    reply = server.client().chat.completions.create(
        model="rag-chat",
        messages=[
            {"role": "system", "content": "You are a pirate."},  # ignored: the server's prompt governs
            {"role": "user", "content": "Who is the CEO of Applications at OpenAI?"},
            {"role": "assistant", "content": "Fidji Simo is the CEO of Applications [2]."},
            {"role": "user", "content": [{"type": "text", "text": "When did she join?"}]},
        ],
    )
    (messages,) = llm.received
    assert [m.type for m in messages] == ["system", "human", "ai", "human"]
    assert "pirate" not in messages[0].content
    assert messages[1].content == "Who is the CEO of Applications at OpenAI?"
    assert messages[2].content == "Fidji Simo is the CEO of Applications."  # markers removed, like the web chat
    assert "fidji simo" in reply.model_extra["rewritten_question"].lower()  # the follow-up was resolved


def test_question_the_documents_do_not_answer_is_refused_without_citations(server):
    server.pipeline.llm = llm = scripted("must not be used [1].")
    reply = server.client().chat.completions.create(
        model="rag-chat", messages=[{"role": "user", "content": "What is the best pasta recipe?"}]
    )
    assert reply.model_extra["refused"] is True and reply.model_extra["citations"] == []
    assert reply.model_extra["status"] == "not_relevant" and reply.choices[0].message.content.startswith(
        "The documents do not say."
    )
    assert llm.received == []


def test_chat_openai_from_langchain_invokes_and_streams(server):
    from langchain_openai import ChatOpenAI

    server.pipeline.llm = scripted(WEEKLY_ANSWER, WEEKLY_ANSWER)
    chat = ChatOpenAI(base_url=server.url + "v1", api_key=KEY, model="rag-chat", max_retries=0)
    message = chat.invoke("How many people chat with ChatGPT every week?")
    assert message.content == WEEKLY_ANSWER
    streamed = "".join(str(c.content) for c in chat.stream("How many people chat with ChatGPT every week?"))
    assert streamed == WEEKLY_ANSWER


@pytest.mark.parametrize("header", [None, "Basic dXNlcjpwYXNz", "Bearer sk-wrong", f"Bearer {KEY}x"])
def test_missing_or_wrong_key_is_401_in_openai_shape_and_never_echoed(server, header):
    headers = {"Authorization": header} if header else {}
    body = {"model": "rag-chat", "messages": [{"role": "user", "content": "hi"}]}
    for method, path, kwargs in [("POST", "v1/chat/completions", {"json": body}), ("GET", "v1/models", {})]:
        r = httpx.request(method, server.url + path, headers=headers, timeout=10, **kwargs)
        assert r.status_code == 401, r.text
        error = r.json()["error"]
        assert error["type"] == "invalid_request_error" and error["code"] in ("invalid_api_key", "missing_api_key")
        assert not header or header.split()[-1] not in r.text
    with pytest.raises(openai.AuthenticationError):
        server.client("sk-wrong").models.list()


def test_every_configured_key_works_and_models_lists_the_one_model(server):
    for key in ("other-key", KEY):
        (model,) = server.client(key).models.list().data
        assert model.id == "rag-chat" and model.model_extra["backend"]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"{not json", "not valid JSON"),
        (b'{"model": "rag-chat"}', "messages: Field required"),
        (b'{"model": "rag-chat", "messages": []}', "messages: List should have at least 1 item"),
        (b'{"model": "rag-chat", "messages": [{"role": "wizard", "content": "x"}]}', "messages.0.role"),
        (b'{"model": "rag-chat", "messages": [{"role": "assistant", "content": "x"}]}', "the last message must be"),
        (b'{"model": "rag-chat", "messages": [{"role": "user", "content": "   "}]}', "the question is empty"),
        (b'{"model": "rag-chat", "n": 2, "messages": [{"role": "user", "content": "x"}]}', "n must be 1"),
        (
            b'{"model": "rag-chat", "messages": [{"role": "user", "content": [{"type": "image_url"}]}]}',
            "only text content is supported",
        ),
    ],
)
def test_malformed_body_is_400_with_a_clear_message(server, body, message):
    server.pipeline.llm = llm = scripted("must not be used [1].")
    r = httpx.post(
        server.url + "v1/chat/completions",
        content=body,
        headers={"Authorization": f"Bearer {KEY}", "Content-Type": "application/json"},
        timeout=10,
    )
    assert r.status_code == 400, r.text
    assert message in r.json()["error"]["message"] and r.json()["error"]["type"] == "invalid_request_error"
    assert llm.received == []


def test_unknown_model_is_404(server):
    with pytest.raises(openai.NotFoundError, match="rag-chat"):
        server.client().chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "hi"}])


def test_model_failure_is_a_502_with_the_reason(server):
    from rag.backends import make_chat_model

    dead = httpx.URL("http://127.0.0.1:9/v1")  # discard port: nothing listens
    settings = server.pipeline.settings.model_copy(update={"openai_base_url": str(dead)})
    server.pipeline.llm = make_chat_model(settings, "openai:x")
    try:
        with pytest.raises(openai.APIStatusError) as info:
            server.client().chat.completions.create(
                model="rag-chat", messages=[{"role": "user", "content": "Who is the head of ChatGPT?"}]
            )
        assert info.value.status_code == 502 and "cannot connect to the model server" in str(info.value)
        stream = server.client().chat.completions.create(
            model="rag-chat", messages=[{"role": "user", "content": "Who is the head of ChatGPT?"}], stream=True
        )
        with pytest.raises(openai.APIError, match="cannot connect to the model server"):
            list(stream)
    finally:
        server.pipeline.llm = scripted(WEEKLY_ANSWER)


def test_client_that_disconnects_mid_stream_stops_the_model_and_the_server_carries_on(server):
    server.pipeline.llm = slow = SlowModel(messages=iter([]), events=[])
    # Worded like the article: with bag-of-words vectors a terse "Weekly ChatGPT users?" ranks other
    # sentences first (the real embedding model puts the 800 million sentence first either way).
    question = "How many people chat with ChatGPT every week?"
    body = {"model": "rag-chat", "stream": True, "messages": [{"role": "user", "content": question}]}
    with httpx.stream(
        "POST", server.url + "v1/chat/completions", json=body, headers={"Authorization": f"Bearer {KEY}"}, timeout=30
    ) as r:
        first = next(r.iter_lines())
        assert json.loads(first[6:])["choices"][0]["delta"]["role"] == "assistant"
    # the client is gone after one chunk; the model (20 s of words) is stopped within a few of them
    deadline = time.monotonic() + 10
    while not slow.events and time.monotonic() < deadline:
        time.sleep(0.1)
    assert slow.events == ["stopped"]
    server.pipeline.llm = scripted(WEEKLY_ANSWER)
    reply = server.client().chat.completions.create(
        model="rag-chat", messages=[{"role": "user", "content": "How many people chat with ChatGPT every week?"}]
    )
    assert reply.choices[0].message.content == WEEKLY_ANSWER


def test_concurrent_clients_each_get_their_own_answer(server):
    server.pipeline.llm = scripted(*[WEEKLY_ANSWER] * 4)
    results: list[str] = []

    def ask() -> None:
        reply = server.client().chat.completions.create(
            model="rag-chat", messages=[{"role": "user", "content": "How many people chat with ChatGPT every week?"}]
        )
        results.append(reply.choices[0].message.content)

    threads = [threading.Thread(target=ask) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert results == [WEEKLY_ANSWER] * 4


def test_files_upload_is_indexed_listed_and_answerable(server, tmp_path):
    client = server.client()
    note = tmp_path / "zorblax notes.md"
    note.write_text("The Zorblax protocol was invented by Quintessa Marlowe in 2031.\n", encoding="utf-8")
    uploaded = client.files.create(file=note.open("rb"), purpose="assistants")
    assert uploaded.filename == ".rag/uploads/zorblax_notes.md" and uploaded.id.startswith("file-")
    listed = {f.filename: f.id for f in client.files.list()}
    assert listed[".rag/uploads/zorblax_notes.md"] == uploaded.id and f"corpus/{ARTICLE.name}" in listed
    assert "Quintessa Marlowe" in client.files.content(uploaded.id).text
    server.pipeline.llm = scripted("The Zorblax protocol was invented by Quintessa Marlowe [1].")
    reply = client.chat.completions.create(
        model="rag-chat", messages=[{"role": "user", "content": "Who invented the Zorblax protocol?"}]
    )
    assert reply.model_extra["citations"][0]["source"] == ".rag/uploads/zorblax_notes.md"

    bad = tmp_path / "slides.pptx"
    bad.write_bytes(b"PK")
    with pytest.raises(openai.BadRequestError, match="only these file types can be added"):
        client.files.create(file=bad.open("rb"), purpose="assistants")
    big = tmp_path / "big.txt"
    big.write_text("Zorblax " * 1000, encoding="utf-8")
    with pytest.raises(openai.BadRequestError, match="the limit is 5,000"):
        client.files.create(file=big.open("rb"), purpose="assistants")
    with pytest.raises(openai.NotFoundError):
        client.files.content("file-" + "0" * 64)


def test_upload_with_a_hostile_file_name_is_saved_under_a_safe_one(server):
    def upload(name: str) -> httpx.Response:
        return httpx.post(
            server.url + "v1/files",
            headers={"Authorization": f"Bearer {KEY}"},
            files={"file": (name, b"The Quorbex relay was designed in 2029.\n", "text/plain")},
            data={"purpose": "assistants"},
            timeout=30,
        )

    r = upload("../../..")
    assert r.status_code == 400 and "only these file types can be added" in r.json()["error"]["message"]
    r = upload("../../evil notes.md")
    assert r.status_code == 200 and r.json()["filename"] == ".rag/uploads/evil_notes.md"
