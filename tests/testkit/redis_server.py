"""A real ``redis-server`` (Debian's package) for the tests of the Redis cache and the benchmarks."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path
from typing import Any

from .ports import free_port

_PORT_ATTEMPTS = 5  # first starts, each on a port found free just before

class RedisServer:
    """A real ``redis-server`` (Debian's package) on a free 127.0.0.1 port, its files in ``directory``, no
    persistence: started, killed and started again on the same port, for the tests of a shared cache and of one
    that goes away mid-run, and for the benchmarks.

    redis-server cannot pick a port itself and tell us (``--port 0`` turns TCP off), so the first start takes a
    port that is free now and, when another process binds it first (redis-server logs "Address already in use"
    and exits), takes another: the bind is what decides, not the check before it. A restart keeps its port, as
    clients hold its URL."""

    def __init__(self, directory: Path):
        self.directory = directory
        self.port = free_port()
        self.process: subprocess.Popen | None = None
        self._started = False

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> RedisServer:
        for _ in range(1 if self._started else _PORT_ATTEMPTS):
            log = self.directory / f"redis-{self.port}.log"
            log.unlink(missing_ok=True)
            self.process = subprocess.Popen(
                ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(self.directory),
                 "--save", "", "--appendonly", "no", "--protected-mode", "no", "--logfile", str(log)],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            if self._ready(log):
                self._started = True
                return self
            said = log.read_text(errors="replace") if log.is_file() else ""
            if self._started or "Address already in use" not in said:
                raise RuntimeError(f"redis-server did not start on port {self.port}: {said.strip()[-2000:]}")
            self.port = free_port()  # another process bound it between our check and redis-server's bind
        raise RuntimeError(f"redis-server found its port taken {_PORT_ATTEMPTS} times in a row")

    def _ready(self, log: Path) -> bool:
        """Wait until the server says it accepts connections and answers PING (True), or has exited (False);
        RuntimeError after 30 s. Its log decides, not a connection: one to a port another process took would hang."""
        deadline = time.monotonic() + 30
        while self.process.poll() is None:
            if log.is_file() and "Ready to accept connections" in log.read_text(errors="replace"):
                return bool(self.client().ping())
            if time.monotonic() > deadline:
                self.kill()
                raise RuntimeError(f"redis-server did not start on port {self.port} within 30 s")
            time.sleep(0.05)
        return False

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=30)

    def client(self) -> Any:
        """A plain client of our own, for looking at what the cache stored."""
        import redis

        return redis.Redis(host="127.0.0.1", port=self.port, decode_responses=True, socket_timeout=10)

    def calls(self) -> dict[str, int]:
        """Commands served since the last ``reset_calls``, by name (INFO commandstats), but for our own counting
        (one connection, opened before the reset, so that its handshake is not counted either)."""
        stats = self._counter.info("commandstats")
        return {name.removeprefix("cmdstat_"): value["calls"] for name, value in stats.items()
                if not name.startswith(("cmdstat_info", "cmdstat_config"))}

    def reset_calls(self) -> None:
        self._counter = self.client()
        self._counter.ping()
        self._counter.config_resetstat()

