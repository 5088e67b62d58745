"""The HTTP endpoint of a process: Prometheus's ``/metrics``, plus any extra routes (the worker's health).

One threaded WSGI server in a daemon thread, as ``prometheus_client.start_http_server`` starts, with the
same metrics application for every path that is not an extra route (``/metrics`` and ``/`` as before).
An extra route is a function returning an HTTP status code and a JSON-able body; it runs in the server's
thread, so it must only read state that another thread sets with plain assignments.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Iterable, Mapping
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, make_server

from prometheus_client import REGISTRY, make_wsgi_app
from prometheus_client.exposition import ThreadingWSGIServer

log = logging.getLogger(__name__)

Route = Callable[[], tuple[int, Mapping[str, Any]]]
_REASONS = {
    200: "200 OK",
    404: "404 Not Found",
    500: "500 Internal Server Error",
    503: "503 Service Unavailable",
}


class _QuietHandler(WSGIRequestHandler):
    """No line per request on stderr (Prometheus and the probes ask every few seconds)."""

    def log_message(self, format: str, *args: Any) -> None:
        pass


def endpoint_app(routes: Mapping[str, Route], registry: Any = REGISTRY) -> Callable[..., Iterable[bytes]]:
    """The WSGI application: ``routes`` by exact path, the metrics for every other path."""
    metrics = make_wsgi_app(registry)

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        route = routes.get(environ.get("PATH_INFO", "/"))
        if route is None:
            result: Iterable[bytes] = metrics(environ, start_response)
            return result
        try:
            status, body = route()
        except Exception as exc:  # a bug in a check must show as a failed check, not a dropped connection
            log.exception("health route failed")
            status, body = 500, {"status": "error", "error": str(exc)}
        payload = json.dumps(body, sort_keys=True).encode() + b"\n"
        start_response(
            _REASONS.get(status, f"{status} Status"),
            [("Content-Type", "application/json"), ("Content-Length", str(len(payload)))],
        )
        return [payload]

    return app


def serve(port: int, routes: Mapping[str, Route] | None = None, addr: str = "0.0.0.0") -> ThreadingWSGIServer:
    """Start serving on ``port`` (0: a free one, read it from ``server.server_port``) in a daemon thread."""
    server = make_server(
        addr, port, endpoint_app(routes or {}), ThreadingWSGIServer, handler_class=_QuietHandler
    )
    assert isinstance(server, ThreadingWSGIServer)
    threading.Thread(target=server.serve_forever, name="http-endpoint", daemon=True).start()
    return server
