"""Two small costs of issue 23 §7, each measured as the old path against the new one in the same process,
interleaved and repeated, with CPU seconds beside wall time:

- ``batcher``: the cross-request batcher measured each text with the tokenizer (``tokenizer.count``), then the
  engine tokenised it again (``tokenizer.encode``); now the batcher's tokens go to the engine
  (``tokenizer.encode_each`` -> ``Engine.translate(encoded=)``). Two rows: the tokenising alone, and whole
  ``BatchingEngine.translate`` calls (``token_counter`` = the old path, ``token_encoder`` = the new one), which
  include the model's decoding of the ``tiny`` (or ``--size base``) random-weight zh->en package;
- ``detection``: ``detection._detect_auto`` stripped protected spans from the texts the planner had already
  stripped (``_planning.content_of`` and sentence cores); now ``detect_many(stripped=True)`` skips that.

Texts: the real comments of ``../shared/data/dev`` when present (read at run time, never copied), else the
generated thread of ``_common``.

    python benchmarks/small_costs.py [--repeats 7] [--texts 2000] [--size tiny]
"""

from __future__ import annotations

import argparse
import csv
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common


def comment_texts(limit: int) -> tuple[list[str], str]:
    """Distinct comment texts: the dev exports' ``content`` column, else generated comments."""
    found: dict[str, None] = {}
    for path in sorted((_common.SHARED_DATA / "dev").glob("*comments*.csv")):
        with path.open(encoding="utf-8-sig", newline="") as f:
            for row in csv.DictReader(f):
                text = (row.get("content") or row.get("Content") or "").strip()
                if text:
                    found[text] = None
    if found:
        return list(found)[:limit], "shared/data/dev"
    return list(dict.fromkeys(c["content"] for c in _common.generate_thread(limit * 2)))[:limit], "generated"


def timed(fn: Callable[[], object]) -> tuple[float, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    fn()
    return time.perf_counter() - wall, time.process_time() - cpu


def compare(name: str, old: Callable[[], object], new: Callable[[], object], repeats: int) -> dict:
    """Interleaved runs (old, new, new, old, ...); the medians and the new/old ratio of each."""
    runs: dict[str, list[tuple[float, float]]] = {"old": [], "new": []}
    for r in range(repeats):
        order = (("old", old), ("new", new)) if r % 2 == 0 else (("new", new), ("old", old))
        for label, fn in order:
            runs[label].append(timed(fn))

    def median(label: str, k: int) -> float:
        values = sorted(run[k] for run in runs[label])
        return values[len(values) // 2]

    row: dict[str, Any] = {"name": name, **{f"{label}_{kind}": median(label, k) for label in runs for k, kind in
                            enumerate(("wall", "cpu"))}}
    row["ratio_wall"] = row["new_wall"] / row["old_wall"]
    row["ratio_cpu"] = row["new_cpu"] / row["old_cpu"] if row["old_cpu"] else float("nan")
    return row


def batcher_rows(texts: list[str], size: str, repeats: int) -> list[dict]:
    from testkit.models import cached_package

    from xhs_translate.models.batching import BatchingEngine, token_counter, token_encoder
    from xhs_translate.models.engine import DecodeOptions, load_engine
    from xhs_translate.models.install import install_package
    from xhs_translate.models.packages import find_package

    with tempfile.TemporaryDirectory() as root:
        install_package(cached_package("zh", "en", size=size), models_dir=root)
        package = find_package("zh", "en", root)
        assert package is not None
        engine = load_engine(package)
        tokenizer = engine.tokenizer
        rows = [compare("tokenise (count, then encode) vs encode_each",
                        lambda: (tokenizer.count(texts), tokenizer.encode(texts)),
                        lambda: tokenizer.encode_each(texts), repeats)]
        old = BatchingEngine(engine, token_counter(engine), max_wait=0.0)
        new = BatchingEngine(engine, token_encoder(engine), max_wait=0.0)
        options = DecodeOptions()
        assert old.translate(texts, options).translations == new.translate(texts, options).translations
        rows.append(compare(f"BatchingEngine.translate, {size} model", lambda: old.translate(texts, options),
                            lambda: new.translate(texts, options), repeats))
        old.close()
        new.close()
    return rows


def detection_row(texts: list[str], repeats: int) -> dict:
    from xhs_translate._planning import Sentence, content_of, split_text
    from xhs_translate.detection import detect_many

    contents: list[str] = []
    for text in texts:
        parts = split_text(text)
        contents.append(content_of(parts))
        contents.extend(p.core for p in parts if type(p) is Sentence)
    assert detect_many(contents) == detect_many(contents, stripped=True)
    return compare("detect_many on the planner's content", lambda: detect_many(contents),
                   lambda: detect_many(contents, stripped=True), repeats)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--texts", type=int, default=2000)
    parser.add_argument("--size", choices=("tiny", "base"), default="tiny")
    args = parser.parse_args(argv)
    texts, source = comment_texts(args.texts)
    print(f"{len(texts)} distinct comments from {source}; medians of {args.repeats} interleaved runs; "
          "old = before issue 23 §7, new = after")
    print_rows([*batcher_rows(texts, args.size, args.repeats), detection_row(texts, args.repeats)])
    return 0


def print_rows(rows: list[dict], width: int = 50, digits: int = 4) -> None:
    """The :func:`compare` rows as a table (old and new medians, new/old ratios), then the machine."""
    print(f"{'what':<{width}} {'old wall':>9} {'new wall':>9} {'ratio':>6} {'old cpu':>9} {'new cpu':>9} {'ratio':>6}")
    for row in rows:
        print(f"{row['name']:<{width}} {row['old_wall']:>8.{digits}f}s {row['new_wall']:>8.{digits}f}s "
              f"{row['ratio_wall']:>6.2f} {row['old_cpu']:>8.{digits}f}s {row['new_cpu']:>8.{digits}f}s "
              f"{row['ratio_cpu']:>6.2f}")
    print(_common.machine_line())


if __name__ == "__main__":
    sys.exit(main())
