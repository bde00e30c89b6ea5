"""``xhs-translate serve``: a LibreTranslate-compatible HTTP service with a ``/thread`` endpoint, batching the
texts of concurrent requests into shared model batches.

Needs the ``server`` extra (``pip install 'xhs-translate[server]'``: Starlette, uvicorn, python-multipart,
prometheus-client). Importing this package imports none of them: ``ServerConfig`` is light, and
``create_app`` / ``serve`` load the ASGI stack when called.
"""

from __future__ import annotations

from typing import Any

from .config import DEFAULT_CORS_ORIGINS, ServerConfig

__all__ = ["DEFAULT_CORS_ORIGINS", "ServerConfig", "create_app", "serve"]


def create_app(config: ServerConfig | None = None) -> Any:
    """The Starlette application for ``config`` (see ``server.app``)."""
    from .app import create_app as create

    return create(config)


def serve(config: ServerConfig) -> None:
    """Run the server until SIGTERM or Ctrl-C (see ``server.app``)."""
    from .app import serve as run

    run(config)
