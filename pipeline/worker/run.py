"""Start one worker process: the metrics and health endpoint, then the Faust worker until it is stopped."""

from __future__ import annotations

import logging

import faust

from pipeline.http_endpoint import serve
from pipeline.settings import Settings
from pipeline.worker.app import PipelineWorker
from pipeline.worker.health import routes, wire_health
from pipeline.worker.heap import tune_collector
from pipeline.worker.lag_metrics import wire_lag_metrics
from pipeline.worker.stall_watch import EXIT_STALLED

log = logging.getLogger(__name__)

#: Exit code of a worker stopped by the invalid-share cap (WARMCITY_PIPELINE_MAX_INVALID_SHARE), and of one
#: stopped by stalled raw partitions (``stall_watch.EXIT_STALLED``, 4); any other crash exits 1, as Faust's
#: worker does.
EXIT_INVALID_SHARE = 3


def run_worker(settings: Settings) -> None:
    """Blocks until SIGINT/SIGTERM; Faust's worker handles both and shuts the agents down in order.

    Exits non-zero when the worker crashed: ``EXIT_INVALID_SHARE`` when the invalid-share cap stopped it."""
    tune_collector()
    pipeline_worker = PipelineWorker(settings)
    wire_lag_metrics(pipeline_worker)
    worker = faust.Worker(pipeline_worker.app, loglevel=settings.pipeline.log_level, quiet=True)
    health = wire_health(pipeline_worker, worker.loop)
    server = serve(settings.pipeline.metrics_port, routes(health))
    log.info("metrics on http://127.0.0.1:%d/metrics, health on /healthz and /readyz", server.server_port)
    try:
        worker.execute_from_commandline()
    except SystemExit:
        if pipeline_worker.invalid_share_trip is not None:
            raise SystemExit(EXIT_INVALID_SHARE) from None
        if pipeline_worker.stalled:
            raise SystemExit(EXIT_STALLED) from None
        raise
