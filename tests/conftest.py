"""Shared test setup. Kafka and PostgreSQL come from the project's own infra (tests/fixtures)."""

from __future__ import annotations

import os

import pytest

pytest_plugins = [
    "tests.fixtures.kafka",
    "tests.fixtures.postgres",
    "tests.fixtures.exchange",
    "tests.fixtures.kafka_exchange",
]

MUST_RUN_IN_CI = ("kafka", "postgres", "browser")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """Under CI=true a Kafka or PostgreSQL test that skips is a failure: skips never count as passes."""
    outcome = yield
    report = outcome.get_result()
    if (
        os.environ.get("CI") == "true"
        and report.skipped
        and any(item.get_closest_marker(m) for m in MUST_RUN_IN_CI)
    ):
        report.outcome = "failed"
        report.longrepr = (
            f"{item.nodeid} skipped under CI=true, where Kafka, PostgreSQL and browser tests must run"
        )
