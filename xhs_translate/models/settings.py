"""``EngineSettings``: an ``EngineConfig`` as this machine runs it, resolved once per Translator, beside the engine
that it configures."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # config imports the engine module
    from ..config import EngineConfig
    from .packages import ModelPackage


class EngineSettings:
    """``device`` and ``compute_type`` are resolved on first need (that imports ctranslate2): ``auto`` becomes CUDA
    when CTranslate2 sees a GPU, and int8 on the CPU or int8_float16 or float16 on CUDA. Both are part of cache keys
    and of a run's signature, since outputs differ."""

    def __init__(self, config: EngineConfig):
        self.config = config
        self._device: str | None = None
        self._compute_type: str | None = None

    @property
    def device(self) -> str:
        if self._device is None:
            from .engine import resolve_device

            self._device = resolve_device(self.config.device)
        return self._device

    @property
    def compute_type(self) -> str:
        if self._compute_type is None:
            from .engine import resolve_compute_type

            self._compute_type = resolve_compute_type(self.config.compute_type, self.device)
        return self._compute_type

    def known(self) -> tuple[str, str]:
        """(device, compute type) as far as resolved yet, else as asked (``auto``): resolving nothing."""
        return self._device or self.config.device, self._compute_type or self.config.compute_type

    def load(self, package: ModelPackage, provider: Callable[..., Any] | None = None) -> Any:
        """The engine for ``package`` with these settings, from ``provider`` (called like
        ``models.engine.load_engine``, the default)."""
        from .engine import load_engine

        return (provider or load_engine)(package, device=self.device, compute_type=self.compute_type,
                                         inter_threads=self.config.inter_threads,
                                         intra_threads=self.config.intra_threads)
