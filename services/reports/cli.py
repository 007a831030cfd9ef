"""`lienthong report`: compute a report from the configured read-model database and write it out.

Mount it on the main group with `main.add_command(report)` (services/cli.py).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from lienthong.reports.definitions import KINDS
from lienthong.reports.export import FORMATS


@click.command("report")
@click.option("--kind", type=click.Choice(sorted(KINDS)), help="Which report (see --list).")
@click.option("--period", help="2026-Q1 … 2026-Q4, 2026-H1 / 2026-H2, or 2026-FY.")
@click.option(
    "--unit", help="Commune or province code (today's, or an old 'L:' code), or VN. Default: the issuer's."
)
@click.option(
    "--group-by",
    type=click.Choice(["today", "time"]),
    default="today",
    show_default=True,
    help="Group by today's administrative units or by the units of the time.",
)
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="json", show_default=True)
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="Output file (default: stdout).")
@click.option(
    "--suppress", type=click.IntRange(2, 1000), default=None, help="Publish: hide cells below K (e.g. 11)."
)
@click.option("--as", "issuer_code", help="Issuing agency code; it must be allowed to produce this report.")
@click.option("--list", "list_kinds", is_flag=True, help="List the report kinds and exit.")
def report(
    kind: str | None,
    period: str | None,
    unit: str | None,
    group_by: str,
    fmt: str,
    out: Path | None,
    suppress: int | None,
    issuer_code: str | None,
    list_kinds: bool,
) -> None:
    """Thống kê, báo cáo không trùng lặp / statistical reports without double counting."""
    from sqlalchemy import inspect

    from lienthong.agencies import default_registry
    from lienthong.config import Settings
    from lienthong.reports import ReportError, compute_report, file_name, make_request, may_produce, render
    from lienthong.store import make_engine

    if list_kinds:
        click.echo(json.dumps([k.as_dict() for k in KINDS.values()], ensure_ascii=False, indent=1))
        return
    if not kind or not period:
        raise click.UsageError("--kind and --period are required (or --list)")
    registry = default_registry()
    issuer = registry.find(issuer_code) if issuer_code else None
    if issuer_code and issuer is None:
        raise click.BadParameter(f"unknown agency {issuer_code!r}", param_hint="--as")
    unit = unit or (issuer.jurisdiction if issuer else None)
    if not unit:
        raise click.UsageError("--unit is required unless --as names the issuing agency")
    try:
        request = make_request(kind, period, unit, group_by, suppress)
    except ReportError as err:
        raise click.UsageError(f"{err.message_vi} / {err.message_en}") from None
    if issuer is not None and not may_produce(issuer, request):
        raise click.UsageError(f"{issuer.code} may not produce the {kind} report for {unit}")
    engine = make_engine(Settings().database_url)
    if not inspect(engine).has_table("report_persons"):
        raise click.ClickException(
            "the read models have no reporting view yet: start the projector (or `serve`) so it builds them"
        )
    result = compute_report(engine, request, issuer=issuer, registry=registry)
    data = render(result, fmt)
    if out is None and fmt == "xlsx":
        out = Path(file_name(result, fmt))
    if out is None:
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
    else:
        out.write_bytes(data)
    positions = ", ".join(f"{k}={v}" for k, v in result["log_position"].items())
    click.echo(
        f"{result['kind']} {result['period']['code']} {result['unit']['code']}: log position {positions}; "
        f"sha256 {result['content_hash']}" + (f"; written to {out}" if out else ""),
        err=True,
    )
