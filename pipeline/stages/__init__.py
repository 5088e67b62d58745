"""Pure processing stages: plain functions on contracts, no Faust or Kafka imports.

``validate`` (bytes -> PlateRead), ``enrich`` (registry place, watch-list flag), ``detect`` (alerts),
``deadletter`` (the record for a rejected message), ``rows`` (ClickHouse row mapping) and
``plate_batch`` (the four first chained over one batch of messages).
"""
