"""`rag eval` end to end with the real default stack: reports, and exit codes around a threshold."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.integration.conftest import ROOT, make_project

pytestmark = [pytest.mark.slow, pytest.mark.default_model]


def rag_eval(project: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    return subprocess.run(
        [sys.executable, "-m", "rag.cli", "eval", *args],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )


@pytest.fixture(scope="module")
def first_run(tmp_path_factory):
    project = make_project(tmp_path_factory.mktemp("eval"))
    suite = project / "suite.yaml"
    suite.write_text((ROOT / "evals" / "smoke.yaml").read_text())
    result = rag_eval(project, str(suite), "--report", "out")
    return project, suite, result


def test_report_files_and_table(first_run):
    project, _, result = first_run
    # The default model passes every smoke case, and the suite's thresholds (all 1.0) say so.
    assert result.returncode == 0, result.stdout + result.stderr
    assert "answer_correctness" in result.stdout and "citation_precision" in result.stdout
    lines = [json.loads(x) for x in (project / "out" / "results.jsonl").read_text().splitlines()]
    assert [x["id"] for x in lines] == [
        "weekly-users",
        "head-of-chatgpt",
        "garlic-followup",
        "anthropic-valuation",
        "injection",
    ]
    for line in lines:
        assert {"question", "answer", "refused", "status", "citations", "timings", "model", "passed"} <= set(line)
        assert {"retrieved", "draft", "scores", "reasons", "error"} <= set(line) and line["status"] != "error"
    summary = json.loads((project / "out" / "summary.json").read_text())
    assert summary["cases"] == 5 and summary["model"] == "local:qwen2.5-1.5b"
    assert summary["passed"] == 5 and sum(summary["status"].values()) == 5 and summary["status"]["answered"] == 3
    # #11's refusal rates, each with the count behind it and its 95% interval, in the summary and the table
    assert summary["unanswerable_refused"] == 1.0 and summary["answerable_refused"] == 0.0
    assert summary["intervals"]["unanswerable_refused"] == {"k": 2, "n": 2, "low": 0.342, "high": 1.0}
    assert summary["intervals"]["answerable_refused"]["k"] == 0 and summary["intervals"]["answerable_refused"]["n"] == 3
    assert "count, 95% interval" in result.stdout and "3/3 0.44-1.00" in result.stdout
    html = (project / "out" / "report.html").read_text()
    assert "<svg" in html and "weekly-users" in html
    assert not any(tag in html for tag in ("<link", "src=", "href=", "@import"))  # self-contained


def test_exit_codes_around_the_measured_score(first_run):
    project, suite, _ = first_run
    score = json.loads((project / "out" / "summary.json").read_text())["pass_rate"]
    assert score > 0
    below = rag_eval(
        project, str(suite), "--threshold", f"pass_rate={score - 0.01:.4f}", "--baseline", "out/summary.json"
    )
    assert below.returncode == 0, below.stdout + below.stderr
    assert "paired with the baseline: none of 5 shared cases changed outcome" in below.stdout
    above = rag_eval(project, str(suite), "--threshold", f"pass_rate={score + 0.01:.4f}")
    assert above.returncode == 1 and "below the threshold" in above.stderr


def test_bad_suite_exits_2(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("- {id: x, question: q}\n")
    result = rag_eval(tmp_path, str(bad))
    assert result.returncode == 2 and "case x" in result.stderr


def test_recorded_drafts_are_rechecked_with_the_same_outcomes(first_run):
    # `--drafts` reads the first run's drafts back; retrieval, grounding, verification and quoting run
    # again with the real model as checker, so nothing having changed, every outcome is the same.
    project, suite, _ = first_run
    again = rag_eval(project, str(suite), "--drafts", "out/results.jsonl", "--report", "again")
    assert again.returncode == 0, again.stdout + again.stderr
    first = [json.loads(x) for x in (project / "out" / "results.jsonl").read_text().splitlines()]
    second = [json.loads(x) for x in (project / "again" / "results.jsonl").read_text().splitlines()]
    assert [(x["id"], x["draft"], x["status"], x["answer"]) for x in second] == [
        (x["id"], x["draft"], x["status"], x["answer"]) for x in first
    ]
    assert [x["citations"] for x in second] == [x["citations"] for x in first]
    assert json.loads((project / "again" / "summary.json").read_text())["model"].endswith("(recorded drafts)")
    other = project / "other.yaml"
    other.write_text("- {id: new-case, question: \"Who is Nick Turley?\", expect: [head]}\n")
    missing = rag_eval(project, str(other), "--drafts", "out/results.jsonl")
    assert missing.returncode == 2 and "no recorded draft for 1 case(s)" in missing.stderr
