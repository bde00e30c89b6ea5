"""Translation quality (sacrebleu BLEU and chrF) of xhs-translate and argostranslate on the same real Argos packages.

Test sets, read at run time from ../shared/data/parallel: FLORES-200 devtest, tico19 test, and Tatoeba
(v2021-08-07) restricted to the lines labelled cmn_Hans. Both directions, zh->en and en->zh.

Real packages cannot be downloaded on an offline machine. Install them where there is network
(``xhs-translate models install zh en``) or copy the two ``.argosmodel`` files over and run
``xhs-translate models install FILE.argosmodel``. Without them this script exits with code 2.
The random-weight fixture packages from ``xhs_translate.testing`` are refused (their scores mean nothing)
unless ``--allow-fixture`` is given, which only the smoke test uses.

    python benchmarks/quality.py [--models-dir DIR] [--limit N] [--skip-argos]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import ARGOS_SHIM_NOTE, SHARED_DATA, format_table, import_argostranslate, library_versions  # noqa: E402

EXIT_NO_MODELS = 2
FIXTURE_MARK = "random-weight"  # xhs_translate.testing writes "random-weight <size> test model" as the package name

NO_MODELS_HELP = """\
{problem}
quality.py scores real Argos Translate zh<->en packages: install both directions in {models_dir}.
This machine is offline, so they cannot be downloaded here. On a machine with network access run
    xhs-translate models install zh en          (or: argospm install translate-zh_en translate-en_zh)
or download translate-zh_en-*.argosmodel and translate-en_zh-*.argosmodel from the Argos package index
(https://www.argosopentech.com/argospm/index/), copy them here and run
    xhs-translate models install translate-zh_en-1_9.argosmodel
    xhs-translate models install translate-en_zh-1_9.argosmodel
then re-run this script (use --models-dir if they live elsewhere)."""


def is_fixture(package) -> bool:
    """True for the random-weight packages built by xhs_translate.testing."""
    return FIXTURE_MARK in package.name


def read_lines(path: Path) -> list[str]:
    return [line.rstrip("\n").strip() for line in path.read_text(encoding="utf-8").splitlines()]


def load_sets(data_dir: Path, limit: int | None) -> dict[str, tuple[list[str], list[str]]]:
    """name -> (zh lines, en lines), aligned; Tatoeba keeps only its cmn_Hans lines."""
    par = data_dir / "parallel"
    sets = {
        "flores200-devtest": (read_lines(par / "flores200_devtest.zho_Hans"), read_lines(par / "flores200_devtest.eng_Latn")),
        "tico19-test": (read_lines(par / "tico19-test.zho"), read_lines(par / "tico19-test.eng")),
    }
    stem = par / "tatoeba-test-v2021-08-07.eng-zho"
    zh, en, labels = read_lines(Path(f"{stem}.zho")), read_lines(Path(f"{stem}.eng")), read_lines(Path(f"{stem}.zho.labels"))
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


def run_xhs(models_dir: Path, sources: list[str], source: str, target: str) -> tuple[list[str], int]:
    """xhs-translate outputs (None -> "") and how many outputs its loop guard had to collapse."""
    from xhs_translate.segment import REPETITION_GUARDED
    from xhs_translate.translator import Translator

    translator = Translator(models_dir=models_dir, cache=False, builtin_glossary=False, errors="mark")
    results = translator.translate_many(sources, source=source, target=target)
    guarded = sum(REPETITION_GUARDED in r.flags for r in results)
    return [r.translation if r.translation is not None else r.text for r in results], guarded


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models-dir", type=Path, default=None, help="where the packages are (default: as the CLI)")
    parser.add_argument("--data-dir", type=Path, default=SHARED_DATA, help="the shared data folder (%(default)s)")
    parser.add_argument("--limit", type=int, default=None, help="first N lines of each set")
    parser.add_argument("--skip-argos", action="store_true", help="score xhs-translate only")
    parser.add_argument("--allow-fixture", action="store_true",
                        help="score random-weight test packages too (smoke test only: the scores are meaningless)")
    args = parser.parse_args(argv)

    from xhs_translate.models.packages import find_package, resolve_models_dir

    models_dir = resolve_models_dir(args.models_dir)
    packages = {(a, b): find_package(a, b, models_dir) for a, b in (("zh", "en"), ("en", "zh"))}
    missing = [f"{a}->{b}" for (a, b), p in packages.items() if p is None]
    if missing:
        print(NO_MODELS_HELP.format(problem=f"no package for {', '.join(missing)}.", models_dir=models_dir), file=sys.stderr)
        return EXIT_NO_MODELS
    fixtures = [p.package_id for p in packages.values() if is_fixture(p)]
    if fixtures and not args.allow_fixture:
        problem = f"{', '.join(fixtures)} are random-weight test packages (xhs_translate.testing), not real models."
        print(NO_MODELS_HELP.format(problem=problem, models_dir=models_dir), file=sys.stderr)
        return EXIT_NO_MODELS
    if not (args.data_dir / "parallel").is_dir():
        print(f"{args.data_dir / 'parallel'} is absent: no test sets to score on", file=sys.stderr)
        return EXIT_NO_MODELS

    argos = None
    if not args.skip_argos:
        argos = import_argostranslate(models_dir)
        if argos is None:
            print("argostranslate is not installed: scoring xhs-translate only (pip install --no-deps argostranslate)")

    sets = load_sets(args.data_dir, args.limit)
    rows = []
    signatures = set()
    for name, (zh, en) in sets.items():
        for source, target, srcs, refs in (("zh", "en", zh, en), ("en", "zh", en, zh)):
            systems = {}
            start = time.perf_counter()
            hyps, guarded = run_xhs(models_dir, srcs, source, target)
            systems["xhs-translate"] = (hyps, guarded, time.perf_counter() - start)
            if argos is not None:
                start = time.perf_counter()
                argos_hyps = [argos.translate(s, source, target) for s in srcs]
                systems["argostranslate"] = (argos_hyps, None, time.perf_counter() - start)
            for system, (outs, guarded, seconds) in systems.items():
                bleu, b, chrf, c = score(outs, refs, target)
                signatures.add(f"BLEU {bleu.get_signature()} | chrF {chrf.get_signature()}")
                rows.append([
                    name, f"{source}->{target}", system, str(len(srcs)), f"{b.score:.1f}", f"{c.score:.1f}",
                    str(loops(srcs, outs)), "-" if guarded is None else str(guarded), f"{seconds:.1f}",
                ])
    kind = "RANDOM-WEIGHT FIXTURE packages: these scores are meaningless" if fixtures else "real packages"
    print(f"packages ({kind}): " + ", ".join(f"{p.package_id} ({p.path})" for p in packages.values()))
    print(format_table(
        ["test set", "direction", "system", "lines", "BLEU", "chrF", "outputs with loops", "loops guarded", "seconds"],
        rows,
    ))
    for sig in sorted(signatures):
        print(f"sacrebleu signature: {sig}")
    if argos is not None:
        print(f"argostranslate: {ARGOS_SHIM_NOTE}")
    print("versions: " + ", ".join(f"{k} {v}" for k, v in library_versions().items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
