"""warmcity-pipeline: public-safety sensor events from Kafka, validated, enriched, alerted on, stored.

Subpackages: ``contracts`` (versioned event models), ``stages`` (pure processing steps), ``sink`` (batched,
idempotent ClickHouse writes), ``storage`` (migrations), ``city`` (the territory and device registry),
``simulate`` (device simulators), ``stack`` (the local Kafka + ClickHouse), ``worker`` (Faust wiring) and
``cli`` (the ``warmcity`` command).
"""

__version__ = "0.1.0"
