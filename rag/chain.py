"""The answering pipeline: condense → hybrid retrieve → gate → select → generate (streamed) → ground."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace

import numpy as np
from langchain_core.embeddings import Embeddings
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import HumanMessage, SystemMessage

from rag.backends import explain_failure, make_chat_model
from rag.calculate import calculate
from rag.condense import condense, standalone
from rag.config import Settings
from rag.embeddings import make_embeddings
from rag.errors import IndexError_, InputError, ModelError
from rag.ground import ground
from rag.judge import AnswerCheck, Judge, make_answer_check, make_judge, short_replies
from rag.prompts import SYSTEM_PROMPT, build_messages, judge_messages, own_answer_messages, quote_messages
from rag.quote import complete, quote, withdrawn_parts
from rag.redraft import make_redrafter
from rag.retrieve import Retrieval, Retriever
from rag.store import Index
from rag.text import strip_markers
from rag.types import Answer, Passage, Status
from rag.verify import copy_start, verify, word_runs

LOG = logging.getLogger(__name__)
HISTORY_TURNS = 6
STALE_CHECK_S = 1.0  # how often a question may ask a shared store whether another replica committed
HISTORY_CHARS = 600
RECITAL = word_runs(SYSTEM_PROMPT)  # a draft repeating six words of the rules in a row is reciting them
QUOTABLE = frozenset({Status.UNSUPPORTED})  # the draft's every claim was withdrawn
COMPLETABLE = frozenset({Status.ANSWERED, Status.UNSUPPORTED})  # not when the model said the documents do not say


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
        turns.append({"role": turn["role"], "content": strip_markers(content).strip()[:HISTORY_CHARS]})
    return turns[-HISTORY_TURNS:]


class Pipeline:
    """Answers questions from an index. Build it once per process; it is safe to share across chats."""

    def __init__(
        self,
        settings: Settings,
        index: Index,
        embeddings: Embeddings,
        llm: BaseChatModel,
        model_name: str,
        checker: BaseChatModel | None = None,
    ) -> None:
        """``checker`` answers the one-token checks (default: ``llm``, which drafts the answers)."""
        self.settings = settings
        self.index = index
        self.embeddings = embeddings
        self.llm = llm
        self.model_name = model_name
        checks = checker or llm
        self._judge = make_judge(checks, model_name, settings)  # built once: a capped copy, not one per question
        self._answers: AnswerCheck | None = make_answer_check(checks, model_name, settings)
        self._redraft = make_redrafter(checks, model_name, settings)
        self._reload_lock = threading.Lock()
        self._checked_at = time.monotonic()

    @classmethod
    def load(
        cls,
        settings: Settings,
        embeddings: Embeddings | None = None,
        llm_spec: str | None = None,
        prepare: Callable[[Embeddings], object] | None = None,
    ) -> Pipeline:
        """Load the embedding and chat models in parallel, then open the index.

        ``prepare`` runs with the embedding model while the chat model loads: the command line and
        the web chat pass an ingest of the corpus here (the core itself never ingests).
        """
        spec = llm_spec or settings.llm
        with ThreadPoolExecutor(max_workers=1) as pool:
            llm_future = pool.submit(make_chat_model, settings, spec)
            emb = embeddings or make_embeddings(settings)
            if prepare is not None:
                prepare(emb)
            llm = llm_future.result()
        return cls(settings, Index.load(settings), emb, llm, spec)

    def reload_index(self) -> None:
        """Re-read the index after an ingest (e.g. an upload); readers keep the old view meanwhile."""
        self.index = Index.load(self.settings)

    def refresh_index(self) -> bool:
        """Reload the index when another replica committed to the shared store since this view was read
        (its generation moved). Asks the store at most once per ``STALE_CHECK_S``; a no-op for a local
        index, which no other process writes. Questions already running keep their view, and so does
        this one when the new state cannot be read (e.g. a replica committed a version of a document
        that another replica's ingest had just replaced) or the store does not answer (an outage: the
        view in memory, vectors included, keeps answering; the warning names the server): the next
        check tries again. Returns whether it reloaded."""
        store, seen = self.index.store, self.index.generation
        if store is None or not store.shared or time.monotonic() - self._checked_at < STALE_CHECK_S:
            return False
        with self._reload_lock:
            if time.monotonic() - self._checked_at < STALE_CHECK_S or self.index.generation != seen:
                return False  # another question checked (or reloaded) meanwhile
            self._checked_at = time.monotonic()
            try:
                if store.generation() == seen:
                    return False
                self.reload_index()
            except IndexError_ as exc:
                LOG.warning("kept the previous index view: %s", exc)
                return False
            finally:
                self._checked_at = time.monotonic()
            return True

    def retriever(self, index: Index | None = None) -> Retriever:
        """The hybrid retriever over ``index`` (default: the current view), configured by the settings."""
        return Retriever.configured(index or self.index, self.embeddings, self.settings)

    def retrieve(self, query: str, index: Index | None = None) -> Retrieval:
        """Passages for ``query`` and whether they pass the relevance gate."""
        return self.retriever(index).retrieve(query)

    def judge(self) -> Judge | None:
        """The chat model as a yes/no verifier of claims, when ``verify_with_model`` is on."""
        return self._judge

    def warm_up(self) -> None:
        """Fill the model's prompt cache with the fixed prefixes (the answer prompt's system prompt, the
        checker's system prompt and worked examples, the second opinion's and the quote check's system
        prompts) by asking for one token of each, so the first question does not pay for them: measured
        ~7 s for the checker's ~450 tokens on 2 cores. A failure is only logged; the first question then
        reports the real problem."""
        one = short_replies(self.llm, 1)
        prefixes = [[SystemMessage(SYSTEM_PROMPT), HumanMessage("Sources:")]]
        if self._judge is not None:
            prefixes.append(judge_messages("Sources.", "Question?", "Answer."))
            if self.settings.judge_sure > self.settings.judge_threshold or self._redraft is not None:  # own answers
                prefixes.append(own_answer_messages("Sources.", "Question?"))
        if self._answers is not None:
            prefixes.append(quote_messages("Sentence.", "Question?"))
        for messages in prefixes:
            try:
                one.invoke(messages)
            except Exception as exc:  # noqa: BLE001 - a warm-up must never stop the server
                LOG.warning("could not warm up the model's prompt cache: %s", exc)
                return

    def _embed(self, texts: list[str]) -> np.ndarray:
        return np.asarray(self.embeddings.embed_documents(texts), dtype=np.float32)

    def stream(self, question: str, history: Sequence[dict] | None = None) -> Iterator[Token | Answer]:
        """Yield the draft answer token by token, then the grounded ``Answer`` (always last)."""
        started = time.perf_counter()
        question = clean_question(question, self.settings.max_question_chars)
        turns = clean_history(history)
        rewritten = condense(question, turns)
        resolved = standalone(question, turns)  # "she" named, for the checks after generation
        checked = resolved or question
        self.refresh_index()  # another replica's commit shows within STALE_CHECK_S
        index = self.index  # one consistent view for this question
        found = self.retrieve(rewritten or question, index)
        timings = {"retrieve_s": time.perf_counter() - started}
        common = {
            "question": question,
            "rewritten_question": rewritten,
            "model": self.model_name,
            "timings": timings,
            "retrieved": tuple(found.passages),
        }
        if not found.relevant:
            timings["ttft_s"] = timings["total_s"] = time.perf_counter() - started
            yield Answer(status=Status.NOT_RELEVANT, **common)
            return

        pieces: list[str] = []
        try:
            for chunk in self.llm.stream(build_messages(question, found.passages, turns)):
                text = chunk.content if isinstance(chunk.content, str) else ""
                if not text:
                    continue
                if not pieces:
                    timings["ttft_s"] = time.perf_counter() - started
                pieces.append(text)
                if (cut := copy_start("".join(pieces), RECITAL)) is not None:
                    # The model is reciting its instructions: stop it, and neither show nor keep the recital.
                    pieces = ["".join(pieces)[:cut]]
                    break
                yield Token(text)
        except Exception as exc:  # noqa: BLE001 - every backend failure reaches the user the same way
            raise ModelError(explain_failure(exc, self.model_name, self.settings)) from exc
        timings.setdefault("ttft_s", time.perf_counter() - started)
        draft = "".join(pieces).strip()
        g_start = time.perf_counter()
        grounded = ground(draft, found.passages, self._embed, index, checked)
        timings["ground_s"] = time.perf_counter() - g_start
        v_start = time.perf_counter()
        grounded, checks = verify(checked, grounded, index, SYSTEM_PROMPT, self.judge())
        timings["verify_s"] = time.perf_counter() - v_start
        quoted = None
        asked = resolved or rewritten or question  # what quotes are searched for and checked against
        draft_declined = grounded.status is Status.DECLINED
        if draft_declined and self._redraft is not None:
            r_start = time.perf_counter()
            redrafted, tried = self._redraft(asked, checked, found.passages, index, self._embed)
            timings["redraft_s"] = time.perf_counter() - r_start
            checks, grounded = [*checks, *tried], redrafted or grounded
        redrafted_answer = grounded.status is Status.ANSWERED and draft_declined
        if grounded.status in QUOTABLE and self._answers is not None:
            q_start = time.perf_counter()
            quoted, tried = quote(asked, found.passages, index, self._embed, self._answers)
            timings["quote_s"] = time.perf_counter() - q_start
            checks = [*checks, *tried]
            if quoted is not None:
                grounded = replace(quoted, dropped=grounded.dropped)
        if grounded.status in COMPLETABLE and self._answers is not None:  # a part of the question left out
            p_start, drafted = time.perf_counter(), grounded.status is Status.ANSWERED and quoted is None
            find = self._relevant_passages(index)
            grounded, tried = complete(asked, grounded, find, index, self._embed, self._answers)
            timings["parts_s"] = time.perf_counter() - p_start
            checks = [*checks, *tried]
            quoted = quoted or (None if drafted or grounded.status is not Status.ANSWERED else grounded)
        grounded, computed = calculate(asked, grounded, found.passages, index, self._answers)  # "by how much?"
        checks = [*checks, *computed]
        # A part whose drafted answer was withdrawn, and nothing checked replaced, is said, not left out silently.
        unanswered = tuple(withdrawn_parts(asked, grounded)) if grounded.status is Status.ANSWERED else ()
        timings["total_s"] = time.perf_counter() - started
        yield Answer(
            status=grounded.status,
            sentences=grounded.sentences,
            citations=grounded.citations,
            draft=draft,
            dropped=grounded.dropped,
            checks=tuple(f"{c.rule}: {c.sentence.text}" for c in checks),
            quoted=quoted is not None,
            redrafted=redrafted_answer,
            computed=any(c.kept for c in computed),
            unanswered=unanswered,
            **common,
        )

    def _relevant_passages(self, index: Index) -> Callable[[str], Sequence[Passage] | None]:
        """A search of ``index`` that gives the passages for a query, or None when the gate finds none."""

        def find(query: str) -> Sequence[Passage] | None:
            found = self.retrieve(query, index)
            return found.passages if found.relevant else None

        return find

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
