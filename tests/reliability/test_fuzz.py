"""Property-based tests (hypothesis): the chunker, the citation parser and grounding, the suite loader.

Examples are kept modest (CI runs on 2 cores) and deadlines off (pysbd and the CPU are shared).
"""

from __future__ import annotations

import re
import tempfile
from functools import lru_cache
from pathlib import Path

import yaml
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from ingest.chunking import chunk_text
from rag.errors import InputError
from rag.eval import Suite, load_suite
from rag.ground import ground
from rag.text import MARKER, parse_markers, split_sentences
from rag.types import Passage, Status
from tests.conftest import ARTICLE
from tests.unit.helpers import BowEvidence, bow_embed, passages_from

FUZZ = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Text that stresses the sentence splitter: abbreviations, decimals, versions, quotes, odd line breaks.
PIECES = [
    "Dr. Smith",
    "U.S.",
    "22.5%",
    "GPT-3.5",
    "$500 billion",
    "e.g.",
    "...",
    "?!",
    '"Quoted."',
    "“Curly,” she said.",
    "(a) item",
    "1.",
    " ",
    "  ",
    "\n",
    "\n\n",
    "\r\n",
    "\t",
    "\u2028",
    "\u00a0",
    "\ufeff",
    "é",
    "日本語の文。",
    "🙂",
    "OpenAI",
    "said",
    "the",
    "model.",
    "Mr.",
    "No.",
    "[1]",
    "[2, 3]",
    "<b>x</b>",
    "a" * 70,
]
sentence_soup = st.lists(st.sampled_from(PIECES), max_size=60).map("".join)
any_text = st.one_of(st.text(max_size=400), sentence_soup, st.text(alphabet=" \n\r\t.!?a", max_size=200))


@FUZZ
@given(text=any_text, limit=st.sampled_from([8, 40, 600]))
@example(text="word " * 50, limit=8)
@example(text="\n\n  \n", limit=600)
@example(text="A.\u2028B. C\rD.", limit=600)
@example(text="A sentence that\nwraps. And more\nlines.\n\n# Head\nfive\nsix\n- item\nseven.\n", limit=600)
def test_chunk_offsets_map_back_exactly(text: str, limit: int) -> None:
    chunks = chunk_text(text, "doc.md", "sha", limit=limit)
    for i, c in enumerate(chunks):
        assert text[c.start : c.end] == c.text
        assert c.text and c.text == c.text.strip()
        assert c.para_start <= c.start < c.end <= c.para_end
        assert not re.search(r"\n[ \t]*\n", c.text)  # never across a paragraph break
        assert c.position == i
    spans = [(c.start, c.end) for c in chunks]
    assert spans == sorted(spans) and all(a[1] <= b[0] for a, b in zip(spans, spans[1:], strict=False))
    assert len({c.id for c in chunks}) == len(chunks)
    # No text is lost: every letter and digit of the document is inside some chunk (only sentences
    # with neither, such as ". . . ." leaders, are left out).
    covered = {i for s, e in spans for i in range(s, e)}
    lost = [ch for i, ch in enumerate(text) if ch.isalnum() and i not in covered]
    assert not lost, lost


@lru_cache(maxsize=1)
def _article_passages() -> tuple[list[Passage], object, str, dict[str, str]]:
    text = ARTICLE.read_text(encoding="utf-8")
    passages, chunks = passages_from(text, [[3, 4], [10], [20, 21, 22], [40], [60, 61]], source="a.txt")
    return passages, BowEvidence(chunks), text, {"a.txt": text}


def _sentences_of_passages() -> list[str]:
    passages = _article_passages()[0]
    return [c.text for p in passages for c in p.chunks]


marker = st.one_of(
    st.integers(-3, 12).map(lambda n: f" [{n}]"),
    st.just(" [1, 2]"),
    st.just(" [2; 9]"),
    st.just(" [" + "9" * 60 + "]"),
    st.just("[]"),
    st.just(" [x]"),
)
answer_part = st.one_of(
    st.sampled_from(_sentences_of_passages()),
    st.text(max_size=80),
    st.sampled_from(PIECES),
    marker,
    st.sampled_from(["The documents do not say.", "It is 9000.", "Sam Altman said so.", ". ", "\n"]),
)
answers = st.lists(answer_part, max_size=12).map(" ".join)


@FUZZ
@given(answer=answers, question=st.one_of(st.text(max_size=60), st.just("How many people use ChatGPT?")))
@example(answer="OpenAI [1] [2] [" + "7" * 5000 + "].", question="")
def test_ground_never_crashes_and_cites_only_the_given_passages(answer: str, question: str) -> None:
    passages, evidence, text, _ = _article_passages()
    allowed = {(c.source, c.start, c.end, c.text) for p in passages for c in p.chunks}
    g = ground(answer, passages, bow_embed, evidence, question)
    assert (g.status is Status.ANSWERED) == bool(g.citations)
    if g.status is not Status.ANSWERED:
        assert g.text == "" and not g.sentences
    for c in g.citations:
        assert (c.source, c.start, c.end, c.text) in allowed
        assert text[c.start : c.end] == c.text
    assert [c.n for c in g.citations] == list(range(1, len(g.citations) + 1))
    used = {n for s in g.sentences for n in s.citations}
    assert used == {c.n for c in g.citations}  # every citation is used by a sentence, none is invented


@FUZZ
@given(text=st.one_of(answers, st.text(max_size=300)))
def test_parse_markers_and_split_sentences_never_crash(text: str) -> None:
    body, numbers = parse_markers(text)
    assert all(isinstance(n, int) for n in numbers)
    assert not MARKER.search(body)
    sentences = split_sentences(text)
    assert all(s and s == s.strip() for s in sentences)
    # Splitting only moves markers before the full stop; no character is lost or invented.
    assert sorted(re.sub(r"\s", "", "".join(sentences))) == sorted(re.sub(r"\s", "", text.strip()))


YAML_BITS = [
    "- id: a\n",
    "- id: ",
    "  question: What?\n",
    "  question: ",
    "  expect: [x]\n",
    "  expect: ['/[/']\n",
    "  expect: ",
    "  cite: [y]\n",
    "  refuse: true\n",
    "  refuse: maybe\n",
    "  history: [{role: user, content: hi}]\n",
    "  history: [{role: robot}]\n",
    "cases:\n",
    "thresholds: {pass_rate: 0.5}\n",
    "thresholds: {pass_rate: high}\n",
    "2001-13-45",
    "0x1F",
    "!!binary xyz",
    "!!python/object:os.system",
    "&a ",
    "*a",
    "*b",
    "<<: *a\n",
    "? ",
    ": ",
    "- ",
    "[",
    "]",
    "{",
    "}",
    "'",
    '"',
    "\t",
    "\n",
    "  ",
    "~",
    "null",
    "%YAML 1.1\n---\n",
    "--- ",
    "...\n",
    "#",
    "é",
    "\x00",
    "\ufeff",
]
json_like = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(max_size=10)),
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(
            st.sampled_from(["id", "question", "expect", "cases", "refuse", "thresholds", "x"]), children, max_size=4
        ),
    ),
    max_leaves=12,
)
suite_bytes = st.one_of(
    st.lists(st.sampled_from(YAML_BITS), max_size=25).map(lambda bits: "".join(bits).encode("utf-8")),
    json_like.map(lambda data: yaml.safe_dump(data).encode("utf-8")),
    st.text(max_size=200).map(lambda t: t.encode("utf-8", "surrogatepass")),
    st.binary(max_size=200),
)


@FUZZ
@given(data=suite_bytes)
@example(data=b"\xff\xfe- id: a\n")
@example(data=b"a: 2001-13-45\n")
@example(data=b"[" * 3000)
def test_load_suite_returns_a_suite_or_raises_input_error(data: bytes) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "suite.yaml"
        path.write_bytes(data)
        try:
            suite = load_suite(path)
        except InputError as exc:
            assert str(exc)
        else:
            assert isinstance(suite, Suite)
