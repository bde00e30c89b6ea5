"""Plain helpers that several test files share (fixtures live in conftest.py)."""

from __future__ import annotations

import csv
import errno
import hashlib
import io
import json
import os
import stat
import subprocess
import sys
import threading
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from http.server import ThreadingHTTPServer
from pathlib import Path
from typing import Any


def snapshot(root: Path) -> dict[str, str]:
    """Every entry under root (hidden ones too) with a digest of its bytes, to prove nothing changed."""
    tree = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames:
            tree[os.path.relpath(os.path.join(dirpath, name), root) + "/"] = "dir"
        for name in filenames:
            path = os.path.join(dirpath, name)
            tree[os.path.relpath(path, root)] = hashlib.sha256(Path(path).read_bytes()).hexdigest()
    return tree


def translate_batch(package) -> list[str]:
    """Three Chinese sentences through the package's real engine."""
    from xhs_translate.models.engine import DecodeOptions, load_engine

    result = load_engine(package).translate(["今天天气很好", "这个口红颜色绝了", "谢谢"], DecodeOptions())
    assert result.errors == ()
    return list(result.translations)


def run_in_threads(work: Callable[[int], Any], count: int) -> list[Any]:
    """``[work(0), ..., work(count - 1)]``, each in its own thread, all started together (a barrier); the first
    exception a thread raised is raised here."""
    start = threading.Barrier(count)
    results: list[Any] = [None] * count
    errors: list[BaseException] = []

    def run(n: int) -> None:
        try:
            start.wait()
            results[n] = work(n)
        except BaseException as exc:  # reported below, in the test's thread
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(n,)) for n in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise errors[0]
    return results


@contextmanager
def http_server(handler: Callable[..., Any]) -> Iterator[str]:
    """A real HTTP server on an ephemeral 127.0.0.1 port, in a thread; yields its base URL."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def wait_for(condition: Callable[[], bool], what: str, timeout: float = 60.0, every: float = 0.02) -> None:
    """Poll ``condition`` until it holds; AssertionError naming ``what`` after ``timeout`` seconds."""
    import time

    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(every)


def metric(base_url: str, name: str, **labels: str) -> float:
    """One sample of a server's /metrics, parsed with Prometheus' own parser (0 when absent)."""
    import urllib.request

    from prometheus_client.parser import text_string_to_metric_families

    with urllib.request.urlopen(f"{base_url}/metrics", timeout=60) as response:
        text = response.read().decode("utf-8")
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name and all(sample.labels.get(k) == v for k, v in labels.items()):
                return sample.value
    return 0.0


class ServerProcess:
    """``xhs-translate serve --port 0 ARGS`` as a real subprocess (the console script next to this Python); ``url``
    is its address once it says it serves. Its stderr is read all along (``log``), so it never blocks on a full
    pipe. Use it as a context manager: leaving stops it with SIGTERM (and SIGKILL after ``timeout``)."""

    def __init__(self, *args: str, timeout: float = 120.0):
        script = Path(sys.executable).with_name("xhs-translate")
        command = [str(script)] if script.exists() else [sys.executable, "-m", "xhs_translate.cli"]
        self.timeout = timeout
        self.log: list[str] = []
        self.url = ""
        self._ready = threading.Event()
        self.process = subprocess.Popen(
            [*command, "serve", "--port", "0", *args],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, encoding="utf-8",
        )
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        if not self._ready.wait(timeout) or not self.url:
            self.stop()
            raise RuntimeError("the server did not start:\n" + "".join(self.log))

    def _read(self) -> None:
        for line in self.process.stderr:
            self.log.append(line)
            if "serving on " in line and not self.url:
                self.url = line.split("serving on ", 1)[1].split()[0]
                self._ready.set()
        self._ready.set()  # the process ended

    def stop(self) -> int:
        import signal

        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(self.timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._reader.join(10)
        return self.process.returncode

    def __enter__(self) -> ServerProcess:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


@contextmanager
def serving(models_dir: Path, cache: Path, *args: str) -> Iterator[ServerProcess]:
    """``xhs-translate serve`` on ``models_dir`` with its own cache file, for as long as the block runs."""
    with ServerProcess("--models-dir", str(models_dir), "--cache", str(cache), *args) as process:
        yield process


@contextmanager
def keyed_client(models_dir: Path, folder: Path, keys: str, *args: str) -> Iterator[Any]:
    """A client on a server (no cache) whose ``--api-keys`` file holds ``keys``, written in ``folder``."""
    path = folder / "keys.tsv"
    path.write_text(keys, encoding="utf-8")
    with (ServerProcess("--models-dir", str(models_dir), "--no-cache", "--api-keys", str(path), *args) as process,
          client_of(process) as client):
        yield client


@contextmanager
def client_of(server: ServerProcess) -> Iterator[Any]:
    """An httpx client on ``server``, with a timeout long enough for a loaded CI machine."""
    import httpx

    with httpx.Client(base_url=server.url, timeout=120) as client:
        yield client


# --- a real Chromium for the browser tests ---------------------------------------------------------------

REQUIRE_BROWSER_ENV = "XHS_TRANSLATE_REQUIRE_BROWSER"


def playwright_or_skip() -> Any:
    """``playwright.sync_api``, or skip saying what is missing; fail instead when $XHS_TRANSLATE_REQUIRE_BROWSER is
    set (CI sets it, so that browser tests cannot silently skip there)."""
    try:
        from playwright import sync_api
    except ImportError:
        sync_api, missing = None, "the playwright package is not installed (pip install '.[test]')"
    else:
        from testkit.chromium import find_chromium

        missing = (None if find_chromium()
                   else "no Chromium binary: apt-get install chromium, or set XHS_TRANSLATE_CHROMIUM")
    skip_unless_required(missing, REQUIRE_BROWSER_ENV)
    return sync_api


# --- writing inputs, running the CLI, reading outputs ------------------------------------------------------

def write_json(path: Path, records: list[dict]) -> Path:
    path.write_text(json.dumps(records, ensure_ascii=False, indent=4), encoding="utf-8")
    return path


def write_jsonl(path: Path, records: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    return path


def read_output(path_or_text, fmt: str) -> list[dict]:
    """Records of a CLI output (a file, or stdout's text) in ``fmt``."""
    if isinstance(path_or_text, Path):
        raw = path_or_text.read_bytes()
        if fmt == "csv":
            assert raw.startswith(b"\xef\xbb\xbf")  # Excel-readable, like MediaCrawler's own CSV
        text = raw.decode("utf-8-sig")
    else:
        text = path_or_text
    if fmt == "json":
        return json.loads(text)
    if fmt == "jsonl":
        return [json.loads(line) for line in text.splitlines() if line.strip()]
    return list(csv.DictReader(io.StringIO(text, newline="")))


def cli(
    env: dict[str, str], *args: str, stdin: bytes | None = None, cwd: Path | None = None
) -> subprocess.CompletedProcess:
    """``xhs-translate ARGS`` as a real subprocess, in the environment of the ``env`` fixture."""
    return subprocess.run([sys.executable, "-m", "xhs_translate.cli", *args], input=stdin, capture_output=True,
                          env=env, cwd=cwd, timeout=300)


def unfinished_run(
    command: list[str], env: dict[str, str], records: list[dict], fmt: str, **popen: Any
) -> subprocess.Popen:
    """``command`` (which reads ``-`` as ``fmt``) started on a stdin that gets ``records`` and is never closed, so
    the run cannot finish before the test stops it: a kill-mid-run test cannot lose the race to a fast run. The
    records are written from a thread (a pipe holds 64 KiB); closing stdin is the caller's, after the stop."""
    if fmt == "json":  # an array without its "]": the reader waits for the rest
        data = "[" + ",\n".join(json.dumps(r, ensure_ascii=False) for r in records) + ",\n"
    else:
        data = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records)
    proc = subprocess.Popen(command, env=env, stdin=subprocess.PIPE, **popen)
    stdin = proc.stdin

    def feed() -> None:
        try:
            stdin.write(data.encode("utf-8"))
            stdin.flush()
        except (BrokenPipeError, ValueError):  # stopped (and stdin closed) before all was written
            pass

    threading.Thread(target=feed, daemon=True).start()
    return proc


def stop_run(proc: subprocess.Popen, sig: int) -> tuple[bytes, bytes]:
    """Send ``sig`` to an :func:`unfinished_run` (still running: its input never ends), then close its stdin
    and wait; its stdout and stderr (None where not piped)."""
    assert proc.poll() is None, "an unfinished_run ended on its own"
    proc.send_signal(sig)
    stdin, proc.stdin = proc.stdin, None  # communicate() would flush it, and it is ours to close
    with suppress(BrokenPipeError):
        stdin.close()
    return proc.communicate(timeout=60)


def big_thread(n: int) -> list[dict]:
    """Distinct, deterministic zh and en comments, a fifth of them replies to the comment before."""
    zh = "家人们谁懂啊今天天气真好一起去吃火锅吧这个博主太有意思了欢迎美国朋友来小红书学中文帮我看看英语作业"
    en = ["hello", "from", "ohio", "the", "weather", "is", "great", "today", "lets", "eat", "hot", "pot", "this",
          "creator", "is", "so", "funny", "welcome", "friends"]
    out = []
    for i in range(n):
        if i % 2:
            text = "".join(zh[(i * 7 + k * 3) % len(zh)] for k in range(6 + i % 23)) + ("！" if i % 3 else " [笑哭R]")
        else:
            text = " ".join(en[(i * 5 + k * 7) % len(en)] for k in range(4 + i % 13)) + f" #{i}"
        parent = f"c{i - 1:05d}" if i % 5 == 4 else 0
        out.append({"comment_id": f"c{i:05d}", "content": text, "parent_comment_id": parent})
    return out


ROOT = os.geteuid() == 0  # root can mount a tmpfs and make device nodes


@contextmanager
def mounted_tmpfs(where: Path, options: str) -> Iterator[Path]:
    """A small tmpfs mounted at ``where`` (root only; skips, saying what mount answered, when it is refused: a
    container without CAP_SYS_ADMIN refuses it even to root)."""
    import pytest

    where.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(where)], capture_output=True, text=True
    )
    if mounted.returncode:
        why = (mounted.stderr or mounted.stdout).strip() or f"exit status {mounted.returncode}"
        pytest.skip(f"cannot mount a tmpfs at {where} (mount -o {options}): {why}")
    try:
        yield where
    finally:
        subprocess.run(["umount", str(where)], check=True)


def full_device(tmp_path: Path) -> Path:
    """A device that is always full: /dev/full, else (root, e.g. a container without it) a node of our own with
    its device numbers (char 1, 7), else skip saying why."""
    import pytest

    if os.path.exists("/dev/full"):
        return Path("/dev/full")
    if not ROOT:
        pytest.skip("no /dev/full here, and making a device node (mknod c 1 7) needs root")
    full = tmp_path / "full"
    os.mknod(full, stat.S_IFCHR | 0o666, os.makedev(1, 7))
    try:
        with open(full, "wb") as probe:
            probe.write(b"x")
    except OSError as exc:
        if exc.errno != errno.ENOSPC:  # e.g. EACCES where tmp_path is mounted nodev
            pytest.skip(f"no /dev/full here, and the node made in {tmp_path} cannot be used: {exc.strerror}")
    else:
        pytest.fail(f"{full} (char 1, 7) took a write: not the full device")
    return full


TOP = "translate-zh_en-1_0"  # the top folder of the tiny zh->en fixture archive


def repack(src: Path, dest: Path, *, drop=(), replace=None, add=None, rename=None) -> Path:
    """Copy the fixture archive with members dropped, replaced, added or renamed, to craft bad packages."""
    replace, add, rename = replace or {}, add or {}, rename or {}
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dest, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            name = info.filename
            if name in drop:
                continue
            data = replace.get(name, b"" if info.is_dir() else zin.read(name))
            zout.writestr(rename.get(name, name), data)
        for name, data in add.items():
            if isinstance(data, zipfile.ZipInfo):
                zout.writestr(data, b"/etc/passwd")
            else:
                zout.writestr(name, data)
    return dest


def with_metadata(src: Path, dest: Path, **changes) -> Path:
    """The fixture archive with some metadata.json keys changed."""
    with zipfile.ZipFile(src) as zf:
        meta = json.loads(zf.read(f"{TOP}/metadata.json"))
    meta.update(changes)
    return repack(src, dest, replace={f"{TOP}/metadata.json": json.dumps(meta).encode()})
# --- the distributed extra and a real redis-server ----------------------------------------------------------

REQUIRE_DISTRIBUTED_ENV = "XHS_TRANSLATE_REQUIRE_DISTRIBUTED"


def distributed_or_skip(module: str) -> Any:
    """``module`` (``redis`` or ``ray``; with ``redis``, Debian's redis-server too), or skip saying what is
    missing; fail instead when $XHS_TRANSLATE_REQUIRE_DISTRIBUTED is set (CI sets it, so that the Redis and Ray
    tests cannot silently skip there)."""
    import importlib
    import shutil

    missing = None
    try:
        found = importlib.import_module(module)
    except ImportError:
        found, missing = None, f"the {module} package is not installed (pip install '.[distributed]')"
    if module == "redis" and not missing and shutil.which("redis-server") is None:
        missing = "no redis-server binary: apt-get install redis-server"
    skip_unless_required(missing, REQUIRE_DISTRIBUTED_ENV)
    return found


def skip_unless_required(missing: str | None, require_env: str) -> None:
    """A real component is ``missing`` (None: it is here): the test skips saying why, or fails where CI sets
    ``require_env`` because it installed the component, so a broken install cannot pass as a skip."""
    import pytest

    if missing and os.environ.get(require_env):
        pytest.fail(f"{missing}, and {require_env} is set")
    if missing:
        pytest.skip(missing)
