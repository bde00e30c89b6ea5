"""Translation quality (sacrebleu BLEU and chrF) and speed of every installed model, family by family, side by side.

Test sets, read at run time from ../shared/data/parallel: FLORES-200 devtest, tico19 test, and Tatoeba
(v2021-08-07) restricted to the lines labelled cmn_Hans. Both directions, zh->en and en->zh. Every installed
model that serves a direction is scored on it (Argos, quickmt, OPUS-MT, NLLB, M2M100: whatever ``xhs-translate
models list`` shows), each through the same xhs-translate pipeline with that model pinned (``models=``), with
BLEU (sacrebleu's ``zh`` tokenizer for Chinese output, ``13a`` for English) and chrF, plus the engine's target
tokens per second. ``--compare-argos`` also runs argostranslate's own ``translate()`` on the same Argos packages.

Real models cannot be downloaded on an offline machine. Install them where there is network and copy them over:
``xhs-translate models install FILE.argosmodel`` for Argos, ``xhs-translate models install FOLDER`` for the
CTranslate2 folders of the other families. Until real models are measured here, the published FLORES-200 scores
in the README ("Models") are the reference. Without any model this script exits with code 2. The random-weight
test models from ``tests/testkit`` are refused (their scores mean nothing) unless ``--allow-fixture`` is
given, which only the smoke test uses.

``--redtrans FILE`` scores RedNote's own content instead: RedTrans-Bench (arXiv 2504.07901; 2,858 zh<->en pairs of
real RedNote comments, note titles and note bodies; CC BY-NC-SA, so nothing of it is in this repository: get the
JSON from the paper's release, see benchmarks/README.md). Its JSON is a list of ``{"zh", "en", "src_lang",
"dst_lang", "source"}`` with ``source`` one of comment, note-title, note-content. For each direction and each
source type it reports BLEU, chrF and span fidelity: the share of the source's emoji, sticker codes, hashtags,
mentions and URLs (``spans.split_spans``) that the output keeps, verbatim, in order (a hashtag counts as kept when
its markers are, its words translated: ``#…[话题]#``, ``#…#``, ``#word``). Span fidelity means something even with
the random-weight demo models (``--allow-fixture``): the spans never reach the model.

    python benchmarks/quality.py [--models-dir DIR] [--limit N] [--compare-argos]
    python benchmarks/quality.py --redtrans RedTrans-Bench.json [--models-dir DIR] [--limit N]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import ARGOS_SHIM_NOTE, SHARED_DATA, format_table, import_argostranslate, library_versions

EXIT_NO_MODELS = 2
DIRECTIONS = (("zh", "en"), ("en", "zh"))

NO_MODELS_HELP = """\
{problem}
quality.py scores real zh<->en models: install at least one per direction in {models_dir}.
This machine is offline, so they cannot be downloaded here. On a machine with network access run
    xhs-translate models install zh en          (Argos; or: argospm install translate-zh_en translate-en_zh)
or download a model and copy it here: translate-zh_en-*.argosmodel / translate-en_zh-*.argosmodel from the Argos
package index (https://www.argosopentech.com/argospm/index/), or a CTranslate2 folder of quickmt (quickmt-zh-en,
quickmt-en-zh), OPUS-MT (opus-mt-zh-en, opus-mt-en-zh converted with ct2-opus-mt-converter), NLLB-200 or M2M100
(converted with ct2-transformers-converter), then run
    xhs-translate models install translate-zh_en-1_9.argosmodel
    xhs-translate models install ./quickmt-zh-en
and re-run this script (use --models-dir if they live elsewhere)."""


def read_lines(path: Path) -> list[str]:
    return [line.rstrip("\n").strip() for line in path.read_text(encoding="utf-8").splitlines()]


def load_sets(data_dir: Path, limit: int | None) -> dict[str, tuple[list[str], list[str]]]:
    """name -> (zh lines, en lines), aligned; Tatoeba keeps only its cmn_Hans lines."""
    par = data_dir / "parallel"
    sets = {
        "flores200-devtest": (read_lines(par / "flores200_devtest.zho_Hans"),
                              read_lines(par / "flores200_devtest.eng_Latn")),
        "tico19-test": (read_lines(par / "tico19-test.zho"), read_lines(par / "tico19-test.eng")),
    }
    stem = par / "tatoeba-test-v2021-08-07.eng-zho"
    zh, en, labels = (read_lines(Path(f"{stem}.{suffix}")) for suffix in ("zho", "eng", "zho.labels"))
    keep = [i for i, label in enumerate(labels) if label == "cmn_Hans"]
    sets["tatoeba-cmn_Hans"] = ([zh[i] for i in keep], [en[i] for i in keep])
    out = {}
    for name, (zh_lines, en_lines) in sets.items():
        if len(zh_lines) != len(en_lines):
            raise SystemExit(f"{name}: {len(zh_lines)} zh lines but {len(en_lines)} en lines")
        pairs = [(z, e) for z, e in zip(zh_lines, en_lines) if z and e]
        pairs = pairs[:limit] if limit else pairs
        out[name] = ([z for z, _ in pairs], [e for _, e in pairs])
    return out


def loops(sources: list[str], outputs: list[str]) -> int:
    """How many outputs contain a repetition loop the source does not have (the pipeline's own detector)."""
    from xhs_translate.segment import REPETITION_GUARDED, guard_output

    return sum(REPETITION_GUARDED in guard_output(s, o or "").flags for s, o in zip(sources, outputs))


def score(hyps: list[str], refs: list[str], target: str):
    """(BLEU, chrF) sacrebleu metric objects; zh targets use sacrebleu's zh tokenizer."""
    from sacrebleu.metrics import BLEU, CHRF

    bleu = BLEU(tokenize="zh" if target == "zh" else "13a")
    chrf = CHRF()
    return bleu, bleu.corpus_score(hyps, [refs]), chrf, chrf.corpus_score(hyps, [refs])


REDTRANS_SOURCES = ("comment", "note-title", "note-content")
#: The span kinds whose fidelity is measured (spans.py names; kaomoji and invalid are protected too, not counted).
FIDELITY_KINDS = ("emoji", "emoji_code", "hashtag", "mention", "url")
# A hashtag whose words were translated still has its markers: the topic form (with its marker word in any
# language, as RedNote writes "#Harbin[Topic]#"), the closed form, or the open one.
_HASHTAG_FORMS = r"#[^#\n]{1,60}?\[[^\]\n]{1,12}\]#|#[^#\s][^#\n]{0,60}?#|#[^\W_]"


def load_redtrans(path: Path, limit: int | None) -> dict[tuple[str, str, str], tuple[list[str], list[str]]]:
    """(source lang, target lang, source type) -> (sources, references), from RedTrans-Bench's JSON; a clear
    SystemExit for a file of another shape."""
    import json

    try:
        items = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise SystemExit(f"{path}: cannot read RedTrans-Bench JSON: {exc}") from None
    if not isinstance(items, list):
        raise SystemExit(f"{path}: expected a JSON list of {{\"zh\", \"en\", \"src_lang\", \"dst_lang\", \"source\"}}")
    out: dict[tuple[str, str, str], tuple[list[str], list[str]]] = {}
    for n, item in enumerate(items):
        if not isinstance(item, dict) or not {"zh", "en", "src_lang", "dst_lang", "source"} <= item.keys():
            raise SystemExit(f"{path}: item {n} lacks one of zh, en, src_lang, dst_lang, source: {item!r:.200}")
        source, target = item["src_lang"], item["dst_lang"]
        if (source, target) not in DIRECTIONS or item["source"] not in REDTRANS_SOURCES:
            raise SystemExit(f"{path}: item {n}: direction {source}->{target} or source {item['source']!r} "
                             f"is not one of {DIRECTIONS} x {REDTRANS_SOURCES}")
        sources, refs = out.setdefault((source, target, item["source"]), ([], []))
        if limit is None or len(sources) < limit:
            sources.append(item[source])
            refs.append(item[target])
    return out


def span_fidelity(sources: list[str], outputs: list[str]) -> dict[str, tuple[int, int]]:
    """kind -> (spans kept, spans in the sources), over FIDELITY_KINDS: a span is kept when the output has it
    verbatim after the previous kept one; a hashtag also when the output has a hashtag form for it (_HASHTAG_FORMS)."""
    import re

    from xhs_translate.spans import split_spans

    counts = {kind: [0, 0] for kind in FIDELITY_KINDS}
    for source, output in zip(sources, outputs):
        output = output or ""
        at, tags, tag_forms = 0, 0, len(re.findall(_HASHTAG_FORMS, output))
        for span in split_spans(source):
            if span.kind not in counts:
                continue
            counts[span.kind][1] += 1
            found = output.find(span.text, at)
            if found >= 0:
                counts[span.kind][0] += 1
                at = found + len(span.text)
            elif span.kind == "hashtag" and tags < tag_forms:
                counts[span.kind][0] += 1
            tags += span.kind == "hashtag"
    return {kind: (kept, total) for kind, (kept, total) in counts.items()}


def fidelity_cells(fidelity: dict[str, tuple[int, int]]) -> list[str]:
    """The overall share, then kept/total per kind."""
    kept, total = sum(k for k, _ in fidelity.values()), sum(t for _, t in fidelity.values())
    return [f"{kept / total:.1%}" if total else "-", *(f"{k}/{t}" for k, t in fidelity.values())]


def run_redtrans(path: Path, limit: int | None, models_dir: Path, installed: dict) -> list[list[str]]:
    """One row per (direction, source type, model): lines, BLEU, chrF, span fidelity overall and per kind."""
    rows = []
    for (source, target, kind), (srcs, refs) in sorted(load_redtrans(path, limit).items()):
        for package in installed[(source, target)]:
            hyps, _, _, _ = run_xhs(models_dir, package, srcs)
            _, b, _, c = score(hyps, refs, target)
            rows.append([f"{source}->{target}", kind, package.package_id, str(len(srcs)), f"{b.score:.1f}",
                         f"{c.score:.1f}", *fidelity_cells(span_fidelity(srcs, hyps))])
    return rows


def models_by_direction(models_dir: Path) -> dict[tuple[str, str], list]:
    """Every installed package per direction, one per model (a folder's newest version)."""
    from xhs_translate.models.packages import list_packages

    out: dict[tuple[str, str], list] = {pair: [] for pair in DIRECTIONS}
    for package in list_packages(models_dir):
        pair = (package.from_code, package.to_code)
        if pair in out and package.package_id not in {p.package_id for p in out[pair]}:
            out[pair].append(package)
    return out


def run_xhs(models_dir: Path, package, sources: list[str]) -> tuple[list[str], int, int, float]:
    """xhs-translate outputs with ``package`` pinned (None -> the source), its loop-guard count, the target tokens
    and the seconds; the model is loaded (one warm-up line) before the clock starts."""
    from xhs_translate.segment import REPETITION_GUARDED
    from xhs_translate.translator import Translator

    translator = Translator(models_dir=models_dir, cache=False, builtin_glossary=False, errors="mark",
                            models={package.pair: package.package_id})
    translator.translate_many(sources[:1], source=package.from_code, target=package.to_code)
    warm_tokens = translator.stats()["target_tokens"]
    start = time.perf_counter()
    results = translator.translate_many(sources, source=package.from_code, target=package.to_code)
    seconds = time.perf_counter() - start
    guarded = sum(REPETITION_GUARDED in r.flags for r in results)
    outputs = [r.shown for r in results]
    return outputs, guarded, translator.stats()["target_tokens"] - warm_tokens, seconds


def argos_only_dir(packages: list, root: Path) -> Path:
    """A folder of links to the Argos packages alone: argostranslate reads every folder of its packages dir."""
    for package in packages:
        link = root / package.path.name
        if package.family == "argos" and not link.exists():
            link.symlink_to(package.path.resolve(), target_is_directory=True)
    return root


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models-dir", type=Path, default=None, help="where the models are (default: as the CLI)")
    parser.add_argument("--data-dir", type=Path, default=SHARED_DATA, help="the shared data folder (%(default)s)")
    parser.add_argument("--limit", type=int, default=None, help="first N lines of each set")
    parser.add_argument("--compare-argos", action="store_true",
                        help="also run argostranslate's own translate() on the same Argos packages")
    parser.add_argument("--redtrans", type=Path, metavar="FILE",
                        help="score RedTrans-Bench's JSON (RedNote comments, note titles and bodies) instead, with "
                             "span fidelity")
    parser.add_argument("--allow-fixture", action="store_true",
                        help="score random-weight test models too (smoke test only: the scores are meaningless)")
    args = parser.parse_args(argv)

    from testkit.models import is_random_weight

    from xhs_translate.models.packages import resolve_models_dir

    models_dir = resolve_models_dir(args.models_dir)
    installed = models_by_direction(models_dir)
    missing = [f"{a}->{b}" for (a, b), found in installed.items() if not found]
    if missing:
        print(NO_MODELS_HELP.format(problem=f"no model for {', '.join(missing)}.", models_dir=models_dir),
              file=sys.stderr)
        return EXIT_NO_MODELS
    everything = [p for found in installed.values() for p in found]
    fixtures = sorted({p.package_id for p in everything if is_random_weight(p)})
    if fixtures and not args.allow_fixture:
        problem = f"{', '.join(fixtures)} are random-weight test models (tests/testkit), not real models."
        print(NO_MODELS_HELP.format(problem=problem, models_dir=models_dir), file=sys.stderr)
        return EXIT_NO_MODELS
    if args.redtrans is not None:
        kind = "RANDOM-WEIGHT FIXTURE models: BLEU and chrF are meaningless" if fixtures else "real models"
        print(f"models ({kind}): " + ", ".join(f"{p.package_id} {p.pair}" for p in everything))
        print(format_table(["direction", "source", "system", "lines", "BLEU", "chrF", "span fidelity",
                            *FIDELITY_KINDS], run_redtrans(args.redtrans, args.limit, models_dir, installed)))
        print("span fidelity: the share of the sources' emoji, sticker codes (emoji_code), hashtags, mentions and URLs "
              "kept in the output (kept/total per kind); a hashtag counts as kept when its markers are")
        print("versions: " + ", ".join(f"{k} {v}" for k, v in library_versions().items()))
        return 0
    if not (args.data_dir / "parallel").is_dir():
        print(f"{args.data_dir / 'parallel'} is absent: no test sets to score on", file=sys.stderr)
        return EXIT_NO_MODELS

    argos = None
    if args.compare_argos:
        if not any(p.family == "argos" for p in everything):
            print("--compare-argos: no Argos package is installed, so there is nothing to compare with")
        else:
            links = argos_only_dir(everything, Path(tempfile.mkdtemp(prefix="argos-packages-")))
            argos = import_argostranslate(links)
            if argos is None:
                print("argostranslate is not installed: scoring xhs-translate only "
                      "(pip install --no-deps argostranslate)")

    sets = load_sets(args.data_dir, args.limit)
    rows = []
    signatures = set()
    for name, (zh, en) in sets.items():
        for (source, target), srcs, refs in ((DIRECTIONS[0], zh, en), (DIRECTIONS[1], en, zh)):
            systems: dict[str, tuple[list[str], int | None, float, int | None]] = {}
            for package in installed[(source, target)]:
                hyps, guarded, tokens, seconds = run_xhs(models_dir, package, srcs)
                systems[package.package_id] = (hyps, guarded, seconds, tokens)
            if argos is not None and any(p.family == "argos" for p in installed[(source, target)]):
                start = time.perf_counter()
                argos_hyps = [argos.translate(s, source, target) for s in srcs]
                systems["argostranslate translate()"] = (argos_hyps, None, time.perf_counter() - start, None)
            for system, (outs, repaired, seconds, produced) in systems.items():
                bleu, b, chrf, c = score(outs, refs, target)
                signatures.add(f"BLEU {bleu.get_signature()} | chrF {chrf.get_signature()}")
                rows.append([
                    name, f"{source}->{target}", system, str(len(srcs)), f"{b.score:.1f}", f"{c.score:.1f}",
                    "-" if produced is None else f"{produced / max(seconds, 1e-9):,.0f}", str(loops(srcs, outs)),
                    "-" if repaired is None else str(repaired), f"{seconds:.1f}",
                ])
    kind = "RANDOM-WEIGHT FIXTURE models: these scores are meaningless" if fixtures else "real models"
    print(f"models ({kind}): " + ", ".join(f"{p.package_id} {p.pair} ({p.path})" for p in everything))
    print(format_table(
        ["test set", "direction", "system", "lines", "BLEU", "chrF", "target tok/s", "outputs with loops",
         "loops guarded", "seconds"],
        rows,
    ))
    for sig in sorted(signatures):
        print(f"sacrebleu signature: {sig}")
    if fixtures:
        print("reference: until real models are measured here, the published FLORES-200 devtest scores in the README "
              "(\"Models\") are the reference, not these rows")
    print("target tok/s: the engine's target tokens per second through the whole pipeline, cache off, model loaded "
          "before the clock starts; seconds: the same run")
    if argos is not None:
        print(f"argostranslate: {ARGOS_SHIM_NOTE}")
    print("versions: " + ", ".join(f"{k} {v}" for k, v in library_versions().items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
