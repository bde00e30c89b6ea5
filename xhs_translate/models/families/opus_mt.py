"""OPUS-MT (Helsinki-NLP Marian models) converted to CTranslate2: ``model.bin``, ``config.json``,
``shared_vocabulary.json`` (or source/target vocabularies), ``source.spm``, ``target.spm``.

Tokens, as read from the projects' code: the CTranslate2 OPUS-MT guide encodes with ``source.spm``
(``sp.encode(text, out_type=str)``) and decodes the hypothesis with SentencePiece; Hugging Face's
``MarianTokenizer._tokenize`` returns ``code + pieces``, the ``>>id<<`` target-language code first when the text
starts with one, and ``supported_language_codes`` are the vocabulary's ``>>...<<`` entries: a model with several
target languages (en->zh: ``>>cmn_Hans<<``, ``>>cmn_Hant<<``, ...) needs one, a single-target model (zh->en)
none. ``</s>`` closes the source: ``ct2-opus-mt-converter`` (the Marian converter) sets ``add_source_eos`` in
config.json so CTranslate2 appends it, while ``ct2-transformers-converter`` leaves it to the tokenizer, so it is
appended here exactly when config.json does not ask CTranslate2 to. No target prefix.

Directions come from the folder name (``opus-mt-zh-en``, ``opus-mt-en-zh-ctranslate2``...) or an
``xhs-translate.json`` manifest; an en->zh model whose vocabulary has ``>>cmn_Hant<<`` also serves en->zt.
"""

from __future__ import annotations

import re
from pathlib import Path

from ...errors import PackageError
from .base import (
    Family,
    Manifest,
    ModelPackage,
    appended_eos,
    fingerprint_version,
    read_config,
    read_vocabulary,
    require_files,
    require_tokens,
    vocabulary_file,
)

NAME = "opus-mt"
FILES = "model.bin, config.json, shared_vocabulary.json (or source_ and target_vocabulary.json), source.spm, target.spm"
SOURCE, TARGET = "source.spm", "target.spm"
#: The target-language token for each language we route into (OPUS-MT uses ISO 639-3 + script).
TARGET_TOKENS = {"zh": ">>cmn_Hans<<", "zt": ">>cmn_Hant<<", "en": ">>eng<<"}
#: OPUS-MT language ids in folder names -> ours.
_CODES = {"zh": "zh", "zho": "zh", "cmn": "zh", "en": "en", "eng": "en"}
_NAMED_PAIR = re.compile(r"opus-mt-(?:tc-[a-z]+-)?([a-z]{2,3})-([a-z]{2,3})(?![a-z])", re.IGNORECASE)


def detect(path: Path) -> bool:
    return (path / "model.bin").is_file() and (path / SOURCE).is_file() and (path / TARGET).is_file()


def read(path: Path, manifest: Manifest | None = None) -> list[ModelPackage]:
    require_files(path, NAME, ["model.bin", "config.json", SOURCE, TARGET])
    if vocabulary_file(path, "source") is None:
        raise PackageError(
            f"{path} is not a usable {NAME} model: missing shared_vocabulary.json (or source_vocabulary.json)")
    vocabulary = set(read_vocabulary(path, "source"))  # the language codes are source tokens
    multi_target = any(t.startswith(">>") and t.endswith("<<") for t in vocabulary)
    pairs = manifest.pairs if manifest and manifest.pairs else named_pairs(path.name)
    if multi_target and not (manifest and manifest.pairs):
        pairs = with_traditional(pairs, vocabulary)
    if not pairs:
        raise PackageError(
            f"{path}: cannot tell which direction this OPUS-MT model translates (its folder is not named "
            f"opus-mt-FROM-TO); install it with `xhs-translate models install {path} --family opus-mt --pair en-zh`"
        )
    suffix = appended_eos(read_config(path))
    version = (manifest.version if manifest else "") or fingerprint_version(path, [path / SOURCE, path / TARGET])
    model_id = (manifest.name if manifest else "") or path.name
    packages = []
    require_tokens(path, vocabulary, suffix, "the end-of-source token")
    for a, b in pairs:
        prefix = (TARGET_TOKENS[b],) if multi_target else ()
        require_tokens(path, vocabulary, prefix, f"the target-language token that {a}->{b} needs")
        packages.append(ModelPackage(
            path=path, from_code=a, to_code=b, package_version=version, name=model_id, family=NAME,
            model_id=model_id, source_tokenizer=SOURCE, target_tokenizer=TARGET, model_subdir="",
            source_prefix=prefix, source_suffix=suffix,
        ))
    return packages


def with_traditional(pairs: tuple[tuple[str, str], ...], vocabulary: set[str]) -> tuple[tuple[str, str], ...]:
    """A multi-target model that translates into zh also translates into zt when it has zt's token."""
    extra = [(a, "zt") for a, b in pairs if b == "zh" and TARGET_TOKENS["zt"] in vocabulary]
    return tuple(dict.fromkeys([*pairs, *extra]))


def named_pairs(folder_name: str) -> tuple[tuple[str, str], ...]:
    """``opus-mt-zh-en`` -> ``(("zh", "en"),)``; only the languages routed here."""
    match = _NAMED_PAIR.search(folder_name)
    if not match:
        return ()
    a, b = (_CODES.get(match.group(i).lower()) for i in (1, 2))
    return ((a, b),) if a and b and a != b else ()


FAMILY = Family(NAME, FILES, detect, read)
