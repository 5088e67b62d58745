"""The reference feed's store without Kafka: records applied as the feed thread applies them, read through
the view, in both storages; and what an entry costs in memory."""

from __future__ import annotations

import gc
import tracemalloc
from datetime import UTC, datetime, timedelta
from typing import Any

from pipeline.bench.watchlist import watch_entries, watch_plates
from pipeline.contracts import DeviceRecord, PlateWatchEntry
from pipeline.contracts.sites import GridCellRecord
from pipeline.reference_feed import PARSED, ReferenceFeed, Storage, as_json, share_field_sets
from pipeline.topics import REFERENCE_TOPICS, Topics
from pipeline.worker.references import RECORDS, ReferenceFeeds, storage_of


def _feed(model: Any, storage: Storage[Any] | None) -> ReferenceFeed[Any]:
    return ReferenceFeed("127.0.0.1:1", "unused", model.model_validate_json, "test", storage)


def _entry(plate: str, **changes: Any) -> PlateWatchEntry:
    return PlateWatchEntry(plate=plate, category="wanted", reason="test", **changes)


def _devices(count: int) -> list[tuple[bytes, bytes]]:
    from pipeline.city import build_city

    city = build_city("small", 7)
    found = [(d.device_id.encode(), d.model_dump_json().encode()) for d in city.devices]
    assert len(found) >= count
    return found[:count]


def test_json_storage_reads_back_equal_records_updates_and_tombstones() -> None:
    feed = _feed(PlateWatchEntry, as_json(PlateWatchEntry))
    expires = datetime(2030, 1, 1, tzinfo=UTC)
    feed.apply(b"WL000001", _entry("WL000001").model_dump_json().encode())
    feed.apply(b"WL000002", _entry("WL000002", priority=1, expires_at=expires).model_dump_json().encode())
    view = feed.view
    assert view["WL000001"] == _entry("WL000001")
    assert view.get("WL000002") == _entry("WL000002", priority=1, expires_at=expires)
    assert view.get("WL000002").expires_at == expires  # type: ignore[union-attr]
    assert view.get("WL999999") is None and view.get("WL999999", _entry("WL000009")) == _entry("WL000009")
    assert "WL000001" in view and "WL999999" not in view
    assert sorted(view) == ["WL000001", "WL000002"] and len(view) == 2
    feed.apply(b"WL000001", _entry("WL000001", priority=4).model_dump_json().encode())
    assert view["WL000001"].priority == 4
    feed.apply(b"WL000001", None)
    assert "WL000001" not in view and len(view) == 1
    assert dict(view.items()) == {"WL000002": _entry("WL000002", priority=1, expires_at=expires)}


def test_invalid_records_are_rejected_in_either_storage() -> None:
    for storage in (None, PARSED, as_json(PlateWatchEntry)):
        feed = _feed(PlateWatchEntry, storage)
        feed.apply(b"bad", b'{"plate": "??", "category": "x", "reason": "y"}')
        feed.apply(b"worse", b"not json")
        feed.apply(None, _entry("WL000001").model_dump_json().encode())
        assert feed.rejected == 2 and len(feed.view) == 0


def test_parsed_storage_shares_field_sets_without_changing_records() -> None:
    feed = _feed(DeviceRecord, PARSED)
    for key, value in _devices(50):
        feed.apply(key, value)
    records = [feed.view[key] for key in feed.view]
    expected = {key.decode(): DeviceRecord.model_validate_json(value) for key, value in _devices(50)}
    assert {r.device_id: r for r in records} == expected
    assert len({id(r.__pydantic_fields_set__) for r in records}) < len(records)
    assert len({id(r.place.__pydantic_fields_set__) for r in records}) == 1
    # A copy with an update gets a field set of its own; the shared one is left alone.
    first, second = records[0], records[1]
    shared = set(second.model_fields_set)
    changed = first.model_copy(update={"ring": "city"})
    assert changed.ring == "city" and second.model_fields_set == shared
    assert first.model_dump(exclude_unset=True) == expected[first.device_id].model_dump(exclude_unset=True)


def test_share_field_sets_leaves_other_values_alone() -> None:
    assert share_field_sets({"a": 1}) == {"a": 1}
    assert share_field_sets("x") == "x"


def test_the_worker_keeps_watch_lists_as_json_and_the_rest_parsed() -> None:
    assert storage_of("watchlist.plates").load is not None
    assert storage_of("watchlist.persons").load is not None
    assert all(storage_of(name) is PARSED for name in RECORDS if not name.startswith("watchlist."))


def _bytes_per_record(records: list[tuple[bytes, bytes]], model: Any, storage: Storage[Any] | None) -> float:
    feed = _feed(model, storage)
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for key, value in records:
            feed.apply(key, value)
        gc.collect()
        after = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    assert len(feed.view) == len({key for key, _ in records})
    return (after - before) / len(records)


def test_a_watch_list_entry_costs_a_fifth_of_a_model() -> None:
    records = list(watch_entries(watch_plates(20_000)))
    as_models = _bytes_per_record(records, PlateWatchEntry, None)
    compact = _bytes_per_record(records, PlateWatchEntry, as_json(PlateWatchEntry))
    assert as_models > 900  # ~1,200 bytes: the model, its __dict__, its field set, its strings
    assert compact < 320  # ~250 bytes: the key, the exactly sized JSON, the dict's slot
    assert compact < as_models / 3


def test_a_device_record_costs_less_than_half_with_shared_field_sets() -> None:
    records = _devices(100)  # the small city's registry: every family, sites, rings
    plain = _bytes_per_record(records, DeviceRecord, None)
    shared = _bytes_per_record(records, DeviceRecord, PARSED)
    assert shared < plain * 0.6, (plain, shared)
    assert shared < 1_300, shared


def test_the_worker_reads_every_reference_topic_the_grid_cells_included() -> None:
    feeds = ReferenceFeeds("127.0.0.1:1", Topics("t", 3, 1))  # nothing starts before ready()
    assert set(feeds.feeds) == set(RECORDS) == set(REFERENCE_TOPICS)
    assert feeds.feeds["grid_cells"].topic == "t.ref.grid_cells"
    assert feeds.references.grid_cells is feeds.feeds["grid_cells"].view


def test_a_grid_cell_record_costs_under_600_bytes_parsed() -> None:
    from pipeline.city import build_city
    from pipeline.city.records import grid_cell_records, keyed

    records = list(keyed("grid_cells", grid_cell_records(build_city("small", 7))))
    assert storage_of("grid_cells") is PARSED
    assert _bytes_per_record(records, GridCellRecord, PARSED) < 600  # ~480: 0.65 MB for the city's 1,354


def test_the_revision_grows_with_every_change_and_only_then() -> None:
    feed = _feed(PlateWatchEntry, as_json(PlateWatchEntry))
    view = feed.view
    assert view.revision == 0
    feed.apply(b"WL000001", _entry("WL000001").model_dump_json().encode())
    feed.apply(b"WL000001", _entry("WL000001", priority=1).model_dump_json().encode())
    assert view.revision == 2
    feed.apply(b"WL000002", b"not json")  # rejected
    feed.apply(b"WL000404", None)  # nothing to remove
    feed.apply(None, b"{}")  # no key
    assert view.revision == 2
    feed.apply(b"WL000001", None)
    assert view.revision == 3


def test_a_snapshot_holds_the_values_as_of_the_copy() -> None:
    for storage in (PARSED, as_json(PlateWatchEntry)):
        feed = _feed(PlateWatchEntry, storage)
        feed.apply(b"WL000001", _entry("WL000001").model_dump_json().encode())
        snapshot = feed.view.snapshot()
        feed.apply(b"WL000002", _entry("WL000002").model_dump_json().encode())
        assert snapshot == {"WL000001": _entry("WL000001")}
        assert feed.view.snapshot() == {"WL000001": _entry("WL000001"), "WL000002": _entry("WL000002")}


def test_json_storage_reads_are_validated_copies() -> None:
    feed = _feed(PlateWatchEntry, as_json(PlateWatchEntry))
    feed.apply(
        b"WL000001",
        _entry("WL000001", expires_at=datetime.now(UTC) + timedelta(days=1)).model_dump_json().encode(),
    )
    one, two = feed.view["WL000001"], feed.view["WL000001"]
    assert one == two and one is not two and one.active_at(datetime.now(UTC))
