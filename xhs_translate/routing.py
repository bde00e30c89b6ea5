"""Routing: which installed package serves a (language, target) pair, with OpenCC around it where needed.

Traditional Chinese goes to a ``zt`` package when one is installed, else through OpenCC t2s into the zh package;
Traditional output (``zh_variant="Hant"``) comes from a ``zt`` package, else from OpenCC s2t after the zh
package. Where several installed models serve a pair, the config's model choice (``models=``) and then
``models.packages.PREFERENCE`` decide. Routes are memoised per Router, so one Translator keeps the packages it
started with; the installed set they come from is the models folder's shared snapshot (``models/registry.py``).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from .errors import ModelNotInstalledError

CORE_LANGS = frozenset({"zh", "en"})  # a missing package for these is an error, for others "unsupported"
#: The models each target mode (``target=``) can need: ``auto`` translates both ways.
MODE_PAIRS: dict[str, tuple[tuple[str, str], ...]] = {
    "auto": (("zh", "en"), ("en", "zh")), "en": (("zh", "en"),), "zh": (("en", "zh"),),
}


def pairs_for_mode(mode: str) -> tuple[tuple[str, str], ...]:
    """The (from, to) models a run into ``mode`` can need, in the order a message names them."""
    return MODE_PAIRS[mode]


@cache
def _opencc(config: str) -> Any:
    """One converter per OpenCC config for the process (an explicit cache: building one reads its tables)."""
    import opencc

    return opencc.OpenCC(config)


def convert(text: str, config: str | None) -> str:
    """``text`` through OpenCC ``config`` (``t2s``, ``s2t``), or as it is for None."""
    return _opencc(config).convert(text) if config else text


@dataclass(frozen=True)
class Route:
    """How a (language, target) pair is served: a package, plus OpenCC conversions before and after.
    ``package`` is None for a zh/en pair whose model is missing (under ``errors="mark"``)."""

    package: Any  # ModelPackage | None
    source_lang: str  # logical languages, for glossaries
    target_lang: str
    before: str | None = None  # OpenCC config applied to the source ("t2s")
    after: str | None = None  # OpenCC config applied to the output ("s2t")


class Router:
    """Finds and memoises routes in one models folder; thread-safe."""

    def __init__(self, models_dir: str | Path | None, zh_variant: str, models: tuple[tuple[str, str], ...] = ()):
        self.models_dir = models_dir
        self.zh_variant = zh_variant
        self.models = dict(models)  # {"zh-en": name, "*": name}: a pin per direction, a preference for all
        self._routes: dict[tuple[str, str, bool], Route | None] = {}
        self._packages: tuple[Any, ...] | None = None
        self._lock = threading.Lock()

    def route(self, lang: str, target: str, hant: bool) -> Route | None:
        """The route for a pair; None when no package serves it (a zh/en pair then gets a Route without package)."""
        key = (lang, target, hant)
        with self._lock:
            if key in self._routes:
                return self._routes[key]
        route = self._find(lang, target, hant)
        if route is None and {lang, target} <= CORE_LANGS:
            route = Route(None, lang, target)
        with self._lock:
            self._routes[key] = route
        return route

    def used(self) -> dict[str, str]:
        """``{"zh->en": package id, ...}`` for every route found so far, for signatures."""
        with self._lock:
            routes = dict(self._routes)
        return {f"{lang}{'-Hant' if hant else ''}->{target}": route.package.package_id
                for (lang, target, hant), route in sorted(routes.items())
                if route is not None and route.package is not None}

    def missing_error(self, pairs: set[tuple[str, str]]) -> ModelNotInstalledError:
        """One error naming every missing zh/en model among ``pairs`` (each is a pair that the work needed)."""
        from .models.packages import resolve_models_dir

        return ModelNotInstalledError.for_pairs(sorted(pairs), resolve_models_dir(self.models_dir))

    def packages(self) -> tuple[Any, ...]:
        """Per installed direction, the one package this router picks for it (the model choice, then the preference
        order and the newest version): every package its routes can use, whatever the texts."""
        from .models.packages import list_packages

        if self._packages is None:  # found once, like the routes: a Router keeps the packages it started with
            directions = sorted({(p.from_code, p.to_code) for p in list_packages(self.models_dir)})
            self._packages = tuple(dict.fromkeys(p for a, b in directions if (p := self._package(a, b)) is not None))
        return self._packages

    def _package(self, a: str, b: str) -> Any:
        from .models.packages import find_package

        return find_package(a, b, self.models_dir, model=self.models.get(f"{a}-{b}"), prefer=self.models.get("*"))

    def _find(self, lang: str, target: str, hant: bool) -> Route | None:
        find = self._package
        if lang == "zh" and hant:
            package = find("zt", target)
            if package is not None:
                return Route(package, lang, target)
            package = find("zh", target)
            return Route(package, lang, target, before="t2s") if package is not None else None
        if target == "zh" and self.zh_variant == "Hant":
            package = find(lang, "zt")
            if package is not None:
                return Route(package, lang, target)
            package = find(lang, "zh")
            return Route(package, lang, target, after="s2t") if package is not None else None
        package = find(lang, target)
        return Route(package, lang, target) if package is not None else None
