"""A larger real-text corpus for the scaling runs, built offline from documentation already on disk.

Two tiers of sources, read in this order:

1. documentation files: README, NEWS and ``.md`` / ``.rst`` / ``.txt`` files (plain or gzipped)
   under ``/usr/share`` (Debian package docs, Vim's and CMake's manuals, Node's API docs, ...), and
   the virtual environment's ``site-packages`` (package READMEs, docs, ``*.dist-info/METADATA``
   long descriptions) — about 9 MB of prose on the development machine;
2. English manual pages under ``/usr/share/man/man1..8`` (troff, converted here with a small
   macro stripper) — about 15 MB more; scanned only when tier 1 is not enough (the 1000× point).

Changelogs, copyright notices, licence texts and test data are left out: boilerplate repeated across
packages, not prose. Only prose survives: text is split into paragraphs, hard-wrapped lines are
joined (a paragraph becomes one line, as in the article), and a paragraph is kept when it is long
enough, mostly letters and ends like a sentence; code, tables and option lists are dropped, and so
are paragraphs already seen in another file.

The selection is deterministic on a given machine: within a tier, files are ordered by the SHA-256
of their extracted text (which mixes the sources); corpus ``N×`` is the project corpus (the article)
plus the first files of that order, the last one cut after the paragraph that reaches ``N ×`` its
size. Every scale is therefore a prefix of the next, whichever scales a run asks for.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import re
import sysconfig
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

DOC_ROOTS = (Path("/usr/share"), Path(sysconfig.get_paths()["purelib"]))
MAN_ROOT = Path("/usr/share/man")
NAME = re.compile(r"^(readme|news)([._-].*)?$|^METADATA$|\.(md|markdown|rst|txt)$", re.IGNORECASE)
EXCLUDE = re.compile(
    r"changelog|changes|history|copyright|copying|licen[cs]e|authors|contributors|notice|patents|"
    r"requirements|entry_points|top_level|sources|dependency_links|cmakelists|test|sample|example",
    re.IGNORECASE,
)
MAX_FILE_BYTES = 4_000_000  # read limit per file (uncompressed)
MAX_PER_FILE = 200_000  # prose taken from one file, so no single manual dominates a scale
MIN_PARAGRAPH = 120
MIN_FILE_PROSE = 1_000
_WS = re.compile(r"\s+")


# -- reading -----------------------------------------------------------------------------------


def _read(path: Path) -> str | None:
    try:
        opener = gzip.open if path.suffix == ".gz" else open
        with opener(path, "rb") as fh:
            data = fh.read(MAX_FILE_BYTES)
        return data.decode("utf-8")
    except (OSError, UnicodeDecodeError, EOFError):
        return None


def _walk(root: Path) -> Iterator[Path]:
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith(".") and not EXCLUDE.search(d))
        for name in sorted(filenames):
            yield Path(dirpath, name)


def _doc_files(roots: tuple[Path, ...]) -> Iterator[Path]:
    for root in roots:
        if not root.is_dir():
            continue
        for path in _walk(root):
            if path.is_relative_to(MAN_ROOT):
                continue
            bare = path.name[:-3] if path.name.endswith(".gz") else path.name
            if bare == "METADATA" and not path.parent.name.endswith(".dist-info"):
                continue
            if NAME.search(bare) and not EXCLUDE.search(bare) and not path.is_symlink() and path.is_file():
                yield path


def _man_files(root: Path) -> Iterator[Path]:
    for section in range(1, 9):
        folder = root / f"man{section}"
        if folder.is_dir():
            for path in sorted(folder.iterdir()):
                if path.name.endswith(".gz") and not path.is_symlink() and path.is_file():
                    yield path


# -- prose extraction --------------------------------------------------------------------------


def is_prose(block: str) -> bool:
    """A paragraph of running text: long enough, mostly letters and spaces, ends like a sentence."""
    if len(block) < MIN_PARAGRAPH or not block[0].isalpha():
        return False
    letters = sum(ch.isalpha() or ch == " " for ch in block)
    if letters / len(block) < 0.85 or block[-1] not in ".!?:)\"'":
        return False
    words = block.split()
    return len(words) >= 15 and sum(len(w) for w in words) / len(words) < 12


def text_paragraphs(text: str) -> list[str]:
    """Blank-line-separated blocks of plain text / Markdown / reST, each joined onto one line."""
    return [_WS.sub(" ", block).strip() for block in re.split(r"\n[ \t]*\n", text.replace("\r\n", "\n"))]


_MAN_CHARS = {
    "\\(em": "—", "\\(en": "–", "\\(aq": "'", "\\(lq": '"', "\\(rq": '"', "\\(oq": "'", "\\(cq": "'",
    "\\(bu": "*", "\\(co": "(c)", "\\-": "-", "\\e": "\\", "\\ ": " ", "\\~": " ",
}  # fmt: skip
_MAN_CHAR_RE = re.compile("|".join(re.escape(k) for k in _MAN_CHARS))
_MAN_ESCAPE = re.compile(
    r"\\f(\[[^\]]*\]|\(..|.)|\\s[+-]?\d+|\\\*(\[[^\]]*\]|\(..|.)|\\n(\[[^\]]*\]|\(..|.)|\\[&|^%c]|\\\(.."
)
_MAN_INLINE = {"B", "I", "BR", "IR", "RB", "RI", "BI", "IB", "SM", "SB", "Nm", "Ar", "Fl", "Em", "Sy", "Pa", "Xr"}
_MAN_ALTERNATING = {"BR", "IR", "RB", "RI", "BI", "IB"}


def man_paragraphs(source: str) -> list[str]:
    """Paragraphs of a troff manual page: text lines and font macros joined, other macros break."""
    paras: list[str] = []
    buf: list[str] = []

    def brk() -> None:
        if buf:
            paras.append(_WS.sub(" ", " ".join(buf)).strip())
            buf.clear()

    for line in source.splitlines():
        if line.startswith(('.\\"', "'\\\"", ".\\#")):
            continue
        if line.startswith((".", "'")):
            parts = line[1:].strip().split(None, 1)
            if parts and parts[0] in _MAN_INLINE and len(parts) > 1:
                args = [a.strip('"') for a in re.findall(r'"[^"]*"|\S+', parts[1])]
                buf.append(("" if parts[0] in _MAN_ALTERNATING else " ").join(args))
            else:
                brk()
            continue
        if not line.strip():
            brk()
            continue
        line = _MAN_CHAR_RE.sub(lambda m: _MAN_CHARS[m.group(0)], line)
        buf.append(_MAN_ESCAPE.sub("", line).strip())
    brk()
    return paras


# -- the pool ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ProseFile:
    origin: str  # where the text came from (a path on this machine)
    paragraphs: tuple[str, ...]
    sha256: str

    @property
    def size(self) -> int:
        return sum(len(p.encode("utf-8")) + 1 for p in self.paragraphs)


def _tier(paths: Iterator[Path], extract: Callable[[str], list[str]], seen: set[str]) -> tuple[list[ProseFile], int]:
    files: list[ProseFile] = []
    scanned = 0
    for path in paths:
        scanned += 1
        text = _read(path)
        if not text:
            continue
        kept: list[str] = []
        size = 0
        for para in extract(text):
            if not is_prose(para):
                continue
            key = hashlib.sha1(para.lower().encode()).hexdigest()
            if key in seen:
                continue
            seen.add(key)
            kept.append(para)
            size += len(para) + 1
            if size >= MAX_PER_FILE:
                break
        if size >= MIN_FILE_PROSE:
            body = "\n".join(kept)
            files.append(ProseFile(str(path), tuple(kept), hashlib.sha256(body.encode()).hexdigest()))
    files.sort(key=lambda f: f.sha256)
    return files, scanned


@dataclass
class ProsePool:
    """The prose found on this machine, scanned tier by tier as the requested sizes need it."""

    doc_roots: tuple[Path, ...] = DOC_ROOTS
    man_root: Path = MAN_ROOT
    files: list[ProseFile] = field(default_factory=list)
    tiers_loaded: list[str] = field(default_factory=list)
    scanned: int = 0
    _seen: set[str] = field(default_factory=set, repr=False)

    @property
    def size(self) -> int:
        return sum(f.size for f in self.files)

    def _load_next_tier(self) -> bool:
        if "docs" not in self.tiers_loaded:
            files, scanned = _tier(_doc_files(self.doc_roots), text_paragraphs, self._seen)
            self.tiers_loaded.append("docs")
        elif "man" not in self.tiers_loaded:
            files, scanned = _tier(_man_files(self.man_root), man_paragraphs, self._seen)
            self.tiers_loaded.append("man")
        else:
            return False
        self.files.extend(files)
        self.scanned += scanned
        return True

    def ensure(self, size: int) -> None:
        """Scan further tiers until at least ``size`` bytes of prose are known (or none are left)."""
        while self.size < size and self._load_next_tier():
            pass

    def describe(self) -> dict:
        by_root: dict[str, int] = {}
        for f in self.files:
            root = next((str(r) for r in (self.man_root, *self.doc_roots) if f.origin.startswith(str(r))), "other")
            by_root[root] = by_root.get(root, 0) + f.size
        return {
            "tiers_scanned": list(self.tiers_loaded),
            "files_scanned": self.scanned,
            "prose_files": len(self.files),
            "prose_bytes": self.size,
            "prose_bytes_by_root": by_root,
        }


def _slug(origin: str) -> str:
    parts = Path(origin).parts[-3:]
    return re.sub(r"[^A-Za-z0-9]+", "-", "-".join(parts)).strip("-")[:60] or "doc"


def build_scale(pool: ProsePool, base: list[Path], scale: int, dest: Path) -> dict:
    """Write corpus ``scale``× into ``dest``: the ``base`` files (the project corpus) plus prose files,
    ``scale`` × the base size in all. Returns what was written; ``ValueError`` when this machine holds
    too little prose for that size."""
    base_bytes = [p.read_bytes() for p in base]
    target = scale * sum(len(b) for b in base_bytes)
    pool.ensure(target)
    dest.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    total = 0
    for path, data in zip(base, base_bytes, strict=True):
        (dest / path.name).write_bytes(data)
        digest.update(data)
        total += len(data)
    files = len(base)
    origins: list[str] = []
    for i, f in enumerate(pool.files):
        if total >= target:
            break
        paragraphs: list[str] = []
        size = 0
        for para in f.paragraphs:  # up to and including the paragraph that reaches the target size
            if total + size >= target:
                break
            paragraphs.append(para)
            size += len(para.encode("utf-8")) + 1
        cut = len(paragraphs) < len(f.paragraphs)
        body = "\n".join(paragraphs) + "\n"
        (dest / f"{i:05d}-{_slug(f.origin)}.txt").write_text(body, encoding="utf-8")
        digest.update(body.encode("utf-8"))
        total += len(body.encode("utf-8"))
        files += 1
        origins.append(f.origin)
        if cut:  # the size is reached inside this file: stop here, so smaller scales are prefixes of larger ones
            break
    if total < target * 0.98:
        raise ValueError(f"only {total:,} bytes of prose found on this machine; scale {scale}x needs {target:,}")
    return {
        "scale": scale,
        "files": files,
        "bytes": total,
        "target_bytes": target,
        "sha256": digest.hexdigest(),
        "first_sources": origins[:5],
    }
