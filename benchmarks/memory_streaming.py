"""Peak memory of ``xhs-translate translate`` streaming a large JSONL export (1,000,000 comments by default), and
of the in-memory API, ``Translator.translate_thread`` on one list of 100,000 comments.

The input is generated on the fly into a temporary folder (never into the repository) and translated
JSONL -> JSONL by the real CLI in a subprocess, with the tiny fixture models and a cache file in that folder.
The comment texts come from a bounded pool (as real threads repeat themselves), so after the first chunks most
segments are cache hits: this measures the streaming pipeline's memory, not the model's speed.

"Above the loaded models" = the run's peak RSS minus the peak RSS of the same command on a 2-comment input
(one zh, one en comment: both models loaded, nothing else held). Target: <= 500 MiB.

The API row runs in a subprocess of its own: it loads both models (two comments) and everything else a run loads
(a warm-up call of 2,000 other comments: detectors, OpenCC, the engine's buffers), builds the list of comments
(the caller's memory), then calls ``translate_thread`` on it; "above the models and the input" = the peak RSS
during the call minus the RSS just before it, so it counts what the call holds: its working state and the
returned list of new comment dicts. Target: <= 150 MiB for 100,000 comments.

    python benchmarks/memory_streaming.py [--comments 1000000] [--api-comments 100000] [--size tiny] [--chunk-size N]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import iter_thread, library_versions, load_pools, machine_line, write_jsonl

TARGET_MB = 500
API_TARGET_MB = 150
CLI = [sys.executable, "-m", "xhs_translate.cli"]


def _rss_mb(pid: int) -> float | None:
    try:
        with open(f"/proc/{pid}/status") as fh:
            for line in fh:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def run_cli(args: list[str], env: dict, sample_every: float = 0.5) -> dict:
    """Run the CLI; return its exit code, seconds, peak RSS (wait4's ru_maxrss) and sampled RSS over time."""
    start = time.perf_counter()
    proc = subprocess.Popen(CLI + args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    samples: list[tuple[float, float]] = []
    stop = threading.Event()

    def sample() -> None:
        while not stop.wait(sample_every):
            rss = _rss_mb(proc.pid)
            if rss is not None:
                samples.append((time.perf_counter() - start, rss))

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    stderr = proc.stderr.read()  # drained while running: the CLI cannot block on a full pipe
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    stop.set()
    sampler.join()
    return {
        "rc": proc.returncode,
        "seconds": time.perf_counter() - start,
        "peak_mb": usage.ru_maxrss / 1024,
        "samples": samples,
        "stderr": stderr.decode("utf-8", "replace"),
    }


def _status_mb(field: str) -> float:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    raise RuntimeError(f"no {field} in /proc/self/status")


def api_row(models: str, cache: str, comments: int, seed: int) -> dict:
    """In this (fresh) process: RSS with the models loaded, with everything else loaded (a warm-up call of 2,000
    other comments: the detectors, OpenCC, the engine's buffers), with the input list built, and at the peak of
    one ``translate_thread`` call (the kernel's high-water mark, reset just before the call)."""
    import gc

    from xhs_translate import Translator

    with Translator(models_dir=models, cache=cache) as translator:
        translator.translate_many(["今天天气很好", "the weather is nice today"])  # both models loaded
        gc.collect()
        models_mb = _status_mb("VmRSS")
        translator.translate_thread(list(iter_thread(2_000, seed=seed + 1, pools=load_pools(seed=seed + 1))))
        gc.collect()
        loaded_mb = _status_mb("VmRSS")
        thread = list(iter_thread(comments, seed=seed, pools=load_pools(seed=seed)))
        gc.collect()
        input_mb = _status_mb("VmRSS")
        with open("/proc/self/clear_refs", "w") as fh:
            fh.write("5")  # reset VmHWM to the current RSS (Linux >= 4.0)
        start = time.perf_counter()
        out = translator.translate_thread(thread)
        seconds = time.perf_counter() - start
        peak_mb = _status_mb("VmHWM")
        assert len(out) == len(thread)
        return {"models_mb": models_mb, "loaded_mb": loaded_mb, "input_mb": input_mb, "peak_mb": peak_mb,
                "seconds": seconds, "stats": translator.stats()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--comments", type=int, default=1_000_000, help="comments to stream (default %(default)s)")
    parser.add_argument("--api-comments", type=int, default=100_000,
                        help="comments for the in-memory API row (default %(default)s; 0 skips it)")
    parser.add_argument("--api-row", nargs=2, metavar=("MODELS", "CACHE"), help=argparse.SUPPRESS)
    parser.add_argument("--size", choices=("tiny", "base"), default="tiny", help="fixture model size (default tiny)")
    parser.add_argument("--chunk-size", type=int, default=None, help="passed to the CLI (default: the CLI's)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    if args.api_row:
        print(json.dumps(api_row(*args.api_row, args.api_comments, args.seed)))
        return 0
    if args.comments < 2:
        parser.error("--comments must be >= 2")

    from testkit.models import cached_package

    from xhs_translate.models.install import install_package

    with tempfile.TemporaryDirectory(prefix="xhs-mem-") as tmp:
        tmp = Path(tmp)
        models = tmp / "models"
        for pair in (("zh", "en"), ("en", "zh")):
            install_package(cached_package(*pair, size=args.size), models)
        env = dict(os.environ, XHS_TRANSLATE_OFFLINE="1")
        common = ["--models-dir", str(models), "--cache", str(tmp / "cache.sqlite3"), "--quiet", "--no-download"]
        if args.chunk_size:
            common += ["--chunk-size", str(args.chunk_size)]

        pools = load_pools(seed=args.seed)
        start = time.perf_counter()
        big = tmp / "thread.jsonl"
        n = write_jsonl(iter_thread(args.comments, seed=args.seed, pools=pools), big)
        gen_s = time.perf_counter() - start
        small = tmp / "two.jsonl"
        write_jsonl([{"comment_id": "1", "content": "今天天气很好", "parent_comment_id": 0},
                     {"comment_id": "2", "content": "the weather is nice today", "parent_comment_id": 0}], small)

        base = run_cli(["translate", str(small), "-o", str(tmp / "two.out.jsonl"), *common], env)
        if base["rc"] != 0:
            print(f"baseline run failed (exit {base['rc']}):\n{base['stderr']}", file=sys.stderr)
            return 1
        run = run_cli(["translate", str(big), "-o", str(tmp / "thread.out.jsonl"), *common], env)
        if run["rc"] != 0:
            print(f"streaming run failed (exit {run['rc']}):\n{run['stderr'][-4000:]}", file=sys.stderr)
            return 1
        with open(tmp / "thread.out.jsonl", "rb") as fh:
            out_lines = sum(1 for _ in fh)
        size_mb = big.stat().st_size / 2**20
        api = None
        if args.api_comments:
            proc = subprocess.run([sys.executable, __file__, "--api-row", str(models), str(tmp / "api.sqlite3"),
                                   "--api-comments", str(args.api_comments), "--seed", str(args.seed)],
                                  env=env, capture_output=True, text=True)
            if proc.returncode != 0:
                print(f"API row failed (exit {proc.returncode}):\n{proc.stderr[-4000:]}", file=sys.stderr)
                return 1
            api = json.loads(proc.stdout)

    above = run["peak_mb"] - base["peak_mb"]
    print(f"input: {n:,} comments, {size_mb:,.0f} MiB JSONL (generated in {gen_s:.0f} s, text from {pools.source}); "
          f"output: {out_lines:,} lines")
    print(f"models: '{args.size}' random-weight fixture packages zh->en and en->zh; cache: a fresh SQLite file")
    print(f"baseline (2 comments, both models loaded): peak RSS {base['peak_mb']:.0f} MiB in {base['seconds']:.1f} s")
    print(f"streaming run: peak RSS {run['peak_mb']:.0f} MiB in {run['seconds']:.0f} s "
          f"({n / run['seconds']:,.0f} comments/s end to end)")
    if run["samples"]:
        picks = [run["samples"][int(f * (len(run["samples"]) - 1))] for f in (0.1, 0.25, 0.5, 0.75, 1.0)]
        print("RSS over the run: " + ", ".join(f"{t:.0f}s {rss:.0f} MiB" for t, rss in picks))
    verdict = "MET" if above <= TARGET_MB else "MISSED"
    print(f"{verdict}: peak RSS above the loaded models {above:.0f} MiB (target <= {TARGET_MB} MiB)")
    if api is not None:
        held = api["peak_mb"] - api["input_mb"]
        print(f"API row: translate_thread on a list of {args.api_comments:,} comments in {api['seconds']:.1f} s "
              f"({args.api_comments / api['seconds']:,.0f} comments/s, fresh cache); RSS with the models "
              f"{api['models_mb']:.0f} MiB, after a 2,000-comment warm-up call {api['loaded_mb']:.0f} MiB, with the "
              f"input list {api['input_mb']:.0f} MiB, peak {api['peak_mb']:.0f} MiB")
        verdict = "MET" if held <= API_TARGET_MB else "MISSED"
        print(f"{verdict}: peak RSS of the call above the models and the input {held:.0f} MiB "
              f"(target <= {API_TARGET_MB} MiB; the returned comment dicts included)")
    print(f"machine: {machine_line()}; versions: " + ", ".join(f"{k} {v}" for k, v in library_versions().items()))
    if out_lines != n:
        print(f"ERROR: {n} comments in, {out_lines} lines out", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
