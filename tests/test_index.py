"""Install by language pair from an Argos-style package index served by a real HTTP server on 127.0.0.1."""

from __future__ import annotations

import json
import shutil
import socket
from http.server import BaseHTTPRequestHandler

import pytest
from helpers import http_server, snapshot, translate_batch

from xhs_translate.errors import PackageError, PackageIndexError, PackageIndexHTTPError, PackageIndexUnreachableError
from xhs_translate.models.index import DEFAULT_INDEX_URL, IndexEntry, load_index, resolve_index_url
from xhs_translate.models.install import install_pair, package_folder_name
from xhs_translate.models.packages import find_package


def entry(from_code, to_code, version, link):
    return {
        "package_version": version,
        "argos_version": "1.9.0",
        "from_code": from_code,
        "from_name": "Chinese" if from_code == "zh" else "English",
        "to_code": to_code,
        "to_name": "English" if to_code == "en" else "Chinese",
        "links": [link],
        "code": f"translate-{from_code}_{to_code}",
        "type": "translate",
    }


@pytest.fixture
def index_site(served, tiny_archives):
    """The fixture zh->en package plus an index listing it as the newest of two versions."""
    root, base = served
    archive = tiny_archives[("zh", "en")]
    shutil.copy(archive, root / archive.name)
    entries = [
        entry("zh", "en", "0.9", f"{base}/missing-old-version.argosmodel"),
        entry("zh", "en", "1.0", f"{base}/{archive.name}"),
        entry("en", "ja", "1.1", f"{base}/absent.argosmodel"),
        {"type": "sbd", "code": "sbd-zh", "links": []},  # no pair: not a translation package
    ]
    (root / "index.json").write_text(json.dumps(entries), encoding="utf-8")
    return root, base


def closed_port_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/index.json"


def test_load_index_parses_entries(index_site):
    _, base = index_site
    entries = load_index(f"{base}/index.json", timeout=10)
    assert [(e.from_code, e.to_code, e.package_version) for e in entries] == [
        ("zh", "en", "0.9"), ("zh", "en", "1.0"), ("en", "ja", "1.1")
    ]
    assert isinstance(entries[1], IndexEntry)
    assert entries[1].links == (f"{base}/translate-zh_en-1_0.argosmodel",)
    assert entries[1].from_name == "Chinese" and entries[1].code == "translate-zh_en"


def test_load_index_from_a_file_url(index_site):
    root, _ = index_site
    assert len(load_index((root / "index.json").as_uri())) == 3


def test_a_single_link_given_as_a_string_is_one_link(tmp_path):
    index = tmp_path / "index.json"
    index.write_text(json.dumps([{**entry("zh", "en", "1.0", ""), "links": "http://127.0.0.1:9/p.argosmodel"}]))
    assert load_index(index.as_uri())[0].links == ("http://127.0.0.1:9/p.argosmodel",)


def test_a_null_version_in_the_index_reads_as_0(tmp_path):
    index = tmp_path / "index.json"
    index.write_text(json.dumps([entry("zh", "en", None, "http://127.0.0.1:9/p.argosmodel")]))
    assert load_index(index.as_uri())[0].package_version == "0"


def test_index_url_precedence(monkeypatch):
    monkeypatch.delenv("ARGOS_PACKAGE_INDEX", raising=False)
    assert resolve_index_url() == DEFAULT_INDEX_URL
    # argostranslate's variable holds a repository base and appends index.json; so do we
    monkeypatch.setenv("ARGOS_PACKAGE_INDEX", "http://127.0.0.1:9/mirror/")
    assert resolve_index_url() == "http://127.0.0.1:9/mirror/index.json"
    assert resolve_index_url("http://127.0.0.1:9/x.json") == "http://127.0.0.1:9/x.json"


def test_install_pair_installs_the_newest_and_it_translates(index_site, tmp_path):
    _, base = index_site
    models = tmp_path / "models"
    package = install_pair("zh", "en", models_dir=models, index_url=f"{base}/index.json", progress=False)
    assert package.path == models / package_folder_name("zh", "en", "1.0")
    assert find_package("zh", "en", models) == package
    assert [p.name for p in models.iterdir()] == [package.path.name]  # the download was cleaned up
    translated = translate_batch(package)
    assert len(translated) == 3 and all(translated)


def test_install_pair_honours_argos_package_index(index_site, tmp_path, monkeypatch, capfd):
    _, base = index_site
    monkeypatch.setenv("ARGOS_PACKAGE_INDEX", base)
    package = install_pair("zh", "en", models_dir=tmp_path / "models", progress=True)
    assert package.package_version == "1.0"
    assert "translate-zh_en-1_0.argosmodel" in capfd.readouterr().err  # the progress bar names the download


def test_unreachable_index_says_how_to_install_from_a_file(tmp_path):
    models = tmp_path / "models"
    with pytest.raises(PackageIndexUnreachableError) as caught:
        install_pair("zh", "en", models_dir=models, index_url=closed_port_url())
    message = str(caught.value)
    assert "could not be reached" in message
    assert "xhs-translate models install /path/to/translate-zh_en-1_9.argosmodel" in message
    assert "argos-net.com" in message  # where to download it on another machine
    assert not models.exists()


def test_missing_pair_lists_what_is_available(index_site, tmp_path):
    _, base = index_site
    with pytest.raises(PackageIndexError, match=r"no en->zh package.*en->ja, zh->en"):
        install_pair("en", "zh", models_dir=tmp_path / "models", index_url=f"{base}/index.json")


def test_invalid_index_json(served, tmp_path):
    root, base = served
    (root / "index.json").write_text("<html>captive portal</html>", encoding="utf-8")
    with pytest.raises(PackageIndexError, match="not valid JSON"):
        load_index(f"{base}/index.json")


class _CutOffHandler(BaseHTTPRequestHandler):
    """Promises 100,000 bytes, sends 15, closes: a connection dropped mid-transfer."""

    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Length", "100000")
        self.end_headers()
        self.wfile.write(b'[{"from_code": ')
        self.close_connection = True

    def log_message(self, format, *args):
        pass


def test_an_index_cut_off_mid_transfer_is_unreachable_not_a_crash():
    with (http_server(_CutOffHandler) as base,
          pytest.raises(PackageIndexUnreachableError, match="IncompleteRead") as caught):
        load_index(f"{base}/index.json")
    assert "Install from a file instead" in str(caught.value)


def test_broken_download_link_leaves_models_untouched(index_site, tmp_path):
    _, base = index_site
    models = tmp_path / "models"
    models.mkdir()
    with pytest.raises(PackageIndexHTTPError,
                       match=r"cannot download .*/absent.argosmodel: not found \(404\)") as caught:
        install_pair("en", "ja", models_dir=models, index_url=f"{base}/index.json")
    assert caught.value.status == 404 and not isinstance(caught.value, PackageIndexUnreachableError)  # not "offline"
    assert snapshot(models) == {}


def test_an_index_that_is_not_there_is_not_found_not_offline(served, tmp_path):
    _, base = served
    with pytest.raises(PackageIndexHTTPError,
                       match=r"index at .*/nowhere/index.json answered: not found \(404\)") as caught:
        install_pair("zh", "en", models_dir=tmp_path / "models", index_url=f"{base}/nowhere/")
    assert not isinstance(caught.value, PackageIndexUnreachableError)
    assert "could not be reached" not in str(caught.value)
    assert not (tmp_path / "models").exists()


def test_bad_archive_from_the_index_leaves_models_untouched(index_site, tmp_path):
    root, base = index_site
    archive = root / "translate-zh_en-1_0.argosmodel"
    archive.write_bytes(archive.read_bytes()[:5000])  # truncated download
    models = tmp_path / "models"
    models.mkdir()
    with pytest.raises(PackageError, match="not a valid"):
        install_pair("zh", "en", models_dir=models, index_url=f"{base}/index.json")
    assert snapshot(models) == {}


def test_install_pair_skips_the_download_when_up_to_date(index_site, tmp_path):
    root, base = index_site
    models = tmp_path / "models"
    first = install_pair("zh", "en", models_dir=models, index_url=f"{base}/index.json", progress=False)
    (root / first.path.name).with_suffix(".argosmodel").unlink()  # a second download would now fail
    before = snapshot(models)
    assert install_pair("zh", "en", models_dir=models, index_url=f"{base}/index.json", progress=False) == first
    assert snapshot(models) == before
