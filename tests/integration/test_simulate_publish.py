"""The simulator and reference publishing against the real Kafka the project starts.

Uses the session stack fixtures of ``tests/integration/conftest.py`` (``stack_settings``, ``unique_prefix``);
skips while they are not there.
"""

from __future__ import annotations

from collections import Counter

import pytest
from pydantic import ValidationError

from pipeline.city import build_city
from pipeline.contracts.plate_read import PlateRead
from pipeline.contracts.reference import DeviceRecord, PlateWatchEntry
from pipeline.reference_publish import publish_devices, publish_watch_entry, remove_watch_entry
from pipeline.settings import Settings
from pipeline.simulate import MessageKind, PlateReadGenerator, run_simulation
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


def test_simulated_reads_arrive_keyed_by_device_and_as_generated(request: pytest.FixtureRequest) -> None:
    settings, prefix = stack(request)
    check_simulation(settings.kafka.bootstrap_servers, Topics(prefix, 3, 1))  # 3 partitions: keys must stick


def test_registry_and_watch_list_reach_their_compacted_topics(request: pytest.FixtureRequest) -> None:
    settings, prefix = stack(request)
    check_reference_publishing(settings.kafka.bootstrap_servers, Topics(prefix, 3, 1))


def check_simulation(bootstrap: str, topics: Topics) -> None:
    ensure_topics(bootstrap, topics.specs())
    devices = build_city("small", 7).devices

    def generator() -> PlateReadGenerator:
        return PlateReadGenerator(
            devices,
            7,
            watched_plates=[WATCHED],
            inject_every=50,
            malformed_share=0.05,
            unknown_device_share=0.02,
        )

    expected = Counter(m.kind for m in generator().take(300))
    summary = run_simulation(bootstrap, topics.raw_plate_reads, generator(), rate_per_s=2000, count=300)
    assert summary.ok, summary.first_error
    assert (summary.sent, summary.delivered) == (300, 300)
    assert summary.injected == expected[MessageKind.INJECTED] == 6
    assert summary.malformed == expected[MessageKind.MALFORMED]

    messages = read_topic(bootstrap, topics.raw_plate_reads, expected=300)
    assert len(messages) == 300
    valid, invalid, watched = 0, 0, 0
    for key, value in messages:
        try:
            read = PlateRead.model_validate_json(value)
        except ValidationError:
            invalid += 1
            continue
        valid += 1
        watched += read.plate == WATCHED
        assert key == read.device_id.encode()
    assert invalid == summary.malformed
    assert watched == summary.injected
    assert valid == 300 - summary.malformed


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
