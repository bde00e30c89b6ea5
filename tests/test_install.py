"""Installing .argosmodel files: the real fixture package installs and translates; bad archives change nothing."""

from __future__ import annotations

import stat
import zipfile
from pathlib import Path

import pytest
from helpers import TOP, repack, snapshot, translate_batch, with_metadata

from xhs_translate.errors import PackageError, PackageIndexError
from xhs_translate.models import install as install_module
from xhs_translate.models.install import install_package, package_folder_name
from xhs_translate.models.packages import PackageWarning, find_package, list_packages


def test_installs_from_file_and_translates_through_ctranslate2(archive, models):
    package = install_package(archive, models_dir=models, progress=False)
    assert package.path == models / package_folder_name("zh", "en", "1.0")
    assert (package.from_code, package.to_code, package.package_version) == ("zh", "en", "1.0")
    assert find_package("zh", "en", models) == package
    assert [p.name for p in models.iterdir()] == [package.path.name]  # no temporary leftovers
    first = translate_batch(package)
    assert len(first) == 3 and all(isinstance(t, str) and t for t in first)
    assert translate_batch(package) == first  # deterministic


def test_installs_into_the_env_models_dir(archive, tmp_path, monkeypatch):
    monkeypatch.setenv("XHS_TRANSLATE_MODELS_DIR", str(tmp_path / "fresh" / "models"))
    package = install_package(str(archive))
    assert package.path.parent == tmp_path / "fresh" / "models"


def test_reinstalling_the_same_version_is_a_no_op(archive, models):
    first = install_package(archive, models_dir=models)
    before = snapshot(models)
    again = install_package(archive, models_dir=models)
    assert again == first
    assert snapshot(models) == before


def test_newer_version_replaces_older_and_older_is_refused(archive, models, tmp_path):
    old = install_package(archive, models_dir=models)
    newer = install_package(with_metadata(archive, tmp_path / "new.argosmodel", package_version="1.10"), models)
    assert newer.package_version == "1.10"
    assert not old.path.exists()
    assert [p.path for p in list_packages(models)] == [models / "translate-zh_en-1_10"]

    before = snapshot(models)
    older = with_metadata(archive, tmp_path / "older.argosmodel", package_version="1.9")
    with pytest.warns(PackageWarning, match="newer argos:translate-zh_en@1.10 is already installed"):
        kept = install_package(older, models)
    assert kept == newer
    assert snapshot(models) == before


def test_a_package_with_a_null_version_installs_as_0_and_is_upgraded(archive, models, tmp_path):
    unversioned = with_metadata(archive, tmp_path / "unversioned.argosmodel", package_version=None)
    first = install_package(unversioned, models)
    assert (first.package_version, first.package_id, first.path.name) == (
        "0", "argos:translate-zh_en@0", "translate-zh_en-0"
    )
    before = snapshot(models)
    assert install_package(unversioned, models) == first  # a re-install compares "0" with "0": a no-op
    assert snapshot(models) == before
    newer = install_package(archive, models)
    assert newer.package_version == "1.0" and not first.path.exists()
    with pytest.warns(PackageWarning, match="newer argos:translate-zh_en@1.0 is already installed"):
        assert install_package(unversioned, models) == newer


def test_a_second_pair_installs_alongside(archive, models, tmp_path):
    install_package(archive, models)
    install_package(with_metadata(archive, tmp_path / "zt.argosmodel", from_code="zt"), models)
    assert sorted((p.from_code, p.to_code) for p in list_packages(models)) == [("zh", "en"), ("zt", "en")]


def _corrupt_member_data(archive: Path, dest: Path) -> Path:
    """Flip bytes inside model.bin's stored data while the zip directory stays intact: only the CRC catches it."""
    with zipfile.ZipFile(archive) as zin, zipfile.ZipFile(dest, "w", zipfile.ZIP_STORED) as zout:
        for info in zin.infolist():
            zout.writestr(info.filename, b"" if info.is_dir() else zin.read(info.filename))
        model = zin.read(f"{TOP}/model/model.bin")
    data = bytearray(dest.read_bytes())
    at = data.find(model[4096:4160])
    assert at > 0
    data[at : at + 64] = bytes(b ^ 0xFF for b in data[at : at + 64])
    dest.write_bytes(bytes(data))
    return dest


def _symlink_member() -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(f"{TOP}/link")
    info.external_attr = (stat.S_IFLNK | 0o777) << 16
    return info


BAD_ARCHIVES = {
    "not a zip": (lambda a, d: (d.write_bytes(b"this is not a zip file" * 100), d)[1], "not a valid"),
    "truncated": (lambda a, d: (d.write_bytes(a.read_bytes()[: a.stat().st_size // 2]), d)[1], "not a valid"),
    "bad crc": (_corrupt_member_data, "corrupt"),
    "dot-dot": (lambda a, d: repack(a, d, add={f"{TOP}/../evil": b"x"}), "outside"),
    "parent escape": (lambda a, d: repack(a, d, add={"../evil": b"x"}), "outside"),
    "absolute": (lambda a, d: repack(a, d, add={"/tmp/evil": b"x"}), "outside"),
    "backslash": (lambda a, d: repack(a, d, add={f"{TOP}\\..\\evil": b"x"}), "outside"),
    "drive letter": (lambda a, d: repack(a, d, add={"C:/evil": b"x"}), "outside"),
    "symlink": (lambda a, d: repack(a, d, add={"link": _symlink_member()}), "symbolic link"),
    "two top folders": (lambda a, d: repack(a, d, add={"other/readme.txt": b"x"}), "exactly one top-level"),
    "file at top": (lambda a, d: repack(a, d, add={"readme.txt": b"x"}), "top level"),
    "no metadata": (lambda a, d: repack(a, d, drop={f"{TOP}/metadata.json"}), "metadata.json is missing"),
    "bad json": (lambda a, d: repack(a, d, replace={f"{TOP}/metadata.json": b"{oops"}), "not valid JSON"),
    "no codes": (lambda a, d: repack(a, d, replace={f"{TOP}/metadata.json": b'{"to_code": "en"}'}), "from_code"),
    "unsafe code": (lambda a, d: with_metadata(a, d, from_code="../../zh"), "invalid from_code"),
    "no tokenizer": (lambda a, d: repack(a, d, drop={f"{TOP}/sentencepiece.model"}), "tokenizer"),
    "no model": (
        lambda a, d: repack(a, d, drop={f"{TOP}/model/", f"{TOP}/model/model.bin", f"{TOP}/model/config.json",
                                        f"{TOP}/model/shared_vocabulary.json"}),
        "model/",
    ),
    "model without model.bin": (lambda a, d: repack(a, d, drop={f"{TOP}/model/model.bin"}), "model.bin"),
}


@pytest.mark.parametrize("case", sorted(BAD_ARCHIVES))
def test_bad_archives_are_rejected_and_change_nothing(case, archive, models, tmp_path):
    install_package(archive, models)  # something already installed that must survive untouched
    make, message = BAD_ARCHIVES[case]
    bad = make(archive, tmp_path / "bad.argosmodel")
    before = snapshot(models)
    with pytest.raises(PackageError, match=message) as caught:
        install_package(bad, models)
    assert str(bad) in str(caught.value) and ".install-" not in str(caught.value)  # names the file, not a temp dir
    assert snapshot(models) == before
    assert not (tmp_path / "evil").exists() and not Path("/tmp/evil").exists()


def test_zip_bombs_are_refused_before_extraction(archive, models, monkeypatch):
    monkeypatch.setattr(install_module, "MAX_UNCOMPRESSED_BYTES", 1000)
    with pytest.raises(PackageError, match="zip bomb"):
        install_package(archive, models)
    assert snapshot(models) == {}


def test_a_download_that_cannot_be_written_locally_is_not_called_offline(archive, tmp_path):
    with pytest.raises(PackageError, match="cannot write the download of") as caught:
        install_module._download(archive.as_uri(), tmp_path / "no-such-dir" / "x.argosmodel", False)
    assert not isinstance(caught.value, PackageIndexError)


def test_missing_source_file(models, tmp_path):
    with pytest.raises(PackageError, match="no such package file"):
        install_package(tmp_path / "absent.argosmodel", models)


def test_an_unrelated_folder_with_the_target_name_is_not_overwritten(archive, models):
    squatter = models / package_folder_name("zh", "en", "1.0")
    squatter.mkdir()
    (squatter / "user-notes.txt").write_text("mine", encoding="utf-8")
    before = snapshot(models)
    with pytest.raises(PackageError, match="already exists"), pytest.warns(PackageWarning):
        install_package(archive, models)
    assert snapshot(models) == before


def test_a_failed_install_does_not_create_the_models_dir(archive, tmp_path):
    bad = repack(archive, tmp_path / "bad.argosmodel", drop={f"{TOP}/metadata.json"})
    with pytest.raises(PackageError):
        install_package(bad, tmp_path / "new-models")
    bad_crc = _corrupt_member_data(archive, tmp_path / "crc.argosmodel")
    with pytest.raises(PackageError, match="corrupt"):
        install_package(bad_crc, tmp_path / "new-models")
    assert not (tmp_path / "new-models").exists()


def test_installs_from_a_file_url(archive, models):
    package = install_package(archive.as_uri(), models, progress=False)
    assert package.path == models / package_folder_name("zh", "en", "1.0")
    assert [p.name for p in models.iterdir()] == [package.path.name]
