"""What the reference store costs in memory, per record, before and after its compact storage:
``python -m pipeline.bench.refmem [--entries 1000000] [--profile city]``.

Applies the ``city`` registry's device records and a synthetic plate watch list to a ``ReferenceFeed``
(no Kafka: records go straight to ``apply``, as the feed thread applies them) once as plain models (the
store before) and once with the worker's storage (``pipeline.worker.references.storage_of``), and prints
the bytes tracemalloc sees allocated and kept per record.
"""

from __future__ import annotations

import argparse
import gc
import tracemalloc
from collections.abc import Sequence
from typing import Any

from pipeline.reference_feed import ReferenceFeed, Storage


def kept_bytes(records: Sequence[tuple[bytes, bytes]], model: Any, storage: Storage[Any] | None) -> int:
    """Bytes still allocated after applying ``records`` to a feed of ``model`` kept with ``storage``."""
    feed = ReferenceFeed("unused:1", "unused", model.model_validate_json, "refmem", storage)
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for key, value in records:
            feed.apply(key, value)
        gc.collect()
        return tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()


def main(argv: Sequence[str] | None = None) -> None:
    from pipeline.bench.watchlist import watch_entries, watch_plates
    from pipeline.city import build_city
    from pipeline.contracts import DeviceRecord, PlateWatchEntry
    from pipeline.worker.references import storage_of

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=1_000_000, help="plate watch-list entries")
    parser.add_argument("--profile", default="city", help="city profile of the device registry")
    args = parser.parse_args(argv)
    devices = [
        (d.device_id.encode(), d.model_dump_json().encode()) for d in build_city(args.profile, 7).devices
    ]
    plates = list(watch_entries(watch_plates(args.entries)))
    for name, model, records in (
        ("devices", DeviceRecord, devices),
        ("watchlist.plates", PlateWatchEntry, plates),
    ):
        for label, storage in (("as models (before)", None), ("as the worker keeps them", storage_of(name))):
            kept = kept_bytes(records, model, storage)
            print(
                f"{len(records):>9,} {name:<16} {label:<25} {kept / len(records):>7,.0f} B/record "
                f"{kept / 2**20:>7,.0f} MiB"
            )


if __name__ == "__main__":
    main()
