"""The answering pipeline: condense → hybrid retrieve → gate → select → generate (streamed) → ground."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
from langchain_core.embeddings import Embeddings
from langchain_core.language_models import BaseChatModel

from ingest.chunking import Chunk
from ingest.pipeline import ingest
from rag.answer import Answer
from rag.backends import explain_failure, make_chat_model
from rag.condense import condense
from rag.config import Settings
from rag.embeddings import make_embeddings
from rag.errors import InputError, ModelError
from rag.ground import MARKER, ground
from rag.prompts import REFUSAL, build_messages
from rag.retrieve import Passage, hybrid_search, passes_gate, select_passages
from rag.store import Index, read_manifest

HISTORY_TURNS = 6
HISTORY_CHARS = 600


@dataclass(frozen=True)
class Token:
    """A piece of the model's draft answer, streamed before grounding."""

    text: str


def clean_question(question: str, max_chars: int) -> str:
    """Validate a question: not empty, not binary, not over the length limit."""
    if not isinstance(question, str):
        raise InputError("the question must be text")
    if any("\ud800" <= ch <= "\udfff" for ch in question):  # how Python passes on undecodable bytes
        raise InputError(
            "the question is not valid UTF-8 text (it holds undecodable bytes); type it again, or set the "
            "terminal to UTF-8"
        )
    text = "".join(ch for ch in question if ch.isprintable() or ch in "\n\t").strip()
    if not text and question.strip():
        raise InputError("the question is empty (only control characters); type a question about the documents")
    if not text:
        raise InputError("the question is empty; type a question about the documents")
    if len(text) > max_chars:
        raise InputError(
            f"the question is {len(text):,} characters; the limit is {max_chars:,}. Ask something shorter "
            "(or raise max_question_chars)"
        )
    return text


def clean_history(history: Sequence[dict] | None) -> list[dict[str, str]]:
    """Validate OpenAI-style history and keep the last turns, without citation markers."""
    turns: list[dict[str, str]] = []
    for i, turn in enumerate(history or []):
        if not isinstance(turn, dict) or turn.get("role") not in ("user", "assistant"):
            raise InputError(f"history item {i} must be {{'role': 'user'|'assistant', 'content': ...}}")
        content = turn.get("content")
        if not isinstance(content, str):
            raise InputError(f"history item {i} has no text 'content'")
        turns.append({"role": turn["role"], "content": MARKER.sub("", content).strip()[:HISTORY_CHARS]})
    return turns[-HISTORY_TURNS:]


class Pipeline:
    """Answers questions from an index. Build it once per process; it is safe to share across chats."""

    def __init__(
        self, settings: Settings, index: Index, embeddings: Embeddings, llm: BaseChatModel, model_name: str
    ) -> None:
        self.settings = settings
        self.index = index
        self.embeddings = embeddings
        self.llm = llm
        self.model_name = model_name

    @classmethod
    def load(
        cls,
        settings: Settings,
        embeddings: Embeddings | None = None,
        llm_spec: str | None = None,
        sync_corpus: bool = False,
    ) -> Pipeline:
        """Load the embedding and chat models in parallel, then open the index.

        With ``sync_corpus`` (or when nothing was ingested yet) the corpus folder is ingested first;
        on an unchanged corpus that only hashes the files.
        """
        spec = llm_spec or settings.llm
        with ThreadPoolExecutor(max_workers=1) as pool:
            llm_future = pool.submit(make_chat_model, settings, spec)
            emb = embeddings or make_embeddings(settings.embeddings)
            if sync_corpus or read_manifest(settings) is None:
                ingest(settings, emb, progress=False)
            llm = llm_future.result()
        return cls(settings, Index.load(settings), emb, llm, spec)

    def reload_index(self) -> None:
        """Re-read the index after an ingest (e.g. an upload); readers keep the old view meanwhile."""
        self.index = Index.load(self.settings)

    # -- steps --------------------------------------------------------------------------------

    def _embed(self, texts: list[str]) -> np.ndarray:
        return np.asarray(self.embeddings.embed_documents(texts), dtype=np.float32)

    def _paragraph(self, index: Index) -> Callable[[Chunk], str]:
        """A chunk's paragraph and its neighbours: where a claim's names must appear ("the company"
        in one paragraph is named in the one before)."""

        def paragraph(chunk: Chunk) -> str:
            return " ".join(c.text for c in index.paragraph_window(chunk, extra=1))

        return paragraph

    def retrieve(self, query: str, index: Index | None = None) -> tuple[list[Passage], bool]:
        """Passages for ``query`` and whether they pass the relevance gate."""
        index = index or self.index
        hits = hybrid_search(index, self.embeddings, query, self.settings.candidates)
        passages = select_passages(index, hits, self.settings.top_k, self.settings.context_tokens)
        return passages, passes_gate(hits, self.settings.gate_threshold)

    def stream(self, question: str, history: Sequence[dict] | None = None) -> Iterator[Token | Answer]:
        """Yield the draft answer token by token, then the grounded ``Answer`` (always last)."""
        started = time.perf_counter()
        question = clean_question(question, self.settings.max_question_chars)
        turns = clean_history(history)
        rewritten = condense(question, turns)
        index = self.index  # one consistent view for this question
        passages, relevant = self.retrieve(rewritten or question, index)
        timings = {"retrieve_s": time.perf_counter() - started}
        result = Answer(
            question=question,
            answer=REFUSAL,
            refused=True,
            rewritten_question=rewritten,
            model=self.model_name,
            timings=timings,
        )
        result.retrieved = [
            {"n": p.n, "source": p.source, "start": p.chunks[0].start, "end": p.chunks[-1].end} for p in passages
        ]
        if not relevant or not passages:
            timings["ttft_s"] = timings["total_s"] = time.perf_counter() - started
            yield result
            return

        draft: list[str] = []
        try:
            for chunk in self.llm.stream(build_messages(question, passages, turns)):
                text = chunk.content if isinstance(chunk.content, str) else ""
                if not text:
                    continue
                if not draft:
                    timings["ttft_s"] = time.perf_counter() - started
                draft.append(text)
                yield Token(text)
        except Exception as exc:  # noqa: BLE001 - every backend failure reaches the user the same way
            raise ModelError(explain_failure(exc, self.model_name, self.settings)) from exc
        timings.setdefault("ttft_s", time.perf_counter() - started)
        result.draft = "".join(draft).strip()
        g_start = time.perf_counter()
        grounded = ground(result.draft, passages, self._embed, self._paragraph(index), question)
        timings["ground_s"] = time.perf_counter() - g_start
        if not grounded.refused:
            result.answer, result.citations, result.refused = grounded.text, grounded.citations, False
        result.dropped = grounded.dropped
        timings["total_s"] = time.perf_counter() - started
        yield result

    def answer(self, question: str, history: Sequence[dict] | None = None) -> Answer:
        """The grounded answer, without streaming."""
        return final_answer(self.stream(question, history))


def final_answer(events: Iterable[Token | Answer]) -> Answer:
    """Drain a ``stream()`` and return its ``Answer`` (always the last event)."""
    final = None
    for event in events:
        if isinstance(event, Answer):
            final = event
    if final is None:
        raise RuntimeError("the stream ended without an answer")
    return final
