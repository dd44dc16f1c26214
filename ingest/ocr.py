"""OCR for scanned pages: Debian's Tesseract (``tesseract-ocr``, ``tesseract-ocr-eng``) via pytesseract.

Measured on a generated A4 page at 300 dpi (2-core CPU): 1.2 s a page with ``OMP_THREAD_LIMIT=1``,
4-7 s without it (Debian's build spins OpenMP threads that fight over two cores), 1.1 s for tesserocr,
which would bring its own libtesseract instead of Debian's. OCR is optional: when it is missing, a
document that needs it is refused by name with what to install, never skipped silently.
"""

from __future__ import annotations

import functools
import os
from typing import Any

LANGUAGE = "eng"
INSTALL = "apt-get install tesseract-ocr tesseract-ocr-eng (as root; scripts/setup.sh does it), then ingest again"


@functools.cache
def ocr_missing() -> str | None:
    """``None`` when OCR works, else why not and what to install (checked once per process)."""
    try:
        import pytesseract
    except ImportError:
        return "OCR is not installed (the pytesseract package is missing): pip install pytesseract, and " + INSTALL
    try:
        pytesseract.get_tesseract_version()
        languages = pytesseract.get_languages(config="")
    except (pytesseract.TesseractNotFoundError, pytesseract.TesseractError, OSError):
        return f"OCR is not installed (no tesseract program found): {INSTALL}"
    if LANGUAGE not in languages:
        return f"OCR has no '{LANGUAGE}' language data: {INSTALL}"
    return None


def ocr_lines(image: Any) -> list[str]:
    """The text Tesseract recognises in a page image, as lines (blank lines between paragraphs)."""
    import pytesseract

    os.environ.setdefault("OMP_THREAD_LIMIT", "1")  # read by the tesseract subprocess; see the module note
    return pytesseract.image_to_string(image, lang=LANGUAGE).splitlines()
