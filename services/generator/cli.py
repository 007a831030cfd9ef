"""`lienthong generate`: write a synthetic history as JSON lines the gateway accepts.

Mount it on the main group with `main.add_command(generate)` (services/cli.py).
"""

from __future__ import annotations

import json
import time
from datetime import datetime

import click

from lienthong.generator import generate as generate_history
from lienthong.generator import public


@click.command("generate")
@click.option("--events", type=click.IntRange(min=0), required=True, help="How many submissions to write")
@click.option("--seed", type=int, default=7, show_default=True, help="Same seed, same history")
@click.option(
    "--out",
    type=click.Path(dir_okay=False, allow_dash=True, writable=True),
    default="-",
    show_default=True,
    help="File to write, or - for standard output",
)
@click.option(
    "--keep-expectations",
    is_flag=True,
    help='Keep the private keys "_expect" (planned outcome) and "_truth" (real persons) in each submission',
)
@click.option("--start", type=click.DateTime(["%Y-%m-%d"]), default="2023-01-01", show_default=True)
@click.option("--end", type=click.DateTime(["%Y-%m-%d"]), default="2026-10-31", show_default=True)
@click.option(
    "--province",
    "provinces",
    multiple=True,
    help="Only this province of today (two-digit code); repeat for several. Default: all 34",
)
def generate(
    events: int,
    seed: int,
    out: str,
    keep_expectations: bool,
    start: datetime,
    end: datetime,
    provinces: tuple[str, ...],
) -> None:
    """Generate a synthetic multi-agency history (2023-2026) as JSON lines {"agency", "submission"}.

    Each line is one submission in the order the agencies would send it; whoever replays the file signs
    each one with the key of its agency. The count and the time taken go to standard error.
    """
    started = time.perf_counter()
    written = refused = 0
    dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
    try:
        history = generate_history(
            events, seed, start=start.date(), end=end.date(), provinces=list(provinces) or None
        )
    except ValueError as err:
        raise click.BadParameter(str(err)) from err
    with click.open_file(out, "w", encoding="utf-8") as fh:
        for agency, body in history:
            if body.get("_expect", "accepted") != "accepted":
                refused += 1
            submission = body if keep_expectations else public(body)
            fh.write(dumps({"agency": agency, "submission": submission}))
            fh.write("\n")
            written += 1
    elapsed = time.perf_counter() - started
    rate = written / elapsed if elapsed > 0 else 0.0
    click.echo(
        f"{written} submissions ({refused} planned to be refused) in {elapsed:.1f} s "
        f"({rate:,.0f}/s), seed {seed}",
        err=True,
    )
