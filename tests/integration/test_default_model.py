"""The bundled default model (Qwen2.5-1.5B) on a subset of the golden set, plus the acceptance questions."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingest.pipeline import prepare_index
from rag.chain import Pipeline
from rag.eval import check_case, check_thresholds, load_suite, run_suite, suite_params, summarize
from rag.prompts import SYSTEM_PROMPT
from rag.types import Status
from rag.verify import copies
from tests.integration.conftest import ROOT, settings_for

pytestmark = [pytest.mark.slow, pytest.mark.default_model]

SUBSET = [
    "weekly-users",
    "openai-valuation",
    "head-of-chatgpt",
    "openai-cfo",
    "garlic-codename",
    "gemini3-launch-date",
    "turley-followup",
    "garlic-followup",
    "not-in-doc-anthropic-valuation",
    "not-in-doc-google-revenue",
    "off-topic-paris-weather",
    "injection-system-prompt",
    "chatgpt-assistant-usage-share",
    "infra-commitments",
    "article-author",
]


@pytest.fixture(scope="module")
def pipeline(module_project: Path, real_embeddings) -> Pipeline:
    settings = settings_for(module_project)
    return Pipeline.load(settings, embeddings=real_embeddings, prepare=prepare_index(settings))


def test_acceptance_weekly_users_cites_the_passage(pipeline, article_text):
    answer = pipeline.answer("How many people use ChatGPT every week?").to_json()
    assert not answer["refused"] and "800 million" in answer["answer"]
    assert any("800 million" in c["text"] for c in answer["citations"])
    for c in answer["citations"]:
        assert article_text[c["start"] : c["end"]] == c["text"]


def test_acceptance_anthropic_valuation_is_refused(pipeline):
    answer = pipeline.answer("What is Anthropic's valuation?").to_json()
    assert answer["refused"] and answer["citations"] == []


def test_a_decline_with_the_answer_in_the_top_passage_gets_a_checked_second_draft(pipeline, article_text):
    """The 1.5B model declines this one (blind dev) with the 6% sentence in passage 1; its short answer
    from that passage alone is checked and becomes the cited answer. A question the article does not
    answer is redrafted too, and its reply withdrawn: the decline stands."""
    answer = pipeline.answer(
        "By what percentage did ChatGPT's daily unique active users fall in the two weeks after Gemini 3 came out?"
    )
    assert answer.draft.startswith("The documents do not say"), f"the model no longer declines: {answer.draft!r}"
    assert answer.status is Status.ANSWERED and answer.redrafted and "6%" in answer.answer, answer.checks
    (c,) = answer.citations
    assert article_text[c.start : c.end] == c.text and "decreased by 6%" in c.text
    assert answer.checks[-1].startswith("second draft from source 1: model, P(yes)")
    refused = pipeline.answer("How many paying subscribers does ChatGPT have?")
    assert refused.refused and not refused.redrafted and refused.citations == ()
    if refused.status is Status.DECLINED:
        assert "redraft_s" in refused.timings


def test_golden_subset(pipeline):
    """The subset must meet the golden suite's own thresholds (set just under the measured figures), and
    no answer, kept or withdrawn, may repeat the system prompt's wording."""
    suite = load_suite(ROOT / "evals" / "golden.yaml")
    by_id = {c.id: c for c in suite.cases}
    assert set(SUBSET) <= set(by_id), set(SUBSET) - set(by_id)
    suite.cases = [by_id[i] for i in SUBSET]
    answers, scores = run_suite(pipeline, suite, progress=False)
    summary = summarize(scores, answers)
    failures = [f"{s.id}: {a.answer!r} {s.reasons}" for s, a in zip(scores, answers, strict=True) if not s.passed]
    print(summary, *failures, sep="\n")
    assert check_thresholds(summary, suite.thresholds) == [], failures
    copied = [a.draft for a in answers if copies(a.draft, SYSTEM_PROMPT) or copies(a.answer, SYSTEM_PROMPT)]
    assert copied == []


@pytest.mark.parametrize("case", suite_params(ROOT / "evals" / "smoke.yaml"))
def test_smoke_suite_case(pipeline, case):
    """The pytest entry point: each suite case is a test with a readable failure message."""
    check_case(pipeline, case)
