"""The server's browser side over HTTP and in Chromium: ``GET /xhs-translate.user.js`` (a userscript header that
Violentmonkey and Tampermonkey install, with this server's address written in, whatever Host header comes),
``GET /`` with its script, style and ``/status``, and the page itself: paste a comment or a thread, read it
translated side by side with the detected language; hostile input stays text; no console error (a
Content-Security-Policy violation would be one)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import httpx
import pytest
from helpers import ServerProcess

from xhs_translate.server.ui import static_text, userscript_for

EXAMPLE_THREAD = Path(__file__).resolve().parents[1] / "examples" / "rednote_thread.json"
HTML_SINKS = ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function", "srcdoc")


def metadata(script: str) -> list[tuple[str, str]]:
    """The ``// @key value`` lines of a userscript's header block, in order."""
    block = script.split("// ==UserScript==", 1)[1].split("// ==/UserScript==", 1)[0]
    return [(m[1], (m[2] or "").strip()) for m in re.finditer(r"^// @(\S+)(?:[ \t]+(.*))?$", block, re.MULTILINE)]


# --- the userscript over HTTP ------------------------------------------------------------------------------


def test_the_userscript_is_served_with_an_installable_header_naming_this_server(client, server):
    response = client.get("/xhs-translate.user.js")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/javascript")
    script = response.text
    assert script.startswith("// ==UserScript==\n")  # what userscript managers look for
    meta = metadata(script)
    keys = dict(meta)
    assert [v for k, v in meta if k == "match"] == ["https://www.xiaohongshu.com/*", "https://www.rednote.com/*"]
    assert [v for k, v in meta if k == "grant"] == ["GM_xmlhttpRequest"]
    assert [v for k, v in meta if k == "connect"] == ["127.0.0.1"]
    assert keys["downloadURL"] == keys["updateURL"] == f"{server.url}/xhs-translate.user.js"
    assert keys["version"] == __import__("xhs_translate").__version__ and keys["name"]
    assert keys["run-at"] == "document-idle" and keys["noframes"] == ""
    assert f"const SERVER = '{server.url}';" in script
    assert "__XHS_TRANSLATE_" not in script  # every token written over


def test_the_userscript_names_the_host_the_browser_used_and_never_a_strange_one(client, server):
    port = server.url.rsplit(":", 1)[1]
    by_name = client.get("/xhs-translate.user.js", headers={"Host": f"localhost:{port}"}).text
    assert ("connect", "localhost") in metadata(by_name) and f"const SERVER = 'http://localhost:{port}';" in by_name
    for hostile in ("a'b:5000", "x\\y", "evil.example/path", "host:5000 ; x"):
        script = client.get("/xhs-translate.user.js", headers={"Host": hostile}).text
        assert f"const SERVER = '{server.url}';" in script  # the socket's own address instead
        assert ("connect", "127.0.0.1") in metadata(script)


def test_with_api_keys_a_known_key_is_written_into_the_script(models_dir, tmp_path):
    keys = tmp_path / "keys.tsv"
    keys.write_text("it's-mine\t30\n", encoding="utf-8")
    with ServerProcess("--models-dir", str(models_dir), "--no-cache", "--api-keys", str(keys)) as server:
        script = httpx.get(f"{server.url}/xhs-translate.user.js", params={"api_key": "it's-mine"}).text
        assert "const API_KEY = \"it's-mine\";" in script  # a JSON string literal, whatever the key holds
        assert dict(metadata(script))["downloadURL"] == f"{server.url}/xhs-translate.user.js?api_key=it%27s-mine"
        refused = httpx.get(f"{server.url}/xhs-translate.user.js", params={"api_key": "guess"})
        assert refused.status_code == 403 and refused.json() == {"error": "Invalid API key"}
        assert "const API_KEY = \"\";" in httpx.get(f"{server.url}/xhs-translate.user.js").text
    # without --api-keys a key in the URL is not written anywhere
    plain = userscript_for("http://127.0.0.1:5000")
    assert "const API_KEY = \"\";" in plain and "api_key=" not in plain.split("==/UserScript==")[0]


def test_no_script_of_ours_ever_parses_a_string_as_html():
    for name in ("xhs-translate.user.js", "app.js"):
        source = static_text(name)
        assert [sink for sink in HTML_SINKS if sink in source] == [], name


# --- the page over HTTP ------------------------------------------------------------------------------------


def test_the_page_its_script_and_style_are_served_with_a_strict_policy(client):
    page = client.get("/")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    policy = page.headers["content-security-policy"]
    assert "script-src 'self'" in policy and "default-src 'none'" in policy and "connect-src 'self'" in policy
    assert re.findall(r'(?:src|href)="([^"]+)"', page.text) == ["data:,", "app.css", "app.js", "xhs-translate.user.js"]
    assert "<script>" not in page.text and "style=" not in page.text  # nothing inline: the policy forbids it
    assert client.get("/app.js").headers["content-type"].startswith("text/javascript")
    assert client.get("/app.css").headers["content-type"].startswith("text/css")
    assert client.head("/").status_code == 200


def test_status_reports_models_cache_and_counters(client):
    status = client.get("/status").json()
    assert status["status"] == "ok"
    assert status["models"] == ["argos:translate-en_zh@1.0", "argos:translate-zh_en@1.0"]
    assert status["cache"]["enabled"] and status["cache"]["reachable"]
    assert set(status["stats"]) == {"comments", "segments_translated", "cache_hits", "cache_misses"}
    assert status["version"] == __import__("xhs_translate").__version__


# --- the page in Chromium ----------------------------------------------------------------------------------


@pytest.fixture
def page(chromium, server):
    context = chromium.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.problems = []
    page.on("console",
            lambda m: page.problems.append(f"{m.type}: {m.text}") if m.type in ("error", "warning") else None)
    page.on("pageerror", lambda e: page.problems.append(f"page error: {e}"))
    page.on("dialog", lambda d: (page.problems.append(f"dialog: {d.message}"), d.dismiss()))
    page.goto(server.url + "/")
    page.locator("#status-list dd.good").wait_for()
    yield page
    assert page.problems == []
    context.close()


def translate(page, text: str, target: str = "auto") -> list[dict]:
    page.fill("#input", text)
    page.select_option("#target", target)
    page.evaluate("() => { document.querySelector('#state').textContent = ''; }")  # no stale answer to read
    page.click("button[type=submit]")
    page.wait_for_function("() => /comments? in/.test(document.querySelector('#state').textContent)")
    return page.evaluate("""() => [...document.querySelectorAll('#result .pair')].map(p => ({
        depth: Number(p.dataset.depth), who: p.querySelector('.who')?.textContent || null,
        lang: p.querySelector('.lang').textContent, arrow: p.querySelector('.arrow')?.textContent || null,
        original: p.querySelector('.original .text').textContent,
        translation: p.querySelector('.translation .text').textContent,
        none: p.querySelector('.translation').classList.contains('none') }))""")


def test_a_pasted_comment_is_translated_side_by_side_with_its_language(page):
    [row] = translate(page, "今天天气很好，我们去公园散步吧。")
    assert row["lang"] == "Chinese" and row["arrow"] == "→ English"
    assert row["original"] == "今天天气很好，我们去公园散步吧。" and row["translation"] and not row["none"]
    assert row["translation"] != row["original"]
    [row] = translate(page, "[doge] 这个不是 JSON，是一条评论", target="en")  # a bracket first, yet not JSON
    assert row["original"] == "[doge] 这个不是 JSON，是一条评论" and "[doge]" in row["translation"]
    [row] = translate(page, "Already English, nothing to do here.", target="en")
    assert row["none"] and row["translation"] == "already in the target language"
    assert re.search(r"[1-9]\d* sentences translated", page.locator("#status-list").inner_text())


def test_a_pasted_thread_shows_every_comment_with_replies_indented(page):
    thread = json.loads(EXAMPLE_THREAD.read_text(encoding="utf-8"))
    rows = translate(page, json.dumps(thread, ensure_ascii=False), target="en")
    assert [r["original"] for r in rows] == [c["content"] for c in thread]
    ids = {c["comment_id"] for c in thread}
    for comment, row in zip(thread, rows):
        assert row["who"] == comment["nickname"]
        assert (row["depth"] > 0) == (comment["parent_comment_id"] in ids)
        if row["lang"] in ("Chinese", "English"):  # English is already in the target language
            assert row["none"] == (row["lang"] == "English") and row["arrow"] == "→ English"
    assert {r["lang"] for r in rows} >= {"Chinese", "English"}
    nested = {"comments": [
        {"comment_id": "a", "content": "第一条", "sub_comments": [{"comment_id": "b", "content": "回复"}]}
    ]}
    assert [r["depth"] for r in translate(page, json.dumps(nested, ensure_ascii=False))] == [0, 1]


def test_hostile_input_stays_text(page):
    hostile = '<img src=x onerror="alert(1)"><script>alert(2)</script> 你好'
    [row] = translate(page, hostile)
    assert row["original"] == hostile
    assert page.locator('#result img, #result script').count() == 0
    rows = translate(page, json.dumps([{"comment_id": "1", "nickname": "<b>x</b>", "content": hostile}]))
    assert rows[0]["who"] == "<b>x</b>" and rows[0]["original"] == hostile


def test_the_install_link_gives_the_userscript(page, server):
    href = page.locator("#install-link").evaluate("a => a.href")
    assert href == f"{server.url}/xhs-translate.user.js"
    assert page.request.get(href).text().startswith("// ==UserScript==")


def test_the_status_panel_names_the_cache(page, server):
    status = page.locator("#status-list").inner_text()
    assert "undefined" not in status
    where = page.request.get(server.url + "/status").json()["cache"]["where"]
    assert f"on: {where}" in status


def test_invalid_json_pasted_as_a_thread_is_said_to_be_invalid(page):
    page.fill("#input", '[{"comment_id": "1", "content": "第一条"},\n {"comment_id": "2", "content": "第二条"},]')
    page.click("button[type=submit]")
    page.wait_for_function("() => document.querySelector('#state').textContent.startsWith('Error')")
    assert "not valid JSON" in page.locator("#state").inner_text()
    assert page.locator("#result .pair").count() == 0  # not translated as one comment


def test_a_pasted_export_of_several_notes_is_grouped_by_note_and_closed(page):
    records = [{"comment_id": f"{note}-{n}", "note_id": note, "content": f"第{n}条评论", "parent_comment_id": "0",
                **({"note_title": "周末去哪儿"} if note == "n1" else {})}
               for note in ("n1", "n2", "n3") for n in range(4)]
    records.append({"comment_id": "n2-r", "note_id": "n2", "content": "回复", "parent_comment_id": "n2-1"})
    page.fill("#input", json.dumps(records, ensure_ascii=False))
    page.click("button[type=submit]")
    page.wait_for_function("() => /comments? in/.test(document.querySelector('#state').textContent)")
    notes = page.locator("#result details.note")
    assert notes.count() == 3 and page.locator("#result details.note[open]").count() == 0
    assert page.locator("#result .pair").count() == 0  # closed notes hold no rows yet: a big export stays short
    summaries = [notes.nth(i).locator("summary").inner_text() for i in range(3)]
    assert "周末去哪儿" in summaries[0] and "4 comments" in summaries[0]
    assert "“第0条评论”" in summaries[1] and "5 comments" in summaries[1]  # no title: its first comment, as html.py
    notes.nth(1).locator("summary").click()
    page.wait_for_function("() => document.querySelectorAll('#result details.note[open] .pair').length === 5")
    depths = page.evaluate("() => [...document.querySelectorAll('#result details.note[open] .pair')]"
                           ".map(p => Number(p.dataset.depth))")
    assert depths == [0, 0, 0, 0, 1]  # the reply, indented, where the export has it
