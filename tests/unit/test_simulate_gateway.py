"""Gateway mode of the simulator: envelopes per gateway and window of event time, every event once, in
each device's order, malformed messages alone, and envelopes the intake accepts."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import orjson
import pytest

from pipeline.contracts import DeviceFamily
from pipeline.contracts.batch import count_of
from pipeline.simulate.gateway import GatewayBatcher, GatewayScope, OutgoingMessage, gateway_lookup
from pipeline.simulate.messages import MessageKind, SimulatedMessage
from pipeline.stages.intake import IntakeContext, RawMessage, process_batch
from tests.unit.factories import EVENT_TIME, PSEUDONYMISER, device, plate_read_doc

SITE_OF = {"KK-A-0001": "CS-A-01", "KK-A-0002": "CS-A-01", "KK-B-0001": "CS-B-01"}


def read(device_id: str, n: int, seconds: float) -> SimulatedMessage:
    when = EVENT_TIME + timedelta(seconds=seconds)
    doc = plate_read_doc(event_id=f"ev-{n:08d}", device_id=device_id, event_time=when.isoformat())
    return SimulatedMessage(device_id.encode(), orjson.dumps(doc), MessageKind.EVENT, event_time=when)


def run(messages: list[SimulatedMessage], window_ms: float = 100.0) -> list[OutgoingMessage]:
    batcher = GatewayBatcher(lambda d: SITE_OF.get(d, f"GW-{d}"), window_ms)
    out = [o for m in messages for o in batcher.add(m)]
    return out + list(batcher.flush())


def events_of(message: OutgoingMessage) -> list[dict[str, Any]]:
    document = orjson.loads(message.value)
    return document["events"] if document.get("schema") == "event_batch" else [document]


def test_events_of_one_site_within_the_window_share_an_envelope() -> None:
    out = run([read("KK-A-0001", 1, 0.00), read("KK-B-0001", 2, 0.01), read("KK-A-0002", 3, 0.05)])
    by_key = {o.key: [e["event_id"] for e in events_of(o)] for o in out}
    assert by_key == {b"CS-A-01": ["ev-00000001", "ev-00000003"], b"CS-B-01": ["ev-00000002"]}
    assert {o.key: count_of(o.headers) for o in out} == {b"CS-A-01": 2, b"CS-B-01": 1}


def test_an_envelope_closes_once_its_window_of_event_time_passed() -> None:
    out = run([read("KK-A-0001", 1, 0.0), read("KK-A-0001", 2, 0.05), read("KK-A-0001", 3, 0.30)])
    assert [[e["event_id"] for e in events_of(o)] for o in out] == [
        ["ev-00000001", "ev-00000002"],
        ["ev-00000003"],
    ]


def test_a_quiet_gateway_is_closed_by_the_others_time() -> None:
    batcher = GatewayBatcher(lambda d: SITE_OF[d], 100.0)
    assert list(batcher.add(read("KK-A-0001", 1, 0.0))) == []
    closed = list(batcher.add(read("KK-B-0001", 2, 0.5)))  # site A sends nothing more
    assert [o.key for o in closed] == [b"CS-A-01"]


def test_every_event_once_and_each_device_in_order() -> None:
    devices = list(SITE_OF)
    messages = [read(devices[i % 3], i, i * 0.013) for i in range(500)]
    out = run(messages)
    seen = [e for o in out for e in events_of(o)]
    assert sorted(e["event_id"] for e in seen) == sorted(f"ev-{i:08d}" for i in range(500))
    for device_id in devices:
        mine = [e["event_id"] for e in seen if e["device_id"] == device_id]
        assert mine == sorted(mine)


def test_malformed_messages_go_alone() -> None:
    broken = SimulatedMessage(b"KK-A-0001", b"{not json", MessageKind.MALFORMED, event_time=EVENT_TIME)
    out = run([read("KK-A-0001", 1, 0.0), broken, read("KK-A-0001", 2, 0.01)])
    assert [o.value for o in out if o.events == 1 and o.headers is None] == [b"{not json"]
    assert sum(o.events for o in out) == 3


def test_the_intake_takes_every_event_of_the_envelopes() -> None:
    out = run([read("KK-A-0001", i, i * 0.02) for i in range(20)])
    context = IntakeContext(PSEUDONYMISER, {"KK-A-0001": device("KK-A-0001")}, {}, {})
    raw = [RawMessage("raw", 0, i, o.key, o.value) for i, o in enumerate(out)]
    outcome = process_batch(raw, DeviceFamily.VEHICLE_CHECKPOINT, context, EVENT_TIME + timedelta(seconds=5))
    assert not outcome.dead_letters
    assert [e.event.event_id for e in outcome.enriched] == [f"ev-{i:08d}" for i in range(20)]


def test_gateway_ids_by_scope() -> None:
    devices = {
        "KK-A-0001": device("KK-A-0001", site_id="CS-DS-01"),
        "KK-A-0002": device("KK-A-0002"),
    }
    by_site = gateway_lookup(devices, GatewayScope.SITE)
    by_district = gateway_lookup(devices, GatewayScope.DISTRICT)
    assert by_site("KK-A-0001") == "CS-DS-01"
    assert by_site("KK-A-0002") == by_district("KK-A-0002") == by_district("KK-A-0001")
    assert by_district("KK-A-0001").startswith("GW-") and by_district("KK-A-0001").endswith(
        "vehicle_checkpoint"
    )
    assert by_site("NOT-REGISTERED") == "GW-NOT-REGISTERED"


def test_a_window_must_be_positive() -> None:
    with pytest.raises(ValueError, match="window_ms"):
        GatewayBatcher(lambda d: d, 0)
