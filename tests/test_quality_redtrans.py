"""Issue 21 §7: benchmarks/quality.py reads RedTrans-Bench's JSON shape and reports, per direction and source type,
BLEU, chrF and span fidelity. RedTrans-Bench itself (CC BY-NC-SA) is not in the repository: the file here is
hand-written in its shape (a list of {"zh", "en", "src_lang", "dst_lang", "source"}, arXiv 2504.07901)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[1] / "benchmarks"
sys.path.insert(0, str(BENCH))

import quality  # noqa: E402

ITEMS = [
    {"zh": "今天去了哈尔滨😭太冷了[笑哭R] @小红薯", "en": "Went to Harbin today 😭 so cold [笑哭R] @小红薯",
     "src_lang": "zh", "dst_lang": "en", "source": "comment"},
    {"zh": "好看！链接 https://xhslink.com/a/xyz 🥹", "en": "Pretty! Link https://xhslink.com/a/xyz 🥹",
     "src_lang": "zh", "dst_lang": "en", "source": "comment"},
    {"zh": "秋冬穿搭分享", "en": "Autumn and winter outfit sharing", "src_lang": "zh", "dst_lang": "en",
     "source": "note-title"},
    {"zh": "第一次来小红书 #我们的声音# #哈尔滨[话题]#", "en": "First time on RedNote #Our voice# #Harbin[Topic]#",
     "src_lang": "zh", "dst_lang": "en", "source": "note-content"},
    {"zh": "你好，来自俄亥俄州！", "en": "Hi from Ohio! 🫡 #tiktokrefugee", "src_lang": "en", "dst_lang": "zh",
     "source": "comment"},
]


def test_span_fidelity_counts_each_kind_kept_verbatim_or_as_a_hashtag_form():
    sources = ["好看😭[笑哭R] @小红薯 https://xhslink.com/a/xyz #哈尔滨[话题]# #碘喷雾"]
    kept = quality.span_fidelity(sources, ["pretty 😭 @小红薯 #Harbin[Topic]# https://xhslink.com/a/xyz"])
    assert kept == {"emoji": (1, 1), "emoji_code": (0, 1), "hashtag": (1, 2), "mention": (1, 1), "url": (1, 1)}
    assert quality.fidelity_cells(kept) == ["66.7%", "1/1", "0/1", "1/2", "1/1", "1/1"]
    assert quality.span_fidelity(sources, [None])["url"] == (0, 1)  # a failed output keeps nothing


def test_load_redtrans_groups_by_direction_and_source(tmp_path):
    path = tmp_path / "bench.json"
    path.write_text(json.dumps(ITEMS, ensure_ascii=False), encoding="utf-8")
    groups = quality.load_redtrans(path, None)
    assert sorted(groups) == [("en", "zh", "comment"), ("zh", "en", "comment"), ("zh", "en", "note-content"),
                              ("zh", "en", "note-title")]
    assert groups[("en", "zh", "comment")] == (["Hi from Ohio! 🫡 #tiktokrefugee"], ["你好，来自俄亥俄州！"])
    assert len(quality.load_redtrans(path, 1)[("zh", "en", "comment")][0]) == 1


def test_quality_redtrans_reports_per_direction_and_source(tmp_path, models_dir):
    path = tmp_path / "bench.json"
    path.write_text(json.dumps(ITEMS, ensure_ascii=False), encoding="utf-8")
    proc = subprocess.run([sys.executable, str(BENCH / "quality.py"), "--redtrans", str(path), "--models-dir",
                           str(models_dir), "--allow-fixture"], capture_output=True, text=True, timeout=240)
    assert proc.returncode == 0, proc.stderr
    rows = [[cell.strip() for cell in line.strip("|").split("|")] for line in proc.stdout.splitlines()
            if line.startswith("| ") and "->" in line]
    assert [(r[0], r[1]) for r in rows] == [("en->zh", "comment"), ("zh->en", "comment"), ("zh->en", "note-content"),
                                            ("zh->en", "note-title")]
    by_source = {(r[0], r[1]): r for r in rows}
    # the demo models' output is gibberish, but the spans never reach them: all kept
    assert by_source[("zh->en", "comment")][6:] == ["100.0%", "2/2", "1/1", "0/0", "1/1", "1/1"]
    assert by_source[("zh->en", "note-title")][6] == "-"  # no spans to keep
    assert float(by_source[("zh->en", "comment")][4]) >= 0 and "RANDOM-WEIGHT FIXTURE" in proc.stdout


def test_quality_redtrans_refuses_another_shape(tmp_path, models_dir):
    path = tmp_path / "bench.json"
    path.write_text(json.dumps([{"zh": "你好", "en": "hi"}]), encoding="utf-8")
    proc = subprocess.run([sys.executable, str(BENCH / "quality.py"), "--redtrans", str(path), "--models-dir",
                           str(models_dir), "--allow-fixture"], capture_output=True, text=True, timeout=240)
    assert proc.returncode == 1 and "lacks one of zh, en, src_lang, dst_lang, source" in proc.stderr
