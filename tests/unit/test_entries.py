"""Definition-list entries (rag.entries): every sentence of an entry carries its term, which retrieval
reads in the sentence's header; prose gets no terms."""

import json
import logging
from pathlib import Path

import pytest

from ingest.chunking import chunk_text
from ingest.pipeline import ingest
from rag.config import load_settings
from rag.entries import leading_term, term_alone, with_terms
from rag.headings import retrieval_text
from rag.manifest import DocEntry, Manifest, manifest_path
from rag.store import Index, LexicalIndex, _stale_headers
from rag.types import Chunk, Layout
from tests.unit.helpers import BowEmbeddings, RecordingEmbeddings

ROOT = Path(__file__).resolve().parents[2]

# As the Bash manual's PDF extracts: an entry on one line, a term alone on its line, and an entry cut
# by a page break (its description goes on in lower case in the next paragraph).
VARIABLES = """\
HISTSIZE The maximum number of commands to remember on the history list. The shell sets the default value to \
500 after reading any startup files.

HISTTIMEFORMAT

If this variable is set and not null, its value is used as a format string for strftime.

pipefail If set, the return value of a pipeline is the value of the last command to exit with a non-zero

status, or zero if all commands exit successfully. This option is disabled by default.

Every variable above can be unset. The shell then behaves as described.
"""


def terms(text: str, layout: Layout | None = None) -> dict[str, str | None]:
    """Each sentence's term, read with no minimum of distinct terms (that rule has its own test)."""
    return {c.text: c.term for c in with_terms(chunk_text(text, "bash.pdf", "sha", layout=layout), min_terms=1)}


@pytest.mark.parametrize(
    ("sentence", "term"),
    [
        ("HISTSIZE The maximum number of commands to remember.", "HISTSIZE"),
        ("HISTCONTROL A colon-separated list of values.", "HISTCONTROL"),  # a one-letter word opens it
        ("pipefail If set, the return value of a pipeline is the last command's.", "pipefail"),
        ("editing-mode The editing-mode variable controls which key bindings are used.", "editing-mode"),
        ("-n Do not read the startup files.", "-n"),
        ("--login Act as if invoked as a login shell.", "--login"),
        ("BZ_OK The requested action was completed successfully.", "BZ_OK"),
        ("The shell sets the default value to 500.", None),  # a capitalised word opens prose
        ("OpenAI declared a Code Red.", None),
        ("the Prompt], page 104).", None),  # a function word is no term
        ("see Section 6.9 for the details.", None),
        ("HISTSIZE is the variable to set.", None),  # the term must be followed by a new sentence
        ("GNU GPL version 3 applies.", None),  # capitals before capitals: a name, not a term and its text
        ("-d delim The first character of delim ends the line.", "-d"),  # an option with its argument
        ("HISTSIZE\n        The number of commands to remember.", "HISTSIZE"),  # a man page's next line
        ('plot "datafile" using 1:2', None),  # code, not an entry
        ("fi The test-commands list is executed.", None),  # a shell keyword ending the example before
        ("eBay Inc. reported its results.", None),  # a brand written in lower case first
    ],
)
def test_a_leading_term_is_an_identifier_before_a_capitalised_word(sentence, term):
    assert leading_term(sentence) == term


def test_a_term_alone_may_carry_its_arguments():
    assert term_alone("HISTTIMEFORMAT") == "HISTTIMEFORMAT"
    assert term_alone("yank-last-arg (M-. or M-_)") == "yank-last-arg"
    assert term_alone("Samples") is None and term_alone("the") is None
    assert term_alone("wait [-fn] [jobspec]") is None  # a usage line (see below)


def test_every_sentence_of_an_entry_carries_its_term_and_prose_none():
    found = terms(VARIABLES)
    assert found["The shell sets the default value to 500 after reading any startup files."] == "HISTSIZE"
    assert found["HISTTIMEFORMAT"] is None  # the term's own line is no entry sentence
    assert found["If this variable is set and not null, its value is used as a format string for strftime."] == (
        "HISTTIMEFORMAT"
    )
    assert found["status, or zero if all commands exit successfully."] == "pipefail"  # cut by a page break
    assert found["This option is disabled by default."] == "pipefail"
    assert found["Every variable above can be unset."] is None  # a new paragraph in capitals ends the entry
    assert found["The shell then behaves as described."] is None


def test_a_new_entry_in_the_same_paragraph_takes_over():
    found = terms("pipefail If set, pipelines fail. This is off. posix Change the behavior to match the standard.")
    assert found["This is off."] == "pipefail"
    assert found["posix Change the behavior to match the standard."] == "posix"


def test_a_term_alone_passes_to_its_description_through_its_usage_line():
    found = terms(
        "cd\n\ncd [-L|-P] [directory]\n\nChange the current working directory to directory. If directory is "
        "not supplied, the value of HOME is used.\n\nexamples\n\nsee them below.\n\n1 Introduction . . . 1"
    )
    assert found["cd [-L|-P] [directory]"] == "cd"
    assert found["Change the current working directory to directory."] == "cd"
    assert found["If directory is not supplied, the value of HOME is used."] == "cd"
    assert found["see them below."] is None  # a term alone gives its term only to a sentence that opens one
    assert found["1 Introduction . . . 1"] is None


def test_a_term_run_on_at_the_end_of_the_entry_before_starts_the_next():
    found = terms(
        "upcase-word (M-u)\n\nUppercase the current word. downcase-word (M-l)\n\nLowercase the current word.\n\n"
        "HISTSIZE The number of commands. The default is 500. HISTTIMEFORMAT\n\nIf set, stamps are shown."
    )
    assert found["Uppercase the current word."] == "upcase-word"
    assert found["downcase-word (M-l)"] is None
    assert found["Lowercase the current word."] == "downcase-word"
    assert found["The default is 500."] == "HISTSIZE"
    assert found["If set, stamps are shown."] == "HISTTIMEFORMAT"
    # The run-on term ends the entry before it, even where no description follows.
    found = terms("HISTSIZE The number of commands. The default is 500. HISTTIMEFORMAT\n\nand so on, in lower case.")
    assert found["and so on, in lower case."] is None


def test_an_entry_opening_with_its_term_is_no_usage_line():
    found = terms("times\n\ntimes Print out the times used.\n\nOther text follows here.")
    assert found["times Print out the times used."] == "times"
    assert found["Other text follows here."] is None  # the term alone's entry was the paragraph before


def test_a_heading_ends_the_entry_before_it():
    text = "xpg_echo If set, echo expands escapes.\n\nspecial builtins differ from the others."
    layout = Layout(sections=((0, "4.3.2 The Shopt Builtin"), (text.index("special"), "4.4 Special Builtins")))
    found = terms(text, layout)
    assert found["xpg_echo If set, echo expands escapes."] == "xpg_echo"
    assert found["special builtins differ from the others."] is None  # in lower case, but under a new heading
    text = "HISTTIMEFORMAT\n\nShell parameters are named."  # the term alone ends its section
    found = terms(text, Layout(sections=((0, "5.2 Bash Variables"), (text.index("Shell"), "3.4 Shell Parameters"))))
    assert found["Shell parameters are named."] is None


def test_a_description_may_open_with_a_quotation():
    description = "‘Before each prompt’, its value is run."
    assert terms(f"PROMPT_COMMAND\n\n{description}")[description] == "PROMPT_COMMAND"


def test_words_alone_one_after_another_are_a_list():
    found = terms("curl\n\ngit\n\nBoth are in Debian.\n\nwget\n\nIt fetches files.")
    assert found["Both are in Debian."] is None
    assert found["It fetches files."] == "wget"  # after the list, a term alone and its entry again


def test_a_word_cut_off_by_the_sentence_splitter_is_no_term():
    # "${TEXTDOMAIN}.mo" splits after the dot: the "mo" touching it is code, not a term run on.
    found = terms("Files go to /usr/share/locale/${TEXTDOMAIN}.mo\n\nWhen all of this is done, files are installed.")
    assert found["When all of this is done, files are installed."] is None


def test_a_document_needs_three_terms_to_have_a_definition_list():
    news = "CEO Sam Altman spoke on Monday. He was brief.\n\nUS President Joe Biden replied. He was briefer."
    assert not any(c.term for c in chunk_text(news, "news.txt", "sha"))
    assert terms(news)["He was brief."] == "CEO"  # what the minimum prevents
    found = {c.term for c in chunk_text(VARIABLES, "vars.txt", "sha")}
    assert found == {None, "HISTSIZE", "HISTTIMEFORMAT", "pipefail"}


def test_the_seed_article_has_no_definition_lists():
    text = (ROOT / "corpus" / "openai-code-red.txt").read_text()
    assert not any(c.term for c in chunk_text(text, "corpus/openai-code-red.txt", "sha"))


def test_retrieval_reads_the_term_after_the_heading():
    by_text = {
        c.text: c
        for c in chunk_text(VARIABLES, "bash.pdf", "sha", layout=Layout(sections=((0, "5.2 Bash Variables"),)))
    }
    assert retrieval_text(by_text["This option is disabled by default."]) == (
        "bash - 5.2 Bash Variables - pipefail: This option is disabled by default."
    )
    [plain] = [c for c in chunk_text(VARIABLES, "vars.txt", "sha") if c.text == "This option is disabled by default."]
    assert retrieval_text(plain) == "pipefail: This option is disabled by default."  # no headings: the term alone


def test_bm25_finds_an_entry_sentence_by_its_term():
    chunks = chunk_text(VARIABLES, "bash.pdf", "sha")
    found = [c.text for c, _ in LexicalIndex(chunks).search("pipefail default", 3)]
    assert found[0] == "This option is disabled by default."


def test_ingest_embeds_and_stores_the_term_and_names_an_index_from_before(project: Path, caplog):
    (project / "corpus" / "variables.txt").write_text(VARIABLES)
    settings = load_settings(project_root=project, env={}, embeddings="fake:bow")
    emb = RecordingEmbeddings()
    ingest(settings, emb, progress=False)
    assert "pipefail: This option is disabled by default." in emb.texts
    assert not any(t.startswith("pipefail:") and "OpenAI" in t for t in emb.texts)
    with caplog.at_level(logging.WARNING, logger="rag.store"):
        index = Index.load(settings)
    assert "definition-list" not in caplog.text  # embedded with them
    [stored] = [c for c in index.chunks if c.text == "This option is disabled by default."]
    assert stored.term == "pipefail"  # kept in the vector store's metadata
    path = manifest_path(settings)
    manifest = json.loads(path.read_text())
    for entry in manifest["documents"].values():
        del entry["termed"]  # as an older version wrote it
    path.write_text(json.dumps(manifest))
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="rag.store"):
        Index.load(settings)
    assert "1 document(s) were embedded without their section headings or definition-list terms" in caplog.text
    assert "variables.txt" in caplog.text and "openai-code-red" not in caplog.text  # prose needs no terms
    for stored in (settings.data_path / "texts").glob("*.txt"):
        stored.unlink()  # ingest restores the texts and reuses the stored chunks: their vectors stay as they were
    assert ingest(settings, BowEmbeddings(), progress=False).chunks_embedded == 0
    assert not any(entry["termed"] for entry in json.loads(path.read_text())["documents"].values())


def test_a_stale_index_is_named_whatever_order_the_store_returns_its_chunks_in():
    # Terms alone on their lines, as bash.html has them: read out of order, no term meets its entry.
    text = "HISTSIZE\n\nThe commands kept.\n\nHISTFILE\n\nThe file they go to.\n\nHISTCONTROL\n\nWhat to keep."
    chunks = chunk_text(text, "vars.txt", "sha")
    manifest = Manifest(embedding_model="fake", documents={"vars.txt": DocEntry(sha256="sha", chunks=len(chunks))})
    assert _stale_headers(list(reversed(chunks)), manifest) == ["vars.txt"]
    manifest.documents["vars.txt"].termed = True
    assert _stale_headers(list(reversed(chunks)), manifest) == []


def test_a_chunk_without_a_term_round_trips_as_none():
    [chunk] = chunk_text("OpenAI declared a Code Red.", "a.txt", "sha")
    assert Chunk.from_record(chunk.id, chunk.text, chunk.metadata()) == chunk
    assert Chunk.from_record(chunk.id, chunk.text, {**chunk.metadata(), "term": "HISTSIZE"}).term == "HISTSIZE"
    collection_meta = {k: v for k, v in chunk.metadata().items() if k != "term"}  # written before terms
    assert Chunk.from_record(chunk.id, chunk.text, collection_meta).term is None
