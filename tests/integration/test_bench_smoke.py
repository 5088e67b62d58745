"""``warmcity bench pipeline`` end to end with a tiny workload: every phase runs on the real test stack,
processes every event, the JSON has its shape, and the run leaves no topic, group or database behind.
Speed is not asserted: this machine is shared, and a test checks behaviour."""

from __future__ import annotations

from pathlib import Path

import orjson
from confluent_kafka.admin import AdminClient

from pipeline.bench.phases import PHASES
from pipeline.bench.runner import BenchOptions, run_benchmark
from pipeline.settings import Settings
from pipeline.storage.client import clickhouse_client

EVENTS = 400


def test_every_phase_processes_every_event(stack_settings: Settings, tmp_path: Path) -> None:
    output = tmp_path / "bench" / "pipeline.json"
    options = BenchOptions(
        events=EVENTS, phases=tuple(PHASES), seconds=1.0, warmup_s=0.0, profile="small", watchlist=50,
        inject_every=40, stall_s=120.0, output=output,
    )  # fmt: skip
    lines: list[str] = []
    run = run_benchmark(stack_settings, options, lines.append, command="pytest")
    log = "\n".join(lines)

    document = orjson.loads(output.read_bytes())
    assert document["complete"] is True, log
    assert document["benchmark"] == "pipeline" and document["command"] == "pytest"
    assert document["workload"]["events"] == EVENTS
    assert sum(document["workload"]["families"].values()) == EVENTS
    assert document["machine"]["cpus"] and document["machine"]["clickhouse"]
    assert list(document["phases"]) == list(PHASES)
    for name, phase in document["phases"].items():
        assert phase["events"] == phase["processed"] == EVENTS, (name, phase["error"], log)
        assert phase["complete"] and phase["error"] is None
        assert phase["events_per_s"] > 0 and phase["samples"][-1][1] >= EVENTS
    for name in ("a2", "b", "c", "f"):
        outputs = document["phases"][name]["outputs"]
        assert (
            outputs["unique.plate_reads"] + outputs["unique.device_events"] + outputs["dead_letters"]
            == EVENTS
        )
    assert document["phases"]["a2"]["outputs"]["unique.alerts"] >= 1  # the injected watched plates
    for name in ("c", "f"):
        assert document["phases"][name]["sustained"]["asked_s"] == 1.0
        assert document["phases"][name]["peak_rss_mb"] > 0
    assert set(document["ratios"]) == {"c/a", "c/a2", "c/b", "f/c"}
    assert all(ratio["value"] is not None for ratio in document["ratios"].values())
    assert [r.phase for r in run.results] == list(PHASES)

    tag = document["run"]
    admin = AdminClient({"bootstrap.servers": stack_settings.kafka.bootstrap_servers})
    assert not [t for t in admin.list_topics(timeout=10).topics if t.startswith(f"bench-{tag}")]
    groups = admin.list_consumer_groups(request_timeout=10).result().valid
    assert not [g.group_id for g in groups if g.group_id.startswith(f"bench-{tag}")]
    databases = clickhouse_client(stack_settings.clickhouse, database="").execute("SHOW DATABASES")
    assert not [row[0] for row in databases if str(row[0]).startswith(f"bench_{tag.replace('-', '_')}")]
