from ingest.chunking import chunk_id, chunk_text
from rag.segment import sentence_spans


def test_offsets_map_back_to_the_exact_source_text(article_text):
    chunks = chunk_text(article_text, "corpus/a.txt", "sha")
    assert len(chunks) > 50
    for c in chunks:
        assert article_text[c.start : c.end] == c.text
        assert c.para_start <= c.start < c.end <= c.para_end
        assert c.text == c.text.strip()
    assert [c.position for c in chunks] == list(range(len(chunks)))


def test_numbers_and_versions_do_not_split_sentences(article_text):
    texts = [c.text for c in chunk_text(article_text, "a", "sha")]
    assert any("decreased by 22.5% since July" in t and "20.7%." in t for t in texts)
    assert any("GPT-3.5 model, officially ushering" in t for t in texts)


def test_a_dot_that_opens_a_file_name_does_not_end_a_sentence():
    text = (
        "Bash reads and executes commands from ~/.bashrc, if that file exists. Then it looks for "
        "~/.bash_profile, ~/.bash_login, and ~/.profile, in that order. The .inputrc file sets keys.\n"
        "It ends here. .NET is another thing."
    )
    chunks = chunk_text(text, "manual.txt", "sha")
    assert [c.text for c in chunks] == [
        "Bash reads and executes commands from ~/.bashrc, if that file exists.",
        "Then it looks for ~/.bash_profile, ~/.bash_login, and ~/.profile, in that order.",
        "The .inputrc file sets keys.",
        "It ends here.",
        ".NET is another thing.",
    ]
    assert all(text[c.start : c.end] == c.text for c in chunks)
    ends = "He said 'yes'.No way. He left .Then she came."  # a closing quote; a capitalised word
    expected = ["He said 'yes'.", "No way.", "He left .", "Then she came."]
    assert [c.text for c in chunk_text(ends, "a.txt", "sha")] == expected


def test_numbered_brackets_inside_a_sentence_are_not_list_items():
    text = (
        "This construct allows both the standard output (file\ndescriptor 1) and the standard error output "
        "(file descriptor 2) to be redirected to the file. It is reinstated (a) provisionally, and (b) "
        "permanently. See plot smooth (p. 4). Steps: 1) unpack it 2) run it"
    )
    assert [text[s:e] for s, e in sentence_spans(text)] == [
        "This construct allows both the standard output (file\ndescriptor 1) and the standard error output "
        "(file descriptor 2) to be redirected to the file.",
        "It is reinstated (a) provisionally, and (b) permanently.",
        "See plot smooth (p. 4).",
        "Steps:",
        "1) unpack it",
        "2) run it",
    ]
    items = "Options:\n(a) the first one\n(b) the second one\n(c) the last one"
    assert len(list(sentence_spans(items))) == 4  # brackets that open lines: a list
    wrapped = "Both the standard output\n(file descriptor 1) and the error output\n(file descriptor 2) are redirected."
    assert len(list(sentence_spans(wrapped))) == 1


def test_ids_are_stable_and_depend_on_content():
    a = chunk_text("One sentence. Two sentence.", "a.txt", "h1")
    b = chunk_text("One sentence. Two sentence.", "a.txt", "h1")
    c = chunk_text("One sentence. Two sentence.", "a.txt", "h2")
    assert [x.id for x in a] == [x.id for x in b]
    assert {x.id for x in a}.isdisjoint(x.id for x in c)
    assert a[0].id == chunk_id("a.txt", "h1", a[0].start, a[0].end)


def test_overlong_sentences_are_cut_at_whitespace():
    text = "word " * 400
    chunks = chunk_text(text, "a", "h", limit=100)
    assert all(len(c.text) <= 100 for c in chunks)
    assert all(text[c.start : c.end] == c.text for c in chunks)


def test_paragraphs_are_lines():
    text = "First para here.\n\nSecond para. It has two.\n"
    chunks = chunk_text(text, "a", "h")
    assert [c.text for c in chunks] == ["First para here.", "Second para.", "It has two."]
    assert chunks[1].para_start == chunks[2].para_start == text.index("Second")


def test_hard_wrapped_text_keeps_sentences_across_line_breaks():
    from ingest.chunking import is_hard_wrapped

    text = (
        "# Install\n\nThe tool installs from PyPI and needs no network at run time. It keeps\n"
        "every model in a cache folder that you can delete at any time without\nlosing your data.\n\n"
        "- first item of a list\n- second item of a list\n\nA closing paragraph that is short.\n"
    )
    assert is_hard_wrapped(text)
    chunks = chunk_text(text, "a.md", "h")
    texts = [c.text for c in chunks]
    assert "It keeps\nevery model in a cache folder that you can delete at any time without\nlosing your data." in texts
    assert "# Install" in texts and "- first item of a list" in texts and "- second item of a list" in texts
    for c in chunks:
        assert text[c.start : c.end] == c.text


def test_the_article_is_one_paragraph_per_line(article_text):
    from ingest.chunking import is_hard_wrapped

    assert not is_hard_wrapped(article_text)


def test_sentences_without_a_letter_or_digit_are_not_chunks():
    # A PDF's table of contents: its dot leaders split into sentences of their own; a page number stays.
    toc = "Contents\n\n6.2 Startup Files . . . . . . . . . . . . 93\n\n"
    text = toc + "* * *\n\n---\n\nA real sentence. . . . . And more.\n"
    chunks = chunk_text(text, "manual.pdf", "h")
    assert [c.text for c in chunks] == ["Contents", "6.2 Startup Files . . . .", "93", "A real sentence.", "And more."]
    assert [c.position for c in chunks] == list(range(len(chunks)))
    assert all(text[c.start : c.end] == c.text for c in chunks)
    assert chunk_text(". . . .\n\n#\n", "toc.pdf", "h") == []  # nothing to index: reported as "no text"
