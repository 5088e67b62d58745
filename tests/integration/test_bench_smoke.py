"""``warmcity bench pipeline`` end to end with a tiny workload: every phase runs on the real test stack,
processes every event, the JSON has its shape, and the run leaves no topic, group or database behind.
(d) sends live for a second at a low rate and must time the alerts of its injected reads; (e) loads a
small watch list and must report the worker's memory. Speed is not asserted: this machine is shared, and
a test checks behaviour."""

from __future__ import annotations

from pathlib import Path

import orjson
from confluent_kafka.admin import AdminClient

from pipeline.bench.phases import PHASES
from pipeline.bench.runner import BenchOptions, run_benchmark
from pipeline.settings import Settings
from pipeline.storage.client import clickhouse_client

EVENTS = 400
THROUGHPUT = ("a", "a2", "b", "c", "f")  # the phases that process the run's workload


def test_every_phase_processes_every_event(stack_settings: Settings, tmp_path: Path) -> None:
    output = tmp_path / "bench" / "pipeline.json"
    options = BenchOptions(
        events=EVENTS, phases=tuple(PHASES), seconds=1.0, warmup_s=0.0, profile="small", watchlist=50,
        inject_every=40, stall_s=120.0, output=output, rate=200.0, latency_inject_every=10,
        latency_subjects=100, latency_tail_s=60.0, memory_watchlist=2_000, memory_events=EVENTS,
    )  # fmt: skip
    lines: list[str] = []
    run = run_benchmark(stack_settings, options, lines.append, command="pytest")
    log = "\n".join(lines)

    document = orjson.loads(output.read_bytes())
    assert all(document["phases"][name]["complete"] for name in (*THROUGHPUT, "e")), log
    assert document["benchmark"] == "pipeline" and document["command"] == "pytest"
    assert document["workload"]["events"] == EVENTS
    assert sum(document["workload"]["families"].values()) == EVENTS
    assert document["machine"]["cpus"] and document["machine"]["clickhouse"]
    assert list(document["phases"]) == list(PHASES)
    for name in (*THROUGHPUT, "e"):
        phase = document["phases"][name]
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
    # (d): it sent, read alerts and matched the injected reads to them.
    d = document["phases"]["d"]
    assert d["error"] is None, (d["error"], log)
    m = d["measures"]
    assert m["offered_per_s"] == 200.0 and m["sent"] == d["processed"] > 0 and m["achieved_per_s"] > 0
    assert isinstance(m["kept_offered_rate"], bool) and m["injected"] > 0
    assert m["latency"]["read"]["count"] > 0 and m["latency"]["read"]["count"] == len(
        m["latency"]["latencies_ms"]
    )
    assert m["p50_ms"] is not None and m["p99_ms"] >= m["p95_ms"] >= m["p50_ms"] > 0
    assert m["latency"]["kafka_timestamp"]["count"] > 0
    assert d["outputs"]["alerts_matched"] > 0
    # (e): the worker loaded the watch list, processed the stretch and reported its memory.
    e = document["phases"]["e"]["measures"]
    assert e["watchlist_entries"] == 2_000 and e["events"] == EVENTS
    assert e["peak_rss_mb"] >= e["at_end"]["rss_mb"] > 0 and e["after_load"]["rss_mb"] > 0
    assert document["phases"]["e"]["peak_rss_mb"] == e["peak_rss_mb"] and e["timeline"]
    assert set(document["targets"]) == {"d.p99_ms", "e.peak_rss_mb"}
    assert all(target["value"] is not None for target in document["targets"].values())
    assert run.plot is not None and run.plot == output.with_suffix(".png")
    assert run.plot.read_bytes().startswith(b"\x89PNG")
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
