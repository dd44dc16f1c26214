"""Reports: the terminal table, ``summary.json``, ``results.jsonl`` and a self-contained ``report.html``
rendered from a Jinja2 template (autoescaped), with charts drawn by matplotlib as inline SVG.

The chart helpers here also draw ``rag bench``'s report. The SVG is made to live inside one HTML page
that loads nothing: text stays text (``svg.fonttype: none``, no embedded glyphs), no XML prolog or
DTD, the marker and tick shapes matplotlib references with ``<use xlink:href>`` are copied in place,
and element ids are dropped except clip paths, which get a per-chart prefix so that several charts on
a page do not collide. Output is deterministic (``svg.hashsalt``, no date): rendering twice gives the
same bytes.
"""

from __future__ import annotations

import copy
import hashlib
import io
import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from rag.scoring import METRICS
from rag.types import Status

SVG_NS = "http://www.w3.org/2000/svg"
XLINK_HREF = "{http://www.w3.org/1999/xlink}href"

# -- charts ----------------------------------------------------------------------------------------

OURS, NAIVE, GREY = "#2563eb", "#d97706", "#9ca3af"
PALETTE = (OURS, "#16a34a", NAIVE, "#9333ea", "#dc2626", "#0891b2")
RC = {
    "svg.fonttype": "none",
    "svg.hashsalt": "rag-report",
    "text.parse_math": False,  # a "$" in a label is text, never mathtext
    "font.family": "sans-serif",
    "font.sans-serif": ["DejaVu Sans"],  # the font the layout was measured with; the page falls back to sans-serif
    "font.size": 8,
    "axes.titlesize": 9,
    "axes.titleweight": "bold",
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.color": "#eeeeee",
    "legend.fontsize": 7,
    "legend.framealpha": 0.85,
}
SIZE = (4.4, 2.8)  # inches at 72 pt/inch in the SVG: about 317 x 202 px

ET.register_namespace("", SVG_NS)
_URL = re.compile(r"url\(#([^)]+)\)")
_LONG_DECIMAL = re.compile(r"(-?\d+\.\d{2})\d+")
GEOMETRY = ("d", "transform", "x", "y", "width", "height")


@dataclass
class Line:
    """One series of a line chart."""

    label: str
    xs: Sequence[float]
    ys: Sequence[float]
    color: str = OURS
    dashed: bool = False
    step: bool = False  # a step function (an empirical CDF)
    markers: bool = True


def ecdf(label: str, values: Sequence[float], color: str = OURS) -> Line:
    """The empirical cumulative distribution of ``values`` as a step line."""
    xs = sorted(values)
    return Line(label, xs, [(i + 1) / len(xs) for i in range(len(xs))], color, step=True, markers=False)


def _new_figure(size: tuple[float, float] = SIZE) -> Any:
    from matplotlib.figure import Figure  # no pyplot: no global state, no GUI backend

    return Figure(figsize=size, layout="constrained")


def line_chart(
    lines: Sequence[Line],
    title: str,
    xlabel: str,
    ylabel: str,
    logx: bool = False,
    logy: bool = False,
    ylim: tuple[float, float] | None = None,
) -> str:
    """Lines (or CDF steps) with axes, grid and a legend, as inline SVG."""
    import matplotlib

    with matplotlib.rc_context(RC):
        fig = _new_figure()
        ax = fig.subplots()
        drawn = 0
        for line in lines:
            pts = [(x, y) for x, y in zip(line.xs, line.ys, strict=True) if (not logx or x > 0) and (not logy or y > 0)]
            if not pts:
                continue
            xs, ys = zip(*pts, strict=True)
            style = {"color": line.color, "linestyle": "--" if line.dashed else "-", "linewidth": 1.6}
            if line.step:
                ax.step([xs[0], *xs], [0.0, *ys], where="post", label=line.label, **style)
            else:
                ax.plot(xs, ys, marker="o" if line.markers else None, markersize=3.5, label=line.label, **style)
            drawn += 1
        if not drawn:
            ax.text(0.5, 0.5, "no data", ha="center", va="center", transform=ax.transAxes)
        if logx and drawn:
            _log_axis(ax, "x", [x for line in lines for x in line.xs if x > 0])
        if logy and drawn:
            _log_axis(ax, "y", [y for line in lines for y in line.ys if y > 0])
        if ylim is not None:
            ax.set_ylim(*ylim)
        ax.set_title(title)
        ax.set_xlabel(xlabel)
        ax.set_ylabel(ylabel)
        if drawn:
            ax.legend(loc="best")
        return to_svg(fig, title)


def _number(value: float, _pos: Any = None) -> str:
    """A tick label without mathtext: 20, 0.5, 1k, 2.5M."""
    if abs(value) >= 1e6:
        return f"{value / 1e6:g}M"
    return f"{value / 1000:g}k" if abs(value) >= 1000 else f"{value:g}"


def _log_axis(ax: Any, which: str, values: Sequence[float]) -> None:
    """A log scale labelled with plain numbers: ticks at 1, 2, 5 × 10^k over less than 3 decades, else 10^k."""
    from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

    getattr(ax, f"set_{which}scale")("log")
    axis = getattr(ax, f"{which}axis")
    decades = np.log10(max(values) / min(values)) if values else 0
    axis.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 5.0) if decades < 3 else (1.0,)))
    axis.set_major_formatter(FuncFormatter(_number))
    axis.set_minor_formatter(NullFormatter())


def bar_chart(
    groups: Sequence[str],
    series: Sequence[tuple[str, Sequence[float | None]]],
    title: str,
    ylabel: str = "score",
    colors: Sequence[str] = PALETTE,
) -> str:
    """Grouped bars on a 0..1 scale (quality metrics): one group per metric, one bar per series."""
    import matplotlib

    with matplotlib.rc_context(RC):
        fig = _new_figure((max(SIZE[0], 1.2 + 0.32 * len(groups) * max(1, len(series))), SIZE[1] + 0.4))
        ax = fig.subplots()
        width = 0.8 / max(1, len(series))
        for si, (name, values) in enumerate(series):
            xs = [gi + (si - (len(series) - 1) / 2) * width for gi in range(len(groups))]
            heights = [0.0 if v is None else v for v in values]
            bars = ax.bar(xs, heights, width * 0.92, label=name, color=colors[si % len(colors)])
            labels = ["-" if v is None else f"{v:.2f}" for v in values]
            ax.bar_label(bars, labels=labels, fontsize=6, padding=1)
        ax.set_xticks(range(len(groups)), list(groups), rotation=30, ha="right")
        ax.set_ylim(0, 1.12)
        ax.set_ylabel(ylabel)
        ax.set_title(title)
        ax.grid(axis="x", visible=False)
        if series:
            fig.legend(loc="outside lower center", ncols=min(3, len(series)))
        return to_svg(fig, title)


def to_svg(fig: Any, label: str) -> str:
    """``fig`` as an ``<svg>`` element that references nothing outside itself."""
    buf = io.StringIO()
    fig.savefig(buf, format="svg")  # its <metadata> (date, creator) is dropped below
    return self_contained(buf.getvalue(), label)


def self_contained(svg: str, label: str) -> str:
    """Inline ``<use>`` references, drop metadata and ids, prefix the ids that ``url(#...)`` needs."""
    root = ET.fromstring(svg)
    by_id = {el.get("id"): el for el in root.iter() if el.get("id")}
    for parent in list(root.iter()):
        for i, child in enumerate(list(parent)):
            if child.tag == f"{{{SVG_NS}}}metadata":
                parent.remove(child)
            elif child.tag == f"{{{SVG_NS}}}use":
                target = by_id.get((child.get(XLINK_HREF) or child.get("href") or "").lstrip("#"))
                group = ET.Element(f"{{{SVG_NS}}}g")
                group.set("transform", f"translate({child.get('x', '0')} {child.get('y', '0')})")
                if child.get("style"):
                    group.set("style", child.get("style", ""))
                if target is not None:
                    group.append(copy.deepcopy(target))
                parent[i] = group
    text = ET.tostring(root, encoding="unicode")
    prefix = "c" + hashlib.sha1(text.encode()).hexdigest()[:8]
    for el in root.iter():
        if el.tail is not None and not el.tail.strip():
            el.tail = None
        if el.text is not None and not el.text.strip() and el.tag != f"{{{SVG_NS}}}text":
            el.text = None
        for key, value in list(el.attrib.items()):
            if key == XLINK_HREF or key == "href":
                del el.attrib[key]
            elif key in GEOMETRY and el is not root:  # 1/100 px is plenty; halves the page
                el.set(key, " ".join(_LONG_DECIMAL.sub(r"\1", value).split()))
            elif "url(#" in value:
                el.set(key, _URL.sub(lambda m: f"url(#{prefix}-{m.group(1)})", value))
    needed = {m.group(1) for el in root.iter() for v in el.attrib.values() for m in _URL.finditer(v)}
    for el in root.iter():
        ident = el.get("id")
        if ident is not None:
            if f"{prefix}-{ident}" in needed:
                el.set("id", f"{prefix}-{ident}")
            else:
                del el.attrib["id"]
    root.set("role", "img")
    root.set("aria-label", label)
    return ET.tostring(root, encoding="unicode")


# -- templates -------------------------------------------------------------------------------------


def fmt(value: Any, digits: int = 3) -> str:
    """A table cell: ``-`` for missing, fixed decimals for floats."""
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:.{digits}f}" if abs(value) < 1000 else f"{value:,.0f}"
    return str(value)


TEMPLATES = Path(__file__).resolve().parent / "templates"


def render(directory: Path, template: str, **context: Any) -> str:
    """Render ``directory/template`` (package data: ``rag/templates``, ``bench/templates``). HTML is
    autoescaped, Markdown (``*.md.j2``) is not; pass SVG charts through ``svg()``."""
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(directory),
        autoescape=not template.endswith(".md.j2"),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["fmt"] = fmt
    return env.get_template(template).render(**context)


def svg(markup: str) -> Any:
    """Mark a chart from ``line_chart``/``bar_chart`` as safe to insert unescaped (its text is escaped XML)."""
    from markupsafe import Markup

    return Markup(markup)  # noqa: S704 - produced by ElementTree, which escapes every text and attribute


# -- the eval report -------------------------------------------------------------------------------

SUMMARY_ROWS = ["cases", "passed", *METRICS]


def terminal_table(summaries: dict[str, dict[str, Any]]) -> str:
    """Metrics as rows, backends as columns; then the answers per status, and the count behind each rate
    with its 95% interval."""
    names = list(summaries)
    statuses = [s.value for s in Status if any(summ.get("status", {}).get(s.value) for summ in summaries.values())]
    rows = [(m, [fmt(summaries[n].get(m)) for n in names]) for m in SUMMARY_ROWS]
    rows += [(f"status {s}", [str(summaries[n].get("status", {}).get(s, 0)) for n in names]) for s in statuses]
    bands = [m for m in SUMMARY_ROWS if any(m in summ.get("intervals", {}) for summ in summaries.values())]
    band_rows = [(m, [band_text(summaries[n].get("intervals", {}).get(m)) for n in names]) for m in bands]
    width = max(len(m) for m, _ in rows) + 2
    cols = [max(12, len(n) + 2, *(len(cells[i]) + 2 for _, cells in band_rows)) for i, n in enumerate(names)]

    def line(label: str, cells: list[str]) -> str:
        return label.ljust(width) + "".join(c.rjust(w) for c, w in zip(cells, cols, strict=True))

    lines = [line("metric", names)]
    lines += ["-" * len(lines[0]), *(line(m, cells) for m, cells in rows)]
    if band_rows:
        lines += ["", line("count, 95% interval", names), *(line(m, cells) for m, cells in band_rows)]
    return "\n".join(lines)


def band_text(band: dict[str, Any] | None) -> str:
    """``12/21 0.37-0.75``: the count behind a rate and its interval; ``-`` when there is none."""
    return "-" if not band else f"{band['k']}/{band['n']} {band['low']:.2f}-{band['high']:.2f}"


def eval_charts(summaries: dict[str, dict[str, Any]], rows: dict[str, list[dict[str, Any]]]) -> list[Any]:
    """Quality metrics per backend (bars), and the answer-time distribution per backend (CDF)."""
    quality = [m for m, higher in METRICS.items() if higher]
    bars = bar_chart(
        [m.replace("_", " ") for m in quality],
        [(name, [s.get(m) for m in quality]) for name, s in summaries.items()],
        "Quality per backend",
    )
    cdfs = [
        ecdf(name, [r["timings"]["total_s"] for r in lines if r["status"] != "error" and "total_s" in r["timings"]])
        for name, lines in rows.items()
    ]
    for i, line in enumerate(cdfs):
        line.color = PALETTE[i % len(PALETTE)]
    times = line_chart(cdfs, "Answer time (CDF)", "seconds", "share of questions", ylim=(0, 1.02))
    return [svg(bars), svg(times)]


def html_report(summaries: dict[str, dict[str, Any]], rows: dict[str, list[dict[str, Any]]], title: str) -> str:
    """One HTML page, no external assets: summary table, statuses, charts, per-case table per backend."""
    return render(
        TEMPLATES,
        "eval_report.html.j2",
        title=title,
        names=list(summaries),
        summaries=summaries,
        metrics=SUMMARY_ROWS,
        statuses=[s.value for s in Status],
        charts=eval_charts(summaries, rows),
        rows=rows,
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
