"""How ``rag ask`` and ``rag chat`` print an answer's notes and sources in a terminal."""

from __future__ import annotations

import typer

from rag.types import Answer, Citation, Status

WHY_REFUSED = {
    Status.NOT_RELEVANT: "nothing in the documents is close enough to the question",
    Status.DECLINED: "the model found no answer in the passages",
    Status.UNSUPPORTED: "the draft was withdrawn: the passages do not support it",
    Status.ERROR: "the model failed",
}


def print_sources(answer: Answer) -> None:
    """Under the answer: why it refused, or which part of the question it left unanswered; then its
    citations, or the passages it searched when it found no answer."""
    notes = [WHY_REFUSED[answer.status]] if answer.refused else [f"not answered: {p}" for p in answer.unanswered]
    for note in notes:
        typer.secho(f"  ({note})", dim=True)
    searched = answer.searched()
    if searched:
        typer.secho("  passages searched, for you to check:", dim=True)
    for c in answer.citations or searched:
        _print_span(c)


def _print_span(c: Citation) -> None:
    """``[n] source:start-end, page, section (OCR)`` in colour, then the passage's text."""
    where = "".join(
        [f", page {c.page}" if c.page else "", f", {c.section}" if c.section else "", " (OCR)" if c.ocr else ""]
    )
    typer.secho(f"  [{c.n}] {c.source}:{c.start}-{c.end}{where}", fg=typer.colors.CYAN, nl=False)
    typer.echo(f"  {c.text}")
