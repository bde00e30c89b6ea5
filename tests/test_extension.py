"""Issue 20 §4: the browser extension, built by ``xhs-translate extension`` and loaded unpacked into Debian's
Chromium (a Playwright persistent context with ``--load-extension`` and ``--disable-extensions-except``, as
Playwright's documentation on testing extensions shows), on the fixture note page (note_page.py) served at
https://www.xiaohongshu.com itself, talking to the real server started through the CLI (with ``--api-keys``, so
that a translation proves the key of the options page was sent).

Checked: the build (one content script made from the userscript's source, the manifest's permissions), a note page
translated, the options page's settings honoured at once (target language, a site turned off) and remembered
across a browser restart. The screenshots are README's examples/extension*.png (``$XHS_TRANSLATE_SCREENSHOTS``).
"""

from __future__ import annotations

import json
import os
import re
import time
import zipfile
from pathlib import Path

import note_page as fixture
import pytest
from helpers import ServerProcess, cli
from testkit.chromium import CHROMIUM_ARGS, find_chromium

from xhs_translate.extension import BROWSERS, LOCAL_SERVER, build_extension, content_script

USERSCRIPT = Path(__file__).resolve().parents[1] / "xhs_translate" / "server" / "static" / "xhs-translate.user.js"
FEW_SECONDS = 15_000
ALL_MARKED_JS = """() => [document.querySelector('#detail-title'), document.querySelector('#detail-desc .note-text'),
  ...document.querySelectorAll('.comment-item .note-text')].filter(el => el && el.getClientRects().length)
  .every(el => el.dataset.xhsTranslate)"""


def test_the_cli_builds_unpacked_folders_and_zips_from_the_userscripts_source(env, tmp_path):
    done = cli(env, "extension", "-o", str(tmp_path / "ext"))
    assert done.returncode == 0, done.stderr
    script = content_script()
    body = USERSCRIPT.read_text(encoding="utf-8").split("// ==/UserScript==\n", 1)[1].strip()
    # the same code: only the platform, the default server and the empty key differ from the userscript's source
    assert script.replace("'extension'", "'__XHS_TRANSLATE_PLATFORM__'", 1).replace(
        '"http://127.0.0.1:5000"', "'__XHS_TRANSLATE_SERVER__'", 1).replace(
        "const API_KEY = ''", "const API_KEY = '__XHS_TRANSLATE_API_KEY__'", 1).strip() == body
    for browser in BROWSERS:
        folder = tmp_path / "ext" / browser
        manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
        assert manifest["manifest_version"] == 3
        assert manifest["permissions"] == ["storage"] and manifest["host_permissions"] == list(LOCAL_SERVER)
        assert (folder / "content.js").read_text(encoding="utf-8") == script
        with zipfile.ZipFile(tmp_path / "ext" / f"xhs-translate-{browser}-{manifest['version_name']}.zip") as zf:
            assert sorted(zf.namelist()) == sorted(p.name for p in folder.iterdir())
            assert zf.read("content.js").decode("utf-8") == script
        text = " ".join(p.read_text(encoding="utf-8") for p in folder.iterdir())
        # no remote code: no eval, no module loaded from elsewhere; the only addresses: the sites, the local server
        assert not re.search(r"\beval\(|new Function|import\(|importScripts", text)
        assert set(re.findall(r"https?://[^\s'\"`)]*", text)) <= {
            "http://", "https://", "http://*/*", "https://*/*", "http://127.0.0.1/*", "http://localhost/*",
            "http://127.0.0.1:5000", "https://www.xiaohongshu.com/*", "https://www.rednote.com/*"}
    chromium_manifest = json.loads((tmp_path / "ext" / "chromium" / "manifest.json").read_text(encoding="utf-8"))
    firefox_manifest = json.loads((tmp_path / "ext" / "firefox" / "manifest.json").read_text(encoding="utf-8"))
    assert chromium_manifest["background"] == {"service_worker": "background.js"}
    assert firefox_manifest["background"] == {"scripts": ["background.js"]} and "gecko" in firefox_manifest[
        "browser_specific_settings"]
    # a file where the folder should go: a clear error, nothing written
    (tmp_path / "file").write_text("x", encoding="utf-8")
    done = cli(env, "extension", "-o", str(tmp_path / "file"))
    assert done.returncode == 2 and b"is a file" in done.stderr


class Browser:
    """Chromium with the unpacked extension, in a profile folder that outlives a restart."""

    def __init__(self, chromium, extension: Path, profile: Path):
        installing = not profile.exists() or not any(profile.iterdir())
        self.context = chromium.browser_type.launch_persistent_context(
            str(profile), executable_path=find_chromium(), headless=True,
            args=[*CHROMIUM_ARGS, f"--disable-extensions-except={extension}", f"--load-extension={extension}",
                  "--disable-features=DisableLoadExtensionCommandLineSwitch"],
            viewport={"width": 1280, "height": 900}, locale="en-US")
        self.context.route(f"{fixture.SITE}/**", lambda route: route.fulfill(
            status=200, content_type="text/html; charset=utf-8", body=self.page_html))
        self.page_html = fixture.page_html(fixture.note_html(fixture.TITLE, fixture.DESC, fixture.note_comments()[:4]))
        workers = self.context.service_workers or [self.context.wait_for_event("serviceworker", timeout=30_000)]
        self.extension_id = workers[0].url.split("/")[2]
        self.options_url = f"chrome-extension://{self.extension_id}/options.html"
        if installing:
            # background.js opens the options page itself on install; a page the test opened meanwhile would race
            # that navigation ("interrupted by another navigation"), so the test waits for it and uses it
            deadline = time.monotonic() + 30
            while not any(p.url == self.options_url for p in self.context.pages):
                assert time.monotonic() < deadline, "the extension did not open its options page on install"
                self.context.pages[0].wait_for_timeout(50)
        self.errors: list[str] = []
        self.page_requests: list[str] = []  # what the site's pages asked for (the background worker's are not here)

    def watch(self, page) -> None:
        page.on("request", lambda r: self.page_requests.append(r.url))
        page.on("pageerror", lambda e: self.errors.append(f"page error: {e}"))
        page.on("console", lambda m: self.errors.append(m.text) if m.type in ("error", "warning") else None)

    def options(self):
        page = next((p for p in self.context.pages if p.url == self.options_url), None)
        if page is None:
            page = self.context.new_page()
            page.goto(self.options_url)
        self.watch(page)
        page.locator("#server").wait_for()
        page.wait_for_function("() => document.querySelector('#server').value !== ''")
        return page

    def note(self):
        page = self.context.new_page()
        self.watch(page)
        page.goto(fixture.SITE + fixture.NOTE_PATH)
        return page

    def close(self) -> None:
        self.context.close()


def test_the_unpacked_extension_translates_a_note_and_honours_and_remembers_its_options(chromium, models_dir, tmp_path):
    keys = tmp_path / "keys.tsv"
    keys.write_text("reader-key\n", encoding="utf-8")
    extension = build_extension(tmp_path / "ext").folders["chromium"]
    folder = Path(os.environ.get("XHS_TRANSLATE_SCREENSHOTS") or tmp_path / "shots")
    folder.mkdir(parents=True, exist_ok=True)
    with ServerProcess("--models-dir", str(models_dir), "--no-cache", "--api-keys", str(keys)) as server:
        browser = Browser(chromium, extension, tmp_path / "profile")
        try:
            options = browser.options()  # opened by the extension at install too; the defaults:
            assert options.input_value("#server") == "http://127.0.0.1:5000"
            assert options.input_value("#target") == "en" and options.is_checked("#site-www\\.xiaohongshu\\.com")
            options.fill("#server", server.url)
            options.fill("#apiKey", "reader-key")
            options.click("button[type=submit]")
            options.locator("#status", has_text="Saved").wait_for()
            options.click("#check")
            options.locator("#status", has_text="The server answers: ok").wait_for(timeout=FEW_SECONDS)
            options.screenshot(path=str(folder / "extension-options.png"),
                               clip={"x": 360, "y": 0, "width": 560, "height": 600})

            note = browser.note()
            note.wait_for_function(ALL_MARKED_JS, timeout=60_000)
            assert note.locator("#comment-c01 .note-text").get_attribute("data-xhs-translate") == "done"
            # the requests came from the background worker: the page itself never called the server
            assert server.url + "/translate" not in browser.page_requests
            note.screenshot(path=str(folder / "extension.png"), clip={"x": 720, "y": 0, "width": 560, "height": 900})
            # the target changed on the options page: the open note follows at once, without a reload
            options.select_option("#target", "zh-Hans")
            options.click("button[type=submit]")
            note.wait_for_function("""() => { const t = document.querySelector('#detail-title');
                return t.dataset.xhsTranslate === 'same' && !document.querySelector('.xhs-translate[lang="en"]'); }""",
                                   timeout=FEW_SECONDS)
            assert note.locator(".xhs-translate-ui select").input_value() == "zh-Hans"
            # xiaohongshu.com turned off: nothing translated after a reload, the page's switch shows it off
            options.uncheck("#site-www\\.xiaohongshu\\.com")
            options.click("button[type=submit]")
            options.locator("#status", has_text="Saved").wait_for()
            note.reload()
            note.locator(".xhs-translate-ui").wait_for()
            assert not note.is_checked(".xhs-translate-on")
            note.wait_for_timeout(1500)  # more than a rescan's wait
            assert note.locator("[data-xhs-translate]").count() == 0
            # the page's own switch writes back to the extension's settings
            note.check(".xhs-translate-on")
            note.wait_for_function(ALL_MARKED_JS, timeout=60_000)
            assert browser.errors == []
        finally:
            browser.close()
        # a restart: everything remembered
        browser = Browser(chromium, extension, tmp_path / "profile")
        try:
            options = browser.options()
            assert options.input_value("#server") == server.url and options.input_value("#apiKey") == "reader-key"
            assert options.input_value("#target") == "zh-Hans"
            assert options.is_checked("#site-www\\.xiaohongshu\\.com")  # turned back on from the page
            assert options.is_checked("#site-www\\.rednote\\.com")
            assert browser.errors == []
        finally:
            browser.close()
    assert (folder / "extension.png").stat().st_size > 0


@pytest.mark.parametrize(("origin", "status"), [("chrome-extension://abcdefghijklmnopabcdefghijklmnop", 200),
                                                ("moz-extension://0b7a3e52-7d57-4c1f-9a51-5c1e3a2b9d10", 200),
                                                ("https://evil.example", 403)])
def test_the_server_admits_the_extensions_origin_and_still_refuses_other_sites(client, origin, status):
    """The background worker's requests carry its extension origin; a web page can never send one."""
    response = client.post("/translate", json={"q": "你好", "source": "auto", "target": "en"},
                           headers={"Origin": origin})
    assert response.status_code == status
    assert (response.headers.get("access-control-allow-origin") == origin) is (status == 200)
