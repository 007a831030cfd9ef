"""``lienthong postgres up|down|status|url``: the project's own PostgreSQL server."""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path

import click

from lienthong.infra.postgres.server import PgStatus, PostgresError, PostgresSettings, down, status, up, url


def _settings(ctx: click.Context) -> PostgresSettings:
    opts = ctx.obj if isinstance(ctx.obj, dict) else {}
    kwargs: dict[str, object] = {}
    if opts.get("state_dir"):
        kwargs["state_dir"] = Path(opts["state_dir"])
    if opts.get("port"):
        kwargs["port"] = int(opts["port"])
    try:
        return PostgresSettings(**kwargs)  # type: ignore[arg-type]
    except PostgresError as exc:
        raise click.ClickException(str(exc)) from exc


def _print(result: PgStatus, as_json: bool, show_error: bool = True) -> None:
    if as_json:
        click.echo(json.dumps(result.to_dict(), indent=2, sort_keys=True))
        return
    state = "ready" if result.ready else ("running, not ready" if result.running else "stopped")
    click.echo(f"postgres: {state} on {result.host}:{result.port} (database {result.database})")
    if result.version:
        click.echo(f"  version:  {result.version}")
    if result.pid:
        click.echo(f"  pid:      {result.pid}")
    click.echo(f"  data:     {result.data_dir}")
    click.echo(f"  socket:   {result.socket_dir}")
    for name, seconds in result.timings.items():
        click.echo(f"  {name}: {seconds:.2f}")
    if result.error and not result.ready and (show_error or result.running):
        click.echo(f"  error:    {result.error}")


@click.group("postgres")
@click.option(
    "--state-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Cluster state directory (default: $LIENTHONG_PG_STATE_DIR or <repo>/var/postgres).",
)
@click.option(
    "--port", type=int, default=None, help="TCP port on 127.0.0.1 (default: $LIENTHONG_PG_PORT or 55432)."
)
@click.pass_context
def postgres(ctx: click.Context, state_dir: Path | None, port: int | None) -> None:
    """The project's own PostgreSQL server (a private cluster, not Debian's system one)."""
    ctx.obj = {"state_dir": state_dir, "port": port}
    if not logging.getLogger().handlers:
        logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stderr)


@postgres.command("up")
@click.option("--json", "as_json", is_flag=True, help="Print the status as JSON.")
@click.pass_context
def up_cmd(ctx: click.Context, as_json: bool) -> None:
    """Install if needed, initialise on first use, start, create role and database."""
    try:
        result = up(_settings(ctx))
    except PostgresError as exc:
        raise click.ClickException(str(exc)) from exc
    _print(result, as_json)


@postgres.command("down")
@click.option("--json", "as_json", is_flag=True, help="Print the status as JSON.")
@click.pass_context
def down_cmd(ctx: click.Context, as_json: bool) -> None:
    """Stop the server (fast shutdown); the data stays."""
    try:
        result = down(_settings(ctx))
    except PostgresError as exc:
        raise click.ClickException(str(exc)) from exc
    _print(result, as_json, show_error=False)


@postgres.command("status")
@click.option("--json", "as_json", is_flag=True, help="Print the status as JSON.")
@click.pass_context
def status_cmd(ctx: click.Context, as_json: bool) -> None:
    """Connect and run SELECT 1. Exit 1 when the server is not ready."""
    result = status(_settings(ctx))
    _print(result, as_json)
    if not result.ready:
        ctx.exit(1)


@postgres.command("url")
@click.option("--database", default=None, help="Database name (default: the main database).")
@click.pass_context
def url_cmd(ctx: click.Context, database: str | None) -> None:
    """Print the SQLAlchemy URL (contains the password)."""
    try:
        click.echo(url(_settings(ctx), database))
    except (PostgresError, ValueError) as exc:
        raise click.ClickException(str(exc)) from exc
