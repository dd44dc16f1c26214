"""The web chat's pure render functions: answer markdown, sources HTML, details, feedback records."""

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from rag.types import Answer, Chunk, Citation, Passage, Status
from tests import factories
from ui.render import (
    EMPTY_SOURCES,
    Turn,
    anchor,
    answer_markdown,
    chat_messages,
    citation_html,
    details_markdown,
    draft_markdown,
    escape_markdown,
    feedback_record,
    history_of,
    paragraph_context,
    sources_html,
)

DOC = (
    "Title line\n"
    "OpenAI is worried. Currently, over 800 million people chat with ChatGPT every week. It grows fast.\n"
    "Last line."
)
SENTENCE = "Currently, over 800 million people chat with ChatGPT every week."
START = DOC.index(SENTENCE)
CITE = Citation(1, "corpus/article.txt", START, START + len(SENTENCE), SENTENCE, 0.8)


def answered(text: str = "Over 800 million people use it every week [1].", **kw) -> Answer:
    return factories.answered("How many?", text, [CITE], **kw)


def refused(draft: str = "") -> Answer:
    status = Status.UNSUPPORTED if draft and "do not say" not in draft else Status.DECLINED
    return factories.refused("Who?", status if draft else Status.NOT_RELEVANT, draft=draft)


def test_markers_become_links_to_their_passage_anchor():
    md = answer_markdown(answered(), turn=3)
    assert f'href="#{anchor(3, 1)}"' in md
    assert ">[1]</a>" in md
    assert "[1]." not in md  # the raw marker is gone
    html = citation_html(CITE, DOC, turn=3)
    assert f'id="{anchor(3, 1)}"' in html  # the link target exists in the sources panel


def test_markers_with_several_numbers_and_uncited_numbers():
    answer = factories.answered("Q", "A [1, 2]. B [2].", [CITE, Citation(2, "corpus/article.txt", 0, 5, "Title", 0.5)])
    md = answer_markdown(answer, turn=0)
    assert md.count('href="#src-0-1"') == 1 and md.count('href="#src-0-2"') == 2
    with pytest.raises(ValueError, match="not among the citations"):  # a marker without a passage cannot exist
        answered("A [1]. B [7].")


def test_answer_text_is_escaped_in_markdown():
    md = answer_markdown(answered('<img src=x onerror="alert(1)"> [evil](javascript:alert(1)) $x$ [1]'), 0)
    assert "<img" not in md
    assert "&lt;img" in md
    assert "](javascript" not in md  # the link syntax is neutralised
    assert "\\$x\\$" in md
    assert escape_markdown("*bold* _it_ `code`") == "\\*bold\\* \\_it\\_ \\`code\\`"


def test_refusal_is_calm_and_says_why():
    md = answer_markdown(refused(), 0)
    assert md.startswith("The documents do not say.")
    assert "Nothing in the documents answers this" in md
    assert "error" not in md.lower() and "⚠" not in md
    withdrawn = answer_markdown(refused(draft="Nick Turley was born in 2012 [1]."), 0)
    assert "withdrew" in withdrawn
    # a draft that was itself a refusal is not a withdrawal
    assert "withdrew" not in answer_markdown(refused(draft="The documents do not say."), 0)


def test_dropped_sentences_are_disclosed():
    md = answer_markdown(answered(dropped=["He was born in 2012."]), 0)
    assert "1 sentence of the draft removed: the sources did not support it." in md
    assert "2 sentences" in answer_markdown(answered(dropped=["A.", "B."]), 0)


def test_draft_is_marked_as_unchecked_and_escaped():
    assert "Searching" in draft_markdown("")
    md = draft_markdown("Nick <b>Turley</b> [1]")
    assert "checking it against the sources" in md
    assert "<b>" not in md and "href" not in md  # markers are not linked before grounding


def test_paragraph_context_is_the_line_holding_the_span():
    before, cited, after = paragraph_context(DOC, CITE.start, CITE.end)
    assert before == "OpenAI is worried. "
    assert cited == SENTENCE
    assert after == " It grows fast."
    long = "word " * 200 + SENTENCE + " tail" * 200
    b, c, a = paragraph_context(long, 1000, 1000 + len(SENTENCE), context=50)
    assert b.startswith("…") and len(b) <= 52 and a.endswith("…") and len(a) <= 52
    assert c == SENTENCE


def test_sources_highlight_the_exact_span_with_name_and_position():
    html = citation_html(CITE, DOC, turn=0)
    assert f"<mark>{SENTENCE}</mark>" in html
    assert "OpenAI is worried. <mark>" in html and "</mark> It grows fast." in html
    assert "Title line" not in html and "Last line" not in html  # only the paragraph
    assert ">article.txt<" in html and 'title="corpus/article.txt"' in html
    assert f"characters {CITE.start:,}–{CITE.end:,}" in html


def test_hostile_document_text_is_inert():
    hostile = "<script>alert(1)</script> Evil ${value} {{x}} `t` <img src=x onerror=alert(2)>. "
    doc = hostile + SENTENCE + ' <a href="javascript:alert(3)">x</a>'
    start = doc.index(SENTENCE)
    cite = Citation(1, 'corpus/"><b>x.txt', start, start + len(SENTENCE), SENTENCE, 0.5)
    html = citation_html(cite, doc, turn=0)
    for raw in ("<script", "<img", "<a href", "${", "{{", "`", '"><b>'):
        assert raw not in html
    assert "&lt;script&gt;" in html and "&#36;&#123;value&#125;" in html


def test_changed_document_falls_back_to_the_indexed_sentence():
    html = citation_html(CITE, DOC.replace("800", "900"), turn=0)
    assert f"<mark>{SENTENCE}</mark>" in html and "changed since it was indexed" in html
    assert "changed since" in citation_html(CITE, None, turn=0)


def test_sources_panel_lists_answers_newest_first_latest_open():
    assert sources_html([], {}) == EMPTY_SOURCES
    turns = [Turn("First?", answered()), Turn("Second?", refused())]
    html = sources_html(turns, {"corpus/article.txt": DOC})
    assert html.index("Second?") < html.index("First?")
    assert '<details class="rag-turn" open><summary><span class="rag-turn-n">Answer 2</span>' in html
    assert "No passage cited" in html
    assert 'id="src-0-1"' in html


def test_each_citation_renders_once_in_the_sources_panel():
    answer = factories.answered("Q", "A [1]. B [1].", [CITE])
    assert sources_html([Turn("Q", answer)], {"corpus/article.txt": DOC}).count('id="src-0-1"') == 1
    with pytest.raises(ValueError, match="unique"):  # two passages can never share a number
        factories.answered("Q", "A [1].", [CITE, CITE])


def test_chat_messages_and_history():
    turns = [Turn("How <many>?", answered())]
    messages = chat_messages(turns, pending="Follow *up*?", draft="Partial")
    assert [m["role"] for m in messages] == ["user", "assistant", "user", "assistant"]
    assert messages[0]["content"] == "How &lt;many&gt;?"
    assert messages[2]["content"] == "Follow \\*up\\*?"
    assert "Partial" in messages[3]["content"]
    assert history_of(turns) == [
        {"role": "user", "content": "How <many>?"},
        {"role": "assistant", "content": "Over 800 million people use it every week."},
    ]


def test_details_show_rewritten_question_and_timings():
    assert "Ask a question" in details_markdown(None)
    answer = answered(
        rewritten_question="When did he join? (Nick Turley)",
        timings={"retrieve_s": 0.021, "ttft_s": 1.9, "total_s": 4.1},
        model="local:qwen2.5-1.5b",
        draft="something else",
    )
    md = details_markdown(answer)
    assert "When did he join? \\(Nick Turley\\)" in md
    assert "retrieve 0.02 s" in md and "first token 1.90 s" in md and "total 4.10 s" in md
    assert "local:qwen2.5-1.5b" in md
    assert "something else" not in md  # an unchecked draft is never shown
    assert "every sentence confirmed" in md
    assert "withdrawn" in details_markdown(refused(draft="Nick Turley was born in 2012 [1]."))
    assert "2012" not in details_markdown(refused(draft="Nick Turley was born in 2012 [1]."))
    assert "no draft" in details_markdown(refused())


def test_feedback_record_has_question_answer_citations_vote_time():
    when = datetime(2025, 12, 1, 12, 0, tzinfo=UTC)
    record = feedback_record(Turn("How many?", answered()), "up", when)
    assert record["time"] == "2025-12-01T12:00:00+00:00"
    assert record["vote"] == "up" and record["question"] == "How many?"
    assert record["answer"].startswith("Over 800 million")
    assert record["citations"][0]["text"] == SENTENCE


def test_a_pdf_citation_shows_page_section_ocr_and_a_link_to_that_page():
    cite = Citation(1, "corpus/manual.pdf", START, START + len(SENTENCE), SENTENCE, 0.8, 12, "3 Shell > 3.2 Options")
    html = citation_html(cite, DOC, 0, original="gradio_api/file=/data/originals/ab.pdf")
    assert '<span class="rag-src-pos"><span title="3 Shell &gt; 3.2 Options">page 12 · 3.2 Options</span>' in html
    assert 'href="gradio_api/file=/data/originals/ab.pdf#page=12"' in html and "open page 12" in html
    assert f"<mark>{SENTENCE}</mark>" in html and "OCR" not in html
    scanned = citation_html(
        Citation(2, "corpus/scan.pdf", START, START + len(SENTENCE), SENTENCE, 0.8, 2, None, True), DOC, 0
    )
    assert "page 2" in scanned and "OCR text" in scanned and "rag-src-open" not in scanned


def test_a_citation_without_pages_or_sections_shows_its_character_range():
    html = citation_html(CITE, DOC, 0)
    assert f"characters {START:,}–{START + len(SENTENCE):,}" in html and "page" not in html
    word = Citation(1, "corpus/notes.docx", START, START + len(SENTENCE), SENTENCE, 0.8, None, "Handbook > Wiring")
    assert ">Wiring</span>" in citation_html(word, DOC, 0)


def test_a_verified_answer_says_so_and_a_withdrawn_claim_is_disclosed():
    verified = answered(checks=("lexical: Over 800 million people use it every week.",))
    assert "✓ Verified" in answer_markdown(verified, 0)
    assert "checked for meaning" in details_markdown(verified)
    assert "✓ Verified" not in answer_markdown(answered(), 0)  # nothing checked, nothing claimed
    partly = answered(checks=("lexical: Over 800 million people use it every week.",), dropped=("Claude has 5 users.",))
    md = answer_markdown(partly, 0)
    assert "1 sentence of the draft removed" in md and "Claude has 5 users" not in md


def test_a_quote_given_for_a_withdrawn_draft_says_what_it_is():
    quote = answered(
        f"“{SENTENCE}” [1]",
        checks=("quoted from the source (model, P(yes) 0.93): “" + SENTENCE + "”",),
        dropped=("Since April, 900 million people use it.",),
        quoted=True,
    )
    md = answer_markdown(quote, 0)
    assert "source's own sentence, word for word" in md and ">[1]</a>" in md
    assert "of the draft removed" not in md and "900 million" not in md  # the withdrawn draft is not repeated
    assert "quoted instead" in details_markdown(quote)
    assert "source's own sentence" not in answer_markdown(answered(), 0)


def test_a_computed_difference_says_it_is_worked_out_not_written():
    computed = answered(
        "“Its share rose from 22% to 31%.” [1] The difference is 9 percentage points (31% − 22%) [1].",
        checks=("computed from the cited sentence: The difference is 9 percentage points (31% − 22%).",),
        quoted=True,
        computed=True,
    )
    md = answer_markdown(computed, 0)
    assert "worked out here from the two figures" in md and "the sentence in quotes" in md
    assert "worked out from the figures" in details_markdown(computed)
    assert "worked out" not in answer_markdown(answered(), 0)


def test_a_second_draft_after_a_decline_says_what_it_is():
    second = answered(
        "Over 800 million people [1].",
        checks=("second draft from source 1: model, P(yes) 0.95: Over 800 million people.",),
        redrafted=True,
    )
    md = answer_markdown(second, 0)
    assert "first reading found no answer" in md and ">[1]</a>" in md and "✓ Verified" in md
    assert "source's own sentence" not in md and "first declined" in details_markdown(second)
    assert "first reading" not in answer_markdown(answered(), 0)
    completed = factories.answered(
        "How many use it every week, and who said so?",
        f"Over 800 million people [1]. “{SENTENCE}” [2]",
        [CITE, Citation(2, "corpus/article.txt", 0, 5, "Title", 0.5)],
        redrafted=True,
    )
    both = answer_markdown(completed, 0)  # a second draft, then a quote for the part it left out
    assert "first reading found no answer" in both and "The sentence in quotes is the source's own" in both


def test_a_quote_that_completes_a_drafted_answer_says_which_sentence_it_is():
    two = factories.answered(
        "How many use it every week, and who said so?",
        f"Over 800 million people use it every week [1]. “{SENTENCE}” [2]",
        [CITE, Citation(2, "corpus/article.txt", 0, 5, "Title", 0.5)],
    )
    md = answer_markdown(two, 0)
    assert "The sentence in quotes is the source's own" in md and "part of your question" in md
    assert "The sentence in quotes" not in answer_markdown(answered(), 0)


def test_a_part_of_the_question_left_unanswered_is_named():
    partial = answered(
        checks=("lexical: Over 800 million people use it every week.",), unanswered=("who said *that* <b>?",)
    )
    md = answer_markdown(partial, 0)
    assert "Not answered: “who said \\*that\\* &lt;b&gt;?”" in md and "✓ Verified" in md
    assert md.index("Not answered") < md.index("✓ Verified")  # what is missing, before what holds
    assert "Not answered" not in answer_markdown(answered(), 0)
    with pytest.raises(ValueError, match="unanswered parts"):  # a refusal already speaks for every part
        factories.refused("Who, and when?", Status.DECLINED, unanswered=("when?",))


def _passage(n: int, *sentences: str, doc: str = DOC) -> Passage:
    chunks = tuple(
        Chunk(f"c{i}", "corpus/article.txt", "sha", doc.index(t), doc.index(t) + len(t), 0, len(doc), i, t)
        for i, t in enumerate(sentences)
    )
    return Passage(n, chunks, 0.5)


def test_a_refusal_shows_the_passages_searched_for_the_reader_to_check():
    two = _passage(1, "OpenAI is worried.", "Currently, over 800 million people chat with ChatGPT every week.")
    looked = [two, _passage(2, "It grows fast."), _passage(3, "Title line"), _passage(4, "Last line.")]
    declined = factories.refused("Who?", Status.DECLINED, retrieved=tuple(looked))
    assert "passages searched closest to it are under Sources" in answer_markdown(declined, 0)  # where to look
    html_ = sources_html([Turn("Who?", declined)], {"corpus/article.txt": DOC})
    assert "passages searched closest to the question" in html_ and "Last line" not in html_  # the best three
    assert f"<mark>OpenAI is worried. {SENTENCE}</mark>" in html_  # the passage, highlighted in its paragraph
    assert "document changed" not in html_
    withdrawn = factories.refused("Who?", Status.UNSUPPORTED, retrieved=tuple(looked))
    assert [c.n for c in withdrawn.searched(3)] == [1, 2, 3] and withdrawn.searched(3)[0].start == DOC.index("OpenAI")
    far = factories.refused("Who?", Status.NOT_RELEVANT, retrieved=tuple(looked))  # the gate found nothing close
    assert far.searched(3) == [] and "No passage cited" in sources_html([Turn("Who?", far)], {})
    assert "under Sources" not in answer_markdown(far, 0)
    cited = answered(retrieved=tuple(looked))
    assert cited.searched(3) == [] and "passages searched" not in sources_html([Turn("How many?", cited)], {})


def test_a_searched_passage_is_highlighted_as_written_with_its_page_and_section():
    # The document's own spacing is highlighted, not the passage's joined text; a changed document says so.
    spaced = DOC.replace("worried. Currently", "worried.  Currently")
    turn = Turn("Who?", factories.refused("Who?", retrieved=(_passage(1, "OpenAI is worried.", SENTENCE, doc=spaced),)))
    html_ = sources_html([turn], {"corpus/article.txt": spaced})
    assert f"<mark>OpenAI is worried.  {SENTENCE}</mark>" in html_ and "document changed" not in html_
    edited = spaced.replace("OpenAI is worried.", "OpenAI is calm now.")
    assert "document changed" in sources_html([turn], {"corpus/article.txt": edited})
    chunk = replace(turn.answer.retrieved[0].chunks[0], page=41, section="3 Shell > 3.5 Word Splitting", ocr=True)
    (on_page,) = factories.refused("Who?", retrieved=(Passage(1, (chunk,), 0.5),)).searched(3)
    assert (on_page.page, on_page.section, on_page.ocr) == (41, "3 Shell > 3.5 Word Splitting", True)
