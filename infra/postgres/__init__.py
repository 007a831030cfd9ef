"""The project's own PostgreSQL server: one cluster in a state directory, reached on 127.0.0.1."""

from lienthong.infra.postgres.server import (
    PgBinaries,
    PgStatus,
    PostgresError,
    PostgresNotInstalled,
    PostgresSettings,
    conninfo,
    create_database,
    down,
    drop_database,
    ensure_installed,
    find_binaries,
    status,
    up,
    url,
)

__all__ = [
    "PgBinaries",
    "PgStatus",
    "PostgresError",
    "PostgresNotInstalled",
    "PostgresSettings",
    "conninfo",
    "create_database",
    "down",
    "drop_database",
    "ensure_installed",
    "find_binaries",
    "status",
    "up",
    "url",
]
