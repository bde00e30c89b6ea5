"""Shared fixtures: the tiny random-weight Argos packages, installed through the public install function."""

from __future__ import annotations

import functools
import os
from http.server import SimpleHTTPRequestHandler
from pathlib import Path

import pytest

# ../shared/data beside this checkout, also when xhs_translate is imported from an installed copy.
os.environ.setdefault("XHS_TRANSLATE_SHARED_DATA", str(Path(__file__).resolve().parents[2] / "shared" / "data"))

from helpers import ROOT, client_of, distributed_or_skip, http_server, mounted_tmpfs, playwright_or_skip, serving
from testkit.chromium import CHROMIUM_ARGS, find_chromium
from testkit.models import cached_package
from testkit.redis_server import RedisServer

from xhs_translate.models.demo import SHARED_DATA_DIR
from xhs_translate.models.install import install_package

PAIRS = (("zh", "en"), ("en", "zh"))


@pytest.fixture(scope="session")
def tiny_archives() -> dict[tuple[str, str], Path]:
    """``{("zh", "en"): Path, ("en", "zh"): Path}`` of cached tiny ``.argosmodel`` files (built once per builder
    version)."""
    return {pair: cached_package(*pair) for pair in PAIRS}


@pytest.fixture(scope="session")
def archive(tiny_archives) -> Path:
    """The tiny zh->en ``.argosmodel`` file."""
    return tiny_archives[("zh", "en")]


@pytest.fixture
def models(tmp_path) -> Path:
    """An empty models folder of the test's own, to install into."""
    root = tmp_path / "models"
    root.mkdir()
    return root


@pytest.fixture(scope="session")
def models_dir(tmp_path_factory, tiny_archives) -> Path:
    """A models dir holding both tiny packages, installed from file like a user would. Do not modify it."""
    root = tmp_path_factory.mktemp("models")
    for archive in tiny_archives.values():
        install_package(archive, models_dir=root)
    return root


@pytest.fixture(scope="session")
def demo_models_dir(tmp_path_factory, tiny_archives) -> Path:
    """The tiny packages installed and marked as ``models install --demo`` marks its packages (DEMO_KEY in their
    metadata.json), as a demo user has them. Do not modify it."""
    import json

    from xhs_translate.models.packages import DEMO_KEY

    root = tmp_path_factory.mktemp("demo-models")
    for archive in tiny_archives.values():
        package = install_package(archive, models_dir=root)
        meta_path = package.path / "metadata.json"
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        meta_path.write_text(json.dumps({**meta, DEMO_KEY: True}), encoding="utf-8")
    return root


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """``../shared/data`` (evaluation text); tests that need it skip when it is absent."""
    if not SHARED_DATA_DIR.is_dir():
        pytest.skip(f"{SHARED_DATA_DIR} is absent: this test reads the shared evaluation data, which is never copied "
                    f"into the repository (a clean clone has none; $XHS_TRANSLATE_SHARED_DATA points at a copy)")
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
    with serving(models_dir, tmp_path_factory.mktemp("server-cache") / "cache.sqlite3") as process:
        yield process


@pytest.fixture(scope="session")
def client(server):
    """An HTTP client on ``server``."""
    with client_of(server) as client:
        yield client


@pytest.fixture
def env(models_dir, tmp_path) -> dict[str, str]:
    """The environment of a CLI run on the tiny models: offline, its own cache, no index."""
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("XHS_TRANSLATE", "ARGOS_"))}
    environ.update({
        "XHS_TRANSLATE_MODELS_DIR": str(models_dir),
        "XHS_TRANSLATE_CACHE": str(tmp_path / "cache" / "translations.sqlite3"),
        "XHS_TRANSLATE_OFFLINE": "1",
        "ARGOS_PACKAGE_INDEX": (tmp_path / "no-index.json").as_uri(),
        "PYTHONIOENCODING": "utf-8",
    })
    return environ


@pytest.fixture
def read_only_dir(tmp_path):
    """A folder this process cannot create files in: a read-only tmpfs for root, else a 0555 folder."""
    if ROOT:
        with mounted_tmpfs(tmp_path / "ro", "ro,size=64k") as folder:
            yield folder
        return
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o555)
    yield folder
    folder.chmod(0o755)


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
