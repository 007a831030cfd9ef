"""The shells around the core: the embedded runtime (SQLite log) and the Kafka runtime (faust)."""
