"""Shared fixtures: the tiny random-weight Argos packages, installed through the public install function."""

from __future__ import annotations

import functools
import os
from http.server import SimpleHTTPRequestHandler
from pathlib import Path

import pytest

# ../shared/data beside this checkout, also when xhs_translate is imported from an installed copy.
os.environ.setdefault("XHS_TRANSLATE_SHARED_DATA", str(Path(__file__).resolve().parents[2] / "shared" / "data"))

from xhs_translate.models.install import install_package  # noqa: E402  (after the variable is set)
from xhs_translate.testing import SHARED_DATA_DIR, RedisServer, cached_package  # noqa: E402

from helpers import CHROMIUM_ARGS, ServerProcess, distributed_or_skip, find_chromium, http_server, playwright_or_skip

PAIRS = (("zh", "en"), ("en", "zh"))


@pytest.fixture(scope="session")
def tiny_archives() -> dict[tuple[str, str], Path]:
    """``{("zh", "en"): Path, ("en", "zh"): Path}`` of cached tiny ``.argosmodel`` files (built once per builder version)."""
    return {pair: cached_package(*pair) for pair in PAIRS}


@pytest.fixture(scope="session")
def models_dir(tmp_path_factory, tiny_archives) -> Path:
    """A models dir holding both tiny packages, installed from file like a user would. Do not modify it."""
    root = tmp_path_factory.mktemp("models")
    for archive in tiny_archives.values():
        install_package(archive, models_dir=root)
    return root


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """``../shared/data`` (evaluation text); tests that need it skip when it is absent."""
    if not SHARED_DATA_DIR.is_dir():
        pytest.skip(f"{SHARED_DATA_DIR} is absent: this test reads the shared evaluation data")
    return SHARED_DATA_DIR


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # keep the test output clean
        pass


@pytest.fixture
def served(tmp_path):
    """A directory served over HTTP on an ephemeral 127.0.0.1 port; yields (directory, base URL)."""
    root = tmp_path / "www"
    root.mkdir()
    with http_server(functools.partial(QuietHandler, directory=str(root))) as base:
        yield root, base


@pytest.fixture(scope="session")
def chromium():
    """Debian's Chromium under Playwright, headless (skips, or fails under $XHS_TRANSLATE_REQUIRE_BROWSER, when
    the playwright package or the browser is missing)."""
    sync_api = playwright_or_skip()
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=find_chromium(), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="session")
def server(models_dir, tmp_path_factory):
    """``xhs-translate serve`` through the real CLI on the tiny models and its own cache, on a free loopback port,
    with its default options (CORS for xiaohongshu.com and rednote.com)."""
    cache = tmp_path_factory.mktemp("server-cache") / "cache.sqlite3"
    with ServerProcess("--models-dir", str(models_dir), "--cache", str(cache)) as process:
        yield process


@pytest.fixture(scope="session")
def client(server):
    """An HTTP client on ``server``."""
    import httpx

    with httpx.Client(base_url=server.url, timeout=120) as client:
        yield client


@pytest.fixture
def redis_server(tmp_path):
    """A real redis-server of our own on a free loopback port, its files in a temporary folder (skips, or fails
    under $XHS_TRANSLATE_REQUIRE_DISTRIBUTED, when Debian's redis-server or the redis client is missing)."""
    distributed_or_skip("redis")
    directory = tmp_path / "redis"
    directory.mkdir()
    server = RedisServer(directory).start()
    yield server
    server.kill()
