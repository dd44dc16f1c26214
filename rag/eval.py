"""Evaluation suites: load and validate them, and the one case runner behind ``rag eval``, the pytest
entry point (``check_case``) and ``rag bench``.

A suite is YAML (DESIGN.md section 3). ``run_case`` answers one case with anything that has
``.answer(question, history)`` (our ``Pipeline``, the benchmark's naive pipeline) and scores it with
``rag.scoring``; a backend failure becomes an answer with status ``error`` instead of stopping the run.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from rag.errors import InputError, RagError
from rag.retrieve import Retriever
from rag.scoring import (  # noqa: F401 - the public evaluation API, importable from rag.eval
    METRICS,
    CaseScore,
    Scorer,
    check_thresholds,
    compare_to_baseline,
    locate,
    matches,
    overlaps,
    parse_thresholds,
    percentile,
    score_case,
    stats,
    summarize,
)
from rag.types import Answer, Status


class Turn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    role: str = Field(pattern="^(user|assistant)$")
    content: str


class Case(BaseModel):
    """One suite case (DESIGN.md section 3)."""

    model_config = ConfigDict(extra="forbid")
    id: str = Field(min_length=1)
    question: str = Field(min_length=1)
    expect: list[str] = []
    cite: list[str] = []
    refuse: bool = False
    history: list[Turn] = []
    tags: list[str] = []

    @field_validator("expect")
    @classmethod
    def _regexes_compile(cls, items: list[str]) -> list[str]:
        for item in items:
            if len(item) > 1 and item.startswith("/") and item.endswith("/"):
                try:
                    re.compile(item[1:-1])
                except re.error as exc:
                    raise ValueError(f"bad regex {item}: {exc}") from None
        return items

    @model_validator(mode="after")
    def _consistent(self) -> Case:
        if self.refuse and (self.expect or self.cite):
            raise ValueError("a case with refuse: true cannot also have expect or cite")
        if not self.refuse and not self.expect:
            raise ValueError("needs expect (strings or /regex/) or refuse: true")
        return self


class Suite(BaseModel):
    """Cases, the run's thresholds, and the citation precision one case needs to pass (1.0: all right)."""

    model_config = ConfigDict(extra="forbid")
    cases: list[Case]
    thresholds: dict[str, float] = {}
    case_citation_precision: float = Field(1.0, ge=0.0, le=1.0)

    def tagged(self, tags: Iterable[str]) -> Suite:
        """The cases that carry every tag in ``tags`` (e.g. ``["test"]``: the frozen part of a split suite)."""
        wanted = set(tags)
        cases = [c for c in self.cases if wanted <= set(c.tags)]
        if wanted and not cases:
            raise InputError(f"no case carries the tag(s) {', '.join(sorted(wanted))}")
        return self.model_copy(update={"cases": cases})


def load_suite(path: Path) -> Suite:
    """Load and validate a suite; errors name the case and the field."""
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError, yaml.YAMLError) as exc:  # ValueError: not UTF-8, bad dates
        raise InputError(f"cannot read suite {path}: {exc}. A suite is a UTF-8 YAML file (see the README)") from None
    data = {"cases": raw} if isinstance(raw, list) else raw
    if not isinstance(data, dict) or not isinstance(data.get("cases"), list):
        raise InputError(f"{path}: expected a list of cases, or a mapping with 'cases' (and 'thresholds')")
    try:
        suite = Suite.model_validate(data)
    except ValidationError as exc:
        lines = []
        for err in exc.errors():
            loc = list(err["loc"])
            where = "suite"
            if len(loc) >= 2 and loc[0] == "cases":
                case = data["cases"][loc[1]]
                cid = case.get("id", f"#{loc[1] + 1}") if isinstance(case, dict) else f"#{loc[1] + 1}"
                where = f"case {cid}" + (f", field {'.'.join(str(x) for x in loc[2:])}" if loc[2:] else "")
            elif loc:
                where = f"suite field {'.'.join(str(x) for x in loc)}"
            lines.append(f"{where}: {err['msg']}")
        raise InputError(f"{path} is not a valid suite:\n  " + "\n  ".join(lines)) from None
    ids = [c.id for c in suite.cases]
    dupes = sorted({i for i in ids if ids.count(i) > 1})
    if dupes:
        raise InputError(f"{path}: duplicate case ids: {', '.join(dupes)}")
    return suite


def suite_params(path: Path) -> list[Any]:
    """The cases of a suite as ``pytest.param`` objects (ids = case ids), for ``parametrize``."""
    import pytest

    return [pytest.param(case, id=case.id, marks=[]) for case in load_suite(Path(path)).cases]


# -- running ---------------------------------------------------------------------------------------


def corpus_texts(project_root: Path, sources: Iterable[str]) -> dict[str, str]:
    """The current text of each indexed document, keyed by its cited source path."""
    texts = {}
    for source in sources:
        path = Path(source) if Path(source).is_absolute() else project_root / source
        try:
            texts[source] = path.read_text(encoding="utf-8").removeprefix("\ufeff")
        except OSError:
            continue
    return texts


def documents_of(pipeline: Any) -> dict[str, str]:
    """The extracted text of every document a ``Pipeline``'s index holds (what citations point into),
    as the index stores it, for scoring citations."""
    return index_documents(pipeline.index)


def index_documents(index: Any) -> dict[str, str]:
    """The extracted text of every document ``index`` holds, keyed by source."""
    texts = {source: index.document_text(source) for source in index.manifest.documents}
    return {source: text for source, text in texts.items() if text is not None}


def answer_case(answerer: Any, case: Case) -> Answer:
    """``answerer.answer(question, history)``; a ``RagError`` becomes an answer with status ``error``."""
    started = time.perf_counter()
    try:
        return answerer.answer(case.question, [t.model_dump() for t in case.history])
    except RagError as exc:
        return Answer(
            question=case.question,
            status=Status.ERROR,
            error=str(exc),
            model=str(getattr(answerer, "model_name", "")),
            timings={"total_s": time.perf_counter() - started},
        )


@dataclass(frozen=True)
class CaseResult:
    """One case answered and scored."""

    case: Case
    answer: Answer
    score: CaseScore

    def line(self) -> dict[str, Any]:
        """One ``results.jsonl`` line: the case id and scores merged with the full ``rag ask --json``."""
        return result_line(self.case, self.answer, self.score)


def run_case(answerer: Any, case: Case, scorer: Scorer) -> CaseResult:
    """Answer one case and score it: the one runner of ``rag eval``, ``check_case`` and ``rag bench``."""
    answer = answer_case(answerer, case)
    return CaseResult(case, answer, scorer(case, answer))


def run_cases(
    answerer: Any,
    cases: Sequence[Case],
    scorer: Scorer,
    progress: bool = False,
    on_result: Callable[[int, CaseResult], None] | None = None,
) -> list[CaseResult]:
    """``run_case`` over ``cases`` in order; ``on_result(i, result)`` after each (1-based ``i``)."""
    from tqdm import tqdm

    name = str(getattr(answerer, "model_name", "eval"))
    results = []
    for i, case in enumerate(tqdm(cases, desc=name, unit="case", disable=not progress), 1):
        results.append(run_case(answerer, case, scorer))
        if on_result is not None:
            on_result(i, results[-1])
    return results


def run_suite(pipeline: Any, suite: Suite, k: int = 4, progress: bool = True) -> tuple[list[Answer], list[CaseScore]]:
    """Answer every case of ``suite`` with a ``Pipeline`` and score it."""
    scorer = Scorer(documents_of(pipeline), k, suite.case_citation_precision)
    results = run_cases(pipeline, suite.cases, scorer, progress=progress)
    return [r.answer for r in results], [r.score for r in results]


def check_case(pipeline: Any, case: Case, k: int = 4) -> CaseScore:
    """Answer one case and raise ``AssertionError`` with a readable explanation if it fails."""
    result = run_case(pipeline, case, Scorer(documents_of(pipeline), k))
    score, answer = result.score, result.answer
    if not score.passed:
        cites = "\n".join(f"    [{c.n}] {c.text}" for c in answer.citations) or "    (none)"
        raise AssertionError(
            f"case {case.id} failed: {'; '.join(score.reasons)}\n  question: {case.question}\n"
            f"  answer:   {answer.answer} ({answer.status})\n  citations:\n{cites}"
        )
    return score


def result_line(case: Case, answer: Answer, score: CaseScore) -> dict[str, Any]:
    """One ``results.jsonl`` line: the case id and scores merged with the full ``rag ask --json``."""
    return {
        "id": case.id,
        **answer.to_json(),
        "error": answer.error,
        "retrieved": [p.span() for p in answer.retrieved],
        "draft": answer.draft,
        "dropped": list(answer.dropped),
        "checks": list(answer.checks),
        "unanswered": list(answer.unanswered),
        "tags": case.tags,
        "passed": score.passed,
        "scores": {k: v for k, v in score.__dict__.items() if k not in ("id", "passed", "reasons")},
        "reasons": score.reasons,
    }


def write_jsonl(path: Path, rows: Iterable[dict[str, Any]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as fh:
        for row in rows:
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")


# -- the semantic check ----------------------------------------------------------------------------


def reference_text(case: Case) -> str:
    """What a correct answer should say, for the semantic check: the cited passages, else the plain
    ``expect`` strings (a regex contributes its first alternative)."""
    if case.cite:
        return " ".join(case.cite)
    parts = []
    for item in case.expect:
        if len(item) > 1 and item.startswith("/") and item.endswith("/"):
            item = re.sub(r"\\[bdsw]|[\\^$()?*+\[\]{}]", "", item[1:-1].split("|")[0])
        parts.append(item)
    return " ".join(parts)


def semantic_similarities(embeddings: Any, cases: list[Case], answers: list[Answer]) -> list[float | None]:
    """Cosine of answer vs. reference with the bundled embedding model; reported beside exact match."""
    pairs = [
        (i, a.answer, reference_text(c))
        for i, (c, a) in enumerate(zip(cases, answers, strict=True))
        if not c.refuse and not a.refused
    ]
    out: list[float | None] = [None] * len(cases)
    if not pairs:
        return out
    import numpy as np

    vecs = np.asarray(embeddings.embed_documents([p[1] for p in pairs] + [p[2] for p in pairs]))
    for k, (i, _, _) in enumerate(pairs):
        out[i] = round(float(vecs[k] @ vecs[len(pairs) + k]), 4)
    return out


# -- retrieval only --------------------------------------------------------------------------------


def retrieval_line(retriever: Retriever, case: Case, documents: dict[str, str], k: int) -> dict[str, Any]:
    """Where the passages a case cites land in what retrieval gives the model, without any chat model:
    the rank of the first passage that overlaps one (``rank``), whether it is within ``k``, and the
    share of the case's ``cite`` passages that reach the context at all (``context_recall``)."""
    from rag.chain import clean_history
    from rag.condense import condense

    rewritten = condense(case.question, clean_history([t.model_dump() for t in case.history]))
    found = retriever.retrieve(rewritten or case.question)
    given = [(p.source, p.start, p.end) for p in found.passages]
    targets = locate(case.cite, documents)
    reached = [any(overlaps(g, s) for g in given for s in spans) for spans in targets]
    rank = next((i for i, g in enumerate(given, 1) if any(overlaps(g, s) for t in targets for s in t)), None)
    return {
        "id": case.id,
        "question": case.question,
        "query": rewritten or case.question,
        "relevant": found.relevant,
        "rank": rank,
        "hit_at_k": rank is not None and rank <= k,
        "context_recall": sum(reached) / len(reached),
        "missed": [text for text, ok in zip(case.cite, reached, strict=True) if not ok],
    }


def retrieval_summary(lines: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """hit@k, MRR and context recall over the answerable cases that cite passages; gate pass rate."""
    n = len(lines)
    return {
        "cases": n,
        "hit_at_k": round(sum(x["hit_at_k"] for x in lines) / n, 4) if n else None,
        "mrr": round(sum(1 / x["rank"] for x in lines if x["rank"]) / n, 4) if n else None,
        "context_recall": round(sum(x["context_recall"] for x in lines) / n, 4) if n else None,
        "gate_passed": round(sum(x["relevant"] for x in lines) / n, 4) if n else None,
    }
