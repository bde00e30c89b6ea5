"""Who is asking and how: requests that never finish arriving time out (408), connections are bounded (503), a
stalled body does not hold SIGTERM, X-Forwarded-For counts only from named proxies, and /metrics and /status need
a key beyond loopback when keys are on."""

from __future__ import annotations

import socket

import httpx
import pytest
from helpers import ServerProcess, client_of, keyed_client, wait_for

KEYS = "secret\n"
BODY = b'{"q": "\xe4\xbd\xa0\xe5\xa5\xbd", "source": "zh", "target": "en"}'


@pytest.fixture(scope="module")
def bounded(models_dir):
    with ServerProcess("--models-dir", str(models_dir), "--no-cache", "--request-timeout", "1",
                       "--max-connections", "4", "--req-limit", "3") as process:
        yield process


def _address(server: ServerProcess) -> tuple[str, int]:
    url = httpx.URL(server.url)
    return url.host, url.port


def _answer(sock: socket.socket) -> bytes:
    """Everything the server sends until it closes the connection (the socket's timeout bounds the wait)."""
    chunks = []
    while chunk := sock.recv(65536):
        chunks.append(chunk)
    return b"".join(chunks)


@pytest.mark.parametrize("partial", [
    b"",  # connected, nothing sent
    b"POST /translate HTT",  # half a request line
    b"POST /translate HTTP/1.1\r\nHost: x\r\nContent-Type: appl",  # half the headers
    b"POST /translate HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 45\r\n\r\n{\"q\"",
], ids=["nothing", "request-line", "headers", "body"])
def test_a_request_that_never_finishes_arriving_gets_408_and_is_closed(bounded, partial):
    with socket.create_connection(_address(bounded), timeout=60) as sock:
        sock.sendall(partial)
        answer = _answer(sock)  # returns once the server closes: it did not wait forever
    assert answer.startswith(b"HTTP/1.1 408 ") and b"--request-timeout" in answer


def test_connections_beyond_the_limit_get_503_and_leave_once_the_others_go(bounded):
    idle = [socket.create_connection(_address(bounded), timeout=60) for _ in range(4)]
    try:
        with socket.create_connection(_address(bounded), timeout=60) as extra:
            answer = _answer(extra)
        assert answer.startswith(b"HTTP/1.1 503 ") and b"--max-connections" in answer
    finally:
        for sock in idle:
            sock.close()
    with client_of(bounded) as client:
        wait_for(lambda: client.get("/health").status_code == 200, "/health once the idle sockets are gone")


def test_a_request_that_arrived_takes_the_time_it_needs(bounded):
    # a translation that runs past the 1-second arrival deadline is not cut: the deadline ends with the body
    with client_of(bounded) as client:
        q = [f"第{n}条评论：今天天气很好，我们明天再去公园散步吧" for n in range(300)]
        response = client.post("/translate", json={"q": q, "source": "zh", "target": "en"})
    assert response.status_code == 200 and len(response.json()["translatedText"]) == 300


def test_x_forwarded_for_is_not_trusted_by_default(bounded):
    with client_of(bounded) as client:
        statuses = [client.post("/detect", json={"q": "hello"}, headers={"X-Forwarded-For": f"198.51.100.{n}"})
                    .status_code for n in range(5)]
    # --req-limit 3 counts the real peer, whatever the header says (uvicorn trusts 127.0.0.1 by default)
    assert statuses.count(429) >= 2


@pytest.fixture(scope="module")
def proxied(models_dir, tmp_path_factory):
    keys_folder = tmp_path_factory.mktemp("keys")
    with keyed_client(models_dir, keys_folder, KEYS, "--forwarded-allow-ips", "127.0.0.1") as client:
        yield client


def test_x_forwarded_for_counts_from_a_named_proxy(proxied):
    remote = {"X-Forwarded-For": "203.0.113.7"}  # the proxy on loopback says who the client is
    assert proxied.get("/metrics", headers=remote).status_code == 400  # beyond loopback, keys on: a key is needed
    assert proxied.get("/metrics").status_code == 200  # the proxy's own (loopback) scrape


def test_metrics_and_status_need_a_key_beyond_loopback(proxied):
    remote = {"X-Forwarded-For": "203.0.113.7"}
    for path in ("/metrics", "/status"):
        assert proxied.get(path, headers=remote).json() == {
            "error": "Please contact the server operator to get an API key"}
        assert proxied.get(path, headers=remote, params={"api_key": "wrong"}).status_code == 403
        assert proxied.get(path, headers=remote, params={"api_key": "secret"}).status_code == 200
        assert proxied.get(path, headers={**remote, "Authorization": "Bearer secret"}).status_code == 200  # Prometheus
    health = proxied.get("/health", headers=remote)
    assert health.status_code == 200 and health.json() == {"status": "ok"}  # no models, no cache path
    assert "cache" in proxied.get("/health", headers={**remote, "Authorization": "Bearer secret"}).json()


def test_sigterm_is_not_held_by_a_body_that_stalls(models_dir):
    with ServerProcess("--models-dir", str(models_dir), "--no-cache", "--drain-timeout", "600") as server:
        with socket.create_connection(_address(server), timeout=60) as stalled:
            stalled.sendall(b"POST /translate HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                            + f"Content-Length: {len(BODY)}\r\n\r\n".encode() + BODY[:10])
            with client_of(server) as client:  # the request has reached the app, which waits for its body
                wait_for(lambda: 'xhs_translate_requests_in_progress{endpoint="/translate"} 1.0'
                         in client.get("/metrics").text, "the stalled request in progress")
            code = server.stop()  # SIGTERM; SIGKILL (code -9) if it is still draining after the helper's 120 s
            answer = _answer(stalled)
        assert code == 0 and answer.startswith(b"HTTP/1.1 503 ")  # the 600-second drain did not wait for the body


def test_a_kept_alive_connection_that_stays_idle_is_closed_without_a_stray_408(bounded):
    with socket.create_connection(_address(bounded), timeout=60) as sock:
        sock.sendall(b"GET /languages HTTP/1.1\r\nHost: x\r\n\r\n")
        answer = _answer(sock)  # the answer, then the close once the idle connection times out
    assert answer.startswith(b"HTTP/1.1 200 ") and answer.count(b"HTTP/1.1 ") == 1
