"""k8s/: both overlays render with kustomize; every core object validates against the Kubernetes JSON
schema (kubernetes-validate, offline, strict); the custom resources carry what their operators require
(Strimzi Kafka, KafkaNodePool, KafkaTopic; Altinity ClickHouseInstallation and Keeper; KEDA ScaledObject;
Prometheus operator ServiceMonitor, PodMonitor, PrometheusRule); and everything agrees with the pipeline:
its topics, settings, CLI, metrics port, alert rules."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import kubernetes_validate  # type: ignore[import-untyped]
import pytest
import yaml

from pipeline.contracts.reference import DeviceFamily
from pipeline.settings import ClickHouseSettings, KafkaSettings
from pipeline.topics import Topics
from pipeline.worker.health import LIVENESS_PATH, READINESS_PATH
from tests.deploy import render
from tests.deploy.helpers import K8S, RULES_FILE, load_yaml_documents, parse_cli, run_tool, settings_env_vars

OVERLAYS = ("dev", "prod")
#: Kubernetes versions the core objects must be valid for (schemas bundled by kubernetes-validate).
KUBERNETES_VERSIONS = ("1.30.0", "1.34.0")
CORE_GROUPS = {"", "apps", "batch", "policy", "networking.k8s.io"}
WORKLOADS = ("Deployment", "Job")
STRIMZI = "kafka.strimzi.io/v1beta2"

Objects = list[dict[str, Any]]


@pytest.fixture(scope="module", params=OVERLAYS)
def overlay(request: pytest.FixtureRequest) -> tuple[str, Objects]:
    name: str = request.param
    result = run_tool("kustomize", "build", str(K8S / "overlays" / name))
    assert result.returncode == 0, result.stderr
    return name, load_yaml_documents(result.stdout)


@pytest.fixture(scope="module")
def base() -> Objects:
    result = run_tool("kustomize", "build", str(K8S / "base"))
    assert result.returncode == 0, result.stderr
    return load_yaml_documents(result.stdout)


def of_kind(objects: Objects, kind: str) -> Objects:
    return [o for o in objects if o["kind"] == kind]


def one(objects: Objects, kind: str, name: str | None = None) -> dict[str, Any]:
    found = [o for o in of_kind(objects, kind) if name is None or o["metadata"]["name"] == name]
    assert len(found) == 1, f"{len(found)} {kind} named {name}"
    return found[0]


def config(objects: Objects) -> dict[str, str]:
    data: dict[str, str] = one(objects, "ConfigMap", "warmcity-config")["data"]
    return data


def pod_templates(objects: Objects) -> Iterator[tuple[str, dict[str, Any]]]:
    for o in objects:
        if o["kind"] in WORKLOADS:
            yield f"{o['kind']}/{o['metadata']['name']}", o["spec"]["template"]


def containers(template: dict[str, Any]) -> list[dict[str, Any]]:
    spec = template["spec"]
    return [*spec.get("initContainers", []), *spec["containers"]]


def selects(selector: dict[str, Any], labels: dict[str, str]) -> bool:
    assert set(selector) <= {"matchLabels"}, "only matchLabels selectors are used"
    return all(labels.get(k) == v for k, v in selector.get("matchLabels", {}).items())


# --- rendering and schema ------------------------------------------------------------------------------


def test_overlays_render_into_their_namespace(overlay: tuple[str, Objects]) -> None:
    name, objects = overlay
    namespace = {"dev": "warmcity-dev", "prod": "warmcity"}[name]
    assert one(objects, "Namespace")["metadata"]["name"] == namespace
    for o in objects:
        if o["kind"] != "Namespace":
            assert o["metadata"].get("namespace") == namespace, f"{o['kind']}/{o['metadata']['name']}"


def test_core_objects_validate_against_the_kubernetes_schema(overlay: tuple[str, Objects]) -> None:
    core = [o for o in overlay[1] if o["apiVersion"].rpartition("/")[0] in CORE_GROUPS]
    assert {o["kind"] for o in core} >= {"Deployment", "Job", "Service", "ConfigMap", "NetworkPolicy"}
    errors = []
    for version in KUBERNETES_VERSIONS:
        for o in core:
            try:
                kubernetes_validate.validate(o, version, strict=True)
            except kubernetes_validate.ValidationError as error:
                errors.append(f"{version} {o['kind']}/{o['metadata']['name']}: {error.message}")
    assert errors == []


def test_the_schema_check_rejects_a_broken_object(base: Objects) -> None:
    deployment = one(base, "Deployment", "warmcity-worker")
    broken = {**deployment, "spec": {**deployment["spec"], "replicas": "three"}}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(broken, KUBERNETES_VERSIONS[-1], strict=True)
    unknown_field = {**deployment, "spec": {**deployment["spec"], "replica": 3}}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(unknown_field, KUBERNETES_VERSIONS[-1], strict=True)


def test_generated_files_are_up_to_date() -> None:
    assert render.TOPICS_FILE.read_text(encoding="utf-8") == render.render_topics(), (
        "k8s/base/kafka/topics.yaml is stale: run .venv/bin/python -m tests.deploy.render"
    )
    assert render.RULES_FILE.read_text(encoding="utf-8") == render.render_rules(), (
        "k8s/base/monitoring/prometheus-rules.yaml is stale: run .venv/bin/python -m tests.deploy.render"
    )


# --- Strimzi -------------------------------------------------------------------------------------------


def test_kafka_runs_in_kraft_mode_with_node_pools(overlay: tuple[str, Objects]) -> None:
    objects = overlay[1]
    kafka = one(objects, "Kafka")
    assert kafka["apiVersion"] == STRIMZI
    assert kafka["metadata"]["annotations"] == {
        "strimzi.io/node-pools": "enabled",
        "strimzi.io/kraft": "enabled",
    }
    spec = kafka["spec"]
    assert "zookeeper" not in spec
    assert "replicas" not in spec["kafka"] and "storage" not in spec["kafka"], "node pools own them"
    for listener in spec["kafka"]["listeners"]:
        assert {"name", "port", "type", "tls"} <= set(listener)
    assert "topicOperator" in spec["entityOperator"], "KafkaTopics need the topic operator"
    assert spec["kafka"]["config"]["auto.create.topics.enable"] is False
    bootstrap = config(objects)["WARMCITY_KAFKA_BOOTSTRAP_SERVERS"]
    plain = next(listener for listener in spec["kafka"]["listeners"] if not listener["tls"])
    assert bootstrap.split(".")[0] == f"{kafka['metadata']['name']}-kafka-bootstrap"
    assert bootstrap.endswith(f".svc:{plain['port']}")

    pools = of_kind(objects, "KafkaNodePool")
    roles: dict[str, int] = {"controller": 0, "broker": 0}
    for pool in pools:
        assert pool["apiVersion"] == STRIMZI
        assert pool["metadata"]["labels"]["strimzi.io/cluster"] == kafka["metadata"]["name"]
        assert pool["spec"]["replicas"] >= 1 and set(pool["spec"]["roles"]) <= set(roles)
        assert pool["spec"]["storage"]["type"] in {"jbod", "persistent-claim", "ephemeral"}
        for role in pool["spec"]["roles"]:
            roles[role] += pool["spec"]["replicas"]
    assert roles["controller"] % 2 == 1, "a KRaft quorum needs an odd number of controllers"
    assert roles["broker"] >= 1
    config_ = spec["kafka"]["config"]
    assert config_["default.replication.factor"] <= roles["broker"]
    assert config_["min.insync.replicas"] < config_["default.replication.factor"] or roles["broker"] == 1


def test_a_kafka_topic_for_every_topic_of_the_pipeline(overlay: tuple[str, Objects]) -> None:
    objects = overlay[1]
    settings = config(objects)
    kafka = KafkaSettings(
        topic_prefix=settings["WARMCITY_KAFKA_TOPIC_PREFIX"],
        partitions=int(settings["WARMCITY_KAFKA_PARTITIONS"]),
        reference_partitions=int(settings["WARMCITY_KAFKA_REFERENCE_PARTITIONS"]),
    )
    expected = {
        spec.name: spec for spec in Topics.from_settings(kafka).specs(settings["WARMCITY_PIPELINE_APP_ID"])
    }
    topics = {t["spec"]["topicName"]: t for t in of_kind(objects, "KafkaTopic")}
    assert set(topics) == set(expected)
    brokers = sum(
        p["spec"]["replicas"] for p in of_kind(objects, "KafkaNodePool") if "broker" in p["spec"]["roles"]
    )
    kafka_name = one(objects, "Kafka")["metadata"]["name"]
    for name, topic in topics.items():
        spec = expected[name]
        assert topic["apiVersion"] == STRIMZI
        assert topic["metadata"]["labels"]["strimzi.io/cluster"] == kafka_name
        assert topic["spec"]["partitions"] == spec.partitions, name
        assert topic["spec"]["config"] == spec.config(), name
        assert 1 <= topic["spec"]["replicas"] <= brokers, name
        assert (
            topic["spec"]["replicas"]
            == one(objects, "Kafka")["spec"]["kafka"]["config"]["default.replication.factor"]
        )
        assert topic["metadata"]["name"] == render.resource_name(name)
    reference = {Topics.from_settings(kafka).reference(n) for n in ("devices", "watchlist.plates")}
    assert all(topics[n]["spec"]["config"]["cleanup.policy"] == "compact" for n in reference)


# --- ClickHouse ----------------------------------------------------------------------------------------


def test_clickhouse_installation(overlay: tuple[str, Objects]) -> None:
    objects = overlay[1]
    chi = one(objects, "ClickHouseInstallation")
    assert chi["apiVersion"] == "clickhouse.altinity.com/v1"
    spec = chi["spec"]
    (cluster,) = spec["configuration"]["clusters"]
    layout = cluster["layout"]
    assert layout["shardsCount"] >= 1 and layout["replicasCount"] >= 1
    if layout["replicasCount"] > 1:
        nodes = spec["configuration"]["zookeeper"]["nodes"]
        keeper = one(objects, "ClickHouseKeeperInstallation")
        assert keeper["apiVersion"] == "clickhouse-keeper.altinity.com/v1"
        assert {n["host"] for n in nodes} == {f"keeper-{keeper['metadata']['name']}"}
        (keeper_cluster,) = keeper["spec"]["configuration"]["clusters"]
        assert keeper_cluster["layout"]["replicasCount"] % 2 == 1
    templates = spec["templates"]
    assert spec["defaults"]["templates"]["podTemplate"] in {t["name"] for t in templates["podTemplates"]}
    claims = {t["name"] for t in templates["volumeClaimTemplates"]}
    assert spec["defaults"]["templates"]["dataVolumeClaimTemplate"] in claims
    # The operator names its Service clickhouse-<installation>: what the pipeline connects to.
    assert config(objects)["WARMCITY_CLICKHOUSE_HOST"] == f"clickhouse-{chi['metadata']['name']}"
    assert config(objects)["WARMCITY_CLICKHOUSE_PORT"] == "9000"


def test_the_migrate_job_uses_cluster_mode_exactly_where_the_installation_is_a_cluster(
    overlay: tuple[str, Objects],
) -> None:
    name, objects = overlay
    chi = one(objects, "ClickHouseInstallation")
    (cluster,) = chi["spec"]["configuration"]["clusters"]
    layout = cluster["layout"]
    job = one(objects, "Job", "warmcity-migrate")
    (container,) = job["spec"]["template"]["spec"]["containers"]
    context = parse_cli(container["args"])
    assert context.command.name == "migrate"
    profiles = chi["spec"]["configuration"]["profiles"]
    writer = ClickHouseSettings().writer_user
    if layout["shardsCount"] * layout["replicasCount"] > 1:
        # Replicated tables need the Keeper; Distributed tables the cluster the operator names in
        # remote_servers: the installation's own.
        assert container["args"] == ["migrate", "--cluster", cluster["name"]], name
        assert chi["spec"]["configuration"]["zookeeper"]["nodes"]
        assert profiles[f"{writer}/insert_distributed_sync"] == 1
    else:
        assert container["args"] == ["migrate"], name
        assert "WARMCITY_CLICKHOUSE_CLUSTER" not in config(objects)
        assert f"{writer}/insert_distributed_sync" not in profiles
    assert name != "prod" or "--cluster" in container["args"]


def test_clickhouse_users_are_the_pipelines_with_passwords_from_secrets(
    overlay: tuple[str, Objects], base: Objects
) -> None:
    objects = overlay[1]
    defaults = ClickHouseSettings()
    configuration = one(objects, "ClickHouseInstallation")["spec"]["configuration"]
    users = configuration["users"]
    names = {key.split("/")[0] for key in users}
    settings = config(objects)
    assert names == {"warmcity_admin", settings["WARMCITY_CLICKHOUSE_WRITER_USER"], defaults.analyst_user}
    assert settings["WARMCITY_CLICKHOUSE_WRITER_USER"] == defaults.writer_user
    secrets = secret_keys(objects, base)
    for user in names:
        secret, key = users[f"{user}/k8s_secret_password"].split("/")
        assert key in secrets[secret], f"{user}: {secret}/{key}"
    assert users[f"{defaults.writer_user}/profile"] == defaults.writer_user
    profiles = configuration["profiles"]
    assert profiles[f"{defaults.writer_user}/allow_ddl"] == 0
    assert profiles[f"{defaults.analyst_user}/readonly"] == 1
    assert profiles[f"{defaults.analyst_user}/max_memory_usage"] == defaults.analyst_max_memory_usage
    assert profiles[f"{defaults.analyst_user}/max_execution_time"] == defaults.analyst_max_execution_time_s
    assert profiles[f"{defaults.analyst_user}/max_rows_to_read"] == defaults.analyst_max_rows_to_read


def secret_keys(objects: Objects, base: Objects) -> dict[str, set[str]]:
    """Secret name -> keys. prod renders no Secret (they are created beforehand): it must reference
    the base's names and keys, which docs/deploy.md lists."""
    rendered = of_kind(objects, "Secret") or of_kind(base, "Secret")
    return {s["metadata"]["name"]: set(s.get("stringData", {})) | set(s.get("data", {})) for s in rendered}


def test_secrets_are_placeholders_in_base_throwaway_in_dev_and_absent_in_prod(
    overlay: tuple[str, Objects], base: Objects
) -> None:
    name, objects = overlay
    assert {v for s in of_kind(base, "Secret") for v in s["stringData"].values()} == {"REPLACE-ME"}
    if name == "prod":
        assert of_kind(objects, "Secret") == []
    else:
        values = [v for s in of_kind(objects, "Secret") for v in s["stringData"].values()]
        assert values and all(v.startswith("dev-only-") for v in values)
        hmac = one(objects, "Secret", "warmcity-privacy")["stringData"]["hmac-key"]
        assert len(hmac.encode()) >= 16


# --- workloads -----------------------------------------------------------------------------------------


def test_workloads_run_valid_commands_with_known_settings(
    overlay: tuple[str, Objects], base: Objects
) -> None:
    objects = overlay[1]
    known = settings_env_vars()
    secrets = secret_keys(objects, base)
    maps = {m["metadata"]["name"]: set(m["data"]) for m in of_kind(objects, "ConfigMap")}
    assert set(config(objects)) <= known
    templates = dict(pod_templates(objects))
    assert set(templates) == {"Deployment/warmcity-worker", "Job/warmcity-migrate", "Job/warmcity-simulator"}
    for where, template in templates.items():
        for container in containers(template):
            assert container["image"].startswith("warmcity-pipeline:"), where
            parse_cli(container["args"])
            for env in container.get("env", []):
                assert env["name"] in known, f"{where}: {env['name']}"
                ref = env.get("valueFrom", {}).get("secretKeyRef")
                if ref:
                    assert ref["key"] in secrets[ref["name"]], f"{where}: {ref}"
            for source in container.get("envFrom", []):
                assert source["configMapRef"]["name"] in maps, where


def test_the_worker_gets_what_it_needs_and_no_admin_password(overlay: tuple[str, Objects]) -> None:
    worker = one(overlay[1], "Deployment", "warmcity-worker")
    (container,) = worker["spec"]["template"]["spec"]["containers"]
    assert container["args"] == ["worker"]
    env = {e["name"] for e in container["env"]}
    assert {"WARMCITY_PRIVACY_HMAC_KEY", "WARMCITY_CLICKHOUSE_WRITER_PASSWORD"} <= env
    assert "WARMCITY_CLICKHOUSE_PASSWORD" not in env


def test_pods_run_unprivileged_with_resources(overlay: tuple[str, Objects]) -> None:
    for where, template in pod_templates(overlay[1]):
        pod = template["spec"]
        assert pod["securityContext"]["runAsNonRoot"] is True and pod["securityContext"]["runAsUser"] != 0
        assert pod["automountServiceAccountToken"] is False, where
        mounts_needed = {"/var/lib/warmcity", "/tmp"}
        for container in containers(template):
            security = container["securityContext"]
            assert (
                security["readOnlyRootFilesystem"] is True and security["allowPrivilegeEscalation"] is False
            )
            assert security["capabilities"]["drop"] == ["ALL"], where
            resources = container["resources"]
            assert "cpu" in resources["requests"] and "memory" in resources["requests"], where
            assert "memory" in resources["limits"], where
            assert mounts_needed <= {m["mountPath"] for m in container["volumeMounts"]}, where


def test_worker_probes_and_metrics_port(overlay: tuple[str, Objects]) -> None:
    objects = overlay[1]
    port = int(config(objects)["WARMCITY_PIPELINE_METRICS_PORT"])
    (container,) = one(objects, "Deployment", "warmcity-worker")["spec"]["template"]["spec"]["containers"]
    ports = {p["name"]: p["containerPort"] for p in container["ports"]}
    assert ports == {"metrics": port}
    paths = {"livenessProbe": LIVENESS_PATH, "readinessProbe": READINESS_PATH}  # what the worker serves
    for probe, path in paths.items():
        assert container[probe]["httpGet"] == {"path": path, "port": "metrics"}, probe
    service = one(objects, "Service", "warmcity-worker")
    assert service["spec"]["publishNotReadyAddresses"] is True  # a worker not ready is still scraped


def test_pdb_and_service_select_the_workers(overlay: tuple[str, Objects]) -> None:
    objects = overlay[1]
    labels = one(objects, "Deployment", "warmcity-worker")["spec"]["template"]["metadata"]["labels"]
    assert selects(one(objects, "PodDisruptionBudget")["spec"]["selector"], labels)
    service = one(objects, "Service", "warmcity-worker")
    assert selects({"matchLabels": service["spec"]["selector"]}, labels)
    for template in dict(pod_templates(objects)).values():
        if template["metadata"]["labels"] != labels:
            assert not selects({"matchLabels": service["spec"]["selector"]}, template["metadata"]["labels"])


def test_the_simulator_sends_for_the_city_it_publishes(overlay: tuple[str, Objects]) -> None:
    name, objects = overlay
    job = one(objects, "Job", "warmcity-simulator")
    (registry,) = job["spec"]["template"]["spec"]["initContainers"]
    (simulator,) = job["spec"]["template"]["spec"]["containers"]
    published = parse_cli(registry["args"]).params["profile"]
    sent = parse_cli(simulator["args"]).params
    assert sent["profile"] == published
    assert job["spec"].get("suspend", False) is (name == "prod")
    if name == "prod":
        assert published == "city" and sent["rate"] >= 14_000


# --- KEDA, network, monitoring -------------------------------------------------------------------------


def test_keda_scales_workers_on_lag_up_to_the_partitions(overlay: tuple[str, Objects]) -> None:
    objects = overlay[1]
    scaled = one(objects, "ScaledObject")
    assert scaled["apiVersion"] == "keda.sh/v1alpha1"
    spec = scaled["spec"]
    target = spec["scaleTargetRef"]
    assert one(objects, target["kind"], target["name"])["apiVersion"] == target["apiVersion"]
    settings = config(objects)
    partitions = int(settings["WARMCITY_KAFKA_PARTITIONS"])
    assert spec["maxReplicaCount"] == partitions
    assert 1 <= spec["minReplicaCount"] <= spec["maxReplicaCount"]
    topics = Topics(settings["WARMCITY_KAFKA_TOPIC_PREFIX"], partitions, 1)
    group = f"{settings['WARMCITY_KAFKA_TOPIC_PREFIX']}-{settings['WARMCITY_PIPELINE_APP_ID']}"
    partitions_of = {t["spec"]["topicName"]: t["spec"]["partitions"] for t in of_kind(objects, "KafkaTopic")}
    triggers = spec["triggers"]
    assert {t["metadata"]["topic"] for t in triggers} == {topics.raw(f) for f in DeviceFamily}
    for trigger in triggers:
        meta = trigger["metadata"]
        assert trigger["type"] == "kafka"
        assert meta["bootstrapServers"] == settings["WARMCITY_KAFKA_BOOTSTRAP_SERVERS"]
        assert f".{scaled['metadata']['namespace']}.svc:" in meta["bootstrapServers"], "KEDA needs the FQDN"
        assert meta["consumerGroup"] == group
        assert int(meta["lagThreshold"]) > 0
        assert meta["allowIdleConsumers"] == "false"
        assert partitions_of[meta["topic"]] == partitions


def reachable(objects: Objects, port: int) -> set[str]:
    """Pod templates of the pipeline that the ClickHouse NetworkPolicy lets in on ``port``."""
    policy = one(objects, "NetworkPolicy", "clickhouse-ingress")
    chi = one(objects, "ClickHouseInstallation")["metadata"]["name"]
    assert selects(policy["spec"]["podSelector"], {"clickhouse.altinity.com/chi": chi})
    assert policy["spec"]["policyTypes"] == ["Ingress"]
    allowed: set[str] = set()
    for rule in policy["spec"]["ingress"]:
        if port not in {p["port"] for p in rule["ports"]}:
            continue
        for peer in rule["from"]:
            for where, template in pod_templates(objects):
                same_namespace = "namespaceSelector" not in peer
                if same_namespace and selects(peer["podSelector"], template["metadata"]["labels"]):
                    allowed.add(where)
    return allowed


def test_only_workers_and_migrate_reach_clickhouses_write_port(overlay: tuple[str, Objects]) -> None:
    objects = overlay[1]
    assert reachable(objects, 9000) == {"Deployment/warmcity-worker", "Job/warmcity-migrate"}
    assert reachable(objects, 8123) == set()
    assert reachable(objects, 9009) == set()


def test_an_analysts_pod_reaches_clickhouse_natively_and_over_http(overlay: tuple[str, Objects]) -> None:
    # warmcity query speaks the native protocol (clickhouse-driver); Grafana's datasource speaks HTTP.
    policy = one(overlay[1], "NetworkPolicy", "clickhouse-ingress")
    reader = {"warmcity.io/clickhouse-reader": "true"}
    ports = {
        p["port"]
        for rule in policy["spec"]["ingress"]
        for peer in rule["from"]
        if "namespaceSelector" not in peer and selects(peer["podSelector"], reader)
        for p in rule["ports"]
    }
    assert ports == {9000, 8123}


def test_service_monitor_scrapes_the_workers_metrics(overlay: tuple[str, Objects]) -> None:
    objects = overlay[1]
    monitor = one(objects, "ServiceMonitor")
    assert monitor["apiVersion"] == "monitoring.coreos.com/v1"
    services = [
        s
        for s in of_kind(objects, "Service")
        if selects(monitor["spec"]["selector"], s["metadata"]["labels"])
    ]
    assert [s["metadata"]["name"] for s in services] == ["warmcity-worker"]  # the job name the rules use
    port_names = {p["name"] for p in services[0]["spec"]["ports"]}
    for endpoint in monitor["spec"]["endpoints"]:
        assert endpoint["port"] in port_names and endpoint["path"] == "/metrics"


def test_pod_monitor_scrapes_the_simulator(overlay: tuple[str, Objects]) -> None:
    objects = overlay[1]
    monitor = one(objects, "PodMonitor")
    template = one(objects, "Job", "warmcity-simulator")["spec"]["template"]
    assert selects(monitor["spec"]["selector"], template["metadata"]["labels"])
    (simulator,) = template["spec"]["containers"]
    ports = {p["name"]: p["containerPort"] for p in simulator.get("ports", [])}
    for endpoint in monitor["spec"]["podMetricsEndpoints"]:
        assert endpoint["port"] in ports
        assert {"targetLabel": "job", "replacement": "warmcity-simulator"} in endpoint["relabelings"]
    # The simulator serves /metrics only when told; on the port the PodMonitor scrapes.
    assert parse_cli(simulator["args"]).params["metrics_port"] == ports["metrics"]


def test_prometheus_rule_is_the_rules_file(overlay: tuple[str, Objects]) -> None:
    rule = one(overlay[1], "PrometheusRule")
    assert rule["spec"]["groups"] == yaml.safe_load(RULES_FILE.read_text(encoding="utf-8"))["groups"]
