"""Discovery of installed packages: where they live, which one serves a pair, stray folders, removal."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from xhs_translate.errors import ModelNotInstalledError
from xhs_translate.models.packages import (
    ModelPackage,
    PackageWarning,
    find_package,
    list_packages,
    read_package,
    remove_package,
    resolve_models_dir,
    version_key,
)


def make_package_folder(root: Path, from_code: str, to_code: str, version: str, name: str | None = None) -> Path:
    """A package folder as argospm leaves it; discovery only reads metadata and checks files exist."""
    folder = root / (name or f"translate-{from_code}_{to_code}-{version.replace('.', '_')}")
    (folder / "model").mkdir(parents=True)
    (folder / "model" / "model.bin").write_bytes(b"weights")
    (folder / "sentencepiece.model").write_bytes(b"tokenizer")
    meta = {"from_code": from_code, "to_code": to_code, "package_version": version}
    (folder / "metadata.json").write_text(json.dumps(meta), encoding="utf-8")
    return folder


@pytest.fixture
def clean_env(monkeypatch, tmp_path):
    monkeypatch.delenv("XHS_TRANSLATE_MODELS_DIR", raising=False)
    monkeypatch.delenv("ARGOS_PACKAGES_DIR", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    return monkeypatch


def test_models_dir_defaults_to_the_argospm_directory(clean_env, tmp_path):
    assert resolve_models_dir() == tmp_path / "home" / ".local" / "share" / "argos-translate" / "packages"


def test_models_dir_precedence(clean_env, tmp_path):
    clean_env.setenv("ARGOS_PACKAGES_DIR", str(tmp_path / "argos"))
    assert resolve_models_dir() == tmp_path / "argos"
    clean_env.setenv("XHS_TRANSLATE_MODELS_DIR", str(tmp_path / "ours"))
    assert resolve_models_dir() == tmp_path / "ours"
    assert resolve_models_dir(tmp_path / "explicit") == tmp_path / "explicit"
    assert resolve_models_dir("~/x") == tmp_path / "home" / "x"


def test_empty_env_value_falls_through(clean_env, tmp_path):
    clean_env.setenv("XHS_TRANSLATE_MODELS_DIR", "")
    clean_env.setenv("ARGOS_PACKAGES_DIR", str(tmp_path / "argos"))
    assert resolve_models_dir() == tmp_path / "argos"


def test_list_uses_env_dir(clean_env, tmp_path):
    make_package_folder(tmp_path / "argos", "zh", "en", "1.9")
    clean_env.setenv("ARGOS_PACKAGES_DIR", str(tmp_path / "argos"))
    assert [(p.from_code, p.to_code) for p in list_packages()] == [("zh", "en")]


def test_missing_models_dir_lists_nothing(tmp_path):
    assert list_packages(tmp_path / "absent") == []
    assert find_package("zh", "en", tmp_path / "absent") is None


def test_stray_folders_are_skipped_with_one_warning_each(tmp_path):
    good = make_package_folder(tmp_path, "zh", "en", "1.9")
    (tmp_path / "stray").mkdir()
    broken = make_package_folder(tmp_path, "en", "zh", "1.9", name="broken")
    (broken / "metadata.json").write_text("{not json", encoding="utf-8")
    (tmp_path / ".install-abc123").mkdir()  # an in-progress install: hidden, skipped silently
    (tmp_path / "notes.txt").write_text("a file, not a package", encoding="utf-8")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        packages = list_packages(tmp_path)
    assert [p.path for p in packages] == [good]
    messages = sorted(str(w.message) for w in caught)
    assert all(issubclass(w.category, PackageWarning) for w in caught)
    assert len(messages) == 2
    assert "broken" in messages[0] and "not valid JSON" in messages[0]
    assert "stray" in messages[1] and "metadata.json" in messages[1]
    with pytest.warns(PackageWarning):
        assert find_package("zh", "en", tmp_path).path == good


@given(st.lists(st.lists(st.integers(0, 30), min_size=1, max_size=4), min_size=1, max_size=6))
def test_version_key_orders_numerically(versions):
    def canonical(parts):
        parts = list(parts)
        while parts and parts[-1] == 0:
            parts.pop()
        return parts

    strings = [".".join(map(str, v)) for v in versions]
    by_key = sorted(strings, key=version_key)
    assert [canonical(map(int, s.split("."))) for s in by_key] == sorted(canonical(v) for v in versions)


def test_version_key_examples():
    assert version_key("1.10") > version_key("1.9")
    assert version_key("2") > version_key("1.10")
    assert version_key("1.0") == version_key("1")


@pytest.mark.parametrize("meta", [{"package_version": None}, {"package_version": " "}, {}])
def test_a_missing_or_null_version_reads_as_0_not_none(tmp_path, meta):
    folder = make_package_folder(tmp_path, "zh", "en", "1.0")
    (folder / "metadata.json").write_text(json.dumps({"from_code": "zh", "to_code": "en", **meta}), encoding="utf-8")
    package = read_package(folder)
    assert package.package_version == "0" and package.package_id == "argos:translate-zh_en@0"
    assert version_key(None) == version_key(package.package_version) < version_key("0.1")


def test_find_package_picks_the_newest_version(tmp_path):
    for version in ("1.9", "1.10", "1.2"):
        make_package_folder(tmp_path, "zh", "en", version)
    make_package_folder(tmp_path, "en", "zh", "3.0")
    assert find_package("zh", "en", tmp_path).package_version == "1.10"
    assert find_package("en", "zh", tmp_path).package_version == "3.0"
    assert find_package("en", "ja", tmp_path) is None


def test_traditional_chinese_packages_use_zt(tmp_path):
    make_package_folder(tmp_path, "zh", "en", "1.9")
    zt = make_package_folder(tmp_path, "zt", "en", "1.9")
    assert find_package("zt", "en", tmp_path).path == zt
    assert find_package("zh", "en", tmp_path).path != zt
    assert find_package("en", "zt", tmp_path) is None


def test_remove_by_pair_removes_every_version(tmp_path):
    old = make_package_folder(tmp_path, "zh", "en", "1.1")
    new = make_package_folder(tmp_path, "zh", "en", "1.9")
    other = make_package_folder(tmp_path, "en", "zh", "1.9")
    removed = remove_package("zh", "en", models_dir=tmp_path)
    assert sorted(removed) == sorted([old, new])
    assert sorted(p.name for p in tmp_path.iterdir()) == [other.name]
    with pytest.raises(ModelNotInstalledError, match="zh->en"):
        remove_package("zh", "en", models_dir=tmp_path)


def test_remove_one_package_keeps_the_rest(tmp_path):
    old = make_package_folder(tmp_path, "zh", "en", "1.1")
    new = make_package_folder(tmp_path, "zh", "en", "1.9")
    assert remove_package(read_package(old)) == [old]
    assert [p.path for p in list_packages(tmp_path)] == [new]
    with pytest.raises(ModelNotInstalledError):
        remove_package(ModelPackage(path=old, from_code="zh", to_code="en", package_version="1.1"))


def test_remove_by_pair_needs_both_codes(tmp_path):
    with pytest.raises(TypeError):
        remove_package("zh", models_dir=tmp_path)


def test_a_metadata_file_rewritten_in_place_is_seen(tmp_path):
    """No folder is renamed here: the snapshot's stamp (models/registry.py) also covers the files at the top of
    each package folder."""
    folder = make_package_folder(tmp_path, "zh", "en", "1.0")
    assert [p.package_version for p in list_packages(tmp_path)] == ["1.0"]
    meta = json.loads((folder / "metadata.json").read_text(encoding="utf-8"))
    (folder / "metadata.json").write_text(json.dumps({**meta, "package_version": "2.0"}), encoding="utf-8")
    assert [p.package_version for p in list_packages(tmp_path)] == ["2.0"]
