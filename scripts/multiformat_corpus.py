"""Build the multi-format corpus of ``evals/multiformat.yaml`` in a folder (default ``corpus-multiformat/``).

Real documents from Debian packages (installed by ``scripts/setup.sh --dev``): the Bash Reference Manual
as PDF (bash-doc, 196 pages) and gnuplot's "Samples" help page as HTML (gnuplot-doc); plus a Word file
and a scanned (image-only) page generated here, and a password-protected PDF that must be refused by name.

    .venv/bin/python scripts/multiformat_corpus.py corpus-multiformat
    RAG_CORPUS_DIR=corpus-multiformat RAG_DATA_DIR=.rag-multiformat rag eval evals/multiformat.yaml
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests import documents  # noqa: E402 - the same builders the tests use

GNUPLOT_SAMPLES = Path("/usr/share/doc/gnuplot/htmldocs/node408.html")
HANDBOOK = [
    ("title", "Pump handbook"),
    ("h1", "1 Installation"),
    ("p", "Mount the pump on a level concrete base at least 20 centimetres thick."),
    ("h2", "1.1 Wiring"),
    ("p", "The motor needs a 16 ampere breaker on its own circuit."),
    ("table", "Part|Torque\nFlange bolt|45 Nm"),
    ("h1", "2 Operation"),
    ("p", "Never run the pump dry for more than 30 seconds."),
]


def build(dest: Path, excerpt: list[tuple[int, int]] | None = None) -> list[Path]:
    """Write the corpus into ``dest`` (created); returns the files. ``excerpt``: only these page ranges
    of the manual (tests use it to keep embedding cheap; page numbers then count within the excerpt)."""
    dest.mkdir(parents=True, exist_ok=True)
    manual = dest / "bash-reference-manual.pdf"
    if excerpt:
        documents.write_manual_excerpt(manual, *excerpt[0], *excerpt[1:])
    else:
        shutil.copyfile(documents.manual_pdf(), manual)
    files = [
        manual,
        Path(shutil.copyfile(documents.require(GNUPLOT_SAMPLES, "gnuplot-doc"), dest / "gnuplot-samples.html")),
        documents.write_docx(dest / "pump-handbook.docx", HANDBOOK),
        documents.write_scanned_pdf(dest / "maintenance-scan.pdf", [documents.SCANNED_LINES]),
        documents.write_encrypted_pdf(dest / "locked.pdf"),
    ]
    return files


if __name__ == "__main__":
    target = Path(sys.argv[1] if len(sys.argv) > 1 else "corpus-multiformat")
    for path in build(target):
        print(path)
