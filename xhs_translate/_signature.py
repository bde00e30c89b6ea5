"""What decides a Translator's output, said two ways: the run :class:`Signature` the CLI prints, and the settings
fingerprint that keys the whole-comment cache. Both read a config, its glossary and the engine settings; neither
translates anything."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import TYPE_CHECKING

from . import __version__

if TYPE_CHECKING:
    from .config import TranslatorConfig
    from .glossary import Glossary
    from .models.settings import EngineSettings


@dataclass(frozen=True)
class Signature:
    """What decides a run's output, sacrebleu-style: ``str()`` gives the one line the CLI prints."""

    models: tuple[str, ...]
    routes: tuple[tuple[str, str], ...]
    target: str
    zh_variant: str
    languages: tuple[str, ...] | None
    decode_options: str
    device: str
    compute_type: str
    model_choice: tuple[tuple[str, str], ...]
    glossary_entries: int
    glossary: str
    cache: str | None

    @classmethod
    def of(cls, config: TranslatorConfig, glossary: Glossary, engine: EngineSettings, routes: dict[str, str],
           cache: str | None) -> Signature:
        """The signature of a run with ``config``, that used ``routes`` (``Router.used()``), on ``cache``
        (its description, None for none)."""
        device, compute_type = engine.known()
        return cls(
            models=tuple(sorted(set(routes.values()))),
            routes=tuple(routes.items()),
            target=config.target,
            zh_variant=config.zh_variant,
            languages=config.languages,
            decode_options=config.decode_options.fingerprint(),
            device=device,
            compute_type=compute_type,
            model_choice=config.model_pairs,
            glossary_entries=len(glossary),
            glossary=glossary.fingerprint("zh", "en"),
            cache=cache,
        )

    def __str__(self) -> str:
        return "|".join([
            f"xhs-translate:{__version__}",
            "models:" + (",".join(self.models) or "none"),
            f"target:{self.target}",
            f"zh:{self.zh_variant}",
            "lang:" + ("+".join(self.languages) if self.languages else "any"),
            f"decode:{self.decode_options}",
            *(["model:" + ",".join(f"{pair}={name}" for pair, name in self.model_choice)] if self.model_choice else []),
            f"device:{self.device}",
            f"compute:{self.compute_type}",
            f"glossary:{self.glossary_entries}@{self.glossary[:12]}",
            f"cache:{'off' if self.cache is None else 'on'}",
        ])


def settings_fingerprint(config: TranslatorConfig, glossary: Glossary, engine: EngineSettings) -> str:
    """Everything besides the text that decides a whole-comment result: this release (detection and spans), every
    installed package (any may be routed to), decoding and engine options, glossary, variant and languages. A new
    package or option gives new keys; old entries are simply never read again."""
    from .models.packages import list_packages

    parts = [
        __version__,
        sorted(p.package_id for p in list_packages(config.models_dir)),
        config.decode_options.fingerprint(),
        engine.device,
        engine.compute_type,
        config.models,
        hashlib.sha256(repr(glossary.entries).encode("utf-8", "surrogatepass")).hexdigest(),
        config.zh_variant,
        config.languages,
        config.confidence_threshold,
        config.hashtags,
    ]
    return hashlib.sha256(json.dumps(parts, ensure_ascii=False).encode("utf-8", "surrogatepass")).hexdigest()
