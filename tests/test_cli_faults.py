"""The command line on hostile input and a hostile environment: every case ends in output, a per-record
``failed`` mark or a one-line error naming the cause, never an internal error (issue 10 §3; issue 11 §4, §5)."""

from __future__ import annotations

import io
import json
import os
import re
import signal
import sqlite3
import stat
import subprocess
import sys
import time

import pytest
from helpers import (
    ROOT,
    big_thread,
    cli,
    distributed_or_skip,
    full_device,
    mounted_tmpfs,
    read_output,
    stop_run,
    unfinished_run,
    wait_for,
    write_json,
    write_jsonl,
)
from hostile_inputs import CASES, READ

from xhs_translate.io import jsontext

OUTPUTS = ("jsonl", "json", "csv", "html")


def one_line_error(result: subprocess.CompletedProcess, code: int = 1) -> str:
    stderr = result.stderr.decode()
    assert result.returncode == code, stderr
    assert stderr.count("\n") == 1 and stderr.startswith("xhs-translate: error: ") and "internal error" not in stderr
    return stderr


# --- lone surrogates (§3.1) ----------------------------------------------------------------------------------

SURROGATES = [
    r'{"comment_id": "a\ud83d", "content": "你好，今天天气很好", "nickname": "x\udc00", "tags": ["\ude00"]}',
    r'{"comment_id": "b", "content": "good morning everyone", "\ud83dkey": "v"}',
]


@pytest.mark.parametrize("fmt", OUTPUTS)
def test_lone_surrogates_in_other_fields_come_back_as_their_escapes(env, tmp_path, fmt):
    source = tmp_path / "in.jsonl"
    source.write_text("\n".join(SURROGATES) + "\n", encoding="utf-8")
    out = tmp_path / f"out.{fmt}"
    result = cli(env, "translate", str(source), "-o", str(out), "-q")
    assert result.returncode == 0, result.stderr.decode()
    raw = out.read_bytes()
    shown = (rb"a\ud83d", rb"x\udc00") if fmt == "html" else (rb"a\ud83d", rb"x\udc00", rb"\ude00", rb"\ud83dkey")
    for escape in shown:  # JSON: the escape it came in as; CSV and HTML (id and nickname): its text
        assert escape in raw
    if fmt in ("json", "jsonl"):
        originals = [json.loads(line) for line in SURROGATES]
        assert [{k: r[k] for k in o} for r, o in zip(read_output(out, fmt), originals)] == originals
    if fmt != "html":
        detected = cli(env, "detect", str(source), "-o", str(tmp_path / f"langs.{fmt}"), "-q")
        assert detected.returncode == 0, detected.stderr.decode()
        assert rb"a\ud83d" in (tmp_path / f"langs.{fmt}").read_bytes()


@pytest.mark.parametrize("errors", ["mark", "raise"])
def test_lone_surrogates_in_the_text_are_translated_around_and_written_back(env, tmp_path, errors):
    source = tmp_path / "in.json"
    source.write_text(r'[{"comment_id": "1", "content": "hello \ud83d world 你好"}, '
                      r'{"comment_id": "2", "content": "\udc00今天天气很好"}]', encoding="utf-8")
    for fmt in OUTPUTS:
        out = tmp_path / f"out.{fmt}"
        result = cli(env, "translate", str(source), "-o", str(out), "--errors", errors, "-q")
        assert result.returncode == 0, result.stderr.decode()
        if fmt in ("json", "jsonl"):
            records = read_output(out, fmt)
            assert [r["translation_status"] for r in records] == ["translated", "translated"]
            assert "\ud83d" in records[0]["translation"] and records[1]["translation"].startswith("\udc00")
    detected = cli(env, "detect", str(source), "-q")
    assert detected.returncode == 0 and rb"hello \ud83d world" in detected.stdout


# --- depth and size (§3.2, §3.3) ----------------------------------------------------------------------------


def reply_chain(depth: int) -> dict:
    """Replies nested ``depth`` levels deep, none with an id (labels once grew by a repr() per level)."""
    comment: dict = {"content": "最里面的回复"}
    for level in range(depth):
        comment = {"content": f"第{level}层 reply", "sub_comments": [comment]}
    return comment


def test_a_reply_chain_without_ids_translates_in_bounded_memory(env, tmp_path):
    depth = 200  # 400 levels of JSON, under the limit of 500
    source = write_json(tmp_path / "chain.json", [reply_chain(depth)])
    out = tmp_path / "out.json"
    result = cli(env, "translate", str(source), "-o", str(out), "-q", "--no-cache")
    assert result.returncode == 0, result.stderr.decode()
    node, levels = read_output(out, "json")[0], 0
    while "sub_comments" in node:
        assert node["translation_status"] == "translated"
        node, levels = node["sub_comments"][0], levels + 1
    assert levels == depth and node["content"] == "最里面的回复"


@pytest.mark.parametrize("depth", [300, 5_000])
def test_a_reply_chain_deeper_than_the_json_limit_is_one_clear_error(env, tmp_path, depth):
    source = tmp_path / "deep.json"
    opening = '{"content": "x", "sub_comments": [' * depth
    source.write_text("[" + opening + '{"content": "y"}' + "]}" * depth + "]", encoding="utf-8")
    result = cli(env, "translate", str(source), "-o", str(tmp_path / "out.json"))
    stderr = one_line_error(result)
    assert "nests deeper than 500 levels of arrays and objects" in stderr and "line 1, column 2" in stderr


# --- special outputs and the environment (§3.5, §3.7) -------------------------------------------------------


def test_output_to_a_symlink_keeps_the_link_and_the_mode_of_its_target(env, tmp_path):
    target = tmp_path / "real.jsonl"
    target.write_text("old\n")
    target.chmod(0o640)
    link = tmp_path / "link.jsonl"
    link.symlink_to(target)
    result = cli(env, "translate", str(write_json(tmp_path / "in.json", [{"content": "你好"}])), "-o", str(link), "-q")
    assert result.returncode == 0, result.stderr.decode()
    assert link.is_symlink() and read_output(target, "jsonl")[0]["content"] == "你好"
    assert stat.S_IMODE(target.stat().st_mode) == 0o640


def test_a_new_output_gets_the_umask_mode(env, tmp_path):
    source = write_json(tmp_path / "in.json", [{"content": "你好"}])
    out = tmp_path / "out.jsonl"
    script = "import os, sys; os.umask(0o002); from xhs_translate.cli import main; sys.exit(main(sys.argv[1:]))"
    result = subprocess.run([sys.executable, "-c", script, "translate", str(source), "-o", str(out), "-q"], env=env,
                            capture_output=True, timeout=300)
    assert result.returncode == 0, result.stderr.decode()
    assert stat.S_IMODE(out.stat().st_mode) == 0o664  # was 0600 (tempfile.mkstemp) whatever the umask


def test_a_full_device_is_a_one_line_error(env, tmp_path):
    full = full_device(tmp_path)
    result = cli(env, "translate", str(write_json(tmp_path / "in.json", [{"content": "你好"}])), "-o", str(full),
                 "--output-format", "jsonl")
    assert one_line_error(result) == f"xhs-translate: error: cannot write {full}: No space left on device\n"


@pytest.mark.skipif(not ROOT, reason="mounting a read-only tmpfs needs root (test_output_files covers 0555 folders)")
def test_a_read_only_output_folder_and_models_folder_are_one_line_errors(env, tmp_path, tiny_archives):
    source = write_json(tmp_path / "in.json", [{"content": "你好"}])
    with mounted_tmpfs(tmp_path / "ro", "ro,size=64k") as folder:
        result = cli(env, "translate", str(source), "-o", str(folder / "out.jsonl"))
        assert one_line_error(result, 2).endswith(f"cannot create files in {folder}: Read-only file system\n")
        install = cli(env, "models", "install", str(tiny_archives[("zh", "en")]), "--models-dir", str(folder))
        assert one_line_error(install) == f"xhs-translate: error: cannot install into {folder}: Read-only file system\n"


# --- an interrupted JSON run (§3.8) -------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["json", "jsonl"])
def test_an_interrupted_run_has_cached_its_finished_chunks_whatever_the_input_format(env, tmp_path, fmt):
    # a JSON array on a pipe is parsed once 1 MiB has come (io/readers._READ_CHARS) or the input ended: ~1.3 MB
    records = big_thread(12_000 if fmt == "json" else 1200)
    cache = tmp_path / "cache.sqlite3"
    out = tmp_path / "out.jsonl"
    command = [sys.executable, "-m", "xhs_translate.cli", "translate", "-", "--input-format", fmt, "-o", str(out),
               "--cache", str(cache), "--chunk-size", "200"]
    proc = unfinished_run(command, env, records, fmt, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def first_chunk_written() -> bool:  # it was cached before it was written
        assert proc.poll() is None, "the run stopped before its input ended"
        return any(p.stat().st_size for p in tmp_path.glob(".out.jsonl.*.tmp"))

    wait_for(first_chunk_written, "the first chunk in the temporary output", timeout=240)
    stop_run(proc, signal.SIGKILL)
    with sqlite3.connect(cache) as conn:
        saved = conn.execute("SELECT COUNT(*) FROM translations").fetchone()[0]
    assert saved > 0  # a JSON input was one chunk: 0 rows saved where JSONL had thousands


# --- CSV formula injection (§3.10) --------------------------------------------------------------------------


def test_csv_output_neutralises_formulas_unless_told_to_keep_them(env, tmp_path):
    source = write_json(tmp_path / "in.json", [{"comment_id": "1", "content": "=HYPERLINK(\"http://x\",\"hi\")",
                                                "nickname": "@SUM(1+1)", "likes": -3}])
    escaped = tmp_path / "escaped.csv"
    assert cli(env, "translate", str(source), "-o", str(escaped), "-q").returncode == 0
    row = read_output(escaped, "csv")[0]
    assert row["content"] == "'=HYPERLINK(\"http://x\",\"hi\")"
    assert row["nickname"] == "'@SUM(1+1)" and row["likes"] == "-3"
    kept = tmp_path / "kept.csv"
    assert cli(env, "detect", str(source), "-o", str(kept), "-q", "--csv-formulas", "keep").returncode == 0
    assert read_output(kept, "csv")[0]["content"] == "=HYPERLINK(\"http://x\",\"hi\")"


# --- numbers (§3.11) ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["json", "jsonl"])
def test_numbers_come_back_exactly_as_they_came(env, tmp_path, fmt):
    fields = ('"comment_id": 1e400, "like_count": 1.50, "create_time": -0, "big": %s, "e": 1E5, "content": "你好"'
              % ("7" * 5000))
    source = tmp_path / f"in.{fmt}"
    source.write_text(f"[{{{fields}}}]" if fmt == "json" else f"{{{fields}}}\n", encoding="utf-8")
    out = tmp_path / f"out.{fmt}"
    result = cli(env, "translate", str(source), "-o", str(out), "-q")
    assert result.returncode == 0, result.stderr.decode()
    text = out.read_text(encoding="utf-8")
    for number in ("1e400", "1.50", "-0", "7" * 5000, "1E5"):
        assert f": {number}," in text or f": {number}\n" in text
    assert "Infinity" not in text


# --- plain text input (issue 11 §4) -------------------------------------------------------------------------


def test_plain_text_lines_become_records(env, tmp_path):
    source = tmp_path / "comments.txt"
    source.write_bytes("你好，今天天气很好\r\n\n[笑哭R] good morning\n{\"not\": \"json\"}".encode())
    out = tmp_path / "out.jsonl"
    assert cli(env, "translate", str(source), "-o", str(out), "-q").returncode == 0
    records = read_output(out, "jsonl")
    assert [(r["comment_id"], r["content"]) for r in records] == [
        (1, "你好，今天天气很好"), (2, ""), (3, "[笑哭R] good morning"), (4, '{"not": "json"}')]
    assert records[1]["translation_status"] == "no_text" and records[0]["translation_status"] == "translated"
    piped = cli(env, "translate", "-", "--input-format", "lines", "--id-field", "n", "--text-field", "body", "-q",
                stdin="早上好\n".encode())
    assert piped.returncode == 0, piped.stderr.decode()
    assert {k: v for k, v in read_output(piped.stdout.decode(), "jsonl")[0].items() if k in ("n", "body")} == {
        "n": 1, "body": "早上好"}
    blank = tmp_path / "blank.txt"
    blank.write_text("\n  \n")
    assert "blank.txt is empty: expected one comment per line" in one_line_error(cli(env, "translate", str(blank)))


# --- progress and warnings (issue 11 §4, issue 10 "Also") ---------------------------------------------------


class RecordingBar:
    """Stands in for the tqdm bar of a run: records what the run tells it."""

    disable = False

    def __init__(self):
        self.updates: list[int] = []
        self.postfixes: list[str] = []

    def update(self, n: int) -> None:
        self.updates.append(n)

    def set_postfix_str(self, text: str, refresh: bool = True) -> None:
        self.postfixes.append(text)

    def refresh(self) -> None:
        pass

    def close(self) -> None:
        pass


@pytest.mark.parametrize("fmt", ["json", "jsonl"])
def test_the_progress_bar_counts_every_input_chunk_by_chunk(env, tmp_path, monkeypatch, fmt):
    from xhs_translate import cli as cli_module

    bar = RecordingBar()
    monkeypatch.setattr(cli_module, "_progress", lambda *args: bar)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    source = (write_json if fmt == "json" else write_jsonl)(tmp_path / f"in.{fmt}", big_thread(40))
    argv = ["translate", str(source), "-o", str(tmp_path / "out.jsonl"), "--chunk-size", "15", "-q"]
    assert cli_module.main(argv) == 0
    assert bar.updates == [15, 15, 10]  # a JSON input was one chunk: 0 for the whole run, then 40
    assert bar.postfixes == ["records 1-15", "records 16-30", "records 31-40", ""]


def test_the_ticker_redraws_until_the_block_ends():
    import threading

    from xhs_translate.cli import _ticking

    class Bar:
        disable = False

        def __init__(self):
            self.redraws = 0
            self.three = threading.Event()

        def refresh(self):
            self.redraws += 1
            self.ticker = threading.current_thread()
            if self.redraws >= 3:
                self.three.set()

    bar = Bar()
    with _ticking(bar, every=0.001):
        assert bar.three.wait(60)  # redrawn with no update from the work in between
    assert bar.ticker is not threading.current_thread()
    assert not bar.ticker.is_alive()  # and not after the block: the thread that redraws has ended with it


def test_cache_warnings_are_one_line_and_none_with_quiet(env, tmp_path):
    source = write_json(tmp_path / "in.json", [{"content": "你好"}])
    not_a_cache = tmp_path / "a-folder"
    not_a_cache.mkdir()
    loud = cli(env, "translate", str(source), "--cache", str(not_a_cache), "-o", str(tmp_path / "o.jsonl"))
    assert loud.returncode == 0
    lines = loud.stderr.decode().splitlines()
    assert lines[0].startswith(f"xhs-translate: warning: translation cache {not_a_cache} cannot be used")
    assert lines[1].startswith("xhs-translate: 1 comments ->") and "Warning" not in loud.stderr.decode()
    quiet = cli(env, "translate", str(source), "--cache", str(not_a_cache), "-o", str(tmp_path / "q.jsonl"), "-q")
    assert quiet.returncode == 0 and quiet.stderr == b""


# --- demo models (issue 11 §4) ------------------------------------------------------------------------------


def test_demo_models_install_offline_say_they_are_gibberish_and_run_the_pipeline(env, tmp_path, tiny_archives):
    models = tmp_path / "demo-models"
    common = ["--models-dir", str(models)]
    for wrong, message in ((["--demo", "zh", "en"], "give no SOURCE"),
                           (["--size", "base", "x.argosmodel"], "--size applies only to --demo"),
                           ([], "give FROM TO language codes, package files or URLs, or --demo")):
        result = cli(env, "models", "install", *wrong, *common)
        assert result.returncode == 2 and message in result.stderr.decode()
    installed = cli(env, "models", "install", "--demo", *common)
    assert installed.returncode == 0, installed.stderr.decode()
    stdout = installed.stdout.decode()
    assert stdout.count("(DEMO: gibberish output)") == 2 and "gibberish" in stdout.splitlines()[-1]
    assert "building random-weight tiny demo models" in installed.stderr.decode()
    listing = cli(env, "models", "list", *common).stdout.decode()
    assert listing.count("DEMO: random weights, gibberish output") == 2
    source = write_json(tmp_path / "in.json", [{"content": "你好，今天天气很好"}, {"content": "good morning"}])
    translated = cli(env, "translate", str(source), *common, "-q")
    assert translated.returncode == 0, translated.stderr.decode()
    assert [r["translation_status"] for r in read_output(translated.stdout.decode(), "jsonl")] == ["translated"] * 2
    # a real package of a pair replaces its demo package (the test packages stand in for real ones)
    real = cli(env, "models", "install", str(tiny_archives[("zh", "en")]), *common)
    assert real.returncode == 0 and real.stdout.decode().startswith("installed zh->en 1.0"), real.stderr.decode()
    listing = cli(env, "models", "list", *common).stdout.decode()
    assert "zh->en  1.0" in listing and listing.count("DEMO") == 1 and "translate-zh_en-0_0_demo" not in listing


def test_a_result_holding_a_lone_surrogate_is_cached_without_turning_the_cache_off(tmp_path):
    """Protected spans keep a lone surrogate verbatim in the translation; SQLite (UTF-8) cannot store it raw."""
    import warnings as python_warnings

    from xhs_translate.cache import decode_comment, encode_comment, open_cache
    from xhs_translate.results import Status, Translation

    result = Translation("hi \ud83d", "你好 \ud83d", "en", "zh", Status.TRANSLATED, ())
    cache = open_cache(tmp_path / "c.sqlite3")
    with python_warnings.catch_warnings():
        python_warnings.simplefilter("error")  # a CacheWarning (the cache turned off) fails the test
        cache.put_many("comments", {"k": encode_comment(result, 1)})
        assert decode_comment(cache.get_many("comments", ["k"])["k"], "hi \ud83d") == (result, 1)
    assert cache.enabled
    cache.close()


# --- issue 22 §8, §9: Redis addresses that do not parse, and passwords in every form -----------------------------

SECRET = "hunter2secret"
ADDRESSES_WITH_A_PASSWORD = [  # every form redis-py's from_url takes a password in (redis/connection.py, parse_url)
    f"redis://:{SECRET}@127.0.0.1:1/0",
    f"redis://someone:{SECRET}@127.0.0.1:1/0",
    f"rediss://:{SECRET}@127.0.0.1:1/0",
    f"redis://127.0.0.1:1/0?password={SECRET}",
    f"unix:///nonexistent/redis.sock?password={SECRET}",
    f"unix:///nonexistent/redis.sock?db=0&password={SECRET}&ttl=1d",
    f"unix://someone:{SECRET}@/nonexistent/redis.sock",
    f"redis://:{SECRET}@[::1/0",  # does not parse either
]


@pytest.mark.parametrize("address", ADDRESSES_WITH_A_PASSWORD)
def test_a_redis_password_is_never_printed_in_any_form(address, tmp_path, capsys):
    from xhs_translate.cli import main

    source = write_jsonl(tmp_path / "in.jsonl", [{"comment_id": "1", "content": "好"}])
    for argv in (["translate", str(source), "--cache", address], ["cache", "stats", "--cache", address],
                 ["cache", "path", "--cache", address]):
        code = main(argv)
        out, err = capsys.readouterr()
        assert SECRET not in out + err, argv
        expected = 0 if argv[1] == "path" else 1  # "cache path" needs no connection
        assert code == expected and err.count("\n") == expected, (argv, err)
        assert "internal error" not in err


@pytest.mark.parametrize("command", [["translate", "-"], ["cache", "stats"], ["cache", "clear"]])
def test_a_redis_address_that_does_not_parse_is_a_clear_error(command, capsys):
    from xhs_translate.cli import main

    assert main([*command, "--cache", "redis://[::1/0"]) == 1
    err = capsys.readouterr().err
    assert err == ("xhs-translate: error: invalid Redis address 'redis://[::1/0' (Invalid IPv6 URL): expected "
                   "redis://[[USER]:PASSWORD@]HOST[:PORT][/DB], rediss://... or unix:///PATH/redis.sock[?password=...]\n")


def test_a_unix_socket_redis_with_a_password_in_the_query_is_used_and_never_shown(models_dir, tmp_path, capsys):
    """A real redis-server on a unix socket that requires a password: the documented unix:// form works (the
    address used to be rebuilt as unix:/path, which the client refuses), and the password shows nowhere."""
    distributed_or_skip("redis")
    from xhs_translate.cli import main
    socket_path = tmp_path / "redis.sock"
    server = subprocess.Popen(["redis-server", "--port", "0", "--unixsocket", str(socket_path), "--dir", str(tmp_path),
                               "--save", "", "--appendonly", "no", "--requirepass", SECRET],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for(lambda: socket_path.exists() or server.poll() is not None, "the redis-server socket", timeout=30)
        address = f"unix://{socket_path}?password={SECRET}"
        source = write_jsonl(tmp_path / "in.jsonl", [{"comment_id": "1", "content": "你好"}])
        assert main(["translate", str(source), "-o", str(tmp_path / "out.jsonl"), "--cache", address,
                     "--models-dir", str(models_dir)]) == 0
        assert main(["cache", "stats", "--cache", address]) == 0
        out, err = capsys.readouterr()
        assert f"url: unix://{socket_path}\n" in out and "entries: 1 segments, 1 whole comments" in out
        assert SECRET not in out + err
    finally:
        server.kill()
        server.wait(timeout=30)


# --- issue 22 §12: a folder given as the glossary -----------------------------------------------------------------

@pytest.mark.parametrize("command", [["translate", "-"], ["serve"]])
def test_a_glossary_that_is_a_folder_is_named_as_one(command, tmp_path, capsys):
    from xhs_translate.cli import main

    assert main([*command, "--glossary", str(tmp_path)]) == 2
    assert capsys.readouterr().err == f"xhs-translate: error: cannot read the glossary {tmp_path}: it is a folder " \
                                      "(give a glossary file)\n"
    assert main([*command, "--glossary", str(tmp_path / "missing.tsv")]) == 2
    assert capsys.readouterr().err.endswith("missing.tsv: no such file\n")


# --- issue 22 §2: SIGTERM while standard output is a full pipe ------------------------------------------------

@pytest.mark.parametrize("fmt", ["jsonl", "json"])
def test_sigterm_while_stdout_is_a_full_pipe_leaves_whole_records(env, tmp_path, fmt):
    """Each record is bigger than the pipe (one page), so once the pipe is full the CLI is blocked inside a
    record; SIGTERM then must not cut it: the output is whole records, then "interrupted"."""
    import array
    import fcntl
    import termios

    records = [{"comment_id": str(i), "content": "好" if i % 2 else "ok", "blob": "x" * 100_000} for i in range(6)]
    source = write_jsonl(tmp_path / "in.jsonl", records)
    read_end, write_end = os.pipe()
    fcntl.fcntl(write_end, fcntl.F_SETPIPE_SZ, 4096)
    capacity = fcntl.fcntl(write_end, fcntl.F_GETPIPE_SZ)
    proc = subprocess.Popen([sys.executable, "-m", "xhs_translate.cli", "translate", str(source), "--chunk-size", "1",
                             "--output-format", fmt, "--no-cache"], env=env, stdout=write_end, stderr=subprocess.PIPE)
    os.close(write_end)
    try:
        waiting = array.array("i", [0])
        deadline = time.monotonic() + 240
        while waiting[0] < capacity:  # the pipe is full: the CLI is blocked writing the first record
            assert proc.poll() is None and time.monotonic() < deadline, "the CLI never filled the pipe"
            time.sleep(0.01)
            fcntl.ioctl(read_end, termios.FIONREAD, waiting)
        proc.send_signal(signal.SIGTERM)
        with os.fdopen(read_end, "rb") as reader:
            output = reader.read()
        stderr = proc.stderr.read().decode()
        assert proc.wait(timeout=60) == 130, stderr
    finally:
        proc.kill()
    assert stderr.endswith(
        "xhs-translate: interrupted; stdout has only part of the output (re-running reuses the cache)\n")
    text = output.decode("utf-8")
    if fmt == "jsonl":
        assert text.endswith("\n")
        written = [json.loads(line) for line in text.splitlines()]
    else:  # whole items of the array, which is not closed
        written = json.loads(text + "\n]")
    assert written and [{k: r[k] for k in records[0]} for r in written] == records[:len(written)]


# --- issue 22: the shared table of hostile inputs, single process (test_distributed runs it on Ray) --------------

@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_hostile_inputs_single_process(case, models_dir, tmp_path, capsys):
    from xhs_translate.cli import main

    source = tmp_path / "in.jsonl"
    source.write_bytes(case.data)
    out = tmp_path / "out.jsonl"
    code = main(["translate", str(source), "-o", str(out), "--models-dir", str(models_dir), "--no-cache", "-q",
                 "--errors", "mark", *case.args])
    err = capsys.readouterr().err
    if case.error is not None:
        assert code == 1 and err.count("\n") == 1 and re.search(case.error, err), err
        assert err.startswith("xhs-translate: error: ") and not out.exists()
        return
    assert code == 0, err
    text = out.read_bytes().decode("utf-8")  # valid UTF-8, lone surrogates escaped
    written = [json.loads(line) for line in text.splitlines()]  # one line per record, whatever splits lines
    encoding = "utf-16" if case.data.startswith(b"\xff\xfe") else "utf-8-sig"
    originals = [jsontext.loads(line) for line in case.data.decode(encoding).split("\n") if line.strip()]
    assert len(written) == len(originals) == text.count("\n")
    assert [{k: r[k] for k in o} for r, o in zip(jsontext_records(text), originals)] == originals  # untouched


def jsontext_records(text: str) -> list[dict]:
    """The output's records as the library reads them (numbers such as 1e400 kept exactly)."""
    return [jsontext.loads(line) for line in text.split("\n") if line]


# --- issue 22 §6: the HTML page is bounded, and says so ------------------------------------------------------------

def test_html_output_past_its_bound_is_refused_before_the_work(models_dir, tmp_path, monkeypatch, capsys):
    """Peak RSS grew with the input (200k comments: 818 MB here); the page now takes at most HTML_MAX_COMMENTS
    (50,000: 268 MB), checked on a file's count before any translation and on stdin as records arrive."""
    from xhs_translate import cli, jobs
    from xhs_translate.io import writers

    monkeypatch.setattr(writers, "HTML_MAX_COMMENTS", 3)
    records = [{"comment_id": str(i), "content": "好看"} for i in range(4)]
    common = ["--models-dir", str(models_dir), "--no-cache", "-q", "--chunk-size", "2"]
    assert cli.main(["translate", str(write_jsonl(tmp_path / "three.jsonl", records[:3])), "-o",
                     str(tmp_path / "three.html"), *common]) == 0
    source = write_jsonl(tmp_path / "four.jsonl", records)
    monkeypatch.setattr(jobs._Translating, "_new_translator", lambda self: pytest.fail("translated before the check"))
    assert cli.main(["translate", str(source), "-o", str(tmp_path / "four.html"), *common]) == 2
    assert capsys.readouterr().err == (
        "xhs-translate: error: an HTML page holds at most 3 comments (it is built in memory, a view for people) and "
        "the inputs have more: write JSONL, JSON or CSV (-o OUT.csv), or split the input\n")
    monkeypatch.undo()
    monkeypatch.setattr(writers, "HTML_MAX_COMMENTS", 3)
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(source.read_bytes())))
    assert cli.main(["translate", "-", "--output-format", "html", *common]) == 2
    captured = capsys.readouterr()
    assert captured.err.endswith("and the input has more: write JSONL, JSON or CSV (-o OUT.csv), or split the input\n")
    assert captured.out == "" and not (tmp_path / "four.html").exists()


#: What /thread refuses where the CLI and Ray write the record back: a number beyond a float's range, which a JSON
#: answer could not carry (issue 19 §2 lets the server answer 400 for it): a 400 that names the number.
THREAD_REFUSES = {"numbers": "out of range"}


@pytest.mark.parametrize("case", READ, ids=lambda case: case.name)
def test_hostile_inputs_through_the_servers_thread_endpoint(case, client, models_dir):
    """The table's readable cases, their lines as they are, as the JSON body of /thread: the library's results
    (its default errors="raise": a record it refuses is a 400 with its message)."""
    from xhs_translate.errors import XhsTranslateError
    from xhs_translate.translator import Translator

    lines = [line for line in case.data.decode("utf-8-sig").split("\n") if line.strip()]
    response = client.post("/thread", content='{"comments": [' + ", ".join(lines) + "]}",
                           headers={"content-type": "application/json"})
    refused = next((words for key, words in THREAD_REFUSES.items() if key in case.name), None)
    if refused is not None:
        assert response.status_code == 400 and refused in response.json()["error"], response.text
        return
    try:
        records = [jsontext.loads(line) for line in lines]
        expected = Translator(models_dir=models_dir, cache=False).translate_thread(records)
    except XhsTranslateError as exc:
        assert response.status_code == 400 and str(exc) in response.json()["error"], response.text
        return
    assert response.status_code == 200, response.text
    assert response.json()["comments"] == json.loads(jsontext.dumps(expected))
