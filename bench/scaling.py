"""The scaling phase: our ingest and retrieval (no LLM) at N× the corpus size, with real prose from
documentation installed on this machine (``bench.corpus``), and how cost grows with size."""

from __future__ import annotations

import math
import shutil
import time
from pathlib import Path
from typing import Any

from langchain_core.embeddings import Embeddings

from bench.measure import Log, MeteredEmbeddings, dir_bytes, retrieval_latencies
from rag.config import Settings
from rag.scoring import stats


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
    from rag.retrieve import Retriever
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
        retriever = Retriever.configured(index, embeddings, s)  # retrieval only: no chat model
        lat = retrieval_latencies(retriever.retrieve, embeddings, questions)
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
        del retriever, index
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
