"""Throughput of xhs-translate against argostranslate (per comment) and raw CTranslate2, on one realistic thread.

Rows, each measured in a fresh subprocess so its peak RSS is its own:
  1. argostranslate.translate.translate() called per comment (how LibreTranslate serves a list);
  2. xhs-translate Translator.translate_thread, cold cache;
  3. the same thread again on the same Translator (warm in-process cache), and 3b in a new process (warm SQLite);
  4. raw CTranslate2: one translate_batch per model over the exact segments row 2 sent to the model,
     pre-tokenized, with the same beam, token budget, max_decoding_length cap, no_repeat_ngram_size and
     CTranslate2 threads (inter and intra) as row 2; 4b: the engine's own length buckets, queued the same way;
     4c: the same segments in padded length bands (the engine's batching before it used exact-length buckets,
     which make each output independent of its batch mates), to measure what that guarantee costs.

Rows 2, 4, 4b and 4c run alternately ``--repeats`` times (a fresh cache each time) and the table shows medians,
so that one noisy moment on a shared machine does not decide a ratio.

    python benchmarks/translate_throughput.py [--comments 5000] [--size base] [--beam-size 2] [--repeats 3] \
        [--skip-argos]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import (
    ARGOS_SHIM_NOTE,
    HAN,
    argos_version,
    format_table,
    generate_thread,
    import_argostranslate,
    library_versions,
    load_pools,
    machine_line,
    peak_rss_mb,
)

ARGOS_DEFAULT_BEAM = 4  # argostranslate settings.beam_size default (ARGOS_BEAM_SIZE)
PAIRS = (("zh", "en"), ("en", "zh"))


# --------------------------------------------------------------------------- set-up (parent process)


def prepare(workdir: Path, args) -> dict:
    """Install the fixture packages into ``workdir/models`` and write the thread; return the shared config."""
    from testkit.models import cached_package

    from xhs_translate.models.demo import SIZES
    from xhs_translate.models.install import install_package

    models = workdir / "models"
    for from_code, to_code in PAIRS:
        install_package(cached_package(from_code, to_code, size=args.size), models)
    pools = load_pools(seed=args.seed)
    thread = generate_thread(args.comments, seed=args.seed, repeat_share=args.repeat_share, pools=pools)
    (workdir / "thread.json").write_text(json.dumps(thread, ensure_ascii=False), encoding="utf-8")
    dims = SIZES[args.size]
    return {
        "workdir": str(workdir),
        "models": str(models),
        "size": args.size,
        "dims": f"{dims.encoder_layers}+{dims.decoder_layers} layers, d_model {dims.d_model}, {dims.heads} heads, "
        f"ffn {dims.ffn}, vocab {dims.vocab}",
        "text_source": pools.source,
        "comments": len(thread),
        "unique_contents": len({c["content"] for c in thread}),
        "inter": args.inter_threads,
        "intra": args.intra_threads,
        "seed": args.seed,
    }


def run_row(config: dict, row: str, beam: int, extra: dict | None = None) -> dict:
    """Run one row in a fresh interpreter and return its JSON result."""
    payload = json.dumps({**config, "row": row, "beam": beam, **(extra or {})})
    proc = subprocess.run(
        [sys.executable, __file__, "--_row", payload], capture_output=True, text=True, env=_child_env(config)
    )
    if proc.returncode != 0:
        raise RuntimeError(f"row {row} failed (exit {proc.returncode}):\n{proc.stderr[-4000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _child_env(config: dict) -> dict:
    env = dict(os.environ)
    env["XHS_TRANSLATE_MODELS_DIR"] = config["models"]
    env["XHS_TRANSLATE_OFFLINE"] = "1"
    return env


# --------------------------------------------------------------------------- rows (child processes)


def _load_thread(config: dict) -> list[dict]:
    return json.loads(Path(config["workdir"], "thread.json").read_text(encoding="utf-8"))


def _decode_options(beam: int):
    from xhs_translate.models.engine import DecodeOptions

    return DecodeOptions(beam_size=beam)


def row_argos(config: dict) -> dict:
    """argostranslate.translate.translate per comment on the first ``argos_comments`` comments."""
    at = import_argostranslate(Path(config["models"]), beam_size=config["beam"])  # its own thread defaults
    if at is None:
        return {"skipped": "argostranslate is not installed"}
    import sentencepiece

    thread = _load_thread(config)[: config["argos_comments"]]
    jobs = [(c["content"], *(PAIRS[0] if HAN.search(c["content"]) else PAIRS[1])) for c in thread]
    at.translate("warm-up", "en", "zh")  # load both models outside the timed loop, as a server would
    at.translate("预热", "zh", "en")
    start = time.perf_counter()
    outputs = [at.translate(text, src, tgt) for text, src, tgt in jobs]
    seconds = time.perf_counter() - start
    # Argos does not report token counts: re-encode its output with the target-side SentencePiece model.
    from xhs_translate.models.packages import list_packages

    sps = {
        pkg.to_code: sentencepiece.SentencePieceProcessor(model_file=str(pkg.tokenizer_path))
        for pkg in list_packages(config["models"])
    }
    tokens = sum(len(sps[tgt].encode(out)) for out, (_, _, tgt) in zip(outputs, jobs))
    return {"comments": len(jobs), "seconds": seconds, "target_tokens": tokens, "peak_rss_mb": peak_rss_mb()}


def _translator(config: dict, cache_path: Path):
    from xhs_translate.translator import Translator

    return Translator(
        models_dir=config["models"],
        cache=cache_path,
        decode_options=_decode_options(config["beam"]),
        inter_threads=config["inter"],
        intra_threads=config["intra"],
    )


def _record_engine_calls(log: list) -> None:
    """Observe (never replace) Engine.translate: keep the texts of each call, for row (4)."""
    from xhs_translate.models.engine import Engine

    real = Engine.translate

    def recording(self, texts, *args, **kwargs):
        log.append({"pair": [self.package.from_code, self.package.to_code], "texts": list(texts)})
        return real(self, texts, *args, **kwargs)

    Engine.translate = recording


def _preload_models(translator) -> None:
    """Load both engines before the clock starts, as rows (1) and (4) do: "cold" means a cold cache, not cold models."""
    from xhs_translate.models.engine import load_engine
    from xhs_translate.models.packages import find_package

    engine = translator.config.engine
    for pair in PAIRS:
        load_engine(find_package(*pair, translator.config.models_dir), device=engine.device,
                    compute_type=engine.compute_type, inter_threads=engine.inter_threads,
                    intra_threads=engine.intra_threads)


WARM_PASSES = 5  # warm passes per cold one in row (3); the row reports their median


def row_xhs(config: dict) -> dict:
    """Cold cache, then the same thread again on the same Translator (warm)."""
    thread = _load_thread(config)
    cache_path = Path(config["workdir"]) / f"cache-beam{config['beam']}-{config['repeat']}.sqlite3"
    calls: list = []
    _record_engine_calls(calls)
    translator = _translator(config, cache_path)
    _preload_models(translator)
    start = time.perf_counter()
    cold = translator.translate_thread(thread)
    cold_s = time.perf_counter() - start
    cold_stats = dict(translator.stats())
    warm_runs = []
    for _ in range(WARM_PASSES):  # a pass is ~0.1 s: several, so one slow moment of the machine is not the figure
        start = time.perf_counter()
        warm = translator.translate_thread(thread)
        warm_runs.append(time.perf_counter() - start)
    warm_s = statistics.median(warm_runs)
    assert len(cold) == len(warm) == len(thread)
    tokens = cold_stats["target_tokens"]
    segments = {f"{a}-{b}": [] for a, b in PAIRS}
    for c in calls:
        segments["-".join(c["pair"])].extend(c["texts"])
    Path(config["workdir"], f"segments-beam{config['beam']}.json").write_text(
        json.dumps(segments, ensure_ascii=False), encoding="utf-8"
    )
    statuses: dict[str, int] = {}
    for c in cold:
        statuses[c["translation_status"]] = statuses.get(c["translation_status"], 0) + 1
    return {
        "comments": len(thread),
        "cold_seconds": cold_s,
        "warm_seconds": warm_s,
        "target_tokens": tokens,
        "segments": sum(len(v) for v in segments.values()),
        "stats": cold_stats,
        "statuses": statuses,
        "peak_rss_mb": peak_rss_mb(),
    }


def row_xhs_disk(config: dict) -> dict:
    """A new process reading the cache row 2 wrote: warm SQLite, cold in-process LRU."""
    thread = _load_thread(config)
    translator = _translator(config, Path(config["workdir"]) / f"cache-beam{config['beam']}-0.sqlite3")
    _preload_models(translator)
    start = time.perf_counter()
    out = translator.translate_thread(thread)
    seconds = time.perf_counter() - start
    assert len(out) == len(thread)
    return {"comments": len(thread), "seconds": seconds, "stats": dict(translator.stats()),
            "peak_rss_mb": peak_rss_mb()}


def row_ct2(config: dict) -> dict:
    """Raw ctranslate2 over row 2's segments, tokenized before the clock starts.

    ``plan == "one"``: one translate_batch per model (CTranslate2 sorts and splits it by the token budget itself).
    ``plan == "buckets"``: the engine's own buckets, one padded length each with its filler, and per-bucket
    decoding bounds (engine.plan_batches, engine.padded_sources, engine.decoding_length), all queued at once
    (``asynchronous=True``) as the engine does, called straight on CTranslate2: what row 2 costs minus everything
    around the model.
    ``plan == "padded"``: the same, but in :func:`padded_bands`, the engine's first mixed-length buckets, each
    padded to its own longest source (outputs then depend on batch mates).
    """
    import ctranslate2
    import sentencepiece

    from xhs_translate.models.engine import decoding_length, padded_sources, plan_batches
    from xhs_translate.models.packages import find_package

    options = _decode_options(config["beam"])
    budget = options.batch_tokens("cpu")  # the engine's CPU default, as row (2) uses
    segments = json.loads(Path(config["workdir"], f"segments-beam{config['beam']}.json").read_text(encoding="utf-8"))
    calls = []
    for from_code, to_code in PAIRS:
        texts = segments[f"{from_code}-{to_code}"]
        if not texts:
            continue
        pkg = find_package(from_code, to_code, config["models"])
        translator = ctranslate2.Translator(
            str(pkg.model_dir), device="cpu", compute_type="int8", inter_threads=config["inter"],
            intra_threads=config["intra"],
        )
        sp = sentencepiece.SentencePieceProcessor(model_file=str(pkg.tokenizer_path))
        pieces = sp.encode(texts, out_type=str)
        if config["plan"] == "one":
            groups = [pieces]
        else:
            planner = padded_bands if config["plan"] == "padded" else plan_batches
            groups = [[pieces[i] for i in bucket] for bucket in planner([len(p) for p in pieces], budget)]
        calls += [(translator, group) for group in groups]
    tokens = 0
    asynchronous = config["plan"] != "one"
    start, cpu_start = time.perf_counter(), time.process_time()
    pending = []
    for translator, pieces in calls:
        pending.append((len(pieces), translator.translate_batch(
            padded_sources(pieces) if config["plan"] == "buckets" else pieces,
            max_batch_size=0 if config["plan"] == "buckets" else budget,  # the engine's buckets are never re-split
            batch_type="tokens",
            beam_size=options.beam_size,
            max_input_length=0,
            max_decoding_length=decoding_length(max(len(p) for p in pieces), options),
            repetition_penalty=options.repetition_penalty,
            no_repeat_ngram_size=options.no_repeat_ngram_size,
            length_penalty=options.length_penalty,
            asynchronous=asynchronous,
        )))
    for real, results in pending:  # the fillers' outputs are not counted
        tokens += sum(len((r.result() if asynchronous else r).hypotheses[0]) for r in results[:real])
    seconds = time.perf_counter() - start
    cpu_seconds = time.process_time() - cpu_start  # every thread of this process: the work, whatever the load
    return {
        "comments": config["comments"],
        "seconds": seconds,
        "cpu_seconds": cpu_seconds,
        "target_tokens": tokens,
        "segments": sum(len(p) for _, p in calls),
        "calls": len(calls),
        "peak_rss_mb": peak_rss_mb(),
    }


def padded_bands(lengths: list[int], max_batch_tokens: int) -> tuple[tuple[int, ...], ...]:
    """The engine's batching before exact-length buckets: shortest first, a bucket grows while ``len(bucket) *
    longest`` fits the budget, so it mixes neighbouring lengths and CTranslate2 pads them. Kept here as the
    baseline of row (4c) only."""
    buckets: list[tuple[int, ...]] = []
    current: list[int] = []
    for index in sorted(range(len(lengths)), key=lambda i: lengths[i]):
        if current and (len(current) + 1) * max(1, lengths[index]) > max_batch_tokens:
            buckets.append(tuple(current))
            current = []
        current.append(index)
    if current:
        buckets.append(tuple(current))
    return tuple(buckets)


ROWS = {"argos": row_argos, "xhs": row_xhs, "xhs_disk": row_xhs_disk, "ct2": row_ct2}


# --------------------------------------------------------------------------- report


def _rate(n: float, s: float) -> float:
    return n / s if s > 0 else float("inf")


def _fmt(x: float | None, digits: int = 1) -> str:
    if x is None:
        return "-"
    if x == float("inf"):
        return "inf"
    return f"{x:,.{digits}f}"


def build_table(results: dict) -> str:
    """results: name -> (label, comments/s, tokens/s, peak MiB)."""
    ref1 = results.get("argos")
    ref4 = results["ct2"]
    rows = []
    for key in ("argos", "xhs_cold", "xhs_warm", "xhs_disk", "ct2", "ct2_buckets", "ct2_padded"):
        if key not in results:
            continue
        label, cps, tps, rss = results[key]
        rows.append([
            label,
            _fmt(cps),
            _fmt(tps),
            f"{cps / ref1[1]:.2f}x" if ref1 else "-",
            f"{cps / ref4[1]:.2f}x",
            f"{tps / ref4[2]:.2f}x" if tps is not None else "-",
            _fmt(rss, 0),
        ])
    headers = ["row", "comments/s", "target tok/s", "vs (1) comments/s", "vs (4) comments/s", "vs (4) tok/s",
               "peak RSS MiB"]
    return format_table(headers, rows)


_IMPORT_PROBE = "import time; t = time.perf_counter(); import xhs_translate; print(time.perf_counter() - t)"


def measure_import(repeats: int = 5) -> float:
    """Best of ``repeats`` clean interpreters (``python -c``, nothing imported first) timing
    ``import xhs_translate``."""
    runs = [subprocess.run([sys.executable, "-c", _IMPORT_PROBE], capture_output=True, text=True, check=True)
            for _ in range(repeats)]
    return min(float(r.stdout.strip()) for r in runs)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--comments", type=int, default=5000, help="comments in the thread (default %(default)s)")
    parser.add_argument("--repeat-share", type=float, default=0.10, help="share of exact repeats (default %(default)s)")
    parser.add_argument("--size", choices=("tiny", "base"), default="base", help="fixture model size")
    parser.add_argument("--beam-size", type=int, default=None, help="beam for every row (default: xhs-translate's)")
    parser.add_argument("--inter-threads", type=int, default=None,
                        help="CTranslate2 inter_threads for rows 2-4 (default: the engine's, min(2, cores))")
    parser.add_argument("--intra-threads", type=int, default=None,
                        help="CTranslate2 intra_threads for rows 2-4 (default: the engine's, cores // inter)")
    parser.add_argument("--repeats", type=int, default=3,
                        help="run rows 2, 4, 4b and 4c alternately this many times and report medians "
                             "(default %(default)s)")
    parser.add_argument("--argos-comments", type=int, default=400,
                        help="argostranslate is timed on the first N comments only (default %(default)s)")
    parser.add_argument("--skip-argos", action="store_true", help="do not run the argostranslate rows")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--workdir", type=Path, default=None, help="keep packages, thread and cache here")
    parser.add_argument("--_row", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args._row:
        config = json.loads(args._row)
        print(json.dumps(ROWS[config["row"]](config)))
        return 0
    if args.comments < 1:
        parser.error("--comments must be >= 1")
    if args.repeats < 1:
        parser.error("--repeats must be >= 1")

    from xhs_translate.models.engine import DecodeOptions, resolve_threads

    args.inter_threads, args.intra_threads = resolve_threads(args.inter_threads, args.intra_threads)

    our_beam = DecodeOptions().beam_size
    beam = args.beam_size or our_beam
    with tempfile.TemporaryDirectory(prefix="xhs-bench-") as tmp:
        workdir = args.workdir or Path(tmp)
        workdir.mkdir(parents=True, exist_ok=True)
        config = prepare(workdir, args)
        config["argos_comments"] = min(args.argos_comments, args.comments)
        n = config["comments"]
        results: dict = {}
        print(f"thread: {n} comments ({config['unique_contents']} distinct texts), ~2/3 zh, ~1/3 en, "
              f"{args.repeat_share:.0%} exact repeats, text from {config['text_source']}, seed {args.seed}", flush=True)

        runs: dict[str, list[dict]] = {"xhs": [], "ct2": [], "ct2b": [], "ct2c": []}
        for repeat in range(args.repeats):  # alternate, so that a slow moment hits every row alike
            runs["xhs"].append(run_row(config, "xhs", beam, {"repeat": repeat}))
            runs["ct2"].append(run_row(config, "ct2", beam, {"plan": "one"}))
            runs["ct2b"].append(run_row(config, "ct2", beam, {"plan": "buckets"}))
            runs["ct2c"].append(run_row(config, "ct2", beam, {"plan": "padded"}))
        xhs, ct2, ct2b, ct2c = runs["xhs"][0], runs["ct2"][0], runs["ct2b"][0], runs["ct2c"][0]
        tokens = xhs["target_tokens"]
        med = lambda key, seconds: statistics.median(seconds(r) for r in runs[key])  # noqa: E731
        cold_s, warm_s = med("xhs", lambda r: r["cold_seconds"]), med("xhs", lambda r: r["warm_seconds"])
        ct2_s, ct2b_s = med("ct2", lambda r: r["seconds"]), med("ct2b", lambda r: r["seconds"])
        ct2c_s = med("ct2c", lambda r: r["seconds"])
        rss = lambda key: max(r["peak_rss_mb"] for r in runs[key])  # noqa: E731
        results["xhs_cold"] = ("(2) xhs-translate, cold cache", _rate(n, cold_s), _rate(tokens, cold_s), rss("xhs"))
        results["xhs_warm"] = ("(3) xhs-translate, warm cache (same process)", _rate(n, warm_s),
                               _rate(tokens, warm_s), rss("xhs"))
        disks = [run_row(config, "xhs_disk", beam) for _ in range(args.repeats)]
        disk_s = statistics.median(d["seconds"] for d in disks)
        results["xhs_disk"] = ("(3b) xhs-translate, warm cache (new process)", _rate(n, disk_s),
                               _rate(tokens, disk_s), max(d["peak_rss_mb"] for d in disks))
        results["ct2"] = ("(4) raw CTranslate2, one translate_batch per model", _rate(n, ct2_s),
                          _rate(ct2["target_tokens"], ct2_s), rss("ct2"))
        results["ct2_buckets"] = (f"(4b) raw CTranslate2, the engine's {ct2b['calls']} fixed-band buckets",
                                  _rate(n, ct2b_s), _rate(ct2b["target_tokens"], ct2b_s), rss("ct2b"))
        results["ct2_padded"] = (f"(4c) raw CTranslate2, {ct2c['calls']} bands padded to their longest "
                                 "(first batching)",
                                 _rate(n, ct2c_s), _rate(ct2c["target_tokens"], ct2c_s), rss("ct2c"))
        argos_note = "skipped: --skip-argos"
        argos_default = None
        if not args.skip_argos:
            if argos_version() is None:
                argos_note = "skipped: argostranslate is not installed (pip install --no-deps argostranslate)"
            else:
                argos = run_row(config, "argos", beam)
                results["argos"] = (f"(1) argostranslate per comment (first {argos['comments']})",
                                    _rate(argos["comments"], argos["seconds"]),
                                    _rate(argos["target_tokens"], argos["seconds"]), argos["peak_rss_mb"])
                argos_note = ARGOS_SHIM_NOTE
                argos_default = run_row(config, "argos", ARGOS_DEFAULT_BEAM) if beam != ARGOS_DEFAULT_BEAM else argos
        import_s = measure_import()

    print()
    print(build_table(results))
    print()
    print(f"signature: fixture '{config['size']}' random-weight Argos packages ({config['dims']}), compute int8, "
          f"inter_threads {args.inter_threads} x intra_threads {args.intra_threads} for (2), (3), (4), (4b), (4c) "
          "(argostranslate: its defaults, ARGOS_INTER_THREADS/ARGOS_INTRA_THREADS unset), "
          f"beam {beam} in every row, max_decoding_length cap "
          f"{DecodeOptions().max_decoding_length} (argostranslate: CTranslate2's default 256; the others also bound it "
          f"by source length: per bucket in (2), (4b) and (4c), per call in (4)), token budget "
          f"{DecodeOptions().batch_tokens('cpu')} for (2), (4), (4b), (4c), no_repeat_ngram_size "
          f"{DecodeOptions().no_repeat_ngram_size} for (2), (4), (4b), (4c), "
          f"argostranslate batches {32} tokens; machine: {machine_line()}")
    print("versions: " + ", ".join(f"{k} {v}" for k, v in library_versions().items()))
    spread = lambda key, field, digits=1: ", ".join(f"{r[field]:.{digits}f}" for r in runs[key])  # noqa: E731
    disk_spread = ", ".join(f"{d['seconds']:.3f}" for d in disks)
    print(f"rows (2), (3), (4), (4b), (4c): median of {args.repeats} alternating runs (seconds per run: (2) "
          f"{spread('xhs', 'cold_seconds')}; (3) {spread('xhs', 'warm_seconds', 3)}, each the median of "
          f"{WARM_PASSES} passes; (4) {spread('ct2', 'seconds')}; (4b) {spread('ct2b', 'seconds')}; (4c) "
          f"{spread('ct2c', 'seconds')}); (3b) median of {args.repeats} new processes ({disk_spread}); "
          "(1) runs once")
    cpu = {key: statistics.median(r["cpu_seconds"] for r in runs[key]) for key in ("ct2b", "ct2c")}
    print(f"fixed-band buckets (4b) vs bands padded to their longest (4c), same segments: "
          f"{results['ct2_buckets'][1] / results['ct2_padded'][1]:.2f}x the comments/s, "
          f"{cpu['ct2b'] / cpu['ct2c']:.2f}x the CPU seconds (medians: {cpu['ct2b']:.1f} vs {cpu['ct2c']:.1f}; per run "
          f"{spread('ct2b', 'cpu_seconds')} vs {spread('ct2c', 'cpu_seconds')}): what makes each output independent "
          "of its batch mates costs at the model; CPU seconds count the work whatever else loads the machine")
    print(f"row (2): {xhs['segments']} segments sent to the model in {xhs['stats'].get('model_batches', '?')} "
          f"model batches; statuses {xhs['statuses']}; (4) and (4b) translated the same {ct2['segments']} segments; "
          "tokens/s of (3)/(3b) = row (2)'s model tokens served from the cache per second")
    print(f"row (1): {argos_note}")
    if "argos" in results:
        print(f"row (1) is timed on the first {config['argos_comments']} comments only (per-comment rates); "
              "translation direction per comment is given to it for free (Han characters -> zh->en, else en->zh)")
    if argos_default is not None:
        ours = results["xhs_cold"][1]
        default_cps = _rate(argos_default["comments"], argos_default["seconds"])
        print(f"at each tool's default beam: argostranslate beam {ARGOS_DEFAULT_BEAM}: {default_cps:,.1f} comments/s; "
              f"xhs-translate beam {our_beam}: {ours:,.1f} comments/s "
              f"({ours / default_cps:.1f}x)" + ("" if beam == our_beam else " [row (2) ran at --beam-size, not ours]"))
    print(f"import xhs_translate: {import_s * 1000:.0f} ms (best of 5 fresh interpreters; target <= 300 ms)")
    print(targets(results, import_s))
    return 0


def targets(results: dict, import_s: float) -> str:
    """The issue's targets, each marked met or missed."""
    lines = ["targets:"]

    def mark(ok: bool) -> str:
        return "MET   " if ok else "MISSED"

    cold, warm, ct2 = results["xhs_cold"], results["xhs_warm"], results["ct2"]
    if "argos" in results:
        r = cold[1] / results["argos"][1]
        lines.append(f"  {mark(r >= 10)} (2) >= 10x comments/s of (1): {r:.1f}x")
    else:
        lines.append("  n/a    (2) >= 10x comments/s of (1): argostranslate row skipped")
    r = cold[2] / ct2[2]
    lines.append(f"  {mark(r >= 0.85)} (2) >= 0.85x target tokens/s of (4): {r:.2f}x")
    r = cold[2] / results["ct2_buckets"][2]
    lines.append(f"  {mark(r >= 0.85)} (2) >= 0.85x target tokens/s of (4b), same calls as the engine: {r:.2f}x")
    lines.append(f"  {mark(warm[1] >= 50_000)} (3) >= 50,000 comments/s: {warm[1]:,.0f}")
    disk = results["xhs_disk"][1]
    lines.append(f"  {mark(disk >= 50_000)} (3b) >= 50,000 comments/s in a new process: {disk:,.0f}")
    lines.append(f"  {mark(import_s <= 0.3)} import xhs_translate <= 0.3 s: {import_s:.3f} s")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
