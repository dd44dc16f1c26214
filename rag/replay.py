"""``rag eval --drafts``: re-check the drafts a previous run recorded instead of generating them anew.

Generating a draft is most of an evaluation's time (2-3 s a question on 2 cores); grounding,
verification and quoting take about one more. A change to those checks is measured three to four times
faster by reading back the drafts a previous ``rag eval --report`` wrote to ``results.jsonl``:
retrieval, the gate, grounding, verification and quoting run for real, and the chat model still
answers the one-token checks. The outcomes are exactly those of a full run as long as retrieval and the
answer prompt are unchanged (a changed passage list gets the same draft, which may then cite the wrong
passage); time to first token is not measured.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatResult

from rag.chain import Pipeline
from rag.errors import InputError
from rag.eval import Suite
from rag.prompts import QUESTION_LABEL, inert


class RecordedDrafts(BaseChatModel):
    """A chat model that answers each question with the draft recorded for it."""

    drafts: dict[str, str]  # the question as the answer prompt carries it -> the recorded draft

    @property
    def _llm_type(self) -> str:
        return "recorded-drafts"

    def _generate(self, messages: list[BaseMessage], stop: Any = None, run_manager: Any = None, **_: Any) -> ChatResult:
        question = str(messages[-1].content).rpartition(QUESTION_LABEL)[2]
        if question not in self.drafts:
            raise LookupError(
                f"no recorded draft for {question!r}: the recorded run did not ask the model this question "
                "(its retrieval found nothing relevant); run the suite in full"
            )
        return ChatResult(generations=[ChatGeneration(message=AIMessage(content=self.drafts[question]))])


def load_drafts(path: Path, suite: Suite) -> dict[str, str]:
    """The recorded draft of every case of ``suite``, keyed by its question, from a ``results.jsonl``."""
    try:
        lines = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise InputError(f"cannot read recorded drafts {path}: {exc}") from None
    recorded = {line.get("id"): line for line in lines if isinstance(line, dict) and "draft" in line}
    missing = [case.id for case in suite.cases if case.id not in recorded]
    if missing:
        raise InputError(
            f"{path} has no recorded draft for {len(missing)} case(s) of this suite ({', '.join(missing[:5])}); "
            "pass the results.jsonl that rag eval --report wrote for the same suite and --tag"
        )
    drafts: dict[str, str] = {}
    for case in suite.cases:
        key = inert(case.question)
        draft = recorded[case.id]["draft"] or ""
        if drafts.get(key, draft) != draft:
            raise InputError(f"two cases ask {case.question!r}, with different drafts; --drafts needs distinct ones")
        drafts[key] = draft
    return drafts


def replaying(pipeline: Pipeline, drafts: dict[str, str]) -> Pipeline:
    """``pipeline`` with its drafts read back from ``drafts``; its own chat model answers the checks."""
    return Pipeline(
        pipeline.settings,
        pipeline.index,
        pipeline.embeddings,
        RecordedDrafts(drafts=drafts),
        f"{pipeline.model_name} (recorded drafts)",
        checker=pipeline.llm,
    )
