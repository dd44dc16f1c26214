"""The other way round: a claim that puts two names of its source on opposite sides of the same
relation ("GPT-5.1 surpassed Gemini 3 Pro" from "Gemini 3 Pro ... even surpassing GPT-5.1").

A small model drafts such reversals, and its yes/no check scores them like true claims (0.69 against
0.69–0.77 for true ones on the dev suites), because every word of the claim is in the source. Word
order settles it: around a word the claim and its source share, each name must stay on its side, a
passive with its agent ("was surpassed by") turning the sides round.
"""

from __future__ import annotations

from rag.text import STOPWORDS, TOKEN, name_runs, stem

WINDOW = 15  # tokens either side of the relation word within which a name counts as its party
GAP = 6  # at most this many tokens between two names of the claim for the words between to relate them
BE = frozenset("is are was were be been being".split())


def _parties(text: str) -> tuple[list[str], list[tuple[frozenset[str], int, int]]]:
    """``text``'s tokens and its names, each with the token span it covers."""
    tokens = TOKEN.findall(text)
    return tokens, [(frozenset(run), start, start + len(run)) for run, start in name_runs(text)]


def _side(name: frozenset[str], at: int, names: list[tuple[frozenset[str], int, int]]) -> int:
    """-1 when ``name`` stands within ``WINDOW`` tokens before position ``at``, +1 after, 0 neither
    or both (the nearest occurrence on each side decides nothing when there are two)."""
    before = any(run & name and at - WINDOW <= end <= at for run, _, end in names)
    after = any(run & name and at < start <= at + WINDOW for run, start, _ in names)
    return -1 if before and not after else 1 if after and not before else 0


def _voice(tokens: list[str], at: int) -> str:
    """How the word at ``at`` relates its sides: "by" (a passive with its agent after: "surpassed by"),
    "be" (after a form of "be": "was integrated into", "are former"), else "active"."""
    if at + 1 < len(tokens) and tokens[at + 1].lower() == "by":
        return "by"
    return "be" if at > 0 and tokens[at - 1].lower() in BE else "active"


def _turned(claim_voice: str, source_voice: str) -> bool | None:
    """Whether the sides are turned round between the two voices; None when they cannot be compared
    ("was based on" against "ChatGPT, based on": a form of "be" on one side only)."""
    if claim_voice == source_voice:
        return False
    if "be" in (claim_voice, source_voice):
        return None
    return True


def reverses(claim: str, source: str) -> bool:
    """Whether ``claim`` relates two names of ``source`` the other way round: for every word between
    them that the source also has (its relation), the source puts them on the opposite sides."""
    c_tokens, c_names = _parties(claim)
    s_tokens, s_names = _parties(source)
    s_stems = [stem(t) for t in s_tokens]
    for i, (first, _, first_end) in enumerate(c_names):
        for second, second_start, _ in c_names[i + 1 :]:
            if first & second or second_start - first_end > GAP:
                continue
            verdicts = []
            for k in range(first_end, second_start):
                word = c_tokens[k]
                if not word[:1].islower() or word.lower() in STOPWORDS:
                    continue
                relation, voice = stem(word), _voice(c_tokens, k)
                for at, s_stem in enumerate(s_stems):
                    turned = _turned(voice, _voice(s_tokens, at)) if s_stem == relation else None
                    if turned is None:
                        continue
                    a, b = _side(first, at, s_names), _side(second, at, s_names)
                    if a and b and a != b:
                        verdicts.append((a == 1) != turned)  # the claim has ``first`` before the word
            if verdicts and all(verdicts):
                return True
    return False
