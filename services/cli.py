"""The `lienthong` command."""

from __future__ import annotations

import json
import logging
import sys

import click

from lienthong.bench.cli import bench
from lienthong.config import Settings
from lienthong.generator.cli import generate as generate_command
from lienthong.infra.kafka.cli import kafka
from lienthong.infra.postgres.cli import postgres
from lienthong.portal.cli import officer
from lienthong.reports.cli import report
from lienthong.runtime import heap


@click.group()
@click.option("-v", "--verbose", is_flag=True, help="Log at INFO level.")
def main(verbose: bool) -> None:
    """Liên thông: sàn trao đổi liên ngành về nạn nhân mua bán người / the inter-agency exchange."""
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )


main.add_command(kafka)
main.add_command(postgres)
main.add_command(officer)
main.add_command(report)
main.add_command(bench)
main.add_command(generate_command)


def _serve(settings: Settings, host: str | None, port: int | None) -> None:
    import uvicorn

    from lienthong.gateway.app import create_app
    from lienthong.wiring import build_services

    app = create_app(build_services(settings))
    heap.settle()
    uvicorn.run(app, host=host or settings.http_host, port=port or settings.http_port, log_level="warning")


@main.command()
@click.option("--host", default=None)
@click.option("--port", type=int, default=None)
def serve(host: str | None, port: int | None) -> None:
    """HTTP API. With no broker configured: decider and projections in this process over SQLite."""
    settings = Settings()
    click.echo(
        f"lienthong: {'embedded (SQLite log)' if settings.embedded else 'Kafka'} runtime, "
        f"http://{host or settings.http_host}:{port or settings.http_port}"
    )
    _serve(settings, host, port)


@main.command()
@click.option("--host", default=None)
@click.option("--port", type=int, default=None)
def gateway(host: str | None, port: int | None) -> None:
    """The HTTP gateway (Kafka runtime: submissions go to the submissions topic)."""
    _serve(Settings(), host, port)


def _broker_settings() -> Settings:
    settings = Settings()
    if settings.embedded:
        raise click.UsageError("LIENTHONG_KAFKA_BOOTSTRAP is not set: this worker needs a broker")
    return settings


def _run_faust(build) -> None:
    import faust

    app = build(_broker_settings())
    worker = faust.Worker(app, loglevel="WARNING", quiet=True)
    worker.execute_from_commandline()


@main.command()
def decider() -> None:
    """The decider worker: submissions -> events | rejections."""
    from lienthong.runtime.kafka import decider_loop

    decider_loop.run(_broker_settings())


@main.command()
def projector() -> None:
    """The projector worker: events and rejections -> SQL read models."""
    from lienthong.runtime.kafka import projector as module

    module.run(_broker_settings())


@main.command()
def relay() -> None:
    """The inbox relay (faust): agencies' own Kafka inboxes -> submissions, emitter stamped from the inbox."""
    from lienthong.runtime.kafka import relay as module

    _run_faust(module.build)


@main.group()
def agency() -> None:
    """Agencies and their API keys."""


@agency.command("list")
def agency_list() -> None:
    from lienthong.agencies import default_registry

    for a in default_registry():
        click.echo(f"{a.code:18} {a.agency_type:18} {a.level} {a.jurisdiction:6} {a.name_vi}")


@agency.command("issue-key")
@click.argument("code")
def agency_issue_key(code: str) -> None:
    """Issue an API key for agency CODE. The key is shown once; only its hash is kept."""
    from lienthong.agencies import default_registry
    from lienthong.wiring import build_credentials

    default_registry().get(code)
    click.echo(build_credentials(Settings()).issue(code))


@main.command()
@click.argument("file", type=click.File("r", encoding="utf-8"))
@click.option("--url", default=None, help="Gateway URL (default: http://LIENTHONG_HTTP_HOST:PORT)")
@click.option("--key", "api_key", envvar="LIENTHONG_API_KEY", required=True, help="Agency API key")
def submit(file, url: str | None, api_key: str) -> None:
    """Submit JSON-lines submissions through the gateway, printing each outcome."""
    from lienthong.client import Client

    settings = Settings()
    rejected = 0
    with Client(url or f"http://{settings.http_host}:{settings.http_port}", api_key) as client:
        for line in file:
            if line.strip():
                outcome = client.submit(json.loads(line))
                rejected += outcome["status"] == "rejected"
                click.echo(json.dumps(outcome, ensure_ascii=False))
    sys.exit(1 if rejected else 0)


@main.command()
@click.option("--cases", default=12, show_default=True, help="How many synthetic cases to load")
@click.option("--seed", default=7, show_default=True)
@click.option("--serve/--no-serve", "keep_serving", default=True, help="Keep serving after loading")
@click.option("--port", type=int, default=None)
def demo(cases: int, seed: int, keep_serving: bool, port: int | None) -> None:
    """Load synthetic multi-agency cases through the public API, show the views, keep serving."""
    from lienthong.demo import run_demo

    run_demo(Settings(), cases=cases, seed=seed, keep_serving=keep_serving, port=port)


@main.command()
def verify() -> None:
    """Verify the embedded log's hash chains and encodings (an auditor's first check)."""
    from lienthong.audit import verify_log
    from lienthong.runtime.eventlog import EventLog
    from lienthong.store import make_engine

    report = verify_log(EventLog(make_engine(Settings().eventlog_url)).scan("events"))
    click.echo(json.dumps(report.as_dict(), ensure_ascii=False, indent=1))
    sys.exit(0 if report.ok else 1)


@main.command("erase-person")
@click.argument("person_ref")
def erase_person(person_ref: str) -> None:
    """Destroy a person's data key: their personal data becomes unreadable everywhere."""
    from lienthong.wiring import build_keystore

    done = build_keystore(Settings()).erase(person_ref)
    click.echo("erased" if done else "no live key for this person")


if __name__ == "__main__":  # pragma: no cover
    main(sys.argv[1:])
