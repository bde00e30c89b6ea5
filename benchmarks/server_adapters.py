"""What a page translator's request costs on `xhs-translate serve`, and which client settings suit it.

1. **Cost of a list.** One ``--items``-paragraph Immersive Translate request (``POST /imme``) against one
   ``--items``-item ``POST /translate`` and against the same paragraphs sent as ``--items`` single-item
   ``/translate`` requests one after another (a client set to one paragraph per request). Each run takes new
   comments (zh and en mixed, ``source`` auto, ``target`` en, as a reader of xiaohongshu.com asks) and sends the
   same ones in each of the three ways, in a rotating order; the server runs with ``--no-cache`` (no cache, no
   memo), so every way decodes every comment. ``--repeats`` runs; the table gives the median wall time and the
   median CPU seconds of the server process (``/proc/PID/stat``) per way, and the ratio to ``/translate``.
2. **Client settings.** ``--clients`` concurrent clients (a translator sends several requests at once) each send
   ``--rounds`` ``/imme`` requests of P paragraphs, for each P of ``--paragraphs``: paragraphs/s, requests/s and
   p50/p99 latency, to choose "paragraphs per request" and "requests per second" in the README's table.

    python benchmarks/server_adapters.py [--size base] [--items 20] [--repeats 5] [--paragraphs 1,5,10,20,40]
        [--clients 4] [--rounds 3] [--beam-size N] [--seed 0]
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import format_table, iter_thread, library_versions, load_pools, machine_line
from server_throughput import PAIRS, _percentile, start_ours, stop, wait_ready
from testkit.ports import free_port


def fresh_comments(count: int, seed: int) -> tuple[list[str], str]:
    """``count`` distinct non-blank comments (zh and en mixed, as the pools hold them) and where they came from."""
    pools = load_pools(seed=seed)
    seen: dict[str, None] = {}
    for comment in iter_thread(count * 3, seed=seed, repeat_share=0.0, pools=pools):
        text = comment["content"].strip()
        if text and text not in seen:
            seen[text] = None
            if len(seen) == count:
                break
    if len(seen) < count:
        raise SystemExit(f"only {len(seen)} distinct comments for {count}")
    return list(seen), pools.source


def server_cpu(pid: int) -> float:
    """User + system CPU seconds of a process so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class Client:
    """One keep-alive connection speaking JSON."""

    def __init__(self, port: int):
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=600)

    def post(self, path: str, body: dict) -> dict:
        self.connection.request("POST", path, body=json.dumps(body).encode("utf-8"),
                                headers={"Content-Type": "application/json"})
        response = self.connection.getresponse()
        payload = response.read()
        if response.status != 200:
            raise RuntimeError(f"{path}: {response.status} {payload[:200]!r}")
        return json.loads(payload)

    def close(self) -> None:
        self.connection.close()


def imme(texts: list[str]) -> tuple[str, dict]:
    return "/imme", {"source_lang": "auto", "target_lang": "en", "text_list": texts}


def translate(texts: list[str]) -> tuple[str, dict]:
    return "/translate", {"q": texts, "source": "auto", "target": "en"}


KINDS = {
    "/imme, one request of the list": lambda c, texts: c.post(*imme(texts)),
    "/translate, one request of the list": lambda c, texts: c.post(*translate(texts)),
    "/translate, one request per item": lambda c, texts: [c.post(*translate([t])) for t in texts],
}


def list_cost(port: int, pid: int, texts: Iterator[str], items: int,
              repeats: int) -> dict[str, list[tuple[float, float]]]:
    """kind -> [(wall s, server CPU s)] over the repeats, kinds interleaved in a rotating order."""
    client = Client(port)
    client.post(*imme([next(texts) for _ in range(items)]))  # warm-up: engines, detector, connection
    runs: dict[str, list[tuple[float, float]]] = {kind: [] for kind in KINDS}
    names = list(KINDS)
    for repeat in range(repeats):
        batch = [next(texts) for _ in range(items)]  # the same new paragraphs for each kind (no cache, no memo)
        for kind in names[repeat % len(names):] + names[:repeat % len(names)]:
            cpu, t0 = server_cpu(pid), time.perf_counter()
            KINDS[kind](client, batch)
            runs[kind].append((time.perf_counter() - t0, server_cpu(pid) - cpu))
    client.close()
    return runs


def settings_load(port: int, texts: Iterator[str], paragraphs: int, clients: int, rounds: int) -> dict:
    """``clients`` concurrent clients each sending ``rounds`` /imme requests of ``paragraphs`` paragraphs."""
    plans = [[[next(texts) for _ in range(paragraphs)] for _ in range(rounds)] for _ in range(clients)]
    latencies: list[float] = []
    lock = threading.Lock()
    start = threading.Barrier(clients + 1)

    def run(plan: list[list[str]]) -> None:
        client = Client(port)
        start.wait()
        for texts_ in plan:
            t0 = time.perf_counter()
            client.post(*imme(texts_))
            with lock:
                latencies.append(time.perf_counter() - t0)
        client.close()

    threads = [threading.Thread(target=run, args=(plan,)) for plan in plans]
    for thread in threads:
        thread.start()
    start.wait()
    t0 = time.perf_counter()
    for thread in threads:
        thread.join()
    seconds = time.perf_counter() - t0
    return {"paragraphs/s": clients * rounds * paragraphs / seconds, "requests/s": clients * rounds / seconds,
            "p50": statistics.median(latencies), "p99": _percentile(latencies, 0.99)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", choices=("tiny", "base"), default="base", help="fixture model size")
    parser.add_argument("--items", type=int, default=20, help="paragraphs in the compared list (default %(default)s)")
    parser.add_argument("--repeats", type=int, default=5, help="interleaved runs of each kind (default %(default)s)")
    parser.add_argument("--paragraphs", default="1,5,10,20,40", help="paragraphs per request to try")
    parser.add_argument("--clients", type=int, default=4, help="concurrent clients for the settings")
    parser.add_argument("--rounds", type=int, default=3, help="requests per client for each setting")
    parser.add_argument("--beam-size", type=int, default=None, help="beam (default: xhs-translate's)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    sizes = [int(p) for p in args.paragraphs.split(",") if p.strip()]
    if min(args.items, args.repeats, args.clients, args.rounds, *sizes) < 1:
        parser.error("every count must be >= 1")

    from testkit.models import cached_package

    from xhs_translate.models.engine import DecodeOptions
    from xhs_translate.models.install import install_package

    beam = args.beam_size or DecodeOptions().beam_size
    need = args.items * (1 + args.repeats) + args.clients * args.rounds * sum(sizes)
    comments, source = fresh_comments(need, args.seed)
    texts = iter(comments)
    with tempfile.TemporaryDirectory(prefix="xhs-bench-adapters-") as tmp:
        models = Path(tmp) / "models"
        for pair in PAIRS:
            install_package(cached_package(*pair, size=args.size), models)
        port = free_port()
        with open(Path(tmp) / "server.log", "w") as log:
            process = start_ours(models, port, beam, log)
            try:
                wait_ready(f"http://127.0.0.1:{port}", process)
                print(f"{args.size} packages, beam {beam}, text from {source}, --no-cache; {machine_line()}",
                      flush=True)
                runs = list_cost(port, process.pid, texts, args.items, args.repeats)
                settings = {p: settings_load(port, texts, p, args.clients, args.rounds) for p in sizes}
            finally:
                stop(process)
    medians = {kind: (statistics.median(w for w, _ in r), statistics.median(c for _, c in r))
               for kind, r in runs.items()}
    wall_ref, cpu_ref = medians["/translate, one request of the list"]
    # /proc counts CPU in clock ticks (10 ms): a tiny run's reference can read 0, and then no CPU ratio exists
    rows = [[kind, f"{wall * 1000:,.0f}", f"{cpu:.3f}", f"{wall / wall_ref:.2f}x",
             f"{cpu / cpu_ref:.2f}x" if cpu_ref else "- (under one clock tick)"]
            for kind, (wall, cpu) in medians.items()]
    print(f"\n1. {args.items} paragraphs, {args.repeats} interleaved runs of each (medians)")
    print(format_table(["request", "wall ms", "server CPU s", "wall vs /translate", "CPU vs /translate"], rows))
    print(f"\n2. /imme with {args.clients} concurrent clients x {args.rounds} requests")
    print(format_table(["paragraphs/request", "paragraphs/s", "requests/s", "p50 ms", "p99 ms"], [
        [str(p), f"{s['paragraphs/s']:,.1f}", f"{s['requests/s']:,.1f}", f"{s['p50'] * 1000:,.0f}",
         f"{s['p99'] * 1000:,.0f}"] for p, s in settings.items()]))
    print("versions: " + json.dumps(library_versions()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
