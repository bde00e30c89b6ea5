"""Shared pieces of the benchmarks: a realistic comment-thread generator, the offline argostranslate
baseline shim, peak-RSS reading and the signature line.

Why a generator rather than a fixed file: the thread must be reproducible (seeded), sized on demand
(5,000 comments for throughput, 1,000,000 for streaming) and must never be copied from ``../shared/data``
into the repository. Text and lengths are sampled from ``../shared/data`` at run time when it exists;
without it the generator makes up text of similar lengths, so the benchmarks still run.
"""

from __future__ import annotations

import atexit
import json
import os
import platform
import re
import resource
import shutil
import sys
import tempfile
import types
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

# ../shared/data beside this checkout, also when xhs_translate is installed elsewhere (pip install .), for this
# process and the benchmark subprocesses it starts; set before xhs_translate.models.demo reads it.
os.environ.setdefault("XHS_TRANSLATE_SHARED_DATA", str(Path(__file__).resolve().parents[2] / "shared" / "data"))
# The fixture models, the redis-server and the Chromium are the tests' (tests/testkit): one copy, imported as the
# tests import it (pytest puts tests/ on sys.path).
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from xhs_translate.models.demo import SHARED_DATA_DIR as SHARED_DATA

#: A Han character: a comment with one goes zh->en in the benchmarks' loads, one without en->zh.
HAN = re.compile(r"[\u3400-\u9fff]")

#: Short comments that real threads repeat verbatim ("exact repeats").
STOCK_REPEATS = (
    "哈哈哈", "哈哈哈哈哈哈", "[赞R]", "[笑哭R]", "好可爱", "求链接", "蹲", "绝绝子", "yyds", "家人们谁懂啊",
    "welcome!", "so cute", "lol", "Welcome to RedNote!", "hello from the US 👋", "+1", "😂😂😂", "[doge]",
)
#: Decorations Xiaohongshu comments carry; protected spans in the pipeline.
_XHS_DECOR = ("[赞R]", "[笑哭R]", "[doge]", "[哭惹R]", "😂", "👍", "❤️", "🥺", "#日常[话题]#", "#tiktokrefugee")

_IP = ("上海", "北京", "广东", "浙江", "四川", "美国", "加拿大", "英国", "台湾", "香港")


@dataclass(frozen=True)
class TextPools:
    """Where comment texts come from: ``source`` is ``shared`` or ``generated``."""

    zh: tuple[str, ...]
    en: tuple[str, ...]
    source: str


def _read_lines(path: Path) -> list[str]:
    return [line.strip() for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def load_pools(data_dir: Path = SHARED_DATA, seed: int = 0) -> TextPools:
    """Chinese and English comment texts: real short text from ``data_dir``, or generated text without it.

    Chinese mixes Tatoeba ``cmn_Hans`` everyday sentences, lingua single words / word pairs (the "哈哈",
    "好可爱" sizes) and a few long Leipzig and FLORES sentences; English is the tweeteval tweets.
    """
    par = data_dir / "parallel"
    try:
        zho = _read_lines_keep(par / "tatoeba-test-v2021-08-07.eng-zho.zho")
        labels = _read_lines_keep(par / "tatoeba-test-v2021-08-07.eng-zho.zho.labels")
        tatoeba = [t for t, lab in zip(zho, labels) if lab == "cmn_Hans" and t]
        words = _read_lines(data_dir / "langid" / "zh" / "single-words.txt")
        pairs = _read_lines(data_dir / "langid" / "zh" / "word-pairs.txt")
        long_zh = _read_lines(data_dir / "langid" / "zh" / "sentences.txt")[:300]
        long_zh += _read_lines(par / "flores200_devtest.zho_Hans")[:200]
        tweets = _read_lines(data_dir / "comments" / "en_tweeteval_sentiment_test_text.txt")
    except OSError:
        return _generated_pools(seed)
    # Weights by repetition: mostly short everyday sentences, many 1-4 character comments, some long ones.
    zh = tatoeba * 2 + words[:500] + pairs + long_zh
    return TextPools(zh=tuple(zh), en=tuple(tweets), source="shared")


def _read_lines_keep(path: Path) -> list[str]:
    """Lines with their positions kept (aligned files), stripped."""
    return [line.strip() for line in path.read_text(encoding="utf-8").splitlines()]


_GEN_ZH = (
    "的一是不了人我在有他这中大来上个们到说时地也子就道要出会可下而过天去能对小多然于心学么之都好看起发当"
    "没成只如事把还用第样想作种开美总从无情己面最女但现前些所同日手又行意动方期它头经长儿回位分爱老因很给"
    "名法间斯知世什两次使身者被高已亲其进此话常与活正感"
)
_GEN_EN = ("so", "cute", "this", "is", "the", "best", "app", "ever", "hello", "from", "love", "your", "cat",
           "what", "are", "you", "eating", "lol", "omg", "welcome", "thanks", "for", "sharing", "i", "can't",
           "believe", "it", "great", "food", "looks", "amazing", "where", "buy", "that", "dress", "haha")


def _generated_pools(seed: int) -> TextPools:
    rng = np.random.default_rng(seed)
    zh = []
    for _ in range(3000):
        n = int(min(60, max(1, rng.lognormal(2.0, 0.8))))
        zh.append("".join(rng.choice(list(_GEN_ZH), n)) + str(rng.choice(["", "。", "！", "？"])))
    en = []
    for _ in range(2000):
        n = int(min(30, max(1, rng.lognormal(2.0, 0.6))))
        en.append(" ".join(rng.choice(_GEN_EN, n)).capitalize() + str(rng.choice(["", ".", "!", "?"])))
    return TextPools(zh=tuple(zh), en=tuple(en), source="generated")


def iter_thread(
    n: int, *, seed: int = 0, repeat_share: float = 0.10, zh_share: float = 2 / 3, pools: TextPools | None = None
) -> Iterator[dict]:
    """Yield ``n`` MediaCrawler-shaped Xiaohongshu comment dicts (the pre-2025 schema), deterministically.

    ``repeat_share`` of them are exact repeats of stock short comments; of the rest ``zh_share`` are Chinese.
    About a quarter are replies to one of the last few comments, as in real threads.
    """
    if not 0.0 <= repeat_share <= 1.0:
        raise ValueError("repeat_share must be between 0 and 1")
    pools = pools or load_pools(seed=seed)
    rng = np.random.default_rng(seed)
    base_time = 1_736_800_000_000  # 2025-01-13, the RedNote wave
    for i in range(n):
        roll = rng.random()
        if roll < repeat_share:
            text = STOCK_REPEATS[int(rng.integers(len(STOCK_REPEATS)))]
        else:
            pool = pools.zh if rng.random() < zh_share else pools.en
            text = pool[int(rng.integers(len(pool)))]
            if rng.random() < 0.2:
                text += _XHS_DECOR[int(rng.integers(len(_XHS_DECOR)))]
        comment_id = f"6786{i:012d}"
        parent = 0
        if i and rng.random() < 0.25:
            parent = f"6786{max(0, i - 1 - int(rng.integers(20))):012d}"
        t = base_time + i * 1_000
        yield {
            "comment_id": comment_id,
            "create_time": t,
            "ip_location": _IP[int(rng.integers(len(_IP)))],
            "note_id": "6784a0b1000000001d03f2a1",
            "content": text,
            "user_id": f"5f{int(rng.integers(1 << 40)):022x}",
            "nickname": f"user{int(rng.integers(100000))}",
            "avatar": "https://sns-avatar-qc.xhscdn.com/avatar/placeholder.jpg",
            "sub_comment_count": "0",
            "pictures": "",
            "parent_comment_id": parent,
            "last_modify_ts": t + 5_000,
            "like_count": str(int(rng.integers(0, 500))),
        }


def generate_thread(n: int, **kwargs) -> list[dict]:
    return list(iter_thread(n, **kwargs))


def write_jsonl(comments, path: Path) -> int:
    """Stream comments to a JSONL file (one ``json.dumps`` per line); returns the count written."""
    count = 0
    with open(path, "w", encoding="utf-8") as fh:
        for c in comments:
            fh.write(json.dumps(c, ensure_ascii=False))
            fh.write("\n")
            count += 1
    return count


# --------------------------------------------------------------------------- argostranslate baseline

#: What the shim replaces, printed with every Argos measurement.
ARGOS_SHIM_NOTE = (
    "argostranslate installed with `pip install --no-deps argostranslate`; its `stanza` and `minisbd` imports are "
    "stubbed in-process, and the only behavioural replacement is minisbd's SBDetect (the sentence splitter, which "
    "downloads an ONNX model on first use) -> an offline regex splitter on . ! ? 。！？… ; everything else "
    "(translate(), batching by ARGOS_BATCH_SIZE=32 tokens, beam ARGOS_BEAM_SIZE, tokenizer, CTranslate2 call) is "
    "argostranslate's own code"
)

_SENTENCE_END = re.compile(r"(?<=[。！？!?…])|(?<=\.)(?=\s)")


def regex_sentences(text: str) -> list[str]:
    """Offline stand-in for minisbd: split after sentence-final punctuation, drop empty pieces."""
    return [s for s in (p.strip() for p in _SENTENCE_END.split(text)) if s]


class _RegexSBDetect:
    """Same interface as ``minisbd.SBDetect`` (``sentences(text) -> list[str]``)."""

    def __init__(self, lang, use_gpu=False):
        self.lang = lang

    def sentences(self, text: str) -> list[str]:
        return regex_sentences(text) or [text]


def import_argostranslate(packages_dir: Path, *, beam_size: int | None = None, threads: int | None = None):
    """Import ``argostranslate.translate`` offline, reading packages from ``packages_dir`` only.

    Its settings module reads the environment at import time and creates data/config/cache folders, so
    those are pointed at a private temporary folder (removed at exit) first. Returns the module, or None
    when argostranslate is not installed.
    """
    root = Path(tempfile.mkdtemp(prefix="argos-state-"))
    atexit.register(shutil.rmtree, root, ignore_errors=True)
    env = {
        "ARGOS_PACKAGES_DIR": str(packages_dir),
        "XDG_DATA_HOME": str(root / "data"),
        "XDG_CONFIG_HOME": str(root / "config"),
        "XDG_CACHE_HOME": str(root / "cache"),
        "ARGOS_DEVICE_TYPE": "cpu",
        "ARGOS_COMPUTE_TYPE": "int8",
    }
    if beam_size is not None:
        env["ARGOS_BEAM_SIZE"] = str(beam_size)
    if threads is not None:
        env["ARGOS_INTRA_THREADS"] = str(threads)
    os.environ.update(env)
    if "stanza" not in sys.modules:
        sys.modules["stanza"] = types.ModuleType("stanza")  # only referenced by StanzaSentencizer, never used here
    if "minisbd" not in sys.modules:
        minisbd = types.ModuleType("minisbd")
        models = types.ModuleType("minisbd.models")
        models.cache_dir = ""
        models.list_models = lambda: ["en", "zh-hans", "zh-hant"]
        minisbd.SBDetect = _RegexSBDetect
        minisbd.models = models
        sys.modules["minisbd"] = minisbd
        sys.modules["minisbd.models"] = models
    try:
        import argostranslate.translate as argos_translate
    except ImportError:
        return None
    return argos_translate


def argos_version() -> str | None:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("argostranslate")
    except PackageNotFoundError:
        return None


# --------------------------------------------------------------------------- measurement helpers


def peak_rss_mb() -> float:
    """Peak resident set size of this process in MiB (Linux reports ru_maxrss in KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def current_rss_mb() -> float:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / (1024 * 1024)


def library_versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    out = {"python": platform.python_version()}
    for name in ("xhs-translate", "ctranslate2", "sentencepiece", "argostranslate", "numpy"):
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            out[name] = "absent"
    return out


def machine_line() -> str:
    return f"{platform.machine()} {os.cpu_count()} logical cores, {platform.system()} {platform.release()}"


def format_table(headers: list[str], rows: list[list[str]]) -> str:
    """A Markdown table, so the output can be pasted into benchmarks/README.md verbatim."""
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(headers)]
    line = lambda cells: "| " + " | ".join(c.ljust(w) for c, w in zip(cells, widths)) + " |"  # noqa: E731
    sep = "|" + "|".join("-" * (w + 2) for w in widths) + "|"
    return "\n".join([line(headers), sep, *(line(r) for r in rows)])
