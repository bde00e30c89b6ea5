"""Would reading the site's own data (``window.__INITIAL_STATE__``, the ``/api/sns/web/v2/comment/page`` responses)
translate comments sooner than reading the page? It could start the translation request when the response
arrives instead of after the site renders it and the script's scan runs. This measures what that could save.

In headless Chromium, on a page with the site's comment markup, with the userscript (as ``serve`` serves it) and
``xhs-translate serve`` on the tiny random-weight models without cache, ``--repeats`` rounds, interleaved:

  * script: K new comments are rendered into the page (as the site renders a page of comments); the time until
    every one shows its translation;
  * request: the same number of new texts POSTed to /translate from the same page by fetch(), the time until the
    answer is in: the floor of any approach, which must still ask the server.

``script - request`` is the most that reading the responses first could save (the page's render is instant here;
on the real site it adds its own render time to both). The server's CPU seconds are shown beside wall time.

    python benchmarks/browser_latency.py [--comments 20] [--repeats 15]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common  # noqa: F401  (finds tests/testkit)
from testkit.chromium import CHROMIUM_ARGS, find_chromium
from testkit.models import cached_package

from xhs_translate.models.install import install_package

SITE = "https://www.xiaohongshu.com"
PAGE = ('<!doctype html><html><head><meta charset="utf-8"></head><body><div id="noteContainer" class="note-container">'
        '<div id="detail-title">成都三天两夜美食攻略</div><div class="comments-container"><div class="list-container">'
        '</div></div></div></body></html>')
RENDER_JS = """([texts]) => { window.t0 = performance.now();
  document.querySelector('.list-container').insertAdjacentHTML('beforeend', texts.map((t, i) =>
    `<div class="parent-comment"><div class="comment-item" id="comment-b${i}"><div class="content">`
    + `<span class="note-text"><span>${t}</span></span></div></div></div>`).join('')); }"""
DONE_JS = """n => { const all = [...document.querySelectorAll('.comment-item .note-text')].slice(-n);
  if (!all.every(el => el.dataset.xhsTranslate)) return false; window.t1 = performance.now(); return true; }"""
REQUEST_JS = """async ([url, texts]) => { const t0 = performance.now();
  const r = await fetch(url + '/translate', {method: 'POST', headers: {'Content-Type': 'text/plain'},
    body: JSON.stringify({q: texts, source: 'auto', target: 'en', format: 'text'})});
  await r.json(); return performance.now() - t0; }"""
DISHES = ["火锅", "串串", "兔头", "冰粉", "担担面", "钟水饺", "龙抄手", "甜水面", "蛋烘糕", "肥肠粉"]


def texts(round_: int, kind: str, count: int) -> list[str]:
    """Fresh texts every round (the server runs without cache, and the script skips what it translated)."""
    return [f"第{round_}轮{kind}{i}：这家的{DISHES[i % 10]}真的很好吃，下次还会再来" for i in range(count)]


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--comments", type=int, default=20)
    parser.add_argument("--repeats", type=int, default=15)
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as tmp:
        for pair in (("zh", "en"), ("en", "zh")):
            install_package(cached_package(*pair), models_dir=tmp)
        command = [str(Path(sys.executable).with_name("xhs-translate")), "serve", "--port", "0", "--models-dir", tmp,
                   "--no-cache"]
        server = subprocess.Popen(command, stderr=subprocess.PIPE, text=True)
        url = ""
        for line in server.stderr:
            if "serving on " in line:
                url = line.split("serving on ", 1)[1].split()[0]
                break
        try:
            script = httpx.get(url + "/xhs-translate.user.js", timeout=60).text
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=find_chromium(), args=CHROMIUM_ARGS)
                context = browser.new_context()
                context.grant_permissions(["local-network-access"], origin=SITE)
                context.route(f"{SITE}/**",
                              lambda route: route.fulfill(status=200, content_type="text/html", body=PAGE))
                page = context.new_page()
                page.goto(SITE + "/explore/1")
                page.add_script_tag(content=script)
                page.wait_for_function("() => document.querySelector('#detail-title').dataset.xhsTranslate")
                rows = {"script": [], "request": []}
                cpu = {"script": 0.0, "request": 0.0}
                for round_ in range(args.repeats):
                    for kind in ("script", "request") if round_ % 2 == 0 else ("request", "script"):
                        before = cpu_seconds(server.pid)
                        if kind == "script":
                            page.evaluate(RENDER_JS, [texts(round_, "s", args.comments)])
                            page.wait_for_function(DONE_JS, arg=args.comments, timeout=120_000, polling="raf")
                            rows[kind].append(page.evaluate("window.t1 - window.t0"))
                        else:
                            rows[kind].append(page.evaluate(REQUEST_JS, [url, texts(round_, "r", args.comments)]))
                        cpu[kind] += cpu_seconds(server.pid) - before
                browser.close()
        finally:
            server.terminate()
            server.wait(30)
    script_ms, request_ms = statistics.median(rows["script"]), statistics.median(rows["request"])
    print(f"{args.comments} comments, {args.repeats} interleaved rounds (medians; server CPU seconds summed)")
    print(f"script   (render -> every translation shown): {script_ms:7.0f} ms   server CPU {cpu['script']:.2f} s")
    print(f"request  (POST /translate -> answer):          {request_ms:7.0f} ms   server CPU {cpu['request']:.2f} s")
    print(f"ratio script/request: {script_ms / request_ms:.2f}; at most saved by reading responses: "
          f"{script_ms - request_ms:.0f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
