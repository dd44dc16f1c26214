"""Evaluation reports: a terminal table, summary.json and a self-contained report.html."""

from __future__ import annotations

import json
from html import escape
from pathlib import Path
from typing import Any

# Metrics shown in tables and charts, with whether higher is better.
METRICS: dict[str, bool] = {
    "pass_rate": True,
    "answer_correctness": True,
    "semantic_similarity": True,
    "citation_precision": True,
    "citation_recall": True,
    "refusal_accuracy": True,
    "follow_up_accuracy": True,
    "hit_at_k": True,
    "mrr": True,
    "ttft_p50_s": False,
    "total_p50_s": False,
    "total_p95_s": False,
}


def _fmt(value: Any) -> str:
    return "-" if value is None else f"{value:.3f}" if isinstance(value, float) else str(value)


def terminal_table(summaries: dict[str, dict[str, Any]]) -> str:
    """Metrics as rows, backends as columns."""
    names = list(summaries)
    width = max(len(m) for m in METRICS) + 2
    cols = [max(12, len(n) + 2) for n in names]
    lines = ["metric".ljust(width) + "".join(n.rjust(w) for n, w in zip(names, cols, strict=True))]
    lines.append("-" * len(lines[0]))
    for metric in ["cases", "passed", *METRICS]:
        row = metric.ljust(width)
        for name, w in zip(names, cols, strict=True):
            row += _fmt(summaries[name].get(metric)).rjust(w)
        lines.append(row)
    return "\n".join(lines)


def _bar_chart(summaries: dict[str, dict[str, Any]]) -> str:
    """Inline SVG: one group of bars per quality metric (0..1), one bar per backend."""
    palette = ["#2563eb", "#16a34a", "#d97706", "#9333ea", "#dc2626"]
    metrics = [m for m, higher in METRICS.items() if higher]
    names = list(summaries)
    group_w, bar_w, height = 30 + 22 * len(names), 20, 180
    svg = [
        f'<svg role="img" width="{group_w * len(metrics) + 40}" height="{height + 90}" '
        'xmlns="http://www.w3.org/2000/svg" font-family="sans-serif" font-size="11">'
    ]
    for gi, metric in enumerate(metrics):
        x0 = 30 + gi * group_w
        for bi, name in enumerate(names):
            value = summaries[name].get(metric)
            h = 0 if value is None else max(1, value * height)
            x = x0 + bi * (bar_w + 2)
            svg.append(
                f'<rect x="{x}" y="{10 + height - h}" width="{bar_w}" height="{h}" '
                f'fill="{palette[bi % len(palette)]}"><title>{escape(name)} {metric}: {_fmt(value)}</title></rect>'
            )
        svg.append(f'<text x="{x0}" y="{height + 24}" transform="rotate(30 {x0} {height + 24})">{metric}</text>')
    for bi, name in enumerate(names):
        svg.append(
            f'<rect x="{30 + bi * 160}" y="{height + 70}" width="10" height="10" '
            f'fill="{palette[bi % len(palette)]}"/><text x="{44 + bi * 160}" y="{height + 79}">{escape(name)}</text>'
        )
    svg.append("</svg>")
    return "".join(svg)


def html_report(summaries: dict[str, dict[str, Any]], rows: dict[str, list[dict[str, Any]]], title: str) -> str:
    """One HTML page, no external assets: summary table, bar chart, per-case table per backend."""
    head = "".join(f"<th>{escape(n)}</th>" for n in summaries)
    body = "".join(
        f"<tr><td>{m}</td>" + "".join(f"<td>{_fmt(s.get(m))}</td>" for s in summaries.values()) + "</tr>"
        for m in ["cases", "passed", *METRICS]
    )
    sections = []
    for name, lines in rows.items():
        trs = []
        for r in lines:
            cites = "<br>".join(
                f"[{c['n']}] {escape(c['source'])}:{c['start']}-{c['end']} “{escape(c['text'])}”"
                for c in r["citations"]
            )
            verdict = "pass" if r["passed"] else "fail"
            trs.append(
                f'<tr class="{verdict}"><td>{escape(r["id"])}</td><td>{escape(r["question"])}</td>'
                f"<td>{escape(r['answer'])}</td><td>{cites}</td><td>{verdict}</td>"
                f"<td>{escape('; '.join(r['reasons']))}</td></tr>"
            )
        sections.append(
            f"<h2>{escape(name)}</h2><table><tr><th>id</th><th>question</th><th>answer</th><th>citations</th>"
            f"<th>result</th><th>reason</th></tr>{''.join(trs)}</table>"
        )
    style = (
        "body{font-family:sans-serif;margin:2em;color:#111}table{border-collapse:collapse;margin:1em 0}"
        "td,th{border:1px solid #ccc;padding:4px 8px;vertical-align:top;font-size:13px}"
        "tr.fail td{background:#fef2f2}tr.pass td:nth-child(5){color:#15803d}"
    )
    return (
        f"<!doctype html><html><head><meta charset='utf-8'><title>{escape(title)}</title><style>{style}</style>"
        f"</head><body><h1>{escape(title)}</h1><table><tr><th>metric</th>{head}</tr>{body}</table>"
        f"{_bar_chart(summaries)}{''.join(sections)}</body></html>"
    )


def write_reports(
    directory: Path, summaries: dict[str, dict[str, Any]], rows: dict[str, list[dict[str, Any]]], title: str
) -> None:
    """``results.jsonl`` (one line per case and backend), ``summary.json`` and ``report.html``."""
    directory.mkdir(parents=True, exist_ok=True)
    with (directory / "results.jsonl").open("w", encoding="utf-8") as fh:
        for lines in rows.values():
            for row in lines:
                fh.write(json.dumps(row, ensure_ascii=False) + "\n")
    single = len(summaries) == 1
    summary = next(iter(summaries.values())) if single else {"backends": summaries}
    (directory / "summary.json").write_text(json.dumps(summary, indent=2), encoding="utf-8")
    (directory / "report.html").write_text(html_report(summaries, rows, title), encoding="utf-8")
