"""Full stack with real components: bundled embeddings, Chroma on disk, SmolLM2-135M via xllamacpp."""

from __future__ import annotations

import json
import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

from ingest.pipeline import ingest, prepare_index
from rag.chain import Pipeline, Token
from rag.types import Status
from tests.factories import ASK_JSON_KEYS
from tests.integration.conftest import ROOT, settings_for

pytestmark = pytest.mark.slow
SMALL = "local:smollm2-135m"
# The 135M model as its own yes/no judge (verify_with_model, on by default) withdraws nearly every answer,
# right or wrong; these tests check the plumbing around generation and grounding, so they turn it off.
NO_JUDGE_ENV = {"RAG_VERIFY_WITH_MODEL": "false"}


@pytest.fixture(scope="module")
def pipeline(module_project: Path, real_embeddings) -> Pipeline:
    settings = settings_for(module_project, llm=SMALL, max_tokens=48, verify_with_model=False)
    return Pipeline.load(settings, embeddings=real_embeddings, prepare=prepare_index(settings))


def test_first_load_ingests_and_rerun_is_idempotent(pipeline, real_embeddings):
    assert len(pipeline.index.chunks) > 50
    report = ingest(pipeline.settings, real_embeddings, progress=False)
    assert report.unchanged == ["corpus/openai-code-red.txt"] and report.chunks_embedded == 0


def test_hybrid_retrieval_puts_names_and_numbers_in_the_top_passages(pipeline):
    for query, needle in [
        ("Who is the head of ChatGPT?", "Nick Turley"),
        ("How many people use ChatGPT every week?", "800 million"),
        ("Who is OpenAI's CFO?", "Sarah Friar"),
        ("What is the Garlic model?", "Garlic"),
    ]:
        found = pipeline.retrieve(query)
        passages, relevant = found.passages, found.relevant
        assert relevant, query
        assert any(needle in p.text for p in passages[:3]), (query, [p.text for p in passages])


def test_real_model_streams_and_answer_is_grounded(pipeline, article_text):
    events = list(pipeline.stream("Who is the head of ChatGPT?"))  # one the 135M model answers with a citation
    tokens = [e for e in events if isinstance(e, Token)]
    answer = events[-1]
    assert tokens and answer.draft == "".join(t.text for t in tokens).strip()
    assert answer.timings["ttft_s"] <= answer.timings["total_s"]
    assert answer.status is Status.ANSWERED, (answer.status, answer.draft)
    assert "Turley" in answer.answer and any("Nick Turley" in c.text for c in answer.citations)
    for c in answer.citations:
        assert article_text[c.start : c.end] == c.text
    assert {n for s in answer.sentences for n in s.citations} == {c.n for c in answer.citations}


def test_off_topic_question_is_refused_by_the_gate(pipeline):
    answer = pipeline.answer("How do I fix my bicycle chain?")
    assert answer.status is Status.NOT_RELEVANT and not answer.draft  # the model was never called


def test_off_topic_answer_that_passes_the_gate_is_refused_by_grounding(pipeline):
    question = "What is a good recipe for banana bread?"
    assert pipeline.retrieve(question).relevant  # the gate lets it through (its words match the article's)
    answer = pipeline.answer(question)
    assert answer.draft, "the model was never called: the gate stopped the question"
    assert answer.status is Status.UNSUPPORTED, (answer.status, answer.draft)  # grounding withdrew the draft
    assert answer.citations == () and answer.dropped


def test_follow_up_rewriting_retrieves_the_referent(pipeline):
    history = [
        {"role": "user", "content": "Who became CEO of the OpenAI Applications division?"},
        {"role": "assistant", "content": "Fidji Simo became CEO of OpenAI Applications [1]."},
    ]
    answer = pipeline.answer("When did she join OpenAI?", history)
    assert answer.rewritten_question and "simo" in answer.rewritten_question.lower()
    passages = pipeline.retrieve(answer.rewritten_question).passages
    assert any("joined OpenAI in May" in p.text for p in passages)


def test_cli_ingest_and_ask_json_round_trip(tmp_path: Path):
    from tests.integration.conftest import make_project

    project = make_project(tmp_path / "cli")
    env = {**os.environ, "RAG_LLM": SMALL, "HF_HUB_OFFLINE": "1", **NO_JUDGE_ENV}
    run = lambda *args: subprocess.run(  # noqa: E731
        [sys.executable, "-m", "rag.cli", *args], cwd=project, env=env, capture_output=True, text=True, timeout=300
    )
    first = run("ingest", "--json")
    assert first.returncode == 0, first.stderr
    assert json.loads(first.stdout)["added"] == ["corpus/openai-code-red.txt"]
    again = json.loads(run("ingest", "--json").stdout)
    assert again["chunks_embedded"] == 0 and again["unchanged"] == ["corpus/openai-code-red.txt"]

    history = project / "history.json"
    history.write_text(
        json.dumps(
            [
                {"role": "user", "content": "Who is the CFO of OpenAI?"},
                {"role": "assistant", "content": "Sarah Friar [1]."},
            ]
        )
    )
    out = run("ask", "What did she support?", "--history", str(history), "--json")
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert set(data) == ASK_JSON_KEYS
    assert data["model"] == SMALL and "friar" in data["rewritten_question"].lower()
    assert data["status"] == "answered" and data["refused"] is False, data
    assert any("Sarah Friar" in c["text"] and "government guarantees" in c["text"] for c in data["citations"])
    text = (project / "corpus" / "openai-code-red.txt").read_text()
    for c in data["citations"]:
        assert text[c["start"] : c["end"]] == c["text"]
        assert f"[{c['n']}]" in data["answer"]

    bad = run("ask", "   ", "--json")
    assert bad.returncode == 2 and "question is empty" in bad.stderr
    missing = run("ask", "hi?", "--llm", "local:/nope/model.gguf")
    assert missing.returncode == 1 and "neither bundled" in missing.stderr
    assert (ROOT / "corpus").exists()


def test_terminal_chat_streams_and_keeps_the_conversation(tmp_path: Path):
    """`rag chat` in a real process on the real 135M model (served by llama.cpp behind a recording
    proxy): the answer streams, sources print, and the second question reaches the model with the
    first exchange as chat turns."""
    from rag.backends import start_llama_server
    from rag.models import resolve_bundled
    from tests.backends.servers import recording_proxy
    from tests.integration.conftest import make_project

    project = make_project(tmp_path / "chat")
    settings = settings_for(project, max_tokens=48)
    key = secrets.token_urlsafe(8)
    server = start_llama_server(resolve_bundled("smollm2-135m", settings.model_cache_dir), settings, key)
    with recording_proxy(server.listening_address.rstrip("/")) as (url, received):
        env = {
            **os.environ,
            "HF_HUB_OFFLINE": "1",
            "RAG_LLM": "openai:smollm2",
            "RAG_OPENAI_BASE_URL": url + "/v1",
            "OPENAI_API_KEY": key,
            "RAG_MAX_TOKENS": "48",
            **NO_JUDGE_ENV,
        }
        out = subprocess.run(
            [sys.executable, "-m", "rag.cli", "chat"],
            cwd=project,
            env=env,
            input="Who is Sarah Friar?\nWhat did she support?\n\n",
            capture_output=True,
            text=True,
            timeout=300,
        )
    assert out.returncode == 0, out.stderr
    assert "error" not in out.stderr.lower(), out.stderr
    # One streamed call per question (the terminal shows the answer as it is generated); any other
    # calls are the model's yes/no checks of claims (verify_with_model), which carry no conversation.
    first, second = [r["messages"] for r in received if r.get("stream")]
    assert [m["role"] for m in first] == ["system", "user"]
    assert [m["role"] for m in second] == ["system", "user", "assistant", "user"]
    assert second[1]["content"] == "Who is Sarah Friar?"
    assert "Question: What did she support?" in second[3]["content"]
    assert "Sarah Friar" in second[3]["content"]  # the follow-up retrieved passages about her
    # The first exchange is carried as checked text: what the terminal printed, without [n] markers.
    remembered = second[2]["content"]
    assert remembered and "[" not in remembered and remembered != "The documents do not say."
    _, turn1, turn2 = out.stdout.split("\n> ")[:3]
    printed = turn1.split("checked against the sources:\n")[1].splitlines()[0]
    assert remembered == re.sub(r" ?\[\d+\]", "", printed)
    assert "[1] corpus/openai-code-red.txt:" in turn1 and "Sarah Friar" in turn1  # the first answer, cited
    assert "checked against the sources:" in turn2, out.stdout  # the follow-up's draft was checked too
