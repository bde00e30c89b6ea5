"""The demo models of ``xhs-translate models install --demo``: genuine Argos packages whose Transformer weights are
drawn from a seeded RNG (CTranslate2's spec API) with a real SentencePiece tokenizer, for people without the package
index. Their output is gibberish, and they say so: ``DEMO_KEY`` in their metadata makes ``models list``, records, the
HTML page, the server and the browser say DEMO.

The same builder makes the test suite's and the benchmarks' fixture models (``tests/testkit/models.py`` caches them
and builds the other families' layouts from the pieces here), since no real weights can be downloaded in CI while
the engine must run the real CTranslate2 + SentencePiece path: the files, the vocabularies and the compute cost are
real.

* ``tiny``: 2+2 layers, d_model 64, builds in seconds (the demo's default; the tests').
* ``base``: 6+6 layers, d_model 512, 8 heads, ffn 2048, ~32k vocabulary, int8: the size of a real Argos zh<->en
  package (the benchmarks').

The SentencePiece model is trained on ``../shared/data`` text when that folder exists beside a source checkout (or
``$XHS_TRANSLATE_SHARED_DATA``), else on text generated from the seed. The decoder's end-of-sentence logit gets a
ramp so that random models stop after a handful of tokens instead of running to the length limit.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
import threading
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import InputError
from .families.base import ModelPackage
from .install import package_folder_name
from .packages import DEMO_KEY

#: Bump whenever the bytes a build produces change, so that on-disk fixture caches are rebuilt.
BUILDER_VERSION = "3"  # the fixture models' folders are keyed by it too

SHARED_DATA_ENV = "XHS_TRANSLATE_SHARED_DATA"
#: The public evaluation text (``../shared/data`` beside a source checkout), or ``$XHS_TRANSLATE_SHARED_DATA``:
#: an installed copy of this module does not sit in the checkout, so the benchmarks set the variable.
SHARED_DATA_DIR = Path(os.environ.get(SHARED_DATA_ENV) or Path(__file__).resolve().parents[3] / "shared" / "data")

# SentencePiece's training RNG is process-global: builds in one process train one at a time.
_TRAIN_LOCK = threading.Lock()
_ZIP_DATE = (2020, 1, 1, 0, 0, 0)  # fixed, so two builds of the same seed give the same archive bytes
_LANG_NAMES = {"zh": "Chinese", "zt": "Chinese (traditional)", "en": "English"}
_HAN = re.compile(r"[\u3400-\u9fff]")

#: The pairs ``models install --demo`` builds, and the stages ``build_package`` reports to its ``progress``.
DEMO_PAIRS = (("zh", "en"), ("en", "zh"))
DEMO_STAGES = ("training the tokenizer", "drawing random weights", "writing the archive")
#: Older than any real release ("0.0.demo" < "1.0"), so that installing a real package replaces a demo one.
DEMO_VERSION = "0.0.demo"


@dataclass(frozen=True)
class ModelSize:
    encoder_layers: int
    decoder_layers: int
    d_model: int
    heads: int
    ffn: int
    vocab: int
    corpus_lines: int  # SentencePiece training lines: enough for the vocabulary, few enough to train fast
    character_coverage: float  # below 1 so rare characters go to byte pieces instead of eating the vocabulary


SIZES = {
    "tiny": ModelSize(2, 2, 64, 4, 128, 4000, 8_000, 0.995),
    "base": ModelSize(6, 6, 512, 8, 2048, 32000, 200_000, 0.9995),
}


def model_size(size: str) -> ModelSize:
    """The dimensions of a size name; InputError naming the sizes for another."""
    if size not in SIZES:
        raise InputError(f"unknown size {size!r}; choose one of {sorted(SIZES)}")
    return SIZES[size]

#: Length of the position tables. A source longer than this makes CTranslate2 raise, which the tests use
#: as a genuine per-batch failure. Real Argos packages allow far longer inputs.
MAX_POSITIONS = 512

# Stopping: the last model dimension carries a ramp that grows with the decoder position, and only the EOS row
# of the output projection reads it, so the EOS logit climbs step by step until it beats the random logits.
_RAMP_SLOPE = 2.5
_EOS_BIAS = -1.0


def build_package(
    out_dir: str | Path,
    from_code: str,
    to_code: str,
    *,
    size: str = "tiny",
    seed: int = 0,
    package_version: str = "1.0",
    target_prefix: str = "",
    demo: bool = False,
    progress: Callable[[str], None] | None = None,
) -> Path:
    """Write ``translate-{from}_{to}-{version}.argosmodel`` into ``out_dir`` and return its path.

    ``demo`` marks the package as a demo in its metadata; ``progress`` is called with each of DEMO_STAGES as it
    starts."""
    report = progress or (lambda stage: None)
    dims = model_size(size)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    folder_name = package_folder_name(from_code, to_code, package_version)
    archive = out_dir / f"{folder_name}.argosmodel"
    with tempfile.TemporaryDirectory(prefix="xhs-build-") as tmp:
        root = Path(tmp) / folder_name
        (root / "model").mkdir(parents=True)
        report(DEMO_STAGES[0])
        sp_path = train_sentencepiece(root / "sentencepiece.model", dims, seed,
                                      extra_symbols=[target_prefix] if target_prefix else [])
        # Weights depend on the pair too, so a zh->en/en->zh mix-up shows in the output.
        report(DEMO_STAGES[1])
        weights_rng = np.random.default_rng([seed, zlib.crc32(f"{from_code}_{to_code}".encode())])
        vocab = pieces(sp_path)
        save_random_model(root / "model", vocab, vocab, dims, weights_rng)
        metadata: dict[str, Any] = {
            "package_version": package_version,
            "argos_version": "1.9.0",
            "from_code": from_code,
            "from_name": _LANG_NAMES.get(from_code, from_code),
            "to_code": to_code,
            "to_name": _LANG_NAMES.get(to_code, to_code),
            "name": f"random-weight {size} test model (seed {seed})",
            "type": "translate",
        }
        if target_prefix:
            metadata["target_prefix"] = target_prefix
        if demo:
            metadata["name"] = f"DEMO: random weights ({size}), gibberish output, for trying the pipeline only"
            metadata[DEMO_KEY] = True
        (root / "metadata.json").write_text(json.dumps(metadata, indent=2, sort_keys=True) + "\n", encoding="utf-8")
        report(DEMO_STAGES[2])
        _write_zip(root, archive)
    return archive


def build_demo_package(
    out_dir: str | Path, from_code: str, to_code: str, *, size: str = "tiny",
    progress: Callable[[str], None] | None = None,
) -> Path:
    """The archive of a demo package (``models install --demo``): version DEMO_VERSION, marked as a demo."""
    return build_package(out_dir, from_code, to_code, size=size, package_version=DEMO_VERSION, demo=True,
                         progress=progress)


def install_demo(models_dir: str | Path | None = None, *, size: str = "tiny",
                 progress: Callable[[str, str], None] | None = None) -> list[ModelPackage]:
    """Build the demo packages of ``DEMO_PAIRS`` in a temporary folder and install them like any archive (``models
    install --demo``). A real package already installed and newer is kept: the result says which (``.demo``).
    ``progress(pair, stage)`` is told each of ``DEMO_STAGES`` and then ``"installing"``, for every pair."""
    from .install import install_package

    installed = []
    with tempfile.TemporaryDirectory(prefix="xhs-demo-") as tmp:
        for from_code, to_code in DEMO_PAIRS:
            pair = f"{from_code}->{to_code}"

            def stage(name: str, pair: str = pair) -> None:
                if progress is not None:
                    progress(pair, name)

            archive = build_demo_package(tmp, from_code, to_code, size=size, progress=stage)
            stage("installing")
            installed.append(install_package(archive, models_dir=models_dir, progress=False))
    return installed


def training_corpus(lines: int, seed: int, lang: str | None = None) -> list[str]:
    """SentencePiece training text: zh and en lines of ../shared/data, or generated text without it; with
    ``lang`` ("zh"/"zt" or "en"), only the lines of that language (for a one-language tokenizer)."""
    corpus = _shared_corpus(lines) if SHARED_DATA_DIR.is_dir() else _synthetic_corpus(lines, seed)
    if lang is None:
        return corpus
    return [line for line in corpus if bool(_HAN.search(line)) == (lang in ("zh", "zt"))]


def corpus_source() -> str:
    """Which text the tokenizers are trained on: ``shared`` or ``synthetic`` (fixture caches are keyed by it)."""
    return "shared" if SHARED_DATA_DIR.is_dir() else "synthetic"


def _shared_corpus(lines: int) -> list[str]:
    parallel = SHARED_DATA_DIR / "parallel"
    langid = SHARED_DATA_DIR / "langid"
    files = [
        parallel / "flores200_devtest.zho_Hans",
        parallel / "flores200_devtest.eng_Latn",
        parallel / "tico19-test.zho",
        parallel / "tico19-test.eng",
        parallel / "tatoeba-test-v2021-08-07.eng-zho.zho",
        parallel / "tatoeba-test-v2021-08-07.eng-zho.eng",
        langid / "zh" / "sentences.txt",
        langid / "en" / "sentences.txt",
    ]
    per_file = [
        [line.strip() for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
        for path in files
        if path.is_file()
    ]
    # Interleave the files so that a short corpus still mixes both languages and all domains.
    out: list[str] = []
    for row in range(max(map(len, per_file), default=0)):
        out.extend(chunk[row] for chunk in per_file if row < len(chunk))
    return out[:lines]


def _synthetic_corpus(lines: int, seed: int) -> list[str]:
    rng = np.random.default_rng(seed)
    hanzi = [chr(c) for c in range(0x4E00, 0x4E00 + 3000)]
    letters = list("abcdefghijklmnopqrstuvwxyz")
    en_words = ["".join(rng.choice(letters, size=rng.integers(2, 9))) for _ in range(4000)]
    zh_words = ["".join(rng.choice(hanzi, size=rng.integers(1, 4))) for _ in range(6000)]
    out = []
    for i in range(lines):
        if i % 2:
            out.append(" ".join(rng.choice(en_words, size=rng.integers(3, 16))) + ".")
        else:
            out.append("".join(rng.choice(zh_words, size=rng.integers(3, 12))) + "。")
    return out


def train_sentencepiece(path: Path, dims: ModelSize, seed: int, extra_symbols: list[str], lang: str | None = None,
                        model_type: str = "unigram") -> Path:
    """Write a SentencePiece model trained on :func:`training_corpus` to ``path`` (deterministic for its arguments)."""
    path.write_bytes(_trained_sentencepiece(dims, seed, tuple(extra_symbols), lang, model_type))
    return path


@lru_cache(maxsize=8)
def _trained_sentencepiece(dims: ModelSize, seed: int, extra_symbols: tuple[str, ...], lang: str | None,
                           model_type: str) -> bytes:
    """A SentencePiece model's bytes; kept per process, as the layouts of one test run share a few tokenizers."""
    import io

    import sentencepiece as spm

    model = io.BytesIO()  # in memory: a file-based run records its temporary paths in the model, breaking determinism
    with _TRAIN_LOCK:
        spm.set_random_generator_seed(seed)  # unigram training samples; pin it
        spm.SentencePieceTrainer.train(
            sentence_iterator=iter(training_corpus(dims.corpus_lines, seed, lang)),
            model_writer=model,
            model_type=model_type,
            vocab_size=dims.vocab,
            hard_vocab_limit=False,  # small corpora may not support the full size; take what they give
            character_coverage=dims.character_coverage,
            byte_fallback=True,  # emoji and rare characters become bytes instead of <unk>
            num_threads=1,  # multi-threaded EM is not bit-reproducible
            shuffle_input_sentence=False,
            input_sentence_size=0,
            user_defined_symbols=list(extra_symbols),
            minloglevel=2,
        )
    return model.getvalue()


def pieces(sp_path: Path) -> list[str]:
    """A SentencePiece model's pieces by id: <unk>, <s>, </s> first, where CTranslate2's defaults expect them."""
    import sentencepiece as spm

    sp = spm.SentencePieceProcessor(model_file=str(sp_path))
    found = [sp.id_to_piece(i) for i in range(sp.get_piece_size())]
    assert found[:3] == ["<unk>", "<s>", "</s>"], found[:3]
    return found


def save_random_model(model_dir: Path, source_vocab: list[str], target_vocab: list[str], dims: ModelSize,
                      rng: np.random.Generator, config: dict | None = None) -> None:
    """A CTranslate2 Transformer with seeded random weights (:func:`fill_random`), int8, saved in ``model_dir``."""
    import ctranslate2

    spec = ctranslate2.specs.TransformerSpec.from_config((dims.encoder_layers, dims.decoder_layers), dims.heads)
    fill_random(spec, rng, dims.d_model, dims.ffn, len(source_vocab), len(target_vocab),
                 eos_id=target_vocab.index("</s>"))
    for key, value in (config or {}).items():
        setattr(spec.config, key, value)
    spec.register_source_vocabulary(source_vocab)
    spec.register_target_vocabulary(target_vocab)
    spec.validate()
    spec.optimize("int8")
    spec.save(str(model_dir))


def fill_random(spec: Any, rng: np.random.Generator, d: int, ffn: int, source_vocab: int, target_vocab: int,
                eos_id: int) -> None:
    """Set every weight of a pre-norm Transformer spec, with a biased EOS logit."""

    def normal(*shape: int, std: float) -> np.ndarray:
        return rng.normal(0.0, std, size=shape).astype(np.float32)

    def norm(layer) -> None:
        layer.gamma = 1.0 + normal(d, std=0.1)
        layer.beta = normal(d, std=0.1)

    def linear(layer, out_dim: int, in_dim: int) -> None:
        layer.weight = normal(out_dim, in_dim, std=in_dim**-0.5)
        layer.bias = normal(out_dim, std=0.02)

    def ffn_block(block) -> None:
        norm(block.layer_norm)
        linear(block.linear_0, ffn, d)
        linear(block.linear_1, d, ffn)

    spec.encoder.embeddings[0].weight = normal(source_vocab, d, std=d**-0.5)
    norm(spec.encoder.layer_norm)
    for layer in spec.encoder.layer:
        norm(layer.self_attention.layer_norm)
        linear(layer.self_attention.linear[0], 3 * d, d)
        linear(layer.self_attention.linear[1], d, d)
        ffn_block(layer.ffn)

    spec.decoder.embeddings.weight = normal(target_vocab, d, std=d**-0.5)
    norm(spec.decoder.layer_norm)
    for layer in spec.decoder.layer:
        norm(layer.self_attention.layer_norm)
        linear(layer.self_attention.linear[0], 3 * d, d)
        linear(layer.self_attention.linear[1], d, d)
        norm(layer.attention.layer_norm)
        linear(layer.attention.linear[0], d, d)
        linear(layer.attention.linear[1], 2 * d, d)
        linear(layer.attention.linear[2], d, d)
        ffn_block(layer.ffn)
    linear(spec.decoder.projection, target_vocab, d)
    # Logits are ~N(0, 1): unit-variance hidden state, weights of std d**-0.5. The ramp dimension (the last one)
    # feeds the EOS logit only, so EOS starts below the random logits and overtakes them after a few steps.
    ramp = d - 1
    spec.decoder.projection.weight[:, ramp] = 0.0
    spec.decoder.projection.weight[eos_id] = 0.0
    spec.decoder.projection.weight[eos_id, ramp] = 1.0
    spec.decoder.projection.bias[eos_id] = _EOS_BIAS
    for embeddings in (*spec.encoder.embeddings, spec.decoder.embeddings):
        embeddings.weight[:, ramp] = 0.0
    spec.encoder.position_encodings.encodings = _position_encodings(d, ramp=False)
    spec.decoder.position_encodings.encodings = _position_encodings(d, ramp=True)


def _position_encodings(d: int, ramp: bool) -> np.ndarray:
    """Sinusoidal table over the first d-1 dimensions; the last one is zero, or the decoder's EOS ramp."""
    table = np.zeros((MAX_POSITIONS, d), dtype=np.float32)
    half = (d - 1) // 2
    positions = np.arange(MAX_POSITIONS, dtype=np.float64)[:, None]
    angles = positions / np.power(10000.0, np.arange(half) / max(half, 1))[None, :]
    table[:, :half] = np.sin(angles)
    table[:, half : 2 * half] = np.cos(angles)
    if ramp:
        table[:, d - 1] = _RAMP_SLOPE * positions[:, 0]
    return table


def _write_zip(root: Path, archive: Path) -> None:
    """Zip ``root`` as the archive's single top-level folder, byte-reproducibly (sorted names, fixed dates)."""
    partial = archive.with_name(archive.name + ".part")
    with zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for path in sorted(root.rglob("*")):
            name = path.relative_to(root.parent).as_posix() + ("/" if path.is_dir() else "")
            info = zipfile.ZipInfo(name, date_time=_ZIP_DATE)
            info.external_attr = (0o40755 << 16) | 0x10 if path.is_dir() else 0o644 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, b"" if path.is_dir() else path.read_bytes())
    os.replace(partial, archive)
