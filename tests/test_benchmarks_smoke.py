"""Smoke tests: every benchmark runs at a tiny size (tiny models, a few comments), so the benchmarks cannot rot.

They assert exit codes and the structure of the output, never a time or a speed.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

BENCH = Path(__file__).resolve().parents[1] / "benchmarks"
sys.path.insert(0, str(BENCH))

import _common  # noqa: E402

HAS_ARGOS = _common.argos_version() is not None


def run(script: str, *args: str, timeout: int = 240) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(BENCH / script), *args], capture_output=True, text=True, timeout=timeout
    )


# --- the thread generator -------------------------------------------------------------------------------


def test_thread_is_deterministic_and_mediacrawler_shaped():
    a = _common.generate_thread(300, seed=3)
    assert a == _common.generate_thread(300, seed=3)
    assert a != _common.generate_thread(300, seed=4)
    assert len(a) == 300
    keys = {"comment_id", "content", "parent_comment_id", "note_id", "create_time", "like_count",
            "sub_comment_count", "pictures", "last_modify_ts", "user_id", "nickname", "avatar", "ip_location"}
    assert all(set(c) == keys for c in a)
    assert len({c["comment_id"] for c in a}) == 300
    ids = {c["comment_id"] for c in a}
    assert all(c["parent_comment_id"] == 0 or c["parent_comment_id"] in ids for c in a)
    assert all(isinstance(c["like_count"], str) and c["content"] for c in a)


def test_repeat_share_and_language_mix():
    thread = _common.generate_thread(2000, seed=0, repeat_share=0.5)
    repeats = sum(c["content"] in _common.STOCK_REPEATS for c in thread)
    assert 800 < repeats < 1200
    none = _common.generate_thread(500, seed=0, repeat_share=0.0)
    han = sum(bool(re.search(r"[\u4e00-\u9fff]", c["content"])) for c in none)
    assert 250 < han < 420  # about two thirds Chinese
    with pytest.raises(ValueError):
        _common.generate_thread(1, repeat_share=1.5)


def test_generator_works_without_shared_data(tmp_path):
    pools = _common.load_pools(tmp_path / "absent", seed=1)
    assert pools.source == "generated" and pools.zh and pools.en
    thread = _common.generate_thread(50, seed=1, pools=pools)
    assert len(thread) == 50 and all(c["content"] for c in thread)


@given(st.text())
def test_regex_splitter_keeps_every_non_space_character(text):
    pieces = _common.regex_sentences(text)
    assert "".join("".join(p.split()) for p in pieces) == "".join(text.split())
    assert all(p and p == p.strip() for p in pieces)


# --- the benchmark scripts --------------------------------------------------------------------------------


def test_translate_throughput_tiny():
    args = ["--size", "tiny", "--comments", "40", "--argos-comments", "8"]
    proc = run("translate_throughput.py", *args, *([] if HAS_ARGOS else ["--skip-argos"]))
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    for row in ("(2) xhs-translate, cold cache", "(3) xhs-translate, warm cache", "(3b)", "(4) raw CTranslate2", "(4b)",
                "(4c)", "fixed-band buckets (4b) vs bands padded to their longest (4c)", "the CPU seconds"):
        assert row in out
    header = next(line for line in out.splitlines() if line.startswith("| row"))
    assert "comments/s" in header and "target tok/s" in header and "peak RSS MiB" in header
    assert "signature:" in out and "beam 2 in every row" in out
    assert "import xhs_translate:" in out and "targets:" in out
    if HAS_ARGOS:
        assert "(1) argostranslate per comment (first 8)" in out
        assert "regex splitter" in out and "at each tool's default beam" in out
    else:
        assert "row (1): skipped" in out


def test_memory_streaming_tiny():
    proc = run("memory_streaming.py", "--comments", "60")
    assert proc.returncode == 0, proc.stderr
    assert "input: 60 comments" in proc.stdout and "output: 60 lines" in proc.stdout
    assert "peak RSS above the loaded models" in proc.stdout


def test_quality_exits_2_with_install_help_without_models(tmp_path):
    proc = run("quality.py", "--models-dir", str(tmp_path / "none"))
    assert proc.returncode == 2
    assert "xhs-translate models install" in proc.stderr and "cannot be downloaded here" in proc.stderr


def test_quality_refuses_fixture_packages(models_dir):
    proc = run("quality.py", "--models-dir", str(models_dir), "--limit", "2")
    assert proc.returncode == 2
    assert "random-weight test models" in proc.stderr


@pytest.fixture(scope="module")
def every_family_dir(tmp_path_factory, tiny_archives) -> Path:
    """Random-weight models of every family for zh->en and en->zh, side by side."""
    from testkit.models import cached_model

    from xhs_translate.models.install import install_model

    root = tmp_path_factory.mktemp("models-every-family")
    folders = [*tiny_archives.values(), *(cached_model(f, (p,)) for f in ("quickmt", "opus-mt")
                                          for p in (("zh", "en"), ("en", "zh"))),
               cached_model("nllb"), cached_model("m2m100")]
    for folder in folders:
        install_model(folder, root)
    return root


def test_quality_scores_every_family_side_by_side(every_family_dir, shared_data):
    args = ["--models-dir", str(every_family_dir), "--limit", "3", "--allow-fixture"]
    proc = run("quality.py", *args, *(["--compare-argos"] if HAS_ARGOS else []), timeout=600)
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert "RANDOM-WEIGHT FIXTURE" in out and "sacrebleu signature: BLEU" in out and "tok:zh" in out
    assert "published FLORES-200 devtest scores in the README" in out
    table_rows = [line for line in out.splitlines() if line.startswith("| ") and "->" in line]
    families = ("argos:", "quickmt:", "opus-mt:", "nllb:", "m2m100:")
    for direction in ("zh->en", "en->zh"):
        rows = [r for r in table_rows if f" {direction} " in r]
        assert all(sum(f in r for r in rows) == 3 for f in families), rows  # 3 test sets x every family
        assert len(rows) == 3 * (len(families) + HAS_ARGOS)
    header = next(line for line in out.splitlines() if line.startswith("| test set"))
    assert "BLEU" in header and "chrF" in header and "target tok/s" in header


def test_detect_accuracy_tiny(shared_data):
    proc = run("detect_accuracy.py", "--limit", "5", "--startup-runs", "2")
    assert proc.returncode == 0, proc.stderr
    assert "detect(auto)" in proc.stdout and "detect(open)" in proc.stdout
    assert "reddit comments, held out" in proc.stdout and "real distinct comments/s" in proc.stdout
    assert re.search(r"start-up: \S+ detect on a one-line file, 2 fresh processes: median \d+ ms", proc.stdout)


def test_detect_speed_prints_a_ratio_per_set(shared_data):
    proc = run("detect_speed.py", "--rounds", "2", "--min-items", "300")
    assert proc.returncode == 0, proc.stderr
    for name in ("xhs comments", "reddit comments (en)", "mix"):
        assert re.search(rf"^{re.escape(name)} +[\d,]+ .* [\d.]+x +[\d.]+x ", proc.stdout, re.M), proc.stdout


def test_server_throughput_runs_small_without_libretranslate(tmp_path):
    proc = run("server_throughput.py", "--size", "tiny", "--clients", "2", "--requests", "2", "--repeats", "1",
               "--lt-python", "", "--workdir", str(tmp_path))
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "| xhs-translate serve (shared batches)" in proc.stdout
    assert "LibreTranslate: skipped (no --lt-python)" in proc.stdout
    assert re.search(r"\| ceiling: raw CTranslate2, same \d+ segments +\| [\d,.]+ ", proc.stdout)
    assert re.search(r"\| xhs-translate serve \(shared batches\) +\|.*\| \d+\.\d\d +\| \d+\.\d\d +\|", proc.stdout)
    # texts per model call, from the server's /metrics over the timed load (the last column)
    assert re.search(r"^\| xhs-translate serve \(shared batches\) +\|.*\| \d+\.\d +\|$", proc.stdout, re.M)


def test_server_throughput_refuses_a_bad_libretranslate_beam():
    proc = run("server_throughput.py", "--lt-beams", "4,x")
    assert proc.returncode == 2 and "--lt-beams must be positive integers separated by commas, got '4,x'" in proc.stderr


def test_server_adapters_runs_small():
    proc = run("server_adapters.py", "--size", "tiny", "--items", "3", "--repeats", "2", "--paragraphs", "1,3",
               "--clients", "2", "--rounds", "1")
    assert proc.returncode == 0, proc.stderr[-3000:]
    for kind in ("/imme, one request of the list", "/translate, one request of the list",
                 "/translate, one request per item"):
        assert re.search(rf"\| {re.escape(kind)} +\| [\d,]+ +\| \d+\.\d+ +\| \d+\.\d\dx", proc.stdout), proc.stdout
    assert re.search(r"^\| 3 +\| [\d,.]+ +\| [\d,.]+ +\|", proc.stdout, re.M), proc.stdout


def test_model_scans_runs_small():
    proc = run("model_scans.py", "--repeats", "2")
    assert proc.returncode == 0, proc.stderr[-3000:]
    for name in ("translator", "server"):
        assert re.search(rf"{name} +run 2: +\d+ folder reads +[\d.]+ ms wall +[\d.]+ ms CPU", proc.stdout), proc.stdout


def test_band_costs_runs_small():
    proc = run("band_costs.py", "--size", "tiny", "--repeats", "1", "--texts", "120", "--sizes", "1,3")
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert re.search(r"^bulk, \d+ zh \+ \d+ en: first band 8 vs 16 .* \d+\.\d\d$", proc.stdout, re.M), proc.stdout
    for size in (1, 3):
        assert re.search(rf"^filler, band 16, batches of {size} \(\d+ texts\) .* \d+\.\d\d$", proc.stdout, re.M)


def test_small_costs_runs_small():
    proc = run("small_costs.py", "--repeats", "1", "--texts", "40")
    assert proc.returncode == 0, proc.stderr[-3000:]
    for name in ("tokenise", "BatchingEngine.translate", "detect_many"):
        assert re.search(rf"^{re.escape(name)}.* [\d.]+s +[\d.]+s +[\d.]+ +[\d.]+s +[\d.]+s +[\d.]+$", proc.stdout,
                         re.M), proc.stdout


def test_scale_out_tiny(redis_server, shared_data):
    """Needs Ray and redis-server, as the distributed tests do (the fixture skips without them, or fails)."""
    proc = run("scale_out.py", "--size", "tiny", "--comments", "40", "--entries", "3000", "--batch-size", "50",
               "--limit", "120", timeout=600)
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert "| Ray Data, 2 workers x 1 CPU (batches of 50)" in out and "efficiency vs 2 x the per-core rate" in out
    assert "| Redis (local redis-server" in out and "bytes per entry" in out
    assert "cross-run:" in out and "| Ray, 2 workers, the same Redis again (warm)" in out


def test_browser_latency_small(chromium):
    """The chromium fixture skips (or fails under $XHS_TRANSLATE_REQUIRE_BROWSER) without Playwright or Chromium."""
    proc = run("browser_latency.py", "--comments", "3", "--repeats", "2")
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert re.search(r"script +\(render -> every translation shown\): +\d+ ms +server CPU [\d.]+ s", proc.stdout)
    assert re.search(r"ratio script/request: [\d.]+; at most saved by reading responses: -?\d+ ms", proc.stdout)
