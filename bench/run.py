"""The benchmark (DESIGN.md section 6): our pipeline against the naive LangChain-tutorial pipeline,
in one process, on the same machine, chat model, embedding model and corpus.

Run it with ``rag bench`` (or ``python -m bench.run``) from the project root. Order of work:

1. start: ``Pipeline.load`` on an empty temporary index (both models load in parallel, then the
   corpus is ingested), then the first question after start;
2. ours: cold ingest (after the models are loaded) and a re-run on the unchanged corpus (embedding
   calls are counted), retrieval latency over every distinct golden question, then the golden
   subset answered and scored; peak and current RSS of this process (it is the serving process:
   both models, the index and the llama.cpp server live in it);
3. naive: the same for ``bench.naive`` (no change detection: a re-run re-embeds everything);
4. scaling: our ingest and retrieval (no LLM) at N× the corpus size, with real prose from the
   documentation installed on this machine (``bench.corpus``);
5. a table with ours/naive ratios and the section 6 targets beside the measured values, printed;
   ``results.json``, ``report.html`` (``bench.plot``) and, for the default output path, the figures
   section of ``bench/README.md``.

Nothing touches the project's own index: every index lives in a temporary directory.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import platform
import re
import resource
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import numpy as np
from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.embeddings import Embeddings

from rag.config import Settings
from rag.errors import InputError

DEFAULT_CASES = 24
DEFAULT_SCALES = (1, 10, 100)
DEFAULT_OUT = Path("bench/results.json")
SUITE = Path("evals/golden.yaml")
DEFAULT_MODEL = "local:qwen2.5-1.5b"
FIRST_QUESTION = "What is this article about?"
README = Path(__file__).resolve().parent / "README.md"
README_START = "<!-- bench:results:start -->"
README_END = "<!-- bench:results:end -->"

Log = Callable[[str], None]
# summarize()'s own latency figures use other definitions (refused answers left out); ours are above them.
QUALITY_SKIP = ("case_results", "ttft_p50_s", "ttft_p95_s", "total_p50_s", "total_p95_s", "semantic_similarity")


def _stderr(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


# -- measuring helpers -------------------------------------------------------------------------


class MeteredEmbeddings(Embeddings):
    """Wraps an embedding model and counts the work done through it (calls, texts, seconds)."""

    def __init__(self, inner: Embeddings) -> None:
        self.inner = inner
        self.reset()

    def reset(self) -> None:
        self.calls = 0
        self.texts = 0
        self.seconds = 0.0

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        started = time.perf_counter()
        out = self.inner.embed_documents(texts)
        self.seconds += time.perf_counter() - started
        self.calls += 1
        self.texts += len(texts)
        return out

    def embed_query(self, text: str) -> list[float]:
        started = time.perf_counter()
        out = self.inner.embed_query(text)
        self.seconds += time.perf_counter() - started
        self.calls += 1
        self.texts += 1
        return out


def clear_query_cache(embeddings: Embeddings) -> None:
    """Forget cached question embeddings, so that every timed retrieval embeds its question."""
    cache = getattr(embeddings, "_query_cache", None)
    if cache is not None and hasattr(cache, "cache_clear"):
        cache.cache_clear()


class PromptMeter(BaseCallbackHandler):
    """Records the prompt tokens of every chat-model call.

    The number comes from the server's usage report (``stream_usage``: llama.cpp counts the tokens of
    the templated prompt, and reports how many it reused from its prompt cache); when a backend sends
    none, the llama.cpp server's ``/apply-template`` + ``/tokenize`` are asked, and failing that the
    words are counted (marked ``estimate``).
    """

    def __init__(self, llm: Any) -> None:
        self.llm = llm
        self.calls: list[dict[str, Any]] = []
        self._messages: list[Any] | None = None

    def on_chat_model_start(self, serialized: dict, messages: list[list[Any]], **kwargs: Any) -> None:
        self._messages = messages[0] if messages else None

    def on_llm_end(self, response: Any, **kwargs: Any) -> None:
        usage = None
        with contextlib.suppress(AttributeError, IndexError):
            usage = response.generations[0][0].message.usage_metadata
        if usage and usage.get("input_tokens"):
            details = usage.get("input_token_details") or {}
            tokens, cached = int(usage["input_tokens"]), details.get("cache_read")
            self.calls.append({"input_tokens": tokens, "cached_tokens": cached, "method": "usage"})
        else:
            tokens, method = self._count(self._messages or [])
            self.calls.append({"input_tokens": tokens, "cached_tokens": None, "method": method})
        self._messages = None

    def _count(self, messages: list[Any]) -> tuple[int, str]:
        server = getattr(self.llm, "_server", None)
        if server is not None:
            try:
                import httpx

                base = server.listening_address.rstrip("/")
                key = self.llm.openai_api_key.get_secret_value() if self.llm.openai_api_key else ""
                headers = {"Authorization": f"Bearer {key}"}
                roles = {"system": "system", "human": "user", "ai": "assistant"}
                payload = [{"role": roles.get(m.type, "user"), "content": m.content} for m in messages]
                prompt = httpx.post(f"{base}/apply-template", json={"messages": payload}, headers=headers, timeout=10)
                tokens = httpx.post(
                    f"{base}/tokenize", json={"content": prompt.json()["prompt"]}, headers=headers, timeout=10
                )
                return len(tokens.json()["tokens"]), "tokenize"
            except Exception:  # noqa: BLE001, S110 - fall back to an estimate
                pass
        from rag.retrieve import approx_tokens

        return sum(approx_tokens(str(m.content)) for m in messages), "estimate"


def attach_meter(llm: Any) -> PromptMeter:
    meter = PromptMeter(llm)
    if "stream_usage" in getattr(type(llm), "model_fields", {}):
        llm.stream_usage = True  # ask for the usage report on the final streamed chunk
    llm.callbacks = [*(llm.callbacks or []), meter]
    return meter


def rss() -> dict[str, float]:
    """Peak RSS of this process (getrusage) and its current and peak RSS from /proc, in MB."""
    out = {"peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}
    try:
        status = Path("/proc/self/status").read_text()
        for key, name in (("VmRSS", "current_mb"), ("VmHWM", "hwm_mb")):
            m = re.search(rf"^{key}:\s+(\d+) kB", status, re.MULTILINE)
            if m:
                out[name] = int(m.group(1)) / 1024
    except OSError:
        pass
    return {k: round(v, 1) for k, v in out.items()}


def stats(values: Sequence[float], scale: float = 1.0, digits: int = 3) -> dict[str, Any]:
    """p50/p95/mean/min/max (linear-interpolated percentiles) of ``values`` × ``scale``."""
    if not values:
        return {"n": 0, "p50": None, "p95": None, "mean": None, "min": None, "max": None}
    arr = np.asarray(values, dtype=float) * scale
    return {
        "n": int(arr.size),
        "p50": round(float(np.percentile(arr, 50)), digits),
        "p95": round(float(np.percentile(arr, 95)), digits),
        "mean": round(float(arr.mean()), digits),
        "min": round(float(arr.min()), digits),
        "max": round(float(arr.max()), digits),
    }


def dir_bytes(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def machine() -> dict[str, Any]:
    """What the figures were measured on."""
    info: dict[str, Any] = {
        "platform": platform.platform(),
        "python": platform.python_version(),
        "cpu_count": os.cpu_count(),
        "cpus_usable": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count(),
    }
    try:
        cpuinfo = Path("/proc/cpuinfo").read_text()
        m = re.search(r"^model name\s*:\s*(.+)$", cpuinfo, re.MULTILINE)
        info["cpu"] = m.group(1).strip() if m else platform.processor()
        m = re.search(r"^MemTotal:\s+(\d+) kB", Path("/proc/meminfo").read_text(), re.MULTILINE)
        info["memory_gb"] = round(int(m.group(1)) / 1024 / 1024, 1) if m else None
    except OSError:
        info["cpu"] = platform.processor()
    versions = {}
    for pkg in (
        "torch",
        "sentence-transformers",
        "chromadb",
        "xllamacpp",
        "langchain-core",
        "langchain-openai",
        "langchain-text-splitters",
        "bm25s",
    ):
        try:
            versions[pkg] = version(pkg)
        except PackageNotFoundError:
            versions[pkg] = None
    info["versions"] = versions
    return info


# -- the golden subset ---------------------------------------------------------------------------

GROUP_ORDER = ("followup", "two-passage", "unanswerable", "injection", "credits")


def case_group(tags: Sequence[str]) -> str:
    for tag in GROUP_ORDER:
        if tag in tags:
            return tag
    return tags[0] if tags else "other"


def select_cases(cases: list[Any], n: int) -> list[Any]:
    """A fixed, deterministic subset of ``n`` cases spread across tag groups.

    Groups (followup, two-passage, unanswerable, injection, credits, else the first tag) get seats in
    proportion to their size (D'Hondt, at least one each when ``n`` allows; the largest groups first
    when it does not); within a group the cases are evenly spaced. ``n <= 0`` or ``n >= len`` is all.
    """
    if n <= 0 or n >= len(cases):
        return list(cases)
    groups: dict[str, list[int]] = {}
    for i, case in enumerate(cases):
        groups.setdefault(case_group(case.tags), []).append(i)
    names = sorted(groups, key=lambda g: -len(groups[g]))  # stable: ties keep file order
    if n <= len(names):
        seats = {g: 1 for g in names[:n]}
    else:
        seats = {g: 1 for g in names}
        for _ in range(n - len(names)):
            best = max((g for g in names if seats[g] < len(groups[g])), key=lambda g: len(groups[g]) / (seats[g] + 1))
            seats[best] += 1
    chosen = []
    for g, k in seats.items():
        members = groups[g]
        chosen += [members[int((j + 0.5) * len(members) / k)] for j in range(k)]
    return [cases[i] for i in sorted(chosen)]


def parse_scales(text: str) -> list[int]:
    """``"1,10,100"`` → ``[1, 10, 100]``; empty or ``none`` → no scaling runs."""
    text = text.strip().lower()
    if text in ("", "none", "0"):
        return []
    try:
        scales = sorted({int(x) for x in text.replace(" ", "").split(",") if x})
    except ValueError:
        raise InputError(f"--scales {text!r} must be comma-separated whole numbers, e.g. 1,10,100") from None
    if any(s < 1 for s in scales):
        raise InputError("--scales must be positive multiples of the corpus size")
    return scales


# -- the phases ----------------------------------------------------------------------------------


@dataclass
class Questions:
    """What one pipeline did on the golden subset."""

    rows: list[dict[str, Any]] = field(default_factory=list)
    answers: list[Any] = field(default_factory=list)
    scores: list[Any] = field(default_factory=list)


def answer_cases(
    name: str, pipeline: Any, cases: list[Any], meter: PromptMeter, documents: dict[str, str], log: Log
) -> Questions:
    from rag.eval import score_case

    out = Questions()
    for i, case in enumerate(cases, 1):
        n0 = len(meter.calls)
        answer = pipeline.answer(case.question, [t.model_dump() for t in case.history])
        calls = meter.calls[n0:]
        score = score_case(case, answer, documents, k=4)
        out.answers.append(answer)
        out.scores.append(score)
        t = answer.timings
        row = {
            "id": case.id,
            "tags": case.tags,
            "question": case.question,
            "history_turns": len(case.history),
            "answer": answer.answer,
            "refused": answer.refused,
            "citations": [{"n": c.n, "source": c.source, "start": c.start, "end": c.end} for c in answer.citations],
            "llm_called": bool(calls),
            "prompt_tokens": sum(c["input_tokens"] for c in calls) if calls else 0,
            "cached_tokens": sum(c["cached_tokens"] or 0 for c in calls) if calls else 0,
            "token_count_method": calls[0]["method"] if calls else None,
            "timings": {k: round(v, 4) for k, v in t.items()},
            "passed": score.passed,
            "scores": {k: v for k, v in score.__dict__.items() if k not in ("id", "passed", "reasons")},
            "reasons": score.reasons,
        }
        out.rows.append(row)
        verdict = "pass" if score.passed else "FAIL"
        log(
            f"  [{name} {i}/{len(cases)}] {case.id:<32} total {t.get('total_s', 0):6.2f} s  "
            f"ttft {t.get('ttft_s', 0):6.2f} s  {row['prompt_tokens']:5d} prompt tok  {verdict}"
        )
    return out


def retrieval_latencies(retrieve: Callable[[str], Any], embeddings: Embeddings, questions: list[str]) -> list[float]:
    """Seconds per retrieval (question embedding included: the query cache is cleared first)."""
    clear_query_cache(embeddings)
    times = []
    for q in questions:
        started = time.perf_counter()
        retrieve(q)
        times.append(time.perf_counter() - started)
    return times


def latency_summary(q: Questions, retrieval_s: list[float]) -> dict[str, Any]:
    from rag.eval import summarize

    called = [r for r in q.rows if r["llm_called"]]
    prompt = [r["prompt_tokens"] for r in called]
    cached = [r["cached_tokens"] for r in called]
    return {
        "retrieval_ms": stats(retrieval_s, 1000, 2),
        "ttft_s": stats([r["timings"]["ttft_s"] for r in called]),
        "total_s": stats([r["timings"]["total_s"] for r in q.rows]),
        "total_llm_s": stats([r["timings"]["total_s"] for r in called]),
        "llm_calls": len(called),
        "questions": len(q.rows),
        "prompt_tokens": {**stats(prompt, 1, 1), "cached_mean": round(float(np.mean(cached)), 1) if cached else None},
        "token_count_method": sorted({r["token_count_method"] for r in called if r["token_count_method"]}),
        "quality": {k: v for k, v in summarize(q.scores, q.answers).items() if k not in QUALITY_SKIP},
        "samples": {
            "retrieval_ms": [round(x * 1000, 3) for x in retrieval_s],
            "ttft_s": [r["timings"]["ttft_s"] for r in called],
            "total_s": [r["timings"]["total_s"] for r in q.rows],
        },
    }


def run_scaling(
    settings: Settings,
    embeddings: Embeddings,
    scales: list[int],
    questions: list[str],
    workdir: Path,
    log: Log,
) -> dict[str, Any]:
    """Our ingest and retrieval at each N× corpus size (temporary index per scale)."""
    from bench.corpus import ProsePool, build_scale
    from ingest.loaders import discover
    from ingest.pipeline import ingest
    from rag.chain import Pipeline
    from rag.store import Index

    base = discover([settings.corpus_path])
    pool = ProsePool()
    metered = MeteredEmbeddings(embeddings)
    points: list[dict[str, Any]] = []
    skipped: list[dict[str, Any]] = []
    for scale in scales:
        root = workdir / f"scale-{scale}x"
        started = time.perf_counter()
        try:
            corpus = build_scale(pool, base, scale, root / "corpus")
        except ValueError as exc:  # this machine holds too little documentation prose
            log(f"  scale {scale}x skipped: {exc}")
            skipped.append({"scale": scale, "reason": str(exc)})
            shutil.rmtree(root, ignore_errors=True)
            continue
        corpus["build_s"] = round(time.perf_counter() - started, 2)
        s = settings.model_copy(update={"data_dir": root / "data", "corpus_dir": root / "corpus", "chroma_url": None})
        log(f"  scale {scale}x: {corpus['files']} files, {corpus['bytes'] / 1e6:.2f} MB; ingesting ...")
        metered.reset()
        report = ingest(s, metered, reset=True, progress=False)
        started = time.perf_counter()
        index = Index.load(s)
        index_load_s = time.perf_counter() - started
        pipeline = Pipeline(s, index, embeddings, None, "")  # type: ignore[arg-type]  # retrieval only
        lat = retrieval_latencies(pipeline.retrieve, embeddings, questions)
        point = {
            "scale": scale,
            "documents": len(report.added),
            "bytes": corpus["bytes"],
            "chunks": report.chunks_total,
            "ingest_s": round(report.seconds, 3),
            "embed_s": round(metered.seconds, 3),
            "chunks_per_s": round(report.chunks_total / report.seconds, 1) if report.seconds else None,
            "kb_per_s": round(corpus["bytes"] / 1000 / report.seconds, 1) if report.seconds else None,
            "index_load_s": round(index_load_s, 3),
            "index_mb": round(dir_bytes(root / "data") / 1e6, 1),
            "retrieval_ms": stats(lat, 1000, 2),
            "retrieval_samples_ms": [round(x * 1000, 3) for x in lat],
            "corpus": corpus,
        }
        points.append(point)
        log(
            f"  scale {scale}x: {point['chunks']} chunks in {point['ingest_s']:.1f} s "
            f"({point['chunks_per_s']} chunks/s, embedding {point['embed_s']:.1f} s); index load "
            f"{index_load_s:.2f} s; retrieval p50 {point['retrieval_ms']['p50']} ms"
        )
        del pipeline, index
        shutil.rmtree(root, ignore_errors=True)
    return {"corpus": pool.describe(), "points": points, "skipped": skipped, "growth": growth(points)}


def growth(points: list[dict[str, Any]]) -> dict[str, Any]:
    """How cost grows with size: log-log slopes between the smallest and largest points."""
    if len(points) < 2:
        return {}
    lo, hi = points[0], points[-1]
    size_ratio = hi["chunks"] / lo["chunks"]
    # Ingest: cost per chunk at the largest point against the smallest point of 10x or more
    # (a 1x ingest is dominated by fixed costs, so per-chunk cost is not comparable there).
    ref = next((p for p in points[:-1] if p["scale"] >= 10), lo)
    per_chunk_ratio = (hi["ingest_s"] / hi["chunks"]) / (ref["ingest_s"] / ref["chunks"])
    lat_ratio = hi["retrieval_ms"]["p50"] / lo["retrieval_ms"]["p50"]
    return {
        "chunks_ratio": round(size_ratio, 1),
        "ingest_time_exponent": round(math.log(hi["ingest_s"] / lo["ingest_s"]) / math.log(size_ratio), 3),
        "ingest_per_chunk_ratio": round(per_chunk_ratio, 2),
        "ingest_per_chunk_reference_scale": ref["scale"],
        "retrieval_p50_ratio": round(lat_ratio, 2),
        "retrieval_exponent": round(math.log(lat_ratio) / math.log(size_ratio), 3) if lat_ratio > 0 else None,
    }


# -- targets and tables --------------------------------------------------------------------------


def _fmt(v: Any, digits: int = 3) -> str:
    if v is None:
        return "-"
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, float):
        return f"{v:.{digits}f}" if abs(v) < 1000 else f"{v:,.0f}"
    return str(v)


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
    for key in (
        "answer_correctness",
        "citation_precision",
        "citation_recall",
        "refusal_accuracy",
        "hit_at_k",
        "mrr",
        "pass_rate",
    ):
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
    add("retrieval p50", "<= 25 ms", f"{_fmt(r50, 1)} ms", r50 is not None and r50 <= 25)
    t50 = o["ttft_s"]["p50"]
    add("time to first token p50", "<= 2 s", f"{_fmt(t50, 2)} s", t50 is not None and t50 <= 2, model_note)
    a50 = o["total_s"]["p50"]
    add("full answer p50", "<= 6 s", f"{_fmt(a50, 2)} s", a50 is not None and a50 <= 6, model_note)
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
        f"first {first:.2f} s, warm p50 {_fmt(warm, 2)} s, startup {load_s:.1f} s",
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
        f"{_fmt(oc)} vs {_fmt(nc)}",
        None if oc is None or nc is None else oc >= nc,
        f"{o['questions']} golden cases",
    )
    op, np_ = o["quality"]["citation_precision"], n["quality"]["citation_precision"]
    add(
        "citation precision clearly better than naive",
        "ours >= naive + 0.20",
        f"{_fmt(op)} vs {_fmt(np_)}",
        None if op is None or np_ is None else op >= np_ + 0.2,
    )
    return out


def render_tables(res: dict[str, Any], markdown: bool = False) -> str:
    """The comparison table, the targets and the scaling table, as text or Markdown."""
    lines: list[str] = []
    comp = comparison_rows(res)
    if markdown:
        lines += ["| metric | ours | naive | ours/naive |", "|---|---:|---:|---:|"]
        lines += [f"| {m} | {_fmt(a)} | {_fmt(b)} | {_fmt(r)} |" for m, a, b, r in comp]
    else:
        w = max(len(m) for m, *_ in comp) + 2
        lines.append(f"{'metric':<{w}}{'ours':>12}{'naive':>12}{'ours/naive':>12}")
        lines.append("-" * (w + 36))
        lines += [f"{m:<{w}}{_fmt(a):>12}{_fmt(b):>12}{_fmt(r):>12}" for m, a, b, r in comp]
    rss_line = (
        f"serving process RSS (ours, both models loaded): peak {res['ours']['rss_mb']['peak_mb']:.0f} MB, "
        f"current {res['ours']['rss_mb'].get('current_mb', 0):.0f} MB; after the naive run too: peak "
        f"{res['naive']['rss_mb']['peak_mb']:.0f} MB"
    )
    st = res["startup"]
    fs = st.get("question_embedding_warmup_ms") or {}
    startup_line = (
        f"startup (both models in parallel + first ingest): {st['load_s']:.1f} s; first question after start: "
        f"{st['first_question']['total_s']:.2f} s (time to first token {st['first_question'].get('ttft_s', 0):.2f} s)"
    )
    warm_line = (
        f"warm-up pass before the timed retrievals (question embedding only): p50 {_fmt(fs.get('p50'), 1)} ms, "
        f"p95 {_fmt(fs.get('p95'), 1)} ms, max {_fmt(fs.get('max'), 1)} ms"
    )
    lines += ["", rss_line, startup_line, warm_line, ""]
    if markdown:
        lines[-4:-1] = [f"- {x}" for x in lines[-4:-1]]
    targets = res["targets"]
    verdict = {True: "MET", False: "GAP", None: "n/a"}
    if markdown:
        lines += ["| target | goal | measured | status |", "|---|---|---|---|"]
        for t in targets:
            note = f" ({t['note']})" if t["note"] else ""
            lines.append(f"| {t['target']} | {t['goal']} | {t['measured']}{note} | {verdict[t['met']]} |")
    else:
        lines.append("targets (DESIGN.md section 6):")
        for t in targets:
            note = f"  [{t['note']}]" if t["note"] else ""
            lines.append(f"  {verdict[t['met']]:<4} {t['target']}: {t['goal']}; measured {t['measured']}{note}")
    points = res.get("scaling", {}).get("points") or []
    if points:
        lines.append("")
        head = [
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
        table = [
            [
                f"{p['scale']}x",
                p["documents"],
                f"{p['bytes'] / 1e6:.2f}",
                p["chunks"],
                _fmt(p["ingest_s"], 2),
                _fmt(p["embed_s"], 2),
                _fmt(p["chunks_per_s"], 1),
                _fmt(p["kb_per_s"], 1),
                _fmt(p["index_load_s"], 2),
                _fmt(p["index_mb"], 1),
                _fmt(p["retrieval_ms"]["p50"], 1),
                _fmt(p["retrieval_ms"]["p95"], 1),
            ]
            for p in points
        ]
        if markdown:
            lines += ["| " + " | ".join(head) + " |", "|" + "---:|" * len(head)]
            lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in table]
        else:
            lines.append("scaling (our ingest and retrieval, no LLM):")
            widths = [max(len(str(r[i])) for r in [head, *table]) + 2 for i in range(len(head))]
            lines.append("".join(h.rjust(w) for h, w in zip(head, widths, strict=True)))
            lines += ["".join(str(c).rjust(w) for c, w in zip(row, widths, strict=True)) for row in table]
    return "\n".join(lines)


def machine_line(res: dict[str, Any]) -> str:
    m = res["meta"]["machine"]
    load = res["meta"]["load_average"]
    return (
        f"{m.get('cpu')}, {m.get('cpus_usable')} usable cores, {m.get('memory_gb')} GB RAM, {m.get('platform')}, "
        f"Python {m.get('python')}; load average {load['start'][0]:.2f} at start, {load['end'][0]:.2f} at end"
    )


def readme_section(res: dict[str, Any]) -> str:
    meta = res["meta"]
    return "\n".join(
        [
            README_START,
            f"Measured {meta['finished'][:16].replace('T', ' ')} UTC with `{meta['command']}` "
            f"({meta['duration_s'] / 60:.1f} min).",
            "",
            f"- machine: {machine_line(res)}",
            f"- chat model: `{meta['llm']}`, {meta['threads']} threads; embeddings: `{meta['embeddings']}`",
            f"- golden cases: {len(res['cases'])} of {res['suite_cases']} ({', '.join(res['cases'])})",
            "",
            render_tables(res, markdown=True),
            README_END,
        ]
    )


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


# -- the run -------------------------------------------------------------------------------------


def run_benchmark(
    settings: Settings,
    cases: int = DEFAULT_CASES,
    scales: Sequence[int] = DEFAULT_SCALES,
    out: Path = DEFAULT_OUT,
    suite_path: Path | None = None,
    log: Log = _stderr,
    command: str | None = None,
) -> dict[str, Any]:
    """Run everything, print the tables, write ``out`` and ``report.html`` beside it; return the results."""
    from bench import naive
    from bench.plot import write_report
    from ingest.pipeline import ingest
    from rag.chain import Pipeline
    from rag.eval import corpus_texts, load_suite

    started_at = datetime.now(UTC)
    t_run = time.perf_counter()
    load_start = os.getloadavg()
    suite = load_suite(settings.resolve(suite_path or SUITE))
    chosen = select_cases(suite.cases, cases)
    all_questions = list(dict.fromkeys(c.question for c in suite.cases))
    spec = settings.llm
    res: dict[str, Any] = {
        "meta": {
            "started": started_at.isoformat(timespec="seconds"),
            "command": command or f"rag bench --llm {spec} --cases {cases} --scales {','.join(map(str, scales))}",
            "llm": spec,
            "embeddings": settings.embeddings,
            "threads": settings.threads,
            "settings": {
                k: settings.model_dump()[k]
                for k in (
                    "top_k",
                    "candidates",
                    "gate_threshold",
                    "context_tokens",
                    "max_tokens",
                    "temperature",
                    "n_ctx",
                )
            },
            "machine": machine(),
        },
        "suite_cases": len(suite.cases),
        "cases": [c.id for c in chosen],
    }
    log(f"[bench] {len(chosen)} golden cases, scales {list(scales) or 'none'}, model {spec}")
    log(f"[bench] machine: {res['meta']['machine'].get('cpu')}, load average {load_start[0]:.2f}")

    with tempfile.TemporaryDirectory(prefix="rag-bench-") as tmp_name:
        tmp = Path(tmp_name)
        ours_settings = settings.model_copy(update={"data_dir": tmp / "ours", "chroma_url": None})

        # 1. start, as `rag serve` does on a fresh checkout: models in parallel, then the corpus.
        log("[bench] starting: loading both models in parallel, ingesting the corpus ...")
        t0 = time.perf_counter()
        pipeline = Pipeline.load(ours_settings, llm_spec=spec)
        load_s = time.perf_counter() - t0
        meter = attach_meter(pipeline.llm)
        first = pipeline.answer(FIRST_QUESTION)
        res["startup"] = {
            "load_s": round(load_s, 3),
            "rss_mb_after_load": rss(),
            "first_question": {
                "question": FIRST_QUESTION,
                **{k: round(v, 3) for k, v in first.timings.items()},
                "refused": first.refused,
            },
        }
        log(f"[bench] ready in {load_s:.1f} s; first question answered in {first.timings['total_s']:.2f} s")
        emb = pipeline.embeddings
        metered = MeteredEmbeddings(emb)
        # One untimed-for-the-comparison pass embeds every question once, so that neither pipeline's
        # timed retrievals include the embedding model's first-call costs; reported on its own.
        warmup = retrieval_latencies(emb.embed_query, emb, all_questions)
        res["startup"]["question_embedding_warmup_ms"] = stats(warmup, 1000, 2)
        clear_query_cache(emb)
        log(
            f"[bench] warm-up pass, question embedding: p50 {res['startup']['question_embedding_warmup_ms']['p50']} "
            f"ms, p95 {res['startup']['question_embedding_warmup_ms']['p95']} ms (not in the comparison)"
        )

        # 2. ours
        log("[bench] ours: ingest cold, then again on the unchanged corpus ...")
        cold = ingest(ours_settings, metered, reset=True, progress=False)
        cold_calls = metered.calls
        metered.reset()
        rerun = ingest(ours_settings, metered, progress=False)
        pipeline.reload_index()
        documents = corpus_texts(ours_settings.project_root, pipeline.index.manifest.documents)
        ours_ingest = {
            "cold": {
                **cold.as_dict(),
                "embedding_calls": cold_calls,
                "chunks_per_s": round(cold.chunks_total / cold.seconds, 1),
            },
            "rerun": {**rerun.as_dict(), "embedding_calls": metered.calls, "embedded_texts": metered.texts},
        }
        for key in ("added", "updated", "unchanged", "removed", "skipped"):
            for part in ours_ingest.values():
                part[key] = len(part[key])

        def measure(name: str, answerer: Any, ingest_figures: dict[str, Any]) -> dict[str, Any]:
            """Retrieval latency, then the golden cases answered and summarised, for one pipeline."""
            log(f"[bench] {name}: retrieval latency over {len(all_questions)} distinct questions ...")
            retrieval = retrieval_latencies(answerer.retrieve, emb, all_questions)
            log(f"[bench] {name}: answering {len(chosen)} golden cases ...")
            clear_query_cache(emb)
            answered = answer_cases(name, answerer, chosen, meter, documents, log)
            return {
                "ingest": ingest_figures,
                **latency_summary(answered, retrieval),
                "rss_mb": rss(),
                "cases": answered.rows,
            }

        res["ours"] = measure("ours", pipeline, ours_ingest)

        # 3. naive
        log("[bench] naive: ingest, then the tutorial's re-run (no change detection) ...")
        metered.reset()
        collection, n_cold = naive.ingest(ours_settings, metered, tmp / "naive")
        n_cold_calls = metered.calls
        metered.reset()
        collection, n_rerun = naive.ingest(ours_settings, metered, tmp / "naive")
        naive_ingest = {
            "cold": {
                **n_cold.as_dict(),
                "embedding_calls": n_cold_calls,
                "chunks_per_s": round(n_cold.chunks / n_cold.seconds, 1),
            },
            "rerun": {**n_rerun.as_dict(), "embedding_calls": metered.calls, "embedded_texts": metered.texts},
        }
        baseline = naive.NaivePipeline(collection, emb, pipeline.llm, spec)
        baseline.answer(FIRST_QUESTION)  # its first call warms its own prompt prefix; not counted
        res["naive"] = measure("naive", baseline, naive_ingest)
        del baseline, collection

        # 4. scaling
        if scales:
            log(f"[bench] scaling: our ingest and retrieval at {', '.join(f'{s}x' for s in scales)} ...")
            res["scaling"] = run_scaling(ours_settings, emb, list(scales), all_questions, tmp, log)
        else:
            res["scaling"] = {}
        del pipeline

    res["meta"]["finished"] = datetime.now(UTC).isoformat(timespec="seconds")
    res["meta"]["duration_s"] = round(time.perf_counter() - t_run, 1)
    res["meta"]["load_average"] = {"start": list(load_start), "end": list(os.getloadavg())}
    res["ratios"] = {m: r for m, _, _, r in comparison_rows(res) if r is not None}
    res["targets"] = evaluate_targets(res)

    print(render_tables(res))
    print(f"\nmachine: {machine_line(res)}")
    print("(load average above the core count means other work shared the CPU; timings are then inflated)")
    out = settings.resolve(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(res, indent=1, ensure_ascii=False), encoding="utf-8")
    report = out.with_name("report.html")
    write_report(res, report)
    print(f"\nwrote {out} and {report}")
    if out.resolve() == settings.resolve(DEFAULT_OUT).resolve() and update_readme(res):
        print(f"updated the figures in {README}")
    return res


def main(argv: list[str] | None = None) -> int:
    """``python -m bench.run``: the same as ``rag bench``."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.split("\n\n")[0])
    parser.add_argument("--llm", help="model spec, e.g. local:qwen2.5-1.5b (default: the configured one)")
    parser.add_argument("--cases", type=int, default=DEFAULT_CASES, help="golden cases per pipeline; 0 = all")
    parser.add_argument("--scales", default=",".join(map(str, DEFAULT_SCALES)), help="e.g. 1,10,100 (1000 opt-in)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="results JSON; report.html goes beside it")
    args = parser.parse_args(argv)
    from rag.config import load_settings

    settings = load_settings(llm=args.llm)
    run_benchmark(
        settings,
        cases=args.cases,
        scales=parse_scales(args.scales),
        out=args.out,
        command="python -m bench.run " + " ".join(argv if argv is not None else sys.argv[1:]),
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
