"""`warmcity migrate --cluster` on a real cluster: ZooKeeper and 2 shards x 2 replicas of ClickHouse 18.16.

The cluster is tests/integration/cluster.py's (fixture ``clickhouse_cluster``). What is checked: every node
gets the replicated local tables and the Distributed ones under the files' names, with the macro paths
and the sharding keys of pipeline/storage/cluster.py; the ledger is on every node, so a second run through
another node applies nothing; rows inserted through Distributed land on the shard their event_id hashes
to, replicate to the other replica, and every analyst view of tests/unit/analyst_dataset.py reads each
event once although the replays are stored (merges stopped), on any node; the backfill of 0005 through
Distributed agrees with the materialized views; alert versions sent to two nodes collapse to the latest.
"""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from clickhouse_driver import Client

from pipeline.contracts.enriched import EnrichedEvent
from pipeline.storage.migrate import MigrationError, load_migrations, migrate
from tests.integration.cluster import LocalCluster, Node
from tests.unit import analyst_dataset as data

pytestmark = pytest.mark.integration

STORED = ["plate_reads", "device_events", "alerts", "plate_reads_by_plate", "device_events_by_subject"]
AGGREGATES = ["cell_hourly", "checkpoint_hourly", "device_hourly", "device_status", "crowd_hourly"]
ENGINES = dict.fromkeys(STORED, "ReplicatedReplacingMergeTree") | dict.fromkeys(
    AGGREGATES, "ReplicatedAggregatingMergeTree"
)


@pytest.fixture
def database(clickhouse_cluster: LocalCluster) -> Iterator[str]:
    name = f"itc_{uuid.uuid4().hex[:8]}"
    yield name
    client = clickhouse_cluster.nodes[0].client()
    client.execute(f"DROP DATABASE IF EXISTS {name} ON CLUSTER {clickhouse_cluster.name}")
    client.disconnect()


def cli(node: Node, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "WARMCITY_CLICKHOUSE_HOST": "127.0.0.1", "WARMCITY_CLICKHOUSE_USER": "default",
           "WARMCITY_CLICKHOUSE_PORT": str(node.tcp_port), "WARMCITY_CLICKHOUSE_PASSWORD": ""}  # fmt: skip
    return subprocess.run([sys.executable, "-m", "pipeline.cli.main", *args], env=env, capture_output=True,
                          text=True, timeout=300, check=False)  # fmt: skip


def rows(client: Client, query: str, params: dict[str, Any] | None = None) -> list[tuple[str, ...]]:
    return [tuple(str(value) for value in row) for row in client.execute(query, params)]


def sync_replicas(cluster: LocalCluster, database: str) -> None:
    for node in cluster.nodes:
        client = node.client(database)
        for (table,) in client.execute(
            "SELECT name FROM system.tables WHERE database = %(db)s AND engine LIKE 'Replicated%%'",
            {"db": database},
        ):
            client.execute(f"SYSTEM SYNC REPLICA {database}.{table}")
        client.disconnect()


def stop_merges(cluster: LocalCluster, database: str) -> None:
    for node in cluster.nodes:
        client = node.client(database)
        for table in STORED + AGGREGATES:
            client.execute(f"SYSTEM STOP MERGES {database}.{table}_local")
        client.disconnect()


def insert(node: Node, database: str, table: str, events: list[EnrichedEvent]) -> None:
    columns, to_rows = data.INSERTS[table]
    client = node.client(database)
    # A replay's rows split by shard may equal a block stored before, which replication would drop as a
    # duplicate insert: off here, so the copies are really stored and only FINAL can collapse them.
    client.execute(
        f"INSERT INTO {table} ({', '.join(columns)}) VALUES",
        to_rows(events),
        settings={"insert_deduplicate": 0},
    )
    client.disconnect()


def assert_views_exact(node: Node, database: str) -> None:
    client = node.client(database)
    for table, copies in data.STORED_COPIES.items():
        assert rows(client, f"SELECT count() FROM {table}") == [(str(copies),)], (node.name, table)
    for view, (query, expected) in data.EXPECTED.items():
        assert rows(client, query) == expected, (node.name, view)
    client.disconnect()


def test_migrate_cluster_creates_replicated_tables_behind_distributed_ones_on_every_node(
    clickhouse_cluster: LocalCluster, database: str
) -> None:
    cluster = clickhouse_cluster
    first, last = cluster.nodes[0], cluster.nodes[-1]
    run = cli(first, "migrate", "--cluster", cluster.name, "--database", database)
    assert run.returncode == 0, run.stderr
    applied = [line.split()[1] for line in run.stdout.splitlines() if line.startswith("applied ")]
    assert applied == [f"{m.version:04d}_{m.name}" for m in load_migrations()]
    assert run.stdout.rstrip().endswith(f"is up to date on cluster {cluster.name}")
    assert "statements skipped: ClickHouse 18.16.1 lacks ttl" in run.stdout  # 0006 on 18.16
    assert "statements skipped: ClickHouse 18.16.1 lacks codecs" in run.stdout  # 0007 on 18.16

    sync_replicas(cluster, database)
    layouts = []
    for node in cluster.nodes:
        client = node.client(database)
        tables = {name: (engine, full) for name, engine, full in client.execute(
            "SELECT name, engine, engine_full FROM system.tables WHERE database = %(db)s", {"db": database}
        )}  # fmt: skip
        layouts.append({name: engine for name, (engine, _) in tables.items()})
        for table, engine in ENGINES.items():
            assert tables[f"{table}_local"][0] == engine, (node.name, table)
            distributed = tables[table][1]
            assert tables[table][0] == "Distributed"
            key = "alert_id" if table == "alerts" else "event_id" if table in STORED else None
            if key:
                assert (
                    f"Distributed({cluster.name}, {database}, {table}_local, cityHash64({key}))"
                    in distributed
                )
        replicas = rows(client, "SELECT table, zookeeper_path, replica_name FROM system.replicas "
                                "WHERE database = %(db)s ORDER BY table", {"db": database})  # fmt: skip
        expected = sorted(
            [(f"{t}_local", f"/clickhouse/tables/{node.shard:02d}/{database}/{t}_local", f"r{node.replica}")
             for t in ENGINES]
            + [("schema_migrations", f"/clickhouse/tables/all/{database}/schema_migrations",
                f"{node.shard:02d}-r{node.replica}")]
        )  # fmt: skip
        assert replicas == expected, node.name
        ledger = rows(client, "SELECT toString(version) FROM schema_migrations FINAL ORDER BY version")
        assert ledger == [(str(m.version),) for m in load_migrations()], node.name
        client.disconnect()
    assert all(layout == layouts[0] for layout in layouts)
    assert (
        layouts[0]["plate_reads_dedup"] == "View"
        and layouts[0]["plate_reads_by_plate_mv"] == "MaterializedView"
    )

    again = cli(last, "migrate", "--cluster", cluster.name, "--database", database)
    assert again.returncode == 0, again.stderr
    assert "applied" not in again.stdout and "up to date on cluster" in again.stdout

    single = cli(last, "migrate", "--database", database)
    assert single.returncode == 1
    assert "was migrated in cluster mode" in single.stderr
    pruned = cli(last, "storage", "prune", "--older-than-days", "400", "--database", database)
    assert (
        pruned.returncode == 1 and "was migrated in cluster mode: prune works on one server" in pruned.stderr
    )
    with pytest.raises(MigrationError, match="cluster 'nowhere' is not in the server's remote_servers"):
        migrate(last.settings(database), cluster="nowhere")


def test_events_inserted_through_distributed_are_read_back_once_per_event_id(
    clickhouse_cluster: LocalCluster, database: str
) -> None:
    cluster = clickhouse_cluster
    migrate(cluster.nodes[0].settings(database), cluster=cluster.name)
    stop_merges(cluster, database)
    insert(cluster.nodes[0], database, "plate_reads", data.PLATE_READS)
    insert(cluster.nodes[0], database, "device_events", data.DEVICE_EVENTS)
    # The replays reach another node of the other shard: Distributed sends them where the originals are.
    insert(cluster.nodes[-1], database, "plate_reads", data.REPLAYED_PLATE_READS)
    insert(cluster.nodes[-1], database, "device_events", data.REPLAYED_DEVICE_EVENTS)
    sync_replicas(cluster, database)

    for node in cluster.nodes:
        assert_views_exact(node, database)

    held: dict[int, set[str]] = {}
    for node in cluster.nodes:
        client = node.client(database)
        ids = set()
        for table in ("plate_reads", "device_events", "plate_reads_by_plate", "device_events_by_subject"):
            # Each row is on the shard its sharding key chose (slot cityHash64(event_id) % 2, shard 1 first).
            misplaced = rows(client, f"SELECT count() FROM {table}_local "
                                     f"WHERE cityHash64(event_id) % 2 != {node.shard - 1}")  # fmt: skip
            assert misplaced == [("0",)], (node.name, table)
            ids |= {str(i) for (i,) in client.execute(f"SELECT event_id FROM {table}_local")}
        client.disconnect()
        # Replicas of a shard hold the same rows; shards hold different events.
        held.setdefault(node.shard, ids)
        assert held[node.shard] == ids, node.name
    assert held[1] and held[2] and not held[1] & held[2]
    # Copies of one event are on one shard: there, and only there, FINAL collapses them.
    everywhere = {e.event.event_id for e in data.PLATE_READS + data.DEVICE_EVENTS}
    assert held[1] | held[2] == everywhere


def test_the_backfill_through_distributed_counts_rows_stored_before_0005_once(
    clickhouse_cluster: LocalCluster, database: str
) -> None:
    cluster = clickhouse_cluster
    settings = cluster.nodes[1].settings(database)
    migrations = load_migrations()
    assert [m.version for m in migrate(settings, migrations=migrations[:4], cluster=cluster.name)] == [
        1,
        2,
        3,
        4,
    ]
    for node in cluster.nodes:
        client = node.client(database)
        for table in ("plate_reads", "device_events"):
            client.execute(f"SYSTEM STOP MERGES {database}.{table}_local")
        client.disconnect()
    insert(cluster.nodes[0], database, "plate_reads", data.PLATE_READS)
    insert(cluster.nodes[0], database, "device_events", data.DEVICE_EVENTS)
    insert(
        cluster.nodes[2], database, "plate_reads", data.REPLAYED_PLATE_READS
    )  # before 0005: backfilled twice
    applied = migrate(cluster.nodes[2].settings(database), cluster=cluster.name)
    assert [m.version for m in applied] == [5, 6, 7]
    stop_merges(cluster, database)
    insert(
        cluster.nodes[3], database, "device_events", data.REPLAYED_DEVICE_EVENTS
    )  # after: through the views
    sync_replicas(cluster, database)
    for node in (cluster.nodes[0], cluster.nodes[3]):
        assert_views_exact(node, database)


def test_alert_versions_sent_to_different_nodes_collapse_to_the_latest(
    clickhouse_cluster: LocalCluster, database: str
) -> None:
    cluster = clickhouse_cluster
    migrate(cluster.nodes[0].settings(database), cluster=cluster.name)
    stop_merges(cluster, database)
    statement = "INSERT INTO alerts (alert_id, rule, state, version) VALUES"
    alerts = [f"al-{n}" for n in range(8)]
    for version, node in enumerate(cluster.nodes, start=1):
        client = node.client(database)
        state = "resolved" if version == len(cluster.nodes) else "open"
        client.execute(statement, [(a, "watchlist.plate", state, version) for a in alerts])
        client.disconnect()
    sync_replicas(cluster, database)
    client = cluster.nodes[1].client(database)
    assert rows(client, "SELECT count() FROM alerts") == [(str(len(alerts) * len(cluster.nodes)),)]
    latest = rows(client, "SELECT alert_id, state, toString(version) FROM alerts_dedup ORDER BY alert_id")
    assert latest == [(a, "resolved", str(len(cluster.nodes))) for a in alerts]
    per_shard = [
        int(node.client(database).execute("SELECT uniqExact(alert_id) FROM alerts_local")[0][0])
        for node in (cluster.shard_nodes(1)[0], cluster.shard_nodes(2)[0])
    ]
    assert sum(per_shard) == len(alerts) and all(per_shard)
    client.disconnect()


def test_a_database_migrated_for_one_server_is_refused_in_cluster_mode(
    clickhouse_cluster: LocalCluster, database: str
) -> None:
    node = clickhouse_cluster.nodes[1]
    applied = migrate(node.settings(database))  # one server: plain MergeTree tables on this node only
    assert [m.version for m in applied] == [m.version for m in load_migrations()]
    client = node.client(database)
    engines = dict(
        client.execute("SELECT name, engine FROM system.tables WHERE database = %(db)s", {"db": database})
    )
    client.disconnect()
    assert engines["plate_reads"] == "ReplacingMergeTree" and "plate_reads_local" not in engines
    assert migrate(node.settings(database)) == []
    with pytest.raises(MigrationError, match=f"database {database} was migrated for one server"):
        migrate(node.settings(database), cluster=clickhouse_cluster.name)
