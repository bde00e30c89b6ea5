"""``GET /metrics`` in the Prometheus text format, from a registry of this app's own (no process-wide state).

Requests and errors by endpoint and status, request durations, requests in progress; per engine dispatch the
texts and requests it carried and each text's wait in the queue; and, read at scrape time, the Translators'
counters (segments translated, cache hits and misses and their ratio, model batches) and the batching engines'
(texts sent once for several requests, texts dropped for cancelled requests).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..models.batching import BatchReport

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
PREFIX = "xhs_translate"
_DURATIONS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
_WAITS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)
_SIZES = (1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024)
#: Translator and batching counters exposed as counters: stats() key -> (metric name, help).
_COUNTERS = {
    "comments": ("texts", "texts (items, text nodes, comments) given to the Translator"),
    "segments": ("segments", "sentence pieces that needed the model or the cache"),
    "segments_translated": ("segments_translated", "segments decoded by the model (cache misses)"),
    "cache_hits": ("cache_hits", "segments served by the translation cache"),
    "cache_misses": ("cache_misses", "segments the cache did not have"),
    "model_batches": ("model_batches", "engine batches the Translator's calls were served in"),
    "comment_hits": ("comment_hits", "whole texts served from the Translators' memo or the cache"),
    "cache_errors": ("cache_errors", "failures of the cache backend (the server goes on without it)"),
    "batching_joined": ("batching_joined", "texts already in flight for another request, decoded once"),
    "batching_cancelled": ("batching_cancelled", "queued texts dropped because their request was cancelled"),
    "batching_dispatches": ("batching_dispatches", "engine calls made by the batching engines"),
}


class Metrics:
    """The app's metrics; ``stats`` is read at each scrape (``TranslationService.stats``)."""

    def __init__(self, stats: Callable[[], dict[str, int]]):
        from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

        self.in_flight = 0  # requests being answered now (all endpoints), kept by the RequestMetrics middleware
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.requests = Counter(f"{PREFIX}_requests", "HTTP requests answered", ["endpoint", "status"], registry=r)
        self.errors = Counter(f"{PREFIX}_errors", "HTTP requests answered with an error (status >= 400)",
                              ["endpoint", "status"], registry=r)
        self.duration = Histogram(f"{PREFIX}_request_duration_seconds", "time to answer a request", ["endpoint"],
                                  buckets=_DURATIONS, registry=r)
        self.in_progress = Gauge(f"{PREFIX}_requests_in_progress", "requests being answered", ["endpoint"], registry=r)
        self.batch_texts = Histogram(f"{PREFIX}_batch_texts", "texts per engine dispatch", buckets=_SIZES, registry=r)
        self.batch_requests = Histogram(f"{PREFIX}_batch_requests", "requests sharing one engine dispatch",
                                        buckets=_SIZES, registry=r)
        self.queue_wait = Histogram(f"{PREFIX}_queue_wait_seconds", "time a text waited for its engine dispatch",
                                    buckets=_WAITS, registry=r)
        r.register(_StatsCollector(stats))

    def observe_request(self, endpoint: str, status: int, seconds: float) -> None:
        self.requests.labels(endpoint, str(status)).inc()
        if status >= 400:
            self.errors.labels(endpoint, str(status)).inc()
        self.duration.labels(endpoint).observe(seconds)

    def on_batch(self, report: BatchReport) -> None:
        self.batch_texts.observe(report.texts)
        self.batch_requests.observe(report.calls)
        for wait in report.waits:
            self.queue_wait.observe(wait)

    def render(self) -> bytes:
        from prometheus_client import generate_latest

        return generate_latest(self.registry)


class _StatsCollector:
    """Counters kept by the Translators and batching engines, read when scraped."""

    def __init__(self, stats: Callable[[], dict[str, int]]):
        self._stats = stats

    def describe(self) -> list:
        return []

    def collect(self) -> Any:
        from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

        stats = self._stats()
        for key, (name, help_text) in _COUNTERS.items():
            yield CounterMetricFamily(f"{PREFIX}_{name}", help_text, value=stats.get(key, 0))
        yield GaugeMetricFamily(f"{PREFIX}_queued_tokens", "tokens waiting for an engine dispatch",
                                value=stats.get("batching_queued_tokens", 0))
        yield GaugeMetricFamily(f"{PREFIX}_texts_in_flight", "distinct texts queued or being decoded",
                                value=stats.get("batching_in_flight", 0))
        segments = stats.get("cache_hits", 0) + stats.get("cache_misses", 0)
        yield GaugeMetricFamily(f"{PREFIX}_cache_hit_ratio", "share of segments served by the cache since start "
                                "(repeats across requests and clients; 0 before any)",
                                value=stats.get("cache_hits", 0) / segments if segments else 0.0)
        texts = stats.get("comments", 0)
        yield GaugeMetricFamily(f"{PREFIX}_comment_hit_ratio", "share of texts served whole from the memo or the "
                                "cache since start", value=stats.get("comment_hits", 0) / texts if texts else 0.0)
