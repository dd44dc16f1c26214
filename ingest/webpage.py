"""HTML loader (BeautifulSoup over lxml): the page's main text, with sections from its headings.

Nothing in the page runs: scripts, styles, forms and embedded objects are dropped unparsed.
Navigation, page headers and footers, sidebars and tables of contents (by element, ARIA role or a
class/id such as ``nav``, ``header``, ``footer``, ``breadcrumb``, ``toc``) are not indexed, nor the
permalink glyphs beside headings and terms ("HISTSIZE ¶"); when the page marks its main content
(``<main>``, ``role=main``, one ``<article>``) only that is read.
Measured against trafilatura on Debian's bashref.html (867 kB): 0.6 s vs 1.5 s, with every section
kept (trafilatura turned lists and emphasis into Markdown and needs a dozen more packages).
"""

from __future__ import annotations

import re
from typing import Any

from ingest.extract import Extracted, LoadError, TextBuilder, sniff

DROP_TAGS = [
    "script", "style", "noscript", "template", "iframe", "object", "embed", "svg", "canvas", "form",
    "button", "select", "input", "textarea", "nav", "aside", "head", "link", "meta",
]  # fmt: skip
PAGE_CHROME_TAGS = ("header", "footer")  # the page's own, not an article's
DROP_ROLES = {"navigation", "banner", "contentinfo", "complementary", "search", "menu", "menubar"}
DROP_NAMES = {
    "nav", "navbar", "navigation", "nav-panel", "menu", "breadcrumb", "breadcrumbs", "header", "footer",
    "sidebar", "toc", "section-toc", "skip", "skip-link", "cookie", "cookies", "cookie-banner", "site-header",
    "site-footer", "masthead", "topbar",
}  # fmt: skip
BLOCKS = {
    "p", "div", "section", "article", "main", "li", "dt", "dd", "pre", "blockquote", "tr", "table", "ul",
    "ol", "dl", "figure", "figcaption", "address", "br", "hr", "caption", "details", "summary", "body",
}  # fmt: skip
HEADINGS = {"h1": 1, "h2": 2, "h3": 3, "h4": 4, "h5": 5, "h6": 6}
CELLS = {"td", "th"}
LINK_LIST_TAGS = {"ul", "ol", "dl", "div", "table", "p"}
PERMALINKS = {"¶", "§", "#", "🔗"}
_WORDS = re.compile(r"[\w-]+")


def _is_chrome(tag: Any) -> bool:
    """Navigation, banners, footers, sidebars: by role, by class or id, or hidden."""
    attrs = tag.attrs or {}
    if str(attrs.get("role", "")).lower() in DROP_ROLES or "hidden" in attrs:
        return True
    if str(attrs.get("aria-hidden", "")).lower() == "true":
        return True
    classes = attrs.get("class") or []
    names = {c.lower() for c in (classes if isinstance(classes, list) else [classes])}
    names.update(w.lower() for w in _WORDS.findall(str(attrs.get("id", ""))) if w)
    return bool(names & DROP_NAMES)


def _link_list(tag: Any) -> bool:
    """A block that is mostly links (a menu, a table of contents, an index)."""
    if tag.name not in LINK_LIST_TAGS:
        return False
    links = tag.find_all("a")
    if len(links) < 5:
        return False
    text = len(tag.get_text(" ", strip=True))
    return text > 0 and sum(len(a.get_text(" ", strip=True)) for a in links) / text > 0.8


def _permalink(tag: Any) -> bool:
    """A link to its own place on the page drawn as a glyph ("HISTSIZE ¶", Sphinx's "Installation¶")."""
    return tag.name == "a" and str(tag.get("href", "")).startswith("#") and tag.get_text(strip=True) in PERMALINKS


def _main(soup: Any) -> Any:
    for tag in soup.find_all(["header", "footer"]):
        if tag.find_parent(["article", "main"]) is None:
            tag.decompose()
    main = soup.find("main") or soup.find(attrs={"role": "main"})
    if main is None:
        articles = soup.find_all("article")
        main = articles[0] if len(articles) == 1 else None
    return main or soup.body or soup


class _Walker:
    def __init__(self) -> None:
        self.builder = TextBuilder()
        self.buffer: list[str] = []

    def flush(self) -> None:
        if self.buffer:
            self.builder.paragraph("".join(self.buffer).strip().strip("|"))
            self.buffer = []

    def walk(self, node: Any) -> None:
        from bs4 import NavigableString, Tag

        for child in node.children:
            if isinstance(child, Tag):
                name = child.name.lower()
                if name in HEADINGS:
                    self.flush()
                    self.builder.heading(child.get_text(" "), HEADINGS[name])
                elif name in BLOCKS:
                    self.flush()
                    self.walk(child)
                    self.flush()
                else:
                    self.walk(child)
                    if name in CELLS:
                        self.buffer.append(" | ")
            elif type(child) is NavigableString:  # not a comment, CDATA, doctype or processing instruction
                self.buffer.append(str(child))


def load_html(data: bytes, name: str) -> Extracted:
    """The main text of an HTML page as paragraphs, headings opening sections."""
    kind = sniff(data)
    if kind not in ("text", "an HTML page"):
        raise LoadError("wrong_type", f"{name} is named like an HTML page but its content is {kind}")
    from bs4 import BeautifulSoup

    try:
        soup = BeautifulSoup(data, "lxml")
    except Exception as exc:  # noqa: BLE001 - a parser failure on hostile input, whatever its type
        raise LoadError("corrupt", f"{name} cannot be parsed as HTML ({exc.__class__.__name__})") from None
    for tag in soup.find_all(DROP_TAGS):
        tag.decompose()
    for tag in soup.find_all(_is_chrome):
        tag.decompose()
    for tag in soup.find_all(_link_list):
        tag.decompose()
    for tag in soup.find_all(_permalink):
        tag.decompose()
    walker = _Walker()
    walker.walk(_main(soup))
    walker.flush()
    if not walker.builder.length:
        raise LoadError("empty", f"{name} has no text outside scripts, navigation, headers and footers")
    return walker.builder.build()
