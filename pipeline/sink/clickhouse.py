"""Insert rows into one ClickHouse table, retrying transient failures until they succeed.

Idempotency: the tables are ReplacingMergeTree keyed on ids derived from the events, so inserting a batch
twice (a retry after a lost acknowledgement, a replay after a crash) stores each row once for readers of
the deduplicating views. That is what lets the worker commit Kafka offsets only *after* the insert
(at-least-once) without producing duplicates for analysts.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

from clickhouse_driver import Client

from pipeline.errors import TransientError
from pipeline.metrics import (
    SINK_BATCH_ROWS,
    SINK_FAILURES,
    SINK_INSERT_SECONDS,
    SINK_LAST_SUCCESS,
    SINK_ROWS,
)
from pipeline.sink.policy import RetryPolicy

log = logging.getLogger(__name__)


class TableWriter:
    """Writes batches into ``table``; one writer per table, used from one thread at a time."""

    def __init__(
        self,
        connect: Callable[[], Client],
        table: str,
        columns: Sequence[str],
        retry: RetryPolicy,
        stopping: threading.Event | None = None,
    ) -> None:
        self._connect = connect
        self._client: Client | None = None
        self.table = table
        self._statement = f"INSERT INTO {table} ({', '.join(columns)}) VALUES"
        self._retry = retry
        self._stopping = stopping or threading.Event()

    def insert_once(self, rows: Sequence[tuple[Any, ...]]) -> None:
        """One attempt; raises ``TransientError`` when the server is away or refuses."""
        try:
            if self._client is None:
                self._client = self._connect()
            started = time.perf_counter()
            self._client.execute(self._statement, rows)
        except Exception as exc:  # the driver raises many types; all of them mean 'not stored'
            if self._client is not None:
                self._client.disconnect()
            self._client = None
            raise TransientError(f"insert into {self.table} failed: {exc}") from exc
        SINK_INSERT_SECONDS.labels(self.table).observe(time.perf_counter() - started)
        SINK_BATCH_ROWS.labels(self.table).observe(len(rows))
        SINK_ROWS.labels(self.table).inc(len(rows))
        SINK_LAST_SUCCESS.labels(self.table).set(time.time())

    def insert(self, rows: Sequence[tuple[Any, ...]]) -> bool:
        """Insert, retrying with backoff until it succeeds (True) or the writer is stopped (False).

        A False return means the rows are NOT stored: the caller must not acknowledge them."""
        if not rows:
            return True
        attempt = 0
        while True:
            try:
                self.insert_once(rows)
                return True
            except TransientError as exc:
                attempt += 1
                SINK_FAILURES.labels(self.table).inc()
                wait = self._retry.wait_before(attempt)
                log.warning("%s; retry %d in %.1f s (%d rows held)", exc, attempt, wait, len(rows))
                if self._stopping.wait(wait):
                    return False

    def stop(self) -> None:
        self._stopping.set()
