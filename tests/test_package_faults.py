"""Model folders under faults: metadata that is not UTF-8, folders that cannot be written, archives that
contradict themselves, upgrades racing loaders, leftovers of killed installs (issue 10 §3.6, §3.7, §3.9)."""

from __future__ import annotations

import multiprocessing
import os
import subprocess
import sys
import time

import pytest
from helpers import ROOT, TOP, mounted_tmpfs, repack, with_metadata

from xhs_translate.errors import PackageError
from xhs_translate.models.install import install_package
from xhs_translate.models.packages import (
    PackageWarning,
    find_package,
    list_packages,
    newest_package,
    prune,
    read_package,
    superseded,
)

# --- metadata that is not UTF-8 (§3.6) ----------------------------------------------------------------------


def test_a_package_whose_metadata_is_not_utf8_is_skipped_with_a_warning(archive, models):
    good = install_package(archive, models)
    bad = models / "translate-en_zh-1_0"
    bad.mkdir()
    (bad / "metadata.json").write_bytes(b'{"from_code": "en", "to_code": "zh", "name": "caf\xe9"}')
    with pytest.warns(PackageWarning, match=r"ignoring .*translate-en_zh-1_0: .*metadata.json is not UTF-8 text "
                                            r"\(invalid continuation byte at byte 49\)"):
        assert list_packages(models) == [good]
    with pytest.raises(PackageError, match="is not UTF-8 text"):
        read_package(bad)


def test_installing_an_archive_whose_metadata_is_not_utf8_is_a_clear_error(archive, models, tmp_path):
    broken = repack(archive, tmp_path / "latin1.argosmodel", replace={f"{TOP}/metadata.json": b'{"from_code": "\xe9"}'})
    with pytest.raises(PackageError, match=rf"latin1.argosmodel: {TOP}/metadata.json is not UTF-8 text"):
        install_package(broken, models)
    assert list(models.iterdir()) == []


def test_the_cli_lists_and_translates_past_a_package_with_latin1_metadata(archive, models, tmp_path):
    install_package(archive, models)
    bad = models / "broken"
    bad.mkdir()
    (bad / "metadata.json").write_bytes(b"\xff\xfe")
    env = {**os.environ, "XHS_TRANSLATE_MODELS_DIR": str(models), "XHS_TRANSLATE_OFFLINE": "1"}
    listing = subprocess.run([sys.executable, "-m", "xhs_translate.cli", "models", "list"], capture_output=True,
                             text=True, env=env, timeout=120)
    assert listing.returncode == 0 and "zh->en  1.0" in listing.stdout
    warning = (f"xhs-translate: warning: ignoring {bad}: {bad}/metadata.json is not UTF-8 text "
               "(invalid start byte at byte 0)\n")
    assert listing.stderr == warning
    source = tmp_path / "in.txt"
    source.write_text("你好\n", encoding="utf-8")
    command = [sys.executable, "-m", "xhs_translate.cli", "translate", str(source), "--no-cache", "--to", "en"]
    loud = subprocess.run(command, capture_output=True, text=True, env=env, timeout=120)
    assert loud.returncode == 0 and loud.stderr.count("warning:") == 1 and warning in loud.stderr
    quiet = subprocess.run([*command, "-q"], capture_output=True, text=True, env=env, timeout=120)
    assert quiet.returncode == 0 and quiet.stderr == ""


# --- folders and archives the install cannot write (§3.7) ---------------------------------------------------


def test_installing_into_a_read_only_models_folder_names_it_and_the_reason(archive, read_only_dir):
    reason = "Read-only file system" if ROOT else "Permission denied"
    with pytest.raises(PackageError, match=f"cannot install into {read_only_dir}: {reason}"):
        install_package(archive, read_only_dir)


@pytest.mark.skipif(not ROOT, reason="mounting a small tmpfs needs root")
def test_installing_onto_a_full_disk_names_the_file_and_the_reason(archive, tmp_path):
    with mounted_tmpfs(tmp_path / "small", "size=64k") as disk:
        with pytest.raises(PackageError, match=r"cannot install .*: cannot write .*: No space left on device"):
            install_package(archive, disk)
        assert list(disk.iterdir()) == []


@pytest.mark.parametrize("extra", [f"{TOP}/model/model.bin/inner", f"{TOP}/model/model.bin/"])
def test_an_archive_where_a_file_is_also_a_folder_is_refused(archive, models, tmp_path, extra):
    broken = repack(archive, tmp_path / "both.argosmodel", add={extra: b"x"})
    with pytest.raises(PackageError,
                       match=rf"both.argosmodel is corrupt: '{TOP}/model/model.bin' is both a file and a folder"):
        install_package(broken, models)
    assert list(models.iterdir()) == []


# --- leftovers of killed installs ---------------------------------------------------------------------------


def test_the_leftovers_of_killed_installs_and_removals_are_deleted_by_the_next_install(archive, models):
    for name in (".install-abcd1234", ".download-abcd1234", ".remove-translate-zh_en-1_0-0123abcd"):
        (models / name / "half").mkdir(parents=True)
    (models / ".keep-me").mkdir()  # not of our naming
    install_package(archive, models)
    assert sorted(p.name for p in models.iterdir()) == [".keep-me", TOP]


# --- upgrades racing loaders (§3.9) --------------------------------------------------------------------------


def _find_then_load(models: str, found, go, results) -> None:
    """A loader process: find the package, wait while the upgrade happens, then load and translate with it."""
    from xhs_translate.models.engine import DecodeOptions, load_engine

    package = find_package("zh", "en", models)
    found.set()
    go.wait(120)
    try:
        out = load_engine(package).translate(["你好"], DecodeOptions())
        results.put(("ok", package.package_version, out.translations[0] is not None))
    except Exception as exc:
        results.put(("error", package.package_version, repr(exc)))


def test_an_upgrade_keeps_the_version_a_running_process_found_until_it_ends(archive, models, tmp_path):
    old = install_package(archive, models)
    context = multiprocessing.get_context("spawn")
    found, go, results = context.Event(), context.Event(), context.Queue()
    loader = context.Process(target=_find_then_load, args=(str(models), found, go, results))
    loader.start()
    try:
        assert found.wait(120)
        new = install_package(with_metadata(archive, tmp_path / "v1_1.argosmodel", package_version="1.1"), models)
        assert old.path.is_dir()  # the loader holds it
        assert superseded(list_packages(models)) == [read_package(old.path)]
        assert newest_package("zh", "en", models) == new
        go.set()
        assert results.get(timeout=120) == ("ok", "1.0", True)
    finally:
        go.set()
        loader.join(120)
    assert prune(models) == [old.path]  # the loader has ended: nothing holds the old version any more
    assert [p.path for p in list_packages(models)] == [new.path]


def _load_repeatedly(models: str, rounds: int, results) -> None:
    """A loader process: find and load the newest package again and again, as restarted workers do, with a
    pause between finding and loading as a Translator has (it plans the whole call before loading engines)."""
    import random
    import time

    from xhs_translate.models.engine import DecodeOptions, clear_engine_cache, load_engine

    failures = []
    for _ in range(rounds):
        try:
            package = find_package("zh", "en", models)
            time.sleep(random.uniform(0, 0.05))
            out = load_engine(package).translate(["你好", "谢谢"], DecodeOptions())
            assert all(out.translations), out.errors
        except Exception as exc:
            failures.append(repr(exc))
        clear_engine_cache()
    results.put(failures)


def test_loaders_in_other_processes_never_fail_while_versions_are_upgraded(archive, models, tmp_path):
    install_package(archive, models)
    upgrades = [with_metadata(archive, tmp_path / f"v{n}.argosmodel", package_version=f"1.{n}") for n in range(1, 7)]
    context = multiprocessing.get_context("spawn")
    results = context.Queue()
    loaders = [context.Process(target=_load_repeatedly, args=(str(models), 40, results)) for _ in range(3)]
    for loader in loaders:
        loader.start()
    try:
        for upgrade in upgrades:
            time.sleep(0.3)
            install_package(upgrade, models)
        failures = [results.get(timeout=300) for _ in loaders]
    finally:
        for loader in loaders:
            loader.join(300)
    assert failures == [[], [], []]
    prune(models)
    assert [p.package_version for p in list_packages(models)] == ["1.6"]
