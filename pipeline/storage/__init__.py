"""ClickHouse storage: the ordered migrations in schemas/clickhouse and the client factory."""
