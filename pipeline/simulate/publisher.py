"""The publishing part of the simulator: sends generated messages to Kafka at a steady rate.

Pacing is by schedule, not by sleeping a fixed gap after each send: message *i* is due at
``start + i / rate``, so time spent producing does not slow the achieved rate down (the city simulator's
virtual clock is the same schedule). ``topic`` is a topic per family (``Topics.raw``) or one topic for
every message. Deliveries are counted in the producer's callbacks, for the summary and in the metrics
``warmcity_simulator_sent_total`` / ``warmcity_simulator_delivery_failures_total`` (events by family, as
Kafka acknowledged or refused them); the run ends with a flush, and the summary says whether every message
arrived, with counts per family.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from pipeline.contracts.reference import DeviceFamily
from pipeline.metrics import SIMULATOR_FAILURES, SIMULATOR_SENT
from pipeline.reference_publish import PublishError, producer_config, require_topic
from pipeline.simulate.gateway import GatewayBatcher, OutgoingMessage
from pipeline.simulate.messages import (
    FamilyTally,
    MessageKind,
    SimulatedMessage,
    SimulationProgress,
    SimulationSummary,
    in_family_order,
)

if TYPE_CHECKING:
    from confluent_kafka import KafkaError, Message, Producer

SIMULATOR_LINGER_MS = 20  # batches a few ms of messages per request without visible delay

__all__ = ["SimulationError", "SimulationProgress", "SimulationSummary", "run_simulation"]


class SimulationError(PublishError):
    """The simulation could not start: Kafka unreachable or a topic missing."""


@dataclass
class _DeliveryTally:
    """Events acknowledged and failed (an envelope counts its events)."""

    delivered: int = 0
    failed: int = 0
    first_error: str | None = None
    _single: dict[DeviceFamily, Callable[[KafkaError | None, Message], None]] = field(default_factory=dict)

    def __call__(self, err: KafkaError | None, msg: Message) -> None:
        self.add(err, msg, 1)

    def for_events(self, events: int, family: DeviceFamily) -> Callable[[KafkaError | None, Message], None]:
        """The delivery callback of one message of ``family`` holding ``events`` events (delivery reports
        carry no headers, so the count travels with the callback); it counts the family's metrics too."""
        if events == 1:
            callback = self._single.get(family)
            if callback is None:
                callback = self._single[family] = self._counting(family, 1)
            return callback
        return self._counting(family, events)

    def _counting(self, family: DeviceFamily, events: int) -> Callable[[KafkaError | None, Message], None]:
        sent, failed = SIMULATOR_SENT.labels(family.value), SIMULATOR_FAILURES.labels(family.value)

        def callback(err: KafkaError | None, msg: Message) -> None:
            self.add(err, msg, events)
            (sent if err is None else failed).inc(events)

        return callback

    def add(self, err: KafkaError | None, msg: Message, events: int) -> None:
        if err is None:
            self.delivered += events
            return
        self.failed += events
        if self.first_error is None:
            self.first_error = f"{msg.topic()}: {err.str()}"


@dataclass
class _Counts:
    kinds: dict[MessageKind, int] = field(default_factory=lambda: dict.fromkeys(MessageKind, 0))
    families: dict[DeviceFamily, FamilyTally] = field(default_factory=dict)

    def add(self, message: SimulatedMessage) -> None:
        self.kinds[message.kind] += 1
        tally = self.families.get(message.family)
        if tally is None:
            tally = self.families[message.family] = FamilyTally()
        tally.add(message)


def run_simulation(
    bootstrap: str,
    topic: str | Mapping[DeviceFamily, str],
    generator: Iterable[SimulatedMessage],
    rate_per_s: float,
    duration_s: float | None = None,
    count: int | None = None,
    progress: Callable[[SimulationProgress], None] | None = None,
    producer_overrides: Mapping[str, Any] | None = None,
    flush_timeout_s: float = 30.0,
    progress_every_s: float = 1.0,
    gateway: GatewayBatcher | None = None,
) -> SimulationSummary:
    """Send ``generator``'s messages at ``rate_per_s`` until ``duration_s`` or ``count``.

    ``topic``: one topic for all messages, or each family's topic (a message of a family missing from the
    mapping is an error). At least one of ``duration_s`` and ``count`` must be given; with both, the first
    reached ends the run. Raises ``SimulationError`` before sending anything if Kafka or a topic is not there.
    With ``gateway``, events go out in batch envelopes (``simulate.gateway``); counts and the rate are
    still of events.
    """
    from confluent_kafka import Producer

    if rate_per_s <= 0:
        raise ValueError(f"rate_per_s must be > 0, got {rate_per_s}")
    if duration_s is None and count is None:
        raise ValueError("give duration_s or count (or both)")
    topics = topic if not isinstance(topic, str) else None
    overrides = {"linger.ms": SIMULATOR_LINGER_MS, **(producer_overrides or {})}
    producer = Producer(producer_config(bootstrap, "warmcity-simulator", **overrides))
    try:
        for name in sorted(set(topics.values())) if topics is not None else [str(topic)]:
            require_topic(producer, name, bootstrap)
    except PublishError as exc:
        raise SimulationError(str(exc)) from exc

    tally = _DeliveryTally()
    counts = _Counts()
    messages = iter(generator)
    start = time.monotonic()
    next_report = start + progress_every_s
    sent = 0
    interrupted = False
    try:
        while count is None or sent < count:
            due = start + sent / rate_per_s
            # Ends on the schedule, or on the clock when the source cannot keep up with the rate.
            if duration_s is not None and max(due, time.monotonic()) - start >= duration_s:
                break
            _serve_until(producer, due)
            message = next(messages, None)
            if message is None:
                break
            if gateway is None:
                outgoing: Iterable[OutgoingMessage] = (
                    OutgoingMessage(message.family, message.key, message.value, 1),
                )
            else:
                outgoing = gateway.add(message)
            for out in outgoing:
                _produce(producer, topics[out.family] if topics is not None else str(topic), out, tally)
            sent += 1
            counts.add(message)
            now = time.monotonic()
            if progress is not None and now >= next_report:
                progress(SimulationProgress(sent, now - start, _sent_by_family(counts)))
                next_report = now + progress_every_s
    except KeyboardInterrupt:  # an operator's Ctrl-C ends the run, but what was sent is still accounted for
        interrupted = True
    for out in gateway.flush() if gateway is not None else ():
        _produce(producer, topics[out.family] if topics is not None else str(topic), out, tally)
    elapsed = time.monotonic() - start  # the sending time: the final flush is not part of the rate
    undelivered = producer.flush(flush_timeout_s)
    if undelivered:  # messages, not events: what is missing in events is what was not acknowledged
        undelivered = max(0, sent - tally.delivered - tally.failed)
    first_error = tally.first_error
    if undelivered and first_error is None:
        first_error = f"{undelivered} messages not delivered within {flush_timeout_s:g}s"
    return SimulationSummary(
        sent=sent,
        delivered=tally.delivered,
        failed=tally.failed + undelivered,
        malformed=counts.kinds[MessageKind.MALFORMED],
        injected=counts.kinds[MessageKind.INJECTED],
        unknown_device=counts.kinds[MessageKind.UNKNOWN_DEVICE],
        elapsed_s=elapsed,
        first_error=first_error,
        interrupted=interrupted,
        duplicates=counts.kinds[MessageKind.DUPLICATE],
        families=in_family_order(counts.families),
    )


def _sent_by_family(counts: _Counts) -> dict[DeviceFamily, int]:
    return {family: tally.sent for family, tally in counts.families.items()}


def _serve_until(producer: Producer, deadline: float) -> None:
    # Waiting inside poll() serves delivery callbacks while we wait for the next message's slot.
    while (remaining := deadline - time.monotonic()) > 0:
        producer.poll(remaining)
    producer.poll(0)


def _produce(producer: Producer, topic: str, message: OutgoingMessage, tally: _DeliveryTally) -> None:
    headers: dict[str, str | bytes | None] | None = dict(message.headers) if message.headers else None
    while True:
        try:
            producer.produce(
                topic,
                key=message.key,
                value=message.value,
                headers=headers,
                on_delivery=tally.for_events(message.events, message.family),
            )
            return
        except BufferError:  # local queue full: the broker is slower than the rate; wait for it
            producer.poll(0.1)
