"""What the tests and the benchmarks share besides the package: fixture models (``models``), a real redis-server
(``redis_server``), free ports (``ports``) and the Chromium to drive (``chromium``). Not shipped in the wheel: the
demo models that are product live in ``xhs_translate.models.demo``. The benchmarks put ``tests/`` on ``sys.path``
(``benchmarks/_common.py``) to import it, as pytest does for the tests."""
