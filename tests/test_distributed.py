"""Ray Data scale-out on a local Ray runtime (two CPUs): every record once with its fields, the single process's
results, byte-identical output from a warm shared Redis cache, and a killed actor that loses nothing.

The runtime is started once for the module; each test runs one or two datasets (a few seconds each for the
actors to start), so keep them few."""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from helpers import distributed_or_skip, wait_for, write_jsonl
from hostile_inputs import CASES, READ

from xhs_translate.cli import main
from xhs_translate.translator import Translator

RECORDS = [
    {"comment_id": str(i), "content": text, "parent_comment_id": str(i // 3), "like_count": i * 7,
     "ip_location": "上海"}
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
    import ray.data  # noqa: F811 (the same module, its data submodule loaded)

    # log_to_driver=False: otherwise Ray's log thread prints its processes' lines (a GCS note about an actor an
    # earlier test killed) on sys.stderr at any moment, into whichever test's capsys is capturing then
    ray.init(num_cpus=2, include_dashboard=False, logging_level=logging.ERROR, log_to_driver=False)
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
    assert re.search(r"ray: [12] workers, 0 restarted, 0 cache errors", summary)
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


def test_translate_on_ray_writes_what_translate_file_writes(ray_runtime, models_dir, tmp_path):
    """The library call under ``translate --ray`` (issue 23 §1): an app gets the single process's bytes (JSON out:
    the workers' JSONL lines decoded on the one writer path), with the job's progress and report."""
    from xhs_translate.jobs import translate_file, translate_on_ray

    source = write_jsonl(tmp_path / "in.jsonl", RECORDS)
    single, spread = tmp_path / "single.json", tmp_path / "ray.json"
    translate_file([str(source)], str(single), models_dir=models_dir, cache=False)
    told: list[int | None] = []

    class Progress:
        def start(self, count):
            told.append(count())

        def chunk(self, first, last):
            pass

        def advance(self, n):
            told.append(n)

        def finish(self):
            pass

    report = translate_on_ray([str(source)], str(spread), models_dir=models_dir, cache=False, chunk_size=7, workers=2,
                              progress=Progress())
    assert spread.read_bytes() == single.read_bytes()
    assert report.count == len(RECORDS) and told[0] == len(RECORDS) and sum(told[1:]) == len(RECORDS)
    assert report.stats["workers"] in (1, 2) and report.signature != "none"


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
    stats = report.stats()
    assert stats["comments"] >= len(records)  # every record was translated (retried batches count twice)
    assert (stats["workers"], stats["restarts"]) == (2, 1)  # issue 22 §10: the killed actor is the same worker


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


# --- issue 22 §1, §10: a CLI run on its own Ray runtime, as a user runs it ---------------------------------------

def test_a_cli_run_on_ray_keeps_a_lone_surrogate_and_prints_only_our_one_line_warnings(env, models_dir, tmp_path,
                                                                                     redis_server):
    """The issue's command: a lone surrogate in another field lost the whole run (Arrow takes UTF-8 only). The
    cache is a Redis that refuses writes (maxmemory 1 byte), so every worker warns: that warning comes as our
    one line, with no "(MapWorker pid=...)" prefix, colour codes or Ray C++ lines around it."""
    distributed_or_skip("ray")
    redis_server.client().config_set("maxmemory", "1")  # reads answer, writes fail with OOM
    source = tmp_path / "s.jsonl"
    source.write_bytes(b'{"comment_id":"c","content":"hi","nickname":"\\udc80"}\n'
                       b'{"comment_id":"d","content":"\xe4\xbd\xa0\xe5\xa5\xbd\\u2028\xe5\x91\x80"}\n')
    out = tmp_path / "o.jsonl"
    result = subprocess.run([sys.executable, "-m", "xhs_translate.cli", "translate", str(source), "--ray", "auto",
                             "--workers", "1", "--errors", "mark", "-o", str(out), "--cache", redis_server.url],
                            capture_output=True, env={**env, "RAY_USAGE_STATS_ENABLED": "0"}, timeout=300,
                            cwd=tmp_path)
    err = result.stderr.decode()
    assert result.returncode == 0, err
    lines = err.splitlines()
    ours = [line for line in lines if not line.startswith("  ")]  # the summary's own lines are indented
    assert ours[-1].startswith("xhs-translate: 2 comments -> ") and "\x1b[" not in err, err
    assert len(ours) == 2 and re.fullmatch(rf"xhs-translate: warning: translation cache {re.escape(redis_server.url)} "
                                           r"cannot be used \(.*maxmemory.*\); continuing without it", ours[0]), err
    assert "  ray: 1 workers, 0 restarted, 1 cache errors" in lines
    text = out.read_text(encoding="utf-8")
    assert '"nickname": "\\udc80"' in text and len(text.splitlines()) == 2
    assert json.loads(text.splitlines()[0])["nickname"] == "\udc80"


# --- issue 22 §4, §7: a cluster address where nothing, or a refusing cluster, answers ------------------------------

def run_cli(env: dict, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "xhs_translate.cli", *args], capture_output=True, env=env,
                          timeout=timeout)


@pytest.mark.parametrize("scheme", ["", "ray://"])
def test_a_ray_address_where_nothing_listens_is_one_line_naming_it(scheme, env, tmp_path):
    distributed_or_skip("ray")
    from testkit.ports import free_port

    address = f"{scheme}127.0.0.1:{free_port()}"
    source = write_jsonl(tmp_path / "in.jsonl", RECORDS[:2])
    result = run_cli(env, "translate", str(source), "-o", str(tmp_path / "out.jsonl"), "--ray", address)
    what = "Ray Client server" if scheme else "Ray cluster (its GCS)"
    assert result.returncode == 1 and result.stderr.decode() == (
        f"xhs-translate: error: no {what} answers at {address} (Connection refused, within 15 s): start one there "
        "with `ray start --head`, or check the address\n")


def test_sigterm_while_connecting_to_a_cluster_that_does_not_answer_is_interrupted(env, tmp_path):
    """A port that takes the connection and never answers (a stuck or wrong service): the gRPC check waits, and
    SIGTERM then ends the run as everywhere else, with "interrupted" and 130 (Ray's own handler exits 15)."""
    import socket

    distributed_or_skip("ray")
    source = write_jsonl(tmp_path / "in.jsonl", RECORDS[:2])
    with socket.create_server(("127.0.0.1", 0)) as listener:
        address = f"127.0.0.1:{listener.getsockname()[1]}"
        proc = subprocess.Popen([sys.executable, "-m", "xhs_translate.cli", "translate", str(source), "-o",
                                 str(tmp_path / "out.jsonl"), "--ray", address], env=env, stderr=subprocess.PIPE)
        held = []
        try:
            listener.settimeout(120)
            held += [listener.accept()[0], listener.accept()[0]]  # the TCP check, then gRPC's connection
            proc.send_signal(signal.SIGTERM)
            err = proc.stderr.read().decode()
            assert proc.wait(timeout=60) == 130, err
        finally:
            proc.kill()
            for conn in held:
                conn.close()
    assert err == "xhs-translate: interrupted; nothing was written to the output (re-running reuses the cache)\n"


@pytest.fixture
def token_cluster(tmp_path_factory):
    """A real `ray start --head` on loopback with token authentication (RAY_AUTH_MODE=token, as Ray 2.60's
    `ray start --head` may default to), one CPU, its own temp dir and HOME; stopped in teardown: its process group,
    then any process left with its temp dir in the command line."""
    distributed_or_skip("ray")
    from testkit.ports import free_port

    home = tmp_path_factory.mktemp("rayhome")
    temp_dir = Path(tempfile.mkdtemp(prefix="r", dir="/tmp"))  # short: Ray's socket paths have a length limit
    environ = {**os.environ, "HOME": str(home), "RAY_USAGE_STATS_ENABLED": "0", "RAY_AUTH_MODE": "token"}
    ray_cli = str(Path(sys.executable).with_name("ray"))
    subprocess.run([ray_cli, "get-auth-token", "--generate"], env=environ, capture_output=True, timeout=120, check=True)
    port = free_port()
    proc = subprocess.Popen([ray_cli, "start", "--head", "--block", "--node-ip-address", "127.0.0.1", "--port",
                             str(port), "--num-cpus", "1", "--include-dashboard", "false", "--disable-usage-stats",
                             "--temp-dir", str(temp_dir)], env=environ, start_new_session=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for(lambda: proc.poll() is not None or port_open(port), "the Ray head's GCS port", timeout=180)
        assert proc.poll() is None, "ray start --head exited"
        yield f"127.0.0.1:{port}", (home / ".ray" / "auth_token").read_text().strip()
    finally:
        stop_group(proc)
        for pid in pids_mentioning(str(temp_dir)):
            os.kill(pid, signal.SIGKILL)
        shutil.rmtree(temp_dir, ignore_errors=True)


def port_open(port: int) -> bool:
    import socket

    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
        return True
    except OSError:
        return False


def stop_group(proc: subprocess.Popen) -> None:
    for sig, wait in ((signal.SIGTERM, 30), (signal.SIGKILL, 30)):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            return
        try:
            proc.wait(timeout=wait)
            return
        except subprocess.TimeoutExpired:
            continue


def pids_mentioning(text: str) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if text.encode() in (entry / "cmdline").read_bytes():
                    found.append(int(entry.name))
            except OSError:
                pass
    return found


def test_a_cluster_with_token_authentication_is_one_line_saying_how_to_pass_the_token(token_cluster, env, tmp_path):
    address, token = token_cluster
    source = write_jsonl(tmp_path / "in.jsonl", RECORDS[:2])
    plain = {k: v for k, v in env.items() if not k.startswith("RAY_AUTH")} | {"HOME": str(tmp_path)}
    argv = ("translate", str(source), "-o", str(tmp_path / "out.jsonl"), "--ray", address)
    result = run_cli(plain, *argv)
    assert result.returncode == 1 and result.stderr.decode() == (
        f"xhs-translate: error: the Ray cluster at {address} requires its authentication token (Ray's token "
        "authentication): pass it as RAY_AUTH_MODE=token RAY_AUTH_TOKEN=<the token `ray get-auth-token` prints on "
        "the head node> (or RAY_AUTH_MODE=token and the token in ~/.ray/auth_token)\n")
    wrong = run_cli(plain | {"RAY_AUTH_MODE": "token", "RAY_AUTH_TOKEN": "0" * len(token)}, *argv)
    assert wrong.returncode == 1 and wrong.stderr.decode().endswith(
        "and the token in $RAY_AUTH_TOKEN is not its token; use the one `ray get-auth-token` prints on the head node\n")
    assert token not in result.stderr.decode() + wrong.stderr.decode()


def test_ray_client_without_its_packages_says_what_to_install(monkeypatch):
    """`--ray ray://HOST:PORT` after an install without Ray's client part (grpcio): one line naming the extra, not
    Ray's ValueError (the distributed extra now pulls ray[client]; this is the message for an install without)."""
    distributed_or_skip("ray")
    import ray._private.utils

    from xhs_translate.distributed import connect
    from xhs_translate.errors import RayClusterError

    monkeypatch.setattr(ray._private.utils, "get_ray_client_dependency_error", lambda: ImportError("grpc"))
    with pytest.raises(RayClusterError, match=r"^--ray ray://127.0.0.1:1 \(Ray Client\) needs Ray's client packages: "
                                              r"pip install 'xhs-translate\[distributed\]' \(or 'ray\[client\]'\)$"):
        connect("ray://127.0.0.1:1")
