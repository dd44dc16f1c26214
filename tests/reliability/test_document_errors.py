"""Through the real CLI: a corpus with a password-protected PDF, a truncated PDF and a real manual
excerpt. The bad files are named with what to do; everything else is ingested and answerable."""

from __future__ import annotations

import json
from pathlib import Path

from tests import documents
from tests.reliability.helpers import new_project, rag


def test_bad_documents_are_named_and_the_rest_is_ingested(tmp_path: Path) -> None:
    project = new_project(tmp_path)
    corpus = project / "corpus"
    documents.write_encrypted_pdf(corpus / "locked.pdf")
    documents.write_manual_excerpt(corpus / "manual.pdf", 40, 42)
    data = (corpus / "manual.pdf").read_bytes()
    (corpus / "cut.pdf").write_bytes(data[: len(data) // 3])

    ask = rag(project, "ask", "What does the shell do with the characters of IFS?", "--json")
    assert ask.returncode == 0, ask.stderr  # the first question builds the index and says what it skipped
    assert "warning: locked.pdf was not ingested: locked.pdf is password-protected" in ask.stderr
    assert "qpdf --decrypt" in ask.stderr and "warning: cut.pdf was not ingested" in ask.stderr

    result = rag(project, "ingest", "--json")
    report = json.loads(result.stdout)
    assert {Path(s["path"]).name: s["error"] for s in report["skipped"]} == {
        "locked.pdf": "encrypted",
        "cut.pdf": "corrupt",
    }
    assert "corpus/manual.pdf" in report["unchanged"] and not report["parsed"]  # hashed, not parsed again

    text = rag(project, "ingest", "corpus/manual.pdf", "--reset")
    assert text.returncode == 0 and "read corpus/manual.pdf: 3 pages" in text.stdout and "pages/s" in text.stdout
