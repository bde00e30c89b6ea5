"""Plain helpers that several test files share (fixtures live in conftest.py)."""

from __future__ import annotations

import hashlib
import os
import threading
from contextlib import contextmanager
from http.server import ThreadingHTTPServer
from pathlib import Path
from typing import Any, Callable, Iterator


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
