"""Hostile input never gets a 500: lone surrogates in every field, numbers beyond a float, on every JSON route."""

from __future__ import annotations

import json
import os

import pytest
from helpers import ServerProcess, client_of

LONE = "\ud83d"  # half of an emoji's surrogate pair: valid in JSON text as an escape, never valid UTF-8
HEADERS = {"Content-Type": "application/json"}


def post(client, path: str, body: object):
    """``body`` as JSON text with \\u escapes (what a JavaScript client sends for a cut emoji)."""
    return client.post(path, content=json.dumps(body, ensure_ascii=True).encode("ascii"), headers=HEADERS)


def check(response, statuses=(200, 400)) -> object:
    assert response.status_code in statuses, response.text
    assert "Traceback" not in response.text and "internal error" not in response.text.lower()
    return json.loads(response.content)  # valid JSON, lone surrogates as escapes


TRANSLATE = {"q": f"今天天气很好{LONE}", "source": "auto", "target": "en"}


@pytest.mark.parametrize("body", [
    TRANSLATE,
    {**TRANSLATE, "q": [f"你好{LONE}", "hello", LONE]},
    {**TRANSLATE, "q": f"<p>你好{LONE}<b>朋友</b></p>", "format": "html"},
    {**TRANSLATE, "q": f"<p title='{LONE}'>你好</p>", "format": "html"},
    {**TRANSLATE, "source": f"zh{LONE}"},
    {**TRANSLATE, "target": f"en{LONE}"},
    {**TRANSLATE, "format": f"text{LONE}"},
    {**TRANSLATE, "api_key": LONE},
    {**TRANSLATE, "alternatives": LONE},
], ids=["q", "q-list", "q-html", "q-attribute", "source", "target", "format", "api_key", "alternatives"])
def test_a_lone_surrogate_in_any_field_of_translate_is_answered(client, body):
    answer = check(post(client, "/translate", body))
    if "translatedText" in answer:  # the text came back as it came, surrogate included
        texts = answer["translatedText"] if isinstance(answer["translatedText"], list) else [answer["translatedText"]]
        originals = body["q"] if isinstance(body["q"], list) else [body["q"]]
        assert all(LONE in text for text, original in zip(texts, originals) if LONE in original)


def test_a_lone_surrogate_in_detect_is_answered(client):
    check(post(client, "/detect", {"q": [f"你好{LONE}", LONE]}))


@pytest.mark.parametrize("body", [
    {"comments": [{"comment_id": f"c{LONE}", "content": f"你好{LONE}", "nickname": LONE}], "target": "en"},
    {"comments": [{"comment_id": "c1", "content": "你好", f"field{LONE}": 1}]},
    {"comments": [{"comment_id": "c1", "content": "你好"}], "target": f"en{LONE}"},
    {"comments": [{"comment_id": "c1", "content": "你好"}], "text_field": f"content{LONE}"},
    {"comments": [{"comment_id": "c1", "content": "你好"}], "field_prefix": LONE},
    {"comments": [{"comment_id": "c1", "content": "你好"}], f"option{LONE}": 1},
], ids=["comment", "field-name", "target", "text_field", "field_prefix", "option-name"])
def test_a_lone_surrogate_anywhere_in_thread_is_answered(client, body):
    answer = check(post(client, "/thread", body))
    if "comments" in answer:
        assert answer["comments"][0]["comment_id"] == body["comments"][0]["comment_id"]  # written back as it came


def test_a_number_beyond_a_float_is_a_400(client):
    body = b'{"comments": [{"comment_id": "c1", "content": "hi", "likes": 1e999}], "target": "en"}'
    response = client.post("/thread", content=body, headers=HEADERS)
    assert response.status_code == 400 and "1e999" in response.json()["error"]
    response = client.post("/translate", content=b'{"q": "hi", "source": "auto", "target": "en", "x": -1e999}',
                           headers=HEADERS)
    assert response.status_code == 400


def test_status_and_health_answer_with_a_cache_path_that_is_not_utf8(models_dir, tmp_path):
    cache = os.fsdecode(os.fsencode(str(tmp_path)) + b"/cache-\xff.sqlite3")  # a byte no UTF-8 holds
    with ServerProcess("--models-dir", str(models_dir), "--cache", cache) as server, client_of(server) as client:
        for path in ("/status", "/health"):
            answer = check(client.get(path), (200,))
            assert answer["cache"]["where"].endswith(".sqlite3")
        metrics = client.get("/metrics")
        assert metrics.status_code == 200 and "xhs_translate_requests_total" in metrics.text
