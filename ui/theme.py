"""The page's CSS and the small script that makes [n] markers jump to their passage.

Kept as Python strings (not asset files) so they ship inside the package without package-data config.
"""

CITE_JS = """
// Clicking an [n] marker in an answer opens that answer's sources and flashes the cited passage.
// Installed once per page, on the document, because the markers live in the chat, not in this element.
if (!window.__ragCiteLinks) {
  window.__ragCiteLinks = true;
  document.addEventListener("click", (event) => {
    const link = event.target.closest && event.target.closest('a[href^="#src-"]');
    if (!link) return;
    const target = document.getElementById(link.getAttribute("href").slice(1));
    if (!target) return;
    event.preventDefault();
    event.stopPropagation();
    const section = target.closest("details");
    if (section) section.open = true;
    target.scrollIntoView({ behavior: "smooth", block: "center" });
    target.classList.remove("rag-flash");
    void target.offsetWidth; // restart the animation
    target.classList.add("rag-flash");
  }, true);
}
"""

CSS = """
.rag-header h1 { font-size: 1.5rem; margin: 0.2rem 0 0.1rem; }
.rag-header p { margin: 0 0 0.4rem; color: var(--body-text-color-subdued); }
#rag-notice:empty { display: none; }
#rag-notice p { color: var(--body-text-color-subdued); margin: 0; }
#rag-sources-title h3 { margin: 0.2rem 0; }
#rag-sources { max-height: 70vh; overflow-y: auto; }
a.rag-cite {
  display: inline-block; margin-left: 1px; padding: 0 0.35em; border-radius: 0.6em;
  font-size: 0.8em; line-height: 1.5; font-weight: 600; text-decoration: none !important;
  background: var(--color-accent-soft); color: var(--color-accent) !important; vertical-align: 0.15em;
}
a.rag-cite:hover { background: var(--color-accent); color: white !important; }
.rag-sources-empty, .rag-src-none {
  color: var(--body-text-color-subdued); padding: 0.8rem; border: 1px dashed var(--border-color-primary);
  border-radius: 0.5rem; font-size: 0.95em;
}
.rag-cite-demo { color: var(--color-accent); font-weight: 600; }
details.rag-turn { border: 1px solid var(--border-color-primary); border-radius: 0.6rem; margin-bottom: 0.6rem; }
details.rag-turn > summary {
  cursor: pointer; padding: 0.5rem 0.7rem; font-weight: 600; list-style-position: inside;
  white-space: nowrap; overflow: hidden; text-overflow: ellipsis;
}
.rag-turn-n { color: var(--body-text-color-subdued); font-weight: 500; margin-right: 0.3rem; }
details.rag-turn > :not(summary) { margin: 0 0.7rem 0.7rem; }
article.rag-src {
  border-left: 3px solid var(--color-accent); background: var(--background-fill-secondary);
  border-radius: 0.4rem; padding: 0.5rem 0.7rem; scroll-margin: 2rem;
}
article.rag-src + article.rag-src { margin-top: 0.5rem; }
article.rag-src header { font-size: 0.85em; color: var(--body-text-color-subdued); margin-bottom: 0.25rem; }
.rag-src-n { color: var(--color-accent); font-weight: 700; }
.rag-src-doc { font-weight: 600; color: var(--body-text-color); }
.rag-src-text { margin: 0; line-height: 1.55; font-size: 0.95em; }
.rag-src-text mark { background: #fde68a; color: #1f2937; padding: 0 0.1em; border-radius: 0.2em; }
.rag-src-note { font-size: 0.8em; color: var(--body-text-color-subdued); margin-top: 0.3rem; }
.rag-src-ocr { font-size: 0.8em; border: 1px solid currentColor; border-radius: 0.3em; padding: 0 0.25em; }
.rag-src-open { margin-left: 0.4rem; white-space: nowrap; }
@keyframes rag-flash { from { box-shadow: 0 0 0 3px var(--color-accent); } to { box-shadow: 0 0 0 0 transparent; } }
article.rag-flash { animation: rag-flash 1.6s ease-out; }
"""
