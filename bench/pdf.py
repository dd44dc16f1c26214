"""The PDF phase of ``rag bench``: ingest throughput in pages per second for a real multi-page PDF manual
from Debian (gnuplot-doc's 311-page manual, else bash-doc's 196-page Bash manual), and how it scales.

Two measurements, both on this machine with the real embedding model:

* extraction (text, paragraphs, outline sections; no OCR needed) of 1, 4 and 16 copies of the PDF:
  pages/s at each size, so a reader sees whether parsing stays linear;
* a full ``rag ingest`` of the PDF (extract, chunk, embed, store, commit): pages/s end to end, where
  the time goes, and a re-run on the unchanged file (hashing only: no parsing, no embedding).
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path
from typing import Any

from langchain_core.embeddings import Embeddings

from bench.measure import Log, MeteredEmbeddings
from rag.config import Settings

CANDIDATES = (
    Path("/usr/share/doc/gnuplot/gnuplot.pdf"),  # gnuplot-doc: 311 pages
    Path("/usr/share/doc/bash/bashref.pdf"),  # bash-doc: 196 pages
)
EXTRACT_COPIES = (1, 4, 16)


def find_pdf() -> Path | None:
    return next((p for p in CANDIDATES if p.is_file()), None)


def run_pdf(settings: Settings, embeddings: Embeddings, workdir: Path, log: Log, pdf: Path | None = None) -> dict:
    """Measure PDF ingest throughput; ``{"skipped": reason}`` when no Debian PDF manual is installed."""
    from ingest.loaders import extract, read_document_bytes
    from ingest.pipeline import ingest

    pdf = pdf or find_pdf()
    if pdf is None:
        reason = "no PDF manual installed: apt-get install gnuplot-doc (scripts/setup.sh --dev does it)"
        log(f"  pdf: skipped, {reason}")
        return {"skipped": reason}
    data = read_document_bytes(pdf)
    pages = len(extract(data, pdf).pages)  # also warms the parser
    out: dict[str, Any] = {"file": str(pdf), "pages": pages, "bytes": len(data), "extract": []}
    for copies in EXTRACT_COPIES:
        started = time.perf_counter()
        for _ in range(copies):
            extract(data, pdf)
        seconds = time.perf_counter() - started
        out["extract"].append(
            {
                "copies": copies,
                "pages": pages * copies,
                "seconds": round(seconds, 3),
                "pages_per_s": round(pages * copies / seconds, 1),
            }
        )
        log(f"  pdf: extracted {copies} x {pages} pages in {seconds:.2f} s ({pages * copies / seconds:.0f} pages/s)")

    root = workdir / "pdf"
    (root / "corpus").mkdir(parents=True, exist_ok=True)
    shutil.copyfile(pdf, root / "corpus" / pdf.name)
    s = settings.model_copy(update={"data_dir": root / "data", "corpus_dir": root / "corpus", "chroma_url": None})
    metered = MeteredEmbeddings(embeddings)
    log(f"  pdf: ingesting {pdf.name} ({pages} pages) with the real embedding model ...")
    started = time.perf_counter()
    report = ingest(s, metered, progress=False)
    seconds = time.perf_counter() - started
    (parsed,) = report.parsed
    out["ingest"] = {
        "seconds": round(seconds, 2),
        "pages_per_s": round(pages / seconds, 2),
        "chunks": report.chunks_embedded,
        "chunks_per_s": round(report.chunks_embedded / seconds, 1),
        "extract_s": parsed["seconds"],
        "embed_s": round(metered.seconds, 2),
        "embed_calls": metered.calls,
    }
    metered.reset()
    started = time.perf_counter()
    again = ingest(s, metered, progress=False)
    out["reingest_unchanged"] = {
        "seconds": round(time.perf_counter() - started, 2),
        "parsed": len(again.parsed),
        "chunks_embedded": again.chunks_embedded,
        "embed_calls": metered.calls,
    }
    log(
        f"  pdf: ingest {seconds:.1f} s = {pages / seconds:.2f} pages/s ({report.chunks_embedded} chunks); "
        f"unchanged re-run {out['reingest_unchanged']['seconds']} s, {len(again.parsed)} parsed"
    )
    shutil.rmtree(root, ignore_errors=True)
    return out


def pdf_text(res: dict[str, Any] | None) -> str:
    """The PDF phase as lines for the terminal summary."""
    if not res:
        return ""
    if "skipped" in res:
        return f"PDF ingest: skipped ({res['skipped']})"
    name = Path(res["file"]).name
    lines = [f"PDF ingest: {name}, {res['pages']} pages, {res['bytes'] / 1e6:.1f} MB"]
    lines += [
        f"  extract {e['copies']:>2} x: {e['pages_per_s']:,.0f} pages/s ({e['seconds']} s)" for e in res["extract"]
    ]
    ing = res.get("ingest")
    if ing:
        lines.append(
            f"  full ingest: {ing['pages_per_s']} pages/s ({ing['seconds']} s; extract {ing['extract_s']} s, "
            f"embed {ing['embed_s']} s, "
            f"{ing['chunks']} chunks embedded at {ing['chunks_per_s']}/s)"
        )
        re = res["reingest_unchanged"]
        lines.append(
            f"  unchanged re-ingest: {re['seconds']} s, {re['parsed']} files parsed, {re['chunks_embedded']} embedded"
        )
    return "\n".join(lines)
