"""One snapshot of the installed models per models folder (``models/registry.py``): shared by the Translator's
routes and fingerprint, the server and the CLI's model commands, and read again after an install, a removal or
an upgrade, which change the folder."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from helpers import with_metadata
from testkit.models import cached_model

from xhs_translate import Translator
from xhs_translate.cli import main
from xhs_translate.config import TranslatorConfig
from xhs_translate.models import registry
from xhs_translate.models.install import install_model, install_package
from xhs_translate.models.packages import find_package, list_packages, remove_package
from xhs_translate.server.config import ServerConfig
from xhs_translate.server.service import TranslationService

THREAD = [
    {"comment_id": "1", "content": "这个颜色真的绝了"},
    {"comment_id": "2", "content": "so cute, where is this?", "parent_comment_id": "1"},
]


@pytest.fixture
def reads(monkeypatch) -> list[Path]:
    """The model folders read (``read_folder`` calls) during the test, in order."""
    seen: list[Path] = []
    original = registry.read_folder

    def counted(path):
        seen.append(Path(path))
        return original(path)

    monkeypatch.setattr(registry, "read_folder", counted)
    return seen


@pytest.fixture
def own_models(tmp_path, models_dir) -> Path:
    """A copy of the tiny zh<->en models that no other test has listed (so this process has no snapshot of it)."""
    return Path(shutil.copytree(models_dir, tmp_path / "own-models"))


def test_every_user_of_the_models_folder_shares_one_reading(own_models, tmp_path, reads, capsys, monkeypatch):
    folders = sorted(p for p in own_models.iterdir() if not p.name.startswith("."))
    assert len(folders) == 2
    first = Translator(models_dir=own_models, cache=tmp_path / "a.sqlite")
    first.translate_thread(THREAD, target="auto")  # routes zh->en and en->zh, and makes the settings fingerprint
    assert sorted(reads) == folders  # each folder read once, not once per route and once per fingerprint
    Translator(models_dir=own_models, cache=tmp_path / "b.sqlite").translate_thread(THREAD, target="auto")
    service = TranslationService(ServerConfig(translator=TranslatorConfig(models_dir=own_models), cache=False))
    service.load()
    service.translate(["so cute"], "en", "zt", "text")  # the zh-Hant Translator variant
    monkeypatch.setenv("XHS_TRANSLATE_OFFLINE", "1")
    assert main(["models", "list", "--models-dir", str(own_models)]) == 0
    assert "zh->en" in capsys.readouterr().out
    assert sorted(reads) == folders  # still once: nothing changed on disk


def test_an_install_a_removal_and_an_upgrade_are_seen(models, archive, tmp_path, reads):
    first = install_package(archive, models_dir=models)
    assert list_packages(models) == [first]
    # a real install of another family (random weights): quickmt comes first in the preference order
    (quickmt,) = install_model(cached_model("quickmt", (("zh", "en"),)), models)
    assert find_package("zh", "en", models) == quickmt
    assert {p.family for p in list_packages(models)} == {"argos", "quickmt"}
    remove_package(quickmt)
    assert list_packages(models) == [first]
    newer = install_package(with_metadata(archive, tmp_path / "new.argosmodel", package_version="1.10"), models)
    assert list_packages(models) == [newer] and find_package("zh", "en", models) == newer
    count = len(reads)
    assert find_package("zh", "en", models) == newer and len(reads) == count  # unchanged: not read again

