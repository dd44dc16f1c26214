"""Pure render functions for the web chat: answers → chat markdown, citations → sources-panel HTML.

Nothing here touches Gradio, files or models, so every function is unit-tested directly. Document
text and model output are untrusted: everything they contribute is escaped, so HTML or script in a
document renders as inert text.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import PurePosixPath
from typing import Any

from rag.types import Answer, Citation, Sentence, Status

CONTEXT_CHARS = 280  # paragraph text kept on each side of a cited sentence
MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+!|~$])")
WARNING = "⚠️ "  # starts a problem shown in the page (not for refusals: those are calm answers)
TEMPLATE_CHARS = str.maketrans({"$": "&#36;", "{": "&#123;", "}": "&#125;", "`": "&#96;"})

EMPTY_SOURCES = (
    '<div class="rag-sources-empty">Cited passages appear here. '
    "Click a <span class='rag-cite-demo'>[1]</span> marker in an answer to jump to its sentence.</div>"
)


@dataclass(frozen=True)
class Turn:
    """One finished exchange of a conversation (kept per browser session)."""

    question: str
    answer: Answer


SEARCHED_NOTE = (
    "No passage was found to answer this. The passages searched closest to the question, for you to check:"
)
UNANSWERED_PART = "My answer to this part did not hold up against the sources."  # after "Not answered: <part>."


def shown(answer: Answer) -> list[Citation]:
    """What the sources panel shows for ``answer``: its citations, or the passages it searched."""
    return list(answer.citations) or answer.searched()


def anchor(turn: int, n: int) -> str:
    """The element id of citation ``n`` of turn ``turn`` in the sources panel."""
    return f"src-{turn}-{n}"


def escape_html(text: str) -> str:
    """Escape text for HTML, including the characters Gradio's HTML templates would interpret."""
    return html.escape(text, quote=True).translate(TEMPLATE_CHARS)


def escape_markdown(text: str) -> str:
    """Make untrusted text render literally in chat markdown: no tags, links, emphasis or LaTeX."""
    escaped = html.escape(text, quote=False)
    return MARKDOWN_SPECIAL.sub(r"\\\1", escaped)


def document_name(source: str) -> str:
    return PurePosixPath(source).name or source


def _sentence_markdown(sentence: Sentence, turn: int) -> str:
    """One checked sentence, escaped, with each citation number linked to its passage in the sources panel."""
    body, end = sentence.body_and_end()
    links = "".join(
        f'<a class="rag-cite" href="#{anchor(turn, n)}" title="show source {n}">[{n}]</a>' for n in sentence.citations
    )
    return escape_markdown(body) + (" " + links if links else "") + escape_markdown(end)


def draft_markdown(draft: str) -> str:
    """The answer while it streams: plain text, markers not yet linked, marked as unchecked."""
    if not draft.strip():
        return "*Searching the documents…*"
    return f"{escape_markdown(draft.strip())} ▍\n\n*Draft: checking it against the sources…*"


REFUSAL_NOTES = {
    Status.NOT_RELEVANT: "Nothing in the documents answers this. Try rephrasing, or add a document that covers it.",
    Status.DECLINED: "Nothing in the documents answers this. Try rephrasing, or add a document that covers it.",
    Status.UNSUPPORTED: (
        "I drafted an answer, but the sources did not support it, so I withdrew it. "
        "Try asking more specifically, or add a document that covers this."
    ),
    Status.ERROR: "The model failed while answering; try again.",
}


COMPUTED_NOTE = (
    "The difference in the last sentence is worked out here from the two figures of the sentence it cites; "
    "the source does not write it."
)


def answer_markdown(answer: Answer, turn: int) -> str:
    """The checked answer as chat markdown, with its ``[n]`` markers linked to the sources panel."""
    if answer.refused:
        look = " The passages searched closest to it are under Sources." if answer.searched() else ""
        return f"{escape_markdown(answer.answer)}\n\n*{REFUSAL_NOTES[answer.status]}{look}*"
    body = " ".join(_sentence_markdown(s, turn) for s in answer.sentences)
    notes = []
    if answer.quoted:
        notes.append(
            "My drafted answer did not hold up against the sources, so the sentence in quotes is the source's "
            "own sentence, word for word, checked to answer the question."
        )
    else:
        if answer.redrafted:
            notes.append(
                "My first reading found no answer in the sources; the short answer was read again from the "
                "source it cites and checked against it."
            )
        if answer.dropped:
            count = len(answer.dropped)
            what = "1 sentence" if count == 1 else f"{count} sentences"
            notes.append(f"{what} of the draft removed: the sources did not support {'it' if count == 1 else 'them'}.")
        if any(s.text.startswith("“") and s.text.endswith("”") for s in answer.sentences):
            notes.append(
                "The sentence in quotes is the source's own, word for word, checked to answer the part of your "
                "question my draft left out."
            )
    if answer.computed:
        notes.append(COMPUTED_NOTE)
    for part in answer.unanswered:
        notes.append(f"Not answered: “{escape_markdown(part)}”. {UNANSWERED_PART}")
    if answer.verified:
        notes.append("✓ Verified: each sentence says what the sentence it cites says.")
    return body + "".join(f"\n\n*{note}*" for note in notes)


def chat_messages(turns: Sequence[Turn], pending: str | None = None, draft: str = "") -> list[dict[str, str]]:
    """The Chatbot value (messages format): every finished turn, then the question being answered."""
    messages: list[dict[str, str]] = []
    for i, t in enumerate(turns):
        messages.append({"role": "user", "content": escape_markdown(t.question)})
        messages.append({"role": "assistant", "content": answer_markdown(t.answer, i)})
    if pending is not None:
        messages.append({"role": "user", "content": escape_markdown(pending)})
        messages.append({"role": "assistant", "content": draft_markdown(draft)})
    return messages


def history_of(turns: Sequence[Turn]) -> list[dict[str, str]]:
    """The conversation as OpenAI-style messages for the pipeline (checked answers, not drafts)."""
    history: list[dict[str, str]] = []
    for t in turns:
        history.append({"role": "user", "content": t.question})
        history.append({"role": "assistant", "content": t.answer.plain_text})
    return history


def paragraph_context(text: str, start: int, end: int, context: int = CONTEXT_CHARS) -> tuple[str, str, str]:
    """(before, cited, after): the line holding ``text[start:end]``, trimmed to ``context`` chars a side."""
    line_start = text.rfind("\n", 0, start) + 1
    line_end = text.find("\n", end)
    line_end = len(text) if line_end == -1 else line_end
    before, after = text[line_start:start], text[end:line_end]
    if len(before) > context:
        cut = before.find(" ", len(before) - context)
        before = "…" + before[cut + 1 if cut != -1 else len(before) - context :]
    if len(after) > context:
        cut = after.rfind(" ", 0, context)
        after = after[: cut if cut > 0 else context] + "…"
    return before, text[start:end], after


def location(citation: Citation) -> str:
    """Where a citation lies, for people: "page 12 · 3.2 Options", else the character range."""
    parts = []
    if citation.page is not None:
        parts.append(f"page {citation.page}")
    if citation.section:
        parts.append(citation.section.split(" > ")[-1])
    return " · ".join(parts) or f"characters {citation.start:,}–{citation.end:,}"


def citation_html(citation: Citation, document: str | None, turn: int, original: str | None = None) -> str:
    """One cited passage: document name, page and section (or character range), the sentence
    highlighted in its paragraph, an OCR note, and a link to ``original`` (the file's URL) at the page."""
    name = escape_html(document_name(citation.source))
    where = escape_html(location(citation))
    if citation.section:
        where = f'<span title="{escape_html(citation.section)}">{where}</span>'
    if citation.ocr:
        where += ' <span class="rag-src-ocr" title="recognised by OCR from a scanned page">OCR text</span>'
    if document is not None and document[citation.start : citation.end] == citation.text:
        before, cited, after = paragraph_context(document, citation.start, citation.end)
        note = ""
    else:  # the stored text is gone (an index from an older version): show only the indexed sentence
        before, cited, after = "", citation.text, ""
        note = '<div class="rag-src-note">The document changed since it was indexed.</div>'
    link = ""
    if original is not None:
        target = original + (f"#page={citation.page}" if citation.page is not None else "")
        label = f"open page {citation.page}" if citation.page is not None else "open the document"
        link = (
            f' <a class="rag-src-open" href="{escape_html(target)}" target="_blank" rel="noopener noreferrer">'
            f"{label} ↗</a>"
        )
    return (
        f'<article class="rag-src" id="{anchor(turn, citation.n)}">'
        f'<header><span class="rag-src-n">[{citation.n}]</span> '
        f'<span class="rag-src-doc" title="{escape_html(citation.source)}">{name}</span> '
        f'<span class="rag-src-pos">{where}</span>{link}</header>'
        f'<p class="rag-src-text">{escape_html(before)}<mark>{escape_html(cited)}</mark>{escape_html(after)}</p>'
        f"{note}</article>"
    )


def turn_sources_html(
    turn: Turn,
    index: int,
    documents: Mapping[str, str | None],
    latest: bool,
    originals: Mapping[str, str | None] | None = None,
) -> str:
    """The sources of one answer, in a collapsible section (the latest answer's is open)."""
    answer = turn.answer
    originals = originals or {}
    looked_at = [_as_written(c, documents.get(c.source)) for c in answer.searched()]
    if looked_at:
        body = f'<div class="rag-src-none">{SEARCHED_NOTE}</div>' + "".join(
            citation_html(c, documents.get(c.source), index, originals.get(c.source)) for c in looked_at
        )
    elif answer.refused or not answer.citations:
        body = '<div class="rag-src-none">No passage cited: the documents do not answer this.</div>'
    else:
        body = "".join(
            citation_html(c, documents.get(c.source), index, originals.get(c.source))
            for c in sorted(answer.citations, key=lambda c: c.n)
        )
    summary = f'<span class="rag-turn-n">Answer {index + 1}</span> {escape_html(turn.question)}'
    return f'<details class="rag-turn"{" open" if latest else ""}><summary>{summary}</summary>{body}</details>'


def _as_written(span: Citation, document: str | None) -> Citation:
    """A searched passage with the document's own text over its span: the passage joins its sentences
    with single spaces. Text that differs in more than spacing is left as it is (the document changed)."""
    written = document[span.start : span.end] if document is not None else None
    if written is None or written.split() != span.text.split():
        return span
    return replace(span, text=written)


def sources_html(
    turns: Sequence[Turn], documents: Mapping[str, str | None], originals: Mapping[str, str | None] | None = None
) -> str:
    """The sources panel: every answer's cited passages, newest first.

    ``documents`` maps each cited source to its extracted text as indexed (``None`` when it is not
    available); ``originals`` maps a source to the URL of its original file (PDFs), if any.
    """
    if not turns:
        return EMPTY_SOURCES
    sections = [
        turn_sources_html(t, i, documents, i == len(turns) - 1, originals) for i, t in reversed(list(enumerate(turns)))
    ]
    return '<div class="rag-sources">' + "".join(sections) + "</div>"


def details_markdown(answer: Answer | None) -> str:
    """How the latest answer was produced: the search query, the model and the stage timings."""
    if answer is None:
        return "*Ask a question to see how it was answered.*"
    t = answer.timings
    stages = [("retrieve", "retrieve_s"), ("first token", "ttft_s"), ("grounding", "ground_s"), ("total", "total_s")]
    timing = " · ".join(f"{label} {t[key]:.2f} s" for label, key in stages if key in t)
    searched = escape_markdown(answer.rewritten_question) if answer.rewritten_question else "the question as asked"
    lines = [
        f"**Searched for:** {searched}",
        f"**Timings:** {timing or 'n/a'}",
        f"**Model:** {escape_markdown(answer.model or 'unknown')}",
    ]
    lines.append(f"**Checked against the sources:** {check_summary(answer)}")
    return "\n\n".join(lines)


def check_summary(answer: Answer) -> str:
    """What grounding did to the draft, without repeating any unchecked text."""
    summaries = {
        Status.NOT_RELEVANT: "no draft: nothing in the documents was relevant enough to ask the model",
        Status.DECLINED: "the model declined: the passages do not answer this",
        Status.UNSUPPORTED: "the draft was withdrawn as unsupported",
        Status.ERROR: f"the model failed: {answer.error or 'unknown error'}",
    }
    if answer.status in summaries:
        return summaries[answer.status]
    if answer.computed:
        return "the difference asked for was worked out from the figures of the sentence it cites"
    if answer.quoted:
        return "the draft was withdrawn; the source sentence quoted instead was checked to answer the question"
    if answer.redrafted:
        return "the model first declined; its short answer read again from one passage was checked for meaning"
    if answer.dropped:
        return f"{len(answer.dropped)} unsupported sentence(s) removed; the rest confirmed"
    if answer.verified:
        return "every sentence confirmed by the passage it cites, and checked for meaning"
    return "every sentence confirmed by the passage it cites"


def feedback_record(turn: Turn, vote: str, when: datetime | None = None) -> dict[str, Any]:
    """One line of ``feedback.jsonl``: the question, the answer and its citations, the vote, the time."""
    data = turn.answer.to_json()
    return {
        "time": (when or datetime.now(UTC)).isoformat(timespec="seconds"),
        "vote": vote,
        "question": turn.question,
        "answer": data["answer"],
        "refused": data["refused"],
        "status": data["status"],
        "citations": data["citations"],
        "rewritten_question": data["rewritten_question"],
        "model": data["model"],
    }
