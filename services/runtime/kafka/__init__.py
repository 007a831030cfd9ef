"""The Kafka runtime: kafka-python producers (idempotent) and faust-streaming workers."""
