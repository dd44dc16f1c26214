"""Checks of the benchmark's own logic (fast; no real models)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench import corpus, naive, plot, run
from rag.config import load_settings
from rag.eval import load_suite

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
def test_end_to_end_with_fake_models(tmp_path: Path) -> None:
    """The whole run with a scripted LLM and fake embeddings: tables, JSON and HTML are produced."""
    settings = load_settings(
        project_root=ROOT, env={}, llm="fake:Sam Altman declared a Code Red [1].", embeddings="fake:32"
    )
    out = tmp_path / "results.json"
    res = run.run_benchmark(settings, cases=3, scales=[1, 2], out=out, log=lambda _: None)
    saved = json.loads(out.read_text())
    assert saved["ours"]["ingest"]["rerun"]["chunks_embedded"] == 0
    assert saved["ours"]["ingest"]["rerun"]["embedding_calls"] == 0
    assert saved["naive"]["ingest"]["rerun"]["chunks_embedded"] == saved["naive"]["ingest"]["cold"]["chunks_total"]
    assert saved["ours"]["questions"] == saved["naive"]["questions"] == 3
    assert [p["scale"] for p in saved["scaling"]["points"]] == [1, 2]
    assert {t["target"] for t in res["targets"]} >= {"retrieval p50", "serving process peak RSS"}
    html = (tmp_path / "report.html").read_text()
    assert html.count("<svg") >= 8 and "<script" not in html
    assert "| metric | ours | naive | ours/naive |" in run.readme_section(saved)
    assert plot.html_page(saved) == html
