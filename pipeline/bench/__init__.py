"""``warmcity bench pipeline``: the pipeline measured against its ceiling and its peers, on one workload.

One run fills one set of raw topics with the simulator (the ``city`` profile's mix; the registry and a plate
watch list on the reference topics), then runs each phase on those same contents, each with its own topic
prefix, consumer group and ClickHouse database:

- ``a``  the ceiling: a plain confluent-kafka loop that reads and decodes (``ceiling``);
- ``a2`` a hand-written confluent-kafka loop doing our work with our stages (``handwritten``);
- ``b``  the naive baseline: a minimal Faust app, one event at a time (``naive_app``);
- ``c``  our pipeline end to end: real ``warmcity worker`` processes (``endtoend``);
- ``f``  ``c`` with two worker processes.

Pure pieces (phase names, rates, ratios, the table, the JSON document) have no Kafka, ClickHouse or Faust
import and are unit-tested; ``runner`` wires the phases together and cleans up after them.
"""
