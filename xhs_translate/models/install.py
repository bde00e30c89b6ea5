"""Installing models, atomically and safely: Argos packages from a file, a URL or the online index, and model
folders of the other families (quickmt, OPUS-MT, NLLB, M2M100) from a folder or a .zip of one.

Installed Argos folders are named ``translate-{from}_{to}-{version with dots as underscores}`` (the name of the
``.argosmodel`` files Argos publishes), whatever the folder inside the archive is called, so that two versions of
a pair never collide and a folder name says what it holds. Other models keep their folder's name
(``quickmt-zh-en``, ``nllb-200-distilled-600M``), which their families read directions from; where the files
cannot say the family or the directions, ``family=``/``pairs=`` write them into an ``xhs-translate.json`` manifest.

An archive is checked completely before anything is written; it is then extracted into a hidden temporary folder
inside the models dir (same filesystem) and renamed into place. A bad archive raises PackageError and leaves the
models dir exactly as it was. So does a folder that cannot be written (read-only, full): the error names the
path and the system's reason. A superseded version is deleted only once no running process holds it
(``packages.py``); each install also deletes the leftovers of installs and removals that were killed.
"""

from __future__ import annotations

import re
import shutil
import stat
import sys
import warnings
import zipfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import cast

from .._staging import locked_folder
from ..config import parse_pair
from ..errors import ModelNotInstalledError, PackageError, PackageIndexError, PackageIndexUnreachableError
from .families import detect_family, get_family, read_folder, unrecognised
from .index import load_index, offline_help, open_url, resolve_index_url
from .packages import (
    BPE_FILE,
    MANIFEST_FILE,
    METADATA_FILE,
    SENTENCEPIECE_FILE,
    Manifest,
    ModelPackage,
    PackageWarning,
    find_package,
    newest_package,
    prune,
    read_package,
    resolve_models_dir,
    version_key,
)

# Real Argos packages are 50-400 MB uncompressed; anything near this cap is a zip bomb, not a model.
MAX_UNCOMPRESSED_BYTES = 2 * 1024**3
_CHUNK = 1 << 20
_SAFE_CODE = re.compile(r"^[A-Za-z0-9_-]+$")
_SAFE_VERSION = re.compile(r"^[A-Za-z0-9._-]+$")
_UNSAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")
ARGOS_SUFFIX = ".argosmodel"


def package_folder_name(from_code: str, to_code: str, package_version: str) -> str:
    """The installed folder name, e.g. ``translate-zh_en-1_9``."""
    return f"translate-{from_code}_{to_code}-{package_version.replace('.', '_')}"


def install_package(
    source: str | Path, models_dir: str | Path | None = None, progress: bool | None = None
) -> ModelPackage:
    """Install a local ``.argosmodel`` file or an http(s)/file URL to one; return the installed package.

    Re-installing the installed version is a no-op. A newer version replaces the older one (the old folder is
    removed only after the new one is in place). An older version than the installed one is not installed: the
    installed, newer package is returned and a PackageWarning says so.
    ``progress`` shows a download bar on stderr; None means "when stderr is a terminal".
    """
    root = resolve_models_dir(models_dir)
    existed = root.exists()
    try:
        if isinstance(source, str) and source.lower().startswith(("http://", "https://", "file://")):
            with _staging(root, ".download-") as tmp:
                archive = tmp / "package.argosmodel"
                _download(source, archive, progress)
                return _install_archive(archive, root, label=source)
        archive = Path(source).expanduser()
        if not archive.is_file():
            raise PackageError(f"{archive}: no such package file")
        return _install_archive(archive, root, label=str(archive))
    except BaseException:
        if not existed and root.is_dir() and not any(root.iterdir()):
            root.rmdir()  # a failed install leaves no trace, not even the models dir it created
        raise


def install_model(
    source: str | Path, models_dir: str | Path | None = None, family: str | None = None,
    pairs: Sequence[str | tuple[str, str]] = (), progress: bool | None = None,
) -> tuple[ModelPackage, ...]:
    """Install a model of any family; return every direction it serves.

    ``source``: a model folder or a .zip holding one folder (copied in; the original is left as it is), or an
    ``.argosmodel`` file or URL (as :func:`install_package`). ``family`` and ``pairs`` (``"zh-en"``) say what
    the files cannot; when given they are written to the installed folder's ``xhs-translate.json``. Installing
    the same model again is a no-op; a different folder already under that name is an error.
    """
    wanted = cast(tuple[tuple[str, str], ...], tuple(parse_pair(p) if isinstance(p, str) else tuple(p) for p in pairs))
    if family is not None:
        get_family(family)  # an unknown family fails before any copying
    text = str(source)
    if text.lower().startswith(("http://", "https://", "file://")) or text.lower().endswith(ARGOS_SUFFIX):
        if family not in (None, "argos") or wanted:
            raise PackageError(f"{source} is an Argos package: its metadata says its family and direction, "
                               "so --family and --pair do not apply")
        return (install_package(source, models_dir, progress),)
    path = Path(source).expanduser()
    root = resolve_models_dir(models_dir)
    existed = root.exists()
    try:
        if path.is_dir():
            with _staging(root, ".install-") as tmp:
                staged = tmp / _folder_name(path.name)
                _copy_folder(path, staged)
                return _place_folder(staged, root, family, wanted, label=str(path))
        if not path.is_file():
            raise PackageError(f"{path}: no such model folder or file")
        try:
            with zipfile.ZipFile(path) as zf:
                top = _check_members(zf, str(path))
                _check_existing_root(root)
                with _staging(root, ".install-") as tmp:
                    _extract(zf, tmp, str(path))
                    staged = tmp / _folder_name(top)
                    if staged.name != top:
                        (tmp / top).rename(staged)
                    return _place_folder(staged, root, family, wanted, label=str(path))
        except zipfile.BadZipFile as exc:
            raise PackageError(f"{path} is neither a model folder nor a valid .zip of one: {exc}") from exc
    except BaseException:
        if not existed and root.is_dir() and not any(root.iterdir()):
            root.rmdir()
        raise


def _folder_name(name: str) -> str:
    cleaned = _UNSAFE_NAME.sub("-", name).strip(".-")
    if not cleaned:
        raise PackageError(f"cannot name an installed folder after {name!r}")
    return cleaned


def _copy_folder(source: Path, dest: Path) -> None:
    """Copy a model folder (symbolic links followed, as in a Hugging Face snapshot), naming the path on failure."""
    try:
        shutil.copytree(source, dest, symlinks=False)
    except (OSError, shutil.Error) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else exc
        raise PackageError(f"cannot copy {source} into the models directory: {reason}") from exc


def _place_folder(
    staged: Path, root: Path, family: str | None, pairs: tuple[tuple[str, str], ...], label: str
) -> tuple[ModelPackage, ...]:
    """Describe the staged folder in a manifest where asked, check that it reads as a model, rename it into place."""
    if family is not None or pairs:
        detected = detect_family(staged)
        name = family or (detected.name if detected else None)
        if name is None:
            raise PackageError(unrecognised(staged).replace(str(staged), label) + " (and give --family)")
        if name == "argos":
            raise PackageError(f"{label} is an Argos package: its metadata.json says its direction; install it "
                               "without --family and --pair")
        (staged / MANIFEST_FILE).write_text(Manifest(name, pairs).to_json(), encoding="utf-8")
    try:
        packages = read_folder(staged)
    except PackageError as exc:  # name what the user gave, not the temporary folder that is about to vanish
        raise PackageError(str(exc).replace(str(staged), label)) from None
    if packages[0].family == "argos":
        _check_metadata(packages[0], label)
        return (_move_into_place(packages[0], root),)
    target = root / staged.name
    if target.exists():
        try:
            installed = read_folder(target)
        except PackageError:
            installed = ()
        if [p.package_id for p in installed] == [p.package_id for p in packages]:
            return installed
        raise PackageError(f"cannot install {label}: {target} already exists and holds something else; "
                           "remove or rename it first")
    try:
        staged.rename(target)
    except OSError as exc:
        raise PackageError(f"cannot move {label} into {target}: {exc.strerror or exc}") from exc
    return read_folder(target)


def install_pair(
    from_code: str,
    to_code: str,
    models_dir: str | Path | None = None,
    index_url: str | None = None,
    progress: bool | None = None,
) -> ModelPackage:
    """Install the newest package the online index lists for the pair (the index honours $ARGOS_PACKAGE_INDEX).

    When the installed package is already that version or newer, it is returned without downloading.
    """
    try:
        entries = load_index(index_url)
    except PackageIndexUnreachableError as exc:
        raise PackageIndexUnreachableError(
            offline_help(exc.url, exc.reason, from_code, to_code), url=exc.url, reason=exc.reason
        ) from exc
    matches = [e for e in entries if e.from_code == from_code and e.to_code == to_code]
    if not matches:
        pairs = ", ".join(sorted({f"{e.from_code}->{e.to_code}" for e in entries})) or "none"
        raise PackageIndexError(
            f"the package index at {resolve_index_url(index_url)} has no {from_code}->{to_code} package. "
            f"Available pairs: {pairs}"
        )
    entry = max(matches, key=lambda e: version_key(e.package_version))
    installed = newest_package(from_code, to_code, models_dir)
    if installed is not None and version_key(installed.package_version) >= version_key(entry.package_version):
        return installed  # up to date: skip a download of a few hundred MB
    if not entry.links:
        raise PackageIndexError(
            f"the index entry for {from_code}->{to_code} {entry.package_version} has no download link")
    return install_package(entry.links[0], models_dir=models_dir, progress=progress)


def _ensure_dir(root: Path) -> Path:
    try:
        root.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise PackageError(f"cannot create the models directory {root}: {exc.strerror or exc}") from exc
    return root


@contextmanager
def _staging(root: Path, prefix: str) -> Iterator[Path]:
    """A locked temporary folder in the models dir (see ``_staging.py``), or a PackageError naming the folder."""
    _ensure_dir(root)
    prune(root)
    folder = ExitStack()
    try:
        path = folder.enter_context(locked_folder(root, prefix))
    except OSError as exc:
        raise PackageError(f"cannot install into {root}: {exc.strerror or exc}") from exc
    with folder:
        yield path


def _download(url: str, dest: Path, progress: bool | None) -> None:
    """Stream ``url`` into ``dest`` with an optional tqdm bar on stderr."""
    from tqdm import tqdm

    show = sys.stderr.isatty() if progress is None else progress
    name = url.rsplit("/", 1)[-1]

    def answered(answer: str) -> str:
        return f"cannot download {url}: {answer}; the link is wrong or the package is no longer there"

    def unreachable(reason: object) -> str:
        return (f"cannot download {url} ({reason}). Download it on a machine with internet and run "
                f"`xhs-translate models install /path/to/{name}`.")

    def cannot_write(exc: OSError) -> PackageError:
        return PackageError(f"cannot write the download of {url} to {dest}: {exc}")

    try:
        out = open(dest, "wb")  # noqa: SIM115 (its own error message; closed by the with below)
    except OSError as exc:
        raise cannot_write(exc) from exc
    with out, open_url(url, answered, unreachable) as response:
        total = int(response.headers.get("Content-Length") or 0) or None
        with tqdm(total=total, unit="B", unit_scale=True, desc=name, file=sys.stderr, disable=not show) as bar:
            while chunk := response.read(_CHUNK):
                try:
                    out.write(chunk)
                except OSError as exc:  # a PackageError passes through open_url as it is
                    raise cannot_write(exc) from exc
                bar.update(len(chunk))


def _install_archive(archive: Path, root: Path, label: str) -> ModelPackage:
    try:
        with zipfile.ZipFile(archive) as zf:
            top = _check_members(zf, label, argos=True)
            _check_existing_root(root)
            with _staging(root, ".install-") as tmp:
                _extract(zf, tmp, label)
                staged = tmp / top
                try:
                    package = read_package(staged)
                except PackageError as exc:  # name the archive, not the temporary folder that is about to vanish
                    raise PackageError(f"{label}: {str(exc).replace(str(staged), top)}") from None
                _check_metadata(package, label)
                return _move_into_place(package, root)
    except zipfile.BadZipFile as exc:
        raise PackageError(f"{label} is not a valid .argosmodel (zip) file: {exc}") from exc
    except (EOFError, zipfile.LargeZipFile) as exc:
        raise PackageError(f"{label} is truncated or unreadable: {exc}") from exc


def _check_existing_root(root: Path) -> None:
    if root.exists() and not root.is_dir():
        raise PackageError(f"the models directory {root} exists but is not a directory")


def _check_members(zf: zipfile.ZipFile, label: str, argos: bool = False) -> str:
    """Reject anything but one top-level folder, any path trick, and a likely zip bomb; an ``argos`` archive must
    also hold metadata, model and tokenizer."""
    infos = zf.infolist()
    if not infos:
        raise PackageError(f"{label} is an empty archive")
    tops = set()
    for info in infos:
        name = info.filename
        parts = PurePosixPath(name).parts
        if (
            not name
            or "\\" in name
            or "\x00" in name
            or name.startswith("/")
            or re.match(r"^[A-Za-z]:", name)
            or ".." in parts
            or any(part in ("", ".") for part in name.rstrip("/").split("/"))
        ):
            raise PackageError(f"{label} is unsafe: member {name!r} points outside the package folder")
        if stat.S_ISLNK(info.external_attr >> 16):
            raise PackageError(f"{label} is unsafe: member {name!r} is a symbolic link")
        if info.flag_bits & 0x1:
            raise PackageError(f"{label} contains an encrypted member {name!r}")
        if len(parts) == 1 and not info.is_dir():
            raise PackageError(f"{label} must hold one top-level folder, but {name!r} is a file at the top level")
        tops.add(parts[0])
    if len(tops) != 1:
        raise PackageError(f"{label} must hold exactly one top-level folder, found {len(tops)}: {sorted(tops)}")
    top = tops.pop()
    names = {info.filename for info in infos}
    files = {name for name in names if not name.endswith("/")}
    folders = {name.rstrip("/") for name in names if name.endswith("/")}
    for name in files:
        parts = PurePosixPath(name).parts
        folders.update("/".join(parts[:i]) for i in range(1, len(parts)))
    both = sorted(files & folders)
    if both:
        raise PackageError(f"{label} is corrupt: {both[0]!r} is both a file and a folder")
    if argos:
        _check_argos_members(names, top, label)
    total = sum(info.file_size for info in infos)
    if total > MAX_UNCOMPRESSED_BYTES:
        raise PackageError(
            f"{label} would unpack to {total / 1024**3:.1f} GiB, over the {MAX_UNCOMPRESSED_BYTES / 1024**3:.0f} GiB "
            "limit for a model archive; refusing it as a likely zip bomb (install a larger model from its folder)"
        )
    return top


def _check_argos_members(names: set[str], top: str, label: str) -> None:
    if f"{top}/{METADATA_FILE}" not in names:
        raise PackageError(f"{label} is not an Argos package: {top}/{METADATA_FILE} is missing")
    if not any(n.startswith(f"{top}/model/") and not n.endswith("/") for n in names):
        raise PackageError(f"{label} is not an Argos package: {top}/model/ (the CTranslate2 model) is missing")
    if not {f"{top}/{SENTENCEPIECE_FILE}", f"{top}/{BPE_FILE}"} & names:
        raise PackageError(f"{label} is not an Argos package: no {SENTENCEPIECE_FILE} or {BPE_FILE} tokenizer")


def _extract(zf: zipfile.ZipFile, dest: Path, label: str) -> None:
    """Extract checked members; the CRC of every file is verified while reading (one pass instead of testzip()).

    zipfile stops each member at its declared size, so the size cap checked before also bounds what is written.
    """
    for info in zf.infolist():
        target = dest.joinpath(*PurePosixPath(info.filename).parts)
        try:
            if info.is_dir():
                target.mkdir(parents=True, exist_ok=True)
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            with zf.open(info) as src, open(target, "wb") as out:
                shutil.copyfileobj(src, out, _CHUNK)
        except OSError as exc:  # the disk, not the archive: full, read-only, ...
            raise PackageError(f"cannot install {label}: cannot write {target}: {exc.strerror or exc}") from exc
        except (zipfile.BadZipFile, EOFError, RuntimeError, NotImplementedError) as exc:
            raise PackageError(f"{label} is corrupt: cannot extract {info.filename!r}: {exc}") from exc


def _check_metadata(package: ModelPackage, label: str) -> None:
    for name, value, pattern in (
        ("from_code", package.from_code, _SAFE_CODE),
        ("to_code", package.to_code, _SAFE_CODE),
        ("package_version", package.package_version, _SAFE_VERSION),
    ):
        if not pattern.match(value):
            raise PackageError(f"{label} has an invalid {name} {value!r} in {METADATA_FILE}")


def _move_into_place(staged: ModelPackage, root: Path) -> ModelPackage:
    """Rename the checked, staged folder into place, then drop older versions of the same pair that no running
    process holds (``packages.prune``)."""
    installed = newest_package(staged.from_code, staged.to_code, root)
    if installed is not None:
        order = (version_key(staged.package_version) > version_key(installed.package_version)) - (
            version_key(staged.package_version) < version_key(installed.package_version)
        )
        if order == 0:
            return installed
        if order < 0:
            warnings.warn(
                f"{staged.package_id} not installed: the newer {installed.package_id} is already installed "
                f"at {installed.path}; remove it first to downgrade",
                PackageWarning,
                stacklevel=4,
            )
            return installed
    target = root / package_folder_name(staged.from_code, staged.to_code, staged.package_version)
    if target.exists():
        raise PackageError(
            f"cannot install {staged.package_id}: {target} already exists and is not a usable package; "
            "remove or rename it first"
        )
    try:
        staged.path.rename(target)
    except OSError as exc:
        raced = newest_package(staged.from_code, staged.to_code, root)
        if raced is not None and raced.package_version == staged.package_version:
            return raced  # a concurrent install of the same version won the rename
        raise PackageError(f"cannot move {staged.package_id} into {target}: {exc.strerror or exc}") from exc
    prune(root)
    return read_package(target)


#: What an installer tells about each pair it installs: (from, to, None) before, (from, to, package) after.
InstallEvent = Callable[[str, str, "ModelPackage | None"], None]


@dataclass
class AutoInstaller:
    """Install on first use: the zh/en models a run finds missing (a ModelNotInstalledError naming them and the
    folder looked in), from the package index into that folder, each pair at most once per run. ``offline``
    refuses, and so does a pair installed before that is still missing; the refusal is the error with ``hint``
    added. An unreachable index is the ModelNotInstalledError for every pair still missing, with its reason."""

    offline: bool = False
    index_url: str | None = None
    progress: bool = False  # a download bar on stderr
    hint: str = ""
    on_install: InstallEvent | None = None
    installed: list[tuple[str, str]] = field(default_factory=list)

    def install(self, exc: ModelNotInstalledError) -> None:
        """Install every pair ``exc`` names, or raise why not."""
        if self.offline or any(pair in self.installed for pair in exc.pairs):
            raise ModelNotInstalledError(exc.from_code, exc.to_code, exc.models_dir, message=f"{exc}{self.hint}",
                                         pairs=exc.pairs) from exc
        folder = exc.models_dir if isinstance(exc.models_dir, (str, Path)) else None  # None: the default folder
        for n, (from_code, to_code) in enumerate(exc.pairs):
            if self.on_install is not None:
                self.on_install(from_code, to_code, None)
            try:
                package = install_pair(from_code, to_code, models_dir=folder, index_url=self.index_url,
                                       progress=self.progress)
            except PackageIndexUnreachableError as unreachable:  # offline: say at once what every model needs
                missing = ModelNotInstalledError.for_pairs(list(exc.pairs[n:]), exc.models_dir)
                raise ModelNotInstalledError(
                    from_code, to_code, exc.models_dir, pairs=missing.pairs,
                    message=f"the Argos package index at {unreachable.url} could not be reached "
                            f"({unreachable.reason}), and {missing}") from unreachable
            self.installed.append((from_code, to_code))
            if self.on_install is not None:
                self.on_install(from_code, to_code, package)

    def ensure(self, pairs: Iterable[tuple[str, str]], models_dir: str | Path | None = None) -> None:
        """Install those of ``pairs`` that no package in ``models_dir`` serves (``routing.pairs_for_mode`` gives
        a target mode's), before any work."""
        missing = [pair for pair in pairs if find_package(*pair, models_dir=models_dir) is None]
        if missing:
            self.install(ModelNotInstalledError.for_pairs(missing, models_dir))


def ensure_models(pairs: Iterable[tuple[str, str]], models_dir: str | Path | None = None, *, offline: bool = False,
                  index_url: str | None = None, progress: bool = False, on_install: InstallEvent | None = None
                  ) -> None:
    """Install from the package index those of ``pairs`` that are not installed (``offline``: raise
    ModelNotInstalledError naming them all instead)."""
    AutoInstaller(offline, index_url, progress, on_install=on_install).ensure(pairs, models_dir)
