"""The benchmark's HTML page: the tables of ``bench.tables`` and matplotlib charts (``rag.report``'s
inline-SVG helpers), rendered from ``bench/templates/report.html.j2``. No scripts, no assets.

``python -m bench.report bench/results.json`` redraws ``bench/report.html`` from saved results.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from bench.tables import TEMPLATES, page_context
from rag.report import GREY, NAIVE, OURS, Line, bar_chart, ecdf, line_chart, render, svg


def latency_charts(res: dict[str, Any]) -> list[str]:
    """CDFs of retrieval time, time to first token, answer time and prompt tokens, ours against naive."""
    o, n = res["ours"]["samples"], res["naive"]["samples"]
    charts = [
        line_chart(
            [ecdf("ours", o[key], OURS), ecdf("naive", n[key], NAIVE)],
            title,
            unit,
            "share of questions",
            ylim=(0, 1.02),
        )
        for key, title, unit in (
            ("retrieval_ms", "Retrieval latency (CDF)", "milliseconds"),
            ("ttft_s", "Time to first token (CDF)", "seconds"),
            ("total_s", "Full answer time (CDF)", "seconds"),
        )
    ]
    tokens = {name: [r["prompt_tokens"] for r in res[name]["cases"] if r["llm_called"]] for name in ("ours", "naive")}
    if any(tokens.values()):
        lines = [ecdf("ours", tokens["ours"], OURS), ecdf("naive", tokens["naive"], NAIVE)]
        charts.append(line_chart(lines, "Prompt tokens per LLM call (CDF)", "tokens", "share of calls", ylim=(0, 1.02)))
    return charts


def scaling_charts(res: dict[str, Any]) -> list[str]:
    """Ingest time, throughput, query latency and index open time against corpus size (log axes)."""
    points = (res.get("scaling") or {}).get("points") or []
    if not points:
        return []
    chunks = [p["chunks"] for p in points]
    scales = [p["scale"] for p in points]
    ref = next((p for p in points[:-1] if p["scale"] >= 10), points[0])
    linear = [ref["ingest_s"] * c / ref["chunks"] for c in chunks]
    p50 = [p["retrieval_ms"]["p50"] for p in points]
    p95 = [p["retrieval_ms"]["p95"] for p in points]
    lin_lat = [p50[0] * c / chunks[0] for c in chunks]
    return [
        line_chart(
            [
                Line("ingest time", chunks, [p["ingest_s"] for p in points], OURS),
                Line(f"linear through {ref['scale']}x", chunks, linear, GREY, dashed=True, markers=False),
            ],
            "Ingest time vs corpus size",
            "chunks",
            "seconds",
            logx=True,
            logy=True,
        ),
        line_chart(
            [
                Line("chunks/s", scales, [p["chunks_per_s"] for p in points], OURS),
                Line("kB/s", scales, [p["kb_per_s"] for p in points], NAIVE),
            ],
            "Ingest throughput",
            "corpus size, x the article",
            "per second",
            logx=True,
        ),
        line_chart(
            [
                Line("retrieval p50", chunks, p50, OURS),
                Line("retrieval p95", chunks, p95, NAIVE),
                Line("linear growth from 1st point", chunks, lin_lat, GREY, dashed=True, markers=False),
            ],
            "Query latency vs corpus size",
            "chunks",
            "milliseconds",
            logx=True,
            logy=True,
        ),
        line_chart(
            [Line("index load", chunks, [max(p["index_load_s"], 1e-3) for p in points], OURS)],
            "Index open time (chunks + BM25)",
            "chunks",
            "seconds",
            logx=True,
            logy=True,
        ),
    ]


def quality_chart(res: dict[str, Any]) -> str:
    keys = ["answer_correctness", "citation_precision", "citation_recall", "refusal_accuracy", "hit_at_k", "mrr"]
    labels = ["correct", "cite prec.", "cite recall", "refusals", "hit@4", "MRR"]
    series = [(name, [res[name]["quality"].get(k) for k in keys]) for name in ("ours", "naive")]
    return bar_chart(labels, series, f"Golden-set quality ({res['ours']['questions']} cases)", colors=(OURS, NAIVE))


def html_page(res: dict[str, Any]) -> str:
    naive = {r["id"]: r for r in res["naive"]["cases"]}
    corpus = (res.get("scaling") or {}).get("corpus") or {}
    return render(
        TEMPLATES,
        "report.html.j2",
        **page_context(res),
        latency_charts=[svg(c) for c in latency_charts(res)],
        quality_chart=svg(quality_chart(res)),
        scaling_charts=[svg(c) for c in scaling_charts(res)],
        prose_bytes=json.dumps(corpus.get("prose_bytes_by_root", {})),
        cases=[(o, naive.get(o["id"])) for o in res["ours"]["cases"]],
    )


def write_report(res: dict[str, Any], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(html_page(res), encoding="utf-8")


def main(argv: list[str]) -> int:
    src = Path(argv[0] if argv else "bench/results.json")
    dest = Path(argv[1]) if len(argv) > 1 else src.with_name("report.html")
    write_report(json.loads(src.read_text(encoding="utf-8")), dest)
    print(f"wrote {dest}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
