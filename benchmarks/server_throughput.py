"""Requests/s, latency and CPU of `xhs-translate serve` against LibreTranslate 1.9.6 and against raw CTranslate2's
ceiling on the same segments, at several numbers of concurrent clients (issue 24).

The load: ``--clients`` (1, 16 and 64) concurrent clients, each sending single-comment ``POST /translate``
requests one after another (a closed loop, as Mastodon or a browser extension does), every comment distinct, the
direction given (``source`` zh -> ``target`` en, or en -> zh-Hans, decided by Han characters), so neither side
spends time on language detection or is misled by it. Every server gets exactly the same request lists, the same
random-weight ``--size`` packages (installed once into one models folder) and the same cores, each at its own
default beam (xhs-translate 2, LibreTranslate 4: ``--lt-beams 4,2`` adds LibreTranslate at ours); each
runs in its own process, started before and stopped after its run, and its CPU seconds over the timed load are
read from ``/proc/PID/stat`` (user + system, every thread).

- LibreTranslate 1.9.6 runs from its own virtualenv (``--lt-python``; see benchmarks/README.md to make it),
  served by its own ``main()`` (waitress, its default 4 threads, argostranslate's default CTranslate2 threads),
  with one change: ``argostranslate.sbd.MiniSBDSentencizer.split_sentences`` becomes the offline regex splitter
  of ``_common.regex_sentences`` (MiniSBD downloads an ONNX model on first use). For a list ``q`` it translates
  item by item; here each request holds one comment, so each request is one ``translate_batch`` call.
- xhs-translate serves with ``--no-cache`` (every comment is new anyway) and its defaults otherwise; ``--variant
  LABEL=ARGS`` adds servers of this checkout with other settings (``ENV=VALUE`` words first, then serve options),
  ``--baseline DIR`` a server run from another checkout's code (``before``).
- The ceiling: the segments the server decodes for the timed requests (the same pipeline, recorded in-process
  with an engine that only records, so nothing is guessed), pre-tokenized, decoded by raw CTranslate2 in one
  ``translate_batch`` per direction (CTranslate2 sorts and splits them by the engine's token budget) with the same
  beam, ``no_repeat_ngram_size`` and length bound and the library's default threads. The server's share of it is
  its requests/s over the ceiling's, and the ceiling's CPU seconds over the server's (work, whatever the load).

Output lengths: the fixture packages stop decoding after a handful of tokens whatever the input (their EOS logit
climbs with the position, ``xhs_translate/models/demo.py``), so every side decodes about as many tokens per comment;
the table shows the mean target tokens per request of each, counted with the target SentencePiece model, and, for
xhs-translate, the texts per model call (``/metrics``' dispatches over the timed load).

Repeats alternate every system and the ceiling (``--repeats``), so a busy moment of a shared machine hits all
alike; requests/s and CPU are medians, latencies pooled over the repeats.

    python benchmarks/server_throughput.py --lt-python /path/to/lt-venv/bin/python [--size base]
        [--clients 1,16,64] [--requests 160] [--repeats 2] [--beam-size 2] [--lt-beams 4[,2]] [--baseline DIR]
        [--variant LABEL=ARGS ...] [--seed 0] [--workdir DIR]

``--stall N`` measures instead what a one-comment request waits while an N-text request runs (issue 19): probes
one after another on the idle server, then during the big request with texts of their own and with texts the
big request has queued; ``--compare-pythonpath DIR`` runs another checkout (the code before a fix) alternately.

    python benchmarks/server_throughput.py --stall 20000 [--probes 20] [--compare-pythonpath /tmp/old/checkout]
"""

from __future__ import annotations

import argparse
import functools
import http.client
import json
import math
import os
import shlex
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

from _common import _SENTENCE_END, HAN, format_table, iter_thread, library_versions, load_pools, machine_line
from testkit.ports import free_port

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


def requests_for(clients: int, per_client: int, seed: int) -> tuple[list[list[dict]], str]:
    """One list of request bodies per client (a warm-up, then ``per_client`` timed ones: distinct single comments,
    their direction given), and where the text came from (``shared``: ../shared/data, or ``generated``)."""
    pools = load_pools(seed=seed)
    seen: set[str] = set()
    bodies = []
    for comment in iter_thread(clients * (per_client + 1) * 3, seed=seed, repeat_share=0.0, pools=pools):
        text = comment["content"]
        if text in seen or not text.strip():
            continue
        seen.add(text)
        zh = bool(HAN.search(text))
        bodies.append({"q": text, "source": "zh" if zh else "en", "target": "en" if zh else "zh-Hans"})
    need = clients * (per_client + 1)
    if len(bodies) < need:
        raise SystemExit(f"only {len(bodies)} distinct comments for {need} requests")
    return [bodies[i * (per_client + 1):(i + 1) * (per_client + 1)] for i in range(clients)], pools.source


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


def start_ours(models: Path, port: int, beam: int, log, *, code: Path | None = None, args: tuple[str, ...] = (),
               env: dict | None = None) -> subprocess.Popen:
    """``xhs-translate serve`` of this checkout, or of the checkout at ``code``, with extra serve ``args`` and
    ``env`` variables."""
    command = [sys.executable, "-m", "xhs_translate.cli", "serve", "--port", str(port), "--models-dir", str(models),
               "--no-cache", "--beam-size", str(beam), *args]
    environ = {**os.environ, **(env or {})}
    if code is not None:
        environ["PYTHONPATH"] = str(code)
    return subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=environ, cwd=code)


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


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process so far, all its threads (``/proc/PID/stat`` fields 14 and 15)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run_load(url: str, plan: list[list[dict]], pid: int) -> dict:
    """Every client's first request warms up (not timed); then all clients run their lists at once. The clients
    use http.client with keep-alive: the lightest HTTP client, since it shares the machine with the server."""
    host, port = url.removeprefix("http://").rsplit(":", 1)
    latencies: list[float] = []
    outputs: list[tuple[str, str]] = []  # (translation, target)
    errors: list[str] = []
    lock = threading.Lock()
    warm, start = threading.Barrier(len(plan) + 1), threading.Barrier(len(plan) + 1)

    def client(bodies: list[dict]) -> None:
        connection = http.client.HTTPConnection(host, int(port), timeout=600)

        def post(body: dict, retry: bool = True) -> tuple[int, bytes]:
            try:
                connection.request("POST", "/translate", body=json.dumps(body).encode("utf-8"),
                                   headers={"Content-Type": "application/json"})
                response = connection.getresponse()
                return response.status, response.read()
            except (BrokenPipeError, ConnectionResetError, http.client.RemoteDisconnected):
                if not retry:  # a server closes an idle keep-alive connection (after the warm-up barrier)
                    raise
                connection.close()
                return post(body, retry=False)

        try:
            post(bodies[0])
        finally:
            warm.wait()
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
    warm.wait()
    batches0 = batch_counts(url)  # after the warm-up requests, before the timed ones
    start.wait()
    t0, cpu0 = time.perf_counter(), cpu_seconds(pid)
    for t in threads:
        t.join()
    seconds, cpu = time.perf_counter() - t0, cpu_seconds(pid) - cpu0
    batches = [after - before for after, before in zip(batch_counts(url), batches0)]
    return {"seconds": seconds, "cpu": cpu, "latencies": latencies, "outputs": outputs, "errors": errors,
            "batches": batches}


_BATCH_SERIES = ("xhs_translate_batch_texts_sum", "xhs_translate_batch_texts_count")


def batch_counts(url: str) -> list[float]:
    """Texts dispatched and engine dispatches so far, from xhs-translate's ``/metrics`` (empty for LibreTranslate,
    which has none): the load's texts per model call are the differences over it."""
    try:
        with urllib.request.urlopen(f"{url}/metrics", timeout=60) as response:
            text = response.read().decode()
    except OSError:  # LibreTranslate answers 404
        return []
    values = dict(line.rsplit(" ", 1) for line in text.splitlines() if line.startswith(_BATCH_SERIES))
    return [float(values.get(name, 0)) for name in _BATCH_SERIES]


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
            result = run_load(f"http://127.0.0.1:{port}", plan, process.pid)
        finally:
            stop(process)
    result["log"] = str(log_path)
    return result


def target_tokens(outputs: list[tuple[str, str]], models: Path) -> float:
    """Mean target tokens per answer, counted with the target side's SentencePiece model."""
    import sentencepiece

    from xhs_translate.models.packages import list_packages

    encoders = {
        ("en" if p.to_code == "en" else "zh-Hans"):
            sentencepiece.SentencePieceProcessor(model_file=str(p.tokenizer_path))
        for p in list_packages(models)
    }
    counts = [len(encoders[target].encode(text)) for text, target in outputs]
    return statistics.mean(counts) if counts else 0.0


def startup(models: Path, workdir: Path, beam: int, repeats: int = 3) -> str:
    """Wall and CPU seconds to the first result: ``xhs-translate translate`` on a one-comment file (the whole
    process), and a fresh ``xhs-translate serve`` until its first ``/translate`` answer (polled every 10 ms)."""
    import resource

    one, out = workdir / "one.jsonl", workdir / "one-out.jsonl"
    record = {"comment_id": "1", "content": "今天天气很好，我们去公园散步吧。"}
    one.write_text(json.dumps(record, ensure_ascii=False) + "\n", encoding="utf-8")
    env = {**os.environ, "XHS_TRANSLATE_OFFLINE": "1"}
    cli, served = [], []
    for _ in range(repeats):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-m", "xhs_translate.cli", "translate", str(one), "-o", str(out),
                        "--models-dir", str(models), "--no-cache", "--quiet", "--beam-size", str(beam)], env=env,
                       check=True)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cli.append((time.perf_counter() - t0, after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime))
        port = free_port()
        t0 = time.perf_counter()
        with open(workdir / "startup.log", "w") as log:
            process = start_ours(models, port, beam, log)
            try:
                body = json.dumps({"q": "今天天气很好", "source": "zh", "target": "en"}).encode("utf-8")
                while True:
                    if process.poll() is not None:
                        raise RuntimeError(f"the server exited with {process.returncode}")
                    try:
                        request = urllib.request.Request(f"http://127.0.0.1:{port}/translate", data=body,
                                                         headers={"Content-Type": "application/json"})
                        with urllib.request.urlopen(request, timeout=60) as response:
                            if response.status == 200:
                                break
                    except OSError:
                        time.sleep(0.01)
                served.append((time.perf_counter() - t0, cpu_seconds(process.pid)))
            finally:
                stop(process)
    med = lambda rows, k: statistics.median(r[k] for r in rows)  # noqa: E731
    return (f"start-up (median of {repeats}): translate on a one-comment file {med(cli, 0) * 1000:,.0f} ms wall, "
            f"{med(cli, 1) * 1000:,.0f} ms CPU; serve to its first /translate answer {med(served, 0) * 1000:,.0f} ms "
            f"wall, {med(served, 1) * 1000:,.0f} ms CPU")


class _RecordingEngine:
    """Stands in for an engine: records the segments it is asked for and returns them untranslated."""

    def __init__(self, log: list[str]):
        self._log = log

    def translate(self, texts, options):
        from xhs_translate.models.engine import EngineResult

        self._log.extend(texts)
        return EngineResult(translations=tuple(texts), batches=1, source_tokens=0, target_tokens=0)


def server_segments(plan: list[list[dict]], models: Path) -> dict[tuple[str, str], list[str]]:
    """The segments the server sends to the model for the timed requests of ``plan``: the Translator's own
    pipeline (the server calls ``translate_many`` per request), with an engine that only records."""
    from xhs_translate.translator import Translator

    segments: dict[tuple[str, str], list[str]] = {}
    translator = Translator(models_dir=models, cache=False, engine_provider=lambda package, **_: _RecordingEngine(
        segments.setdefault((package.from_code, package.to_code), [])))
    for bodies in plan:
        for body in bodies[1:]:
            translator.translate_many([body["q"]], source=body["source"],
                                      target="zh" if body["target"] == "zh-Hans" else body["target"])
    return segments


class Ceiling:
    """Raw CTranslate2 on given segments: one ``translate_batch`` per direction, pre-tokenized, CTranslate2's own
    sorting and splitting by the engine's token budget, the library's default threads, both directions queued at
    once. Models load once."""

    def __init__(self, models: Path, beam: int):
        import ctranslate2
        import sentencepiece

        from xhs_translate.models.engine import DecodeOptions, resolve_threads
        from xhs_translate.models.packages import list_packages

        self.options = DecodeOptions(beam_size=beam)
        self.threads = resolve_threads(None, None, "cpu")
        self.models = {}
        for package in list_packages(models):
            translator = ctranslate2.Translator(str(package.model_dir), device="cpu", compute_type="int8",
                                                inter_threads=self.threads[0], intra_threads=self.threads[1])
            encoder = sentencepiece.SentencePieceProcessor(model_file=str(package.tokenizer_path))
            self.models[(package.from_code, package.to_code)] = (translator, encoder)

    def run(self, segments: dict[tuple[str, str], list[str]]) -> dict:
        from xhs_translate.models.engine import decoding_length

        options = self.options
        pieces = {pair: self.models[pair][1].encode(texts, out_type=str) for pair, texts in segments.items() if texts}
        t0, cpu0 = time.perf_counter(), time.process_time()
        pending = [self.models[pair][0].translate_batch(
            batch, max_batch_size=options.batch_tokens("cpu"), batch_type="tokens", beam_size=options.beam_size,
            max_input_length=0, max_decoding_length=decoding_length(max(map(len, batch)), options),
            repetition_penalty=options.repetition_penalty, no_repeat_ngram_size=options.no_repeat_ngram_size,
            length_penalty=options.length_penalty, asynchronous=True) for pair, batch in pieces.items()]
        for results in pending:
            for result in results:
                result.result()
        return {"seconds": time.perf_counter() - t0, "cpu": time.process_time() - cpu0}


def stall_texts(args, count: int) -> tuple[list[str], list[str]]:
    """Distinct Chinese comments: ``count`` for the big request, and ``--probes`` of their own for the probes."""
    pools = load_pools(seed=args.seed + 1)
    seen: set[str] = set()
    texts = []
    for comment in iter_thread(count * 4, seed=args.seed + 1, repeat_share=0.0, zh_share=1.0, pools=pools):
        text = comment["content"]
        if text.strip() and text not in seen and HAN.search(text):
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
            dispatched, previous = batch_counts(url)[1], None
            while dispatched != previous:  # a batch is counted just after its answer: let the last probe's settle
                time.sleep(0.1)
                previous, dispatched = dispatched, batch_counts(url)[1]
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=3600)
            connection.request("POST", "/translate", body=body, headers={"Content-Type": "application/json"})
            deadline = time.monotonic() + 300
            # until the big request's first model batch: a count that only grows, so a request that is done before
            # the first look is not waited for until the deadline (texts in flight would read 0 again)
            while time.monotonic() < deadline and batch_counts(url)[1] == dispatched:
                time.sleep(0.2)
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


def report(clients: int, runs: dict[str, list[dict]], ceiling: list[dict], requests: int, segments: int,
           models: Path) -> str:
    """One table for one number of clients. runs: label -> results of the alternating repeats; medians of
    requests/s and CPU, latencies pooled."""
    ceiling_rate = statistics.median(requests / c["seconds"] for c in ceiling)
    ceiling_cpu = statistics.median(c["cpu"] for c in ceiling) / requests
    reference = next((label for label in runs if label.startswith(LT)), None)  # the first: at its own default beam
    lt_rate = statistics.median(len(r["latencies"]) / r["seconds"] for r in runs[reference]) if reference else None
    rows = []
    for label, results in runs.items():
        rate = statistics.median(len(r["latencies"]) / r["seconds"] for r in results)
        cpu = statistics.median(r["cpu"] / max(1, len(r["latencies"])) for r in results)
        latencies = [x for r in results for x in r["latencies"]]
        each = ", ".join(f"{len(r['latencies']) / r['seconds']:.1f}" for r in results)
        rows.append([
            label, f"{rate:,.1f} ({each})",
            f"{statistics.median(latencies) * 1000:,.0f}" if latencies else "-",
            f"{_percentile(latencies, 0.99) * 1000:,.0f}" if latencies else "-",
            f"{cpu * 1000:,.1f}", f"{rate / ceiling_rate:.2f}" if not label.startswith(LT) else "-",
            f"{ceiling_cpu / cpu:.2f}" if not label.startswith(LT) and cpu else "-",
            f"{target_tokens([x for r in results for x in r['outputs']], models):.1f}",
            str(sum(len(r["errors"]) for r in results)), f"{rate / lt_rate:.2f}x" if lt_rate else "-",
            _texts_per_call(results),
        ])
    each = ", ".join(f"{requests / c['seconds']:.1f}" for c in ceiling)
    rows.append([f"ceiling: raw CTranslate2, same {segments} segments", f"{ceiling_rate:,.1f} ({each})", "-", "-",
                 f"{ceiling_cpu * 1000:,.1f}", "1.00", "1.00", "-", "-",
                 f"{ceiling_rate / lt_rate:.2f}x" if lt_rate else "-", "-"])
    headers = ["server", "requests/s median (runs)", "p50 ms", "p99 ms", "CPU ms/request", "share of ceiling",
               "share, CPU", "target tokens/request", "errors", "vs LibreTranslate", "texts per model call"]
    lines = [f"## {clients} client{'s' if clients > 1 else ''}, {requests} timed requests per run", "",
             format_table(headers, rows), ""]
    for label, results in runs.items():
        for r in results:
            if r["errors"]:
                lines.append(f"{label}: {len(r['errors'])} errors, first: {r['errors'][0]} (log: {r['log']})")
    return "\n".join(lines)


def _texts_per_call(results: list[dict]) -> str:
    """Texts per engine dispatch over the timed loads of a server ("-" where it has no ``/metrics``)."""
    texts = sum(r["batches"][0] for r in results if r.get("batches"))
    calls = sum(r["batches"][1] for r in results if r.get("batches"))
    return f"{texts / calls:.1f}" if calls else "-"


LT = "LibreTranslate 1.9.6"
LT_DEFAULT_BEAM = 4  # argostranslate's settings.beam_size when ARGOS_BEAM_SIZE is unset
OURS = "xhs-translate serve (shared batches)"


def parse_variant(text: str) -> tuple[str, dict, tuple[str, ...]]:
    """``LABEL=ENV=VALUE ... --option value``: a label, env variables, serve options."""
    label, _, rest = text.partition("=")
    words = shlex.split(rest)
    env = {}
    while words and "=" in words[0] and not words[0].startswith("-"):
        name, _, value = words.pop(0).partition("=")
        env[name] = value
    return label, env, tuple(words)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lt-python", default=os.environ.get("LIBRETRANSLATE_PYTHON"),
                        help="the python of a virtualenv with libretranslate==1.9.6 ($LIBRETRANSLATE_PYTHON)")
    parser.add_argument("--size", choices=("tiny", "base"), default="base", help="fixture model size")
    parser.add_argument("--clients", default="1,16,64",
                        help="concurrent clients, comma-separated (default %(default)s)")
    parser.add_argument("--requests", type=int, default=160,
                        help="timed requests per run, shared among the clients (at least 2 each; default %(default)s)")
    parser.add_argument("--beam-size", type=int, default=None,
                        help="beam of xhs-translate and of the ceiling (default: xhs-translate's)")
    parser.add_argument("--lt-beams", default=str(LT_DEFAULT_BEAM), metavar="N[,N...]",
                        help="LibreTranslate's beam, one server per value; the first is the reference of "
                             "'vs LibreTranslate' (default: %(default)s, its own default, as the issue compares "
                             "each server at its defaults; add 2 for the same beam as ours)")
    parser.add_argument("--repeats", type=int, default=2,
                        help="alternating runs of each server and the ceiling; medians (default %(default)s)")
    parser.add_argument("--baseline", type=Path, default=None,
                        help="also serve from the code of this checkout (a folder holding xhs_translate/): 'before'")
    parser.add_argument("--variant", action="append", default=[], metavar="LABEL=ARGS",
                        help="also serve with these env variables and serve options, e.g. "
                             "'passive=OMP_WAIT_POLICY=PASSIVE --inter-threads 2' (repeatable)")
    parser.add_argument("--startup", action="store_true",
                        help="also time translate on a one-comment file and serve to its first answer")
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
    counts = [int(c) for c in args.clients.split(",")]
    if min(counts) < 1 or args.requests < 1 or args.repeats < 1:
        parser.error("--clients, --requests and --repeats must be >= 1")
    try:
        lt_beams = [int(b) for b in args.lt_beams.split(",")]
    except ValueError:
        lt_beams = []
    if not lt_beams or min(lt_beams) < 1:
        parser.error(f"--lt-beams must be positive integers separated by commas, got {args.lt_beams!r}")

    from testkit.models import cached_package

    from xhs_translate.models.engine import DecodeOptions
    from xhs_translate.models.install import install_package

    beam = args.beam_size or DecodeOptions().beam_size
    systems = {}
    if args.lt_python:
        for lt_beam in lt_beams:
            own = " (its default)" if lt_beam == LT_DEFAULT_BEAM else (" (as ours)" if lt_beam == beam else "")
            systems[f"{LT}, beam {lt_beam}{own}"] = (
                lambda port, log, state, b=lt_beam: start_libretranslate(args.lt_python, models, port, b, state, log))
    if args.baseline:
        systems[f"before ({args.baseline})"] = lambda port, log, state: start_ours(models, port, beam, log,
                                                                                  code=args.baseline.resolve())
    systems[OURS] = lambda port, log, state: start_ours(models, port, beam, log)
    for text in args.variant:
        label, env, extra = parse_variant(text)
        systems[label] = lambda port, log, state, env=env, extra=extra: start_ours(models, port, beam, log, args=extra,
                                                                                   env=env)
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
        state = workdir / "lt-state"
        state.mkdir(exist_ok=True)
        plans, segments = {}, {}
        for clients in counts:
            plans[clients], source = requests_for(clients, max(2, math.ceil(args.requests / clients)), args.seed)
            segments[clients] = server_segments(plans[clients], models)
        print(f"load: clients {args.clients}, {args.requests} timed single-comment requests per run (at least 2 per "
              f"client, +1 warm-up each), text from {source}, {args.size} packages, beam {beam}; {machine_line()}; "
              f"load average {os.getloadavg()[0]:.1f} at the start", flush=True)
        ceiling = Ceiling(models, beam)
        runs = {clients: {label: [] for label in systems} for clients in counts}
        ceilings: dict[int, list[dict]] = {clients: [] for clients in counts}
        for repeat in range(args.repeats):  # alternate, so that a busy moment of the machine hits all alike
            for clients in counts:
                for n, (label, starter) in enumerate(systems.items()):
                    start = functools.partial(starter, state=state)
                    runs[clients][label].append(measure(f"{n}-{clients}-{repeat}", start, plans[clients], workdir))
                ceilings[clients].append(ceiling.run(segments[clients]))
            print(f"run {repeat + 1}/{args.repeats} done (load average {os.getloadavg()[0]:.1f})", flush=True)
        for clients in counts:
            timed = sum(len(bodies) - 1 for bodies in plans[clients])
            print(report(clients, runs[clients], ceilings[clients], timed, sum(map(len, segments[clients].values())),
                         models))
        if args.startup:
            print(startup(models, workdir, beam))
        if not args.lt_python:
            print("LibreTranslate: skipped (no --lt-python); see benchmarks/README.md to install it")
        print(f"ceiling: raw CTranslate2, inter_threads {ceiling.threads[0]} x intra_threads {ceiling.threads[1]} "
              f"(the library's default), budget {ceiling.options.batch_tokens('cpu')} tokens, beam {beam}; "
              "CPU ms/request "
              "is the server process's (or the ceiling's) CPU seconds over the timed requests; share, CPU = ceiling's "
              "CPU / server's")
        print("versions: " + json.dumps(library_versions()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
