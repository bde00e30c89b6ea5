"""The page translators readers already have, pointed at `xhs-translate serve`: each request replayed as its client
sends it (path, headers, body, language codes, key), against the running server, with a list mixing Chinese and
English, sticker codes, mentions and hashtags; keys from the same keys file as /translate, each client's way;
every bad request a 4xx in the client's own error shape, never a 500.

Sources of each shape (read through the search tool):
- Immersive Translate, "Custom API": https://immersivetranslate.com/en/docs/services/custom/ (POST JSON
  ``source_lang``, ``target_lang``, ``text_list``; answer ``translations[{detected_source_lang, text}]``; reserved
  placeholders such as ``<b0></b0>``; codes ``auto``, ``en``, ``zh-CN``, ``zh-TW``). The key goes in the URL
  (``?token=``), as MTranServer's README tells its users (xxnuo/MTranServer docs/README_en.md).
- Kiss Translator, "Custom" interface: fishjar/kiss-translator src/apis/trans.js ``genCustom`` (``{texts, from,
  to}`` or ``{text, from, to}``, header ``Authorization: Bearer ${key}`` even with no key) and ``parseTransRes``
  (``(res.translations ?? res).map(i => [i.text, i.src])``; one text: ``[res.text, res.src || res.from]``);
  src/config ``OPT_LANGS_SPECIAL[OPT_TRANS_CUSTOMIZE]`` maps ``auto`` to ``""``; custom-api_v2.md documents the
  array answer. v1 sent ``{text, from, to}`` and MTranServer reads its key from a ``KEY`` header (kiss.go).
- DeepL API v2: the official ``deepl`` Python client (translator.py: JSON to ``v2/translate``, ``Authorization:
  DeepL-Auth-Key``, reads ``detected_source_language`` and ``int(billed_characters)``, 403 = authorization
  failure); https://developers.deepl.com/docs/api-reference/translate (form bodies repeat ``text``,
  ``tag_handling=html``). MTranServer serves it at ``/deepl`` (internal/handlers/deepl.go).
- DeepLX: OwO-Network/DeepLX README (``{text, source_lang, target_lang}``, ``Authorization: Bearer``, answer
  ``{code, id, data, alternatives, source_lang, target_lang, method}``); Kiss's ``genDeeplX``/``[res.data,
  res.source_lang]``.
- Google Cloud Translation v2: https://cloud.google.com/translate/docs/reference/rest/v2/translate (``q``
  repeated, ``target``, ``source``, ``format`` html by default, ``key``; ``data.translations[{translatedText,
  detectedSourceLanguage}]``, the latter only without ``source``); MTranServer's ``/google/language/translate/v2``.
- Selection Translator (划词翻译) custom source: https://hcfy.app/docs/services/custom-api (``{name, text,
  destination, source}``; the second destination when the text is already in the first); MTranServer hcfy.go.
"""

from __future__ import annotations

import re
from urllib.parse import urlencode

import deepl
import pytest
from helpers import ServerProcess, client_of, metric
from hypothesis import given
from hypothesis import strategies as st

from xhs_translate.routing import convert
from xhs_translate.server.adapters import deepl_code, formats_of, google_code, looks_like_markup, presented_key
from xhs_translate.server.languages import model_code, public_code

STICKER = "[笑哭R]"
MIXED = [
    f"今天的火锅太好吃了{STICKER}{STICKER}",
    "This place is amazing, going back next week!",
    "@小红薯 求链接！#美食探店#",
    "姐妹们这个真的绝绝子",
    "Is this in Shanghai or Beijing?",
]
CHINESE = [0, 2, 3]
KEYS = "slow\t3\nfast\n"


def _kept_and_translated(texts: list[str], out: list[str]) -> None:
    """English items back byte for byte, Chinese ones translated with their sticker codes, mentions and hashtags'
    markers."""
    assert len(out) == len(texts)
    for i, (text, translated) in enumerate(zip(texts, out)):
        if i in CHINESE:
            assert translated != text, text
        else:
            assert translated == text
    assert out[0].count(STICKER) == 2
    # a hashtag's words are translated, its markers kept (issue 21: hashtags are content)
    assert "@小红薯" in out[2] and out[2].endswith("#") and "#" in out[2].split("@小红薯", 1)[1][:-1]


@pytest.fixture(scope="module")
def keyed(models_dir, tmp_path_factory):
    """A server with a keys file and small limits: ``slow`` may make 3 requests a minute, ``fast`` 50."""
    keys = tmp_path_factory.mktemp("adapter-keys") / "keys.tsv"
    keys.write_text(KEYS, encoding="utf-8")
    with ServerProcess("--models-dir", str(models_dir), "--no-cache", "--api-keys", str(keys), "--req-limit", "50",
                       "--batch-limit", "6", "--char-limit", "400") as process, client_of(process) as client:
        yield client


# --- codes: one place maps them -------------------------------------------------------------------------------


@pytest.mark.parametrize("code, argos", [
    ("ZH", "zh"), ("ZH-HANS", "zh"), ("zh-CN", "zh"), ("ZH-HANT", "zt"), ("zh-TW", "zt"), ("EN", "en"),
    ("EN-US", "en"), ("EN-GB", "en"), ("en", "en"), ("auto", "auto"),
])
def test_every_clients_codes_map_in_one_place(code, argos):
    assert model_code(code) == argos


def test_detected_codes_are_written_as_each_client_writes_them():
    assert [google_code(c) for c in ("zh-Hans", "zh-Hant", "en")] == ["zh-CN", "zh-TW", "en"]
    assert [deepl_code(c) for c in ("zh-Hans", "zh-Hant", "en")] == ["ZH", "ZH", "EN"]
    for argos in ("zh", "zt", "en"):  # what a client is told, it can send back
        assert model_code(google_code(public_code(argos))) == argos
    assert [model_code(deepl_code(public_code(a))) for a in ("zh", "en")] == ["zh", "en"]


@pytest.mark.parametrize("text, markup", [
    ("<b0></b0> Hallo <b1></b1> Welt", True), ('看<a href="/x">这里</a>', True), ("第一行<br/>第二行", True),
    ("5 < 6 and 7 > 3", False), ("{0} Hallo {1} Welt", False), (f"太好吃了{STICKER}", False),
])
def test_items_holding_tags_are_translated_as_markup(text, markup):
    assert looks_like_markup(text) is markup


@given(st.text().filter(lambda t: "<" not in t))
def test_plain_text_is_never_read_as_markup(text):
    assert formats_of([text, text]) == ["text", "text"]  # so it is never entity-decoded or escaped on the way back


# --- Immersive Translate ----------------------------------------------------------------------------------------


def test_immersive_translate_gets_per_item_detection_and_the_same_translations_as_translate(client):
    body = {"source_lang": "auto", "target_lang": "en", "text_list": MIXED}
    response = client.post("/imme", json=body, headers={"Content-Type": "application/json"})
    assert response.status_code == 200, response.text
    translations = response.json()["translations"]
    assert [t["detected_source_lang"] for t in translations] == ["zh-CN", "en", "zh-CN", "zh-CN", "en"]
    out = [t["text"] for t in translations]
    _kept_and_translated(MIXED, out)
    same = client.post("/translate", json={"q": MIXED, "source": "auto", "target": "en"}).json()
    assert same["translatedText"] == out


def test_immersive_translate_into_chinese_and_its_placeholders_keep_their_tags(client):
    texts = ["<b0></b0> The noodles here <b1></b1> are great", "Good morning everyone", "已经是中文了"]
    response = client.post("/imme?token=", json={"source_lang": "auto", "target_lang": "zh-CN", "text_list": texts})
    assert response.status_code == 200, response.text
    out = [t["text"] for t in response.json()["translations"]]
    assert re.findall(r"<[^>]+>", out[0]) == ["<b0>", "</b0>", "<b1>", "</b1>"] and out[0] != texts[0]
    assert out[1] != texts[1] and out[2] == texts[2]
    hant = client.post("/imme", json={"source_lang": "en", "target_lang": "zh-TW", "text_list": texts[1:2]}).json()
    hans = client.post("/imme", json={"source_lang": "en", "target_lang": "zh-CN", "text_list": texts[1:2]}).json()
    assert hant["translations"][0]["detected_source_lang"] == "en"
    # no zt package is installed, so zh-TW is the zh package's output through OpenCC s2t (routing.py)
    assert hant["translations"][0]["text"] == convert(hans["translations"][0]["text"], "s2t")


# --- Kiss Translator --------------------------------------------------------------------------------------------


def _kiss_parse(res, batch: bool) -> list[list]:
    """Kiss Translator's parseTransRes for OPT_TRANS_CUSTOMIZE."""
    if batch:
        items = res["translations"] if isinstance(res, dict) and "translations" in res else res
        return [[item["text"], item["src"]] for item in items]
    return [[res["text"], res.get("src") or res.get("from")]]


@pytest.mark.parametrize("auto", ["", "auto"])  # OPT_LANGS_SPECIAL maps auto to "" (newer docs show "auto")
def test_kiss_translator_batch_request(client, auto):
    # no key set: Kiss sends `Bearer ${key}` all the same, which fetch trims to "Bearer" (header values are normalised)
    headers = {"Content-type": "application/json", "Authorization": "Bearer"}
    response = client.post("/kiss", json={"texts": MIXED, "from": auto, "to": "en"}, headers=headers)
    assert response.status_code == 200, response.text
    parsed = _kiss_parse(response.json(), batch=True)
    _kept_and_translated(MIXED, [text for text, _ in parsed])
    assert [src for _, src in parsed] == ["zh-CN", "en", "zh-CN", "zh-CN", "en"]


def test_kiss_translator_rich_text_placeholders_keep_their_tags(client):
    texts = ["今天<b1>火锅</b1>很好吃", "Good <i1>morning</i1>"]
    response = client.post("/kiss", json={"texts": texts, "from": "", "to": "en"})
    out = [text for text, _ in _kiss_parse(response.json(), batch=True)]
    assert re.findall(r"<[^>]+>", out[0]) == ["<b1>", "</b1>"] and out[0] != texts[0] and out[1] == texts[1]


def test_kiss_translator_one_text_request(client):
    response = client.post("/kiss", json={"text": MIXED[0], "from": "zh-CN", "to": "en"})
    assert response.status_code == 200, response.text
    [[text, src]] = _kiss_parse(response.json(), batch=False)
    assert text != MIXED[0] and text.count(STICKER) == 2 and src == "zh-CN"
    same = client.post("/kiss", json={"text": MIXED[1], "from": "", "to": "en"}).json()
    assert same["text"] == MIXED[1] and same["from"] == "en"  # v1 hides it: res.from equals "to"


# --- DeepL and DeepLX -------------------------------------------------------------------------------------------


def test_deepl_official_python_client(server, client):
    translator = deepl.Translator("any-key:fx", server_url=server.url)  # no keys file: any key will do
    results = translator.translate_text(MIXED, target_lang="EN-US")
    _kept_and_translated(MIXED, [r.text for r in results])
    assert [r.detected_source_lang for r in results] == ["ZH", "EN", "ZH", "ZH", "EN"]
    one = translator.translate_text("姐妹们这个真的绝绝子", source_lang="ZH", target_lang="EN-GB")
    assert one.text == results[3].text and one.detected_source_lang == "ZH"
    html = translator.translate_text("<p>今天<b>火锅</b>很好吃</p>", target_lang="EN-US", tag_handling="html")
    assert re.findall(r"<[^>]+>", html.text) == ["<p>", "<b>", "</b>", "</p>"]
    hans = translator.translate_text("Good morning everyone", target_lang="ZH-HANS")
    assert hans.detected_source_lang == "EN" and hans.text != "Good morning everyone"


def test_deepl_form_body_at_mtranservers_path(client):
    form = [("text", MIXED[0]), ("text", MIXED[1]), ("target_lang", "EN")]
    response = client.post("/deepl", content=urlencode(form), headers={
        "Authorization": "DeepL-Auth-Key k", "Content-Type": "application/x-www-form-urlencoded"})
    assert response.status_code == 200, response.text
    translations = response.json()["translations"]
    assert [t["detected_source_language"] for t in translations] == ["ZH", "EN"]
    assert translations[1]["text"] == MIXED[1] and translations[0]["billed_characters"] == len(MIXED[0])


def test_deeplx_request_as_kiss_translator_sends_it(client):
    body = {"text": " ".join([MIXED[0], MIXED[3]]), "target_lang": "EN", "source_lang": "auto"}  # texts.join(" ")
    response = client.post("/deeplx", json=body, headers={"Content-type": "application/json"})
    assert response.status_code == 200, response.text
    res = response.json()
    assert res["code"] == 200 and isinstance(res["id"], int) and res["alternatives"] == []
    assert res["data"] != body["text"] and STICKER in res["data"] and res["source_lang"] == "ZH"
    assert res["target_lang"] == "EN"


# --- Google Cloud Translation v2 ----------------------------------------------------------------------------------


def test_google_v2_json_body_with_key_in_the_query(client):
    body = {"q": MIXED, "target": "en", "format": "text"}
    response = client.post("/language/translate/v2?key=anything", json=body)
    assert response.status_code == 200, response.text
    translations = response.json()["data"]["translations"]
    _kept_and_translated(MIXED, [t["translatedText"] for t in translations])
    assert [t["detectedSourceLanguage"] for t in translations] == ["zh-CN", "en", "zh-CN", "zh-CN", "en"]


def test_google_v2_repeated_q_defaults_to_html_and_names_no_source_when_given(client):
    form = [("q", "<p>今天<b>火锅</b>很好吃</p>"), ("q", "Tom &amp; Jerry"), ("target", "en"), ("source", "zh-CN")]
    response = client.post("/google/language/translate/v2", content=urlencode(form),
                           headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert response.status_code == 200, response.text
    translations = response.json()["data"]["translations"]
    assert re.findall(r"<[^>]+>", translations[0]["translatedText"]) == ["<p>", "<b>", "</b>", "</p>"]
    assert all(set(t) == {"translatedText"} for t in translations)
    query = client.get("/language/translate/v2", params=[("q", "你好"), ("q", "hello"), ("target", "en"),
                                                         ("format", "text")])
    assert query.status_code == 200 and query.json()["data"]["translations"][1]["translatedText"] == "hello"


# --- Selection Translator -----------------------------------------------------------------------------------------


def test_selection_translator_picks_its_second_destination_for_text_already_in_the_first(client):
    body = {"name": "xhs", "text": "今天天气很好\n我们去公园散步吧", "destination": ["中文(简体)", "英语"],
            "source": ""}
    res = client.post("/hcfy", json=body).json()
    assert res["from"] == "中文(简体)" and res["to"] == "英语" and res["text"] == body["text"]
    assert len(res["result"]) == 2 and all(r and not re.search(r"[\u4e00-\u9fff]{4}", r) for r in res["result"])
    english = client.post("/hcfy", json={**body, "text": "Good morning everyone"}).json()
    assert english["from"] == "英语" and english["to"] == "中文(简体)"
    assert english["result"][0] != "Good morning everyone"


# --- batching: a list is one service call --------------------------------------------------------------------------


def test_a_20_item_list_costs_what_translate_costs(server, client):
    def cost(path: str, body: dict) -> dict[str, float]:
        names = ["xhs_translate_model_batches_total", "xhs_translate_segments_translated_total"]
        before = [metric(server.url, name) for name in names]
        assert client.post(path, json=body).status_code == 200
        return {name: metric(server.url, name) - b for name, b in zip(names, before)}

    def items(tag: str) -> list[str]:
        return [f"{tag}第{n}条评论说这家店很好吃" for n in range(20)]  # new to the server's cache

    imme = cost("/imme", {"source_lang": "auto", "target_lang": "en", "text_list": items("沉浸")})
    plain = cost("/translate", {"q": items("自由"), "source": "auto", "target": "en"})
    assert imme["xhs_translate_segments_translated_total"] == 20 == plain["xhs_translate_segments_translated_total"]
    assert imme["xhs_translate_model_batches_total"] == plain["xhs_translate_model_batches_total"] < 20
    assert metric(server.url, "xhs_translate_requests_total", endpoint="/imme", status="200") >= 1


# --- keys: each client's way, the same keys file and limits ----------------------------------------------------------


def test_each_clients_key_is_checked_against_the_keys_file(keyed, models_dir):
    body = {"source_lang": "auto", "target_lang": "en", "text_list": ["你好"]}
    assert keyed.post("/imme?token=fast", json=body).status_code == 200
    assert keyed.post("/imme?token=wrong", json=body).json() == {"error": "Invalid API key"}
    assert keyed.post("/imme", json=body).status_code == 400
    kiss = {"texts": ["你好"], "from": "", "to": "en"}
    assert keyed.post("/kiss", json=kiss, headers={"Authorization": "Bearer fast"}).status_code == 200
    assert keyed.post("/kiss", json=kiss, headers={"KEY": "fast"}).status_code == 200
    assert keyed.post("/kiss", json=kiss, headers={"Authorization": "Bearer"}).status_code == 400
    assert keyed.post("/kiss", json=kiss, headers={"Authorization": "Bearer nope"}).status_code == 403
    deeplx = {"text": "你好", "source_lang": "auto", "target_lang": "EN"}
    assert keyed.post("/deeplx", json=deeplx, headers={"Authorization": "Bearer fast"}).status_code == 200
    assert keyed.post("/deeplx?token=nope", json=deeplx).json() == {"code": 403, "message": "Invalid API key"}
    hcfy = {"name": "x", "text": "你好", "destination": ["英语"]}
    assert keyed.post("/hcfy?token=fast", json=hcfy).status_code == 200


def test_deepl_keys_answer_as_deepl_does(keyed):
    url = str(keyed.base_url)
    assert deepl.Translator("fast", server_url=url).translate_text("你好", target_lang="EN-US").text
    with pytest.raises(deepl.AuthorizationException):
        deepl.Translator("wrong", server_url=url).translate_text("你好", target_lang="EN-US")
    missing = keyed.post("/v2/translate", json={"text": ["你好"], "target_lang": "EN"})
    assert missing.status_code == 403 and list(missing.json()) == ["message"]


def test_google_keys_answer_as_google_does(keyed):
    body = {"q": "你好", "target": "en"}
    assert keyed.post("/language/translate/v2?key=fast", json=body).status_code == 200
    assert keyed.post("/language/translate/v2", json=body, headers={"X-Goog-Api-Key": "fast"}).status_code == 200
    missing = keyed.post("/language/translate/v2", json=body)
    assert missing.status_code == 403 and missing.json()["error"]["status"] == "PERMISSION_DENIED"
    wrong = keyed.post("/language/translate/v2", json={**body, "key": "wrong"})
    error = wrong.json()["error"]
    assert wrong.status_code == 400 and error["code"] == 400 and error["status"] == "INVALID_ARGUMENT"
    assert error["errors"][0]["domain"] == "global" and error["message"] == "Invalid API key"


def test_one_keys_per_minute_limit_counts_every_clients_requests(keyed):
    lt = {"q": "你好", "source": "auto", "target": "en", "api_key": "slow"}
    assert keyed.post("/translate", json=lt).status_code == 200
    imme = {"source_lang": "auto", "target_lang": "en", "text_list": ["你好"]}
    assert keyed.post("/imme?token=slow", json=imme).status_code == 200
    kiss = keyed.post("/kiss", json={"text": "你好", "from": "", "to": "en"}, headers={"KEY": "slow"})
    assert kiss.status_code == 200
    over = keyed.post("/v2/translate", json={"text": ["你好"], "target_lang": "EN"},
                      headers={"Authorization": "DeepL-Auth-Key slow"})
    assert over.status_code == 429 and over.json() == {"message": "Slowdown: 3 per 1 minute"}


# --- bad requests: 4xx in the client's shape, never a 500 -------------------------------------------------------------

BAD = [
    ("/imme", {"target_lang": "en"}, 400, "missing text_list"),
    ("/imme", {"text_list": ["你好"]}, 400, "missing target_lang"),
    ("/imme", {"target_lang": "en", "text_list": [1, 2]}, 400, "text_list must be"),
    ("/imme", {"target_lang": "ja", "text_list": ["你好"]}, 400, "ja is not supported"),
    ("/imme", {"target_lang": "en", "text_list": ["好"] * 7}, 400, "exceeds text limit (6)"),
    ("/imme", {"target_lang": "en", "text_list": ["好" * 401]}, 400, "exceeds text limit (400)"),
    ("/kiss", {"from": "", "to": "en"}, 400, "missing text"),
    ("/kiss", {"texts": "你好", "to": "en", "from": 3}, 400, "from must be a language code"),
    ("/deeplx", {"text": ["a"], "target_lang": "EN"}, 400, "text must be a string"),
    ("/v2/translate", {"target_lang": "EN"}, 400, "missing text"),
    ("/v2/translate", {"text": ["你好"], "target_lang": "DE"}, 400, "DE is not supported"),
    ("/language/translate/v2", {"q": "你好"}, 400, "missing target"),
    ("/language/translate/v2", {"q": "你好", "target": "en", "format": "markdown"}, 400, "format"),
    ("/hcfy", {"text": "你好", "destination": "英语"}, 400, "destination a list"),
    ("/hcfy", {"text": "你好"}, 400, "missing destination"),
]


def _message(path: str, body) -> str:
    if path == "/language/translate/v2":
        return body["error"]["message"]
    return body.get("message") if path in ("/v2/translate", "/deeplx") else body["error"]


@pytest.mark.parametrize("path, body, status, message", BAD)
def test_bad_requests_are_4xx_in_the_clients_shape(keyed, path, body, status, message):
    response = keyed.post(path, json=body, headers={"Authorization": "Bearer fast"})
    assert response.status_code == status, response.text
    assert message in _message(path, response.json())


@pytest.mark.parametrize("path", ["/imme", "/kiss", "/deepl", "/deeplx", "/language/translate/v2", "/hcfy"])
def test_bodies_that_are_not_json_objects_are_400(keyed, path):
    for content in (b"{not json", b"[1, 2]", b"\xff\xfe"):
        response = keyed.post(path, content=content, headers={"Content-Type": "application/json",
                                                               "Authorization": "Bearer fast"})
        assert 400 <= response.status_code < 500, (content, response.text)
    assert keyed.get("/imme").status_code == 405


# --- browser extensions may call it -----------------------------------------------------------------------------------


def test_browser_extensions_origins_are_allowed_web_pages_are_not(client):
    body = {"source_lang": "auto", "target_lang": "en", "text_list": ["你好"]}
    for origin in ("chrome-extension://bpoadfkcbjbfhfodiogcnhhhpibjhbnh", "moz-extension://0b9c1c5e-1c0e"):
        response = client.post("/imme", json=body, headers={"Origin": origin})
        assert response.status_code == 200 and response.headers["access-control-allow-origin"] == origin
    assert client.post("/imme", json=body, headers={"Origin": "https://evil.example"}).status_code == 403


def test_presented_key_reads_every_clients_way():
    class Request:
        def __init__(self, **headers):
            self.headers = {k.lower(): v for k, v in headers.items()}

    assert presented_key(Request(Authorization="DeepL-Auth-Key abc:fx"), {}) == "abc:fx"
    assert presented_key(Request(Authorization="Bearer abc"), {}) == "abc"
    assert presented_key(Request(Authorization="abc"), {}) == "abc"  # MTranServer's bare token
    assert presented_key(Request(Authorization="Bearer "), {}) is None
    assert presented_key(Request(KEY="abc"), {}) == "abc"
    assert presented_key(Request(**{"X-Goog-Api-Key": "abc"}), {}) == "abc"
    assert presented_key(Request(), {"token": "abc"}) == "abc"
    assert presented_key(Request(), {"key": "", "api_key": "abc"}) == "abc"
    assert presented_key(Request(), {}) is None
