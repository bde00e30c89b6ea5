"""Reading installed Argos packages, so that packages installed by argospm or LibreTranslate are reused as they are."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from ..errors import PackageError

METADATA_FILE = "metadata.json"
SENTENCEPIECE_FILE = "sentencepiece.model"
BPE_FILE = "bpe.model"


@dataclass(frozen=True)
class ModelPackage:
    """One installed (or extracted) Argos package folder and what its metadata.json says."""

    path: Path
    from_code: str
    to_code: str
    package_version: str
    name: str = ""
    argos_version: str = ""
    target_prefix: str = ""
    tokenizer: str = "sentencepiece"  # "sentencepiece" or "bpe"

    @property
    def package_id(self) -> str:
        """Stable id used in cache keys and signatures, e.g. ``translate-zh_en@1.9``."""
        return f"translate-{self.from_code}_{self.to_code}@{self.package_version}"

    @property
    def model_dir(self) -> Path:
        return self.path / "model"

    @property
    def tokenizer_path(self) -> Path:
        return self.path / (SENTENCEPIECE_FILE if self.tokenizer == "sentencepiece" else BPE_FILE)


def read_package(path: str | Path) -> ModelPackage:
    """Parse one package folder; raise PackageError when it is not a usable Argos package."""
    path = Path(path)
    meta_path = path / METADATA_FILE
    try:
        raw = meta_path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise PackageError(f"{path} is not an Argos package: it has no {METADATA_FILE}") from None
    except OSError as exc:
        raise PackageError(f"cannot read {meta_path}: {exc}") from exc
    try:
        meta = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise PackageError(f"{meta_path} is not valid JSON: {exc}") from exc
    if not isinstance(meta, dict):
        raise PackageError(f"{meta_path} must hold a JSON object")
    missing = [key for key in ("from_code", "to_code") if not isinstance(meta.get(key), str) or not meta.get(key)]
    if missing:
        raise PackageError(f"{meta_path} lacks {', '.join(missing)}")
    if (path / SENTENCEPIECE_FILE).is_file():
        tokenizer = "sentencepiece"
    elif (path / BPE_FILE).is_file():
        tokenizer = "bpe"
    else:
        raise PackageError(f"{path} has neither {SENTENCEPIECE_FILE} nor {BPE_FILE}")
    if not (path / "model" / "model.bin").is_file():
        raise PackageError(f"{path} has no model/model.bin (CTranslate2 model)")
    return ModelPackage(
        path=path,
        from_code=meta["from_code"],
        to_code=meta["to_code"],
        package_version=str(meta.get("package_version", "0")),
        name=str(meta.get("name", "")),
        argos_version=str(meta.get("argos_version", "")),
        target_prefix=str(meta.get("target_prefix", "") or ""),
        tokenizer=tokenizer,
    )
