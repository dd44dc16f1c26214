"""Sentence spans: pysbd's segmentation, located exactly in the source text.

The same segmenter cuts documents into chunks and answers into claims, so a claim and the sentence it
cites are cut the same way. pysbd is shown a masked copy of the text where it would cut inside a
sentence; every mask keeps the length, so spans still index the original text.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import lru_cache

import pysbd

MAX_SENTENCE_CHARS = 600

# A dot that opens a file name or extension rather than ending a sentence: "~/.bashrc", "/etc/.profile",
# "the .inputrc file", "(.deb)". The segmenter ends a sentence at "~/." and " .", so it is shown "_"
# there instead. After a space, an opening bracket or quote, only a name in lower case or capitals
# counts (".inputrc", ".NET"): "He left .Then she came." keeps its sentence end, and a straight quote
# may be a closing one ("He said 'yes'.No way.").
NAME_DOT = re.compile(r"(?<=[~/])\.(?=[A-Za-z0-9_])|(?:(?<=^)|(?<=[\s(`‘“]))\.(?=[a-z0-9_]|[A-Z]{2})")
# A bracket that closes a number or a letter: pysbd takes "1)", "2)" and "(a)", "(b)" in a row for the
# items of a list and starts a sentence at each. One after a dot and a space is not one ("(p. 4)").
ITEM_CLOSE = re.compile(r"(?<![\w.])(?<!\. )(?:\d{1,2}|[A-Za-z])\)")


@lru_cache(maxsize=1)
def _segmenter() -> pysbd.Segmenter:
    return pysbd.Segmenter(language="en", clean=False)


def _unlisted(text: str) -> str:
    """``text`` with the ")" of each "1)" or "a)" that closes a bracket opened inside a sentence shown as
    "_": "(file descriptor 1) and ... (file descriptor 2)", "reinstated (a) provisionally, ... and (b)
    permanently" and "(see ... page 71) is enabled" are one sentence each, not list items, hard-wrapped
    or not. An item whose bracketed label opens a line ("Options:\n(a) ...\n(b) ...") or that has no
    opening bracket ("Steps: 1) ... 2) ...") is still an item; "(p. 4)" keeps its bracket, which pysbd
    reads."""
    out = list(text)
    closes = {m.end() - 1 for m in ITEM_CLOSE.finditer(text)}
    opened: list[int] = []
    for i, ch in enumerate(text):
        if ch == "(":
            opened.append(i)
        elif ch == ")" and opened:
            start = opened.pop()
            label = i - start <= 3 and not text[text.rfind("\n", 0, start) + 1 : start].strip()
            if i in closes and not label:  # "(a)" opening a line labels an item; "(file\ndescriptor 1)" does not
                out[i] = "_"
    return "".join(out)


def strip_span(text: str, start: int, end: int) -> tuple[int, int]:
    """``(start, end)`` narrowed to exclude surrounding whitespace."""
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def _split_long(text: str, start: int, end: int, limit: int) -> Iterator[tuple[int, int]]:
    """Cut an over-long span at whitespace so that no piece exceeds ``limit`` characters."""
    while end - start > limit:
        cut = text.rfind(" ", start + limit // 2, start + limit)
        cut = cut if cut > start else start + limit
        s, e = strip_span(text, start, cut)
        if e > s:
            yield s, e
        start = cut
    s, e = strip_span(text, start, end)
    if e > s:
        yield s, e


def sentence_spans(
    text: str, start: int = 0, end: int | None = None, limit: int = MAX_SENTENCE_CHARS
) -> Iterator[tuple[int, int]]:
    """Yield ``(start, end)`` of each sentence in ``text[start:end]``, located exactly in ``text``.

    Line breaks (hard-wrapped text) are shown to the segmenter as spaces, the dot that opens a file
    name as "_" (``NAME_DOT``), and so is the bracket closing a parenthesised "1)" or "(a)"
    (``_unlisted``); the masks keep every offset, so spans still index the original text. No text is
    lost: what the segmenter skips or drops becomes a span of its own.
    """
    end = len(text) if end is None else end
    flat = NAME_DOT.sub("_", _unlisted(text[start:end])).replace("\n", " ")
    cursor = start
    for sentence in _segmenter().segment(flat):
        piece = sentence.strip()
        if not piece:
            continue
        found = flat.find(piece, cursor - start)
        found = found + start if found >= 0 else -1
        if found < 0:  # the segmenter altered the text; fall back to the rest of the span
            yield from _split_long(text, cursor, end, limit)
            return
        yield from _split_long(text, cursor, found, limit)
        yield from _split_long(text, found, found + len(piece), limit)
        cursor = found + len(piece)
    yield from _split_long(text, cursor, end, limit)  # text the segmenter dropped (":.??" loses "??")
