"""Peak memory of ``xhs-translate translate`` streaming a large JSONL export (1,000,000 comments by default).

The input is generated on the fly into a temporary folder (never into the repository) and translated
JSONL -> JSONL by the real CLI in a subprocess, with the tiny fixture models and a cache file in that folder.
The comment texts come from a bounded pool (as real threads repeat themselves), so after the first chunks most
segments are cache hits: this measures the streaming pipeline's memory, not the model's speed.

"Above the loaded models" = the run's peak RSS minus the peak RSS of the same command on a 2-comment input
(one zh, one en comment: both models loaded, nothing else held). Target: <= 500 MiB.

    python benchmarks/memory_streaming.py [--comments 1000000] [--size tiny] [--chunk-size N]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import iter_thread, library_versions, load_pools, machine_line, write_jsonl  # noqa: E402

TARGET_MB = 500
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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--comments", type=int, default=1_000_000, help="comments to stream (default %(default)s)")
    parser.add_argument("--size", choices=("tiny", "base"), default="tiny", help="fixture model size (default tiny)")
    parser.add_argument("--chunk-size", type=int, default=None, help="passed to the CLI (default: the CLI's)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    if args.comments < 2:
        parser.error("--comments must be >= 2")

    from xhs_translate.models.install import install_package
    from xhs_translate.testing import cached_package

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
    print(f"machine: {machine_line()}; versions: " + ", ".join(f"{k} {v}" for k, v in library_versions().items()))
    if out_lines != n:
        print(f"ERROR: {n} comments in, {out_lines} lines out", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
