"""A one-comment request whose text a 20,000-text request has queued already is decoded in its own turn, not the
big request's: the shared text rides in whichever turn comes first (issue 19 §3; README "never stalls the small
ones"). On the real engine of the tiny package, recorded (not replaced) to see the order of dispatches."""

from __future__ import annotations

import threading

import pytest
from helpers import wait_for

from xhs_translate.models.batching import BatchingEngine, RequestScope, token_counter
from xhs_translate.models.engine import DecodeOptions, load_engine
from xhs_translate.models.packages import find_package

OPTIONS = DecodeOptions(max_batch_tokens=32)  # small engine buckets: the big call is many chunks


class Recorded:
    """The real engine, noting which texts each dispatch carried."""

    def __init__(self, engine):
        self.engine = engine
        self.device = engine.device
        self.threads = (1, 1)
        self.dispatched: list[list[str]] = []

    def translate(self, texts, options):
        self.dispatched.append(list(texts))
        return self.engine.translate(texts, options)


@pytest.fixture
def engine(models_dir):
    plain = load_engine(find_package("zh", "en", models_dir))
    recorded = Recorded(plain)
    engine = BatchingEngine(recorded, token_counter(plain), max_wait=30.0, max_batch_tokens=10**6, workers=1)
    engine.recorded = recorded
    yield engine
    engine.close()


def _queue_big_then_small(engine, small_texts):
    big_texts = [f"第{n}条：今天天气很好" for n in range(400)]
    results = {}
    big = threading.Thread(target=lambda: results.setdefault("big", engine.translate(big_texts, OPTIONS)))
    big.start()
    wait_for(lambda: engine.stats()["calls"] == 1, "the big call queued")
    small = threading.Thread(target=lambda: results.setdefault("small", engine.translate(small_texts, OPTIONS)))
    small.start()
    wait_for(lambda: engine.stats()["calls"] == 2, "the small call queued")
    return big_texts, big, small, results


def test_a_small_call_sharing_a_queued_text_is_served_in_its_own_turn(engine):
    shared = "第399条：今天天气很好"  # the big call's last text: its last chunk, hundreds of turns away
    _big_texts, big, small, results = _queue_big_then_small(engine, [shared])
    assert engine.stats()["joined"] == 1
    engine.max_batch_tokens = 32  # one engine bucket per dispatch, one worker, in the queue's order
    engine.close()
    big.join()
    small.join()
    turns = [n for n, texts in enumerate(engine.recorded.dispatched) if shared in texts]
    assert turns and turns[0] <= 1  # with the big call's first chunk, or the next dispatch: not the last
    assert len(engine.recorded.dispatched) > 10
    assert sum(texts.count(shared) for texts in engine.recorded.dispatched) == 1  # still decoded once
    assert results["small"].translations[0] == results["big"].translations[-1]  # and both callers got it


def test_cancelling_either_call_leaves_the_shared_text_to_the_other(engine):
    shared = "第399条：今天天气很好"
    scope = RequestScope()
    results = {}

    def small_call():
        try:
            with scope:
                results["small"] = engine.translate([shared], OPTIONS)
        except Exception as exc:
            results["small"] = exc

    big_texts = [f"第{n}条：今天天气很好" for n in range(400)]
    big = threading.Thread(target=lambda: results.setdefault("big", engine.translate(big_texts, OPTIONS)))
    big.start()
    wait_for(lambda: engine.stats()["calls"] == 1, "the big call queued")
    small = threading.Thread(target=small_call)
    small.start()
    wait_for(lambda: engine.stats()["calls"] == 2, "the small call queued")
    scope.cancel()
    small.join()
    assert engine.stats()["cancelled"] == 0  # the big call still waits for the shared text
    engine.max_batch_tokens = 32
    engine.close()
    big.join()
    assert results["big"].translations[-1] and results["big"].errors == ()
    assert sum(texts.count(shared) for texts in engine.recorded.dispatched) == 1
    assert engine.stats()["queued_tokens"] == 0


def test_the_stall_benchmark_runs_small(tmp_path):
    import subprocess
    import sys
    from pathlib import Path

    script = Path(__file__).resolve().parents[1] / "benchmarks" / "server_throughput.py"
    proc = subprocess.run([sys.executable, str(script), "--size", "tiny", "--stall", "300", "--probes", "4",
                           "--repeats", "1", "--workdir", str(tmp_path)], capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "| this code " in proc.stdout and "during it: a text it has queued" in proc.stdout
