"""What every model family shares: the ``ModelPackage`` record, the ``xhs-translate.json`` manifest, readers for
CTranslate2's ``config.json`` and vocabulary files, and the SentencePiece tokenizer.

Families differ in where their files are and in which special tokens go around the SentencePiece pieces (a
source language token, an appended ``</s>``, a target prefix that CTranslate2 must be forced to emit and that is
dropped from the output). A family's ``read()`` puts exactly that into the ``ModelPackage``, and one
:class:`SentencePieceTokenizer` applies it, so the token sequences sent to CTranslate2 are data that tests can
check, not code paths per family.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from ...config import parse_pair
from ...errors import PackageError

#: Written by ``models install DIR --family F --pair zh-en`` where the folder itself cannot say what it is.
MANIFEST_FILE = "xhs-translate.json"
#: The languages xhs-translate routes: Simplified Chinese, Traditional Chinese (Argos' code ``zt``), English.
LANGUAGES = ("zh", "zt", "en")
UNKNOWN_VERSION = "0"  # what a package without a version is taken to be
_FINGERPRINT_BYTES = 1 << 20


@dataclass(frozen=True)
class ModelPackage:
    """One direction served by one installed model folder.

    A bilingual folder (Argos, quickmt, OPUS-MT) gives one package; a multilingual one (NLLB, M2M100, an
    OPUS-MT model with several target languages) gives one per direction it serves, all with the same ``path``.
    The ``source_prefix``/``source_suffix``/``target_prefix`` tokens are what the family's own code puts around
    the SentencePiece pieces (each family module cites where it read them).
    """

    path: Path
    from_code: str
    to_code: str
    package_version: str
    name: str = ""
    argos_version: str = ""
    target_prefix: str = ""  # forced as the first target token and dropped from the output
    tokenizer: str = "sentencepiece"  # Argos: "sentencepiece" or "bpe" (unsupported); others: "sentencepiece"
    family: str = "argos"
    model_id: str = ""  # the model's name in ids and signatures (Argos: translate-zh_en; else folder or manifest name)
    source_tokenizer: str = "sentencepiece.model"  # file names, relative to ``path``
    target_tokenizer: str = "sentencepiece.model"
    model_subdir: str = "model"  # where model.bin is, relative to ``path`` ("" for the folder itself)
    source_prefix: tuple[str, ...] = ()  # tokens before the pieces (a language token)
    source_suffix: tuple[str, ...] = ()  # tokens after the pieces ("</s>" where CTranslate2 does not add it)
    demo: bool = False  # a random-weight package of ``models install --demo``: its output is gibberish

    @property
    def package_id(self) -> str:
        """Stable id used in cache keys and signatures: ``family:model@version``, e.g. ``argos:translate-zh_en@1.9``
        or ``nllb:nllb-200-distilled-600M@3f2a...``. The direction is keyed separately (from_code, to_code)."""
        return f"{self.family}:{self.model_id or f'translate-{self.from_code}_{self.to_code}'}@{self.package_version}"

    @property
    def model_dir(self) -> Path:
        return self.path / self.model_subdir if self.model_subdir else self.path

    @property
    def tokenizer_path(self) -> Path:
        return self.path / self.source_tokenizer

    @property
    def target_tokenizer_path(self) -> Path:
        return self.path / self.target_tokenizer

    @property
    def pair(self) -> str:
        return f"{self.from_code}-{self.to_code}"


@dataclass(frozen=True)
class Manifest:
    """``xhs-translate.json``: the family and directions of a folder whose files do not say them."""

    family: str
    pairs: tuple[tuple[str, str], ...] = ()
    name: str = ""
    version: str = ""

    def to_json(self) -> str:
        payload = {"family": self.family, "pairs": [f"{a}-{b}" for a, b in self.pairs]}
        payload.update({k: v for k, v in (("name", self.name), ("version", self.version)) if v})
        return json.dumps(payload, indent=2, sort_keys=True) + "\n"


@dataclass(frozen=True)
class Family:
    """A layout of model folder: its name, the files that make it (for messages), ``detect(path)`` from the files,
    and ``read(path, manifest)``, which returns one ModelPackage per direction or raises PackageError."""

    name: str
    files: str
    detect: Callable[[Path], bool]
    read: Callable[[Path, Manifest | None], list[ModelPackage]]



def read_manifest(path: Path) -> Manifest | None:
    """The folder's manifest, None without one; PackageError for an unreadable one (naming the file)."""
    file = path / MANIFEST_FILE
    if not file.is_file():
        return None
    data = read_json(file)
    if not isinstance(data, dict) or not isinstance(data.get("family"), str):
        raise PackageError(f"{file} must hold a JSON object with a \"family\"")
    pairs = data.get("pairs", [])
    if not isinstance(pairs, list):
        raise PackageError(f"{file}: \"pairs\" must be a list such as [\"zh-en\"]")
    return Manifest(
        family=data["family"],
        pairs=tuple(parse_pair(p) for p in pairs),
        name=str(data.get("name") or ""),
        version=str(data.get("version") or ""),
    )


def read_json(file: Path) -> object:
    """Parsed JSON, or a PackageError that names the file (missing, unreadable, not UTF-8, not JSON)."""
    try:
        return json.loads(file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise PackageError(f"{file} is missing") from None
    except UnicodeDecodeError as exc:
        raise PackageError(f"{file} is not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    except json.JSONDecodeError as exc:
        raise PackageError(f"{file} is not valid JSON: {exc}") from exc
    except (ValueError, RecursionError) as exc:  # an integer of 5,000 digits, nesting 1,000 levels deep
        raise PackageError(f"{file} is not usable JSON: {exc}") from None
    except OSError as exc:
        raise PackageError(f"cannot read {file}: {exc.strerror or exc}") from exc


def read_config(model_dir: Path) -> dict:
    """CTranslate2's ``config.json`` (special tokens, ``add_source_eos``...); {} for models saved without one."""
    file = model_dir / "config.json"
    if not file.is_file():
        return {}
    config = read_json(file)
    if not isinstance(config, dict):
        raise PackageError(f"{file} must hold a JSON object")
    return config


def vocabulary_file(model_dir: Path, side: str) -> Path | None:
    """The vocabulary CTranslate2 reads for ``side`` ("source" or "target"): ``{side}_vocabulary`` or else
    ``shared_vocabulary``, ``.json`` (CTranslate2 >= 3) or ``.txt`` (older converters)."""
    for stem in (f"{side}_vocabulary", "shared_vocabulary"):
        for suffix in (".json", ".txt"):
            if (model_dir / f"{stem}{suffix}").is_file():
                return model_dir / f"{stem}{suffix}"
    return None


def read_vocabulary(model_dir: Path, side: str = "target") -> tuple[str, ...]:
    """The tokens of a vocabulary file (a JSON list, or one token per line); cached while the file is unchanged,
    as discovery reads an NLLB vocabulary (256k tokens) more than once."""
    file = vocabulary_file(model_dir, side)
    if file is None:
        raise PackageError(f"{model_dir} has no {side}_vocabulary.json or shared_vocabulary.json (.txt)")
    stat = file.stat()
    return _read_tokens(str(file), stat.st_mtime_ns, stat.st_size)


@lru_cache(maxsize=16)
def _read_tokens(name: str, mtime_ns: int, size: int) -> tuple[str, ...]:
    file = Path(name)
    if file.suffix == ".json":
        tokens = read_json(file)
        if not isinstance(tokens, list) or not all(isinstance(t, str) for t in tokens):
            raise PackageError(f"{file} must hold a JSON list of tokens")
        return tuple(tokens)
    try:
        return tuple(file.read_text(encoding="utf-8").split("\n"))
    except (OSError, UnicodeDecodeError) as exc:
        raise PackageError(f"cannot read {file}: {exc}") from exc


def fingerprint_version(model_dir: Path, extra: Sequence[Path] = ()) -> str:
    """A version for a folder that names none: a hash of its config, vocabularies, tokenizers and model.bin's
    size, head and tail, so that replacing the model under the same folder name changes every cache key."""
    digest = hashlib.sha256()
    files = [model_dir / "config.json", *(vocabulary_file(model_dir, s) for s in ("source", "target")), *extra]
    for file in files:
        if file is not None and file.is_file():
            digest.update(file.name.encode() + b"\0" + file.read_bytes())
    weights = model_dir / "model.bin"
    try:
        size = weights.stat().st_size
        with open(weights, "rb") as fh:
            digest.update(str(size).encode() + fh.read(_FINGERPRINT_BYTES))
            fh.seek(max(0, size - _FINGERPRINT_BYTES))
            digest.update(fh.read())
    except OSError as exc:
        raise PackageError(f"cannot read {weights}: {exc}") from exc
    return "sha-" + digest.hexdigest()[:12]


def require_files(path: Path, family: str, names: Sequence[str]) -> None:
    """PackageError naming every missing file, so that a user sees at once what the folder lacks."""
    missing = [name for name in names if not (path / name).exists()]
    if missing:
        raise PackageError(f"{path} is not a usable {family} model: missing {', '.join(missing)}")


def require_tokens(path: Path, vocabulary: set[str], tokens: Sequence[str], what: str) -> None:
    """The special tokens a family sends must exist in the model's vocabulary, or CTranslate2 maps them to <unk>."""
    absent = [t for t in tokens if t not in vocabulary]
    if absent:
        raise PackageError(f"{path}: the vocabulary has no {', '.join(absent)} ({what})")


def appended_eos(config: dict, eos: str = "</s>") -> tuple[str, ...]:
    """``("</s>",)`` unless CTranslate2 appends it itself (``add_source_eos`` in config.json, set by the Marian and
    OPUS-MT converters; the Transformers converter leaves it to the Hugging Face tokenizer, which appends it)."""
    return () if config.get("add_source_eos") else (str(config.get("eos_token") or eos),)


class SentencePieceTokenizer:
    """Text <-> the exact tokens of one direction: ``encode`` -> (token lists, target prefix), ``decode``.

    Source: ``source_prefix + pieces + source_suffix`` (pieces from the source SentencePiece model). Output: the
    target prefix CTranslate2 echoes is dropped, then any token the target SentencePiece model does not know
    (a language code, ``<pad>``: the model's special tokens, as Hugging Face's ``skip_special_tokens`` drops
    them) is skipped, and the pieces are decoded with the target model.
    """

    def __init__(self, package: ModelPackage):
        import sentencepiece

        self.package = package
        self._source = sentencepiece.SentencePieceProcessor(model_file=str(package.tokenizer_path))
        self._target = (
            self._source
            if package.target_tokenizer == package.source_tokenizer
            else sentencepiece.SentencePieceProcessor(model_file=str(package.target_tokenizer_path))
        )
        self._target_unk = self._target.unk_id()
        self.target_prefix: tuple[str, ...] = (package.target_prefix,) if package.target_prefix else ()

    def encode(self, texts: Sequence[str]) -> tuple[list[list[str]], tuple[str, ...]]:
        """Each text's tokens as sent to CTranslate2, and the target prefix every item of this direction gets."""
        prefix, suffix = list(self.package.source_prefix), list(self.package.source_suffix)
        pieces = self._source.encode(list(texts), out_type=str) if texts else []
        return [prefix + p + suffix for p in pieces], self.target_prefix

    def encode_each(self, texts: Sequence[str]) -> list[list[str]]:
        """``encode``'s token lists, one text at a time (see :meth:`count`): what a cross-request batcher measures
        its texts with and then hands to the engine, so that no text is tokenised twice."""
        prefix, suffix = list(self.package.source_prefix), list(self.package.source_suffix)
        return [prefix + self._source.encode(text, out_type=str) + suffix for text in texts]

    def count(self, texts: Sequence[str]) -> list[int]:
        """How many tokens ``encode`` gives each text, one text at a time: encoding a list starts SentencePiece's
        thread pool, which costs more than the few texts a cross-request batcher measures at once."""
        extra = len(self.package.source_prefix) + len(self.package.source_suffix)
        return [extra + len(self._source.encode(text)) for text in texts]

    def decode(self, hypotheses: Sequence[Sequence[str]]) -> list[str]:
        """Output texts from CTranslate2's hypotheses (as returned, with the target prefix)."""
        n = len(self.target_prefix)
        known = self._target.piece_to_id
        unk_piece = self._target.id_to_piece(self._target_unk)
        cleaned = []
        for tokens in hypotheses:
            tokens = list(tokens[n:]) if n and tuple(tokens[:n]) == self.target_prefix else list(tokens)
            cleaned.append([t for t in tokens if t == unk_piece or known(t) != self._target_unk])
        return self._target.decode(cleaned)
