"""Issue 24: the server's cache catches repeated comments across requests and clients, and /metrics reports the
hit rate. Real Xiaohongshu threads repeat short comments exactly or after trimming (about 20-25% of the real
Chinese comments: the issue's dd x25, 报名 x24, 怎么参加 x23); punctuation variants (报名！) are not repeats,
since they may translate differently. Also: the server's OpenMP environment is set before CTranslate2 loads."""

from __future__ import annotations

import os
import subprocess
import sys

from helpers import client_of, metric, serving


def test_repeats_from_other_clients_are_cache_hits_and_the_hit_ratio_is_in_metrics(models_dir, tmp_path):
    text = "怎么参加这个活动呀"  # written for this test
    with serving(models_dir, tmp_path / "cache.sqlite3") as server:
        answers = []
        for variant in (text, text, f"  {text} "):  # three clients: the same comment, then trimmed to it
            with client_of(server) as client:
                response = client.post("/translate", json={"q": variant, "source": "zh", "target": "en"})
                assert response.status_code == 200, response.text
                answers.append(response.json()["translatedText"])
        assert answers[0] and answers[1] == answers[0] and answers[2].strip() == answers[0].strip()
        assert metric(server.url, "xhs_translate_segments_translated_total") == 1  # decoded once
        assert metric(server.url, "xhs_translate_cache_hits_total") == 2
        assert metric(server.url, "xhs_translate_cache_hit_ratio") == 2 / 3
        assert metric(server.url, "xhs_translate_comment_hit_ratio") == 1 / 3  # the exact repeat, whole


def test_serve_sets_the_openmp_wait_policy_before_ctranslate2_loads(models_dir):
    """libgomp reads OMP_WAIT_POLICY once, when CTranslate2 loads: the serve command's check (which loads
    CTranslate2 to resolve the device) must come after it. A value the user set stays."""
    script = (
        "import os, sys\n"
        "from xhs_translate.cli import build_parser\n"
        f"args = build_parser().parse_args(['serve', '--models-dir', {str(models_dir)!r}])\n"
        "assert 'ctranslate2' not in sys.modules\n"
        "args.check(args)\n"
        "assert 'ctranslate2' in sys.modules\n"
        "print(os.environ.get('OMP_WAIT_POLICY'))\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "OMP_WAIT_POLICY"}
    out = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["PASSIVE"]
    mine = subprocess.run([sys.executable, "-c", script], env={**env, "OMP_WAIT_POLICY": "ACTIVE"},
                          capture_output=True, text=True, timeout=120)
    assert mine.stdout.split() == ["ACTIVE"], mine.stderr


def test_the_server_decodes_each_direction_in_one_replica_on_half_the_cores(models_dir, monkeypatch):
    """Issue 24: the server keeps both directions' engines busy at once with small shared batches; one replica per
    direction with half the cores each took less CPU per request than one replica on every core (whose OpenMP
    teams wait on each other) on the 2-core build machine (README "Performance"). The serve command's defaults
    say the same, and a user's --intra-threads still wins."""
    from xhs_translate.cli import build_parser
    from xhs_translate.server.config import ServerConfig, default_translator_config
    from xhs_translate.server.service import TranslationService

    monkeypatch.setattr(os, "cpu_count", lambda: 8)
    engine = default_translator_config().engine
    assert (engine.inter_threads, engine.intra_threads) == (1, 4)
    monkeypatch.setattr(os, "cpu_count", lambda: 1)
    assert default_translator_config().engine.intra_threads == 1
    monkeypatch.undo()

    half = max(1, (os.cpu_count() or 1) // 2)
    args = build_parser().parse_args(["serve", "--models-dir", str(models_dir)])
    assert (args.inter_threads, args.intra_threads) == (1, half)
    mine = build_parser().parse_args(["serve", "--models-dir", str(models_dir), "--intra-threads", "3"])
    assert mine.intra_threads == 3
    config = ServerConfig(translator=default_translator_config().replace(models_dir=models_dir), cache=False)
    service = TranslationService(config)
    try:
        service.load()
        threads = {engine.engine.threads for engine in service.provider.engines()}
        assert threads == {(1, half)}, threads
    finally:
        service.close()
