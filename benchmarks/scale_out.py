"""Scale-out: one process vs Ray Data with 2 workers, Redis vs SQLite look-ups, and cache hit rates.

Sections:
  1. throughput on a generated thread (``--size`` models, no cache): one process with one CTranslate2 thread (the
     per-core rate), one process with the machine's default threads, and ``translate_dataset`` with 2 actors of
     one CPU each on a local Ray runtime; efficiency = rate / (workers x per-core rate). The Ray run includes its
     actors' start and model load; that fixed cost is measured on its own (a 1-record run) and shown too;
  2. look-ups in a warm cache of ``--entries`` segment entries: ``get_many`` of 1,000 keys at a time (one engine
     call's worth), SQLite file vs a local redis-server, with Redis' commands per call (INFO commandstats);
  3. on the real exports of ``../shared/data/dev`` (tiny models: the counts do not depend on the model): per file
     comments, distinct texts, segments and unique segments; cross-run hit rates (the files in turn on one Redis
     cache); cross-worker (Ray, 2 workers: segments decoded without a cache and with the shared Redis, hit rate
     within the run, Redis commands per batch).

    python benchmarks/scale_out.py [--comments 2000] [--size base] [--entries 100000] [--batch-size 1000] [--limit N]
"""

from __future__ import annotations

import argparse
import logging
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import SHARED_DATA, format_table, generate_thread, library_versions, machine_line, write_jsonl

PAIRS = (("zh", "en"), ("en", "zh"))
REAL_EXPORTS = ("xhs_sanming_2025-02-27.csv", "xhs_sanming_2025-05-15.csv", "xhs_aigc_techdev_comments.csv",
                "xhs_aigc_brandmarketing_comments.csv")
LOOKUP_BATCH = 1_000


def install_models(root: Path, size: str) -> Path:
    from testkit.models import cached_package

    from xhs_translate.models.install import install_package

    models = root / f"models-{size}"
    for pair in PAIRS:
        install_package(cached_package(*pair, size=size), models)
    return models


def rate(count: int, seconds: float) -> str:
    return f"{count / seconds:,.1f}"


# --------------------------------------------------------------------------- 1. throughput


def throughput(work: Path, args, ray) -> str:
    from xhs_translate.distributed import RunReport, read_json_lines, translate_dataset
    from xhs_translate.translator import Translator

    models = install_models(work, args.size)
    thread = generate_thread(args.comments, seed=args.seed)
    source = work / "thread.jsonl"
    write_jsonl(thread, source)
    rows, seconds = [], {}
    for name, options in (("one process, 1 thread (per-core rate)", {"inter_threads": 1, "intra_threads": 1}),
                          ("one process, default threads", {})):
        with Translator(models_dir=models, cache=False, **options) as translator:
            translator.translate_many(["预热", "warm up"])  # load both models before the clock starts
            before = translator.stats()["segments_translated"]
            started = time.perf_counter()
            translator.translate_thread(thread)
            seconds[name] = time.perf_counter() - started
            rows.append([name, f"{seconds[name]:.1f}", rate(len(thread), seconds[name]),
                         str(translator.stats()["segments_translated"] - before)])

    def ray_run(path: Path, workers: int) -> tuple[float, dict]:
        report = RunReport()
        out = translate_dataset(read_json_lines(path), models_dir=models, cache=False, concurrency=workers,
                                batch_size=args.batch_size, json_column="line", report=report)
        started = time.perf_counter()
        count = sum(table.num_rows for table in out.iter_batches(batch_size=None, batch_format="pyarrow"))
        elapsed = time.perf_counter() - started
        assert count == sum(1 for _ in path.open(encoding="utf-8"))
        return elapsed, report.stats()

    one = work / "one.jsonl"
    write_jsonl(thread[:1], one)
    fixed, _ = ray_run(one, 2)
    elapsed, stats = ray_run(source, 2)
    rows.append([f"Ray Data, 2 workers x 1 CPU (batches of {args.batch_size})", f"{elapsed:.1f}",
                 rate(len(thread), elapsed), str(stats["segments_translated"])])
    rows.append(["  the same, less the fixed cost of a run", f"{elapsed - fixed:.1f}",
                 rate(len(thread), elapsed - fixed), ""])
    per_core = len(thread) / seconds["one process, 1 thread (per-core rate)"]
    default = len(thread) / seconds["one process, default threads"]
    table = format_table(["run", "seconds", "comments/s", "segments decoded"], rows)
    return "\n".join([
        f"thread: {len(thread)} comments ({len({c['content'] for c in thread})} distinct texts), '{args.size}' models, "
        "no cache, beam 2",
        table,
        f"fixed cost of a Ray run (2 actors start, load the models, translate 1 record): {fixed:.1f} s",
        f"efficiency vs 2 x the per-core rate ({per_core:.1f} comments/s): one process with default threads "
        f"{default / (2 * per_core):.0%}; Ray 2 workers {len(thread) / elapsed / (2 * per_core):.0%} "
        f"({len(thread) / (elapsed - fixed) / (2 * per_core):.0%} less the fixed cost)",
    ])


# --------------------------------------------------------------------------- 2. look-ups


def lookups(work: Path, args, redis_server) -> str:
    from xhs_translate.cache import RedisCache, SqliteCache, encode_segment, segment_key
    from xhs_translate.results import ModelOutput

    keys = [segment_key("translate-zh_en@1.9", "zh", "en", "beam2", "int8", "g", f"第{i}条评论的一句话")
            for i in range(args.entries)]
    items = {key: encode_segment(ModelOutput(f"sentence {i} of a comment, translated", (), -4.5, 9))
             for i, key in enumerate(keys)}
    backends = {"SQLite (WAL file)": SqliteCache(work / "lookups.sqlite3"),
                f"Redis (local redis-server {redis_version(redis_server)}, loopback)": RedisCache(redis_server.url)}
    rows = []
    memory = redis_server.client().info("memory")["used_memory"]
    for name, backend in backends.items():
        for start in range(0, len(keys), 10_000):
            backend.put_many("segments", {key: items[key] for key in keys[start:start + 10_000]})
        if isinstance(backend, RedisCache):
            memory = (redis_server.client().info("memory")["used_memory"] - memory) / len(keys)
        runs = []
        redis_server.reset_calls()
        for _ in range(3):
            started = time.perf_counter()
            found = sum(len(backend.get_many("segments", keys[i:i + LOOKUP_BATCH]))
                        for i in range(0, len(keys), LOOKUP_BATCH))
            runs.append(time.perf_counter() - started)
            assert found == len(keys)
        calls = 3 * -(-len(keys) // LOOKUP_BATCH)
        commands = sum(redis_server.calls().values()) if isinstance(backend, RedisCache) else None
        best = statistics.median(runs)
        rows.append([name, f"{len(keys) / best:,.0f}", f"{best / calls * 3 * 1000:.2f}",
                     "n/a" if commands is None else f"{commands / calls:.2f}"])
        backend.close()
    value = sum(map(len, items.values())) / len(items)
    return "\n".join([
        f"warm cache of {len(keys):,} segment entries; get_many of {LOOKUP_BATCH:,} keys per call; median of 3 passes",
        format_table(["backend", "keys/s", "ms per call", "Redis commands per call"], rows),
        f"Redis memory: {memory:.0f} bytes per entry (key {len(keys[0]) + len('xhs-translate:v1:segments:')} "
        f"characters, value {value:.0f} on average; INFO memory used_memory)",
    ])


def redis_version(redis_server) -> str:
    return redis_server.client().info("server")["redis_version"]


# --------------------------------------------------------------------------- 3. hit rates on real exports


def real_exports(work: Path, args, ray, redis_server) -> str:
    from xhs_translate.cache import RedisCache
    from xhs_translate.distributed import RunReport, read_json_lines, translate_dataset
    from xhs_translate.io import InputSpec, iter_records
    from xhs_translate.translator import Translator

    files = [SHARED_DATA / "dev" / name for name in REAL_EXPORTS]
    if not all(path.is_file() for path in files):
        return f"skipped: the real exports are not in {SHARED_DATA / 'dev'}"
    models = install_models(work, "tiny")
    exports = {path.name: list(iter_records(InputSpec(str(path), "csv")))[:args.limit] for path in files}
    rows, cross = [], []
    RedisCache(redis_server.url).clear()
    for name, records in exports.items():
        texts = [r["content"] for r in records]
        plain = Translator(models_dir=models, cache=False)
        plain.translate_thread(records)
        counts = plain.stats()
        unique = counts["unique_segments"]
        rows.append([name, str(len(records)), f"{len(set(texts))} ({1 - len(set(texts)) / len(texts):.0%} dup)",
                     str(counts["segments"]), f"{unique} ({1 - unique / max(1, counts['segments']):.0%} dup)"])
        shared = Translator(models_dir=models, cache=redis_server.url)  # a new run on the cache the earlier ones filled
        shared.translate_thread(records)
        stats = shared.stats()
        lookups = stats["cache_hits"] + stats["cache_misses"]
        cross.append([name, f"{stats['comment_hits'] / len(records):.1%}",
                      f"{stats['cache_hits'] / lookups:.1%}" if lookups else "n/a", str(stats["segments_translated"])])
    everything = [record for records in exports.values() for record in records]
    single = Translator(models_dir=models, cache=False)
    single.translate_thread(everything)
    combined = work / "real.jsonl"
    write_jsonl(everything, combined)
    workers = []
    RedisCache(redis_server.url).clear()
    for label, cache in (("no cache", False), ("one shared Redis, empty at start", redis_server.url),
                         ("the same Redis again (warm)", redis_server.url)):
        redis_server.reset_calls()
        report = RunReport()
        out = translate_dataset(read_json_lines(combined), models_dir=models, cache=cache, concurrency=2,
                                batch_size=args.batch_size, json_column="line", report=report)
        started = time.perf_counter()
        out = out.materialize()
        elapsed = time.perf_counter() - started
        assert out.count() == len(everything)
        stats = report.stats()
        lookups = stats["cache_hits"] + stats["cache_misses"]
        commands = sum(redis_server.calls().values()) if cache else 0
        workers.append([f"Ray, 2 workers, {label}", str(stats["batches"]), str(stats["segments_translated"]),
                        f"{stats['cache_hits'] / lookups:.1%}" if lookups else "n/a",
                        f"{stats['comment_hits'] / stats['comments']:.1%}",
                        f"{commands / stats['batches']:.1f}" if cache else "n/a", rate(len(everything), elapsed)])
    started = time.perf_counter()
    with (work / "out.jsonl").open("w", encoding="utf-8") as sink:  # what `translate --ray` does with JSONL in and out
        for table in out.iter_batches(batch_size=None, batch_format="pyarrow"):
            sink.writelines(line + "\n" for line in table.column("line").to_pylist())
    driver = len(everything) / (time.perf_counter() - started)
    workers.insert(0, ["one process (the whole input deduplicated at once)", "1",
                       str(single.stats()["segments_translated"]), "n/a", "n/a", "n/a", ""])
    return "\n".join([
        f"real Xiaohongshu exports (MediaCrawler CSV) from {SHARED_DATA / 'dev'}; tiny models (counts only)",
        format_table(["file", "comments", "distinct texts", "segments", "unique segments"], rows),
        "",
        "cross-run: each file is a new run (a new Translator) on one Redis cache that the files before it filled",
        format_table(["file", "whole comments from the cache", "segment hit rate", "segments decoded"], cross),
        "",
        f"cross-worker: all {len(everything)} comments, batches of {args.batch_size}",
        format_table(["run", "batches", "segments decoded", "segment hit rate", "whole comments from the cache",
                      "Redis commands per batch", "comments/s (tiny models)"], workers),
        "the driver, reading the last run's output blocks in order and writing them as JSONL: "
        f"{driver:,.0f} comments/s",
    ])


# --------------------------------------------------------------------------- main


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--comments", type=int, default=2000,
                        help="comments in the generated thread (default %(default)s)")
    parser.add_argument("--size", choices=("tiny", "base"), default="base", help="model size for section 1")
    parser.add_argument("--entries", type=int, default=100_000,
                        help="cache entries for section 2 (default %(default)s)")
    parser.add_argument("--batch-size", type=int, default=1000, help="records per Ray batch (default %(default)s)")
    parser.add_argument("--limit", type=int, default=None, help="records per real export (default: all)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    import ray
    from testkit.redis_server import RedisServer

    with tempfile.TemporaryDirectory(prefix="xhs-scale-") as tmp:
        work = Path(tmp)
        (work / "redis").mkdir()
        redis_server = RedisServer(work / "redis").start()
        load = os.getloadavg()[0]
        started = time.perf_counter()
        ray.init(num_cpus=2, include_dashboard=False, logging_level=logging.ERROR)
        ray_start = time.perf_counter() - started
        ray.data.DataContext.get_current().enable_progress_bars = False
        logging.getLogger("ray.data").setLevel(logging.ERROR)
        try:
            sections = [("1. one process vs Ray Data, 2 workers", throughput(work, args, ray)),
                        ("2. look-ups in a warm cache", lookups(work, args, redis_server)),
                        ("3. dedupe and hit rates on real exports", real_exports(work, args, ray, redis_server))]
        finally:
            ray.shutdown()
            redis_server.kill()
    versions = library_versions()
    from importlib.metadata import version

    for name in ("ray", "redis"):
        versions[name] = version(name)
    for title, text in sections:
        print(f"## {title}\n\n{text}\n")
    print(f"local Ray runtime: ray.init(num_cpus=2) took {ray_start:.1f} s; 1-minute load average "
          f"{load:.1f} at the start, {os.getloadavg()[0]:.1f} at the end (other jobs share these cores)")
    print(f"machine: {machine_line()}; versions: " + ", ".join(f"{k} {v}" for k, v in versions.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
