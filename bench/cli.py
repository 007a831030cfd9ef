"""`lienthong bench`: run the benchmark suite and write its JSON, Markdown and PNGs.

Mounted by ``lienthong.cli`` (``main.add_command(bench)``); also runnable as
``python -m lienthong.bench.cli``.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import sys
import time
import traceback
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click

from lienthong.bench.config import SCENARIOS, BenchConfig, preset

DEFAULT_OUT = Path(__file__).resolve().parent / "results"
log = logging.getLogger("lienthong.bench")


def _parse_sizes(values: tuple[str, ...], cfg: BenchConfig) -> BenchConfig:
    """``--size field=value`` overrides (``value`` may be a comma list for tuple fields)."""
    fields = {f.name: f for f in dataclasses.fields(BenchConfig)}
    changes: dict[str, Any] = {}
    for item in values:
        name, sep, raw = item.partition("=")
        name = name.strip().replace("-", "_")
        if not sep or name not in fields or name in ("mode", "scenarios", "kafka_attach", "postgres_url"):
            raise click.BadParameter(f"{item!r}: expected FIELD=VALUE with FIELD one of the size fields")
        current = getattr(cfg, name)
        if isinstance(current, tuple):
            changes[name] = tuple(int(float(x)) for x in raw.split(","))
        elif isinstance(current, bool):
            changes[name] = raw.lower() in ("1", "true", "yes")
        elif isinstance(current, int):
            changes[name] = int(float(raw))
        else:
            changes[name] = float(raw)
    return dataclasses.replace(cfg, **changes)


def run_bench(cfg: BenchConfig, out_dir: Path, *, keep: bool = False, command: str = "") -> dict[str, Any]:
    from lienthong.bench import embedded, growth, latency, machine, rebuild, report, write_path
    from lienthong.bench.harness import Harness

    modules = {
        "write": write_path,
        "rebuild": rebuild,
        "latency": latency,
        "embedded": embedded,
        "growth": growth,
    }
    started_at = datetime.now(UTC)
    t0 = time.monotonic()
    doc: dict[str, Any] = {
        "schema": "lienthong-bench/1",
        "run": {
            "mode": cfg.mode,
            "started_at": started_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "command": command,
            "config": cfg.public(),
        },
        "machine": machine.describe(),
        "scenarios": {},
        "timings_s": {},
        "errors": [],
    }
    with Harness(keep=keep) as harness:
        doc["run"]["workdir"] = str(harness.workdir)
        for name in cfg.scenarios:
            click.echo(f"[bench] {name} …", err=True)
            s0 = time.monotonic()
            load0 = machine.load_average()
            first_worker = len(harness.workers)
            try:
                result = modules[name].run(harness, cfg)
            except KeyboardInterrupt:
                raise
            except Exception as exc:
                log.exception("scenario %s failed", name)
                result = {"errors": [f"{type(exc).__name__}: {exc}"], "traceback": traceback.format_exc()}
            _report_restarts(result, harness.workers[first_worker:])
            doc["scenarios"][name] = result
            doc["timings_s"][name] = round(time.monotonic() - s0, 1)
            doc.setdefault("load_average", {})[name] = {"start": load0, "end": machine.load_average()}
            doc["errors"].extend(f"{name}: {e}" for e in result.get("errors", []))
            click.echo(f"[bench] {name} done in {doc['timings_s'][name]} s", err=True)
        if harness.broker is not None:
            from lienthong.infra.kafka import broker_rss_bytes

            doc["machine"]["broker_rss_at_end"] = broker_rss_bytes(harness.broker.settings)
    doc["run"]["duration_s"] = round(time.monotonic() - t0, 1)
    doc["run"]["finished_at"] = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    doc["machine"]["load_average_at_end"] = machine.load_average()
    doc["summary"] = report.summarise(doc["scenarios"], cfg)

    out_dir.mkdir(parents=True, exist_ok=True)
    stem = f"{started_at.strftime('%Y%m%dT%H%M%SZ')}-{cfg.mode}-{doc['machine']['git']['short'] or 'nogit'}"
    try:
        made = report.plots(doc, out_dir, stem)
    except Exception as exc:  # a plot must never lose the figures
        log.exception("plots failed")
        doc["errors"].append(f"plots: {type(exc).__name__}: {exc}")
        made = {}
    doc["outputs"] = {"json": f"{stem}.json", "markdown": f"{stem}.md", "plots": made}
    report.write_json(out_dir / f"{stem}.json", doc)
    (out_dir / f"{stem}.md").write_text(report.markdown(report.strip_raw(doc), made))
    return doc


def _report_restarts(result: dict[str, Any], workers: list[Any]) -> None:
    """A worker restarted after a stall is an error of the run: its figures include the stall."""
    restarted = {w.name: w.restarts for w in workers if w.restarts}
    if restarted:
        result["worker_restarts"] = restarted
        result.setdefault("errors", []).extend(
            f"{name} stalled and was restarted {len(verdicts)} time(s); see worker_restarts"
            for name, verdicts in restarted.items()
        )


@click.command("bench")
@click.option("--quick", is_flag=True, help="Small sizes, a few minutes (default: the issue's full sizes).")
@click.option("--tiny", is_flag=True, help="Smallest sizes, only proves the harness (smoke test).")
@click.option("--scale", type=float, default=None, help="Multiply every size of the mode by this factor.")
@click.option(
    "--size",
    "sizes",
    multiple=True,
    metavar="FIELD=VALUE",
    help="Override one size, e.g. --size write_submissions=50000 --size growth_sizes=1e4,1e5.",
)
@click.option("--only", default=None, help=f"Comma list of scenarios among {', '.join(SCENARIOS)}.")
@click.option("--out", "out_dir", type=click.Path(path_type=Path), default=DEFAULT_OUT, show_default=True)
@click.option("--seed", type=int, default=7, show_default=True)
@click.option("--no-profile", is_flag=True, help="Skip py-spy / pyinstrument.")
@click.option(
    "--kafka-state-dir",
    type=click.Path(path_type=Path),
    default=None,
    help="Use the running project broker of this state dir instead of a private one.",
)
@click.option("--kafka-port", type=int, default=None, help="Its port (with --kafka-state-dir).")
@click.option("--postgres-url", default=None, help="Make the PostgreSQL databases on this server instead.")
@click.option("--keep-workdir", is_flag=True, help="Keep the temporary directory (logs, raw profiles).")
@click.option("-v", "--verbose", is_flag=True)
def bench(
    quick: bool,
    tiny: bool,
    scale: float | None,
    sizes: tuple[str, ...],
    only: str | None,
    out_dir: Path,
    seed: int,
    no_profile: bool,
    kafka_state_dir: Path | None,
    kafka_port: int | None,
    postgres_url: str | None,
    keep_workdir: bool,
    verbose: bool,
) -> None:
    """Benchmarks: throughput, latency and growth, each beside a ceiling measured in the same run."""
    if verbose:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("kafka").setLevel(logging.CRITICAL)  # a stopped broker is not news at the end
    cfg = preset("tiny" if tiny else "quick" if quick else "full")
    if scale is not None:
        cfg = cfg.scaled(scale)
    cfg = _parse_sizes(sizes, cfg)
    chosen = SCENARIOS
    if only:
        chosen = tuple(x.strip() for x in only.split(",") if x.strip())
        unknown = set(chosen) - set(SCENARIOS)
        if unknown:
            raise click.BadParameter(f"unknown scenarios {sorted(unknown)}; choose among {SCENARIOS}")
    attach: dict[str, Any] = {}
    if kafka_state_dir is not None:
        attach = {"state_dir": kafka_state_dir, "port": kafka_port}
    cfg = dataclasses.replace(
        cfg,
        seed=seed,
        scenarios=chosen,
        profile=cfg.profile and not no_profile,
        kafka_attach=attach,
        postgres_url=postgres_url,
    )
    command = " ".join(["lienthong bench", *(a for a in sys.argv[1:] if a != "bench")])
    doc = run_bench(cfg, out_dir, keep=keep_workdir, command=command)
    click.echo(json.dumps({k: v for k, v in doc["summary"].items() if k != "goals"}, indent=1))
    for key, goal in doc["summary"]["goals"].items():
        state = {True: "met", False: "MISSED", None: "not measured"}[goal["met"]]
        click.echo(f"goal {key}: {state} (value {goal['value']}, target {goal['target']})")
    outputs = doc["outputs"]
    click.echo(f"wrote {out_dir / outputs['json']} and {out_dir / outputs['markdown']}")
    if doc["errors"]:
        click.echo(f"{len(doc['errors'])} errors recorded (see the report)", err=True)


if __name__ == "__main__":  # pragma: no cover
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    bench(sys.argv[1:])
