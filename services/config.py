"""Settings from the environment. No broker configured means the embedded runtime (ARCHITECTURE rule 2)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent


def _env(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name)
    return value if value not in (None, "") else default


@dataclass(frozen=True)
class Settings:
    data_dir: Path = field(default_factory=lambda: Path(_env("LIENTHONG_DATA_DIR", str(REPO_ROOT / "var"))))
    kafka_bootstrap: str | None = field(default_factory=lambda: _env("LIENTHONG_KAFKA_BOOTSTRAP"))
    kafka_username: str | None = field(default_factory=lambda: _env("LIENTHONG_KAFKA_USERNAME"))
    kafka_password: str | None = field(default_factory=lambda: _env("LIENTHONG_KAFKA_PASSWORD"))
    kafka_mechanism: str = field(default_factory=lambda: _env("LIENTHONG_KAFKA_MECHANISM", "SCRAM-SHA-512"))
    kafka_security_protocol: str = field(
        default_factory=lambda: _env("LIENTHONG_KAFKA_SECURITY_PROTOCOL", "SASL_PLAINTEXT")
    )
    partitions: int = field(default_factory=lambda: int(_env("LIENTHONG_PARTITIONS", "2")))
    database_url_override: str | None = field(default_factory=lambda: _env("LIENTHONG_DATABASE_URL"))
    eventlog_url_override: str | None = field(default_factory=lambda: _env("LIENTHONG_EVENTLOG_URL"))
    keystore_url_override: str | None = field(default_factory=lambda: _env("LIENTHONG_KEYSTORE_URL"))
    master_key: str | None = field(default_factory=lambda: _env("LIENTHONG_MASTER_KEY"))
    agency_keys: str | None = field(default_factory=lambda: _env("LIENTHONG_AGENCY_KEYS"))
    http_host: str = field(default_factory=lambda: _env("LIENTHONG_HTTP_HOST", "127.0.0.1"))
    http_port: int = field(default_factory=lambda: int(_env("LIENTHONG_HTTP_PORT", "8000")))

    @property
    def embedded(self) -> bool:
        return self.kafka_bootstrap is None

    def _sqlite(self, name: str) -> str:
        return f"sqlite:///{self.data_dir / name}"

    @property
    def database_url(self) -> str:
        """Read models (and, in the Kafka runtime, the submission outcomes the gateway answers from)."""
        return self.database_url_override or self._sqlite("readmodels.db")

    @property
    def eventlog_url(self) -> str:
        """The embedded runtime's event log."""
        return self.eventlog_url_override or self._sqlite("eventlog.db")

    @property
    def keystore_url(self) -> str:
        """Per-person data keys and agency credentials live apart from the log (ARCHITECTURE rule 5)."""
        return self.keystore_url_override or self._sqlite("keystore.db")

    @property
    def master_key_file(self) -> Path:
        return self.data_dir / "master.key"

    def kafka_client_config(self) -> dict[str, object]:
        config: dict[str, object] = {"bootstrap_servers": self.kafka_bootstrap}
        if self.kafka_username:
            config.update(
                security_protocol=self.kafka_security_protocol,
                sasl_mechanism=self.kafka_mechanism,
                sasl_plain_username=self.kafka_username,
                sasl_plain_password=self.kafka_password,
            )
        return config
