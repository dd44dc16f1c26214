"""The scriptable endpoint: ``gradio_client`` calls ``/ask`` on a launched app and gets the answer JSON."""

from __future__ import annotations

import json

import pytest
from gradio_client import Client
from gradio_client.exceptions import AppError

pytestmark = pytest.mark.slow

CONTRACT_KEYS = {"question", "rewritten_question", "answer", "refused", "status", "citations", "timings", "model"}
WEEKLY = (
    "Currently, over 800 million people worldwide chat with ChatGPT every week, seeking advice or completing tasks."
)


@pytest.fixture(scope="module")
def scripted_client(scripted_app) -> Client:
    return Client(scripted_app.url, verbose=False)


def test_ask_returns_the_answer_and_exact_citations(scripted_client, article_text):
    result = scripted_client.predict(question="How many people use ChatGPT every week?", history="[]", api_name="/ask")
    assert set(result) == CONTRACT_KEYS
    assert result["status"] == "answered" and result["refused"] is False
    assert "800 million" in result["answer"] and "[1]" in result["answer"]
    citation = result["citations"][0]
    assert citation["source"] == "corpus/openai-code-red.txt"
    assert citation["text"] == WEEKLY == article_text[citation["start"] : citation["end"]]
    assert {"retrieve_s", "ttft_s", "total_s"} <= set(result["timings"])


def test_ask_takes_the_history_as_json(scripted_client):
    history = [
        {"role": "user", "content": "Who is the head of ChatGPT?"},
        {"role": "assistant", "content": "Nick Turley is the head of ChatGPT [1]."},
    ]
    result = scripted_client.predict(
        question="How many people use it every week?", history=json.dumps(history), api_name="/ask"
    )
    assert "ChatGPT" in result["rewritten_question"]  # "it" was resolved from the history for retrieval
    assert result["status"] == "answered" and "800 million" in result["answer"]


def test_ask_reports_bad_input_as_an_error(scripted_client):
    with pytest.raises(AppError, match="empty"):
        scripted_client.predict(question="   ", history="[]", api_name="/ask")
    with pytest.raises(AppError, match="history"):
        scripted_client.predict(question="Who?", history="{not json", api_name="/ask")
    with pytest.raises(AppError, match="history item 0"):
        scripted_client.predict(question="Who?", history='[{"role": "system"}]', api_name="/ask")


def test_only_ask_is_exposed(scripted_client):
    endpoints = scripted_client.view_api(print_info=False, return_format="dict")["named_endpoints"]
    assert list(endpoints) == ["/ask"]
    assert [p["parameter_name"] for p in endpoints["/ask"]["parameters"]] == ["question", "history"]


def test_ask_with_the_small_local_model(small_model_app, article_text):
    client = Client(small_model_app.url, verbose=False)
    result = client.predict(question="Who is the head of ChatGPT?", api_name="/ask")  # history defaults to []
    assert set(result) == CONTRACT_KEYS
    assert result["model"] == "local:smollm2-135m"
    # The 135M model answers this one, with the sentence that names him.
    assert result["status"] == "answered" and "Turley" in result["answer"], result
    assert any("Nick Turley, head of ChatGPT" in c["text"] for c in result["citations"])
    for c in result["citations"]:  # a citation is an exact span
        assert article_text[c["start"] : c["end"]] == c["text"]
