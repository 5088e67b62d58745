"""``take_weighted`` on a real Faust stream (an agent's in-memory test context, no Kafka)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from typing import Any

import faust
import pytest

from pipeline.contracts.batch import count_header, count_of
from pipeline.worker.batching import take_weighted


def weight(event: Any) -> int:
    return count_of(event.message.headers)


def run_agent(
    counts: list[int],
    max_weight: int,
    within: float,
    body: Callable[[list[Any]], None] | None = None,
    finished: Callable[[list[Any]], None] | None = None,
) -> list[list[int]]:
    app = faust.App(f"tw-{id(counts)}", store="memory://", web_enabled=False)
    topic = app.topic("t", key_serializer="raw", value_serializer="raw")
    batches: list[list[int]] = []

    async def agent(stream: Any) -> None:
        try:
            async for events in take_weighted(stream, max_weight, within, weight, finished):
                if body is not None:
                    body(events)
                batches.append([weight(e) for e in events])
        except RuntimeError:  # a body that failed: the loop is left, as an agent's would be
            pass

    faust_agent = app.agent(topic, name="tw")(agent)

    async def main() -> None:
        async with faust_agent.test_context() as test_agent:
            for n in counts:
                await test_agent.put(b"x", headers=count_header(n))
            await asyncio.sleep(within * 3)

    asyncio.run(main())
    return batches


def test_a_batch_is_yielded_once_its_weight_reaches_the_bound() -> None:
    batches = run_agent([3, 3, 3, 3, 1, 12, 2], max_weight=10, within=0.2)
    assert batches == [[3, 3, 3, 3], [1, 12], [2]]  # the last one by time


def test_every_message_is_in_exactly_one_batch_in_order() -> None:
    counts = [1 + (i * 7) % 5 for i in range(60)]
    batches = run_agent(counts, max_weight=8, within=0.2)
    assert [n for batch in batches for n in batch] == counts
    assert all(sum(batch) >= 8 for batch in batches[:-1])
    assert all(sum(batch[:-1]) < 8 for batch in batches)  # never more than one message past the bound


def test_without_headers_each_message_weighs_one() -> None:
    batches = run_agent([1] * 7, max_weight=3, within=0.2)
    assert batches == [[1, 1, 1], [1, 1, 1], [1]]


def test_a_batch_is_acknowledged_only_after_the_body_ran() -> None:
    seen: list[bool] = []

    def body(events: list[Any]) -> None:
        seen.extend(e.message.acked for e in events)

    run_agent([2, 2, 2, 2], max_weight=4, within=0.2, body=body)
    assert seen == [False] * 4


async def first_batch(batches: AsyncIterator[list[Any]]) -> list[Any]:
    return await anext(batches)


def test_a_bound_below_one_is_refused() -> None:
    with pytest.raises(ValueError, match="max_weight"):
        asyncio.run(first_batch(take_weighted(object(), 0, 1.0, weight)))


def test_finished_is_told_of_each_batch_after_its_body_and_before_its_acknowledgement() -> None:
    told: list[tuple[list[int], list[bool]]] = []

    def finished(events: list[Any]) -> None:
        told.append(([weight(e) for e in events], [e.message.acked for e in events]))

    batches = run_agent([2, 2, 2, 2, 1], max_weight=4, within=0.2, finished=finished)
    assert [counts for counts, _ in told] == batches
    assert [n for batch in batches for n in batch] == [2, 2, 2, 2, 1]
    assert all(not any(acked) for _, acked in told)


def test_a_batch_whose_body_raised_is_never_told_finished() -> None:
    told: list[list[int]] = []

    def body(events: list[Any]) -> None:
        if 1 in [weight(e) for e in events]:
            raise RuntimeError("the body failed")

    batches = run_agent(
        [2, 2, 1],
        max_weight=4,
        within=0.2,
        body=body,
        finished=lambda ev: told.append([weight(e) for e in ev]),
    )
    assert told == batches and told  # the batches whose body ran through, and only those
    assert all(1 not in batch for batch in told)
