"""Real Xiaohongshu exports in ../shared/data/dev: no protected span is lost in translation.

Every ``xhs_*.csv`` export there (MediaCrawler CSVs) is translated whole with the tiny random-weight models
(the real CTranslate2/SentencePiece path; gibberish text), and each protected span of each source comment
(sticker codes such as ``[扯脸H]``, emoji, mentions, URLs; a hashtag's markers, whose words are translated) must come
back verbatim in its translation. The rows are read at run time and never copied into the project; the test skips
without them.
"""

from __future__ import annotations

import csv
import re
from collections import Counter
from pathlib import Path

import pytest

from xhs_translate.spans import EMOJI_CODE, HASHTAG, hashtag_parts, split_spans
from xhs_translate.translator import translate_thread

_TOKEN = re.compile(r"\[[^\[\]\s]{1,12}\]")  # a sticker-like bracketed token, as the grammar is stated


def _exports(shared_data: Path) -> list[Path]:
    exports = sorted((shared_data / "dev").glob("xhs_*.csv"))
    if not exports:
        pytest.skip(f"no xhs_*.csv export in {shared_data / 'dev'}")
    return exports


def _rows(path: Path) -> list[dict]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def test_every_real_export_loses_no_protected_span(shared_data, models_dir):
    codes_seen = 0
    for path in _exports(shared_data):
        rows = _rows(path)
        out = translate_thread(rows, models_dir=models_dir, cache=False, errors="mark")
        assert len(out) == len(rows), path.name
        lost = []
        for row in out:
            if row["translation"] is None:  # not translated: the comment's own text is all there is
                continue
            # what split_spans protects, and, independently of it, every short bracketed token
            # a hashtag's words are translated (issue 21): its markers must come back
            protected = Counter(piece for s in split_spans(row["content"]) if s.protected
                                for piece in (hashtag_parts(s.text)[::2] if s.kind == HASHTAG else (s.text,)) if piece)
            protected |= Counter(_TOKEN.findall(row["content"]))
            codes_seen += sum(n for text, n in protected.items() if text.startswith("["))
            kept = Counter({text: row["translation"].count(text) for text in protected})
            if any(kept[text] < n for text, n in protected.items()):
                lost.append((row["comment_id"], sorted(protected - kept)))
        assert lost == [], f"{path.name}: {len(lost)} comments lost protected spans, e.g. {lost[:3]}"
    assert codes_seen > 0  # the exports do carry sticker codes: the test checked something


def _protected_ranges(text: str) -> list[tuple[int, int, str]]:
    ranges, pos = [], 0
    for span in split_spans(text):
        if span.protected:
            ranges.append((pos, pos + len(span.text), span.kind))
        pos += len(span.text)
    return ranges


def test_every_bracketed_sticker_token_in_the_real_exports_is_protected(shared_data):
    """The grammar covers what real Xiaohongshu exports carry: every bracketed token of at most 12
    characters without a space (``[笑哭R]``, ``[扯脸H]``, ``[okR]``, ``[doge]``) is an ``emoji_code`` span,
    or part of a hashtag (``#话题名[话题]#``)."""
    unprotected: Counter = Counter()
    found = 0
    for path in _exports(shared_data):
        for row in _rows(path):
            text = row["content"]
            ranges = _protected_ranges(text)
            for match in _TOKEN.finditer(text):
                found += 1
                start, end = match.span()
                if not any(s <= start and end <= e and kind in (EMOJI_CODE, HASHTAG) for s, e, kind in ranges):
                    unprotected[match.group()] += 1
    assert found > 0
    assert not unprotected, unprotected.most_common(10)
