"""The random-weight package builder (``xhs_translate.models.demo``, cached by ``tests/testkit``): deterministic,
valid Argos packages, short but non-empty outputs; and the redis-server the cache tests start."""

from __future__ import annotations

import json
import socket
import threading
import zipfile
from pathlib import Path

import pytest
from helpers import distributed_or_skip
from testkit.models import FIXTURES_DIR_ENV, cached_package
from testkit.redis_server import RedisServer

from xhs_translate.errors import InputError
from xhs_translate.models.demo import BUILDER_VERSION, build_package, training_corpus
from xhs_translate.models.packages import read_package


def extract(archive: Path, dest: Path) -> Path:
    with zipfile.ZipFile(archive) as zf:
        zf.extractall(dest)
    (folder,) = dest.iterdir()
    return folder


def test_fresh_concurrent_builds_equal_the_cached_archive(tiny_archives, tmp_path, monkeypatch):
    """Two threads fill an empty cache at once: one archive results, byte-identical to the session's cached one."""
    monkeypatch.setenv(FIXTURES_DIR_ENV, str(tmp_path / "cache"))
    results: list[Path] = []
    barrier = threading.Barrier(2)

    def build() -> None:
        barrier.wait()
        results.append(cached_package("zh", "en"))

    threads = [threading.Thread(target=build) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(results) == 2 and results[0] == results[1]
    assert [p.name for p in (tmp_path / "cache").iterdir()] == [results[0].parent.name]  # no staging left over
    fresh, cached = zipfile.ZipFile(results[0]), zipfile.ZipFile(tiny_archives[("zh", "en")])
    assert fresh.namelist() == cached.namelist()
    for name in fresh.namelist():
        assert fresh.read(name) == cached.read(name), (
            f"{name} differs from the cached build: the builder changed, bump BUILDER_VERSION (now {BUILDER_VERSION})"
        )


def test_directions_get_different_weights(tiny_archives):
    weights = {}
    for pair, archive in tiny_archives.items():
        with zipfile.ZipFile(archive) as zf:
            (name,) = [n for n in zf.namelist() if n.endswith("model/model.bin")]
            weights[pair] = zf.read(name)
    assert weights[("zh", "en")] != weights[("en", "zh")]


def test_archive_is_a_valid_argos_package(tiny_archives, tmp_path):
    archive = tiny_archives[("en", "zh")]
    with zipfile.ZipFile(archive) as zf:
        tops = {name.split("/", 1)[0] for name in zf.namelist()}
    assert tops == {archive.stem}
    package = read_package(extract(archive, tmp_path))
    assert (package.from_code, package.to_code, package.package_version) == ("en", "zh", "1.0")
    assert package.tokenizer == "sentencepiece" and package.target_prefix == ""
    meta = json.loads((package.path / "metadata.json").read_text(encoding="utf-8"))
    assert meta["argos_version"] and meta["name"]


def test_model_vocabulary_is_the_sentencepiece_vocabulary(tiny_archives, tmp_path):
    """Tokens round-trip only if CTranslate2's vocabulary lists SentencePiece's pieces in id order."""
    import sentencepiece

    package = read_package(extract(tiny_archives[("zh", "en")], tmp_path))
    sp = sentencepiece.SentencePieceProcessor(model_file=str(package.tokenizer_path))
    vocab = json.loads((package.model_dir / "shared_vocabulary.json").read_text(encoding="utf-8"))
    assert vocab == [sp.id_to_piece(i) for i in range(sp.get_piece_size())]
    assert vocab[:3] == ["<unk>", "<s>", "</s>"]
    text = "好可爱😍 so cute"
    assert sp.decode(sp.encode(text, out_type=str)) == text  # byte fallback keeps the emoji


def test_eos_bias_gives_short_non_empty_outputs(tiny_archives, tmp_path):
    import ctranslate2
    import sentencepiece

    package = read_package(extract(tiny_archives[("zh", "en")], tmp_path))
    translator = ctranslate2.Translator(str(package.model_dir), device="cpu", compute_type="int8")
    sp = sentencepiece.SentencePieceProcessor(model_file=str(package.tokenizer_path))
    sources = sp.encode(training_corpus(200, seed=3)[100:200], out_type=str)
    results = translator.translate_batch(sources, beam_size=2, max_decoding_length=200)
    lengths = [len(r.hypotheses[0]) for r in results]
    assert min(lengths) >= 2, lengths  # never just EOS
    assert max(lengths) <= 20, lengths  # stopped by EOS, far below the 200-step limit
    assert all(sp.decode(r.hypotheses[0]).strip() for r in results)


def test_unknown_size_is_rejected(tmp_path):
    with pytest.raises(InputError, match="tiny"):  # the demo builder is product now: our error
        build_package(tmp_path, "zh", "en", size="huge")


def test_builds_without_shared_data_from_generated_text(tmp_path, monkeypatch):
    """A clean clone without ../shared still gets working packages (SentencePiece trained on generated text)."""
    from xhs_translate.models import demo
    from xhs_translate.models.engine import load_engine

    monkeypatch.setattr(demo, "SHARED_DATA_DIR", tmp_path / "absent")
    corpus = training_corpus(50, seed=0)
    assert corpus == training_corpus(50, seed=0) and len(corpus) == 50
    assert any("。" in line for line in corpus) and any(line.endswith(".") for line in corpus)
    package = read_package(extract(build_package(tmp_path / "out", "zh", "en"), tmp_path / "pkg"))
    result = load_engine(package).translate(["好可爱", "so cute"])
    assert result.errors == () and all(result.translations)


def test_a_redis_server_whose_port_is_taken_before_it_binds_moves_to_another(tmp_path):
    """The race of picking a free port and binding it later, made certain: another socket listens on the port
    first. The first start moves; a restart, whose URL clients hold, says the port is taken."""
    distributed_or_skip("redis")
    server = RedisServer(tmp_path)
    taken = server.port
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", taken))
        squatter.listen()
        server.start()
        try:
            assert server.port != taken and server.client().ping()
        finally:
            server.kill()
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", server.port))
        squatter.listen()
        with pytest.raises(RuntimeError, match="Address already in use"):
            server.start()
    server.start()  # the port is free again: the restart keeps it
    try:
        assert server.client().ping()
    finally:
        server.kill()
