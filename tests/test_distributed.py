"""Ray Data scale-out on a local Ray runtime (two CPUs): every record once with its fields, the single process's
results, byte-identical output from a warm shared Redis cache, and a killed actor that loses nothing.

The runtime is started once for the module; each test runs one or two datasets (a few seconds each for the
actors to start), so keep them few."""

from __future__ import annotations

import logging
import os
import re
import signal

import pytest

from xhs_translate.cli import main
from xhs_translate.translator import Translator

from helpers import distributed_or_skip, write_jsonl
from hostile_inputs import CASES, READ

RECORDS = [
    {"comment_id": str(i), "content": text, "parent_comment_id": str(i // 3), "like_count": i * 7, "ip_location": "上海"}
    for i, text in enumerate([
        "这家店的拿铁真的好喝，周末还会再来 #咖啡",
        "Where is this cafe? It looks so cozy",
        "在静安寺附近。推荐燕麦拿铁！",
        "😋😋[赞R]",
        "哈哈哈 same here, 周末见",
        None,
        "第一行\u2028第二行也是中文",  # a line separator inside a value: JSONL lines split only at \n
        "so true lol",
        "   ",
        "@小红薯 你好呀",
    ] * 6)
]


@pytest.fixture(scope="module")
def ray_runtime():
    ray = distributed_or_skip("ray")
    import ray.data

    ray.init(num_cpus=2, include_dashboard=False, logging_level=logging.ERROR)
    ray.data.DataContext.get_current().enable_progress_bars = False
    yield ray
    ray.shutdown()


def by_id(records):
    return {r["comment_id"]: r for r in records}


def test_every_record_comes_out_once_with_the_single_process_results(ray_runtime, models_dir):
    from xhs_translate.distributed import RunReport, translate_dataset

    single = Translator(models_dir=models_dir, cache=False)
    expected = single.translate_thread(RECORDS)
    report = RunReport()
    out = translate_dataset(ray_runtime.data.from_items(RECORDS), models_dir=models_dir, cache=False, concurrency=2,
                            batch_size=8, report=report)
    rows = out.take_all()
    assert len(rows) == len(RECORDS) and by_id(rows) == by_id(expected)  # original fields and added ones
    stats = report.stats()
    assert stats["comments"] == len(RECORDS) and stats["batches"] >= len(RECORDS) / 8 and stats["workers"] in (1, 2)
    assert stats["statuses"] == single.stats()["statuses"]
    assert report.failure() is None and len(report.signatures()) == 1


def test_a_warm_shared_redis_cache_gives_byte_identical_output_and_decodes_nothing(
        ray_runtime, models_dir, tmp_path, redis_server, capsys):
    source = write_jsonl(tmp_path / "in.jsonl", RECORDS)
    with source.open("a", encoding="utf-8") as handle:  # numbers that Python's float and int would rewrite
        handle.write('{"comment_id": "n", "content": "好看", "score": 1.50, "big": 1e400, "zero": -0}\n')
    common = ["--models-dir", str(models_dir), "--cache", redis_server.url]
    assert main(["translate", str(source), "-o", str(tmp_path / "single.jsonl"), *common, "-q"]) == 0
    redis_server.reset_calls()
    capsys.readouterr()
    assert main(["translate", str(source), "-o", str(tmp_path / "ray.jsonl"), *common,
                 "--ray", "--workers", "2", "--chunk-size", "10"]) == 0
    assert (tmp_path / "ray.jsonl").read_bytes() == (tmp_path / "single.jsonl").read_bytes()
    summary = capsys.readouterr().err
    assert "0 segments translated in 0 model batches" in summary
    assert re.search(r"ray: [12] workers, 0 cache errors", summary)
    assert set(redis_server.calls()) <= {"mget", "ping", "hello", "client|setinfo"}  # read, nothing written


def test_parquet_directory_in_csv_out_keeps_the_input_order(ray_runtime, models_dir, tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    folder = tmp_path / "export"
    folder.mkdir()
    half = len(RECORDS) // 2
    for n, part in enumerate((RECORDS[:half], RECORDS[half:])):
        pq.write_table(pa.Table.from_pylist(part), folder / f"part-{n}.parquet")
    single, spread = tmp_path / "single.csv", tmp_path / "ray.csv"
    common = ["--models-dir", str(models_dir), "--no-cache", "-q"]
    assert main(["translate", str(write_jsonl(tmp_path / "in.jsonl", RECORDS)), "-o", str(single), *common]) == 0
    assert main(["translate", str(folder), "-o", str(spread), *common, "--ray", "auto", "--chunk-size", "7"]) == 0
    assert spread.read_bytes() == single.read_bytes()


def test_a_killed_actor_is_restarted_and_no_record_is_lost_or_duplicated(ray_runtime, models_dir):
    from xhs_translate.distributed import RunReport, translate_dataset

    records = [{**r, "comment_id": f"{n}-{r['comment_id']}"} for n in range(25) for r in RECORDS]
    expected = Translator(models_dir=models_dir, cache=False).translate_thread(records)
    report = RunReport()
    out = translate_dataset(ray_runtime.data.from_items(records), models_dir=models_dir, cache=False, concurrency=2,
                            batch_size=10, report=report)
    batches = iter(out.iter_batches(batch_size=None, batch_format="pyarrow"))
    rows = next(batches).to_pylist()  # one batch of 150 is done: the pool is at work
    os.kill(report.pids()[0], signal.SIGKILL)  # an actor that has done a batch
    rows += [row for table in batches for row in table.to_pylist()]
    assert sorted(r["comment_id"] for r in rows) == sorted(r["comment_id"] for r in records)
    assert by_id(rows) == by_id(expected)
    assert report.stats()["comments"] >= len(records)  # every record was translated (retried batches count twice)


def test_a_worker_error_is_one_line_and_usage_errors_need_no_ray(ray_runtime, models_dir, tmp_path, capsys):
    source = write_jsonl(tmp_path / "in.jsonl", RECORDS)
    with source.open("a", encoding="utf-8") as handle:
        handle.write('{"comment_id": "x", "content": "cut off\n')
    assert main(["translate", str(source), "-o", str(tmp_path / "out.jsonl"), "--models-dir", str(models_dir),
                 "--no-cache", "-q", "--ray"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("xhs-translate: error: a Ray worker failed: FormatError: a JSONL line is not valid JSON")
    assert err.count("\n") == 1 and not (tmp_path / "out.jsonl").exists()


@pytest.mark.parametrize("argv, message", [
    (["in.jsonl", "--workers", "2"], "--workers goes with --ray"),
    (["-", "--ray"], "--ray reads files"),
    (["in.csv", "--ray"], "--ray reads JSONL or Parquet; in.csv is csv"),
    (["in.jsonl", "--ray", "somewhere"], "'somewhere' is not auto, ray://HOST:PORT or HOST:PORT"),
])
def test_ray_usage_errors(argv, message, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    write_jsonl(tmp_path / "in.jsonl", RECORDS[:2])
    (tmp_path / "in.csv").write_text("comment_id,content\n1,好\n", encoding="utf-8")
    assert main(["translate", *argv]) == 2
    assert message in capsys.readouterr().err


# --- issue 22: the shared table of hostile inputs (test_cli_faults runs it in one process) ----------------------

def test_hostile_inputs_that_are_read_give_the_single_process_output_on_ray(ray_runtime, models_dir, tmp_path):
    source = tmp_path / "in.jsonl"
    source.write_bytes(b"".join(case.data for case in READ))  # one Ray run for them all
    common = ["--models-dir", str(models_dir), "--no-cache", "-q", "--errors", "mark"]
    assert main(["translate", str(source), "-o", str(tmp_path / "single.jsonl"), *common]) == 0
    assert main(["translate", str(source), "-o", str(tmp_path / "ray.jsonl"), *common, "--ray", "--workers", "2",
                 "--chunk-size", "3"]) == 0
    assert (tmp_path / "ray.jsonl").read_bytes() == (tmp_path / "single.jsonl").read_bytes()


REFUSED = [case for case in CASES if case.on_ray is not None]


@pytest.mark.parametrize("case", REFUSED, ids=[case.name for case in REFUSED])
def test_hostile_inputs_that_are_refused_are_one_line_on_ray(case, ray_runtime, models_dir, tmp_path, capsys):
    source = tmp_path / "in.jsonl"
    source.write_bytes(case.data)
    code = main(["translate", str(source), "-o", str(tmp_path / "out.jsonl"), "--models-dir", str(models_dir),
                 "--no-cache", "-q", "--errors", "mark", "--ray", "--workers", "1", *case.args])
    err = capsys.readouterr().err
    assert code == 1 and err.startswith("xhs-translate: error: ") and err.count("\n") == 1, err
    assert re.search(case.on_ray, err), err
    assert not (tmp_path / "out.jsonl").exists()
