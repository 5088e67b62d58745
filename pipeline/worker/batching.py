"""``take_weighted``: Faust's ``Stream.take_events``, bounded by the items the messages hold.

``take_events(n, within)`` yields at most ``n`` *messages*. Once messages are batches (an envelope of
events from a site gateway, a JSON array on an internal topic), ``n`` messages may hold anything from
``n`` to thousands of times ``n`` events, and a bound in messages bounds neither memory nor the size of
a ClickHouse insert. This generator yields once the *weight* of the buffered messages (for example the
``n`` header of an internal batch, or a raw message's bytes) reaches ``max_weight``, or ``within``
seconds passed, whichever is first.

Acknowledgement is as in ``take_events``: the events of a batch are acknowledged when the caller asks
for the next batch (after its body finished, so after every output was delivered or stored), and a
caller that marks them acked beforehand (``withhold_acks``) keeps their offsets uncommitted. While the
caller works on a batch, the stream's buffering processor waits, so the stream's own buffer fills and
Faust pauses the topic-partition at its high-pressure mark: flow control per partition stays Faust's.

It relies on the same ``Stream`` internals as ``take_events`` (``add_processor``, ``_enable_passive``,
``current_event``, ``enable_acks``), pinned with faust-streaming's version in pyproject.toml; the unit
tests in ``tests/unit/test_batching.py`` run it on a real in-memory Faust stream.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from typing import Any

from mode.utils.aiter import aiter
from mode.utils.futures import notify


class _Buffer:
    """What the stream's processor adds to and the generator yields from."""

    def __init__(self, stream: Any, max_weight: int, weight: Callable[[Any], int]) -> None:
        self.stream = stream
        self.max_weight = max_weight
        self.weight = weight
        self.events: list[Any] = []
        self.total = 0
        self.full = asyncio.Event()
        self.drained = asyncio.Event()
        self.reading: asyncio.Future[None] | None = None  # set while the caller holds a batch

    async def add(self, value: Any) -> Any:
        """The stream's processor: called for every message, in the stream's own task."""
        try:
            if self.reading is not None:
                try:
                    await self.reading
                finally:
                    self.reading = None
            event = self.stream.current_event
            if event is None:
                raise RuntimeError("take_weighted: the stream has no current event")
            self.events.append(event)
            self.total += max(1, self.weight(event))
            if self.total >= self.max_weight:
                self.full.set()
                self.drained.clear()
                await self.stream.wait(self.drained)  # never more than one message past the bound
        except asyncio.CancelledError:  # pragma: no cover
            raise
        except Exception as exc:
            self.stream.log.exception("take_weighted: error adding to the batch: %r", exc)
            await self.stream.crash(exc)
        return value

    async def release(self) -> None:
        """After the caller's body: acknowledge the batch and let the processor go on."""
        for event in self.events:
            await self.stream.ack(event)
        self.events.clear()
        self.total = 0
        notify(self.reading)
        self.full.clear()
        self.drained.set()


async def take_weighted(
    stream: Any,
    max_weight: int,
    within: float,
    weight: Callable[[Any], int],
    finished: Callable[[list[Any]], None] | None = None,
) -> AsyncIterator[list[Any]]:
    """Batches of events of ``stream`` whose ``weight(event)`` adds up to at least ``max_weight``
    (the message that reaches it is included: a batch never splits a message), or what came within
    ``within`` seconds. ``finished(batch)`` is called once the caller's body finished with a batch
    without raising (when it asks for the next one), before the batch is acknowledged."""
    if max_weight < 1:
        raise ValueError(f"max_weight must be >= 1, got {max_weight}")
    buffer = _Buffer(stream, max_weight, weight)
    enable_acks = stream.enable_acks
    stream.enable_acks = False  # acknowledged here, once the caller is done with a batch
    stream.add_processor(buffer.add)
    stream._enable_passive(aiter(stream.channel))
    try:
        while not stream.should_stop:
            await stream.wait_for_stopped(buffer.full, timeout=within)
            if not buffer.events:
                continue
            buffer.reading = stream.loop.create_future()
            batch = list(buffer.events)
            try:
                yield batch
                if finished is not None:  # reached only when the body went on to the next batch
                    finished(batch)
            finally:
                await buffer.release()
    finally:
        stream.enable_acks = enable_acks
        stream._processors.remove(buffer.add)
