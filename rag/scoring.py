"""Deterministic scoring of answers against suite cases, the run summary, thresholds and baselines.

No LLM judge: every metric is computed from the answer's status, text and citation spans and the
retrieved passages, so a run is reproducible offline. ``percentile``/``stats`` are the one latency
definition that both ``rag eval`` summaries and ``rag bench`` use.
"""

from __future__ import annotations

import re
import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from rag.confidence import interval
from rag.errors import InputError
from rag.types import Answer, Status

if TYPE_CHECKING:
    from rag.eval import Case

Span = tuple[str, int, int]

# Metrics shown in tables and charts and compared with a baseline, with whether higher is better.
METRICS: dict[str, bool] = {
    "pass_rate": True,
    "answer_correctness": True,
    "semantic_similarity": True,
    "citation_precision": True,
    "citation_recall": True,
    "refusal_accuracy": True,
    "unanswerable_refused": True,  # of the cases marked refuse: the documents do not answer them
    "answerable_refused": False,  # of the other cases: a refusal is a miss (an error counts, but not as one)
    "follow_up_accuracy": True,
    "hit_at_k": True,
    "mrr": True,
    "ttft_p50_s": False,
    "total_p50_s": False,
    "total_p95_s": False,
}


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


def overlaps(a: Span, b: Span) -> bool:
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
    should_refuse: bool = False  # the case is marked ``refuse``
    refused: bool = False  # the answer was a refusal (not an error)


def score_case(
    case: Case,
    answer: Answer,
    documents: dict[str, str],
    k: int = 4,
    min_precision: float = 1.0,
    retrieval: bool = True,
) -> CaseScore:
    """Score one answer against its case.

    A case passes when the answer is neither an error nor a wrong refusal (or wrong answer to a
    question that should be refused), says everything in ``expect`` and, for a case with ``cite``,
    cites something and at least ``min_precision`` of its citations overlap a ``cite`` passage
    (default 1.0: every cited span must be right). ``retrieval=False``: the answers carry no retrieved
    passages (a server answered), so hit@k and MRR are not measured (``None``), not zero.
    """
    reasons: list[str] = []
    if answer.status is Status.ERROR:
        refusal_ok = False
        reasons.append(f"error: {answer.error or 'the backend failed'}")
    else:
        refusal_ok = answer.refused == case.refuse
        if not refusal_ok:
            reasons.append(f"{answer.status} but should answer" if answer.refused else "answered but should refuse")
    answer_match = None
    if not case.refuse:
        missing = [e for e in case.expect if not matches(e, answer.answer)]
        answer_match = not missing and not answer.refused
        if missing and not answer.refused:
            reasons.append(f"missing {missing}")
    precision = recall = rr = None
    hit = None
    precise = True
    cited = [(c.source, c.start, c.end) for c in answer.citations]
    if case.cite and not case.refuse:
        targets = locate(case.cite, documents)
        for text, spans in zip(case.cite, targets, strict=True):
            if not spans:
                reasons.append(f"cite passage not found in any document: {text[:60]!r}")
        if cited:
            good = [c for c in cited if any(overlaps(c, s) for spans in targets for s in spans)]
            precision = len(good) / len(cited)
        recall = sum(any(overlaps(c, s) for c in cited for s in spans) for spans in targets) / len(targets)
        ranked = [(p.source, p.start, p.end) for p in answer.retrieved]
        rank = next(
            (i for i, p in enumerate(ranked, 1) if any(overlaps(p, s) for spans in targets for s in spans)), None
        )
        if retrieval:
            hit = rank is not None and rank <= k
            rr = 1.0 / rank if rank else 0.0
        if not answer.refused:
            precise = precision is not None and precision >= min_precision
            if precision is None:
                reasons.append("cites nothing")
            elif precision < 1:
                needs = "" if precise else f" (a pass needs {min_precision:g})"
                reasons.append(
                    f"citation precision {precision:.2f}: {len(good)} of {len(cited)} cited spans right{needs}"
                )
    elif cited and case.refuse:
        precision = 0.0
    passed = refusal_ok and answer_match is not False and precise
    return CaseScore(
        case.id, passed, answer_match, refusal_ok, precision, recall, hit, rr, bool(case.history), reasons,
        should_refuse=case.refuse, refused=answer.refused and answer.status is not Status.ERROR,
    )  # fmt: skip


@dataclass(frozen=True)
class Scorer:
    """``score_case`` bound to the documents of one index and the suite's settings."""

    documents: dict[str, str]
    k: int = 4
    min_precision: float = 1.0
    retrieval: bool = True

    def __call__(self, case: Case, answer: Answer) -> CaseScore:
        return score_case(case, answer, self.documents, self.k, self.min_precision, self.retrieval)


def percentile(values: Sequence[float], q: float) -> float | None:
    """The ``q``-th percentile (0..100), linearly interpolated between the closest ranks (numpy's default,
    ``statistics.quantiles(method="inclusive")``); ``None`` for no values. The one definition used by
    eval summaries and the benchmark."""
    if len(values) == 0:
        return None
    return float(np.percentile(np.asarray(values, dtype=float), q))


def stats(values: Sequence[float], scale: float = 1.0, digits: int = 3) -> dict[str, Any]:
    """n, p50, p95, mean, min, max of ``values`` × ``scale`` (``None`` when there are no values)."""
    if len(values) == 0:
        return {"n": 0, "p50": None, "p95": None, "mean": None, "min": None, "max": None}
    arr = np.asarray(values, dtype=float) * scale
    return {
        "n": int(arr.size),
        "p50": round(percentile(arr, 50), digits),  # type: ignore[arg-type]
        "p95": round(percentile(arr, 95), digits),  # type: ignore[arg-type]
        "mean": round(float(arr.mean()), digits),
        "min": round(float(arr.min()), digits),
        "max": round(float(arr.max()), digits),
    }


def model_asked(answer: Answer) -> bool:
    """Whether the chat model was asked: not stopped by the relevance gate, and no backend error."""
    return answer.status not in (Status.NOT_RELEVANT, Status.ERROR)


def latency(answers: Sequence[Answer]) -> dict[str, dict[str, Any]]:
    """Time to first token over the answers the model was asked for; answer time over every answer that
    completed (``total_s``), and over the model-asked ones (``total_llm_s``)."""

    def times(key: str, keep: Any) -> list[float]:
        return [a.timings[key] for a in answers if keep(a) and key in a.timings]

    return {
        "ttft_s": stats(times("ttft_s", model_asked)),
        "total_s": stats(times("total_s", lambda a: a.status is not Status.ERROR)),
        "total_llm_s": stats(times("total_s", model_asked)),
    }


def _mean(values: Iterable[float | bool | None]) -> float | None:
    vals = [float(v) for v in values if v is not None]
    return round(statistics.fmean(vals), 4) if vals else None


def summarize(
    scores: list[CaseScore], answers: list[Answer], similarities: list[float | None] | None = None
) -> dict[str, Any]:
    """Overall metrics of one run, answers per status, and each case's pass/fail (for baseline comparison)."""
    lat = latency(answers)
    return {
        "cases": len(scores),
        "passed": sum(s.passed for s in scores),
        "status": {s.value: sum(a.status is s for a in answers) for s in Status},
        "pass_rate": _mean(s.passed for s in scores),
        "answer_correctness": _mean(s.answer_match for s in scores),
        "citation_precision": _mean(s.citation_precision for s in scores),
        "citation_recall": _mean(s.citation_recall for s in scores),
        "refusal_accuracy": _mean(s.refusal_correct for s in scores),
        "follow_up_accuracy": _mean(s.answer_match for s in scores if s.follow_up),
        "hit_at_k": _mean(s.hit_at_k for s in scores),
        "mrr": _mean(s.reciprocal_rank for s in scores),
        "ttft_p50_s": lat["ttft_s"]["p50"],
        "ttft_p95_s": lat["ttft_s"]["p95"],
        "total_p50_s": lat["total_s"]["p50"],
        "total_p95_s": lat["total_s"]["p95"],
        "semantic_similarity": _mean(similarities or []),
        "unanswerable_refused": _mean(s.refused for s in scores if s.should_refuse),
        "answerable_refused": _mean(s.refused for s in scores if not s.should_refuse),
        "intervals": intervals(scores),
        "case_results": {s.id: s.passed for s in scores},
    }


def intervals(scores: Sequence[CaseScore]) -> dict[str, dict[str, Any]]:
    """The count behind each rate of a run and its 95% Wilson interval (``rag.confidence``): a rate
    measured on a few dozen cases is only known to within a band."""
    answerable = [s for s in scores if not s.should_refuse]
    counts = {
        "pass_rate": [s.passed for s in scores],
        "answer_correctness": [s.answer_match for s in scores if s.answer_match is not None],
        "refusal_accuracy": [s.refusal_correct for s in scores],
        "unanswerable_refused": [s.refused for s in scores if s.should_refuse],
        "answerable_refused": [s.refused for s in answerable],
        "follow_up_accuracy": [s.answer_match for s in scores if s.follow_up and s.answer_match is not None],
        "hit_at_k": [s.hit_at_k for s in scores if s.hit_at_k is not None],
    }
    found = {metric: interval(sum(map(bool, values)), len(values)) for metric, values in counts.items()}
    return {metric: band for metric, band in found.items() if band is not None}


LOWER_IS_BETTER = ("_s",)


def is_maximum(metric: str) -> bool:
    """Whether a threshold on ``metric`` is a maximum: latencies (``*_s``) and rates where lower is better."""
    return metric.endswith(LOWER_IS_BETTER) or METRICS.get(metric) is False


def parse_thresholds(items: list[str]) -> dict[str, float]:
    """``["pass_rate=0.8"]`` → ``{"pass_rate": 0.8}`` (``rag eval --threshold``)."""
    out = {}
    for item in items:
        metric, sep, value = item.partition("=")
        try:
            out[metric.strip()] = float(value)
        except ValueError:
            raise InputError(f"--threshold {item!r} must look like metric=number, e.g. pass_rate=0.8") from None
        if not sep:
            raise InputError(f"--threshold {item!r} must look like metric=number")
    return out


def check_thresholds(summary: dict[str, Any], thresholds: dict[str, float]) -> list[str]:
    """Failed thresholds as messages; latency metrics (``*_s``) and ``answerable_refused`` are maxima, the
    rest minima."""
    failed = []
    for metric, limit in thresholds.items():
        value = summary.get(metric)
        if not isinstance(value, int | float) or isinstance(value, bool):
            failed.append(f"{metric}: no value (unknown metric or no applicable case)")
        elif is_maximum(metric) and value > limit:
            failed.append(f"{metric} = {value} is above the limit {limit}")
        elif not is_maximum(metric) and value < limit:
            failed.append(f"{metric} = {value} is below the threshold {limit}")
    return failed


def baseline_for(baseline: dict[str, Any], model: str) -> tuple[dict[str, Any] | None, str | None]:
    """The part of a saved ``summary.json`` that applies to ``model``, or a reason why none does.

    A summary of several backends is ``{"backends": {spec: summary}}``; one of a single backend names
    its ``model``.
    """
    if "backends" in baseline:
        found = baseline["backends"].get(model)
        return (found, None) if found else (None, f"the baseline has no results for {model}")
    if baseline.get("model") not in (None, model):
        return None, f"the baseline was measured with {baseline['model']}, not {model}"
    return baseline, None


def compare_to_baseline(summary: dict[str, Any], baseline: dict[str, Any], tolerance: float) -> list[str]:
    """Regressions beyond ``tolerance`` in quality metrics (latencies are not compared: they measure the
    machine as much as the code), and the cases that went from pass to fail."""
    problems = []
    for metric, higher in METRICS.items():
        new, old = summary.get(metric), baseline.get(metric)
        if new is None or old is None or metric.endswith(LOWER_IS_BETTER):
            continue
        if higher and new < old - tolerance:
            problems.append(f"{metric} fell from {old} to {new} (tolerance {tolerance})")
        elif not higher and new > old + tolerance:
            problems.append(f"{metric} rose from {old} to {new} (tolerance {tolerance})")
    old_cases, new_cases = baseline.get("case_results", {}), summary.get("case_results", {})
    flipped = sorted(i for i, ok in new_cases.items() if old_cases.get(i) is True and ok is False)
    if flipped:
        problems.append(f"{len(flipped)} case(s) now fail: {', '.join(flipped)}")
    return problems
