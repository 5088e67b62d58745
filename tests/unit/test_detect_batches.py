"""Internal batches of the worker: rule inputs serialised once, read back as they were; the detect
partition of a key fixed for every worker; batch messages cut below Kafka's message size."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import orjson
import pytest

from pipeline.rules.catalogue import detection_rules, event_rules
from pipeline.rules.references import References
from pipeline.worker import detection
from pipeline.worker.app import chunked, enriched_documents, raw_weight
from pipeline.worker.detection import (
    DetectionEngine,
    RuleInput,
    detect_partition,
    rule_input_json,
    rule_inputs,
)
from tests.unit.rule_factories import plate_read


def test_a_rule_input_with_its_event_already_serialised_is_the_same_json() -> None:
    item = plate_read(ring="inner")
    rule_input = RuleInput(rule="plate.cloned", key="蒙K12345", enriched=item)
    serialised = item.model_dump_json(by_alias=True).encode()
    fast = rule_input_json(rule_input, serialised)
    assert orjson.loads(fast) == orjson.loads(rule_input.model_dump_json(by_alias=True))
    assert rule_inputs(b"[" + fast + b"]") == [rule_input]


def test_ticks_and_detections_are_serialised_by_the_model() -> None:
    tick = RuleInput(rule="device.offline", key="CAM-1", tick=True)
    assert rule_input_json(tick, b"ignored") == tick.model_dump_json(by_alias=True).encode()
    assert rule_inputs(rule_input_json(tick)) == [tick]  # a single object, as older workers sent


def test_the_detect_partition_is_a_fixed_function_of_the_key() -> None:
    # Fixed values: every worker, every process, every Python (no salted hash) must agree. CRC-32 of the
    # UTF-8 keys: 3684310236 and 606696005.
    assert detect_partition("plate.cloned|蒙K12345", 6) == 3684310236 % 6 == 0
    assert detect_partition("device.offline|CAM-DS-000123", 12) == 606696005 % 12 == 5
    spread = {detect_partition(f"k|{n}", 6) for n in range(200)}
    assert spread == set(range(6))


@pytest.mark.parametrize(("sizes", "limit", "expected"), [
    ([10, 10, 10], 25, [[10, 10], [10]]),
    ([30], 25, [[30]]),  # a document over the limit goes alone
    ([], 25, []),
    ([5] * 4, 100, [[5] * 4]),
])  # fmt: skip
def test_chunks_stay_under_the_limit(sizes: list[int], limit: int, expected: list[list[int]]) -> None:
    documents = [b"x" * n for n in sizes]
    assert [[len(d) for d in chunk] for chunk in chunked(documents, limit)] == expected


def test_enriched_messages_are_arrays_or_one_object() -> None:
    assert enriched_documents(b'[{"a":1},{"a":2}]') == [{"a": 1}, {"a": 2}]
    assert enriched_documents(b'{"a":1}') == [{"a": 1}]


class _Message:
    def __init__(self, value: bytes, headers: list[tuple[str, bytes]] | None) -> None:
        self.value, self.headers = value, headers


class _Event:
    def __init__(self, value: bytes, headers: list[tuple[str, bytes]] | None = None) -> None:
        self.message = _Message(value, headers)


def test_raw_weight_is_the_n_header_or_an_estimate_by_size() -> None:
    assert raw_weight(_Event(b"x" * 300)) == 1
    assert raw_weight(_Event(b"x" * 5120)) == 10
    assert raw_weight(_Event(b"x" * 5120, [("n", b"42")])) == 42


def test_each_rule_is_looked_at_on_its_own_cadence(monkeypatch: pytest.MonkeyPatch) -> None:
    clock = [1000.0]
    monkeypatch.setattr(detection, "time", SimpleNamespace(monotonic=lambda: clock[0]))
    engine = DetectionEngine(event_rules(), detection_rules(), References())
    rules: list[Any] = [*event_rules().values(), *detection_rules().values()]
    ticking = {r.name: r.tick_every for r in rules if r.tick_every}
    assert engine.rules_to_check() == set(ticking)  # the first time: all of them
    assert engine.rules_to_check() == set()
    clock[0] += 15
    assert engine.rules_to_check() == {n for n, every in ticking.items() if every.total_seconds() * 0.9 <= 15}
    assert "device.offline" in ticking and ticking["device.offline"].total_seconds() <= 15
    assert "plate.cloned" not in engine.rules_to_check()
    clock[0] += 600
    assert "plate.cloned" in engine.rules_to_check()
