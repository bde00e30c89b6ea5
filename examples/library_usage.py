"""Using xhs-translate from another application: translate a thread in memory, read the stats.

Run it from the repository root once models are installed (`xhs-translate models install zh en`, or
offline `xhs-translate models install translate-zh_en-*.argosmodel`):

    python examples/library_usage.py [--models-dir DIR] [--cache PATH]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from xhs_translate import ModelNotInstalledError, Translator

THREAD = Path(__file__).with_name("rednote_thread.json")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models-dir", help="Argos packages folder (default: the argospm one)")
    parser.add_argument("--cache", help="translation cache file (default: the user cache folder)")
    args = parser.parse_args()

    comments = json.loads(THREAD.read_text(encoding="utf-8"))
    # One Translator per app: it holds the loaded models and the cache, and is safe to share across threads.
    with Translator(models_dir=args.models_dir, cache=args.cache, target="auto", errors="raise") as translator:
        try:
            translated = translator.translate_thread(comments)
        except ModelNotInstalledError as exc:
            print(f"cannot translate yet: {exc}", file=sys.stderr)
            return 1
        report(translator, comments, translated)
        # A single text, outside any thread:
        one = translator.translate("家人们谁懂啊 [笑哭R]", target="en")
        print(f"\n{one.translation!r} ({one.status})")
    return 0


def report(translator: Translator, comments: list[dict], translated: list[dict]) -> None:
    """A few translated comments, and what the run cost."""
    for comment in translated[:6]:
        print(f"[{comment['source_lang']}->{comment['target_lang'] or '-'}] {comment['content']}")
        print(f"    {comment['translation_status']}: {comment['translation']}")
    # Every original field is kept; the originals themselves are never modified.
    assert all(t[k] == c[k] for t, c in zip(translated, comments) for k in c)

    stats = translator.stats()
    print(
        f"\n{stats['comments']} comments: {stats['segments_translated']} segments sent to the model in "
        f"{stats['model_batches']} batches, {stats['cache_hits']} cache hits; "
        f"models: {', '.join(translator.signature.models) or 'none'}"
    )
    print(f"signature: {translator.signature}")


if __name__ == "__main__":
    sys.exit(main())
