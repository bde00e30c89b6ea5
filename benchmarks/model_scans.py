"""How often the models folder is read, and what it costs, per Translator and per server start.

Reading a model folder hashes its vocabularies, tokenizers and the start of ``model.bin`` (non-Argos families),
so a process that lists the folder for each route, each fingerprint and each server check pays for it many
times. This counts the folder reads (calls of ``families.read_folder``) and times, with CPU seconds beside wall
time, in one process:

- ``translator``: a fresh ``Translator`` with a cache (so the settings fingerprint is made) translating a
  two-language thread, repeated;
- ``server``: ``TranslationService`` built and loaded, then its three Translator variants used (default,
  zh-Hant, a /thread one), repeated.

Each scenario has its own copy of a models folder (so the first run reads it cold), which holds the tiny Argos
zh<->en packages and a tiny NLLB zh/zt<->en folder (random weights).

    python benchmarks/model_scans.py [--repeats 5]
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common  # noqa: F401  (sets the shared-data variable before xhs_translate.models.demo is read; finds testkit)

COMMENTS = [
    {"comment_id": "1", "content": "这个颜色真的绝了"},
    {"comment_id": "2", "content": "so cute, where is this?", "parent_comment_id": "1"},
]


class ReadCounter:
    """Counts ``read_folder`` calls wherever a module imported it (``from .families import read_folder``)."""

    def __init__(self) -> None:
        from xhs_translate.models import families

        self.original = families.read_folder
        self.reads = 0
        for module in [m for name, m in sys.modules.items() if name.startswith("xhs_translate")]:
            if getattr(module, "read_folder", None) is self.original:
                module.read_folder = self._counted

    def _counted(self, path):
        self.reads += 1
        return self.original(path)


def models_folder(root: Path) -> Path:
    from testkit.models import cached_model, cached_package

    from xhs_translate.models.install import install_model, install_package

    for pair in (("zh", "en"), ("en", "zh")):
        install_package(cached_package(*pair), models_dir=root)
    install_model(cached_model("nllb", (("zh", "en"), ("zt", "en"), ("en", "zh"), ("en", "zt"))), root)
    return root


def measure(counter: ReadCounter, run) -> tuple[int, float, float]:
    reads = counter.reads
    wall, cpu = time.perf_counter(), time.process_time()
    run()
    return counter.reads - reads, time.perf_counter() - wall, time.process_time() - cpu


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()

    from xhs_translate import Translator
    from xhs_translate.config import TranslatorConfig
    from xhs_translate.models import packages  # noqa: F401  (imported before counting, so it is counted)
    from xhs_translate.server.config import ServerConfig
    from xhs_translate.server.service import TranslationService

    with tempfile.TemporaryDirectory(prefix="xhs-scans-") as tmp:
        root = models_folder(Path(tmp) / "models")
        server_root = Path(shutil.copytree(root, Path(tmp) / "server-models"))  # a folder of its own: read cold
        counter = ReadCounter()
        folders = sum(1 for p in root.iterdir() if not p.name.startswith("."))

        def translator(i: int) -> None:
            Translator(models_dir=root, cache=Path(tmp) / f"cache-{i}.sqlite").translate_thread(COMMENTS, target="auto")

        def server(i: int) -> None:
            service = TranslationService(ServerConfig(translator=TranslatorConfig(models_dir=server_root), cache=False))
            service.load()
            service.translate(["这个颜色真的绝了"], "zh", "en", "text")
            service.translate(["so cute"], "en", "zt", "text")
            service.translator(text_field="text").translate_thread([{"comment_id": "1", "text": "好可爱"}])

        print(f"models folder: {folders} package folders; folder reads and seconds per run (wall / CPU)")
        for name, run in (("translator", translator), ("server", server)):
            for i in range(args.repeats):
                reads, wall, cpu = measure(counter, lambda run=run, i=i: run(i))
                print(f"  {name:<10} run {i + 1}: {reads:3d} folder reads  {wall * 1000:8.1f} ms wall  "
                      f"{cpu * 1000:8.1f} ms CPU")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
