"""A model that fails on one item of a request: the other items still come back translated; the failed one comes
back as it was, marked in ``translationError`` and logged with its reason.

The failure is injected: the real engine of the tiny package answers every text but the poisoned one, for which
it reports a failed item as ``Engine.translate`` does for a failed batch (``None`` and an error). A real model
cannot be made to fail on one chosen text."""

from __future__ import annotations

import functools
import logging

import pytest
from starlette.testclient import TestClient

from xhs_translate.config import TranslatorConfig
from xhs_translate.models.batching import BatchingProvider
from xhs_translate.models.engine import EngineResult, load_engine
from xhs_translate.server import ServerConfig, create_app
from xhs_translate.server import service as service_module

pytestmark = pytest.mark.filterwarnings("ignore:Using `httpx` with `starlette.testclient`")

POISON = "这一条评论让模型出错"


class Poisoned:
    """A real engine that reports the poisoned text as failed."""

    def __init__(self, engine):
        self.engine = engine

    def __getattr__(self, name):
        return getattr(self.engine, name)

    def translate(self, texts, options):
        good = [t for t in texts if POISON not in t]
        result = self.engine.translate(good, options) if good else None
        outputs = iter(result.translations if result else ())
        probs = iter(result.log_probs if result else ())
        scored = iter(result.scored_tokens if result else ())
        keep = [POISON not in t for t in texts]
        return EngineResult(
            translations=tuple(next(outputs) if k else None for k in keep),
            batches=result.batches if result else 1,
            source_tokens=result.source_tokens if result else 0,
            target_tokens=result.target_tokens if result else 0,
            errors=("RuntimeError: the model failed on this batch",),
            log_probs=tuple(next(probs) if k else None for k in keep),
            scored_tokens=tuple(next(scored) if k else 0 for k in keep),
        )


@functools.cache
def _poisoned(engine):
    return Poisoned(engine)


@pytest.fixture
def client(models_dir, monkeypatch):
    load = lambda package, **kw: _poisoned(load_engine(package, **kw))  # noqa: E731
    monkeypatch.setattr(service_module, "BatchingProvider", functools.partial(BatchingProvider, load=load))
    config = ServerConfig(translator=TranslatorConfig(models_dir=models_dir), cache=False)
    with TestClient(create_app(config)) as client:
        yield client


def test_one_failing_item_leaves_the_others_translated(client, caplog):
    q = [f"第{n}条：今天天气很好，我们去公园散步吧" for n in range(150)]
    q[77] = POISON
    with caplog.at_level(logging.WARNING, logger="xhs_translate.server"):
        response = client.post("/translate", json={"q": q, "source": "auto", "target": "en"})
    assert response.status_code == 200, response.text
    answer = response.json()
    assert answer["translatedText"][77] == POISON  # as it came
    assert all(out != text and out for n, (out, text) in enumerate(zip(answer["translatedText"], q)) if n != 77)
    errors = answer["translationError"]
    assert errors[77].startswith("translation failed (model_failed") and errors.count(None) == 149
    assert answer["translationConfidence"][77] is None
    assert any("item 78 of 150" in r.getMessage() and "model_failed" in r.getMessage() for r in caplog.records)


def test_a_failing_html_node_keeps_its_markup_and_the_others_are_translated(client):
    q = [f"<p>{POISON}</p>", "<p>今天天气很好</p>"]
    answer = client.post("/translate", json={"q": q, "source": "zh", "target": "en", "format": "html"}).json()
    assert answer["translatedText"][0] == q[0] and answer["translatedText"][1] != q[1]
    assert answer["translationError"][0] and answer["translationError"][1] is None


def test_without_failures_the_answer_has_no_error_field(client):
    answer = client.post("/translate", json={"q": "今天天气很好", "source": "zh", "target": "en"}).json()
    assert "translationError" not in answer and answer["translatedText"]
