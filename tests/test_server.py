"""`xhs-translate serve`, started through the real CLI on a free loopback port, spoken to as LibreTranslate's
clients speak to it: libretranslatepy, Mastodon's JSON list of HTML posts, Discourse's form detect-then-translate;
plus /thread (equal to translate_thread), /health, /metrics, CORS and a concurrent load."""

from __future__ import annotations

import re
import threading
import uuid

import httpx
import pytest
from helpers import metric
from libretranslatepy import LibreTranslateAPI

from xhs_translate.routing import convert
from xhs_translate.server.markup import split_markup
from xhs_translate.translator import Translator

ORIGIN = "https://www.xiaohongshu.com"


# --- LibreTranslate's own Python client --------------------------------------------------------------------


def test_libretranslatepy_translates_detects_and_lists_languages(server):
    lt = LibreTranslateAPI(server.url)
    translated = lt.translate("今天天气很好，我们去公园散步吧。", "zh", "en")
    assert isinstance(translated, str) and translated and translated != "今天天气很好，我们去公园散步吧。"
    assert lt.translate("This one is already English.", "en", "en") == "This one is already English."
    assert lt.detect("hello world, how are you today?") == [{"confidence": pytest.approx(99, abs=1), "language": "en"}]
    assert lt.detect("欢迎美国朋友来小红书")[0]["language"] == "zh-Hans"
    codes = {entry["code"]: entry for entry in lt.languages()}
    assert [entry["code"] for entry in lt.languages()][:3] == ["en", "zh-Hans", "zh-Hant"]  # then the aliases
    assert {"en", "zh-Hans", "zh-Hant"} <= set(codes["en"]["targets"]) and codes["en"]["name"] == "English"
    assert {"en", "zh-Hans", "zh-Hant"} <= set(codes["zh-Hans"]["targets"])


# --- Mastodon ----------------------------------------------------------------------------------------------

MENTION = ('<span class="h-card" translate="no"><a href="https://social.example/@{0}" class="u-url mention">'
           '@<span>{0}</span></a></span>')
HASHTAG = '<a href="https://social.example/tags/{0}" class="mention hashtag" rel="tag">#<span>{0}</span></a>'
POSTS = [
    f"<p>Hello {MENTION.format('alice')}, the noodles were great today!<br />"
    f"Going back tomorrow {HASHTAG.format('food')}</p>",
    f"<p>今天天气很好，我们去公园散步了。<br />晚上吃了火锅 {HASHTAG.format('美食')} {MENTION.format('bob')}</p>",
    "<p>我也想去！<br>谢谢 " + MENTION.format("carol") + "</p>",
]


def _markup_only(html: str) -> list[str]:
    """Everything but translatable text: tags, and the text inside mentions, hashtags, code."""
    return [p.raw for p in split_markup(html) if not p.translatable]


def test_mastodon_posts_keep_their_markup_and_get_per_item_detection(client):
    body = {"q": POSTS, "source": "auto", "target": "en", "format": "html", "api_key": ""}
    response = client.post("/translate", json=body)
    assert response.status_code == 200, response.text
    data = response.json()
    out = data["translatedText"]
    assert isinstance(out, list) and len(out) == len(POSTS)
    assert [d["language"] for d in data["detectedLanguage"]] == ["en", "zh-Hans", "zh-Hans"]
    assert all(0 < d["confidence"] <= 100 for d in data["detectedLanguage"])
    assert out[0] == POSTS[0]  # already in the target language: unchanged, byte for byte
    for original, translated in zip(POSTS[1:], out[1:]):
        assert translated != original
        assert _markup_only(translated) == _markup_only(original)  # tags, attributes, mentions, hashtags verbatim
        assert re.findall(r"<[^>]+>", translated) == re.findall(r"<[^>]+>", original)
        before = [p.raw for p in split_markup(original) if p.translatable]
        after = [p.raw for p in split_markup(translated) if p.translatable]
        assert len(after) == len(before) and all(a != b for a, b in zip(after, before))  # every prose node translated


# --- Discourse ---------------------------------------------------------------------------------------------


def test_discourse_detects_then_translates_html_with_the_detected_source(client):
    cooked = "<p>欢迎美国朋友来小红书！这里的<strong>美食</strong>很多。</p>"
    plain = re.sub(r"<[^>]+>", "", cooked)  # Discourse strips the tags for detection
    detected = client.post("/detect", data={"q": plain, "api_key": ""})
    assert detected.status_code == 200
    language = detected.json()[0]["language"]
    assert language == "zh-Hans"
    # LibreTranslate 1.9.6 calls this one English (90): the markup's letters outweigh nothing here
    assert client.post("/detect", data={"q": "<p>欢迎美国朋友来小红书！</p>"}).json()[0]["language"] == "zh-Hans"
    response = client.post("/translate", data={"q": cooked, "source": language, "target": "en", "format": "html",
                                               "api_key": ""})
    assert response.status_code == 200, response.text
    translated = response.json()["translatedText"]
    assert isinstance(translated, str) and "detectedLanguage" not in response.json()
    assert re.findall(r"<[^>]+>", translated) == re.findall(r"<[^>]+>", cooked) and translated != cooked


def test_a_form_body_with_crlf_line_ends_is_read_like_the_json_one(client):
    form = client.post("/translate", data={"q": "第一行\r\n第二行", "source": "zh", "target": "en"}).json()
    json_ = client.post("/translate", json={"q": "第一行\n第二行", "source": "zh", "target": "en"}).json()
    assert form == json_


def test_codes_and_aliases_are_accepted_case_insensitively(client):
    results = set()
    for source in ("zh", "ZH-cn", "zh-Hans", "zh_CN", "zt", "zh-TW", "zh-Hant"):
        response = client.post("/translate", json={"q": "今天天气很好", "source": source, "target": "EN"})
        assert response.status_code == 200, (source, response.text)
        results.add(response.json()["translatedText"])
    assert len(results) == 1  # simplified text, whatever the Chinese source code says
    texts = ["good morning everyone", "welcome to RedNote!", "I love this color", "hello from Texas",
             "where did you buy it?", "this is amazing"]
    hant = client.post("/translate", json={"q": texts, "source": "en", "target": "zh-TW"}).json()["translatedText"]
    hans = client.post("/translate", json={"q": texts, "source": "en", "target": "zh"}).json()["translatedText"]
    # no zt package is installed, so zh-TW is the zh package's output through OpenCC s2t (routing.py); the
    # random-weight model writes characters of both scripts, so some texts differ between the two
    assert all(hans) and hant == [convert(text, "s2t") for text in hans]
    assert hant != hans


def test_alternatives_are_accepted_and_answered_empty(client):
    single = client.post("/translate", json={"q": "你好", "source": "auto", "target": "en", "alternatives": 3}).json()
    assert single["alternatives"] == [] and isinstance(single["detectedLanguage"], dict)
    batch = client.post("/translate", json={"q": ["你好", "hi"], "source": "auto", "target": "en",
                                            "alternatives": "2"}).json()
    assert batch["alternatives"] == [[], []]


def test_frontend_settings(client):
    settings = client.get("/frontend/settings").json()
    assert settings["charLimit"] == -1 and settings["apiKeys"] is False and settings["keyRequired"] is False
    assert settings["language"] == {"source": {"code": "auto", "name": "Auto Detect"},
                                    "target": {"code": "en", "name": "English"}}


# --- /thread -----------------------------------------------------------------------------------------------

THREAD = [
    {"comment_id": "t1", "content": "周末在公园野餐，阳光正好 [赞R] #周末[话题]#", "nickname": "野餐",
     "like_count": "12",
     "sub_comments": [
         {"comment_id": "t2", "content": "Picnic goals! Which park is this?", "parent_comment_id": "t1"},
         {"comment_id": "t3", "content": "@野餐 求地址", "at_users": [{"nickname": "野餐"}], "parent_comment_id": "t1"},
     ]},
    {"comment_id": "t4", "content": "😂😂😂"},
    {"comment_id": "t5", "content": None, "pictures": "a.jpg"},
]


def test_translation_confidence_is_the_librarys_and_null_where_nothing_was_translated(client, models_dir):
    texts = ["今天天气很好，我们去公园吧", "so cute I love it", "👍"]
    data = client.post("/translate", json={"q": texts, "source": "auto", "target": "en"}).json()
    expected = Translator(models_dir=models_dir, cache=False).translate_many(texts, target="en")
    assert data["translationConfidence"] == [r.confidence for r in expected]  # the same score, batched or not
    assert 0 < data["translationConfidence"][0] <= 1 and data["translationConfidence"][1:] == [None, None]
    html = "<p>今天天气很好</p><p>我们去<b>公园</b>吧</p>"
    scores = Translator(models_dir=models_dir, cache=False).translate_many(["今天天气很好", "我们去", "公园", "吧"],
                                                                           target="en")
    one = client.post("/translate", json={"q": html, "source": "zh", "target": "en", "format": "html"}).json()
    assert one["translationConfidence"] == min(r.confidence for r in scores)  # the lowest of its text nodes


def test_thread_equals_translate_thread(client, models_dir):
    response = client.post("/thread", json={"comments": THREAD, "target": "auto", "field_prefix": "xhs_"})
    assert response.status_code == 200, response.text
    expected = Translator(models_dir=models_dir, cache=False, field_prefix="xhs_").translate_thread(THREAD)
    data = response.json()
    assert data["comments"] == expected
    assert data["stats"] == {"comments": 5, "statuses": {"no_text": 2, "translated": 3}}
    english = client.post("/thread", json={"comments": THREAD, "target": "en"}).json()["comments"]
    assert english == Translator(models_dir=models_dir, cache=False).translate_thread(THREAD, target="en")


def test_thread_errors_are_the_librarys_one_line_messages(client):
    taken = client.post("/thread", json={"comments": [{"comment_id": "x", "content": "你好", "translation": "mine"}]})
    assert taken.status_code == 400 and "field_prefix" in taken.json()["error"]
    assert client.post("/thread", json={"comments": [1, 2]}).status_code == 400
    unknown = client.post("/thread", json={"comments": [], "text_feild": "body"})
    assert unknown.status_code == 400 and "text_feild" in unknown.json()["error"]
    assert client.post("/thread", json={"comments": [], "zh_variant": "Klingon"}).status_code == 400
    form = client.post("/thread", data={"comments": "[]"})
    assert form.json()["error"] == "Invalid request: /thread takes a JSON body"


# --- health, metrics, CORS ---------------------------------------------------------------------------------


def test_health_reports_models_and_cache(client):
    health = client.get("/health").json()
    assert health["status"] == "ok"
    assert health["models"] == ["argos:translate-en_zh@1.0", "argos:translate-zh_en@1.0"]
    assert health["cache"]["enabled"] is True and health["cache"]["reachable"] is True


def test_metrics_count_requests_errors_and_batches(server, client):
    names = [("xhs_translate_requests_total", {"endpoint": "/translate", "status": "200"}),
             ("xhs_translate_errors_total", {"endpoint": "/translate", "status": "400"}),
             ("xhs_translate_segments_translated_total", {}), ("xhs_translate_cache_misses_total", {}),
             ("xhs_translate_batch_texts_count", {}), ("xhs_translate_queue_wait_seconds_count", {})]
    # texts this server has never seen (it lives for the whole session, with its cache): two new segments, also
    # when this test runs again in the same pytest run
    fresh = "".join("零一二三四五六七八九"[int(d)] for d in str(uuid.uuid4().int)[:12])
    before = [metric(server.url, name, **labels) for name, labels in names]
    client.post("/translate", json={"q": [f"指标测试{fresh}甲", f"指标测试{fresh}乙"], "source": "zh", "target": "en"})
    client.post("/translate", json={"source": "zh", "target": "en"})
    after = [metric(server.url, name, **labels) for name, labels in names]
    grown = {name: a - b for (name, _), a, b in zip(names, after, before)}
    assert grown["xhs_translate_requests_total"] == 1 and grown["xhs_translate_errors_total"] == 1
    assert grown["xhs_translate_segments_translated_total"] == 2 == grown["xhs_translate_cache_misses_total"]
    assert grown["xhs_translate_batch_texts_count"] >= 1 and grown["xhs_translate_queue_wait_seconds_count"] >= 1


def test_cors_allows_the_sites_answers_preflights_and_refuses_others(client):
    preflight = client.options("/translate", headers={
        "Origin": ORIGIN, "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type",
        "Access-Control-Request-Private-Network": "true"})
    assert preflight.status_code == 204
    assert preflight.headers["access-control-allow-origin"] == ORIGIN
    assert preflight.headers["access-control-allow-private-network"] == "true"
    assert "POST" in preflight.headers["access-control-allow-methods"]
    assert preflight.headers["access-control-allow-headers"] == "content-type"
    answer = client.post("/translate", json={"q": "你好", "source": "auto", "target": "en"}, headers={"Origin": ORIGIN})
    assert answer.status_code == 200 and answer.headers["access-control-allow-origin"] == ORIGIN
    plain = client.post("/translate", content='{"q": "你好", "source": "auto", "target": "en"}',
                        headers={"Origin": "https://www.rednote.com", "Content-Type": "text/plain;charset=UTF-8"})
    assert plain.status_code == 200  # fetch's string body: no preflight needed, read as JSON
    other = client.post("/translate", json={"q": "你好", "source": "auto", "target": "en"},
                        headers={"Origin": "https://evil.example"})
    assert other.status_code == 403 and "access-control-allow-origin" not in other.headers
    own_page = client.post("/detect", json={"q": "你好"}, headers={"Origin": client.base_url.scheme + "://"
                                                                    + client.base_url.netloc.decode()})
    assert own_page.status_code == 200


# --- load --------------------------------------------------------------------------------------------------


def test_16_clients_times_20_requests_all_answered(server):
    errors: list[str] = []
    counts = [0] * 16

    def client_loop(n: int) -> None:
        with httpx.Client(base_url=server.url, timeout=300) as http:
            for i in range(20):
                text = [f"并发测试第{n}号客户第{i}次请求", "大家好", f"hello from client {n}"][i % 3]
                response = http.post("/translate", json={"q": text, "source": "auto", "target": "en"})
                if response.status_code != 200:
                    errors.append(f"{response.status_code} {response.text}")
                    continue
                data = response.json()
                detected = data.get("detectedLanguage", {})
                if not isinstance(data.get("translatedText"), str) or "language" not in detected:
                    errors.append(response.text)
                elif text.startswith("hello") and data["translatedText"] != text:
                    errors.append(f"an English text into English changed: {data}")
                counts[n] += 1

    threads = [threading.Thread(target=client_loop, args=(n,)) for n in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert counts == [20] * 16
    with httpx.Client(base_url=server.url) as http:
        assert http.get("/health").json()["status"] == "ok"


# --- /spec -------------------------------------------------------------------------------------------------


def test_spec_describes_every_route_the_server_answers(client):
    spec = client.get("/spec").json()
    assert spec["openapi"].startswith("3.") and spec["info"]["title"] == "xhs-translate"
    paths = spec["paths"]
    assert {"/translate", "/detect", "/languages", "/frontend/settings", "/thread", "/health", "/metrics", "/status",
            "/spec", "/", "/xhs-translate.user.js"} <= set(paths)
    for path, operations in paths.items():
        for method, operation in operations.items():
            assert operation["summary"], (path, method)
            answered = client.request(method.upper(), path, json={} if method == "post" else None)
            assert answered.status_code not in (404, 405), (path, method)  # the spec names only real routes
        for method in {"get", "post"} - set(operations):
            assert client.request(method.upper(), path).status_code == 405, (path, method)  # and all of them
    body = paths["/translate"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert body["required"] == ["q", "source", "target"]
    assert body["properties"]["format"]["enum"] == ["text", "html"]  # the list the endpoint checks against
    assert "application/x-www-form-urlencoded" in paths["/translate"]["post"]["requestBody"]["content"]
    thread = paths["/thread"]["post"]["requestBody"]["content"]
    assert list(thread) == ["application/json"] and "zh_variant" in thread["application/json"]["schema"]["properties"]
