"""Chinese between the server and its real clients: each client's language logic, replayed from its source on the
real ``/languages`` answer, then the request that client sends, with a zh status, a zh-CN locale and a zh_TW locale.

Sources read (public repositories, through the search tool):
- Mastodon ``app/lib/translation_service/libre_translate.rb`` (``languages``: ``{code => targets - [code]}``) and
  ``app/services/translate_status_service.rb`` (``permitted?``: ``languages[status.language]&.include?(target)``,
  target = the user's locale, ``zh-CN``/``zh-TW``/``zh-HK``; the request: JSON ``q`` list, ``source`` = the
  status language, ``format=html``);
- discourse/discourse-translator ``services/discourse_translator/libretranslate.rb`` (``SUPPORTED_LANG_MAPPING``:
  ``zh_CN`` and ``zh_TW`` -> ``"zh"``; ``translate_supported?``: the detected source and the mapped target are both
  ``code``s of ``/languages``; form bodies);
- WeblateOrg/weblate ``weblate/machinery/libretranslate.py`` (``language_map = {"zh_Hans": "zh"}``) and
  ``weblate/machinery/base.py`` (``get_language_possibilities``: the mapped code, then the code cut at each ``_``;
  ``is_supported``: both codes in ``/languages`` and different); issue WeblateOrg/weblate#15967;
- npm ``libretranslate`` 1.0.1 ``dist/translate.js`` (``"auto"`` plus every ``code`` of ``/languages`` must hold
  the source and the target, else it throws; JSON body).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import urllib.parse
import urllib.request
from itertools import chain
from pathlib import Path

import pytest
from helpers import skip_unless_required

from xhs_translate.routing import convert

STATUS_HANS = "<p>这个颜色真的很好看，我们明天再去买一个吧。</p>"
STATUS_HANT = "<p>這個顏色真的很好看，我們明天再去買一個吧。</p>"
STATUS_EN = "<p>The noodles at this place are great, we will come back tomorrow.</p>"


@pytest.fixture(scope="module")
def listing(client) -> list[dict]:
    response = client.get("/languages", headers={"Content-Type": "application/json"})  # as Mastodon asks
    assert response.status_code == 200
    return response.json()


# --- Mastodon ----------------------------------------------------------------------------------------------


def mastodon_languages(listing: list[dict]) -> dict:
    """``TranslationService::LibreTranslate#languages``."""
    languages = {entry["code"]: [t for t in entry["targets"] if t != entry["code"]] for entry in listing}
    languages[None] = sorted(set(chain.from_iterable(languages.values())))
    return languages


def mastodon_permitted(languages: dict, status_language: str, target: str) -> bool:
    """``TranslateStatusService#permitted?`` (for a distributable status on a configured backend)."""
    return target in (languages.get(status_language) or [])


@pytest.mark.parametrize("status_language", ["zh", "zh-CN", "zh-TW", "zh-HK"])
def test_mastodon_permits_chinese_statuses_into_english(listing, status_language):
    assert mastodon_permitted(mastodon_languages(listing), status_language, "en")


@pytest.mark.parametrize("locale", ["zh-CN", "zh-TW", "zh-HK", "zh"])
def test_mastodon_permits_english_statuses_into_chinese_locales(listing, locale):
    assert mastodon_permitted(mastodon_languages(listing), "en", locale)


def test_mastodon_permits_the_other_script_but_not_the_same_one_twice(listing):
    languages = mastodon_languages(listing)
    assert mastodon_permitted(languages, "zh-CN", "zh-TW") and mastodon_permitted(languages, "zh-TW", "zh-CN")
    assert not mastodon_permitted(languages, "zh", "zh-CN")  # the same text back: no "Translate" button for it
    assert not mastodon_permitted(languages, "zh-TW", "zh-HK")


def test_mastodon_translates_a_zh_status_and_into_each_chinese_locale(client, listing):
    def mastodon(status_language: str, locale: str, html: str) -> str:
        body = {"q": [html], "source": status_language, "target": locale, "format": "html", "api_key": ""}
        response = client.post("/translate", json=body)
        assert response.status_code == 200, (status_language, locale, response.text)
        return response.json()["translatedText"][0]

    for status_language in ("zh", "zh-CN", "zh-HK"):
        out = mastodon(status_language, "en", STATUS_HANS if status_language != "zh-HK" else STATUS_HANT)
        assert out.startswith("<p>") and out.endswith("</p>") and out not in (STATUS_HANS, STATUS_HANT)
    hans = mastodon("en", "zh-CN", STATUS_EN)
    assert hans != STATUS_EN
    assert mastodon("en", "zh-TW", STATUS_EN) == mastodon("en", "zh-HK", STATUS_EN) == convert(hans, "s2t")
    # the two scripts into each other: OpenCC, markup untouched
    assert mastodon("zh-CN", "zh-TW", STATUS_HANS) == STATUS_HANT
    assert mastodon("zh-HK", "zh-CN", STATUS_HANT) == STATUS_HANS


# --- Discourse ---------------------------------------------------------------------------------------------

DISCOURSE_MAPPING = {"en": "en", "en_US": "en", "zh_CN": "zh", "zh_TW": "zh"}


def discourse_translate_supported(listing: list[dict], source: str, locale: str) -> bool:
    """``DiscourseTranslator::LibreTranslate.translate_supported?``."""
    lang = DISCOURSE_MAPPING.get(locale)
    return any(e["code"] == source for e in listing) and any(e["code"] == lang for e in listing)


@pytest.mark.parametrize("locale", ["zh_CN", "zh_TW"])
def test_discourse_finds_zh_and_translates_an_english_post_for_a_chinese_locale(client, listing, locale):
    detected = client.post("/detect", data={"q": "The noodles at this place are great", "api_key": ""}).json()
    source = detected[0]["language"]
    assert source == "en"
    assert discourse_translate_supported(listing, source, locale)
    response = client.post("/translate", data={"q": STATUS_EN, "source": source, "target": DISCOURSE_MAPPING[locale],
                                               "format": "html", "api_key": ""})
    assert response.status_code == 200, response.text
    assert response.json()["translatedText"] != STATUS_EN


@pytest.mark.parametrize("text", [STATUS_HANS, STATUS_HANT])
def test_discourse_translates_a_chinese_post_for_an_english_locale(client, listing, text):
    plain = text.replace("<p>", "").replace("</p>", "")
    source = client.post("/detect", data={"q": plain, "api_key": ""}).json()[0]["language"]
    assert source.startswith("zh")
    assert discourse_translate_supported(listing, source, "en")
    response = client.post("/translate", data={"q": text, "source": source, "target": "en", "format": "html"})
    assert response.status_code == 200, response.text


# --- Weblate -----------------------------------------------------------------------------------------------

WEBLATE_MAP = {"zh_Hans": "zh"}


def weblate_possibilities(code: str):
    """``BatchMachineTranslation.get_language_possibilities`` with LibreTranslate's ``language_map``."""
    yield WEBLATE_MAP.get(code, code)
    code = code.replace("-", "_")
    while "_" in code:
        code = code.rsplit("_", 1)[0]
        yield WEBLATE_MAP.get(code, code)


def weblate_languages(listing: list[dict], source: str, target: str) -> tuple[str, str] | None:
    """``BatchMachineTranslation.get_languages``: the first (source, target) pair both listed and different."""
    supported = {entry["code"] for entry in listing}
    for s in weblate_possibilities(source):
        for t in weblate_possibilities(target):
            if s in supported and t in supported and s != t:
                return s, t
    return None


def test_weblate_sends_codes_that_serve_each_chinese_script(client, listing):
    assert weblate_languages(listing, "en", "zh_Hans") == ("en", "zh")
    assert weblate_languages(listing, "en", "zh_Hant") == ("en", "zh_Hant")  # not its fallback "zh": Simplified
    assert weblate_languages(listing, "zh_Hant", "en") == ("zh_Hant", "en")

    def weblate(source: str, target: str, texts: list[str]) -> list[str]:
        response = client.post("/translate", json={"api_key": "", "q": texts, "source": source, "target": target})
        assert response.status_code == 200, response.text
        return response.json()["translatedText"]

    texts = ["Save the file before closing", "Open settings"]
    hans = weblate(*weblate_languages(listing, "en", "zh_Hans"), texts)
    assert weblate(*weblate_languages(listing, "en", "zh_Hant"), texts) == [convert(t, "s2t") for t in hans]
    assert weblate(*weblate_languages(listing, "zh_Hant", "en"), ["保存檔案"])[0]


# --- npm libretranslate ------------------------------------------------------------------------------------


def test_npm_libretranslate_accepts_zh_both_ways(client, listing):
    available = ["auto", *(entry["code"] for entry in listing)]
    for source, target, text in (("zh", "en", "今天天气很好"), ("en", "zh", "good morning"), ("auto", "zh", "hello")):
        assert source in available and target in available
        body = {"q": text, "source": source, "target": target, "format": "text", "apiKey": ""}
        response = client.post("/translate", json=body)
        assert response.status_code == 200 and response.json()["translatedText"], response.text


NPM_CLIENT_ENV = "XHS_TRANSLATE_NPM_LIBRETRANSLATE"
REQUIRE_CLIENTS_ENV = "XHS_TRANSLATE_REQUIRE_CLIENTS"
NPM_SCRIPT = """
const { translate } = require(process.argv[1]);
(async () => {
  const out = [];
  for (const [source, target, query] of JSON.parse(process.argv[3])) {
    out.push(await translate({ query, source, target, apiurl: process.argv[2] }));
  }
  console.log(JSON.stringify(out));
})().catch((err) => { console.error(String(err)); process.exit(1); });
"""


def npm_libretranslate_or_skip() -> str:
    """The folder of npm ``libretranslate`` 1.0.1 (``.ci/run`` installs it and names it in
    $XHS_TRANSLATE_NPM_LIBRETRANSLATE), or skip saying how to get it; fail instead under
    $XHS_TRANSLATE_REQUIRE_CLIENTS."""
    folder = os.environ.get(NPM_CLIENT_ENV, "")
    missing = None
    if not shutil.which("node"):
        missing = "no node binary (apt-get install nodejs)"
    elif not folder or not Path(folder, "dist", "translate.js").is_file():
        missing = (f"npm libretranslate is not installed: npm install --prefix DIR libretranslate@1.0.1 and set "
                   f"{NPM_CLIENT_ENV}=DIR/node_modules/libretranslate")
    skip_unless_required(missing, REQUIRE_CLIENTS_ENV)
    return folder


def test_the_real_npm_libretranslate_client_translates_zh_both_ways(server):
    """npm ``libretranslate`` 1.0.1 itself, run by node: it throws unless ``/languages`` lists both codes."""
    folder = npm_libretranslate_or_skip()
    calls = [["zh", "en", "今天天气很好，我们去公园吧"], ["en", "zh", "good morning, friends"], ["auto", "zh", "hello"]]
    proc = subprocess.run(["node", "-e", NPM_SCRIPT, str(Path(folder).resolve()), server.url, json.dumps(calls)],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    outputs = json.loads(proc.stdout)
    assert len(outputs) == 3 and all(isinstance(o, str) and o for o in outputs)
    assert outputs[0] != calls[0][2] and outputs[1] != calls[1][2]


# --- argostranslate's client -------------------------------------------------------------------------------
# argostranslate 1.11.0 ``argostranslate/apis.py`` ``LibreTranslateAPI`` (read from its wheel): form-encoded POSTs
# (urllib ``parse.urlencode``) to ``translate`` (q, source, target, api_key), ``languages`` and ``detect``, reading
# ``translatedText`` and the JSON answers. argostranslate itself pulls torch, which the test extra must not, so its
# requests are replayed here as it sends them.


def argos_client_post(url: str, endpoint: str, params: dict) -> object:
    request = urllib.request.Request(url.rstrip("/") + "/" + endpoint, data=urllib.parse.urlencode(params).encode())
    with urllib.request.urlopen(request, timeout=60) as response:
        return json.loads(response.read().decode())


@pytest.mark.parametrize("source, target, text", [("zh", "en", "今天天气很好"), ("en", "zh", "good morning"),
                                                  ("zh-CN", "en", "今天天气很好"), ("en", "zh-TW", "good morning")])
def test_argostranslate_clients_requests_get_chinese_both_ways(server, source, target, text):
    answer = argos_client_post(server.url, "translate", {"q": text, "source": source, "target": target})
    assert isinstance(answer["translatedText"], str) and answer["translatedText"] not in ("", text)
    codes = {entry["code"] for entry in argos_client_post(server.url, "languages", {})}
    assert {source, target} <= codes
    assert argos_client_post(server.url, "detect", {"q": "欢迎美国朋友来小红书"})[0]["language"] == "zh-Hans"


# --- what LibreTranslate-style clients and people see -----------------------------------------------------


def test_the_listing_starts_with_libretranslates_entries_and_names_each_alias(listing):
    codes = [entry["code"] for entry in listing]
    assert codes[:3] == ["en", "zh-Hans", "zh-Hant"]
    assert set(codes[3:]) == {"zh", "zh-CN", "zh-TW", "zh-HK", "zh_Hant"}
    names = {entry["code"]: entry["name"] for entry in listing}
    assert names["zh-Hans"] == "Chinese" and names["zh-CN"] == "Chinese (zh-CN)"
    assert names["zh-TW"] == "Chinese (traditional, zh-TW)"
    assert all(set(entry) == {"code", "name", "targets"} for entry in listing)  # LibreTranslate's fields only
