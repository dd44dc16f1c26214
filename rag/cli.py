"""The ``rag`` command: ingest, ask, chat, serve, models."""

from __future__ import annotations

import json
import os
import sys
import threading
from pathlib import Path
from typing import Annotated, Any

import typer

from rag.config import Settings, load_settings, use_offline_env
from rag.console import print_sources
from rag.errors import IndexError_, InputError, RagError
from rag.types import Answer

use_offline_env(os.environ)

app = typer.Typer(
    help="Ask questions about your documents; answers cite the exact passages.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

ConfigOpt = Annotated[Path | None, typer.Option("--config", help="a rag.toml file (default ./rag.toml)")]
EmbOpt = Annotated[
    str | None, typer.Option("--embeddings", help="embedding spec, e.g. sentence-transformers:/path/to/model")
]
LlmOpt = Annotated[str | None, typer.Option("--llm", help="model spec provider:model, e.g. local:qwen2.5-0.5b")]


def _settings(config: Path | None, **overrides: Any) -> Settings:
    return load_settings(config_file=config, **overrides)


def _warn(line: str) -> None:
    typer.secho(f"warning: {line}", fg=typer.colors.YELLOW, err=True)


def _fail(exc: Exception) -> None:
    typer.secho(f"error: {exc}", fg=typer.colors.RED, err=True)
    raise typer.Exit(2 if isinstance(exc, InputError) else 1)


@app.command("ingest")
def ingest_cmd(
    paths: Annotated[list[Path] | None, typer.Argument(help="files or folders (default: the corpus folder)")] = None,
    reset: Annotated[bool, typer.Option("--reset", help="drop the index and rebuild it")] = False,
    json_out: Annotated[bool, typer.Option("--json", help="print the summary as JSON")] = False,
    embeddings: EmbOpt = None,
    config: ConfigOpt = None,
) -> None:
    """Chunk, embed and store documents; unchanged files are skipped, removed ones deleted."""
    try:
        settings = _settings(config, embeddings=embeddings)
        from ingest.pipeline import ingest
        from rag.embeddings import make_embeddings

        report = ingest(settings, make_embeddings(settings), paths, reset=reset, progress=not json_out)
    except (RagError, FileNotFoundError) as exc:
        _fail(exc)
        return
    if json_out:
        typer.echo(json.dumps(report.as_dict(), indent=2))
    else:
        for s in report.skipped:
            typer.secho(f"skipped {s.path}: {s.reason}", fg=typer.colors.YELLOW, err=True)
        for p in report.parsed:
            if p["pages"]:
                ocr = f", {p['ocr_pages']} by OCR" if p["ocr_pages"] else ""
                typer.echo(f"read {p['source']}: {p['pages']} pages{ocr} in {p['seconds']:.2f} s")
        pages = report.pages_parsed
        rate = f"; {pages} pages, {pages / report.seconds:.1f} pages/s" if pages else ""
        typer.echo(
            f"documents: {len(report.added)} added, {len(report.updated)} updated, "
            f"{len(report.unchanged)} unchanged, {len(report.removed)} removed, {len(report.skipped)} skipped\n"
            f"chunks: {report.chunks_embedded} embedded, {report.chunks_deleted} deleted, "
            f"{report.chunks_total} in the index ({report.seconds:.2f} s{rate})"
        )
    if report.chunks_total == 0:
        from ingest.loaders import describe_supported

        _warn(
            f"the index is empty: no document with text ({describe_supported()}) was found. Add documents to "
            f"{paths[0] if paths else settings.corpus_dir} and run: rag ingest"
        )


def _read_history(path: Path | None) -> list[dict]:
    if path is None:
        return []
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise InputError(f"cannot read history file {path}: {exc}") from None
    if not isinstance(data, list):
        raise InputError(f"history file {path} must hold a JSON list of {{role, content}} messages")
    return data


@app.command()
def ask(
    question: Annotated[str, typer.Argument(help="the question")],
    history: Annotated[Path | None, typer.Option(help="JSON file of prior messages (OpenAI format)")] = None,
    json_out: Annotated[bool, typer.Option("--json", help="print the answer as JSON")] = False,
    llm: LlmOpt = None,
    embeddings: EmbOpt = None,
    config: ConfigOpt = None,
) -> None:
    """Answer one question with inline \\[n] citations."""
    from ingest.loaders import describe_supported
    from ingest.pipeline import prepare_index
    from rag.chain import Pipeline, Token, clean_question

    try:
        settings = _settings(config, llm=llm, embeddings=embeddings)
        clean_question(question, settings.max_question_chars)  # fail fast, before loading any model
        turns = _read_history(history)
        pipeline = Pipeline.load(settings, prepare=prepare_index(settings, always=False, notify=_warn))
        if not pipeline.index.chunks:
            raise IndexError_(
                f"the index holds no documents. Add documents ({describe_supported()}) to {settings.corpus_dir} "
                "and run: rag ingest"
            )
        final: Answer | None = None
        for event in pipeline.stream(question, turns):
            if isinstance(event, Token):
                if not json_out:
                    typer.secho(event.text, nl=False, dim=True, err=True)
            else:
                final = event
    except RagError as exc:
        _fail(exc)
        return
    assert final is not None
    if json_out:
        typer.echo(json.dumps(final.to_json(), ensure_ascii=False, indent=2))
        return
    typer.echo("", err=True)
    typer.echo(final.answer)
    print_sources(final)


@app.command()
def chat(llm: LlmOpt = None, embeddings: EmbOpt = None, config: ConfigOpt = None) -> None:
    """A terminal chat that streams answers and keeps the conversation for follow-ups."""
    from ingest.pipeline import prepare_index
    from rag.chain import Pipeline, Token

    try:
        settings = _settings(config, llm=llm, embeddings=embeddings)
        typer.echo(f"loading {settings.llm} ...", err=True)
        pipeline = Pipeline.load(settings, prepare=prepare_index(settings, notify=_warn))
    except RagError as exc:
        _fail(exc)
        return
    threading.Thread(target=pipeline.warm_up, name="rag-warm-up", daemon=True).start()  # while the user types
    docs = len(pipeline.index.manifest.documents)
    typer.echo(f"Ask about the {docs} document(s) in {settings.corpus_dir}. Empty line or Ctrl-D to quit.")
    history: list[dict[str, str]] = []
    while True:
        try:
            question = input("\n> ")
        except (EOFError, KeyboardInterrupt):
            break
        if not question.strip():
            break
        try:
            final = None
            for event in pipeline.stream(question, history):
                if isinstance(event, Token):
                    typer.echo(event.text, nl=False)
                    sys.stdout.flush()
                else:
                    final = event
        except RagError as exc:
            typer.secho(f"\nerror: {exc}", fg=typer.colors.RED, err=True)
            continue
        assert final is not None
        typer.echo("")
        if final.draft and final.answer != final.draft:
            typer.secho("checked against the sources:", fg=typer.colors.YELLOW)
            typer.echo(final.answer)
        print_sources(final)
        history += [{"role": "user", "content": question}, {"role": "assistant", "content": final.plain_text}]


def _eval_retrieval(settings: Settings, suite: Any, k: int, report: Path | None) -> None:
    """``rag eval --retrieval-only``: where the cited passages land in the context, no chat model."""
    from ingest.pipeline import prepare_index
    from rag import eval as ev
    from rag.embeddings import make_embeddings
    from rag.retrieve import Retriever
    from rag.store import Index

    embedder = make_embeddings(settings)
    prepare_index(settings)(embedder)
    index = Index.load(settings)
    retriever, documents = Retriever.configured(index, embedder, settings), ev.index_documents(index)
    lines = [ev.retrieval_line(retriever, c, documents, k) for c in suite.cases if c.cite and not c.refuse]
    for line in lines:
        if line["missed"]:
            typer.echo(f"{line['id']}: not in the context: {'; '.join(x[:70] for x in line['missed'])}")
    typer.echo(json.dumps(ev.retrieval_summary(lines), indent=2))
    if report is not None:
        ev.write_jsonl(report / "retrieval.jsonl", lines)


@app.command("eval")
def eval_cmd(
    suite_file: Annotated[Path, typer.Argument(metavar="SUITE.yaml", help="the evaluation suite")],
    llm: Annotated[list[str] | None, typer.Option("--llm", help="model spec; repeat to compare backends")] = None,
    report: Annotated[Path | None, typer.Option(help="write results.jsonl, summary.json, report.html here")] = None,
    baseline: Annotated[Path | None, typer.Option(help="a previous summary.json; fail on regressions")] = None,
    tolerance: Annotated[float, typer.Option(help="allowed drop of a metric against the baseline")] = 0.02,
    threshold: Annotated[list[str] | None, typer.Option(help="metric=value, e.g. pass_rate=0.8 (repeatable)")] = None,
    k: Annotated[int, typer.Option("--k", help="k for retrieval hit@k")] = 4,
    tag: Annotated[list[str] | None, typer.Option(help="only cases with this tag, e.g. test (repeatable)")] = None,
    retrieval_only: Annotated[bool, typer.Option(help="score retrieval alone, no chat model (seconds)")] = False,
    drafts: Annotated[Path | None, typer.Option(help="re-check a results.jsonl's drafts, not generate")] = None,
    server: Annotated[
        str | None, typer.Option(help="evaluate a running rag serve at this URL through its /v1 API instead")
    ] = None,
    api_key: Annotated[
        str | None, typer.Option(help="the server's API key (RAG_API_KEYS there)", envvar="RAG_EVAL_API_KEY")
    ] = None,
    embeddings: EmbOpt = None,
    config: ConfigOpt = None,
) -> None:
    """Run a Q&A suite against one or more backends, or a running server; exit 0 pass, 1 fail, 2 bad input."""
    from ingest.pipeline import prepare_index
    from rag import eval as ev
    from rag.chain import Pipeline
    from rag.confidence import paired_change
    from rag.embeddings import make_embeddings
    from rag.replay import load_drafts, replaying
    from rag.report import terminal_table, write_reports
    from rag.scoring import baseline_for

    try:
        settings = _settings(config, embeddings=embeddings)
        suite = ev.load_suite(suite_file).tagged(tag or [])
        if server and (llm or retrieval_only or drafts):
            raise InputError("--server evaluates the server's own model: drop --llm, --retrieval-only, --drafts")
        if drafts and (retrieval_only or len(llm or []) > 1):
            raise InputError("--drafts re-checks one run's drafts: drop --retrieval-only, give at most one --llm")
        recorded = None if drafts is None else load_drafts(drafts, suite)
        if retrieval_only:
            _eval_retrieval(settings, suite, k, report)
            return
        thresholds = {**suite.thresholds, **ev.parse_thresholds(threshold or [])}
        base = None
        if baseline is not None:
            try:
                base = json.loads(baseline.read_text(encoding="utf-8"))
            except (OSError, ValueError) as exc:
                raise InputError(f"cannot read baseline {baseline}: {exc}") from None
            if not isinstance(base, dict) or not ("backends" in base or "case_results" in base):
                raise InputError(f"baseline {baseline} is not a summary.json written by rag eval --report")
        embedder = make_embeddings(settings)
        summaries: dict[str, dict] = {}
        rows: dict[str, list[dict]] = {}

        def run(name: str, answerer: Any, scorer: Any) -> None:
            results = ev.run_cases(answerer, suite.cases, scorer, progress=True)
            answers = [r.answer for r in results]
            sims = ev.semantic_similarities(embedder, suite.cases, answers)
            summaries[name] = {"model": name, **ev.summarize([r.score for r in results], answers, sims)}
            rows[name] = [{**r.line(), "semantic_similarity": sim} for r, sim in zip(results, sims, strict=True)]

        if server:
            from rag.remote import RemoteAnswerer

            remote = RemoteAnswerer(server, api_key, timeout=settings.timeout_s)
            name = remote.describe()
            run(name, remote, ev.Scorer(remote.documents(), k, suite.case_citation_precision, retrieval=False))
        for spec in [] if server else llm or [settings.llm]:
            pipeline = Pipeline.load(settings, embeddings=embedder, llm_spec=spec, prepare=prepare_index(settings))
            if not spec.startswith("fake:"):  # a scripted model has no cache, and a warm-up would use its replies
                pipeline.warm_up()  # timings as a user of `rag serve` or `rag chat` sees them: prompt cache filled
            if recorded is not None:
                pipeline = replaying(pipeline, recorded)
            run(pipeline.model_name, pipeline, ev.Scorer(ev.documents_of(pipeline), k, suite.case_citation_precision))
            del pipeline
    except RagError as exc:
        _fail(exc)
        return
    typer.echo(terminal_table(summaries))
    if report is not None:
        write_reports(report, summaries, rows, f"Evaluation of {suite_file.name}")
        typer.echo(f"\nreports written to {report}/ (results.jsonl, summary.json, report.html)")
    problems = []
    for spec, summary in summaries.items():
        for r in (r for r in rows[spec] if r["status"] == "error"):
            typer.secho(f"error in case {r['id']} ({spec}): {r['error']}", fg=typer.colors.YELLOW, err=True)
        problems += [f"{spec}: {p}" for p in ev.check_thresholds(summary, thresholds)]
        if base is not None:
            part, why = baseline_for(base, spec)
            found = [why] if part is None else ev.compare_to_baseline(summary, part, tolerance)
            problems += [f"{spec}: {p}" for p in found]
            if part is not None:  # how the shared cases moved, and whether that is more than chance
                typer.echo(f"{spec}: {paired_change(part.get('case_results', {}), summary['case_results']).describe()}")
    for p in problems:
        typer.secho(f"FAIL {p}", fg=typer.colors.RED, err=True)
    raise typer.Exit(1 if problems else 0)


@app.command()
def bench(
    llm: LlmOpt = None,
    cases: Annotated[int, typer.Option(help="golden cases per pipeline, spread across tags; 0 = all")] = 24,
    scales: Annotated[str, typer.Option(help="corpus multiples to scale to; 1000 is opt-in (long)")] = "1,10,100",
    users: Annotated[str, typer.Option(help="simultaneous users for the concurrency curve; '' = skip")] = "1,2,4,8",
    slots: Annotated[str, typer.Option(help="model slots (parallel sequences) to compare")] = "1,2,4",
    out: Annotated[Path, typer.Option(help="results JSON; report.html goes beside it")] = Path("bench/results.json"),
    embeddings: EmbOpt = None,
    config: ConfigOpt = None,
) -> None:
    """Benchmark against the naive LangChain-tutorial pipeline: latency, tokens, memory, quality, scaling."""
    try:
        settings = _settings(config, llm=llm, embeddings=embeddings)
        if not (settings.project_root / "evals" / "golden.yaml").is_file():
            raise InputError("rag bench runs from the project root (the folder that holds evals/golden.yaml)")
        from bench.run import parse_scales, run_benchmark

        command = (
            f"rag bench --llm {settings.llm} --cases {cases} --scales {scales} --users '{users}' --slots {slots}"
            + (f" --out {out}" if out != Path("bench/results.json") else "")
        )
        counts = {"users": parse_scales(users, "--users"), "slots": parse_scales(slots, "--slots")}
        scaled = parse_scales(scales, "--scales")
        run_benchmark(settings, cases=cases, scales=scaled, out=out, command=command, **counts)
    except (RagError, ValueError) as exc:
        _fail(exc)


@app.command()
def models(config: ConfigOpt = None) -> None:
    """List the bundled models and the configured backends."""
    from rag.models import describe

    settings = _settings(config)
    typer.echo(f"configured llm: {settings.llm}\nconfigured embeddings: {settings.embeddings}\n")
    for row in describe(settings.model_cache_dir):
        size = f"{row['size'] / 1e6:,.0f} MB" if row["size"] else "-"
        state = "installed" if row["installed"] else f"not installed ({row['install']})"
        verified = {True: "verified", False: "not yet joined", None: "in package"}[row["verified"]]
        typer.echo(f"{row['name']:<22} {size:>9}  {state}, {verified}")


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="address to bind (default 127.0.0.1: this machine only)")] = None,
    port: Annotated[int | None, typer.Option(help="port (default 7860)")] = None,
    llm: LlmOpt = None,
    config: ConfigOpt = None,
) -> None:
    """The web chat at http://HOST:PORT and the OpenAI-compatible API at http://HOST:PORT/v1."""
    from ingest.pipeline import prepare_index
    from rag.chain import Pipeline

    try:
        settings = _settings(config, llm=llm, host=host, port=port)
        if settings.host not in ("127.0.0.1", "localhost", "::1") and not settings.api_keys:
            _warn(f"serving on {settings.host} without RAG_API_KEYS: anyone who can reach it can use /v1")
        typer.echo(f"loading {settings.llm} ...", err=True)
        problems: list[str] = []  # files of the corpus that could not be read: told here and in the page
        pipeline = Pipeline.load(settings, prepare=prepare_index(settings, notify=problems.append))
        for line in problems:
            _warn(line)
        from api.server import create_app, run

        # The prompt cache fills while the server starts and the first user reads the page.
        threading.Thread(target=pipeline.warm_up, name="rag-warm-up", daemon=True).start()
        run(create_app(settings, pipeline, problems), settings, announce=lambda line: typer.echo(line, err=True))
    except RagError as exc:
        _fail(exc)


if __name__ == "__main__":
    app()
