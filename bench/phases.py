"""The phases of one benchmark run, in order: start, ingest (ours, then the naive tutorial's), and
for each pipeline the questions phase (retrieval latency, then the golden cases answered and scored
by ``rag.eval``'s case runner and summarised by ``rag.scoring``). Scaling is in ``bench.scaling``.

Each phase takes a ``Run`` (what every phase shares) and returns plain JSON-able figures.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from langchain_core.embeddings import Embeddings

from bench.measure import (
    Log,
    MeteredEmbeddings,
    PromptMeter,
    attach_meter,
    clear_query_cache,
    retrieval_latencies,
    rss,
)
from rag.config import Settings
from rag.eval import Case, CaseResult, Scorer, run_cases
from rag.scoring import latency, model_asked, stats, summarize
from rag.types import Status

FIRST_QUESTION = "What is this article about?"
# summarize()'s flat latency keys repeat ttft_s/total_s (same definition); the semantic check needs a model.
QUALITY_SKIP = ("ttft_p50_s", "ttft_p95_s", "total_p50_s", "total_p95_s", "semantic_similarity")


@dataclass
class Run:
    """What the phases share: settings of the temporary index, the model, the golden subset, the
    distinct questions timed for retrieval, a scratch directory and the log."""

    settings: Settings
    spec: str
    cases: list[Case]
    questions: list[str]
    workdir: Path
    log: Log


def start(run: Run) -> tuple[Any, PromptMeter, dict[str, Any]]:
    """As ``rag serve`` on a fresh checkout: both models load in parallel, the corpus is ingested and
    the prompt cache is filled with the fixed prompt prefixes (``Pipeline.warm_up``, timed apart).
    Then the first question, and one pass that embeds every question (reported separately, so that
    neither pipeline's timed retrievals pay the embedding model's first-call costs)."""
    from ingest.pipeline import prepare_index
    from rag.chain import Pipeline

    run.log("[bench] starting: loading both models in parallel, ingesting the corpus ...")
    t0 = time.perf_counter()
    pipeline = Pipeline.load(run.settings, llm_spec=run.spec, prepare=prepare_index(run.settings))
    load_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    pipeline.warm_up()
    warm_up_s = time.perf_counter() - t0
    meter = attach_meter(pipeline.llm)
    first = pipeline.answer(FIRST_QUESTION)
    run.log(
        f"[bench] ready in {load_s:.1f} s, prompt cache warmed in {warm_up_s:.1f} s; "
        f"first question answered in {first.timings['total_s']:.2f} s"
    )
    emb = pipeline.embeddings
    warmup = stats(retrieval_latencies(emb.embed_query, emb, run.questions), 1000, 2)
    clear_query_cache(emb)
    run.log(f"[bench] warm-up pass, question embedding: p50 {warmup['p50']} ms, p95 {warmup['p95']} ms (not compared)")
    figures = {
        "load_s": round(load_s, 3),
        "warm_up_s": round(warm_up_s, 3),
        "rss_mb_after_load": rss(),
        "first_question": {
            "question": FIRST_QUESTION,
            **{k: round(v, 3) for k, v in first.timings.items()},
            "refused": first.refused,
        },
        "question_embedding_warmup_ms": warmup,
    }
    return pipeline, meter, figures


def ingest_ours(run: Run, pipeline: Any, metered: MeteredEmbeddings) -> dict[str, Any]:
    """Cold ingest (after the models are loaded), then again on the unchanged corpus; embedding calls counted."""
    from ingest.pipeline import ingest

    run.log("[bench] ours: ingest cold, then again on the unchanged corpus ...")
    metered.reset()
    cold = ingest(run.settings, metered, reset=True, progress=False)
    cold_calls = metered.calls
    metered.reset()
    rerun = ingest(run.settings, metered, progress=False)
    pipeline.reload_index()
    figures = {
        "cold": {
            **cold.as_dict(),
            "embedding_calls": cold_calls,
            "chunks_per_s": round(cold.chunks_total / cold.seconds, 1),
        },
        "rerun": {**rerun.as_dict(), "embedding_calls": metered.calls, "embedded_texts": metered.texts},
    }
    for part in figures.values():
        for key in ("added", "updated", "unchanged", "removed", "skipped"):
            part[key] = len(part[key])
    return figures


def ingest_naive(run: Run, metered: MeteredEmbeddings) -> tuple[Any, dict[str, Any]]:
    """The tutorial's ingest, twice: it has no change detection, so the re-run re-embeds everything."""
    from bench import naive

    run.log("[bench] naive: ingest, then the tutorial's re-run (no change detection) ...")
    metered.reset()
    _, cold = naive.ingest(run.settings, metered, run.workdir / "naive")
    cold_calls = metered.calls
    metered.reset()
    collection, rerun = naive.ingest(run.settings, metered, run.workdir / "naive")
    figures = {
        "cold": {**cold.as_dict(), "embedding_calls": cold_calls, "chunks_per_s": round(cold.chunks / cold.seconds, 1)},
        "rerun": {**rerun.as_dict(), "embedding_calls": metered.calls, "embedded_texts": metered.texts},
    }
    return collection, figures


def case_row(result: CaseResult, calls: list[dict[str, Any]]) -> dict[str, Any]:
    """The eval runner's ``results.jsonl`` line, without the draft and passage lists and with citation
    spans only (results.json stays small), plus the prompt tokens this case cost."""
    line = result.line()
    row = {k: v for k, v in line.items() if k not in ("draft", "retrieved", "rewritten_question")}
    row["citations"] = [{k: c[k] for k in ("n", "source", "start", "end")} for c in line["citations"]]
    row["history_turns"] = len(result.case.history)
    row["llm_called"] = bool(calls)
    row["prompt_tokens"] = sum(c["input_tokens"] for c in calls)
    row["cached_tokens"] = sum(c["cached_tokens"] or 0 for c in calls)
    row["token_count_method"] = calls[0]["method"] if calls else None
    return row


def questions(
    run: Run, name: str, answerer: Any, embeddings: Embeddings, meter: PromptMeter, scorer: Scorer
) -> dict[str, Any]:
    """Retrieval latency over every distinct question, then the golden subset through the eval runner."""
    run.log(f"[bench] {name}: retrieval latency over {len(run.questions)} distinct questions ...")
    retrieval = retrieval_latencies(answerer.retrieve, embeddings, run.questions)
    run.log(f"[bench] {name}: answering {len(run.cases)} golden cases ...")
    clear_query_cache(embeddings)
    rows: list[dict[str, Any]] = []
    seen = [len(meter.calls)]

    def record(i: int, result: CaseResult) -> None:
        calls, seen[0] = meter.calls[seen[0] :], len(meter.calls)
        rows.append(case_row(result, calls))
        t, verdict = result.answer.timings, "pass" if result.score.passed else "FAIL"
        run.log(
            f"  [{name} {i}/{len(run.cases)}] {result.case.id:<32} total {t.get('total_s', 0):6.2f} s  "
            f"ttft {t.get('ttft_s', 0):6.2f} s  {rows[-1]['prompt_tokens']:5d} prompt tok  {verdict}"
        )

    results = run_cases(answerer, run.cases, scorer, on_result=record)
    return {**summary(results, rows, retrieval), "rss_mb": rss(), "cases": rows}


def summary(results: list[CaseResult], rows: list[dict[str, Any]], retrieval_s: list[float]) -> dict[str, Any]:
    """Latency (``rag.scoring``'s one definition), prompt tokens and quality of one pipeline's run."""
    answers = [r.answer for r in results]
    called = [r for r in rows if r["llm_called"]]
    prompt = [r["prompt_tokens"] for r in called]
    cached = [r["cached_tokens"] for r in called]
    quality = summarize([r.score for r in results], answers)
    return {
        "retrieval_ms": stats(retrieval_s, 1000, 2),
        **latency(answers),
        "llm_calls": len(called),
        "questions": len(rows),
        "prompt_tokens": {
            **stats(prompt, 1, 1),
            "cached_mean": round(sum(cached) / len(cached), 1) if cached else None,
        },
        "token_count_method": sorted({r["token_count_method"] for r in called if r["token_count_method"]}),
        "quality": {k: v for k, v in quality.items() if k not in QUALITY_SKIP},
        "samples": {
            "retrieval_ms": [round(x * 1000, 3) for x in retrieval_s],
            "ttft_s": [round(a.timings["ttft_s"], 4) for a in answers if model_asked(a) and "ttft_s" in a.timings],
            "total_s": [
                round(a.timings["total_s"], 4)
                for a in answers
                if a.status is not Status.ERROR and "total_s" in a.timings
            ],
        },
    }
