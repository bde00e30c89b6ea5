"""The test suite's and the benchmarks' fixture models: random-weight Argos packages and quickmt, OPUS-MT, NLLB and
M2M100 folders, built with the demo builder's pieces (``xhs_translate.models.demo``) and cached on disk.

No real model weights can be downloaded in CI, yet the engine must be exercised through the real CTranslate2 +
SentencePiece path: these have each family's files, vocabularies with its special tokens (``>>cmn_Hans<<``,
``zho_Hans``, ``__en__``...), config.json and tokenizers; their output is gibberish.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import zlib
from pathlib import Path
from typing import Any

import numpy as np

from xhs_translate.models.demo import (
    BUILDER_VERSION,
    build_package,
    corpus_source,
    model_size,
    pieces,
    save_random_model,
    train_sentencepiece,
)
from xhs_translate.models.families.base import Manifest

FIXTURES_DIR_ENV = "XHS_TRANSLATE_FIXTURES_DIR"

#: Marks a build_model folder (an Argos build says it in metadata.json's name), so benchmarks can refuse to score it.
RANDOM_WEIGHTS_FILE = "RANDOM_WEIGHTS.txt"
#: The layouts build_model writes; "argos" is build_package's.
MODEL_FAMILIES = ("quickmt", "opus-mt", "nllb", "m2m100")
#: Special tokens as the real vocabularies hold them (a few other languages too, so that choosing matters).
OPUS_MT_TARGET_TOKENS = (">>cmn_Hans<<", ">>cmn_Hant<<", ">>yue_Hant<<", ">>jpn<<")
NLLB_CODES = ("eng_Latn", "fra_Latn", "jpn_Jpan", "zho_Hans", "zho_Hant")
M2M100_CODES = ("__en__", "__fr__", "__ja__", "__zh__")


def build_model(
    out_dir: str | Path,
    family: str,
    pairs: tuple[tuple[str, str], ...] = (("zh", "en"),),
    *,
    size: str = "tiny",
    seed: int = 0,
    name: str | None = None,
    joint: bool = False,
    add_source_eos: bool | None = None,
    manifest: bool = False,
) -> Path:
    """Write a random-weight model folder in ``family``'s layout into ``out_dir``; return the folder.

    quickmt and OPUS-MT folders serve the one pair ``pairs[0]`` and are named after it (``quickmt-zh-en``,
    ``opus-mt-en-zh``), as published; ``joint`` gives quickmt a ``joint.spm.model``. NLLB and M2M100 folders are
    multilingual and serve every direction their vocabulary's language codes allow. ``add_source_eos``: what
    config.json says (default as each converter writes it: True for OPUS-MT's Marian converter, False for the
    others). ``manifest`` writes an ``xhs-translate.json`` naming family and pairs (for a folder name that
    does not say them).
    """
    if family not in MODEL_FAMILIES:
        raise ValueError(f"unknown family {family!r}; choose one of {MODEL_FAMILIES}")
    dims = model_size(size)
    source_lang, target_lang = pairs[0]
    default_names = {"quickmt": f"quickmt-{source_lang}-{target_lang}",
                     "opus-mt": f"opus-mt-{source_lang}-{target_lang}", "nllb": "nllb-200-random",
                     "m2m100": "m2m100-random"}
    root = Path(out_dir) / (name or default_names[family])
    root.mkdir(parents=True)
    rng = np.random.default_rng([seed, zlib.crc32(f"{family}:{pairs}".encode())])
    config = {"add_source_eos": family == "opus-mt" if add_source_eos is None else add_source_eos}
    if family == "quickmt":
        if joint:
            vocab = pieces(train_sentencepiece(root / "joint.spm.model", dims, seed, []))
            source_vocab = target_vocab = vocab
        else:
            source_vocab = pieces(train_sentencepiece(root / "src.spm.model", dims, seed, [], lang=source_lang))
            target_vocab = pieces(train_sentencepiece(root / "tgt.spm.model", dims, seed, [], lang=target_lang))
    elif family == "opus-mt":
        source = pieces(train_sentencepiece(root / "source.spm", dims, seed, [], lang=source_lang))
        target = pieces(train_sentencepiece(root / "target.spm", dims, seed, [], lang=target_lang))
        codes = OPUS_MT_TARGET_TOKENS if target_lang in ("zh", "zt") else ()  # a multi-target model, as en-zh is
        source_vocab = target_vocab = list(dict.fromkeys([*source, *target, *codes, "<pad>"]))
        config["decoder_start_token"] = "</s>"
    else:
        codes = NLLB_CODES if family == "nllb" else M2M100_CODES
        bpe = pieces(train_sentencepiece(root / "sentencepiece.bpe.model", dims, seed, [], model_type="bpe"))
        # fairseq's order, as the Transformers converter writes it: <s> <pad> </s> <unk>, pieces, language codes
        source_vocab = target_vocab = ["<s>", "<pad>", "</s>", "<unk>", *bpe[3:], *codes, "madeupword0"]
        config["decoder_start_token"] = "</s>"
    save_random_model(root, source_vocab, target_vocab, dims, rng, config)
    # (only its presence is read: its words may change without a BUILDER_VERSION bump)
    (root / RANDOM_WEIGHTS_FILE).write_text(f"random-weight {size} test model (seed {seed}) built by "
                                            "tests/testkit: its output is gibberish\n", encoding="utf-8")
    if manifest:
        (root / "xhs-translate.json").write_text(Manifest(family, tuple(pairs)).to_json(), encoding="utf-8")
    return root


def is_random_weight(package: Any) -> bool:
    """Whether an installed package is one of these test builds or a demo package (its scores mean nothing)."""
    return package.demo or "random-weight" in package.name or (package.path / RANDOM_WEIGHTS_FILE).is_file()


def cached_model(family: str, pairs: tuple[tuple[str, str], ...] = (("zh", "en"),), *, size: str = "tiny",
                 seed: int = 0, **kwargs: Any) -> Path:
    """A built model folder from the on-disk fixture cache (see :func:`cached_package`), building it on first use."""
    options = ",".join(f"{k}={v}" for k, v in sorted(kwargs.items()))
    pair_text = "+".join(f"{a}_{b}" for a, b in pairs)
    key = f"v{BUILDER_VERSION}-{family}-{size}-seed{seed}-{corpus_source()}-{pair_text}-{options}"
    target = fixtures_dir() / key
    found = sorted(p for p in target.iterdir() if p.is_dir()) if target.is_dir() else []
    if found:
        return found[0]
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{key}-", dir=target.parent))
    try:
        folder = build_model(staging, family, pairs, size=size, seed=seed, **kwargs)
        try:
            os.replace(staging, target)
        except OSError:
            if not any(p.is_dir() for p in target.iterdir()):  # not a concurrent winner: a real failure
                raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target / folder.name


def cached_package(from_code: str, to_code: str, *, size: str = "tiny", seed: int = 0) -> Path:
    """Return a built archive from the on-disk fixture cache, building it on first use.

    The cache folder is keyed by BUILDER_VERSION, size, seed, pair and the training text source. Builds go to
    a private temporary folder that is renamed into place, so concurrent processes never see a partial archive.
    """
    key = f"v{BUILDER_VERSION}-{size}-seed{seed}-{corpus_source()}-{from_code}_{to_code}"
    target = fixtures_dir() / key
    found = sorted(target.glob("*.argosmodel")) if target.is_dir() else []
    if found:
        return found[0]
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{key}-", dir=target.parent))
    try:
        archive = build_package(staging, from_code, to_code, size=size, seed=seed)
        try:
            os.replace(staging, target)
        except OSError:
            if not any(target.glob("*.argosmodel")):  # not a concurrent winner: a real failure
                raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target / archive.name


def fixtures_dir() -> Path:
    """Where cached_package keeps archives: ``$XHS_TRANSLATE_FIXTURES_DIR`` or the user cache dir."""
    override = os.environ.get(FIXTURES_DIR_ENV)
    if override:
        return Path(override)
    import platformdirs

    return Path(platformdirs.user_cache_dir("xhs-translate")) / "fixtures"
