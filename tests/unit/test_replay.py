"""``rag eval --drafts``: recorded drafts read back through the real checks, with fakes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ingest.pipeline import ingest
from rag.chain import Pipeline
from rag.config import load_settings
from rag.errors import InputError, ModelError
from rag.eval import Case, Scorer, Suite, documents_of, run_cases, write_jsonl
from rag.replay import RecordedDrafts, load_drafts, replaying
from rag.store import Index
from rag.types import Status
from tests.unit.helpers import BowEmbeddings, scripted

CASES = [
    Case(id="weekly", question="How many people chat with ChatGPT every week?", expect=["800 million"]),
    Case(id="valuation", question="What is OpenAI valued at?", expect=["500 billion"]),
]


@pytest.fixture
def settings(project: Path):
    s = load_settings(
        project_root=project, env={}, embeddings="fake:bow", gate_threshold=0.3, quote_when_withdrawn=False
    )
    ingest(s, BowEmbeddings(), progress=False)
    return s


def recorded_run(settings, tmp_path: Path) -> Path:
    """A full run with a scripted model (draft, then its one-word check, per case), written as rag eval does."""
    llm = scripted("ChatGPT is used by over 800 million people each week [1].", "yes", "OpenAI is valued at $9 [1].")
    pipeline = Pipeline(settings, Index.load(settings), BowEmbeddings(), llm, "fake:test")
    results = run_cases(pipeline, CASES, Scorer(documents_of(pipeline), 4))
    path = tmp_path / "results.jsonl"
    write_jsonl(path, [r.line() for r in results])
    return path


def test_recorded_drafts_go_through_the_checks_again(settings, tmp_path):
    path = recorded_run(settings, tmp_path)
    before = [json.loads(line) for line in path.read_text().splitlines()]
    assert [b["status"] for b in before] == ["answered", "unsupported"]  # "$9" is in no passage
    checker = scripted("no")  # the checks now answer no: the kept claim is withdrawn
    original = Pipeline(settings, Index.load(settings), BowEmbeddings(), checker, "fake:test")
    again = replaying(original, load_drafts(path, Suite(cases=CASES)))
    assert again.model_name == "fake:test (recorded drafts)"
    answers = [r.answer for r in run_cases(again, CASES, Scorer(documents_of(again), 4))]
    assert [a.draft for a in answers] == [b["draft"] for b in before]  # read back, not generated
    assert answers[0].status is Status.UNSUPPORTED and any(c.startswith("the model found") for c in answers[0].checks)
    assert len(checker.received) == 1 and checker.received[0][-1].content.startswith("Source: ")


def test_a_question_the_recorded_run_never_drafted_fails_clearly(settings):
    pipeline = Pipeline(settings, Index.load(settings), BowEmbeddings(), RecordedDrafts(drafts={}), "fake:test")
    with pytest.raises(ModelError, match="no recorded draft for 'What is OpenAI valued at\\?'"):
        pipeline.answer("What is OpenAI valued at?")


def test_drafts_must_cover_the_suite(settings, tmp_path):
    path = recorded_run(settings, tmp_path)
    more = Suite(cases=[*CASES, Case(id="new", question="Who is Nick Turley?", expect=["head"])])
    with pytest.raises(InputError, match="no recorded draft for 1 case\\(s\\) of this suite \\(new\\)"):
        load_drafts(path, more)
    with pytest.raises(InputError, match="cannot read recorded drafts"):
        load_drafts(tmp_path / "missing.jsonl", Suite(cases=CASES))
    twice = Suite(cases=[CASES[0], Case(id="valuation", question=CASES[0].question, expect=["x"])])
    with pytest.raises(InputError, match="different drafts"):
        load_drafts(path, twice)
