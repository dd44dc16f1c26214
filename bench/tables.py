"""The benchmark's tables: ours/naive ratios, the DESIGN.md section 6 targets beside the measured
values, and the scaling table; printed to the terminal, and rendered (``bench/templates/readme.md.j2``)
into the figures section of ``bench/README.md``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rag.report import fmt, render

DEFAULT_MODEL = "local:qwen2.5-1.5b"
README = Path(__file__).resolve().parent / "README.md"
TEMPLATES = Path(__file__).resolve().parent / "templates"
README_START = "<!-- bench:results:start -->"
README_END = "<!-- bench:results:end -->"
VERDICT = {True: "MET", False: "GAP", None: "n/a"}
QUALITY_ROWS = (
    "answer_correctness",
    "citation_precision",
    "citation_recall",
    "refusal_accuracy",
    "hit_at_k",
    "mrr",
    "pass_rate",
)


def _ratio(a: Any, b: Any) -> float | None:
    if isinstance(a, int | float) and isinstance(b, int | float) and b:
        return round(a / b, 3)
    return None


def comparison_rows(res: dict[str, Any]) -> list[tuple[str, Any, Any, float | None]]:
    """(metric, ours, naive, ours/naive) rows of the main table."""
    o, n = res["ours"], res["naive"]
    rows: list[tuple[str, Any, Any]] = [
        ("ingest cold (s)", o["ingest"]["cold"]["seconds"], n["ingest"]["cold"]["seconds"]),
        ("ingest cold chunks", o["ingest"]["cold"]["chunks_total"], n["ingest"]["cold"]["chunks_total"]),
        ("ingest cold chunks/s", o["ingest"]["cold"]["chunks_per_s"], n["ingest"]["cold"]["chunks_per_s"]),
        ("re-ingest unchanged (s)", o["ingest"]["rerun"]["seconds"], n["ingest"]["rerun"]["seconds"]),
        ("re-ingest chunks embedded", o["ingest"]["rerun"]["chunks_embedded"], n["ingest"]["rerun"]["chunks_embedded"]),
        ("retrieval p50 (ms)", o["retrieval_ms"]["p50"], n["retrieval_ms"]["p50"]),
        ("retrieval p95 (ms)", o["retrieval_ms"]["p95"], n["retrieval_ms"]["p95"]),
        ("time to first token p50 (s)", o["ttft_s"]["p50"], n["ttft_s"]["p50"]),
        ("time to first token p95 (s)", o["ttft_s"]["p95"], n["ttft_s"]["p95"]),
        ("total p50 (s)", o["total_s"]["p50"], n["total_s"]["p50"]),
        ("total p95 (s)", o["total_s"]["p95"], n["total_s"]["p95"]),
        ("total p50, LLM called (s)", o["total_llm_s"]["p50"], n["total_llm_s"]["p50"]),
        ("prompt tokens / LLM call (mean)", o["prompt_tokens"]["mean"], n["prompt_tokens"]["mean"]),
        ("prompt tokens from cache (mean)", o["prompt_tokens"]["cached_mean"], n["prompt_tokens"]["cached_mean"]),
        ("LLM calls / questions", f"{o['llm_calls']}/{o['questions']}", f"{n['llm_calls']}/{n['questions']}"),
    ]
    for key in QUALITY_ROWS:
        rows.append((key.replace("_", " "), o["quality"].get(key), n["quality"].get(key)))
    return [(m, a, b, _ratio(a, b)) for m, a, b in rows]


def evaluate_targets(res: dict[str, Any]) -> list[dict[str, Any]]:
    """DESIGN.md section 6 / issue 6 targets beside the measured values; ``met`` None = not measured."""
    o, n = res["ours"], res["naive"]
    default = res["meta"]["llm"] == DEFAULT_MODEL
    model_note = "" if default else f"targets are for {DEFAULT_MODEL}; measured with {res['meta']['llm']}"
    out: list[dict[str, Any]] = []

    def add(name: str, target: str, measured: str, met: bool | None, note: str = "") -> None:
        out.append({"target": name, "goal": target, "measured": measured, "met": met, "note": note})

    r50 = o["retrieval_ms"]["p50"]
    add("retrieval p50", "<= 25 ms", f"{fmt(r50, 1)} ms", r50 is not None and r50 <= 25)
    t50 = o["ttft_s"]["p50"]
    add("time to first token p50", "<= 2 s", f"{fmt(t50, 2)} s", t50 is not None and t50 <= 2, model_note)
    a50 = o["total_s"]["p50"]
    add("full answer p50", "<= 6 s", f"{fmt(a50, 2)} s", a50 is not None and a50 <= 6, model_note)
    cold = o["ingest"]["cold"]["seconds"]
    add("article ingest after models load", "<= 3 s", f"{cold:.2f} s", cold <= 3)
    rerun = o["ingest"]["rerun"]
    add(
        "unchanged re-ingest does no embedding work",
        "0 chunks embedded, 0 embedding calls",
        f"{rerun['chunks_embedded']} chunks, {rerun['embedding_calls']} calls, {rerun['seconds']:.2f} s",
        rerun["chunks_embedded"] == 0 and rerun["embedding_calls"] == 0,
    )
    peak = o["rss_mb"]["peak_mb"] / 1024
    add("serving process peak RSS", "<= 3 GB", f"{peak:.2f} GB", peak <= 3, model_note)
    first = res["startup"]["first_question"]["total_s"]
    warm = o["total_llm_s"]["p50"]
    load_s = res["startup"]["load_s"]
    extra = None if warm is None else first - warm
    add(
        "first question after start does not pay model loading",
        "first answer's extra time over the warm p50 < half the startup time",
        f"first {first:.2f} s, warm p50 {fmt(warm, 2)} s, startup {load_s:.1f} s",
        extra is not None and extra < 0.5 * load_s,
        "loading the models again would add about the whole startup time",
    )
    g = res.get("scaling", {}).get("growth") or {}
    if g:
        add(
            "ingest throughput roughly linear in corpus size",
            "per-chunk cost at the largest scale <= 1.5 x that at the reference scale",
            f"x{g['ingest_per_chunk_ratio']} per chunk (largest vs {g['ingest_per_chunk_reference_scale']}x); "
            f"time ~ size^{g['ingest_time_exponent']}",
            g["ingest_per_chunk_ratio"] <= 1.5,
        )
        add(
            "query latency grows sub-linearly",
            "retrieval p50 ~ size^b with b < 1",
            f"b = {g['retrieval_exponent']} (p50 x{g['retrieval_p50_ratio']} for x{g['chunks_ratio']} chunks)",
            g["retrieval_exponent"] is not None and g["retrieval_exponent"] < 1,
        )
    else:
        skipped = res.get("scaling", {}).get("skipped") or []
        why = "; ".join(f"{x['scale']}x: {x['reason']}" for x in skipped) or "fewer than two scales (--scales)"
        add("ingest throughput / query latency scaling", "measured at 1x..1000x", f"not measured ({why})", None)
    oc, nc = o["quality"]["answer_correctness"], n["quality"]["answer_correctness"]
    add(
        "answer correctness no worse than naive",
        "ours >= naive",
        f"{fmt(oc)} vs {fmt(nc)}",
        None if oc is None or nc is None else oc >= nc,
        f"{o['questions']} golden cases",
    )
    op, np_ = o["quality"]["citation_precision"], n["quality"]["citation_precision"]
    add(
        "citation precision clearly better than naive",
        "ours >= naive + 0.20",
        f"{fmt(op)} vs {fmt(np_)}",
        None if op is None or np_ is None else op >= np_ + 0.2,
    )
    return out


def notes(res: dict[str, Any]) -> list[str]:
    """Memory, startup and the warm-up pass, one sentence each."""
    st = res["startup"]
    warm = st.get("question_embedding_warmup_ms") or {}
    return [
        f"serving process RSS (ours, both models loaded): peak {res['ours']['rss_mb']['peak_mb']:.0f} MB, "
        f"current {res['ours']['rss_mb'].get('current_mb', 0):.0f} MB; after the naive run too: peak "
        f"{res['naive']['rss_mb']['peak_mb']:.0f} MB",
        f"startup (both models in parallel + first ingest): {st['load_s']:.1f} s; "
        + (f"prompt cache warm-up: {st['warm_up_s']:.1f} s; " if "warm_up_s" in st else "")
        + "first question after start: "
        f"{st['first_question']['total_s']:.2f} s (time to first token {st['first_question'].get('ttft_s', 0):.2f} s)",
        f"warm-up pass before the timed retrievals (question embedding only): p50 {fmt(warm.get('p50'), 1)} ms, "
        f"p95 {fmt(warm.get('p95'), 1)} ms, max {fmt(warm.get('max'), 1)} ms",
    ]


SCALING_HEAD = [
    "scale",
    "docs",
    "MB",
    "chunks",
    "ingest s",
    "embed s",
    "chunks/s",
    "kB/s",
    "index load s",
    "index MB",
    "retr p50 ms",
    "retr p95 ms",
]


def scaling_rows(res: dict[str, Any]) -> list[list[str]]:
    """One row of cells per scale (empty without scaling points)."""
    return [
        [
            f"{p['scale']}x",
            str(p["documents"]),
            f"{p['bytes'] / 1e6:.2f}",
            str(p["chunks"]),
            fmt(p["ingest_s"], 2),
            fmt(p["embed_s"], 2),
            fmt(p["chunks_per_s"], 1),
            fmt(p["kb_per_s"], 1),
            fmt(p["index_load_s"], 2),
            fmt(p["index_mb"], 1),
            fmt(p["retrieval_ms"]["p50"], 1),
            fmt(p["retrieval_ms"]["p95"], 1),
        ]
        for p in (res.get("scaling") or {}).get("points") or []
    ]


CONCURRENCY_HEAD = ["slots", "users", "answers/s", "p50 s", "p95 s", "first sentence p50 s"]


def concurrency_rows(res: dict[str, Any]) -> list[list[str]]:
    """The concurrency curve as table rows (strings)."""
    return [
        [
            str(p["slots"]),
            str(p["users"]),
            f"{p['answers_per_s']:.2f}",
            f"{p['latency_p50_s']:.1f}",
            f"{p['latency_p95_s']:.1f}",
            f"{p['first_sentence_p50_s']:.1f}",
        ]
        for p in (res.get("concurrency") or {}).get("points") or []
    ]


def render_text(res: dict[str, Any]) -> str:
    """The comparison table, the notes, the targets and the scaling table for the terminal."""
    comp = comparison_rows(res)
    w = max(len(m) for m, *_ in comp) + 2
    lines = [f"{'metric':<{w}}{'ours':>12}{'naive':>12}{'ours/naive':>12}", "-" * (w + 36)]
    lines += [f"{m:<{w}}{fmt(a):>12}{fmt(b):>12}{fmt(r):>12}" for m, a, b, r in comp]
    lines += ["", *notes(res), "", "targets (DESIGN.md section 6):"]
    for t in res["targets"]:
        note = f"  [{t['note']}]" if t["note"] else ""
        lines.append(f"  {VERDICT[t['met']]:<4} {t['target']}: {t['goal']}; measured {t['measured']}{note}")
    table = scaling_rows(res)
    if table:
        lines += ["", "scaling (our ingest and retrieval, no LLM):"]
        lines += aligned(SCALING_HEAD, table)
    curve = concurrency_rows(res)
    if curve:
        asked = res["concurrency"]["questions"]
        lines += ["", f"concurrency (the served app, the same {asked} questions at every point):"]
        lines += aligned(CONCURRENCY_HEAD, curve)
    return "\n".join(lines)


def aligned(head: list[str], rows: list[list[str]]) -> list[str]:
    """A table as right-aligned text lines, header first."""
    widths = [max(len(r[i]) for r in [head, *rows]) + 2 for i in range(len(head))]
    return ["".join(c.rjust(w) for c, w in zip(row, widths, strict=True)) for row in [head, *rows]]


def machine_line(res: dict[str, Any]) -> str:
    m = res["meta"]["machine"]
    load = res["meta"]["load_average"]
    return (
        f"{m.get('cpu')}, {m.get('cpus_usable')} usable cores, {m.get('memory_gb')} GB RAM, {m.get('platform')}, "
        f"Python {m.get('python')}; load average {load['start'][0]:.2f} at start, {load['end'][0]:.2f} at end"
    )


def page_context(res: dict[str, Any]) -> dict[str, Any]:
    """What every benchmark template gets: the results, the machine, the comparison, notes and targets."""
    return {
        "res": res,
        "meta": res["meta"],
        "machine": machine_line(res),
        "comparison": comparison_rows(res),
        "notes": notes(res),
        "targets": res["targets"],
        "verdict": VERDICT,
    }


def readme_section(res: dict[str, Any]) -> str:
    """The figures section of ``bench/README.md``, markers included."""
    body = render(
        TEMPLATES,
        "readme.md.j2",
        **page_context(res),
        scaling_head=SCALING_HEAD,
        scaling=scaling_rows(res),
        concurrency_head=CONCURRENCY_HEAD,
        concurrency=concurrency_rows(res),
    )
    return f"{README_START}\n{body.strip()}\n{README_END}"


def update_readme(res: dict[str, Any], path: Path = README) -> bool:
    """Replace the figures between the markers of ``bench/README.md``; False when there are none."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError:
        return False
    start, end = text.find(README_START), text.find(README_END)
    if start < 0 or end < start:
        return False
    path.write_text(text[:start] + readme_section(res) + text[end + len(README_END) :], encoding="utf-8")
    return True
