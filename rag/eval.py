"""Evaluation suites: load and validate, run against a pipeline, score deterministically, report.

No LLM judge: every metric is computed from the answer text, the citation spans and the retrieved
passages, so a run is reproducible offline.
"""

from __future__ import annotations

import json
import re
import statistics
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from rag.errors import InputError
from rag.types import Answer

Span = tuple[str, int, int]


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
    model_config = ConfigDict(extra="forbid")
    cases: list[Case]
    thresholds: dict[str, float] = {}


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
            lines.append(f"{where}: {err['msg']}")
        raise InputError(f"{path} is not a valid suite:\n  " + "\n  ".join(lines)) from None
    ids = [c.id for c in suite.cases]
    dupes = sorted({i for i in ids if ids.count(i) > 1})
    if dupes:
        raise InputError(f"{path}: duplicate case ids: {', '.join(dupes)}")
    return suite


def matches(expected: str, answer: str) -> bool:
    """``/regex/`` (case-insensitive search) or a case-insensitive substring."""
    if len(expected) > 1 and expected.startswith("/") and expected.endswith("/"):
        return re.search(expected[1:-1], answer, re.IGNORECASE) is not None
    return expected.lower() in answer.lower()


def locate(passages: Iterable[str], documents: dict[str, str]) -> list[list[Span]]:
    """Every position of each ``cite`` passage in the documents (source, start, end)."""
    found = []
    for passage in passages:
        spans = []
        for source, text in documents.items():
            start = text.find(passage)
            while start >= 0:
                spans.append((source, start, start + len(passage)))
                start = text.find(passage, start + 1)
        found.append(spans)
    return found


def _overlaps(a: Span, b: Span) -> bool:
    return a[0] == b[0] and a[1] < b[2] and b[1] < a[2]


@dataclass
class CaseScore:
    """Deterministic scores of one case; ``None`` where a metric does not apply."""

    id: str
    passed: bool
    answer_match: bool | None
    refusal_correct: bool
    citation_precision: float | None
    citation_recall: float | None
    hit_at_k: bool | None
    reciprocal_rank: float | None
    follow_up: bool
    reasons: list[str] = field(default_factory=list)


def score_case(case: Case, answer: Answer, documents: dict[str, str], k: int = 4) -> CaseScore:
    """Score one answer against its case."""
    reasons: list[str] = []
    refusal_ok = answer.refused == case.refuse
    if not refusal_ok:
        reasons.append("refused but should answer" if answer.refused else "answered but should refuse")
    answer_match = None
    if not case.refuse:
        missing = [e for e in case.expect if not matches(e, answer.answer)]
        answer_match = not missing and not answer.refused
        if missing and not answer.refused:
            reasons.append(f"missing {missing}")
    precision = recall = rr = None
    hit = None
    if case.cite and not case.refuse:
        targets = locate(case.cite, documents)
        for text, spans in zip(case.cite, targets, strict=True):
            if not spans:
                reasons.append(f"cite passage not found in any document: {text[:60]!r}")
        cited = [(c.source, c.start, c.end) for c in answer.citations]
        if cited:
            good = [c for c in cited if any(_overlaps(c, s) for spans in targets for s in spans)]
            precision = len(good) / len(cited)
        recall = sum(any(_overlaps(c, s) for c in cited for s in spans) for spans in targets) / len(targets)
        ranked = [(p.source, p.start, p.end) for p in answer.retrieved]
        rank = next(
            (i for i, p in enumerate(ranked, 1) if any(_overlaps(p, s) for spans in targets for s in spans)), None
        )
        hit = rank is not None and rank <= k
        rr = 1.0 / rank if rank else 0.0
        if precision is not None and precision < 1:
            reasons.append(f"citation precision {precision:.2f}")
    elif answer.citations and case.refuse:
        precision = 0.0
    passed = refusal_ok and answer_match is not False and (precision is None or precision > 0)
    return CaseScore(case.id, passed, answer_match, refusal_ok, precision, recall, hit, rr, bool(case.history), reasons)


def _mean(values: Iterable[float | bool | None]) -> float | None:
    vals = [float(v) for v in values if v is not None]
    return round(statistics.fmean(vals), 4) if vals else None


def _percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    values = sorted(values)
    return round(values[min(len(values) - 1, int(q * len(values)))], 3)


def summarize(
    scores: list[CaseScore], answers: list[Answer], similarities: list[float | None] | None = None
) -> dict[str, Any]:
    """Overall metrics of one run, plus each case's pass/fail (for baseline comparison)."""
    ttft = [a.timings["ttft_s"] for a in answers if not a.refused and "ttft_s" in a.timings]
    total = [a.timings["total_s"] for a in answers if "total_s" in a.timings]
    return {
        "cases": len(scores),
        "passed": sum(s.passed for s in scores),
        "pass_rate": _mean(s.passed for s in scores),
        "answer_correctness": _mean(s.answer_match for s in scores),
        "citation_precision": _mean(s.citation_precision for s in scores),
        "citation_recall": _mean(s.citation_recall for s in scores),
        "refusal_accuracy": _mean(s.refusal_correct for s in scores),
        "follow_up_accuracy": _mean(s.answer_match for s in scores if s.follow_up),
        "hit_at_k": _mean(s.hit_at_k for s in scores),
        "mrr": _mean(s.reciprocal_rank for s in scores),
        "ttft_p50_s": _percentile(ttft, 0.5),
        "ttft_p95_s": _percentile(ttft, 0.95),
        "total_p50_s": _percentile(total, 0.5),
        "total_p95_s": _percentile(total, 0.95),
        "semantic_similarity": _mean(similarities or []),
        "case_results": {s.id: s.passed for s in scores},
    }


def result_line(case: Case, answer: Answer, score: CaseScore) -> dict[str, Any]:
    """One ``results.jsonl`` line: the case id and scores merged with the full ``rag ask --json``."""
    return {
        "id": case.id,
        **answer.to_json(),
        "retrieved": [p.span() for p in answer.retrieved],
        "draft": answer.draft,
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


def run_suite(pipeline: Any, suite: Suite, k: int = 4, progress: bool = True) -> tuple[list[Answer], list[CaseScore]]:
    """Answer every case with ``pipeline`` and score it."""
    from tqdm import tqdm

    documents = corpus_texts(pipeline.settings.project_root, pipeline.index.manifest.documents)
    answers, scores = [], []
    for case in tqdm(suite.cases, desc=pipeline.model_name, unit="case", disable=not progress):
        answer = pipeline.answer(case.question, [t.model_dump() for t in case.history])
        answers.append(answer)
        scores.append(score_case(case, answer, documents, k))
    return answers, scores


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


LOWER_IS_BETTER = ("_s",)


def check_thresholds(summary: dict[str, Any], thresholds: dict[str, float]) -> list[str]:
    """Failed thresholds as messages; latency metrics (``*_s``) are maxima, the rest minima."""
    failed = []
    for metric, limit in thresholds.items():
        value = summary.get(metric)
        if value is None:
            failed.append(f"{metric}: no value (unknown metric or no applicable case)")
        elif metric.endswith(LOWER_IS_BETTER) and value > limit:
            failed.append(f"{metric} = {value} is above the limit {limit}")
        elif not metric.endswith(LOWER_IS_BETTER) and value < limit:
            failed.append(f"{metric} = {value} is below the threshold {limit}")
    return failed


def compare_to_baseline(summary: dict[str, Any], baseline: dict[str, Any], tolerance: float) -> list[str]:
    """Regressions beyond ``tolerance`` in quality metrics, and the cases that went from pass to fail."""
    from rag.report import METRICS

    problems = []
    for metric, higher in METRICS.items():
        new, old = summary.get(metric), baseline.get(metric)
        if new is None or old is None or not higher:
            continue
        if new < old - tolerance:
            problems.append(f"{metric} fell from {old} to {new} (tolerance {tolerance})")
    old_cases, new_cases = baseline.get("case_results", {}), summary.get("case_results", {})
    flipped = sorted(i for i, ok in new_cases.items() if old_cases.get(i) is True and ok is False)
    if flipped:
        problems.append(f"{len(flipped)} case(s) now fail: {', '.join(flipped)}")
    return problems


def suite_params(path: Path) -> list[Any]:
    """The cases of a suite as ``pytest.param`` objects (ids = case ids), for ``parametrize``."""
    import pytest

    return [pytest.param(case, id=case.id, marks=[]) for case in load_suite(Path(path)).cases]


def check_case(pipeline: Any, case: Case, k: int = 4) -> CaseScore:
    """Answer one case and raise ``AssertionError`` with a readable explanation if it fails."""
    documents = corpus_texts(pipeline.settings.project_root, pipeline.index.manifest.documents)
    answer = pipeline.answer(case.question, [t.model_dump() for t in case.history])
    score = score_case(case, answer, documents, k)
    if not score.passed:
        cites = "\n".join(f"    [{c.n}] {c.text}" for c in answer.citations) or "    (none)"
        raise AssertionError(
            f"case {case.id} failed: {'; '.join(score.reasons)}\n  question: {case.question}\n"
            f"  answer:   {answer.answer}\n  citations:\n{cites}"
        )
    return score
