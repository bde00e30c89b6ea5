"""Argos Translate packages: ``metadata.json``, ``model/`` (CTranslate2), ``sentencepiece.model``.

Tokens as argostranslate sends them (``argostranslate/tokenizer.py`` SentencePieceTokenizer.encode and
``translate.py`` apply_packaged_translation: ``encode(sentence, out_type=str)``): the pieces alone. A package
whose metadata names a ``target_prefix`` gets it forced as the first target token, dropped from the output.
One package is one direction, ``from_code`` -> ``to_code`` (``zt`` is Traditional Chinese).
"""

from __future__ import annotations

import re
from pathlib import Path

from ...errors import PackageError
from .base import UNKNOWN_VERSION, Family, Manifest, ModelPackage, read_json

NAME = "argos"
FILES = "metadata.json, model/ (CTranslate2), sentencepiece.model"
METADATA_FILE = "metadata.json"
SENTENCEPIECE_FILE = "sentencepiece.model"
BPE_FILE = "bpe.model"
DEMO_KEY = "xhs_translate_demo"  # metadata.json: true for the random-weight packages of `models install --demo`


def detect(path: Path) -> bool:
    return (path / METADATA_FILE).is_file()


def read(path: Path, manifest: Manifest | None = None) -> list[ModelPackage]:
    """The package a folder holds; PackageError when it is not a usable Argos package."""
    meta_path = path / METADATA_FILE
    if not meta_path.is_file():
        raise PackageError(f"{path} is not an Argos package: it has no {METADATA_FILE}")
    meta = read_json(meta_path)
    if not isinstance(meta, dict):
        raise PackageError(f"{meta_path} must hold a JSON object")
    missing = [key for key in ("from_code", "to_code") if not isinstance(meta.get(key), str) or not meta.get(key)]
    if missing:
        raise PackageError(f"{meta_path} lacks {', '.join(missing)}")
    if (path / SENTENCEPIECE_FILE).is_file():
        tokenizer, tokenizer_file = "sentencepiece", SENTENCEPIECE_FILE
    elif (path / BPE_FILE).is_file():
        tokenizer, tokenizer_file = "bpe", BPE_FILE
    else:
        raise PackageError(f"{path} has neither {SENTENCEPIECE_FILE} nor {BPE_FILE}")
    if not (path / "model" / "model.bin").is_file():
        raise PackageError(f"{path} has no model/model.bin (CTranslate2 model)")
    from_code, to_code = meta["from_code"], meta["to_code"]
    return [ModelPackage(
        path=path,
        from_code=from_code,
        to_code=to_code,
        package_version=normalize_version(meta.get("package_version")),
        name=str(meta.get("name", "")),
        argos_version=str(meta.get("argos_version", "")),
        target_prefix=str(meta.get("target_prefix", "") or ""),
        tokenizer=tokenizer,
        family=NAME,
        model_id=f"translate-{from_code}_{to_code}",
        source_tokenizer=tokenizer_file,
        target_tokenizer=tokenizer_file,
        demo=meta.get(DEMO_KEY) is True,
    )]


def normalize_version(value: object) -> str:
    """A ``package_version`` from metadata or the index as a str: missing, null or blank is "0", older than any
    release (so any real version upgrades it), never the string "None"."""
    text = "" if value is None else str(value).strip()
    return text or UNKNOWN_VERSION


def version_key(version: object) -> tuple[tuple[int, int | str], ...]:
    """Sort key that compares versions numerically ("1.10" > "1.9"); trailing zeros do not count ("1.0" == "1").
    A missing version (None) sorts as "0"."""
    parts = [(1, int(p)) if p.isdigit() else (0, p) for p in re.findall(r"\d+|[A-Za-z]+", normalize_version(version))]
    while parts and parts[-1] == (1, 0):
        parts.pop()
    return tuple(parts)


FAMILY = Family(NAME, FILES, detect, read)
