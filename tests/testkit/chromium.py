"""The Chromium the browser tests and benchmarks drive under Playwright (which cannot download its own here)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

#: How the browser tests and ``benchmarks/html_page.py`` start Debian's Chromium under Playwright: headless, as
#: root, and without the background connections that a closed network refuses.
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run"]
CHROMIUM_ENV = "XHS_TRANSLATE_CHROMIUM"


def find_chromium() -> str | None:
    """Debian's ``chromium`` (Playwright cannot download its own browser here), or ``$XHS_TRANSLATE_CHROMIUM``."""
    path = os.environ.get(CHROMIUM_ENV) or shutil.which("chromium") or "/usr/bin/chromium"
    return path if Path(path).is_file() else None
