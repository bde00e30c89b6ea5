"""quickmt models (huggingface.co/quickmt, e.g. ``quickmt-zh-en``): ``model.bin``, ``config.json``,
``source_vocabulary.json``, ``target_vocabulary.json``, ``src.spm.model`` + ``tgt.spm.model`` or ``joint.spm.model``.

Tokens as quickmt's own ``quickmt/translator.py`` sends them (``Translator.tokenize``:
``source_tokenizer.encode(sentences, out_type=str)``; ``detokenize``: ``target_tokenizer.decode``; the joint model
serves both sides when ``joint.spm.model`` exists): the source pieces alone, no target prefix. CTranslate2 adds
what ``config.json`` asks for itself. (The issue's table says "pieces plus ``</s>``"; quickmt's code appends
nothing, and that code is what these models are run with.) One folder is one direction, from its name
``quickmt-{from}-{to}`` or from an ``xhs-translate.json`` manifest.
"""

from __future__ import annotations

import re
from pathlib import Path

from ...errors import PackageError
from .base import LANGUAGES, Family, Manifest, ModelPackage, fingerprint_version, require_files, vocabulary_file

NAME = "quickmt"
FILES = ("model.bin, config.json, source_vocabulary.json + target_vocabulary.json (or shared_vocabulary.json), "
         "src.spm.model + tgt.spm.model (or joint.spm.model)")
JOINT = "joint.spm.model"
SOURCE, TARGET = "src.spm.model", "tgt.spm.model"
_NAMED_PAIR = re.compile(r"quickmt-([a-z]{2,3})-([a-z]{2,3})(?![a-z])", re.IGNORECASE)


def detect(path: Path) -> bool:
    return (path / "model.bin").is_file() and (
        (path / JOINT).is_file() or ((path / SOURCE).is_file() and (path / TARGET).is_file())
    )


def read(path: Path, manifest: Manifest | None = None) -> list[ModelPackage]:
    joint = (path / JOINT).is_file()
    source, target = (JOINT, JOINT) if joint else (SOURCE, TARGET)
    require_files(path, NAME, ["model.bin", "config.json", *dict.fromkeys((source, target))])
    if vocabulary_file(path, "source") is None or vocabulary_file(path, "target") is None:
        # CTranslate2 saves one shared_vocabulary.json when both sides are the same (a joint tokenizer)
        raise PackageError(f"{path} is not a usable {NAME} model: missing source_vocabulary.json and "
                           "target_vocabulary.json (or shared_vocabulary.json)")
    pairs = manifest.pairs if manifest and manifest.pairs else named_pairs(path.name)
    if not pairs:
        raise PackageError(
            f"{path}: cannot tell which direction this quickmt model translates (its folder is not named "
            f"quickmt-FROM-TO); install it with `xhs-translate models install {path} --family quickmt --pair zh-en`"
        )
    version = (manifest.version if manifest else "") or fingerprint_version(path, [path / source, path / target])
    model_id = (manifest.name if manifest else "") or path.name
    return [
        ModelPackage(path=path, from_code=a, to_code=b, package_version=version, name=model_id, family=NAME,
                     model_id=model_id, source_tokenizer=source, target_tokenizer=target, model_subdir="")
        for a, b in pairs
    ]


def named_pairs(folder_name: str) -> tuple[tuple[str, str], ...]:
    """``quickmt-zh-en`` (also ``quickmt-zh-en-ct2``...) -> ``(("zh", "en"),)`` for the languages routed here."""
    match = _NAMED_PAIR.search(folder_name)
    if not match:
        return ()
    pair = (match.group(1).lower(), match.group(2).lower())
    return (pair,) if set(pair) <= set(LANGUAGES) else ()


FAMILY = Family(NAME, FILES, detect, read)
