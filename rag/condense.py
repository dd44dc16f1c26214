"""Follow-up questions → stand-alone retrieval queries, without an extra model call.

Measured in the design prototype: an LLM rewrite cost 1.0–1.8 s and got 2 of 3 follow-ups wrong;
carrying the previous turn's key terms into the retrieval query got 3 of 3 in well under a second.
The model still sees the real conversation as chat turns.
"""

from __future__ import annotations

from rag.text import REFERRING, WORD, key_terms, names, split_sentences, strip_markers

QUESTION_WORDS = frozenset(
    [
        "what",
        "when",
        "where",
        "who",
        "whom",
        "whose",
        "why",
        "how",
        "which",
        "much",
        "many",
        "did",
        "does",
        "do",
        "is",
        "are",
        "was",
        "were",
    ]
)
MAX_TERMS = 12


def is_follow_up(question: str) -> bool:
    """A question that refers back (pronouns, "that") or is too short to stand alone."""
    return bool(REFERRING.search(question)) or len(WORD.findall(question)) <= 3


def _question_terms(text: str) -> list[str]:
    return [w for w in key_terms(text) if w.lower() not in QUESTION_WORDS]


def _answer_names(text: str) -> list[str]:
    plain = strip_markers(text)
    return [word for sentence in split_sentences(plain) for run in names(sentence) for word in run]


def condense(question: str, history: list[dict[str, str]]) -> str | None:
    """A stand-alone retrieval query for a follow-up, or ``None`` when the question stands alone."""
    if not history or not is_follow_up(question):
        return None
    last_user = next((t["content"] for t in reversed(history) if t["role"] == "user"), "")
    last_answer = next((t["content"] for t in reversed(history) if t["role"] == "assistant"), "")
    terms: list[str] = []
    for term in _question_terms(last_user) + _answer_names(last_answer):
        if term.lower() not in {t.lower() for t in terms} and term.lower() not in question.lower():
            terms.append(term)
    if not terms:
        return None
    return f"{question} ({' '.join(terms[:MAX_TERMS])})"
