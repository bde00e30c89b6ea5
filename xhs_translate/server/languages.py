"""Language codes as LibreTranslate speaks them, and the languages the installed packages serve. Pure.

LibreTranslate >= 1.7.2 names Chinese ``zh-Hans`` and ``zh-Hant`` (Argos packages say ``zh`` and ``zt``) and
accepts the old codes back. Clients send more spellings still (Discourse's ``zh_CN``, browsers' ``zh-TW``), so
every common one is accepted, case-insensitively, with ``_`` or ``-``.

Accepting is not enough: Mastodon, Discourse's translator plugin, Weblate and npm ``libretranslate`` look the
code up in ``GET /languages`` before they send it, and never offer Chinese when it is missing there. So the
listing holds LibreTranslate's three entries first, then one entry per code those clients send (``LISTED``):
named ``Chinese (zh-CN)``, with the same targets as the variant it stands for.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

AUTO = "auto"
HANS, HANT = "zh", "zt"  # Argos' codes for Simplified and Traditional Chinese

#: Public code -> Argos code, for every alias accepted on input (lower case, "-" separated).
_ALIASES = {
    "zh": HANS, "zh-hans": HANS, "zh-cn": HANS, "zh-sg": HANS, "zh-hans-cn": HANS,
    "zt": HANT, "zh-hant": HANT, "zh-tw": HANT, "zh-hk": HANT, "zh-mo": HANT, "zh-hant-tw": HANT,
    "en-us": "en", "en-gb": "en",  # DeepL's target variants (adapters.py); one English model serves both
}
_PUBLIC = {HANS: "zh-Hans", HANT: "zh-Hant"}
#: Codes listed beside LibreTranslate's, -> Argos code; who sends each (their sources are cited in
#: tests/test_server.py):
#: ``zh``: Mastodon statuses, Discourse (its zh_CN and zh_TW locales both map to it), Weblate (zh_Hans maps to it);
#: ``zh-CN``, ``zh-TW``, ``zh-HK``: Mastodon statuses and user locales; ``zh_Hant``: Weblate, which sends its own
#: code for Traditional unmapped and would fall back to ``zh`` (Simplified) were it not listed.
LISTED = {"zh": HANS, "zh-CN": HANS, "zh-TW": HANT, "zh-HK": HANT, "zh_Hant": HANT}
_NAMES = {"en": "English", HANS: "Chinese", HANT: "Chinese (traditional)"}


def model_code(code: str) -> str:
    """An accepted spelling -> the Argos code: ``zh-CN`` -> ``zh``, ``zh_TW`` -> ``zt``, ``EN-US`` -> ``en``."""
    key = code.strip().lower().replace("_", "-")
    return _ALIASES.get(key, key)


def public_code(code: str, script: str | None = None) -> str:
    """An Argos code (or a detected ``zh`` with its script) -> the code LibreTranslate >= 1.7.2 gives."""
    if code == HANS and script == "Hant":
        code = HANT
    return _PUBLIC.get(code, code)


def language_name(code: str) -> str:
    return _NAMES.get(code, code)


def _alias_name(code: str, alias: str) -> str:
    """``Chinese (zh-CN)``, ``Chinese (traditional, zh-TW)``."""
    name = language_name(code)
    return f"{name[:-1]}, {alias})" if name.endswith(")") else f"{name} ({alias})"


def not_available(source: str, target: str) -> str:
    """LibreTranslate's message for a pair that no package serves (Argos codes in)."""
    return (f"{language_name(target)} ({public_code(target)}) is not available as a target language from "
            f"{language_name(source)} ({public_code(source)})")


@dataclass(frozen=True)
class Served:
    """What the installed packages serve: Argos codes and the (source, target) pairs.

    Traditional Chinese is served wherever Simplified is (OpenCC converts on the way in or out, unless a ``zt``
    package does it natively), Simplified and Traditional into each other by OpenCC alone, and every language
    "translates" into itself (the text comes back unchanged), as LibreTranslate lists it."""

    codes: tuple[str, ...]
    pairs: frozenset[tuple[str, str]]

    @classmethod
    def from_packages(cls, packages: Iterable) -> Served:
        pairs = {(package.from_code, package.to_code) for package in packages}
        for source, target in list(pairs):
            if target == HANS:
                pairs.add((source, HANT))
            if source == HANS:
                pairs.add((HANT, target))
        if HANS in {code for pair in pairs for code in pair}:
            pairs |= {(HANS, HANT), (HANT, HANS)}
        pairs = {(s, t) for s, t in pairs if s != t}
        codes = sorted({code for pair in pairs for code in pair})
        pairs |= {(code, code) for code in codes}
        return cls(tuple(codes), frozenset(pairs))

    def targets(self, source: str) -> list[str]:
        return sorted(t for s, t in self.pairs if s == source)

    @property
    def target_codes(self) -> set[str]:
        return {t for _, t in self.pairs}

    def listing(self) -> list[dict]:
        """``GET /languages``: ``[{code, name, targets}]`` as LibreTranslate answers, then the ``LISTED`` codes.

        Targets are public codes, listed ones included, except another spelling of the entry's own language
        (``zh`` -> ``zh-CN`` would give the text back unchanged, so Mastodon should not offer it)."""
        entries = [(public_code(code), code) for code in self.codes]
        entries += [(alias, code) for alias, code in LISTED.items() if code in self.codes]
        return [
            {"code": public, "name": language_name(code) if public == public_code(code) else _alias_name(code, public),
             "targets": sorted(t for t, tc in entries if (code, tc) in self.pairs and (tc != code or t == public))}
            for public, code in entries
        ]
