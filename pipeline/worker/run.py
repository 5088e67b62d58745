"""Start one worker process: the metrics endpoint, then the Faust worker until it is told to stop."""

from __future__ import annotations

import logging

import faust
from prometheus_client import start_http_server

from pipeline.settings import Settings
from pipeline.worker.app import PipelineWorker

log = logging.getLogger(__name__)

#: Exit code of a worker stopped by the invalid-share cap (WARMCITY_PIPELINE_MAX_INVALID_SHARE); any other
#: crash exits 1, as Faust's worker does.
EXIT_INVALID_SHARE = 3


def run_worker(settings: Settings) -> None:
    """Blocks until SIGINT/SIGTERM; Faust's worker handles both and shuts the agents down in order.

    Exits non-zero when the worker crashed: ``EXIT_INVALID_SHARE`` when the invalid-share cap stopped it."""
    pipeline_worker = PipelineWorker(settings)
    server, _ = start_http_server(settings.pipeline.metrics_port, addr="0.0.0.0")
    log.info("metrics on http://127.0.0.1:%d/metrics", server.server_port)
    worker = faust.Worker(pipeline_worker.app, loglevel=settings.pipeline.log_level, quiet=True)
    try:
        worker.execute_from_commandline()
    except SystemExit:
        if pipeline_worker.invalid_share_trip is not None:
            raise SystemExit(EXIT_INVALID_SHARE) from None
        raise
