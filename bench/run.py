"""The benchmark (DESIGN.md section 6): our pipeline against the naive LangChain-tutorial pipeline,
in one process, on the same machine, chat model, embedding model and corpus.

Run it with ``rag bench`` (or ``python -m bench.run``) from the project root. The phases
(``bench.phases``, ``bench.scaling``) run in this order:

1. start: ``Pipeline.load`` on an empty temporary index (both models load in parallel while the
   corpus is ingested), then the first question after start;
2. ours: cold ingest (after the models are loaded) and a re-run on the unchanged corpus (embedding
   calls are counted), retrieval latency over every distinct golden question, then the golden
   subset answered and scored by ``rag.eval``'s case runner; peak and current RSS of this process
   (it is the serving process: both models, the index and the llama.cpp server live in it);
3. naive: the same for ``bench.naive`` (no change detection: a re-run re-embeds everything);
4. scaling: our ingest and retrieval (no LLM) at N× the corpus size, with real prose from the
   documentation installed on this machine (``bench.corpus``);
5. pdf (``bench.pdf``): ingest throughput in pages/s for a real PDF manual from Debian, extraction
   at 1, 4 and 16 copies, and an unchanged re-ingest;
6. concurrency (``bench.concurrency``): the real server (web chat + ``/v1``) over our index, with
   1, 2, 4 model slots, and 1, 2, 4, 8 simultaneous users: answers/s and p50/p95 latency at the client;
7. ``bench.tables``: ours/naive ratios and the section 6 targets beside the measured values,
   printed; ``results.json``, ``report.html`` (``bench.report``) and, for the default output path,
   the figures section of ``bench/README.md``.

Nothing touches the project's own index: every index lives in a temporary directory.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench import phases
from bench.concurrency import run_concurrency
from bench.measure import Log, MeteredEmbeddings, machine, stderr_log
from bench.pdf import pdf_text, run_pdf
from bench.report import write_report
from bench.scaling import run_scaling
from bench.tables import README, comparison_rows, evaluate_targets, machine_line, render_text, update_readme
from rag.config import Settings
from rag.errors import InputError

DEFAULT_CASES = 24
DEFAULT_SCALES = (1, 10, 100)
DEFAULT_OUT = Path("bench/results.json")
SUITE = Path("evals/golden.yaml")
SETTINGS_RECORDED = (
    "top_k", "candidates", "rank_by_window", "gate_threshold", "context_tokens", "max_tokens", "temperature", "n_ctx"
)


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


def parse_scales(text: str, flag: str = "--scales") -> list[int]:
    """``"1,10,100"`` → ``[1, 10, 100]``; empty or ``none`` → none (that phase is skipped). ``flag`` names
    the option in error messages (the same parser reads ``--users`` and ``--slots``)."""
    text = text.strip().lower()
    if text in ("", "none", "0"):
        return []
    try:
        scales = sorted({int(x) for x in text.replace(" ", "").split(",") if x})
    except ValueError:
        raise InputError(f"{flag} {text!r} must be comma-separated whole numbers, e.g. 1,10,100") from None
    if any(s < 1 for s in scales):
        raise InputError(f"{flag} must be positive whole numbers")
    return scales


# -- the run -------------------------------------------------------------------------------------


def run_benchmark(
    settings: Settings,
    cases: int = DEFAULT_CASES,
    scales: Sequence[int] = DEFAULT_SCALES,
    out: Path = DEFAULT_OUT,
    suite_path: Path | None = None,
    log: Log = stderr_log,
    command: str | None = None,
    pdf: bool = True,
    users: Sequence[int] = (1, 2, 4, 8),
    slots: Sequence[int] = (1, 2, 4),
) -> dict[str, Any]:
    """Run every phase, print the tables, write ``out`` and ``report.html`` beside it; return the results.
    ``pdf=False`` leaves out the PDF phase (minutes of real embedding); empty ``users`` the concurrency
    curve (minutes of answering)."""
    from bench.naive import NaivePipeline
    from rag.eval import Scorer, documents_of, load_suite

    started_at = datetime.now(UTC)
    t_run = time.perf_counter()
    load_start = os.getloadavg()
    suite = load_suite(settings.resolve(suite_path or SUITE))
    chosen = select_cases(suite.cases, cases)
    spec = settings.llm
    res: dict[str, Any] = {
        "meta": {
            "started": started_at.isoformat(timespec="seconds"),
            "command": command or f"rag bench --llm {spec} --cases {cases} --scales {','.join(map(str, scales))}",
            "llm": spec,
            "embeddings": settings.embeddings,
            "threads": settings.threads,
            "settings": {k: settings.model_dump()[k] for k in SETTINGS_RECORDED},
            "machine": machine(),
        },
        "suite_cases": len(suite.cases),
        "cases": [c.id for c in chosen],
    }
    log(f"[bench] {len(chosen)} golden cases, scales {list(scales) or 'none'}, model {spec}")
    log(f"[bench] machine: {res['meta']['machine'].get('cpu')}, load average {load_start[0]:.2f}")

    with tempfile.TemporaryDirectory(prefix="rag-bench-") as tmp_name:
        tmp = Path(tmp_name)
        run = phases.Run(
            settings=settings.model_copy(update={"data_dir": tmp / "ours", "chroma_url": None}),
            spec=spec,
            cases=chosen,
            questions=list(dict.fromkeys(c.question for c in suite.cases)),
            workdir=tmp,
            log=log,
        )
        pipeline, meter, res["startup"] = phases.start(run)
        emb = pipeline.embeddings
        metered = MeteredEmbeddings(emb)
        ours_ingest = phases.ingest_ours(run, pipeline, metered)
        scorer = Scorer(documents_of(pipeline), k=4, min_precision=suite.case_citation_precision)
        res["ours"] = {"ingest": ours_ingest, **phases.questions(run, "ours", pipeline, emb, meter, scorer)}

        collection, naive_ingest = phases.ingest_naive(run, metered)
        baseline = NaivePipeline(collection, emb, pipeline.llm, spec)
        baseline.answer(phases.FIRST_QUESTION)  # its first call warms its own prompt prefix; not counted
        res["naive"] = {"ingest": naive_ingest, **phases.questions(run, "naive", baseline, emb, meter, scorer)}
        del baseline, collection

        res["scaling"] = {}
        if scales:
            log(f"[bench] scaling: our ingest and retrieval at {', '.join(f'{s}x' for s in scales)} ...")
            res["scaling"] = run_scaling(run.settings, emb, list(scales), run.questions, tmp, log)
        if pdf:
            log("[bench] pdf: ingest throughput of a real PDF manual ...")
            res["pdf"] = run_pdf(run.settings, emb, tmp, log)
        del pipeline
        if users:
            log(f"[bench] concurrency: {list(users)} users x {list(slots)} model slots over the served index ...")
            res["concurrency"] = run_concurrency(run.settings, emb, users, slots, log=log)

    res["meta"]["finished"] = datetime.now(UTC).isoformat(timespec="seconds")
    res["meta"]["duration_s"] = round(time.perf_counter() - t_run, 1)
    res["meta"]["load_average"] = {"start": list(load_start), "end": list(os.getloadavg())}
    res["ratios"] = {m: r for m, _, _, r in comparison_rows(res) if r is not None}
    res["targets"] = evaluate_targets(res)

    print(render_text(res))
    print(pdf_text(res.get("pdf")))
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
