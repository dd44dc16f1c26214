"""Section headings in what retrieval reads (contextual chunk headers).

A sentence of a manual rarely names what its section is about: "Bash reads and executes commands from
~/.bashrc, if that file exists." never says "startup file", and no sentence of gnuplot's "Samples" page
says "gnuplot". Both are in the headings and the file name. So a chunk of a document with headings is
embedded, and indexed for BM25, as ``"<file name> - <its section's heading>: <sentence>"``; what is
shown and cited, and what the model and its checks read, stays the sentence itself. The stored vector
is the headed one, so grounding, the relevance gate and quote ranking compare with it too (a claim
repeating such a sentence word for word scores a median 0.80 against it, not 1.0, and as low as 0.43;
below grounding's cosine cut, grounding rests on the words they share). A document without headings
(plain text) is read as it is: one header shared by every sentence would only blur them. Window
vectors (``rag.windows``) carry no heading.

Measured with `rag eval --retrieval-only` on the dev part of `evals/debian-docs.yaml` (questions about
the Bash manual and gnuplot's page, written before this change): context recall 5/14 → 9/14, of which
BM25 alone gives 7/14; the article's suites are unchanged (plain text).

A sentence of a definition-list entry also carries the entry's term after the heading (``rag.entries``:
"bash reference manual - 4.3.1 The Set Builtin - pipefail: This option is disabled by default."), in
any document, with headings or without.
"""

from __future__ import annotations

import re
from pathlib import PurePath

from rag.types import SECTION_SEPARATOR, Chunk

SEPARATORS = re.compile(r"[-_.\s]+")


def heading(chunk: Chunk) -> str:
    """What the chunk sits under: its file name's words and its section's own heading ("bash reference
    manual - 6.2 Bash Startup Files"); "" for a chunk of a document without headings."""
    if not chunk.section:
        return ""
    name = SEPARATORS.sub(" ", PurePath(chunk.source).stem).strip()
    return f"{name} - {chunk.section.split(SECTION_SEPARATOR)[-1]}"


def retrieval_text(chunk: Chunk) -> str:
    """The text embedded and indexed for ``chunk``: its heading and its definition-list term
    (``rag.entries``), then the sentence."""
    head = " - ".join(part for part in (heading(chunk), chunk.term) if part)
    return f"{head}: {chunk.text}" if head else chunk.text
