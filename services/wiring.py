"""Builds the services a process needs from Settings, for either runtime."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from sqlalchemy import Engine

from lienthong.agencies import Registry, default_registry
from lienthong.config import Settings
from lienthong.domain import Submission
from lienthong.gateway.credentials import Credentials
from lienthong.privacy.keystore import KeyStore, load_master_key
from lienthong.projections.runner import Projector
from lienthong.rules import default_rules
from lienthong.store import make_engine


class Backend(Protocol):
    kind: str

    def submit(self, sub: Submission) -> object: ...

    async def accept(self, sub: Submission) -> object:
        """``submit`` for the HTTP door, awaited without holding a thread while the backend works."""
        ...


@dataclass
class Services:
    settings: Settings
    registry: Registry
    credentials: Credentials
    keystore: KeyStore
    readmodels: Engine
    backend: Backend


def build_keystore(settings: Settings) -> KeyStore:
    engine = make_engine(settings.keystore_url, durable=True)
    return KeyStore(engine, load_master_key(settings.master_key, settings.master_key_file))


def build_credentials(settings: Settings) -> Credentials:
    return Credentials(make_engine(settings.keystore_url, durable=True))


def build_services(settings: Settings) -> Services:
    default_rules()  # rule files are validated at start: a broken row stops the process here, named
    registry = default_registry()
    credentials, keystore = build_credentials(settings), build_keystore(settings)
    for pair in filter(None, (settings.agency_keys or "").split(",")):
        code, _, key = pair.partition("=")
        registry.get(code.strip())
        credentials.register(code.strip(), key.strip())
    readmodels = make_engine(settings.database_url)
    if settings.embedded:
        from lienthong.runtime.embedded import EmbeddedExchange
        from lienthong.runtime.eventlog import EventLog

        backend = EmbeddedExchange(
            EventLog(make_engine(settings.eventlog_url, durable=True)), Projector(readmodels), registry
        )
    else:
        from lienthong.runtime.kafka.gateway_backend import KafkaBackend

        Projector(readmodels)  # creates the tables the gateway answers from
        backend = KafkaBackend(settings)
    return Services(settings, registry, credentials, keystore, readmodels, backend)
