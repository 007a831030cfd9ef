"""``lienthong kafka up|down|status`` - manage the project's local Kafka broker."""

from __future__ import annotations

import json
import shlex
import time
from pathlib import Path

import click

from lienthong.agencies import default_registry

from .broker import KafkaBrokerError, KafkaSettings, down, status, up
from .provision import ProvisionError, credentials, provision, provision_remote
from .topics import EXCHANGE_PRINCIPAL


def _settings(ctx: click.Context) -> KafkaSettings:
    opts = ctx.obj or {}
    kwargs = {k: v for k, v in opts.items() if v is not None}
    return KafkaSettings(**kwargs)


def read_agencies_file(path: Path) -> list[str]:
    """Agency codes from a file: a JSON list, or one code per line (blank lines and # comments skipped)."""
    text = Path(path).read_text(encoding="utf-8")
    if text.lstrip().startswith("["):
        codes = json.loads(text)
        if not isinstance(codes, list) or not all(isinstance(c, str) for c in codes):
            raise click.BadParameter(
                "JSON agencies file must be a list of strings", param_hint="--agencies-file"
            )
        return [c.strip() for c in codes if c.strip()]
    codes = []
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            codes.append(line)
    return codes


def format_report(st) -> str:
    lines = [f"Kafka broker: {'READY' if st.ready else 'NOT READY'}"]
    if not st.ready and st.error:
        lines.append(f"  reason:      {st.error}")
    lines += [
        f"  bootstrap:   {st.bootstrap}",
        f"  protocol:    {st.security.split('/')[0]}",
        f"  SASL:        {st.security.split('/')[-1]}",
        f"  authorizer:  {st.authorizer or '-'}",
        f"  cluster id:  {st.cluster_id or '-'}",
        f"  version:     {st.broker_version or '-'}",
        f"  process:     {'pid ' + str(st.pid) if st.running else 'not running'}",
        f"  state dir:   {st.state_dir}",
        f"  topics ({len(st.topics)}):",
    ]
    lines += [f"    {t}" for t in st.topics] or ["    (none)"]
    return "\n".join(lines)


@click.group("kafka")
@click.option(
    "--state-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Broker state dir (default: $LIENTHONG_KAFKA_STATE_DIR or <repo>/var/kafka).",
)
@click.option("--port", type=int, default=None, help="Client port (default: $LIENTHONG_KAFKA_PORT or 19092).")
@click.pass_context
def kafka(ctx: click.Context, state_dir: Path | None, port: int | None) -> None:
    """The local Apache Kafka broker (KRaft, SASL/SCRAM-SHA-512, StandardAuthorizer)."""
    ctx.obj = {"state_dir": state_dir, "port": port}


@kafka.command("up")
@click.option(
    "--partitions",
    type=click.IntRange(min=1),
    default=2,
    show_default=True,
    help="Partitions of the co-partitioned exchange topics.",
)
@click.option(
    "--agencies-file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="Agency codes to provision (JSON list or one per line; default: the Kafka-door agencies).",
)
@click.option(
    "--timeout", type=float, default=120.0, show_default=True, help="Seconds to wait for readiness."
)
@click.option("--json", "as_json", is_flag=True, help="Print the status as JSON.")
@click.pass_context
def up_cmd(
    ctx: click.Context, partitions: int, agencies_file: Path | None, timeout: float, as_json: bool
) -> None:
    """Start the broker (idempotent), then provision topics, users and ACLs."""
    settings = _settings(ctx)
    agencies = read_agencies_file(agencies_file) if agencies_file else default_registry().kafka_agencies()
    started = time.monotonic()
    try:
        up(settings, timeout=timeout)
        result = provision(settings, agencies, partitions=partitions)
    except (KafkaBrokerError, ProvisionError, ValueError) as exc:
        click.echo(f"error: {exc}", err=True)
        ctx.exit(1)
    st = status(settings)
    if as_json:
        click.echo(json.dumps({"status": st.to_dict(), "provisioned": result.to_dict()}, indent=2))
    else:
        click.echo(format_report(st))
        click.echo(
            f"  provisioned: {len(result.agencies)} agencies, {len(result.created_topics)} new topics, "
            f"{len(result.created_users)} new users, {result.created_acls} new ACLs "
            f"({time.monotonic() - started:.1f}s)"
        )
        click.echo(f"  secrets:     {settings.secrets_file}")
    ctx.exit(0 if st.ready else 1)


@kafka.command("provision")
@click.option(
    "--partitions", type=click.IntRange(min=1), default=None, help="Default: $LIENTHONG_PARTITIONS or 2."
)
@click.pass_context
def provision_cmd(ctx: click.Context, partitions: int | None) -> None:
    """Topics and ACLs for the exchange and every registered agency.

    With LIENTHONG_KAFKA_BOOTSTRAP set (and LIENTHONG_KAFKA_USERNAME/PASSWORD naming an admin), this
    provisions that broker; otherwise the local broker under --state-dir, users included.
    """
    from lienthong.config import Settings

    settings = Settings()
    parts = partitions or settings.partitions
    codes = default_registry().kafka_agencies()
    try:
        if settings.kafka_bootstrap:
            result = provision_remote(settings.kafka_client_config(), codes, parts)
        else:
            result = provision(_settings(ctx), codes, partitions=parts)
    except (KafkaBrokerError, ProvisionError, ValueError) as exc:
        click.echo(f"error: {exc}", err=True)
        ctx.exit(1)
    click.echo(json.dumps(result.to_dict(), indent=2))


@kafka.command("env")
@click.pass_context
def env_cmd(ctx: click.Context) -> None:
    """Print shell exports pointing the workers at this broker: eval "$(lienthong kafka env)"."""
    settings = _settings(ctx)
    user, password = credentials(settings, EXCHANGE_PRINCIPAL)
    for name, value in (
        ("LIENTHONG_KAFKA_BOOTSTRAP", settings.bootstrap),
        ("LIENTHONG_KAFKA_USERNAME", user),
        ("LIENTHONG_KAFKA_PASSWORD", password),
    ):
        click.echo(f"export {name}={shlex.quote(value)}")


@kafka.command("down")
@click.option("--timeout", type=float, default=60.0, show_default=True, help="Seconds before SIGKILL.")
@click.pass_context
def down_cmd(ctx: click.Context, timeout: float) -> None:
    """Stop the broker (SIGTERM, then SIGKILL after --timeout)."""
    settings = _settings(ctx)
    stopped = down(settings, timeout=timeout)
    click.echo("Kafka broker stopped" if stopped else "Kafka broker was not running")


@kafka.command("status")
@click.option("--json", "as_json", is_flag=True, help="Print the status as JSON.")
@click.pass_context
def status_cmd(ctx: click.Context, as_json: bool) -> None:
    """Report on the broker; exit code 0 if ready (SCRAM DescribeCluster succeeded), 1 if not."""
    st = status(_settings(ctx))
    click.echo(json.dumps(st.to_dict(), indent=2) if as_json else format_report(st))
    ctx.exit(0 if st.ready else 1)


if __name__ == "__main__":  # pragma: no cover
    kafka()
