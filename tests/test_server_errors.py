"""Every error the server answers: its status and LibreTranslate's JSON ``{"error": ...}`` body, never a traceback;
keys and per-minute limits (one key's limit never blocks another key); the character, batch and body limits."""

from __future__ import annotations

import http.client
import json
import socket
import subprocess
import sys

import httpx
import pytest
from helpers import ServerProcess, client_of, keyed_client

from xhs_translate.errors import InputError
from xhs_translate.server.api import ApiError
from xhs_translate.server.limits import ApiKeys, Gate, RateLimiter

KEYS = "# our keys\nslow\t3\nfast\n\n"


@pytest.fixture(scope="module")
def open_server(models_dir):
    with ServerProcess("--models-dir", str(models_dir), "--no-cache", "--char-limit", "60", "--batch-limit", "3",
                       "--body-limit", "4000") as process, client_of(process) as client:
        yield client


@pytest.fixture(scope="module")
def keyed_server(models_dir, tmp_path_factory):
    with keyed_client(models_dir, tmp_path_factory.mktemp("keys"), KEYS, "--req-limit", "5") as client:
        yield client


def _error(response: httpx.Response, status: int) -> str:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert list(body) == ["error"] and isinstance(body["error"], str)
    assert "Traceback" not in response.text and "File \"" not in response.text
    return body["error"]


BAD_TRANSLATE = [
    ({"source": "auto", "target": "en"}, "Invalid request: missing q parameter"),
    ({"q": "", "source": "auto", "target": "en"}, "Invalid request: missing q parameter"),
    ({"q": [], "source": "auto", "target": "en"}, "Invalid request: missing q parameter"),
    ({"q": "你好", "target": "en"}, "Invalid request: missing source parameter"),
    ({"q": "你好", "source": "auto"}, "Invalid request: missing target parameter"),
    ({"q": "你好", "source": "auto", "target": "en", "alternatives": "many"},
     "Invalid request: alternatives parameter is not a number"),
    ({"q": 42, "source": "auto", "target": "en"}, "Invalid request: q must be a string or a list of strings"),
    ({"q": ["a", None], "source": "auto", "target": "en"}, "Invalid request: q must be a string or a list of strings"),
    ({"q": "你好", "source": ["zh"], "target": "en"}, "Invalid request: source must be a language code"),
    ({"q": "bonjour", "source": "fr", "target": "en"}, "fr is not supported"),
    ({"q": "你好", "source": "auto", "target": "de"}, "de is not supported"),
    ({"q": "你好", "source": "auto", "target": "en", "format": "markdown"}, "markdown format is not supported"),
    ({"q": ["一", "二", "三", "四"], "source": "auto", "target": "en"},
     "Invalid request: request (4) exceeds text limit (3)"),
    ({"q": ["一" * 30, "二" * 31], "source": "auto", "target": "en"},
     "Invalid request: request (61) exceeds text limit (60)"),
]


@pytest.mark.parametrize("body,message", BAD_TRANSLATE)
def test_translate_errors_json_and_form(open_server, body, message):
    assert _error(open_server.post("/translate", json=body), 400) == message
    if all(isinstance(v, str) for v in body.values()):  # the same request as a form
        assert _error(open_server.post("/translate", data=body), 400) == message


def test_bad_bodies(open_server):
    assert _error(open_server.post("/translate", content=b"{nope", headers={"Content-Type": "application/json"}),
                  400).startswith("Invalid request: the body is not valid JSON")
    assert _error(open_server.post("/translate", json=["q", "source"]), 400) == "Invalid JSON format"
    huge = b'{"q": "hi", "source": "auto", "target": "en", "alternatives": 1e400}'  # would parse as inf
    assert _error(open_server.post("/translate", content=huge, headers={"Content-Type": "application/json"}),
                  400) == "Invalid request: the body is not valid JSON (the number 1e400 is out of range)"
    assert _error(open_server.post("/thread", json={"comments": [1, {"content": "hi"}]}), 400).startswith(
        "Invalid request: ")  # under --batch-limit, whose count skips what is not a comment
    nan = b'{"q": NaN, "source": "auto", "target": "en"}'
    assert "not valid JSON" in _error(open_server.post("/translate", content=nan,
                                                       headers={"Content-Type": "application/json"}), 400)
    deep = b"[" * 1500 + b"]" * 1500
    assert _error(open_server.post("/thread", content=b'{"comments": ' + deep + b"}",
                                   headers={"Content-Type": "application/json"}), 400)
    latin = "q=caf\xe9&source=auto&target=en".encode("latin-1")
    assert _error(open_server.post("/translate", content=latin,
                                   headers={"Content-Type": "application/x-www-form-urlencoded"}), 400) == \
        "Invalid request: the form is not UTF-8"
    broken = b"--b\r\nContent-Disposition: form-data; name=q\r\n\r\nx"
    assert _error(open_server.post("/translate", content=broken,
                                   headers={"Content-Type": "multipart/form-data; boundary=b"}), 400)


def test_multipart_forms_are_read(open_server):
    response = open_server.post("/translate",
                                files={"q": (None, "你好"), "source": (None, "zh"), "target": (None, "en")})
    assert response.status_code == 200 and response.json()["translatedText"]


def test_detect_errors(open_server):
    assert _error(open_server.post("/detect", data={}), 400) == "Invalid request: missing q parameter"
    assert _error(open_server.post("/detect", json={"q": "字" * 61}), 400) == \
        "Invalid request: request (61) exceeds text limit (60)"
    assert open_server.post("/detect", json={"q": ["你好", "hello there"]}).json() == [
        [{"confidence": 100.0, "language": "zh-Hans"}], [{"confidence": pytest.approx(99, abs=1), "language": "en"}]]


def test_routing_errors_are_json(open_server):
    assert _error(open_server.get("/nothing-here"), 404) == "Not Found"
    assert _error(open_server.get("/translate"), 405) == "Method Not Allowed"
    assert _error(open_server.delete("/languages"), 405) == "Method Not Allowed"


def test_bodies_over_the_limit_get_413_by_length_or_by_stream(open_server):
    big = {"q": "字" * 2000, "source": "auto", "target": "en"}
    assert "too large" in _error(open_server.post("/translate", json=big), 413)

    def chunks():
        for _ in range(100):
            yield b"x" * 100

    assert "too large" in _error(open_server.post("/translate", content=chunks(),
                                                  headers={"Content-Type": "application/json"}), 413)
    assert open_server.get("/health").json()["status"] == "ok"  # and the server is still there


def test_a_request_cut_off_midway_harms_nobody(open_server):
    host, port = open_server.base_url.host, open_server.base_url.port
    with socket.create_connection((host, port)) as sock:
        sock.sendall(b"POST /translate HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                     b"Content-Length: 500\r\n\r\n{\"q\": \"half")
    assert open_server.post("/translate", json={"q": "你好", "source": "auto", "target": "en"}).status_code == 200


def test_a_client_sending_its_body_slowly_stalls_no_one(open_server):
    host, port = open_server.base_url.host, open_server.base_url.port
    body = b'{"q": "\xe6\x85\xa2\xe6\x85\xa2\xe6\x9d\xa5", "source": "zh", "target": "en"}'
    with socket.create_connection((host, port), timeout=60) as slow:
        slow.sendall(b"POST /translate HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                     + f"Content-Length: {len(body)}\r\n\r\n".encode() + body[:10])
        quick = open_server.post("/translate", json={"q": "快的请求", "source": "zh", "target": "en"})
        assert quick.status_code == 200  # answered while the slow body is still coming
        slow.sendall(body[10:])
        answer = http.client.HTTPResponse(slow)
        answer.begin()
        assert answer.status == 200 and "translatedText" in json.loads(answer.read())


def test_missing_and_invalid_keys(keyed_server):
    body = {"q": "你好", "source": "auto", "target": "en"}
    assert _error(keyed_server.post("/translate", json=body), 400) == (
        "Please contact the server operator to get an API key"
    )
    assert _error(keyed_server.post("/translate", json={**body, "api_key": ""}), 400)
    assert _error(keyed_server.post("/translate", json={**body, "api_key": "wrong"}), 403) == "Invalid API key"
    assert _error(keyed_server.post("/detect", data={"q": "x", "api_key": "wrong"}), 403) == "Invalid API key"
    assert _error(keyed_server.post("/thread", json={"comments": []}), 400)
    assert keyed_server.get("/languages").status_code == 200  # open, as in LibreTranslate
    assert keyed_server.get("/frontend/settings").json()["keyRequired"] is True


def test_one_keys_limit_never_blocks_another(keyed_server):
    body = {"q": "你好", "source": "auto", "target": "en"}
    for _ in range(3):  # "slow" may make 3 requests a minute
        assert keyed_server.post("/translate", json={**body, "api_key": "slow"}).status_code == 200
    assert _error(keyed_server.post("/translate", json={**body, "api_key": "slow"}), 429) == "Slowdown: 3 per 1 minute"
    assert _error(keyed_server.post("/translate?api_key=slow", json=body), 429)  # the key in the query string
    for _ in range(5):  # "fast" has the server's --req-limit, 5, and its own window
        assert keyed_server.post("/translate", data={**body, "api_key": "fast"}).status_code == 200
    assert _error(keyed_server.post("/detect", data={"q": "x", "api_key": "fast"}), 429) == "Slowdown: 5 per 1 minute"


def test_gate_windows_slide_per_key_and_per_address():
    now = [0.0]
    gate = Gate(None, 2, RateLimiter(clock=lambda: now[0]))
    assert gate.check(None, "10.0.0.1") is None and gate.check(None, "10.0.0.1") is None
    with pytest.raises(ApiError) as over:
        gate.check(None, "10.0.0.1")
    assert over.value.status == 429
    assert gate.check(None, "10.0.0.2") is None  # another address has its own window
    now[0] = 59.9
    with pytest.raises(ApiError):
        gate.check(None, "10.0.0.1")
    now[0] = 60.1  # the first two requests left the window
    assert gate.check(None, "10.0.0.1") is None
    assert Gate(None, -1).check(None, "x") is None  # -1: no limit


def test_api_keys_file_format(tmp_path):
    path = tmp_path / "keys"
    path.write_text("a\t10\nb\n# comment\n\n", encoding="utf-8")
    assert ApiKeys.from_file(path).limits == {"a": 10, "b": None}
    for bad in ("a\tten\n", "a b\n", "\n# only a comment\n", "a\t0\n"):
        path.write_text(bad, encoding="utf-8")
        with pytest.raises(Exception, match=str(path)):
            ApiKeys.from_file(path)


def test_keys_file_with_a_bom_a_superscript_limit_or_a_key_twice(tmp_path):
    path = tmp_path / "keys"
    path.write_bytes("\ufeffwindows-key\t5\nother\n".encode("utf-8"))  # Notepad's UTF-8 starts with a BOM
    keys = ApiKeys.from_file(path)
    assert keys.limits == {"windows-key": 5, "other": None}
    assert Gate(keys).check("windows-key", "127.0.0.1") == "windows-key"
    path.write_text("a\t²\n", encoding="utf-8")  # str.isdigit() says yes; int() says ValueError
    with pytest.raises(InputError, match=f"{path}:1: requests per minute must be a positive integer"):
        ApiKeys.from_file(path)
    path.write_text("a\t5\nb\na\t100\n", encoding="utf-8")  # the last one no longer wins silently
    with pytest.raises(InputError, match=f"{path}:3: the key on this line is on line 1 already"):
        ApiKeys.from_file(path)


def test_a_folder_given_as_the_keys_file_is_named_a_folder(models_dir, tmp_path):
    proc = subprocess.run([sys.executable, "-m", "xhs_translate.cli", "serve", "--models-dir", str(models_dir),
                           "--api-keys", str(tmp_path), "--port", "0"], capture_output=True, text=True, timeout=120)
    assert proc.returncode != 0 and f"the API keys file {tmp_path} is a folder" in proc.stderr
    assert "no such file" not in proc.stderr and "Traceback" not in proc.stderr


def test_a_big_body_without_a_key_is_refused_before_it_is_parsed(keyed_server):
    # not JSON at all past its first bytes: had it been parsed first, the answer would be "not valid JSON"
    body = b'{"q": [' + b'"\xe5\xad\x97", ' * 400_000 + b"oops"
    response = keyed_server.post("/translate", content=body, headers={"Content-Type": "application/json"})
    assert _error(response, 400) == "Please contact the server operator to get an API key"
    keyed = b'{"api_key": "fast", "q": [' + b'"\xe5\xad\x97", ' * 400_000 + b"oops"
    response = keyed_server.post("/translate", content=keyed, headers={"Content-Type": "application/json"})
    assert _error(response, 400).startswith("Invalid request: the body is not valid JSON")  # parsed (in a thread)
