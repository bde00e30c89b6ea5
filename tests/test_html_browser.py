"""The HTML page in a real headless Chromium: notes collapse, the filter finds text and languages, the Details
switch shows what the reader view hides, links are safe, hostile comments stay text, nothing logs an error,
and the page still reads with JavaScript off.

Needs the ``playwright`` Python package (the ``test`` extra) and a Chromium binary: Debian's ``chromium``
(``apt-get install chromium``) at /usr/bin/chromium, or the path in ``$XHS_TRANSLATE_CHROMIUM``. Playwright's
own browser download is not used. Without either, these tests skip and say which is missing, unless
``$XHS_TRANSLATE_REQUIRE_BROWSER`` is set (CI sets it, so that they cannot silently skip there).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from xhs_translate.html import render_html
from xhs_translate.results import CONFIDENCE_FIELD, Flag, Status

try:
    from playwright import sync_api
except ImportError:  # the browser fixture skips, saying so
    sync_api = None

BENCH = Path(__file__).resolve().parents[1] / "benchmarks"


def record(comment_id, note, text, translation, source="zh", parent=0, status=Status.TRANSLATED.value, flags=(),
           **more):
    return {"comment_id": comment_id, "note_id": note, "content": text, "parent_comment_id": parent,
            "nickname": f"user-{comment_id}", "source_lang": source, "target_lang": "en" if source == "zh" else "zh",
            "translation": translation, "translation_status": status, "translation_flags": list(flags), **more}


# Written for these tests: two notes, one titled, replies two deep, a hostile comment, links, a low score.
RECORDS = [
    record("h1", "n-hotpot", "这家火锅太辣了", "This hotpot is too spicy", note_title="Weekend hotpot in Chengdu"),
    record("h2", "n-hotpot", "Looks amazing, where is it?", "看起来太棒了，在哪里？", source="en", parent="h1"),
    record("h3", "n-hotpot", "春熙路附近 https://example.org/map", "Near Chunxi Road https://example.org/map",
           parent="h2"),
    record("h4", "n-hotpot", "so cute", "好可爱", source="en"),
    record("c1", "n-cat", "Cat tax paid 🐱", "猫税已交 🐱", source="en", flags=[Flag.LOW_CONFIDENCE],
           **{CONFIDENCE_FIELD: 0.21}),
    record("c2", "n-cat", '<img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script>',
           "<script>window.__pwned=3</script>", source="en"),
    record("c3", "n-cat", "javascript:window.__pwned=4 and www.example.com", None, source="en",
           status=Status.SAME_LANGUAGE.value),
]


def expect(locator):
    return sync_api.expect(locator)


@pytest.fixture(scope="module")
def page_file(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("html") / "thread.html"
    path.write_text(render_html(RECORDS, title="Browser test"), encoding="utf-8")
    return path


def open_page(browser, page_file: Path, **context_options):
    """A new page on the file, with every console error and uncaught exception recorded in ``page.errors``."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, **context_options)
    page = context.new_page()
    page.errors = []
    page.on("console", lambda m: page.errors.append(f"console {m.type}: {m.text}") if m.type in ("error", "warning")
            else None)
    page.on("pageerror", lambda e: page.errors.append(f"page error: {e}"))
    page.goto(page_file.as_uri())
    return page


@pytest.fixture
def page(chromium, page_file):
    page = open_page(chromium, page_file)
    yield page
    assert page.errors == []  # no console error (a CSP violation would be one) and no script exception
    page.context.close()


def note(page, key):
    return page.locator(f'details.note[data-note="{key}"]')


def comment(page, comment_id):
    return page.locator(f'li.comment[data-id="{comment_id}"]')


def card(page, comment_id):
    """The comment's own card, without its replies."""
    return page.locator(f'li.comment[data-id="{comment_id}"] > .card')


def test_notes_are_collapsed_headers_that_open_with_replies_nested(page):
    assert page.locator("details.note").count() == 2
    hotpot = note(page, "n-hotpot")
    summary = hotpot.locator("summary")
    assert "Weekend hotpot in Chengdu" in summary.inner_text() and "4 comments" in summary.inner_text()
    # a note without a title is headed by the start of its first comment (issue 21 §6), not by its id
    assert note(page, "n-cat").locator("summary .nt").inner_text() == "“Cat tax paid 🐱”"
    assert not comment(page, "h1").is_visible()
    summary.locator(".nt").click()  # the heading opens the note (the link to the site is apart)
    assert hotpot.get_attribute("open") is not None and comment(page, "h3").is_visible()
    parent_of = "id => document.querySelector(`li[data-id='${id}']`).parentElement.closest('li.comment').dataset.id"
    assert page.evaluate(parent_of, "h3") == "h2" and page.evaluate(parent_of, "h2") == "h1"
    page.click("#expand")
    assert comment(page, "c1").is_visible()
    page.click("#collapse")
    assert not comment(page, "h1").is_visible() and not comment(page, "c1").is_visible()


def test_the_filter_finds_text_keeps_parents_as_context_and_restores_the_page(page):
    page.fill("#q", "WHERE is it")  # the filter runs shortly after typing stops: expect() waits for it
    expect(page.locator("#shown")).to_have_text("1 of 7 comments match")
    assert comment(page, "h2").is_visible()
    assert comment(page, "h1").is_visible() and "ctx" in comment(page, "h1").get_attribute("class")  # context
    assert not comment(page, "h3").is_visible() and not comment(page, "h4").is_visible()
    assert not note(page, "n-cat").is_visible()
    assert "1 match" in note(page, "n-hotpot").locator("summary").inner_text()
    page.fill("#q", "chunxi")  # the translation is searched too
    expect(comment(page, "h3")).to_be_visible()
    assert "ctx" in comment(page, "h2").get_attribute("class")
    page.fill("#q", "cat tax")  # a note that was hidden whole comes back with only its matches
    expect(comment(page, "c1")).to_be_visible()
    assert not comment(page, "c2").is_visible() and not note(page, "n-hotpot").is_visible()
    page.fill("#q", "")
    expect(page.locator("#shown")).to_have_text("")
    assert note(page, "n-cat").is_visible() and not comment(page, "h1").is_visible()  # collapsed as before
    assert page.locator("li.ctx").count() == 0 and page.locator("li.comment[hidden]").count() == 0


def test_the_filter_by_language(page):
    page.select_option("#lang", "zh")
    expect(page.locator("#shown")).to_have_text("2 of 7 comments match")
    assert comment(page, "h1").is_visible() and comment(page, "h3").is_visible()
    assert "ctx" in comment(page, "h2").get_attribute("class")  # English, but the parent of a Chinese reply
    assert not comment(page, "h4").is_visible() and not note(page, "n-cat").is_visible()
    page.select_option("#lang", "")
    expect(page.locator("#shown")).to_have_text("")
    assert note(page, "n-cat").is_visible()


def test_details_shows_statuses_flags_and_scores_without_moving_the_page(page):
    page.click("#expand")
    chips = card(page, "c1").locator(".chips")
    same_language_note = card(page, "c3").locator(".translation")
    assert not chips.is_visible() and not same_language_note.is_visible()
    comment(page, "c3").scroll_into_view_if_needed()
    scrolled = page.evaluate("window.scrollY")
    page.click("label.switch")
    assert page.evaluate("window.scrollY") == scrolled
    assert chips.is_visible() and chips.inner_text().split("\n") == ["translated", "low confidence", "confidence 0.21"]
    assert same_language_note.is_visible() and "already in the target language" in same_language_note.inner_text()
    page.click("label.switch")
    assert not chips.is_visible()


def test_low_confidence_is_dimmed_with_the_score_in_a_tooltip(page):
    page.click("#expand")
    low = card(page, "c1").locator(".translation")
    assert low.get_attribute("title") == "low model confidence 0.21"
    opacity = "el => Number(getComputedStyle(el.querySelector('.text')).opacity)"
    assert low.evaluate(opacity) < 1 and card(page, "h1").locator(".translation").evaluate(opacity) == 1


def test_links_are_http_only_and_hostile_text_stays_inert(page):
    page.click("#expand")
    links = page.eval_on_selector_all("a[href]", "as => as.map(a => [a.href, a.rel, a.target])")
    assert links and all(href.startswith(("http://", "https://")) for href, _, _ in links)
    assert all(set(rel.split()) == {"noopener", "noreferrer"} and target == "_blank" for _, rel, target in links)
    assert ["https://example.org/map", "noopener noreferrer", "_blank"] in links
    assert page.evaluate("window.__pwned") is None
    assert page.evaluate("document.images.length") == 0 and page.evaluate("document.scripts.length") == 1
    assert "<script>window.__pwned=2</script>" in card(page, "c2").locator(".original").inner_text()
    assert "<script>window.__pwned=3</script>" in card(page, "c2").locator(".translation").inner_text()
    assert card(page, "c3").locator("a").count() == 0  # javascript: and a bare domain stay text


def test_without_javascript_the_page_still_reads(chromium, page_file):
    page = open_page(chromium, page_file, java_script_enabled=False)
    try:
        assert not page.is_visible("#q") and not page.is_visible("#expand")  # the controls that need it
        note(page, "n-cat").locator("summary .nt").click()  # native <details>
        assert comment(page, "c1").is_visible()
        chips = card(page, "c1").locator(".chips")
        assert not chips.is_visible()
        page.click("label.switch")  # the Details switch is a CSS checkbox
        assert chips.is_visible()
        assert page.errors == []
    finally:
        page.context.close()


def test_the_page_benchmark_runs_at_a_tiny_size(chromium):
    """benchmarks/html_page.py end to end on 40 comments, so it cannot rot; its output, never a time."""
    proc = subprocess.run([sys.executable, str(BENCH / "html_page.py"), "--comments", "40", "--repeats", "1"],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert "thread: 40 comments on" in out and "page/baseline: load" in out
    for row in ("| baseline (bare list)", "| page ", "| page, every note expanded", "first use (builds the index)",
                "| language = en", "console errors on the page: 0"):
        assert row in out, row
