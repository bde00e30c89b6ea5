"""Model families: which CTranslate2 layouts xhs-translate runs, recognised by their files.

| family | files (CT2: model.bin, config.json) | source tokens | target prefix |
|---|---|---|---|
| ``argos`` | metadata.json, model/, sentencepiece.model | pieces | metadata's ``target_prefix``, if any |
| ``quickmt`` | CT2, source_/target_vocabulary.json, src.spm.model + tgt.spm.model (or joint) | pieces | none |
| ``opus-mt`` | CT2, shared_vocabulary.json, source.spm, target.spm | [``>>cmn_Hans<<``] pieces [``</s>``] | none |
| ``nllb`` | CT2, shared_vocabulary.json, sentencepiece.bpe.model | ``zho_Hans`` pieces ``</s>`` | ``eng_Latn`` |
| ``m2m100`` | the same files as nllb | ``__zh__`` pieces ``</s>`` | ``__en__`` |

Each module says where it read its tokens. A folder's ``xhs-translate.json`` manifest (``models install DIR
--family F --pair zh-en``) names its family and directions where the files cannot.
"""

from __future__ import annotations

from pathlib import Path

from ...errors import PackageError
from . import argos, nllb, opus_mt, quickmt
from .base import MANIFEST_FILE, Family, ModelPackage, read_manifest

#: Every family, in the order folders are tried (files decide; Argos' metadata.json first).
FAMILIES: tuple[Family, ...] = (argos.FAMILY, quickmt.FAMILY, opus_mt.FAMILY, nllb.NLLB, nllb.M2M100)
FAMILY_NAMES = tuple(f.name for f in FAMILIES)
_LISTED = 12  # entries of an unrecognised folder named in its error message


def get_family(name: str) -> Family:
    for family in FAMILIES:
        if family.name == name:
            return family
    raise PackageError(f"unknown model family {name!r}; choose one of {', '.join(FAMILY_NAMES)}")


def detect_family(path: Path) -> Family | None:
    """The first family whose files the folder has (its manifest aside), or None."""
    return next((family for family in FAMILIES if family.detect(path)), None)


def read_folder(path: str | Path) -> tuple[ModelPackage, ...]:
    """Every direction a model folder serves. The manifest's family wins, else the first family whose files the
    folder has; a folder of no family gets a PackageError that lists what it holds and what each family needs."""
    path = Path(path)
    manifest = read_manifest(path)
    if manifest is not None:
        return tuple(get_family(manifest.family).read(path, manifest))
    family = detect_family(path)
    if family is None:
        raise PackageError(unrecognised(path))
    return tuple(family.read(path, None))


def unrecognised(path: Path) -> str:
    try:
        entries = sorted(p.name + ("/" if p.is_dir() else "") for p in path.iterdir())
    except OSError as exc:
        return f"cannot read {path}: {exc}"
    found = ", ".join(entries[:_LISTED]) + (f", ... ({len(entries)} entries)" if len(entries) > _LISTED else "")
    expected = "; ".join(f"{f.name} ({f.files})" for f in FAMILIES)
    return (f"{path} matches no model family: it holds {found or 'nothing'}. A model folder is one of: {expected}. "
            f"If it is one of these with other file names, describe it in {MANIFEST_FILE} with "
            f"`xhs-translate models install {path} --family F --pair FROM-TO`")
