"""Directional glossaries (DeepL-like ``source<TAB>target`` files) and the built-in zh->en slang list.

A glossary term is never left to the model: the translator cuts every match out of the segment and
splices the target form back in, like a protected span, so the target form is in the output by
construction. ``find`` is pure; files are read only by the constructors.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from .errors import GlossaryError

BUILTIN_FILE = "slang_zh_en.tsv"
STICKER_FILE = "sticker_names.tsv"
_LATIN_EDGE = re.compile(r"[A-Za-z0-9]")


@dataclass(frozen=True)
class GlossaryEntry:
    """One directional term: ``source`` in ``source_lang`` is always rendered as ``target``."""

    source: str
    target: str
    source_lang: str = "zh"
    target_lang: str = "en"


@dataclass(frozen=True)
class GlossaryMatch:
    """A term found in a text: ``text[start:end]`` becomes ``target``."""

    start: int
    end: int
    source: str
    target: str


def _key(term: str) -> str:
    """ASCII terms match case-insensitively (``YYDS`` == ``yyds``); others exactly."""
    return term.lower() if term.isascii() else term


def _term_pattern(term: str) -> str:
    body = f"(?ai:{re.escape(term)})" if term.isascii() else re.escape(term)
    # Latin edges need a word boundary, so "xdm" does not fire inside "xdmx"; CJK has no spaces to use.
    before = r"(?<![A-Za-z0-9])" if _LATIN_EDGE.match(term[0]) else ""
    after = r"(?![A-Za-z0-9])" if _LATIN_EDGE.match(term[-1]) else ""
    return before + body + after


@dataclass(frozen=True)
class Glossary:
    """An immutable set of directional entries; later entries for the same term override earlier ones."""

    entries: tuple[GlossaryEntry, ...] = ()
    _pairs: dict[tuple[str, str], tuple[re.Pattern[str], dict[str, GlossaryEntry]]] = field(
        default_factory=dict, init=False, repr=False, compare=False)  # {(source, target language): (matcher, terms)}

    def __post_init__(self) -> None:
        pairs: dict[tuple[str, str], dict[str, GlossaryEntry]] = {}
        for entry in self.entries:
            if not isinstance(entry, GlossaryEntry):
                raise GlossaryError(f"glossary entries must be GlossaryEntry objects, got {type(entry).__name__}")
            if not all(isinstance(v, str) for v in (entry.source, entry.target, entry.source_lang, entry.target_lang)):
                raise GlossaryError(
                    f"glossary entry {entry.source!r} -> {entry.target!r}: terms and languages must be str")
            if not entry.source.strip() or not entry.target.strip():
                raise GlossaryError(f"glossary entry {entry.source!r} -> {entry.target!r} has an empty side")
            pairs.setdefault((entry.source_lang, entry.target_lang), {})[_key(entry.source)] = entry
        compiled: dict[tuple[str, str], tuple[re.Pattern[str], dict[str, GlossaryEntry]]] = {}
        for pair, by_key in pairs.items():
            terms = sorted((e.source for e in by_key.values()), key=lambda t: (-len(t), t))
            compiled[pair] = (re.compile("|".join(_term_pattern(t) for t in terms)), by_key)
        object.__setattr__(self, "_pairs", compiled)

    # --- constructors ----------------------------------------------------------------------------------
    @classmethod
    def from_mapping(cls, mapping: Mapping[str, str], source_lang: str = "zh", target_lang: str = "en") -> Glossary:
        """``{source term: target term}``, both str (``Translator(glossary={...})``)."""
        for source, target in mapping.items():
            if not isinstance(source, str) or not isinstance(target, str):
                wrong = source if not isinstance(source, str) else target
                raise GlossaryError(
                    f"glossary: a mapping of glossary terms must map str to str, but {source!r} -> {target!r} has a "
                    f"{type(wrong).__name__}")
        return cls(tuple(GlossaryEntry(s, t, source_lang, target_lang) for s, t in mapping.items()))

    @classmethod
    def from_file(cls, path: str | Path, source_lang: str = "zh", target_lang: str = "en") -> Glossary:
        """Read a TSV (``source<TAB>target``) or CSV file; CSV rows may add DeepL's ``source_lang,target_lang``
        columns."""
        path = Path(path)
        try:
            text = path.read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as exc:
            raise GlossaryError(f"cannot read glossary {path}: {exc}") from exc
        return cls(tuple(parse_glossary(text, source_lang, target_lang, name=str(path))))

    @classmethod
    def builtin(cls) -> Glossary:
        """The built-in zh->en slang list (yyds, xswl, 绝绝子, 集美, 家人们, 宝子, 种草, 拔草, 蹲后续, ...)."""
        text = (resources.files("xhs_translate") / "data" / BUILTIN_FILE).read_text(encoding="utf-8")
        return cls(tuple(parse_glossary(text, "zh", "en", name=BUILTIN_FILE)))

    def merged(self, other: Glossary) -> Glossary:
        """A glossary with both sets of entries; ``other`` wins where both define a term."""
        return Glossary(self.entries + other.entries)

    # --- use ---------------------------------------------------------------------------------------------
    def __len__(self) -> int:
        return sum(len(by_key) for _, by_key in self._pairs.values())

    def find(self, text: str, source_lang: str, target_lang: str) -> tuple[GlossaryMatch, ...]:
        """Non-overlapping matches, longest term first at each position, left to right."""
        compiled = self._pairs.get((source_lang, target_lang))
        if compiled is None:
            return ()
        pattern, by_key = compiled
        found = []
        for m in pattern.finditer(text):
            entry = by_key[_key(m.group())]
            found.append(GlossaryMatch(m.start(), m.end(), m.group(), entry.target))
        return tuple(found)

    def fingerprint(self, source_lang: str, target_lang: str) -> str:
        """Changes whenever the entries that apply to this pair change; part of every cache key."""
        compiled = self._pairs.get((source_lang, target_lang))
        if compiled is None:
            return "none"
        items = sorted((e.source, e.target) for e in compiled[1].values())
        return hashlib.sha256(repr(items).encode("utf-8", "surrogatepass")).hexdigest()[:16]


def parse_glossary(text: str, source_lang: str, target_lang: str, name: str = "<glossary>") -> Iterable[GlossaryEntry]:
    """Entries of a TSV or CSV glossary text. Blank lines and lines starting with '#' are skipped."""
    lines = [line for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    delimiter = "\t" if any("\t" in line for line in lines) else ","
    for number, row in enumerate(csv.reader(io.StringIO("\n".join(lines)), delimiter=delimiter), start=1):
        if len(row) not in (2, 4):
            raise GlossaryError(
                f"{name}: entry {number} has {len(row)} columns; expected source{delimiter!r}target"
                " (optionally followed by source_lang and target_lang)"
            )
        src_lang, tgt_lang = (row[2].strip(), row[3].strip()) if len(row) == 4 else (source_lang, target_lang)
        yield GlossaryEntry(row[0].strip(), row[1].strip(), src_lang, tgt_lang)


# --- sticker codes: their meaning, for text exports -----------------------------------------------------------------
_STICKERS: dict[str, str] = {}


def sticker_names() -> dict[str, str]:
    """``{code: English meaning}`` of the platform's most frequent sticker codes (``data/sticker_names.tsv``)."""
    if not _STICKERS:
        text = (resources.files("xhs_translate") / "data" / STICKER_FILE).read_text(encoding="utf-8")
        rows = (line.partition("\t") for line in text.splitlines() if line and not line.startswith("#"))
        _STICKERS.update((code, meaning) for code, _, meaning in rows)
    return _STICKERS


def sticker_meanings(text: str, mentions: Iterable[str] = ()) -> str:
    """``text`` with each known sticker code replaced by its meaning in brackets: ``好失望[失望R]`` -> ``好失望
    [Disappointed]``. Off by default everywhere: the page and the app draw the codes as images, so a translation
    keeps them verbatim; this is for a plain-text export read by people. Unknown codes stay as they are."""
    from .spans import EMOJI_CODE, split_spans

    names = sticker_names()
    return "".join(f"[{names[s.text]}]" if s.kind == EMOJI_CODE and s.text in names else s.text
                   for s in split_spans(text, tuple(mentions)))
