"""Deterministic random-weight models in every family's layout, shared by the tests and the benchmarks.

No real model weights can be downloaded in CI, yet the engine must be exercised through the real
CTranslate2 + SentencePiece path. So we build genuine Argos packages (``build_package``) and quickmt, OPUS-MT,
NLLB and M2M100 folders (``build_model``) whose Transformer weights are drawn from a seeded RNG, with
CTranslate2's spec API and SentencePiece: the output is gibberish, but the files, the vocabularies with each
family's special tokens (``>>cmn_Hans<<``, ``zho_Hans``, ``__en__``...), the config.json, the tokenizers and the
compute cost are real.

* ``tiny``: 2+2 layers, d_model 64, builds in seconds, for tests.
* ``base``: 6+6 layers, d_model 512, 8 heads, ffn 2048, ~32k vocabulary, int8: the size of a real
  Argos zh<->en package, for benchmarks.

The SentencePiece model is trained on ``../shared/data`` text when that folder exists, else on text
generated from the seed. The decoder's end-of-sentence logit gets a bias so random models stop after a
handful of tokens instead of running to the length limit.

``xhs-translate models install --demo`` installs such packages for people without the package index
(:func:`build_demo_package`): marked in their metadata, so that ``models list`` and the CLI say their output is
gibberish.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import tempfile
import threading
import time
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from .models.families.base import Manifest
from .models.install import package_folder_name
from .models.packages import DEMO_KEY

#: Bump whenever the bytes a build produces change, so that on-disk caches are rebuilt.
BUILDER_VERSION = "3"  # build_model's folders are keyed by it too

FIXTURES_DIR_ENV = "XHS_TRANSLATE_FIXTURES_DIR"
SHARED_DATA_ENV = "XHS_TRANSLATE_SHARED_DATA"
#: The public evaluation text (``../shared/data`` beside a source checkout), or ``$XHS_TRANSLATE_SHARED_DATA``:
#: an installed copy of this module does not sit in the checkout, so the benchmarks set the variable.
SHARED_DATA_DIR = Path(os.environ.get(SHARED_DATA_ENV) or Path(__file__).resolve().parents[2] / "shared" / "data")

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
    if size not in SIZES:
        raise ValueError(f"unknown size {size!r}; choose one of {sorted(SIZES)}")
    dims = SIZES[size]
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    folder_name = package_folder_name(from_code, to_code, package_version)
    archive = out_dir / f"{folder_name}.argosmodel"
    with tempfile.TemporaryDirectory(prefix="xhs-build-") as tmp:
        root = Path(tmp) / folder_name
        (root / "model").mkdir(parents=True)
        report(DEMO_STAGES[0])
        sp_path = _train_sentencepiece(root / "sentencepiece.model", dims, seed,
                                       extra_symbols=[target_prefix] if target_prefix else [])
        # Weights depend on the pair too, so a zh->en/en->zh mix-up shows in the output.
        report(DEMO_STAGES[1])
        weights_rng = np.random.default_rng([seed, zlib.crc32(f"{from_code}_{to_code}".encode())])
        vocab = _pieces(sp_path)
        _save_random_model(root / "model", vocab, vocab, dims, weights_rng)
        metadata = {
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
    if size not in SIZES:
        raise ValueError(f"unknown size {size!r}; choose one of {sorted(SIZES)}")
    dims = SIZES[size]
    source_lang, target_lang = pairs[0]
    default_names = {"quickmt": f"quickmt-{source_lang}-{target_lang}", "opus-mt": f"opus-mt-{source_lang}-{target_lang}",
                     "nllb": "nllb-200-random", "m2m100": "m2m100-random"}
    root = Path(out_dir) / (name or default_names[family])
    root.mkdir(parents=True)
    rng = np.random.default_rng([seed, zlib.crc32(f"{family}:{pairs}".encode())])
    config = {"add_source_eos": family == "opus-mt" if add_source_eos is None else add_source_eos}
    if family == "quickmt":
        if joint:
            vocab = _pieces(_train_sentencepiece(root / "joint.spm.model", dims, seed, []))
            source_vocab = target_vocab = vocab
        else:
            source_vocab = _pieces(_train_sentencepiece(root / "src.spm.model", dims, seed, [], lang=source_lang))
            target_vocab = _pieces(_train_sentencepiece(root / "tgt.spm.model", dims, seed, [], lang=target_lang))
    elif family == "opus-mt":
        source = _pieces(_train_sentencepiece(root / "source.spm", dims, seed, [], lang=source_lang))
        target = _pieces(_train_sentencepiece(root / "target.spm", dims, seed, [], lang=target_lang))
        codes = OPUS_MT_TARGET_TOKENS if target_lang in ("zh", "zt") else ()  # a multi-target model, as en-zh is
        source_vocab = target_vocab = list(dict.fromkeys([*source, *target, *codes, "<pad>"]))
        config["decoder_start_token"] = "</s>"
    else:
        codes = NLLB_CODES if family == "nllb" else M2M100_CODES
        pieces = _pieces(_train_sentencepiece(root / "sentencepiece.bpe.model", dims, seed, [], model_type="bpe"))
        # fairseq's order, as the Transformers converter writes it: <s> <pad> </s> <unk>, pieces, language codes
        source_vocab = target_vocab = ["<s>", "<pad>", "</s>", "<unk>", *pieces[3:], *codes, "madeupword0"]
        config["decoder_start_token"] = "</s>"
    _save_random_model(root, source_vocab, target_vocab, dims, rng, config)
    (root / RANDOM_WEIGHTS_FILE).write_text(f"random-weight {size} test model (seed {seed}) built by "
                                            "xhs_translate.testing: its output is gibberish\n", encoding="utf-8")
    if manifest:
        (root / "xhs-translate.json").write_text(Manifest(family, tuple(pairs)).to_json(), encoding="utf-8")
    return root


def is_random_weight(package) -> bool:
    """Whether an installed package is one of these test builds or a demo package (its scores mean nothing)."""
    return package.demo or "random-weight" in package.name or (package.path / RANDOM_WEIGHTS_FILE).is_file()


def cached_model(family: str, pairs: tuple[tuple[str, str], ...] = (("zh", "en"),), *, size: str = "tiny",
                 seed: int = 0, **kwargs) -> Path:
    """A built model folder from the on-disk fixture cache (see :func:`cached_package`), building it on first use."""
    options = ",".join(f"{k}={v}" for k, v in sorted(kwargs.items()))
    pair_text = "+".join(f"{a}_{b}" for a, b in pairs)
    key = f"v{BUILDER_VERSION}-{family}-{size}-seed{seed}-{_corpus_source()}-{pair_text}-{options}"
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
    key = f"v{BUILDER_VERSION}-{size}-seed{seed}-{_corpus_source()}-{from_code}_{to_code}"
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


#: How the browser tests and ``benchmarks/html_page.py`` start Debian's Chromium under Playwright: headless, as
#: root, and without the background connections that a closed network refuses.
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run"]
CHROMIUM_ENV = "XHS_TRANSLATE_CHROMIUM"


def find_chromium() -> str | None:
    """Debian's ``chromium`` (Playwright cannot download its own browser here), or ``$XHS_TRANSLATE_CHROMIUM``."""
    path = os.environ.get(CHROMIUM_ENV) or shutil.which("chromium") or "/usr/bin/chromium"
    return path if Path(path).is_file() else None


def fixtures_dir() -> Path:
    """Where cached_package keeps archives: ``$XHS_TRANSLATE_FIXTURES_DIR`` or the user cache dir."""
    override = os.environ.get(FIXTURES_DIR_ENV)
    if override:
        return Path(override)
    import platformdirs

    return Path(platformdirs.user_cache_dir("xhs-translate")) / "fixtures"


def training_corpus(lines: int, seed: int, lang: str | None = None) -> list[str]:
    """SentencePiece training text: zh and en lines of ../shared/data, or generated text without it; with
    ``lang`` ("zh"/"zt" or "en"), only the lines of that language (for a one-language tokenizer)."""
    corpus = _shared_corpus(lines) if SHARED_DATA_DIR.is_dir() else _synthetic_corpus(lines, seed)
    if lang is None:
        return corpus
    return [line for line in corpus if bool(_HAN.search(line)) == (lang in ("zh", "zt"))]


def _corpus_source() -> str:
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


def _train_sentencepiece(path: Path, dims: ModelSize, seed: int, extra_symbols: list[str], lang: str | None = None,
                         model_type: str = "unigram") -> Path:
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


def _pieces(sp_path: Path) -> list[str]:
    """A SentencePiece model's pieces by id: <unk>, <s>, </s> first, where CTranslate2's defaults expect them."""
    import sentencepiece as spm

    sp = spm.SentencePieceProcessor(model_file=str(sp_path))
    pieces = [sp.id_to_piece(i) for i in range(sp.get_piece_size())]
    assert pieces[:3] == ["<unk>", "<s>", "</s>"], pieces[:3]
    return pieces


def _save_random_model(model_dir: Path, source_vocab: list[str], target_vocab: list[str], dims: ModelSize,
                       rng: np.random.Generator, config: dict | None = None) -> None:
    import ctranslate2

    spec = ctranslate2.specs.TransformerSpec.from_config((dims.encoder_layers, dims.decoder_layers), dims.heads)
    _fill_random(spec, rng, dims.d_model, dims.ffn, len(source_vocab), len(target_vocab),
                 eos_id=target_vocab.index("</s>"))
    for key, value in (config or {}).items():
        setattr(spec.config, key, value)
    spec.register_source_vocabulary(source_vocab)
    spec.register_target_vocabulary(target_vocab)
    spec.validate()
    spec.optimize("int8")
    spec.save(str(model_dir))


def _fill_random(spec, rng: np.random.Generator, d: int, ffn: int, source_vocab: int, target_vocab: int,
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


class RedisServer:
    """A real ``redis-server`` (Debian's package) on a free 127.0.0.1 port, its files in ``directory``, no
    persistence: started, killed and started again on the same port, for the tests of a shared cache and of one
    that goes away mid-run, and for the benchmarks.

    redis-server cannot pick a port itself and tell us (``--port 0`` turns TCP off), so the first start takes a
    port that is free now and, when another process binds it first (redis-server logs "Address already in use"
    and exits), takes another: the bind is what decides, not the check before it. A restart keeps its port, as
    clients hold its URL."""

    def __init__(self, directory: Path):
        self.directory = directory
        self.port = free_port()
        self.process: subprocess.Popen | None = None
        self._started = False

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> RedisServer:
        for _ in range(1 if self._started else _PORT_ATTEMPTS):
            log = self.directory / f"redis-{self.port}.log"
            log.unlink(missing_ok=True)
            self.process = subprocess.Popen(
                ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(self.directory),
                 "--save", "", "--appendonly", "no", "--protected-mode", "no", "--logfile", str(log)],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            if self._ready(log):
                self._started = True
                return self
            said = log.read_text(errors="replace") if log.is_file() else ""
            if self._started or "Address already in use" not in said:
                raise RuntimeError(f"redis-server did not start on port {self.port}: {said.strip()[-2000:]}")
            self.port = free_port()  # another process bound it between our check and redis-server's bind
        raise RuntimeError(f"redis-server found its port taken {_PORT_ATTEMPTS} times in a row")

    def _ready(self, log: Path) -> bool:
        """Wait until the server says it accepts connections and answers PING (True), or has exited (False);
        RuntimeError after 30 s. Its log decides, not a connection: one to a port another process took would hang."""
        deadline = time.monotonic() + 30
        while self.process.poll() is None:
            if log.is_file() and "Ready to accept connections" in log.read_text(errors="replace"):
                return bool(self.client().ping())
            if time.monotonic() > deadline:
                self.kill()
                raise RuntimeError(f"redis-server did not start on port {self.port} within 30 s")
            time.sleep(0.05)
        return False

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=30)

    def client(self):
        """A plain client of our own, for looking at what the cache stored."""
        import redis

        return redis.Redis(host="127.0.0.1", port=self.port, decode_responses=True, socket_timeout=10)

    def calls(self) -> dict[str, int]:
        """Commands served since the last ``reset_calls``, by name (INFO commandstats), but for our own counting
        (one connection, opened before the reset, so that its handshake is not counted either)."""
        stats = self._counter.info("commandstats")
        return {name.removeprefix("cmdstat_"): value["calls"] for name, value in stats.items()
                if not name.startswith(("cmdstat_info", "cmdstat_config"))}

    def reset_calls(self) -> None:
        self._counter = self.client()
        self._counter.ping()
        self._counter.config_resetstat()


_PORT_ATTEMPTS = 5


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]
