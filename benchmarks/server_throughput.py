"""Requests/s and latency of `xhs-translate serve` against LibreTranslate 1.9.6 under the same concurrent load.

The load: ``--clients`` (16) concurrent clients, each sending ``--requests`` single-comment ``POST /translate``
requests one after another (a closed loop, as Mastodon or a browser extension does), every comment distinct,
the direction given (``source`` zh -> ``target`` en, or en -> zh-Hans, decided by Han characters), so neither
side spends time on language detection or is misled by it. Both servers get exactly the same request lists,
the same random-weight ``--size`` packages (installed once into one models folder), the same beam, and the same
cores (this machine's); each runs in its own process, started before and stopped after its run.

- LibreTranslate 1.9.6 runs from its own virtualenv (``--lt-python``; see benchmarks/README.md to make it),
  served by its own ``main()`` (waitress, its default 4 threads, argostranslate's default CTranslate2 threads),
  with one change: ``argostranslate.sbd.MiniSBDSentencizer.split_sentences`` becomes the offline regex splitter
  of ``_common.regex_sentences`` (MiniSBD downloads an ONNX model on first use). For a list ``q`` it translates
  item by item; here each request holds one comment, so each request is one ``translate_batch`` call.
- xhs-translate serves with ``--no-cache`` (every comment is new anyway) and its defaults otherwise: the
  batching engine merges the comments of concurrent requests into shared model batches.

Output lengths: the fixture packages stop decoding after a handful of tokens whatever the input (their EOS logit
climbs with the position, ``xhs_translate/testing.py``), so both sides decode about as many tokens per comment;
the table shows the mean target tokens per request of each, counted with the target SentencePiece model.

    python benchmarks/server_throughput.py --lt-python /path/to/lt-venv/bin/python [--size base] [--clients 16]
        [--requests 15] [--repeats 2] [--beam-size 2] [--seed 0] [--workdir DIR]

``--stall N`` measures instead what a one-comment request waits while an N-text request runs (issue 19): probes
one after another on the idle server, then during the big request with texts of their own and with texts the
big request has queued; ``--compare-pythonpath DIR`` runs another checkout (the code before a fix) alternately.

    python benchmarks/server_throughput.py --stall 20000 [--probes 20] [--compare-pythonpath /tmp/old/checkout]
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import _SENTENCE_END, format_table, iter_thread, library_versions, load_pools, machine_line  # noqa: E402

from xhs_translate.testing import free_port  # noqa: E402

_HAN = re.compile(r"[\u3400-\u9fff]")
PAIRS = (("zh", "en"), ("en", "zh"))

#: Runs LibreTranslate's own main() with MiniSBD's splitter replaced by the benchmarks' regex one (argv[1]).
LT_LAUNCHER = """
import re, sys
import argostranslate.sbd as sbd
end = re.compile(sys.argv[1])
def split_sentences(self, text):
    return [s for s in (p.strip() for p in end.split(text)) if s] or [text]
sbd.MiniSBDSentencizer.split_sentences = split_sentences
sys.argv = ["libretranslate", *sys.argv[2:]]
from libretranslate.main import main
main()
"""


def requests_for(args) -> tuple[list[list[dict]], str]:
    """One list of request bodies per client (distinct single comments, their direction given), and where the
    text came from (``shared``: ../shared/data, or ``generated``)."""
    pools = load_pools(seed=args.seed)
    seen: set[str] = set()
    bodies = []
    for comment in iter_thread(args.clients * (args.requests + 1) * 3, seed=args.seed, repeat_share=0.0, pools=pools):
        text = comment["content"]
        if text in seen or not text.strip():
            continue
        seen.add(text)
        zh = bool(_HAN.search(text))
        bodies.append({"q": text, "source": "zh" if zh else "en", "target": "en" if zh else "zh-Hans"})
    need = args.clients * (args.requests + 1)
    if len(bodies) < need:
        raise SystemExit(f"only {len(bodies)} distinct comments for {need} requests")
    return [bodies[i * (args.requests + 1):(i + 1) * (args.requests + 1)] for i in range(args.clients)], pools.source


def wait_ready(url: str, process: subprocess.Popen, timeout: float = 300) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited with {process.returncode}")
        try:
            with urllib.request.urlopen(f"{url}/languages", timeout=5) as response:
                if response.status == 200:
                    return
        except OSError:  # not listening yet (URLError and connection errors are OSErrors)
            pass
        time.sleep(0.25)
    raise RuntimeError(f"{url} did not answer within {timeout} s")


def start_ours(models: Path, port: int, beam: int, log) -> subprocess.Popen:
    command = [sys.executable, "-m", "xhs_translate.cli", "serve", "--port", str(port), "--models-dir", str(models),
               "--no-cache", "--beam-size", str(beam)]
    return subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)


def start_libretranslate(lt_python: str, models: Path, port: int, beam: int, state: Path, log) -> subprocess.Popen:
    env = dict(os.environ)
    env.update({
        "ARGOS_PACKAGES_DIR": str(models), "ARGOS_DEVICE_TYPE": "cpu", "ARGOS_COMPUTE_TYPE": "int8",
        "ARGOS_BEAM_SIZE": str(beam), "XDG_DATA_HOME": str(state / "data"), "XDG_CONFIG_HOME": str(state / "config"),
        "XDG_CACHE_HOME": str(state / "cache"),
    })
    command = [lt_python, "-c", LT_LAUNCHER, _SENTENCE_END.pattern, "--host", "127.0.0.1", "--port", str(port),
               "--disable-web-ui", "--disable-files-translation"]
    return subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=env, cwd=state)


def run_load(url: str, plan: list[list[dict]]) -> dict:
    """Every client's first request warms up (not timed); then all clients run their lists at once. The clients
    use http.client with keep-alive: the lightest HTTP client, since it shares the machine with the server."""
    host, port = url.removeprefix("http://").rsplit(":", 1)
    latencies: list[float] = []
    outputs: list[tuple[str, str]] = []  # (translation, target)
    errors: list[str] = []
    lock = threading.Lock()
    start = threading.Barrier(len(plan) + 1)

    def client(bodies: list[dict]) -> None:
        connection = http.client.HTTPConnection(host, int(port), timeout=600)

        def post(body: dict) -> tuple[int, bytes]:
            connection.request("POST", "/translate", body=json.dumps(body).encode("utf-8"),
                               headers={"Content-Type": "application/json"})
            response = connection.getresponse()
            return response.status, response.read()

        try:
            post(bodies[0])
        finally:
            start.wait()
        for body in bodies[1:]:
            t0 = time.perf_counter()
            status, payload = post(body)
            elapsed = time.perf_counter() - t0
            with lock:
                if status != 200:
                    errors.append(f"{status}: {payload[:200]!r}")
                    continue
                latencies.append(elapsed)
                outputs.append((json.loads(payload)["translatedText"], body["target"]))
        connection.close()

    threads = [threading.Thread(target=client, args=(bodies,)) for bodies in plan]
    for t in threads:
        t.start()
    start.wait()
    t0 = time.perf_counter()
    for t in threads:
        t.join()
    seconds = time.perf_counter() - t0
    return {"seconds": seconds, "latencies": latencies, "outputs": outputs, "errors": errors}


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(60)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def measure(name: str, starter, plan: list[list[dict]], workdir: Path) -> dict:
    port = free_port()
    log_path = workdir / f"{name}.log"
    with open(log_path, "w") as log:
        process = starter(port, log)
        try:
            wait_ready(f"http://127.0.0.1:{port}", process)
            result = run_load(f"http://127.0.0.1:{port}", plan)
        finally:
            stop(process)
    result["log"] = str(log_path)
    return result


def target_tokens(outputs: list[tuple[str, str]], models: Path) -> float:
    """Mean target tokens per answer, counted with the target side's SentencePiece model."""
    import sentencepiece

    from xhs_translate.models.packages import list_packages

    encoders = {
        ("en" if p.to_code == "en" else "zh-Hans"): sentencepiece.SentencePieceProcessor(model_file=str(p.tokenizer_path))
        for p in list_packages(models)
    }
    counts = [len(encoders[target].encode(text)) for text, target in outputs]
    return statistics.mean(counts) if counts else 0.0


def engine_ceiling(plan: list[list[dict]], models: Path, beam: int, batch: int, count: int = 48) -> tuple[int, float, float]:
    """texts/s of the zh->en engine alone (the server's threads) on the timed Chinese comments, decoded one at a
    time and ``batch`` at a time: the most that merging requests can gain on this machine and these packages."""
    from xhs_translate.models.engine import DecodeOptions, load_engine
    from xhs_translate.models.packages import find_package
    from xhs_translate.server.config import SERVER_REPLICAS

    texts = [body["q"] for bodies in plan for body in bodies[1:] if body["source"] == "zh"][:count]
    engine = load_engine(find_package("zh", "en", models), inter_threads=SERVER_REPLICAS)
    options = DecodeOptions(beam_size=beam)
    engine.translate(texts[:2], options)
    rates = []
    for size in (1, batch):
        t0 = time.perf_counter()
        for i in range(0, len(texts), size):
            engine.translate(texts[i:i + size], options)
        rates.append(len(texts) / (time.perf_counter() - t0))
    return len(texts), rates[0], rates[1]


def stall_texts(args, count: int) -> tuple[list[str], list[str]]:
    """Distinct Chinese comments: ``count`` for the big request, and ``--probes`` of their own for the probes."""
    pools = load_pools(seed=args.seed + 1)
    seen: set[str] = set()
    texts = []
    for comment in iter_thread(count * 4, seed=args.seed + 1, repeat_share=0.0, zh_share=1.0, pools=pools):
        text = comment["content"]
        if text.strip() and text not in seen and _HAN.search(text):
            seen.add(text)
            texts.append(text)
    n = 0
    while len(texts) < count + args.probes:  # a small pool (generated text): numbered variants
        texts.append(f"{texts[n % len(texts)]}（{n}）")
        n += 1
    return texts[:count], texts[count:count + args.probes]


def _probe(url: str, text: str, timeout: float) -> float | None:
    """Seconds for one one-comment request (None: no answer within ``timeout``)."""
    body = json.dumps({"q": text, "source": "zh", "target": "en"}).encode("utf-8")
    request = urllib.request.Request(f"{url}/translate", body, {"Content-Type": "application/json"})
    t0 = time.perf_counter()
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            response.read()
    except OSError:
        return None
    return time.perf_counter() - t0


def measure_stall(models: Path, beam: int, big: list[str], probes: list[str], workdir: Path, name: str,
                  pythonpath: str | None, timeout: float) -> dict:
    """Probes (one comment each, one after another) on the idle server, then while a ``len(big)``-text request
    runs: probes with texts of their own, and probes whose text the big request holds near its end (queued for
    most of its run). ``pythonpath``: run another checkout's code (the code before a fix, side by side)."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = dict(os.environ, **({"PYTHONPATH": pythonpath} if pythonpath else {}))
    command = [sys.executable, "-m", "xhs_translate.cli", "serve", "--port", str(port), "--models-dir", str(models),
               "--no-cache", "--beam-size", str(beam)]
    with open(workdir / f"{name}.log", "w") as log:
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=env)
        try:
            wait_ready(url, process)
            half = len(probes) // 2
            own, shared = probes[:half], big[-half:]
            _probe(url, probes[-1], timeout)  # warm-up
            idle = [_probe(url, text, timeout) for text in own]
            body = json.dumps({"q": big, "source": "zh", "target": "en"}).encode("utf-8")
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=3600)
            connection.request("POST", "/translate", body=body, headers={"Content-Type": "application/json"})
            deadline = time.monotonic() + 300
            while time.monotonic() < deadline and "xhs_translate_texts_in_flight 0.0" in \
                    urllib.request.urlopen(f"{url}/metrics", timeout=60).read().decode():
                time.sleep(0.2)  # until the big request's texts are queued
            busy_own = [_probe(url, f"{text}！", timeout) for text in own]  # not cached by the idle round
            busy_shared = [_probe(url, text, timeout) for text in shared]
            connection.close()  # the big request's client hangs up: its texts leave the queue
        finally:
            process.kill()
            process.wait()
    return {"idle": idle, "own": busy_own, "shared": busy_shared}


def stall_report(results: dict, big: int, timeout: float) -> str:
    def cell(values: list[float | None]) -> str:
        done = [v for v in values if v is not None]
        late = len(values) - len(done)
        text = f"{statistics.median(done) * 1000:,.0f} / {_percentile(done, 0.99) * 1000:,.0f}" if done else "-"
        return text + (f" ({late} over {timeout:g} s)" if late else "")

    rows = [[name, cell(r["idle"]), cell(r["own"]), cell(r["shared"])] for name, r in results.items()]
    headers = ["server", "idle p50 / p99 ms", f"during a {big:,}-text request: own text",
               "during it: a text it has queued"]
    return format_table(headers, rows)


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def report(runs: dict, models: Path) -> str:
    """runs: system -> list of results (alternating repeats); rates are medians, latencies pooled."""
    rows, rates = [], {}
    labels = {"lt": "LibreTranslate 1.9.6 (per-item argostranslate)", "xhs": "xhs-translate serve (shared batches)"}
    for key in ("lt", "xhs"):
        if key not in runs:
            continue
        results = runs[key]
        rates[key] = statistics.median(len(r["latencies"]) / r["seconds"] for r in results)
        latencies = [x for r in results for x in r["latencies"]]
        outputs = [x for r in results for x in r["outputs"]]
        errors = [x for r in results for x in r["errors"]]
        each = ", ".join(f"{len(r['latencies']) / r['seconds']:.1f}" for r in results)
        rows.append([
            labels[key], f"{rates[key]:,.1f} ({each})",
            f"{statistics.median(latencies) * 1000:,.0f}" if latencies else "-",
            f"{_percentile(latencies, 0.99) * 1000:,.0f}" if latencies else "-",
            f"{target_tokens(outputs, models):.1f}", str(len(errors)),
            f"{rates[key] / rates['lt']:.2f}x" if "lt" in rates else "-",
        ])
    headers = ["server", "requests/s median (runs)", "p50 ms", "p99 ms", "target tokens/request", "errors",
               "vs LibreTranslate"]
    lines = [format_table(headers, rows), ""]
    if "lt" not in runs:
        lines.append("LibreTranslate: skipped (no --lt-python); see benchmarks/README.md to install it")
    for key, results in runs.items():
        for r in results:
            if r["errors"]:
                lines.append(f"{labels[key]}: {len(r['errors'])} errors, first: {r['errors'][0]} (log: {r['log']})")
    lines.append("versions: " + json.dumps(library_versions()))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lt-python", default=os.environ.get("LIBRETRANSLATE_PYTHON"),
                        help="the python of a virtualenv with libretranslate==1.9.6 ($LIBRETRANSLATE_PYTHON)")
    parser.add_argument("--size", choices=("tiny", "base"), default="base", help="fixture model size")
    parser.add_argument("--clients", type=int, default=16, help="concurrent clients (default %(default)s)")
    parser.add_argument("--requests", type=int, default=15, help="timed requests per client (default %(default)s)")
    parser.add_argument("--beam-size", type=int, default=None, help="beam for both (default: xhs-translate's)")
    parser.add_argument("--repeats", type=int, default=2,
                        help="alternating runs of each server; requests/s is their median (default %(default)s)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--workdir", type=Path, default=None, help="keep packages and server logs here")
    parser.add_argument("--stall", type=int, default=0, metavar="N",
                        help="instead: one-comment probes on an idle server and while an N-text request runs "
                             "(issue 19: N=20000)")
    parser.add_argument("--probes", type=int, default=20, help="probes per round with --stall (default %(default)s)")
    parser.add_argument("--probe-timeout", type=float, default=120.0, help="seconds a probe may take (--stall)")
    parser.add_argument("--compare-pythonpath", metavar="DIR",
                        help="with --stall, measure this checkout's code too (e.g. the commit before a fix)")
    args = parser.parse_args(argv)
    if args.clients < 1 or args.requests < 1 or args.repeats < 1:
        parser.error("--clients, --requests and --repeats must be >= 1")

    from xhs_translate.models.engine import DecodeOptions
    from xhs_translate.models.install import install_package
    from xhs_translate.testing import cached_package

    beam = args.beam_size or DecodeOptions().beam_size
    plan, text_source = requests_for(args)
    with tempfile.TemporaryDirectory(prefix="xhs-bench-server-") as tmp:
        workdir = args.workdir or Path(tmp)
        workdir.mkdir(parents=True, exist_ok=True)
        models = workdir / "models"
        for pair in PAIRS:
            install_package(cached_package(*pair, size=args.size), models)
        if args.stall:
            big, probes = stall_texts(args, args.stall)
            print(f"stall: {args.stall:,}-text request, {args.probes // 2} probes per round, {args.size} packages, "
                  f"beam {beam}; {machine_line()}", flush=True)
            results = {}
            for repeat in range(args.repeats):  # alternate the two checkouts
                for name, path in (("this code", None), ("compared code", args.compare_pythonpath)):
                    if name == "this code" or path:
                        result = measure_stall(models, beam, big, probes, workdir, f"stall-{repeat}-{len(results)}",
                                               path, args.probe_timeout)
                        pooled = results.setdefault(name, {"idle": [], "own": [], "shared": []})
                        for key in pooled:
                            pooled[key] += result[key]
            print(stall_report(results, args.stall, args.probe_timeout))
            return 0
        print(f"load: {args.clients} clients x {args.requests} single-comment requests (+1 warm-up each), text from "
              f"{text_source}, {args.size} packages, beam {beam}; {machine_line()}", flush=True)
        runs: dict[str, list[dict]] = {"lt": [], "xhs": []} if args.lt_python else {"xhs": []}
        state = workdir / "lt-state"
        state.mkdir(exist_ok=True)
        for repeat in range(args.repeats):  # alternate, so that a busy moment of the machine hits both alike
            if args.lt_python:
                runs["lt"].append(measure(f"libretranslate-{repeat}", lambda port, log: start_libretranslate(
                    args.lt_python, models, port, beam, state, log), plan, workdir))
            runs["xhs"].append(measure(f"xhs-translate-{repeat}", lambda port, log: start_ours(models, port, beam, log),
                                       plan, workdir))
            print(f"run {repeat + 1}/{args.repeats} done", flush=True)
        print(report(runs, models))
        count, one, many = engine_ceiling(plan, models, beam, args.clients)
        print(f"ceiling: the zh->en engine alone on {count} of these comments decodes "
              f"{one:.1f} texts/s one at a time and {many:.1f} texts/s {args.clients} at a time ({many / one:.2f}x)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
