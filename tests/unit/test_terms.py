"""Look-alike terms (rag.terms): a claim about one identifier does not stand on a sentence about another."""

from pathlib import Path

from ingest.chunking import chunk_text
from ingest.pipeline import ingest
from rag.config import load_settings
from rag.ground import ground
from rag.store import Index
from rag.terms import displaced, is_english
from rag.types import Layout, Passage, Status
from tests.unit.helpers import BowEmbeddings, BowEvidence, bow_embed, passages_from

QUESTION = "What is the default value of gnuplot's set isosamples?"
SAMPLES = "By default, sampling is set to 100 points. A higher sampling rate gives more accurate samples."
ELSEWHERE = {"isosamples", "samples", "nocaseglob", "chatbot", "without"}.__contains__


def test_a_claim_about_a_term_its_source_swaps_for_a_look_alike_is_displaced():
    claim = "The default value of gnuplot's set isosamples is 100 points."
    assert displaced(claim, QUESTION, SAMPLES, ELSEWHERE) == "isosamples"
    assert displaced(claim, QUESTION, SAMPLES + " See also set isosamples.", ELSEWHERE) is None  # named there
    assert displaced(claim, QUESTION, SAMPLES, lambda w: False) is None  # the document never names it
    assert displaced(claim, QUESTION, "The default is 100 points.", ELSEWHERE) is None  # no look-alike there
    assert displaced("The default value is 100 points.", QUESTION, SAMPLES, ELSEWHERE) is None  # not claimed
    assert displaced(claim, QUESTION.replace("isosamples", "Isosamples"), SAMPLES, ELSEWHERE) is None  # a name


def test_english_words_and_inflections_are_paraphrase_not_look_alikes():
    assert is_english("without") and is_english("workforce") and not is_english("isosamples")
    question = "Can I run it without the cd command?"
    assert displaced("Yes, it runs without cd.", question, "It runs with the name alone.", ELSEWHERE) is None
    question = "Does nocaseglob match file names without regard to case?"
    claim = "Yes, nocaseglob matches file names without regard to case."
    assert displaced(claim, question, "The glob pattern is case-sensitive.", ELSEWHERE) == "nocaseglob"


def test_words_joined_are_paraphrase_not_identifiers():
    anywhere = lambda w: True  # noqa: E731
    dataset = ("The dataset is 5 GB.", "How big is the dataset?", "The data takes 5 GB on disk.")
    assert displaced(*dataset, anywhere) is None  # "data" + "set"
    filename = ("The filename ends in .conf.", "What does the filename end in?", "The file name ends in .conf.")
    assert displaced(*filename, anywhere) is None  # "file" + "name"
    cdpath = ("The cdpath holds a path.", "Which path does cdpath hold?", "The search path for cd.")
    assert displaced(*cdpath, anywhere) == "cdpath"  # "cd" is too short to be the other word
    histfilesize = ("The histfilesize is 500.", "What is the histfilesize?", "The histfile has 500 lines.")
    assert displaced(*histfilesize, anywhere) == "histfilesize"  # "histfile" is no word
    bot = ("The chatbot has 9 users.", "How many users does the chatbot have?", "The chat bot has 9 users.")
    assert displaced(*bot, anywhere) is None  # "chat bot": "bot" is not in the word list, the two words are there
    assert displaced(*bot[:2], "Nine people chat with it.", anywhere) == "chatbot"
    question = "How many isosamples are drawn?"
    assert displaced("100 isosamples are drawn.", question, "The isosample count is 100.", ELSEWHERE) is None  # stem


DOC = (
    "Samples\n\nBy default, sampling is set to 100 points. More samples give more accurate plots.\n\n"
    "Each iso-u line has its own count.\n\n"
    "Each line is drawn once.\n\n"
    "See also set isosamples.\n"
)


def test_grounding_drops_the_claim_and_keeps_the_same_claim_about_the_term_its_source_has():
    passages, chunks = passages_from(DOC, [[1]])
    evidence = BowEvidence(chunks)
    swapped = ground("The default value of set isosamples is 100 points [1].", passages, bow_embed, evidence, QUESTION)
    assert swapped.status is Status.UNSUPPORTED and swapped.dropped
    question = QUESTION.replace("isosamples", "samples")
    kept = ground("The default value of set samples is 100 points [1].", passages, bow_embed, evidence, question)
    assert kept.status is Status.ANSWERED and "100 points" in kept.citations[0].text


def test_a_term_in_the_cited_sentences_heading_stands():
    text = "Each surface line has 10 samples by default.\n\nSet isosamples changes it."
    chunks = chunk_text(text, "gnuplot.html", "sha", layout=Layout(sections=((0, "Isosamples"),)))
    passages = [Passage(n=1, chunks=(chunks[0],), cosine=0.5)]
    claim = "Each surface line has 10 isosamples by default [1]."
    g = ground(claim, passages, bow_embed, BowEvidence(chunks), "How many isosamples does each surface line have?")
    assert g.status is Status.ANSWERED, g


def test_the_index_knows_a_documents_words_its_file_name_and_headings(project: Path):
    page = "<html><body><main><h1>Samples</h1><p>By default, sampling is set to 100 points.</p>"
    page += "<h2>Isolines</h2><p>See also set isosamples.</p></main></body></html>"
    (project / "corpus" / "gnuplot-samples.html").write_text(page)
    settings = load_settings(project_root=project, env={}, embeddings="fake:bow")
    ingest(settings, BowEmbeddings(), progress=False)
    index = Index.load(settings)
    default = next(c for c in index.chunks if c.text.startswith("By default"))
    article = next(c for c in index.chunks if c.source.endswith("openai-code-red.txt"))
    assert index.mentions(default, "isosamples") and not index.mentions(article, "isosamples")
    assert index.mentions(default, "gnuplot") and index.mentions(default, "isolines")  # file name, heading
    assert index.mentions(article, "chatgpt") and not index.mentions(default, "chatgpt")
