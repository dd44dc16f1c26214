"""Charts of a benchmark run as one self-contained HTML page (inline SVG, no scripts, no assets).

``python -m bench.plot bench/results.json`` rewrites ``bench/report.html`` from saved results.
"""

from __future__ import annotations

import json
import math
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape
from pathlib import Path
from typing import Any

OURS, NAIVE, GREY = "#2563eb", "#d97706", "#9ca3af"
W, H = 420, 260
PAD_L, PAD_R, PAD_T, PAD_B = 58, 16, 30, 44


@dataclass
class Series:
    label: str
    color: str
    xs: Sequence[float]
    ys: Sequence[float]
    dashed: bool = False
    step: bool = False
    markers: bool = True


def _nice_ticks(lo: float, hi: float, count: int = 5) -> list[float]:
    if hi <= lo:
        hi = lo + 1
    raw = (hi - lo) / count
    mag = 10 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw)
    start = math.floor(lo / step) * step
    ticks = []
    t = start
    while t <= hi + step * 1e-9:
        if t >= lo - step * 1e-9:
            ticks.append(round(t, 10))
        t += step
    return ticks


def _log_ticks(lo: float, hi: float) -> list[float]:
    ticks = []
    for e in range(math.floor(math.log10(lo)), math.ceil(math.log10(hi)) + 1):
        for m in (1, 2, 5) if math.log10(hi / lo) < 3 else (1,):
            v = m * 10**e
            if lo <= v <= hi:
                ticks.append(v)
    return ticks or [lo, hi]


def _label(v: float) -> str:
    if v == 0:
        return "0"
    if abs(v) >= 1000:
        return f"{v / 1000:g}k" if abs(v) < 1e6 else f"{v / 1e6:g}M"
    return f"{v:g}"


def line_chart(
    series: list[Series],
    title: str,
    xlabel: str,
    ylabel: str,
    logx: bool = False,
    logy: bool = False,
    ymin: float | None = None,
    ymax: float | None = None,
) -> str:
    """An SVG line/step chart with axes, ticks and a legend."""
    xs = [x for s in series for x in s.xs if not logx or x > 0]
    ys = [y for s in series for y in s.ys if not logy or y > 0]
    if not xs or not ys:
        return f'<svg width="{W}" height="{H}"><text x="10" y="20">{escape(title)}: no data</text></svg>'
    x0, x1 = min(xs), max(xs)
    y0 = min(ys) if ymin is None else ymin
    y1 = max(ys) if ymax is None else ymax
    if logx:
        x0, x1 = x0 / 1.3, x1 * 1.3
    elif x0 == x1:
        x0, x1 = x0 - 1, x1 + 1
    else:
        x0 = min(0.0, x0) if x0 >= 0 else x0
    if logy:
        y0, y1 = y0 / 1.5, y1 * 1.5
    else:
        y0 = 0.0 if ymin is None and y0 >= 0 else y0
        y1 = y1 * 1.08 if ymax is None else y1
        if y1 == y0:
            y1 = y0 + 1
    pw, ph = W - PAD_L - PAD_R, H - PAD_T - PAD_B

    def fx(x: float) -> float:
        if logx:
            return PAD_L + pw * (math.log10(x) - math.log10(x0)) / (math.log10(x1) - math.log10(x0))
        return PAD_L + pw * (x - x0) / (x1 - x0)

    def fy(y: float) -> float:
        if logy:
            return PAD_T + ph * (1 - (math.log10(y) - math.log10(y0)) / (math.log10(y1) - math.log10(y0)))
        return PAD_T + ph * (1 - (y - y0) / (y1 - y0))

    svg = [
        f'<svg role="img" aria-label="{escape(title)}" width="{W}" height="{H}" viewBox="0 0 {W} {H}" '
        'xmlns="http://www.w3.org/2000/svg" font-family="sans-serif" font-size="11">',
        f'<text x="{W / 2}" y="16" text-anchor="middle" font-weight="bold" font-size="12">{escape(title)}</text>',
        f'<rect x="{PAD_L}" y="{PAD_T}" width="{pw}" height="{ph}" fill="none" stroke="#d1d5db"/>',
    ]
    for t in _log_ticks(x0, x1) if logx else _nice_ticks(x0, x1):
        x = fx(t)
        svg.append(f'<line x1="{x:.1f}" y1="{PAD_T}" x2="{x:.1f}" y2="{PAD_T + ph}" stroke="#f3f4f6"/>')
        svg.append(f'<text x="{x:.1f}" y="{PAD_T + ph + 14}" text-anchor="middle">{_label(t)}</text>')
    for t in _log_ticks(y0, y1) if logy else _nice_ticks(y0, y1):
        y = fy(t)
        svg.append(f'<line x1="{PAD_L}" y1="{y:.1f}" x2="{PAD_L + pw}" y2="{y:.1f}" stroke="#f3f4f6"/>')
        svg.append(f'<text x="{PAD_L - 5}" y="{y + 4:.1f}" text-anchor="end">{_label(t)}</text>')
    svg.append(f'<text x="{PAD_L + pw / 2}" y="{H - 8}" text-anchor="middle">{escape(xlabel)}</text>')
    svg.append(
        f'<text x="14" y="{PAD_T + ph / 2}" text-anchor="middle" transform="rotate(-90 14 {PAD_T + ph / 2})">'
        f"{escape(ylabel)}</text>"
    )
    legend: list[str] = []
    for s in series:
        pts = [(x, y) for x, y in zip(s.xs, s.ys, strict=True) if (not logx or x > 0) and (not logy or y > 0)]
        if not pts:
            continue
        if s.step:
            d = f"M{fx(pts[0][0]):.1f},{fy(0 if not logy else pts[0][1]):.1f}"
            for x, y in pts:
                d += f" H{fx(x):.1f} V{fy(y):.1f}"
        else:
            d = "M" + " L".join(f"{fx(x):.1f},{fy(y):.1f}" for x, y in pts)
        dash = ' stroke-dasharray="5 4"' if s.dashed else ""
        svg.append(f'<path d="{d}" fill="none" stroke="{s.color}" stroke-width="2"{dash}/>')
        if s.markers and not s.step:
            for x, y in pts:
                svg.append(
                    f'<circle cx="{fx(x):.1f}" cy="{fy(y):.1f}" r="3" fill="{s.color}">'
                    f"<title>{escape(s.label)}: {_label(x)}, {y:.4g}</title></circle>"
                )
        ly = PAD_T + 14 + 14 * len(legend)
        legend.append(
            f'<line x1="{PAD_L + 8}" y1="{ly - 4}" x2="{PAD_L + 26}" y2="{ly - 4}" stroke="{s.color}" '
            f'stroke-width="2"{dash}/><text x="{PAD_L + 30}" y="{ly}">{escape(s.label)}</text>'
        )
    if legend:
        box_w = 36 + 6.2 * max(len(s.label) for s in series)
        svg.append(
            f'<rect x="{PAD_L + 4}" y="{PAD_T + 3}" width="{box_w:.0f}" height="{14 * len(legend) + 6}" '
            'fill="white" fill-opacity="0.85" stroke="#e5e7eb"/>'
        )
        svg += legend
    svg.append("</svg>")
    return "".join(svg)


def ecdf(label: str, color: str, values: Sequence[float]) -> Series:
    v = sorted(values)
    n = len(v)
    return Series(label, color, v, [(i + 1) / n for i in range(n)], step=True, markers=False)


def bar_chart(groups: list[str], series: list[tuple[str, str, list[float | None]]], title: str) -> str:
    """Grouped bars on a 0..1 scale (quality metrics)."""
    width = PAD_L + PAD_R + len(groups) * (22 * len(series) + 26)
    ph = H - PAD_T - PAD_B - 20
    svg = [
        f'<svg role="img" aria-label="{escape(title)}" width="{width}" height="{H}" '
        'xmlns="http://www.w3.org/2000/svg" font-family="sans-serif" font-size="11">',
        f'<text x="{width / 2}" y="16" text-anchor="middle" font-weight="bold" font-size="12">{escape(title)}</text>',
    ]
    for t in (0, 0.25, 0.5, 0.75, 1.0):
        y = PAD_T + ph * (1 - t)
        svg.append(f'<line x1="{PAD_L}" y1="{y:.1f}" x2="{width - PAD_R}" y2="{y:.1f}" stroke="#f3f4f6"/>')
        svg.append(f'<text x="{PAD_L - 5}" y="{y + 4:.1f}" text-anchor="end">{t:g}</text>')
    for gi, group in enumerate(groups):
        gx = PAD_L + 10 + gi * (22 * len(series) + 26)
        for si, (name, color, values) in enumerate(series):
            v = values[gi]
            h = 0 if v is None else max(1.0, v * ph)
            x = gx + si * 22
            svg.append(
                f'<rect x="{x}" y="{PAD_T + ph - h:.1f}" width="20" height="{h:.1f}" fill="{color}">'
                f"<title>{escape(name)} {escape(group)}: {'-' if v is None else f'{v:.3f}'}</title></rect>"
            )
            if v is not None:
                svg.append(
                    f'<text x="{x + 10}" y="{PAD_T + ph - h - 3:.1f}" text-anchor="middle" font-size="9">{v:.2f}</text>'
                )
        svg.append(
            f'<text x="{gx + 11 * len(series)}" y="{PAD_T + ph + 14}" text-anchor="middle">{escape(group)}</text>'
        )
    for si, (name, color, _) in enumerate(series):
        x = PAD_L + 10 + si * 90
        svg.append(f'<rect x="{x}" y="{H - 18}" width="10" height="10" fill="{color}"/>')
        svg.append(f'<text x="{x + 14}" y="{H - 9}">{escape(name)}</text>')
    svg.append("</svg>")
    return "".join(svg)


# -- the page ------------------------------------------------------------------------------------


def latency_charts(res: dict[str, Any]) -> list[str]:
    o, n = res["ours"]["samples"], res["naive"]["samples"]
    charts = [
        line_chart(
            [ecdf("ours", OURS, o[key]), ecdf("naive", NAIVE, n[key])],
            title,
            unit,
            "share of questions",
            ymin=0,
            ymax=1,
        )
        for key, title, unit in (
            ("retrieval_ms", "Retrieval latency (CDF)", "milliseconds"),
            ("ttft_s", "Time to first token (CDF)", "seconds"),
            ("total_s", "Full answer time (CDF)", "seconds"),
        )
    ]
    op = [r["prompt_tokens"] for r in res["ours"]["cases"] if r["llm_called"]]
    np_ = [r["prompt_tokens"] for r in res["naive"]["cases"] if r["llm_called"]]
    if op or np_:
        charts.append(
            line_chart(
                [ecdf("ours", OURS, op), ecdf("naive", NAIVE, np_)],
                "Prompt tokens per LLM call (CDF)",
                "tokens",
                "share of calls",
                ymin=0,
                ymax=1,
            )
        )
    return charts


def scaling_charts(res: dict[str, Any]) -> list[str]:
    points = (res.get("scaling") or {}).get("points") or []
    if not points:
        return []
    chunks = [p["chunks"] for p in points]
    ingest = [p["ingest_s"] for p in points]
    ref = next((p for p in points[:-1] if p["scale"] >= 10), points[0])
    linear = [ref["ingest_s"] * c / ref["chunks"] for c in chunks]
    p50 = [p["retrieval_ms"]["p50"] for p in points]
    p95 = [p["retrieval_ms"]["p95"] for p in points]
    lin_lat = [p50[0] * c / chunks[0] for c in chunks]
    scales = [p["scale"] for p in points]
    return [
        line_chart(
            [
                Series("ingest time", OURS, chunks, ingest),
                Series(f"linear through {ref['scale']}x", GREY, chunks, linear, dashed=True, markers=False),
            ],
            "Ingest time vs corpus size",
            "chunks (log)",
            "seconds (log)",
            logx=True,
            logy=True,
        ),
        line_chart(
            [
                Series("chunks/s", OURS, scales, [p["chunks_per_s"] for p in points]),
                Series("kB/s", NAIVE, scales, [p["kb_per_s"] for p in points]),
            ],
            "Ingest throughput",
            "corpus size, x the article (log)",
            "per second",
            logx=True,
        ),
        line_chart(
            [
                Series("retrieval p50", OURS, chunks, p50),
                Series("retrieval p95", NAIVE, chunks, p95),
                Series("linear growth from 1st point", GREY, chunks, lin_lat, dashed=True, markers=False),
            ],
            "Query latency vs corpus size",
            "chunks (log)",
            "milliseconds (log)",
            logx=True,
            logy=True,
        ),
        line_chart(
            [Series("index load", OURS, chunks, [max(p["index_load_s"], 1e-3) for p in points])],
            "Index open time (chunks + BM25)",
            "chunks (log)",
            "seconds (log)",
            logx=True,
            logy=True,
        ),
    ]


def quality_chart(res: dict[str, Any]) -> str:
    keys = ["answer_correctness", "citation_precision", "citation_recall", "refusal_accuracy", "hit_at_k", "mrr"]
    labels = ["correct", "cite prec.", "cite recall", "refusals", "hit@4", "MRR"]
    return bar_chart(
        labels,
        [
            ("ours", OURS, [res["ours"]["quality"].get(k) for k in keys]),
            ("naive", NAIVE, [res["naive"]["quality"].get(k) for k in keys]),
        ],
        f"Golden-set quality ({res['ours']['questions']} cases)",
    )


def _cases_table(res: dict[str, Any]) -> str:
    naive = {r["id"]: r for r in res["naive"]["cases"]}
    rows = []
    for o in res["ours"]["cases"]:
        n = naive.get(o["id"], {})

        def cell(r: dict[str, Any]) -> str:
            if not r:
                return "<td>-</td><td>-</td>"
            verdict = "pass" if r["passed"] else "fail"
            t = r["timings"]
            return (
                f'<td class="{verdict}">{escape(r["answer"][:300])}</td>'
                f"<td>{t.get('ttft_s', 0):.2f} / {t.get('total_s', 0):.2f} s, {r['prompt_tokens']} tok</td>"
            )

        rows.append(f"<tr><td>{escape(o['id'])}</td><td>{escape(o['question'])}</td>{cell(o)}{cell(n)}</tr>")
    return (
        "<table><tr><th>case</th><th>question</th><th>ours</th><th>ours ttft / total</th><th>naive</th>"
        f"<th>naive ttft / total</th></tr>{''.join(rows)}</table>"
    )


def html_page(res: dict[str, Any]) -> str:
    from bench.run import comparison_rows, machine_line

    meta = res["meta"]
    comp = "".join(
        f"<tr><td>{escape(m)}</td><td>{_cell(a)}</td><td>{_cell(b)}</td><td>{_cell(r)}</td></tr>"
        for m, a, b, r in comparison_rows(res)
    )
    verdict = {True: ("MET", "pass"), False: ("GAP", "fail"), None: ("n/a", "")}
    targets = "".join(
        f"<tr><td>{escape(t['target'])}</td><td>{escape(t['goal'])}</td><td>{escape(t['measured'])}"
        f"{(' <small>(' + escape(t['note']) + ')</small>') if t['note'] else ''}</td>"
        f'<td class="{verdict[t["met"]][1]}">{verdict[t["met"]][0]}</td></tr>'
        for t in res["targets"]
    )
    scaling = scaling_charts(res)
    corpus = (res.get("scaling") or {}).get("corpus") or {}
    style = (
        "body{font-family:sans-serif;margin:2em;color:#111;max-width:1400px}table{border-collapse:collapse;"
        "margin:1em 0}td,th{border:1px solid #ccc;padding:4px 8px;vertical-align:top;font-size:13px}"
        "td.pass{background:#f0fdf4}td.fail{background:#fef2f2}.charts{display:flex;flex-wrap:wrap;gap:12px}"
        "small{color:#555}"
    )
    return "".join(
        [
            f"<!doctype html><html><head><meta charset='utf-8'><title>rag bench: ours vs naive</title>"
            f"<style>{style}</style></head><body>",
            "<h1>Benchmark: our pipeline vs the naive LangChain-tutorial pipeline</h1>",
            f"<p>{escape(meta['finished'][:16].replace('T', ' '))} UTC, <code>{escape(meta['command'])}</code>, "
            f"{meta['duration_s'] / 60:.1f} min.<br>Machine: {escape(machine_line(res))}.<br>Chat model "
            f"<code>{escape(meta['llm'])}</code> ({meta['threads']} threads), embeddings "
            f"<code>{escape(meta['embeddings'])}</code>; {len(res['cases'])} of {res['suite_cases']} golden cases.</p>",
            f"<h2>Ours vs naive</h2><table><tr><th>metric</th><th>ours</th><th>naive</th><th>ours/naive</th></tr>"
            f"{comp}</table>",
            f"<p>Serving process RSS (ours, both models loaded): peak {res['ours']['rss_mb']['peak_mb']:.0f} MB.</p>",
            f"<h2>Targets (DESIGN.md section 6)</h2><table><tr><th>target</th><th>goal</th><th>measured</th>"
            f"<th>status</th></tr>{targets}</table>",
            "<h2>Latency distributions</h2><div class='charts'>",
            *latency_charts(res),
            "</div><h2>Quality</h2><div class='charts'>",
            quality_chart(res),
            "</div>",
            *(
                [
                    "<h2>Scaling (our ingest and retrieval, no LLM)</h2>",
                    f"<p><small>Corpus N×: the article plus real prose from installed documentation "
                    f"({escape(json.dumps(corpus.get('prose_bytes_by_root', {})))} bytes available).</small></p>",
                    "<div class='charts'>",
                    *scaling,
                    "</div>",
                ]
                if scaling
                else []
            ),
            "<h2>Cases</h2>",
            _cases_table(res),
            "</body></html>",
        ]
    )


def _cell(v: Any) -> str:
    if v is None:
        return "-"
    if isinstance(v, float):
        return f"{v:.3f}"
    return escape(str(v))


def write_report(res: dict[str, Any], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(html_page(res), encoding="utf-8")


if __name__ == "__main__":
    src = Path(sys.argv[1] if len(sys.argv) > 1 else "bench/results.json")
    dest = Path(sys.argv[2]) if len(sys.argv) > 2 else src.with_name("report.html")
    write_report(json.loads(src.read_text(encoding="utf-8")), dest)
    print(f"wrote {dest}")
