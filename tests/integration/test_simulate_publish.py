"""The simulator and reference publishing against the real Kafka the project starts.

Uses the session stack fixtures of ``tests/integration/conftest.py`` (``stack_settings``, ``unique_prefix``);
skips while they are not there.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from pipeline.city import build_city
from pipeline.contracts.families import FAMILIES
from pipeline.contracts.reference import DeviceFamily, DeviceRecord, PlateWatchEntry
from pipeline.reference_publish import publish_devices, publish_watch_entry, remove_watch_entry
from pipeline.settings import Settings
from pipeline.simulate import CitySimulator, MessageKind, SimulationWorld, run_simulation
from pipeline.topics import Topics, ensure_topics
from tests.integration.helpers import read_topic

pytestmark = pytest.mark.integration

WATCHED = "蒙K8A888"


def stack(request: pytest.FixtureRequest) -> tuple[Settings, str]:
    try:
        settings: Settings = request.getfixturevalue("stack_settings")
        prefix: str = request.getfixturevalue("unique_prefix")
    except pytest.FixtureLookupError:
        pytest.skip("the integration stack fixtures (tests/integration/conftest.py) are not there yet")
    return settings, prefix


def test_simulated_events_arrive_on_their_family_topics_keyed_by_device(
    request: pytest.FixtureRequest,
) -> None:
    settings, prefix = stack(request)
    check_simulation(settings.kafka.bootstrap_servers, Topics(prefix, 3, 1))  # 3 partitions: keys must stick


def test_registry_and_watch_list_reach_their_compacted_topics(request: pytest.FixtureRequest) -> None:
    settings, prefix = stack(request)
    check_reference_publishing(settings.kafka.bootstrap_servers, Topics(prefix, 3, 1))


def check_simulation(bootstrap: str, topics: Topics) -> None:
    ensure_topics(bootstrap, topics.specs())
    world = SimulationWorld.from_city(build_city("small", 7))
    start = datetime.now(UTC)

    def simulator() -> CitySimulator:
        return CitySimulator(
            world,
            7,
            200.0,
            start=start,
            watched_plates=[WATCHED],
            inject_every=50,
            malformed_share=0.05,
            duplicate_share=0.02,
            unknown_device_share=0.02,
        )

    expected = simulator().take(300)
    kinds = Counter(m.kind for m in expected)
    by_topic = {family: topics.raw(family) for family in DeviceFamily}
    summary = run_simulation(bootstrap, by_topic, simulator(), rate_per_s=2000, count=300)
    assert summary.ok, summary.first_error
    assert (summary.sent, summary.delivered) == (300, 300)
    assert summary.injected == kinds[MessageKind.INJECTED] == 6
    assert summary.malformed == kinds[MessageKind.MALFORMED]
    assert summary.duplicates == kinds[MessageKind.DUPLICATE]
    assert summary.unknown_device == kinds[MessageKind.UNKNOWN_DEVICE]

    invalid, watched = 0, 0
    for family, topic in by_topic.items():
        sent = [(m.key, m.value) for m in expected if m.family is family]
        messages = read_topic(bootstrap, topic, expected=len(sent)) if sent else []
        assert Counter(messages) == Counter(sent), family  # what was generated, on the family's topic
        for key, value in messages:
            try:
                event = FAMILIES[family].adapter.validate_json(value)
            except ValidationError:
                invalid += 1
                continue
            watched += getattr(event, "plate", None) == WATCHED
            assert key == event.device_id.encode()
    assert invalid == summary.malformed
    assert watched == summary.injected


def check_reference_publishing(bootstrap: str, topics: Topics) -> None:
    ensure_topics(bootstrap, topics.specs())
    devices = build_city("small", 7).devices
    assert publish_devices(bootstrap, topics.ref_devices, devices) == len(devices)
    registry = read_topic(bootstrap, topics.ref_devices, expected=len(devices))
    assert {key.decode(): DeviceRecord.model_validate_json(value) for key, value in registry} == {
        d.device_id: d for d in devices
    }

    entry = PlateWatchEntry(plate=WATCHED, category="wanted", reason="integration test", priority=1)
    publish_watch_entry(bootstrap, topics.ref_plate_watchlist, entry)
    remove_watch_entry(bootstrap, topics.ref_plate_watchlist, WATCHED)
    watch_list = read_topic(bootstrap, topics.ref_plate_watchlist, expected=2)
    assert [key.decode() for key, _ in watch_list] == [WATCHED, WATCHED]
    assert PlateWatchEntry.model_validate_json(watch_list[0][1]) == entry
    assert watch_list[1][1] == b""  # the tombstone (read_topic gives b"" for a null value)
