"""Concurrency: answers per second and latency with 1, 2, 4, 8 simultaneous users of one ``rag serve``.

For each number of model slots (llama.cpp's parallel sequences, continuous batching), the real server
(web chat + ``/v1``, the same code as ``rag serve``) is started on a loopback port over an already built
index; then N users, each a thread with the official ``openai`` client, share the same golden
questions (each asks its share one after another, streamed, as a chat front-end would), so every point
answers the same questions. Latency is measured at the client: until the first checked sentence, and
until the answer is complete. Run alone with ``python -m bench.concurrency``.
"""

from __future__ import annotations

import argparse
import gc
import os
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from rag.config import Settings
from rag.remote import RemoteAnswerer
from rag.scoring import percentile
from rag.types import Status

DEFAULT_USERS = (1, 2, 4, 8)
DEFAULT_SLOTS = (1, 2, 4)


def golden_questions(settings: Settings, n: int = 8) -> list[str]:
    """``n`` answerable, stand-alone questions of the golden set's dev part (varied: each user starts at
    a different one)."""
    from rag.eval import load_suite

    suite = load_suite(settings.resolve(Path("evals/golden.yaml"))).tagged(["dev"])
    return [c.question for c in suite.cases if not c.refuse and not c.history][:n]


def measure_users(url: str, users: int, questions: Sequence[str]) -> dict[str, Any]:
    """``users`` simultaneous clients sharing ``questions`` (user ``u`` asks every ``users``-th one, in
    turn), so every point of the curve answers the same questions; figures at the client."""

    def user(u: int) -> list[tuple[float, float, bool]]:
        client = RemoteAnswerer(url)
        out = []
        for question in questions[u::users]:
            answer = client.answer(question)
            out.append((answer.timings["ttft_s"], answer.timings["total_s"], answer.status is Status.ANSWERED))
        return out

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=users) as pool:
        rows = [r for user_rows in pool.map(user, range(users)) for r in user_rows]
    wall = time.perf_counter() - started
    first, total = [r[0] for r in rows], [r[1] for r in rows]
    return {
        "users": users,
        "answers": len(rows),
        "answered": sum(r[2] for r in rows),
        "wall_s": round(wall, 2),
        "answers_per_s": round(len(rows) / wall, 3),
        "latency_p50_s": round(percentile(total, 50) or 0, 2),
        "latency_p95_s": round(percentile(total, 95) or 0, 2),
        "first_sentence_p50_s": round(percentile(first, 50) or 0, 2),
    }


def run_concurrency(
    settings: Settings,
    embeddings: Any,
    users: Sequence[int] = DEFAULT_USERS,
    slots: Sequence[int] = DEFAULT_SLOTS,
    rounds: int = 1,
    log: Callable[[str], None] = print,
) -> dict[str, Any]:
    """Serve the index in ``settings`` with each slot count in turn and measure every user count."""
    from api.server import create_app, start
    from rag.chain import Pipeline

    questions = golden_questions(settings) * rounds
    points = []
    for n_slots in slots:
        cfg = settings.model_copy(update={"model_slots": n_slots, "host": "127.0.0.1", "port": 0})
        pipeline = Pipeline.load(cfg, embeddings=embeddings)
        server = start(create_app(cfg, pipeline), cfg)
        try:
            RemoteAnswerer(server.url).answer(questions[0])  # warm the prompt cache; not counted
            for n in users:
                point = {"slots": n_slots, **measure_users(server.url, n, questions)}
                log(
                    f"[bench] concurrency: {n_slots} slot(s), {n} user(s): {point['answers_per_s']} answers/s, "
                    f"p50 {point['latency_p50_s']} s, p95 {point['latency_p95_s']} s"
                )
                points.append(point)
        finally:
            server.close()
            del pipeline, server
            gc.collect()  # the model server goes with its chat model
    return {"questions": len(questions), "points": points, "chosen_slots": settings.model_slots}


def main(argv: list[str] | None = None) -> int:
    """``python -m bench.concurrency``: the concurrency phase alone, over the article (ingested to a temp dir)."""
    import json
    import tempfile

    from ingest.pipeline import ingest
    from rag.config import load_settings, use_offline_env
    from rag.embeddings import make_embeddings

    use_offline_env(os.environ)
    parser = argparse.ArgumentParser(prog="python -m bench.concurrency", description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", default="1,2,4,8")
    parser.add_argument("--slots", default="1,2,4")
    parser.add_argument("--rounds", type=int, default=1, help="times the 8 questions are asked per point")
    parser.add_argument("--out", type=Path, help="write the results JSON here")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="rag-conc-") as tmp:
        settings = load_settings(data_dir=Path(tmp), chroma_url=None)
        emb = make_embeddings(settings)
        ingest(settings, emb, progress=False)
        res = run_concurrency(
            settings,
            emb,
            [int(x) for x in args.users.split(",")],
            [int(x) for x in args.slots.split(",")],
            args.rounds,
        )
    from bench.tables import CONCURRENCY_HEAD, aligned, concurrency_rows

    print("\n".join(aligned(CONCURRENCY_HEAD, concurrency_rows({"concurrency": res}))))
    if args.out:
        args.out.write_text(json.dumps(res, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
