"""Checks of the benchmark's own logic (fast; no real models)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from bench import corpus, naive, phases, report, run, tables
from rag.config import load_settings
from rag.errors import ModelError
from rag.eval import Case, Scorer, load_suite, run_cases
from rag.scoring import stats, summarize
from rag.types import Answer, Citation, Sentence, Status

ROOT = Path(__file__).resolve().parents[2]


def test_select_cases_is_deterministic_and_spread_across_groups() -> None:
    cases = load_suite(ROOT / "evals" / "golden.yaml").cases
    first = run.select_cases(cases, 24)
    assert [c.id for c in first] == [c.id for c in run.select_cases(cases, 24)]
    assert len(first) == 24
    groups = {run.case_group(c.tags) for c in cases}
    assert {run.case_group(c.tags) for c in first} == groups  # every group represented
    assert any(c.refuse for c in run.select_cases(cases, 4))
    assert len(run.select_cases(cases, 0)) == len(cases)
    order = [c.id for c in cases]
    assert [order.index(c.id) for c in first] == sorted(order.index(c.id) for c in first)


def test_parse_scales() -> None:
    assert run.parse_scales("100, 1,10") == [1, 10, 100]
    assert run.parse_scales("none") == []
    with pytest.raises(Exception, match="whole numbers"):
        run.parse_scales("1,x")
    with pytest.raises(Exception, match="^--users 'two' must be comma-separated whole numbers"):
        run.parse_scales("two", "--users")


@pytest.mark.parametrize(
    ("reply", "refused"),
    [
        ("I don't know.", True),
        ("I do not know the answer to that question.", True),
        ("The context does not mention Anthropic's valuation.", True),
        ("The valuation is not provided in the given context.", True),
        ("OpenAI is valued at over $500 billion. I don't know more.", False),
        ("Sam Altman declared Code Red.", False),
    ],
)
def test_naive_refusal_detection(reply: str, refused: bool) -> None:
    assert naive.is_refusal(reply) is refused


def test_naive_chunks_cite_exact_spans() -> None:
    settings = load_settings(project_root=ROOT, env={})
    splits, texts = naive.split(settings, [settings.corpus_path])
    assert len(splits) > 5
    for cite in naive.NaivePipeline.citations(splits):
        assert texts[cite.source][cite.start : cite.end] == cite.text
        assert len(cite.text) <= naive.CHUNK_SIZE


def test_prose_filter_and_man_pages() -> None:
    text = "Title\n=====\n\n" + "This paragraph is real prose that\nwraps over lines and ends with a full stop. " * 3
    text += "\n\n    code = 1\n    more = 2\n"
    paras = [p for p in corpus.text_paragraphs(text) if corpus.is_prose(p)]
    assert len(paras) == 1 and "\n" not in paras[0]
    man = (
        '.\\" comment\n.TH X 1\n.SH NAME\nx \\- do things\n.SH DESCRIPTION\n.B x\nreads the files named on'
        " the command line and writes them to standard output,\nconverting tabs to spaces as it goes, and it"
        " stops at the first error it meets.\n.PP\nSecond.\n"
    )
    paras = corpus.man_paragraphs(man)
    assert any(p.startswith("x reads the files") and p.endswith("meets.") for p in paras)
    assert not any("\\" in p for p in paras)


def test_scales_are_prefixes_of_each_other(tmp_path: Path) -> None:
    base = tmp_path / "article.txt"
    base.write_text("A" * 1000)
    pool = corpus.ProsePool(doc_roots=(), man_root=tmp_path / "none")
    pool.tiers_loaded = ["docs", "man"]
    pool.files = [
        corpus.ProseFile(f"/doc/{i}", tuple(f"Paragraph {i}.{j} " + "word " * 40 for j in range(20)), str(i))
        for i in range(20)
    ]
    small = corpus.build_scale(pool, [base], 3, tmp_path / "3")
    large = corpus.build_scale(pool, [base], 10, tmp_path / "10")
    assert abs(small["bytes"] - 3000) < 300 and abs(large["bytes"] - 10000) < 300
    fillers = sorted(p.name for p in (tmp_path / "3").iterdir() if p.name[0].isdigit())
    for name in ["article.txt", *fillers[:-1]]:  # all but the last (cut) file are the same in the larger scale
        assert (tmp_path / "3" / name).read_bytes() == (tmp_path / "10" / name).read_bytes()
    with pytest.raises(ValueError, match="prose"):
        corpus.build_scale(pool, [base], 1000, tmp_path / "1000")


@pytest.mark.slow
def test_end_to_end_with_fake_models(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The whole run with a scripted LLM and fake embeddings: tables, JSON and HTML are produced."""
    from rag.chain import Pipeline

    warmed: list[Pipeline] = []
    monkeypatch.setattr(Pipeline, "warm_up", lambda self: warmed.append(self))
    settings = load_settings(
        project_root=ROOT,
        env={},
        llm="fake:Sam Altman declared a Code Red [1].",
        embeddings="fake:32",
        verify_with_model=False,  # a scripted model cannot answer the yes/no check
    )
    out = tmp_path / "results.json"
    res = run.run_benchmark(settings, cases=3, scales=[1, 2], out=out, log=lambda _: None, pdf=False)
    saved = json.loads(out.read_text())
    assert saved["ours"]["ingest"]["rerun"]["chunks_embedded"] == 0
    assert saved["ours"]["ingest"]["rerun"]["embedding_calls"] == 0
    assert saved["naive"]["ingest"]["rerun"]["chunks_embedded"] == saved["naive"]["ingest"]["cold"]["chunks_total"]
    assert saved["ours"]["questions"] == saved["naive"]["questions"] == 3
    # as `rag serve`, the prompt cache is warmed before the first question, and that time is reported
    assert len(warmed) == 1 and saved["startup"]["warm_up_s"] >= 0
    assert "prompt cache warm-up" in " ".join(tables.notes(saved))
    assert [p["scale"] for p in saved["scaling"]["points"]] == [1, 2]
    assert {t["target"] for t in res["targets"]} >= {"retrieval p50", "serving process peak RSS"}
    html = (tmp_path / "report.html").read_text()
    assert html.count("<svg") >= 8 and "<script" not in html
    assert not any(tag in html for tag in ("<link", "src=", "href=", "@import"))
    assert "| metric | ours | naive | ours/naive |" in tables.readme_section(saved)
    assert report.html_page(saved) == html
    # the rows are the eval runner's results.jsonl lines (status included), plus the prompt tokens
    row = saved["ours"]["cases"][0]
    assert {"id", "status", "answer", "citations", "passed", "scores", "reasons", "prompt_tokens"} <= set(row)
    # every question is accounted for by status (a scripted reply that answers none of them is withdrawn)
    assert sum(saved["ours"]["quality"]["status"].values()) == 3


def fake_results(timings: list[dict[str, float]], statuses: list[Status]) -> list:
    """Case results with the given timings and statuses, scored by the eval runner."""
    doc = "Sam Altman declared a Code Red."
    answers = iter(
        Answer("q", s, error="down" if s is Status.ERROR else None, timings=t)
        if s is not Status.ANSWERED
        else Answer(
            "q",
            s,
            sentences=(Sentence("Code Red.", (1,)),),
            citations=(Citation(1, "d", 0, 8, doc[:8], 1.0),),
            timings=t,
        )
        for t, s in zip(timings, statuses, strict=True)
    )
    bot = type("Bot", (), {"answer": lambda self, q, h: next(answers), "model_name": "fake"})()
    cases = [Case(id=f"c{i}", question="q", expect=["Code Red"]) for i in range(len(timings))]
    return run_cases(bot, cases, Scorer({"d": doc}))


def test_bench_summary_uses_the_eval_summary_and_percentile():
    timings = [{"ttft_s": t, "total_s": t + 1} for t in (1.0, 2.0, 4.0, 8.0)] + [{"ttft_s": 0.01, "total_s": 0.02}]
    statuses = [Status.ANSWERED, Status.ANSWERED, Status.DECLINED, Status.ANSWERED, Status.NOT_RELEVANT]
    results = fake_results(timings, statuses)
    rows = [phases.case_row(r, [{"input_tokens": 100, "cached_tokens": 10, "method": "usage"}]) for r in results]
    out = phases.summary(results, rows, [0.010, 0.020, 0.030])
    assert out["ttft_s"] == stats([1.0, 2.0, 4.0, 8.0])  # the gated answer never reached the model
    assert out["ttft_s"]["p50"] == 3.0 and out["total_s"]["p50"] == 3.0  # interpolated, as rag eval does
    assert out["retrieval_ms"] == stats([0.010, 0.020, 0.030], 1000, 2)
    quality = summarize([r.score for r in results], [r.answer for r in results])
    assert {k: v for k, v in quality.items() if k not in phases.QUALITY_SKIP} == out["quality"]
    assert out["quality"]["status"]["declined"] == 1 and out["samples"]["ttft_s"] == [1.0, 2.0, 4.0, 8.0]
    assert rows[0]["citations"] == [{"n": 1, "source": "d", "start": 0, "end": 8}] and rows[0]["status"] == "answered"


def test_a_backend_error_in_the_bench_is_a_failed_case_not_a_crash():
    results = fake_results([{"total_s": 0.5}, {"ttft_s": 1.0, "total_s": 2.0}], [Status.ERROR, Status.ANSWERED])
    rows = [phases.case_row(r, []) for r in results]
    out = phases.summary(results, rows, [])
    assert rows[0]["status"] == "error" and rows[0]["error"] == "down" and not rows[0]["passed"]
    assert out["total_s"]["n"] == 1 and out["quality"]["status"]["error"] == 1  # errors stay out of latency


def test_runner_error_from_a_raising_backend():
    class Down:
        model_name = "fake:down"

        def answer(self, question, history):
            raise ModelError("connection refused")

    (result,) = run_cases(Down(), [Case(id="x", question="q", refuse=True)], Scorer({}))
    row = phases.case_row(result, [])
    assert row["status"] == "error" and row["error"] == "connection refused" and row["model"] == "fake:down"


def test_committed_results_render_with_the_templates():
    """bench/results.json renders into the README section it sits beside and a self-contained page."""
    saved = json.loads((ROOT / "bench" / "results.json").read_text())
    readme = (ROOT / "bench" / "README.md").read_text()
    section = readme[readme.index(tables.README_START) : readme.index(tables.README_END) + len(tables.README_END)]
    assert tables.readme_section(saved) == section
    saved["ours"]["cases"][0]["answer"] = '<script>alert("x")</script>'
    html = report.html_page(saved)
    assert "<script" not in html and "&lt;script&gt;alert" in html
    assert not any(tag in html for tag in ("<link", "src=", "href=", "@import", "<use"))
    assert html.count("<svg") == 9
    ids = re.findall(r' id="([^"]+)"', html)
    assert ids and len(ids) == len(set(ids))  # nine charts, no element id shared between them
    assert html == report.html_page(saved)  # deterministic: no dates, salted ids


@pytest.mark.slow
def test_scaling_needs_no_chat_model_even_with_model_checks_on(tmp_path: Path) -> None:
    """The scaling phase measures ingest and retrieval only; with the default settings (model checks
    on) it once built a pipeline around no chat model and crashed."""
    from bench.scaling import run_scaling
    from rag.embeddings import make_embeddings

    settings = load_settings(project_root=ROOT, env={}, embeddings="fake:32")
    assert settings.verify_with_model
    res = run_scaling(settings, make_embeddings(settings), [1], ["Who declared a Code Red?"], tmp_path, lambda _: None)
    (point,) = res["points"]
    assert point["scale"] == 1 and point["documents"] >= 1
