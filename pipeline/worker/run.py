"""Start one worker process: the metrics endpoint, then the Faust worker until it is told to stop."""

from __future__ import annotations

import logging

import faust
from prometheus_client import start_http_server

from pipeline.settings import Settings
from pipeline.worker.app import PipelineWorker

log = logging.getLogger(__name__)


def run_worker(settings: Settings) -> None:
    """Blocks until SIGINT/SIGTERM; Faust's worker handles both and shuts the agents down in order."""
    pipeline_worker = PipelineWorker(settings)
    server, _ = start_http_server(settings.pipeline.metrics_port, addr="0.0.0.0")
    log.info("metrics on http://127.0.0.1:%d/metrics", server.server_port)
    worker = faust.Worker(pipeline_worker.app, loglevel=settings.pipeline.log_level, quiet=True)
    worker.execute_from_commandline()
