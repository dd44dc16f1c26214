"""The result types every front end (CLI, web chat, eval) consumes."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class Citation:
    """An exact span of a source: ``text == source_text[start:end]``."""

    n: int
    source: str
    start: int
    end: int
    text: str
    score: float


@dataclass
class Answer:
    """A grounded answer. ``refused`` answers carry no citations."""

    question: str
    answer: str
    refused: bool
    citations: list[Citation] = field(default_factory=list)
    rewritten_question: str | None = None
    timings: dict[str, float] = field(default_factory=dict)
    model: str = ""
    draft: str = ""  # the model's raw text before grounding (for debugging; not in the JSON contract)
    dropped: list[str] = field(default_factory=list)  # answer sentences removed as unsupported
    retrieved: list[dict[str, Any]] = field(default_factory=list)  # passages given to the model, in rank order

    def to_json(self) -> dict[str, Any]:
        """Exactly the ``rag ask --json`` contract (DESIGN.md section 3)."""
        return {
            "question": self.question,
            "rewritten_question": self.rewritten_question,
            "answer": self.answer,
            "refused": self.refused,
            "citations": [
                {**asdict(c), "score": round(c.score, 4)} for c in (self.citations if not self.refused else [])
            ],
            "timings": {k: round(v, 4) for k, v in self.timings.items()},
            "model": self.model,
        }
