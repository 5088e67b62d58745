"""What the demo (and an analyst's first look) reads back from ClickHouse: counts through the dedup views."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from clickhouse_driver import Client


@dataclass(frozen=True)
class StorageSummary:
    rows: dict[str, int]  # table or view -> rows
    alerts_by_rule: list[tuple[str, str, int]]  # rule, severity, alerts
    reads_by_district: list[tuple[str, int]]
    events_by_family: list[tuple[str, int]]


def read_summary(client: Client, since: datetime | None = None) -> StorageSummary:
    """Counts over everything, or over rows whose event (alert: raise) time is at or after ``since``."""
    where = "WHERE event_time >= %(since)s" if since else ""
    alert_where = "WHERE raised_at >= %(since)s" if since else ""
    params = {"since": since.replace(tzinfo=None, microsecond=0)} if since else {}
    rows = {
        "plate_reads (stored copies)": _count(client, f"SELECT count() FROM plate_reads {where}", params),
        "plate_reads_dedup": _count(client, f"SELECT count() FROM plate_reads_dedup {where}", params),
        "device_events_dedup": _count(client, f"SELECT count() FROM device_events_dedup {where}", params),
        "alerts_dedup": _count(client, f"SELECT count() FROM alerts_dedup {alert_where}", params),
    }
    by_rule = client.execute(
        f"SELECT rule, severity, count() FROM alerts_dedup {alert_where} GROUP BY rule, severity "
        "ORDER BY rule, severity",
        params,
    )
    by_district = client.execute(
        f"SELECT district, count() AS n FROM plate_reads_dedup {where} GROUP BY district ORDER BY n DESC",
        params,
    )
    by_family = client.execute(
        f"SELECT family, count() AS n FROM device_events_dedup {where} GROUP BY family ORDER BY n DESC",
        params,
    )
    return StorageSummary(
        rows=rows,
        alerts_by_rule=[(str(r), str(s), int(n)) for r, s, n in by_rule],
        reads_by_district=[(str(d), int(n)) for d, n in by_district],
        events_by_family=[(str(f), int(n)) for f, n in by_family],
    )


def _count(client: Client, sql: str, params: Mapping[str, object]) -> int:
    return int(client.execute(sql, params)[0][0])
