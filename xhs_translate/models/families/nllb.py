"""NLLB-200 and M2M100 (Meta's multilingual models, converted with ``ct2-transformers-converter``): ``model.bin``,
``config.json``, ``shared_vocabulary.json`` (or ``.txt``), ``sentencepiece.bpe.model``.

Tokens, as read from the CTranslate2 Transformers guide (sections NLLB and M2M-100) and quickmt's
``NllbTranslator``/``M2m100Translator``: the source is what the Hugging Face tokenizer returns with ``src_lang``
set, ``[source language token, pieces..., "</s>"]`` (the guide: special tokens "are not implicitly added for
Transformers models since they are already returned by the corresponding tokenizer"; NLLB's tokenizer puts the
language code first since its April 2023 fix, as the NLLB paper trained it); ``target_prefix=[[target language
token]]``; "``target = results[0].hypotheses[0][1:]``": the first output token is dropped, and special tokens are
skipped when decoding (``skip_special_tokens=True`` in quickmt). NLLB's codes are FLORES-200's (``zho_Hans``,
``zho_Hant``, ``eng_Latn``), M2M100's ``__zh__``/``__en__`` (no script distinction, so no ``zt``).

One folder serves every direction between the languages we route whose tokens its vocabulary holds, unless an
``xhs-translate.json`` manifest lists fewer. The vocabulary also tells the two apart.
"""

from __future__ import annotations

from dataclasses import dataclass
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

TOKENIZER = "sentencepiece.bpe.model"
FILES = "model.bin, config.json, shared_vocabulary.json (or .txt), sentencepiece.bpe.model"


@dataclass(frozen=True)
class Multilingual:
    """One multilingual family: its name and the token of each language we route."""

    name: str
    codes: dict[str, str]
    files: str = FILES

    def detect(self, path: Path) -> bool:
        if not ((path / "model.bin").is_file() and (path / TOKENIZER).is_file()):
            return False
        try:
            return self.codes["en"] in set(read_vocabulary(path, "source"))
        except PackageError:
            return False

    def read(self, path: Path, manifest: Manifest | None = None) -> list[ModelPackage]:
        require_files(path, self.name, ["model.bin", "config.json", TOKENIZER])
        if vocabulary_file(path, "source") is None:
            raise PackageError(f"{path} is not a usable {self.name} model: missing shared_vocabulary.json (or .txt)")
        vocabulary = set(read_vocabulary(path, "source"))
        if manifest and manifest.pairs:
            pairs = manifest.pairs
        else:
            served = [lang for lang, token in self.codes.items() if token in vocabulary]
            pairs = tuple((a, b) for a in served for b in served if a != b and "en" in (a, b))
        if not pairs:
            raise PackageError(f"{path}: the {self.name} vocabulary has none of {', '.join(self.codes.values())}")
        suffix = appended_eos(read_config(path))
        version = (manifest.version if manifest else "") or fingerprint_version(path, [path / TOKENIZER])
        model_id = (manifest.name if manifest else "") or path.name
        packages = []
        for a, b in pairs:
            if a not in self.codes or b not in self.codes:
                raise PackageError(f"{path}: {self.name} has no language token for {a if a not in self.codes else b}")
            source, target = self.codes[a], self.codes[b]
            require_tokens(path, vocabulary, (source, target, *suffix), f"{a}->{b}")
            packages.append(ModelPackage(
                path=path, from_code=a, to_code=b, package_version=version, name=model_id, family=self.name,
                model_id=model_id, source_tokenizer=TOKENIZER, target_tokenizer=TOKENIZER, model_subdir="",
                source_prefix=(source,), source_suffix=suffix, target_prefix=target,
            ))
        return packages

    def family(self) -> Family:
        return Family(self.name, self.files, self.detect, self.read)


NLLB = Multilingual("nllb", {"zh": "zho_Hans", "zt": "zho_Hant", "en": "eng_Latn"}).family()
M2M100 = Multilingual("m2m100", {"zh": "__zh__", "en": "__en__"}).family()
