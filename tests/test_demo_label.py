"""Issue 20 §3: with demo (random-weight) models, everything that shows or stores a translation says DEMO: the
records of JSONL and CSV output (``translation_flags`` holds ``demo_model``), the HTML export (a notice at the top),
``/health``, ``/translate`` (``demo: true``) and the server's start-up lines. Real models say nothing of the kind.
The page at ``/`` shows DEMO in its status and beside each translation; the userscript's and the extension's label
are tested in test_userscript.py."""

from __future__ import annotations

import csv
import io
import json

import httpx
import pytest
from helpers import ServerProcess, cli, wait_for

from xhs_translate.results import DEMO_NOTICE, Flag

THREAD = [{"comment_id": "1", "content": "今天的火锅真好吃"}, {"comment_id": "2", "content": "我们明天再去吧",
                                                          "parent_comment_id": "1"}]


@pytest.fixture
def thread_file(tmp_path):
    path = tmp_path / "thread.json"
    path.write_text(json.dumps(THREAD, ensure_ascii=False), encoding="utf-8")
    return path


@pytest.mark.parametrize("demo", [True, False])
def test_records_and_the_html_export_say_demo_only_for_demo_models(env, thread_file, tmp_path, demo, request):
    env = {**env, "XHS_TRANSLATE_MODELS_DIR": str(request.getfixturevalue("demo_models_dir" if demo else "models_dir"))}
    out = {}
    for fmt in ("jsonl", "csv", "html"):
        path = tmp_path / f"out.{fmt}"
        done = cli(env, "translate", str(thread_file), "--no-cache", "-o", str(path))
        assert done.returncode == 0, done.stderr
        out[fmt] = path.read_text(encoding="utf-8")
    records = [json.loads(line) for line in out["jsonl"].splitlines()]
    rows = list(csv.DictReader(io.StringIO(out["csv"])))
    assert [r["translation_status"] for r in records] == ["translated", "translated"]
    assert all((Flag.DEMO_MODEL in r["translation_flags"]) is demo for r in records)
    assert all((Flag.DEMO_MODEL in row["translation_flags"].split(";")) is demo for row in rows)
    assert (DEMO_NOTICE.split(";")[0] in out["html"]) is demo
    assert ('class=demo role=alert' in out["html"]) is demo


def test_the_server_says_demo_at_start_in_health_and_in_translate(demo_models_dir, models_dir, tmp_path):
    with ServerProcess("--models-dir", str(demo_models_dir), "--no-cache") as server:
        wait_for(lambda: any(DEMO_NOTICE in line for line in server.log), "the DEMO line at start")  # after the address
        health = httpx.get(server.url + "/health", timeout=60).json()
        assert health["demo"] == DEMO_NOTICE and len(health["demo_models"]) == 2
        answer = httpx.post(server.url + "/translate",
                            json={"q": ["今天的火锅真好吃"], "source": "auto", "target": "en"}, timeout=60).json()
        assert answer["demo"] is True
    with ServerProcess("--models-dir", str(models_dir), "--no-cache") as server:
        assert not any("DEMO" in line for line in server.log)
        assert "demo" not in httpx.get(server.url + "/health", timeout=60).json()
        answer = httpx.post(server.url + "/translate",
                            json={"q": ["今天的火锅真好吃"], "source": "auto", "target": "en"}, timeout=60).json()
        assert "demo" not in answer


def test_the_servers_own_page_says_demo(chromium, demo_models_dir):
    with ServerProcess("--models-dir", str(demo_models_dir), "--no-cache") as server:
        page = chromium.new_page()
        try:
            page.goto(server.url + "/")
            page.locator("#status-list dd.good").wait_for()
            assert "gibberish" in page.locator("#status-list").inner_text()
            page.click("#example")
            page.locator("#result .pair").first.wait_for()
            translated = page.locator("#result .pair").count() - page.locator("#result .translation.none").count()
            assert page.locator("#result .pair .meta .demo").count() == translated > 0
        finally:
            page.close()


def test_install_demo_builds_and_installs_both_pairs_telling_each_stage(tmp_path):
    """The library side of ``models install --demo`` (issue 23 §1): an importing app gets the packages, and its
    callback hears every stage of every pair, in order."""
    from xhs_translate.models.demo import DEMO_PAIRS, DEMO_STAGES, install_demo
    from xhs_translate.models.packages import list_packages

    heard: list[tuple[str, str]] = []
    packages = install_demo(tmp_path / "models", progress=lambda pair, stage: heard.append((pair, stage)))
    assert [(p.from_code, p.to_code) for p in packages] == list(DEMO_PAIRS) and all(p.demo for p in packages)
    assert heard == [(f"{a}->{b}", stage) for a, b in DEMO_PAIRS for stage in (*DEMO_STAGES, "installing")]
    assert {(p.from_code, p.to_code) for p in list_packages(tmp_path / "models")} == set(DEMO_PAIRS)
