"""Shared fixtures: the tiny random-weight Argos packages, installed through the public install function."""

from __future__ import annotations

import functools
import os
import shutil
from http.server import SimpleHTTPRequestHandler
from pathlib import Path

import pytest

# ../shared/data beside this checkout, also when xhs_translate is imported from an installed copy.
os.environ.setdefault("XHS_TRANSLATE_SHARED_DATA", str(Path(__file__).resolve().parents[2] / "shared" / "data"))

from xhs_translate.models.install import install_package  # noqa: E402  (after the variable is set)
from xhs_translate.testing import SHARED_DATA_DIR, RedisServer, cached_package  # noqa: E402

from helpers import http_server

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


@pytest.fixture
def redis_server(tmp_path):
    """A real redis-server of our own on a free loopback port (skipped where Debian's redis-server and the redis
    client are missing, except in CI, which must have them)."""
    if shutil.which("redis-server") is None or not _importable("redis"):
        if os.environ.get("CI"):
            pytest.fail("CI must run the Redis tests: apt-get install redis-server; pip install '.[test]'")
        pytest.skip("needs Debian's redis-server and the redis client (pip install '.[distributed]')")
    directory = tmp_path / "redis"
    directory.mkdir()
    server = RedisServer(directory).start()
    yield server
    server.kill()


def _importable(module: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(module) is not None
