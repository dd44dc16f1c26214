"""The running web app under load and with access control: `rag serve` as a real process on 127.0.0.1.

Request loops are bounded in count and time and target 127.0.0.1 only.
"""

from __future__ import annotations

import ipaddress
import os
import shutil
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]
CHATS = 20
# Questions the 135M model answers with a citation (checked: same cited sentence in any order), each
# with a phrase only its own cited sentence holds. Chat i asks QUESTIONS[i % 4]: a reply that carried
# another chat's answer or citations would show another chat's phrase, or lack its own.
QUESTIONS = {
    "Who is the head of ChatGPT?": ("Turley", "Nick Turley, head of ChatGPT"),
    "Who is Sarah Friar?": ("Friar", "OpenAI's CFO, Sarah Friar"),
    "What is Gemini 3?": ("Gemini 3", "integrated into Google Search"),
    "Who is the CEO of OpenAI?": ("Altman", "CEO Sam Altman responded"),
}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def _start(tmp: Path, **env: str) -> tuple[subprocess.Popen, str, Path]:
    project = tmp / "project"
    (project / "corpus").mkdir(parents=True)
    shutil.copy(ROOT / "corpus" / "openai-code-red.txt", project / "corpus")
    port = _free_port()
    log = tmp / "serve.log"
    full_env = {
        **os.environ,
        "HF_HUB_OFFLINE": "1",
        "RAG_LLM": "local:smollm2-135m",
        "RAG_MAX_TOKENS": "40",
        # The 135M model as its own yes/no judge withdraws nearly every answer: off, so answers can be checked.
        "RAG_VERIFY_WITH_MODEL": "false",
        "RAG_PORT": str(port),
        **env,
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "rag.cli", "serve"],
        cwd=project,
        env=full_env,
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"rag serve exited: {log.read_text()[-2000:]}")
        try:
            if httpx.get(url, timeout=2).status_code in (200, 401):
                return proc, url, log
        except httpx.HTTPError:
            time.sleep(1)
    proc.kill()
    raise AssertionError("rag serve did not start within 180 s")


def _stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()


@pytest.fixture(scope="module")
def served(tmp_path_factory) -> Iterator[tuple[subprocess.Popen, str, Path]]:
    proc, url, log = _start(tmp_path_factory.mktemp("serve"))
    yield proc, url, log
    _stop(proc)


def listening_sockets(pid: int) -> list[tuple[str, int]]:
    """(address, port) of every TCP socket in LISTEN state that process ``pid`` holds, read from /proc
    (no ``ss`` or ``netstat`` needed)."""
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    found = []
    for table, width in (("/proc/net/tcp", 8), ("/proc/net/tcp6", 32)):
        if not Path(table).exists():
            continue
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            local, state, inode = fields[1], fields[3], fields[9]
            if state != "0A" or inode not in inodes:  # 0A: LISTEN
                continue
            addr_hex, port_hex = local.split(":")
            raw = bytes.fromhex(addr_hex)
            # /proc prints each 32-bit word in host (little-endian) order.
            words = b"".join(raw[i : i + 4][::-1] for i in range(0, width // 2, 4))
            address = str(ipaddress.ip_address(words))
            found.append((address, int(port_hex, 16)))
    return found


def test_binds_loopback_only(served):
    proc, url, _ = served
    port = int(url.rstrip("/").rsplit(":", 1)[1])
    sockets = listening_sockets(proc.pid)
    assert port in {p for _, p in sockets}, sockets  # found the web server's own socket
    for address, p in sockets:  # it, and every other server in the process (the model's), is loopback only
        assert ipaddress.ip_address(address).is_loopback, (address, p)


def test_twenty_simultaneous_chats_each_get_their_own_answer(served, capsys):
    """20 chats at once against one model (questions queue, concurrency 1): each reply is the answer
    to its own question, with its own citations, none of another chat's."""
    from gradio_client import Client

    proc, url, _ = served
    rss_before = _rss_kb(proc.pid)
    questions = list(QUESTIONS)

    def chat(i: int) -> tuple[int, float, dict]:
        client = Client(url, verbose=False)
        started = time.perf_counter()
        result = client.predict(question=questions[i % len(questions)], history="[]", api_name="/ask")
        return i, time.perf_counter() - started, result

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=CHATS) as pool:
        results = list(pool.map(chat, range(CHATS), timeout=600))
    wall = time.perf_counter() - started
    assert len(results) == CHATS
    for i, _, result in results:
        question = questions[i % len(questions)]
        name, phrase = QUESTIONS[question]
        others = [p for q, (_, p) in QUESTIONS.items() if q != question]
        cited = " ".join(c["text"] for c in result["citations"])
        assert result["question"] == question, (i, result)
        assert result["status"] == "answered" and not result["refused"], (i, result)
        assert name in result["answer"], (i, question, result["answer"])
        assert phrase in cited, (i, question, cited)
        assert not any(p in cited for p in others), (i, question, cited)
    latencies = sorted(t for _, t, _ in results)
    p95 = latencies[int(0.95 * (len(latencies) - 1))]
    rss_after = _rss_kb(proc.pid)
    with capsys.disabled():
        print(
            f"\n{CHATS} simultaneous chats: {CHATS / wall:.2f} answers/s, p50 {statistics.median(latencies):.2f} s, "
            f"p95 {p95:.2f} s, wall {wall:.1f} s, server RSS {rss_before / 1024:.0f} -> {rss_after / 1024:.0f} MB"
        )
    assert rss_after < rss_before + 300 * 1024  # bounded: queued requests do not pile up memory


def test_bad_question_through_the_api_is_an_error_not_a_crash(served):
    from gradio_client import Client
    from gradio_client.exceptions import AppError

    _, url, _ = served
    client = Client(url, verbose=False)
    with pytest.raises(AppError, match="empty"):
        client.predict(question="   ", history="[]", api_name="/ask")
    result = client.predict(question="Who is the head of ChatGPT?", history="[]", api_name="/ask")
    assert result["question"] == "Who is the head of ChatGPT?" and result["status"] == "answered", result


def test_auth_protects_page_and_api_and_secrets_stay_out_of_logs(tmp_path):
    from gradio_client import Client

    secret = "s3cret-Pa55word"
    proc, url, log = _start(tmp_path, RAG_AUTH=f"alice:{secret}", OPENAI_API_KEY="sk-not-to-be-logged")
    try:
        # Without credentials: the page is the login form (no chat in it), the app's config and API refuse.
        page = httpx.get(url, timeout=10)
        assert page.status_code == 200 and '"auth_required":true' in page.text.replace(" ", "")
        assert "rag-question" not in page.text and "Ask the documents" not in page.text
        assert httpx.get(url + "config", timeout=10).status_code == 401
        with pytest.raises(Exception):  # noqa: B017 - gradio_client raises different types across versions
            Client(url, verbose=False).predict(question="Who is the head of ChatGPT?", history="[]", api_name="/ask")
        api = httpx.post(url + "gradio_api/call/ask", json={"data": ["Who is the head of ChatGPT?", "[]"]}, timeout=10)
        assert api.status_code in (401, 403)
        bad = httpx.post(url + "login", data={"username": "alice", "password": "wrong"}, timeout=10)
        assert bad.status_code >= 400 and secret not in bad.text

        # Logging in as a browser does: the session cookie opens the chat page and its config.
        with httpx.Client(timeout=10) as browser:
            login = browser.post(url + "login", data={"username": "alice", "password": secret})
            assert login.status_code == 200 and login.json().get("success") is True, login.text
            page = browser.get(url)
            assert page.status_code == 200 and "rag-question" in page.text, page.text[:500]
            assert browser.get(url + "config").status_code == 200

        client = Client(url, auth=("alice", secret), verbose=False)
        result = client.predict(question="Who is the head of ChatGPT?", history="[]", api_name="/ask")
        assert result["status"] == "answered" and "Turley" in result["answer"], result
    finally:
        _stop(proc)
    text = log.read_text()
    assert secret not in text and "sk-not-to-be-logged" not in text
