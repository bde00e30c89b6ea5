"""The browser extension (Manifest V3, Chromium and Firefox), built by ``xhs-translate extension``.

Its content script IS the userscript (``server/static/xhs-translate.user.js``): the same selector table and the
same insertion code, with its header dropped and its platform set to ``extension``, so that it asks the background
worker for its requests and the options page for its settings. Next to it in this folder: ``background.js`` (the
requests, to the local server only), ``options.html/js/css``. The two browsers differ only in the manifest: a
service worker for Chromium, a background script and a Gecko id for Firefox.
"""

from __future__ import annotations

import json
import re
import shutil
import zipfile
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path

from .. import __version__
from ..errors import ExtensionError, OutputPathError

BROWSERS = ("chromium", "firefox")
DEFAULT_SERVER = "http://127.0.0.1:5000"
SITES = ("https://www.xiaohongshu.com/*", "https://www.rednote.com/*")
#: The server on this machine, any port (a match pattern without a port matches every port).
LOCAL_SERVER = ("http://127.0.0.1/*", "http://localhost/*")
FILES = ("background.js", "options.html", "options.js", "options.css")
GECKO_ID = "xhs-translate@xhs-translate.invalid"
_ZIP_TIME = (2025, 1, 1, 0, 0, 0)  # fixed: the same sources give the same zip


@dataclass(frozen=True)
class Built:
    """Where ``build_extension`` put each browser's unpacked folder and zip."""

    folders: dict[str, Path]
    zips: dict[str, Path]


def _numeric(version: str) -> str:
    """The version as browsers take it: one to four dot-separated integers ("0.2.0.dev1" -> "0.2.0")."""
    match = re.match(r"\d+(?:\.\d+){0,3}", version)
    return match.group() if match else "0"


def content_script() -> str:
    """The userscript's source as the extension's content script: no userscript header, the extension platform."""
    source = (files("xhs_translate.server") / "static" / "xhs-translate.user.js").read_text(encoding="utf-8")
    end = "// ==/UserScript==\n"
    body = source[source.index(end) + len(end):].lstrip("\n")
    script = (body.replace("'__XHS_TRANSLATE_PLATFORM__'", "'extension'")
              .replace("'__XHS_TRANSLATE_SERVER__'", json.dumps(DEFAULT_SERVER))
              .replace("'__XHS_TRANSLATE_API_KEY__'", "''"))
    if "__XHS_TRANSLATE_" in script:  # a token the build does not know: it would reach the browser as text
        raise ExtensionError("the userscript holds a token that the extension build does not replace")
    return script


def manifest(browser: str) -> dict:
    """The manifest for ``browser``: storage, the local server's host permission, content scripts on the two sites;
    another server's host permission is optional, asked for by the options page when the user sets one."""
    data = {
        "manifest_version": 3,
        "name": "xhs-translate",
        "version": _numeric(__version__),
        "version_name": __version__,
        "description": "Translates Xiaohongshu / RedNote notes and comments in place with your own xhs-translate "
                       "server. Offline: the text goes to your server only.",
        "permissions": ["storage"],
        "host_permissions": list(LOCAL_SERVER),
        "optional_host_permissions": ["http://*/*", "https://*/*"],
        "content_scripts": [{"matches": list(SITES), "js": ["content.js"], "run_at": "document_idle"}],
        "options_ui": {"page": "options.html", "open_in_tab": True},
    }
    if browser == "chromium":
        data["background"] = {"service_worker": "background.js"}
    elif browser == "firefox":
        data["background"] = {"scripts": ["background.js"]}
        data["browser_specific_settings"] = {"gecko": {"id": GECKO_ID, "strict_min_version": "128.0"}}
    else:
        raise ExtensionError(f"unknown browser {browser!r}: one of {', '.join(BROWSERS)}")
    return data


def build_extension(out_dir: str | Path) -> Built:
    """Write ``out_dir/{chromium,firefox}/`` (load them unpacked) and ``out_dir/xhs-translate-{browser}-{version}.zip``
    (for a store or Firefox's about:debugging). Replaces those it wrote before; touches nothing else there."""
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise OutputPathError(f"{out} is a file: give a folder for the extension")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputPathError(f"cannot create {out}: {exc.strerror}") from None
    sources = {name: files(__name__).joinpath(name).read_text(encoding="utf-8") for name in FILES}
    sources["content.js"] = content_script()
    folders, zips = {}, {}
    for browser in BROWSERS:
        contents = {**sources, "manifest.json": json.dumps(manifest(browser), indent=2, ensure_ascii=False) + "\n"}
        folder = out / browser
        if folder.exists():
            shutil.rmtree(folder)
        folder.mkdir()
        for name, text in contents.items():
            (folder / name).write_text(text, encoding="utf-8")
        archive = out / f"xhs-translate-{browser}-{__version__}.zip"
        with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
            for name in sorted(contents):
                info = zipfile.ZipInfo(name, _ZIP_TIME)
                info.compress_type, info.external_attr = zipfile.ZIP_DEFLATED, 0o644 << 16
                zf.writestr(info, contents[name].encode("utf-8"))
        folders[browser], zips[browser] = folder, archive
    return Built(folders, zips)
