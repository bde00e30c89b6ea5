"""What the padded length bands cost (issue 24), on one engine, interleaved runs, CPU beside wall:

- ``bulk``: ``Engine.translate`` of the same real comments (zh->en and en->zh, as the library decodes a thread)
  with the current ``PADDED_LENGTHS`` against another first band (``--first-band``, default 8: the table before
  16 became the first band), the larger bands unchanged. The bands change outputs, never the work's size, so
  the ratio is what the other table would cost in bulk;
- ``filler``: one band's small batches as the engine sends them (with the filler source that pads them to the
  band) against the same batches without it (padded only to their longest: not batch-independent, hence the
  price of that guarantee), per batch size, on one thread, as the server decodes.

Texts: the real comments of ``../shared/data/dev`` when present (read at run time, never copied), else the
generated thread of ``_common``.

    python benchmarks/band_costs.py [--repeats 3] [--texts 1050] [--size base] [--first-band 8] [--sizes 1,3,6,12]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from contextlib import contextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import HAN
from small_costs import comment_texts, compare, print_rows


@contextmanager
def bands(table: tuple[int, ...]):
    """The engine pads by ``table`` meanwhile (its module's copy of ``config.PADDED_LENGTHS``)."""
    from xhs_translate.models import engine

    saved = engine.PADDED_LENGTHS
    engine.PADDED_LENGTHS = table
    try:
        yield
    finally:
        engine.PADDED_LENGTHS = saved


def split_languages(texts: list[str], count: int) -> tuple[list[str], list[str]]:
    """Two thirds Chinese and one third English comments, ``count`` in all (as in a RedNote thread)."""
    zh = [t for t in texts if HAN.search(t)]
    en = [t for t in texts if not HAN.search(t)]
    return zh[: count * 2 // 3], en[: count - count * 2 // 3]


def bulk_row(engines: dict, zh: list[str], en: list[str], first: int, repeats: int) -> dict:
    from xhs_translate.config import PADDED_LENGTHS

    other = (first, *(b for b in PADDED_LENGTHS if b > first))

    def run(table: tuple[int, ...]):
        def decode() -> None:
            with bands(table):
                engines["zh"].translate(zh)
                engines["en"].translate(en)
        return decode

    return compare(f"bulk, {len(zh)} zh + {len(en)} en: first band {first} vs {PADDED_LENGTHS[0]}",
                   run(other), run(PADDED_LENGTHS), repeats)


def filler_rows(engine, zh: list[str], sizes: list[int], repeats: int) -> list[dict]:
    from xhs_translate.config import PADDED_LENGTHS, DecodeOptions
    from xhs_translate.models.engine import decoding_length, padded_sources

    options = DecodeOptions()
    band = PADDED_LENGTHS[0]  # most comments' band; sources shorter than it, so each batch gets a filler
    tokens = [t for t in engine.tokenizer.encode(zh)[0] if len(t) < band][:120] if zh else []
    if not tokens:
        return []
    model = engine._translator

    def decode(with_filler: bool, size: int):
        def run() -> None:
            for k in range(0, len(tokens), size):
                batch = tokens[k : k + size]
                model.translate_batch(padded_sources(batch) if with_filler else batch, max_batch_size=0,
                                      beam_size=options.beam_size, max_decoding_length=decoding_length(band, options),
                                      no_repeat_ngram_size=options.no_repeat_ngram_size, return_scores=True)
        return run

    return [compare(f"filler, band {band}, batches of {size} ({len(tokens)} texts)", decode(False, size),
                    decode(True, size), repeats) for size in sizes]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--texts", type=int, default=1050)
    parser.add_argument("--size", choices=("tiny", "base"), default="base")
    parser.add_argument("--first-band", type=int, default=8)
    parser.add_argument("--sizes", default="1,3,6,12", help="batch sizes of the filler rows")
    args = parser.parse_args(argv)
    from testkit.models import cached_package

    from xhs_translate.models.engine import load_engine
    from xhs_translate.models.install import install_package
    from xhs_translate.models.packages import find_package

    texts, source = comment_texts(100_000)
    zh, en = split_languages(texts, args.texts)
    print(f"{len(zh)} + {len(en)} distinct comments from {source}; {args.size} models; medians of {args.repeats} "
          "interleaved runs; old = the other table / no filler, new = the current table / with the filler")
    with tempfile.TemporaryDirectory() as root:
        for pair in (("zh", "en"), ("en", "zh")):
            install_package(cached_package(*pair, size=args.size), models_dir=root)
        engines = {src: load_engine(find_package(src, dst, root)) for src, dst in (("zh", "en"), ("en", "zh"))}
        one_thread = load_engine(find_package("zh", "en", root), inter_threads=1, intra_threads=1)
        rows = [bulk_row(engines, zh, en, args.first_band, args.repeats),
                *filler_rows(one_thread, zh, [int(s) for s in args.sizes.split(",")], args.repeats)]
    print_rows(rows, width=62, digits=3)
    return 0


if __name__ == "__main__":
    sys.exit(main())
