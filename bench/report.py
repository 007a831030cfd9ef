"""The run's outputs: ``<stem>.json``, ``<stem>.md`` and ``<stem>-*.png`` under the results directory.

The JSON's top-level ``summary`` holds the headline ratios and a ``goals`` object (met / missed and by
how much). Raw samples (latency lists, time series) feed the plots and are left out of the JSON.
"""

from __future__ import annotations

import json
import math
import statistics
from pathlib import Path
from typing import Any

from lienthong.bench.stats import finite

GOALS = {
    "write_ratio_vs_kafka_python": (">=", 0.5, "write path >= 50% of the kafka-python ceiling"),
    "rebuild_ratio_vs_decode_sqlite": (">=", 0.5, "rebuild on SQLite >= 50% of the decode ceiling"),
    "rebuild_events_per_s_postgres": (">=", 25_000, "rebuild on PostgreSQL >= 25,000 events/s"),
    "e2e_p99_ms_at_200": ("<=", 250, "e2e p99 <= 250 ms at 200 submissions/s on Kafka, no errors"),
    "per_event_cost_growth_1e4_to_1e6": ("<=", 1.25, "time per event flat (<= 1.25x) smallest -> largest"),
    "memory_per_event_growth": ("<=", 1.25, "memory added per event flat (<= 1.25x) across sizes"),
}


def _get(d: Any, *path: Any) -> Any:
    for key in path:
        if not isinstance(d, dict):
            return None
        d = d.get(str(key)) if not isinstance(key, str) else d.get(key)
    return d


def _num(x: Any) -> float | None:
    return float(x) if finite(x) else None


def paired_ratios(run: dict[str, Any]) -> list[float]:
    """Each exchange repetition over the pipe repetition measured right after it (same minutes)."""
    samples = run.get("samples_per_s") or {}
    pairs = zip(samples.get("exchange") or [], samples.get("kafka_python") or [], strict=False)
    return [e / p for e, p in pairs if e and p]


def _median(values: list[float]) -> float | None:
    return statistics.median(values) if values else None


def summarise(scenarios: dict[str, Any], cfg: Any) -> dict[str, Any]:
    s: dict[str, Any] = {}
    w = scenarios.get("write") or {}
    runs = w.get("runs") or {}
    first = runs.get(f"{min(cfg.write_partitions)}p") or {}
    s["write_ratio_vs_kafka_python"] = _num(first.get("ratio_vs_kafka_python"))
    s["write_ratio_vs_producer_performance"] = _num(first.get("ratio_vs_producer_performance"))
    s["write_submissions_per_s"] = _num(_get(first, "exchange", "per_s"))
    s["write_kafka_python_per_s"] = _num(_get(first, "ceiling_kafka_python", "per_s"))
    s["write_producer_performance_per_s"] = _num(_get(first, "ceiling_producer_performance", "records_per_s"))
    s["write_domain_floor_us"] = _num(_get(w, "domain_floor", "us_per_submission"))
    s["write_max_ratio_vs_kafka_python_1p"] = _num(_get(w, "bound_1p", "max_ratio_vs_kafka_python"))
    s["write_ratio_paired_median"] = _median(paired_ratios(first))
    for label, r in runs.items():
        s[f"write_submissions_per_s_{label}"] = _num(_get(r, "exchange", "per_s"))
        s[f"write_ratio_vs_kafka_python_{label}"] = _num(r.get("ratio_vs_kafka_python"))
        s[f"write_ratio_paired_median_{label}"] = _median(paired_ratios(r))

    rb = scenarios.get("rebuild") or {}
    top = str(max(cfg.rebuild_sizes))
    s["rebuild_size"] = int(top)
    s["rebuild_ratio_vs_decode_sqlite"] = _num(_get(rb, "sqlite", top, "ratio_vs_decode"))
    s["rebuild_events_per_s_sqlite"] = _num(_get(rb, "sqlite", top, "events_per_s"))
    s["rebuild_events_per_s_postgres"] = _num(_get(rb, "postgres", top, "events_per_s"))
    s["rebuild_ratio_vs_decode_postgres"] = _num(_get(rb, "postgres", top, "ratio_vs_decode"))
    s["decode_ceiling_events_per_s"] = _num(_get(rb, "ceiling_decode", top, "events_per_s"))
    # What storage and view logic allow at the least (bench.rebuild_floors): a goal above these is out of
    # reach of projector tuning, and the report says so with the numbers.
    s["rebuild_logic_floor_us_per_fact"] = _num(_get(rb, "floors", "logic", "us_per_fact"))
    for store in ("sqlite", "postgres"):
        f = _get(rb, "floors", store) or {}
        s[f"rebuild_write_floor_us_per_fact_{store}"] = _num(_get(f, "write", "us_per_fact"))
        s[f"rebuild_max_ratio_vs_decode_storage_bound_{store}"] = _num(
            f.get("max_ratio_vs_decode_storage_bound")
        )
        s[f"rebuild_max_events_per_s_with_logic_{store}"] = _num(f.get("max_events_per_s_with_logic"))
        reach = f.get("reach") or {}
        s[f"rebuild_max_events_per_s_all_cores_{store}"] = _num(reach.get("max_events_per_s_all_cores"))
        s[f"rebuild_logic_budget_us_per_fact_{store}"] = _num(reach.get("logic_budget_us_per_fact"))
        s[f"rebuild_goal_reachable_{store}"] = reach.get("reachable")

    lat = scenarios.get("latency") or {}
    k200 = _get(lat, "kafka", "rates", "200") or {}
    s["e2e_p99_ms_at_200"] = _num(_get(k200, "accept_to_visible_ms", "p99"))
    s["e2e_p50_ms_at_200"] = _num(_get(k200, "accept_to_visible_ms", "p50"))
    s["e2e_errors_at_200"] = (
        (k200.get("error_count") or 0) + (k200.get("outcome_mismatches") or 0) if k200 else None
    )
    # An exchange that cannot answer the offered 200/s has not met a goal stated "at 200/s": the few
    # answers it gave before the load generator stopped say nothing about the rest.
    s["e2e_overloaded_at_200"] = bool(k200.get("overloaded")) if k200 else None
    for runtime in ("kafka", "embedded"):
        for rate in cfg.latency_rates:
            r = _get(lat, runtime, "rates", rate) or {}
            s[f"e2e_p99_ms_{runtime}_{rate}"] = _num(_get(r, "accept_to_visible_ms", "p99"))
            s[f"send_to_visible_p99_ms_{runtime}_{rate}"] = _num(_get(r, "send_to_visible_ms", "p99"))

    em = scenarios.get("embedded") or {}
    s["embedded_submissions_per_s"] = _num(_get(em, "http", "per_s"))
    s["embedded_ratio_vs_in_process"] = _num(em.get("ratio_vs_in_process"))

    g = _get(scenarios.get("growth") or {}, "growth") or {}
    s["growth_sizes"] = [g.get("from"), g.get("to")] if g else None
    s["per_event_cost_growth_1e4_to_1e6"] = _num(g.get("projector_time_per_event"))
    s["decider_rebuild_cost_growth"] = _num(g.get("decider_rebuild_time_per_event"))
    mem = [_num(g.get(f"{w}_memory_per_event")) for w in ("projector", "decider")]
    mem = [m for m in mem if m is not None]
    s["memory_per_event_growth"] = max(mem) if mem else None
    s["goals"] = goals(s)
    return s


# Each store's rebuild goal: the floors can prove it out of reach on the machine (bench.rebuild_floors.reach).
REBUILD_GOAL_OF_STORE = {
    "sqlite": "rebuild_ratio_vs_decode_sqlite",
    "postgres": "rebuild_events_per_s_postgres",
}
_STORE_OF_REBUILD_GOAL = {goal: store for store, goal in REBUILD_GOAL_OF_STORE.items()}


def goals(s: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, (op, target, text) in GOALS.items():
        value = s.get(key)
        if value is None:
            out[key] = {"goal": text, "target": target, "value": None, "met": None, "note": "not measured"}
            continue
        met = value >= target if op == ">=" else value <= target
        if key == "e2e_p99_ms_at_200" and (s.get("e2e_errors_at_200") or s.get("e2e_overloaded_at_200")):
            met = False
        entry: dict[str, Any] = {"goal": text, "target": target, "value": value, "met": met}
        if key == "e2e_p99_ms_at_200" and s.get("e2e_overloaded_at_200"):
            entry["note"] = "the exchange could not answer 200 submissions/s; the load generator stopped"
        elif not met:
            entry["shortfall"] = (target - value) if op == ">=" else (value - target)
            entry["achieved_share_of_target"] = value / target if op == ">=" else target / value
            reach = _reach(key, s, target)
            if reach is not None:
                flags, reason = reach
                entry.update(flags)
                entry["note"] = f"{100 * entry['achieved_share_of_target']:.0f}% of target; {reason}"
        out[key] = entry
    return out


def _reach(key: str, s: dict[str, Any], target: float) -> tuple[dict[str, bool], str] | None:
    """What the run's floors say of an unmet goal: flags and the reason (None: no floors for it)."""
    store = _STORE_OF_REBUILD_GOAL.get(key)
    if store and s.get(f"rebuild_goal_reachable_{store}") is False:
        best = s[f"rebuild_max_events_per_s_all_cores_{store}"]
        return {"reachable_on_this_machine": False}, (
            f"out of reach here: even with the floors spread over every core the best is {best:,.0f} facts/s"
        )
    # One decider process doing the domain work itself (no decision lanes): the pipe's cost per record
    # plus the domain floor.
    bound = s.get("write_max_ratio_vs_kafka_python_1p") if key == "write_ratio_vs_kafka_python" else None
    if bound is None:
        return None
    if bound < target:
        return {"reachable_in_this_run": False}, (
            f"out of reach for one decider process without decision lanes in this run: its floors allow "
            f"{bound:.2f}"
        )
    return {}, f"the floors of one decider process without lanes allow up to {bound:.2f}"


def strip_raw(x: Any) -> Any:
    if isinstance(x, dict):
        return {k: strip_raw(v) for k, v in x.items() if not k.startswith("_") and k != "series"}
    if isinstance(x, list):
        return [strip_raw(v) for v in x]
    if isinstance(x, float) and not math.isfinite(x):
        return None
    return x


def write_json(path: Path, doc: dict[str, Any]) -> None:
    path.write_text(json.dumps(strip_raw(doc), indent=1, ensure_ascii=False, default=str) + "\n")


# --------------------------------------------------------------------------------------------------
# Markdown


def _f(x: Any, digits: int = 0, unit: str = "") -> str:
    if not finite(x):
        return "—"
    if digits == 0:
        return f"{x:,.0f}{unit}"
    return f"{x:,.{digits}f}{unit}"


def _pct(x: Any) -> str:
    return f"{100 * x:.0f}%" if finite(x) else "—"


def _mb(x: Any) -> str:
    return f"{x / 2**20:,.0f} MiB" if finite(x) else "—"


def markdown(doc: dict[str, Any], plots: dict[str, str]) -> str:
    m = doc["machine"]
    s = doc["summary"]
    sc = doc["scenarios"]
    run = doc["run"]
    dirty = " (work tree had uncommitted changes)" if m["git"]["dirty"] else ""
    if m["git"].get("bench_uncommitted"):
        dirty += " (the bench code itself was not committed yet)"
    lines = [
        f"# lienthong benchmarks — {run['mode']} run, {run['started_at']}",
        "",
        f"**Machine:** {m['cpu_model']} — {m['cores']} cores ({m.get('cores_usable')} usable), "
        f"{m['memory_gib']} GiB RAM, {m['os']}; load average at start {m.get('load_average_at_start')}.",
        f"**Versions:** Python {m['python']}, Kafka broker {m['kafka_broker']} (tools {m['kafka_tools']}), "
        f"{m.get('java') or 'java ?'}, SQLite {m['sqlite']}, PostgreSQL "
        f"{_get(sc, 'rebuild', 'postgres_version') or '?'}, "
        + ", ".join(f"{k} {v}" for k, v in m["packages"].items() if v and k != "lienthong")
        + ".",
        f"**Commit:** `{m['git']['commit']}`{dirty}. "
        f"Run took {run['duration_s']:.0f} s (`{run['command']}`).",
        "",
        "Every figure stands beside a ceiling measured in the same run on the same machine; the ratios are "
        "what to compare across machines.",
        "",
        "## Goals",
        "",
        "| goal | value | target | met |",
        "|---|---|---|---|",
    ]
    for g in s["goals"].values():
        value = g["value"]
        shown = _f(value, 2) if finite(value) and abs(value) < 100 else _f(value)
        met = {True: "yes", False: "**no**", None: "—"}[g["met"]]
        if g.get("note") and g.get("met") is False:
            met += f" ({g['note']})"
        elif g.get("met") is False:
            met += f" ({_pct(g['achieved_share_of_target'])} of target)"
        lines.append(f"| {g['goal']} | {shown} | {g['target']} | {met} |")
    lines += [
        "",
        *_write_md(sc.get("write")),
        *_rebuild_md(sc.get("rebuild")),
        *_latency_md(sc.get("latency")),
    ]
    lines += [*_embedded_md(sc.get("embedded")), *_growth_md(sc.get("growth")), *_profiles_md(sc)]
    if plots:
        lines += ["## Plots", ""] + [f"![{k}]({v})" for k, v in plots.items()] + [""]
    errors = doc.get("errors") or []
    lines += ["## Errors", ""] + ([f"* {e}" for e in errors] if errors else ["None."]) + [""]
    lines += ["## Method", "", *METHOD, ""]
    return "\n".join(lines)


METHOD = [
    "* Data: the synthetic generator (`lienthong.scenarios.cases`, chained seeds; `bench/data.py` "
    "`submissions()` is the one place to swap in `lienthong generate`), with the refusals it mixes in.",
    "* Large logs are made by the pure core in process (`decide`/`evolve` + the Avro codec), written to the "
    "embedded log table or the Kafka topics directly; never pushed through HTTP.",
    "* Write path: the gateway's exact bytes and keys produced with the gateway's producer settings "
    "(idempotent, acks=all, linger 5 ms) while the `lienthong decider` processes decide; throughput = "
    "submissions / time until all are on the events or rejections topic; each decider runs with "
    "2 decision lanes, as docker-compose.yml runs it. Ceiling: the same measurement "
    "with kafka-python pass-through processes in place of the deciders, sending with the decider's own "
    "producer settings (256 KiB batches, linger 100 ms, flushed and every record confirmed per batch); "
    "ProducerPerformance for the same record size and the gateway's settings. One unmeasured pipe pass "
    "warms the broker first; each pair of repetitions takes turns at going first; the decider is profiled "
    "in one more, unmeasured repetition (py-spy would take CPU from the cores being measured).",
    "* Rebuild: read the log in batches, decode, `Projector.apply` (views + checkpoint in one transaction), "
    "fresh database per run. Ceiling: fastavro `schemaless_reader` over the same bytes.",
    "* Latency: open loop at a fixed rate (latency counted from the scheduled send), visibility stamped by "
    "polling the read-model table the read API answers from every 10 ms, a sample re-checked "
    "through the HTTP read API.",
    "* Memory: VmHWM (peak RSS) of the worker processes from /proc, each with its child processes "
    "(the decider's lanes) added.",
    "* Profiles: py-spy (`--nonblocking --gil --subprocesses`: Python CPU time) on worker processes and "
    "their children (the decider and its lanes: in its "
    "own unmeasured repetition; elsewhere during the measured window); pyinstrument "
    "in process for the rebuild. Raw profiles stay in the run's temporary directory.",
]


def _write_md(w: Any) -> list[str]:
    if not w:
        return []
    out = [
        "## 1. Write path on Kafka",
        "",
        f"{w['submissions']:,} submissions ({_pct(w['rejection_share'])} refused by the rules), "
        f"{w['mean_submission_bytes']} bytes each on the wire.",
        "",
        "| partitions / deciders | exchange (subm./s) | kafka-python pipe | ratio | ProducerPerformance | "
        "ratio | decider peak RSS |",
        "|---|---|---|---|---|---|---|",
    ]
    for label, r in (w.get("runs") or {}).items():
        ex = r.get("exchange") or {}
        kp = r.get("ceiling_kafka_python") or {}
        pp = r.get("ceiling_producer_performance") or {}
        rss = max((v.get("peak_rss") or 0 for v in (r.get("deciders_memory") or {}).values()), default=None)
        kp_ratio = _pct(r.get("ratio_vs_kafka_python"))
        pp_ratio = _pct(r.get("ratio_vs_producer_performance"))
        out.append(
            f"| {label} | {_f(ex.get('per_s'))} | {_f(kp.get('per_s'))} | {kp_ratio}"
            f" | {_f(pp.get('records_per_s'))} | {pp_ratio} | {_mb(rss)} |"
        )
    out += [
        "",
        "Exchange intake (producer alone, concurrently with the deciders): "
        + ", ".join(
            f"{k}: {_f(_get(r, 'exchange', 'intake_per_s'))}/s" for k, r in (w.get("runs") or {}).items()
        )
        + ". kafka-python consume-only: "
        + ", ".join(
            f"{k}: {_f(_get(r, 'ceiling_kafka_python', 'consume_only', 'records_per_s'))}/s"
            for k, r in (w.get("runs") or {}).items()
        )
        + ".",
        "",
    ]
    samples = [
        f"{k}: exchange {', '.join(_f(x) for x in r['samples_per_s']['exchange'])}; "
        f"pipe {', '.join(_f(x) for x in r['samples_per_s']['kafka_python'])}"
        for k, r in (w.get("runs") or {}).items()
        if len((r.get("samples_per_s") or {}).get("exchange") or []) > 1
    ]
    if samples:
        paired = [
            f"{k}: {', '.join(_f(x, 2) for x in ratios)} (median {_f(_median(ratios), 2)})"
            for k, r in (w.get("runs") or {}).items()
            if len(ratios := paired_ratios(r)) > 1
        ]
        out += [
            "Each figure above is the best of its repetitions, measured alternately (per s): "
            + "; ".join(samples)
            + ".",
            "",
        ]
        if paired:
            out += [
                "The goal is judged on the best of each. Each exchange repetition over the pipe repetition"
                " run next to it shows how much of that ratio is the draw of a noisy machine: "
                + "; ".join(paired)
                + ".",
                "",
            ]
    unmeasured = (
        [f"the broker's warm-up pass (pipe) {_f(w['broker_warmup_per_s'])}/s"]
        if w.get("broker_warmup_per_s")
        else []
    )
    unmeasured += [
        f"the profiled repetition {k} {_f(r['profiled_exchange_per_s'])}/s"
        for k, r in (w.get("runs") or {}).items()
        if r.get("profiled_exchange_per_s")
    ]
    if unmeasured:
        out += ["Not counted: " + "; ".join(unmeasured) + ".", ""]
    floor, bound = w.get("domain_floor") or {}, w.get("bound_1p") or {}
    if floor.get("us_per_submission") is not None:
        out += [
            f"Domain floor (`bench/write_floors.py`): decoding, deciding and recording a submission in one "
            f"process with no Kafka costs {_f(floor['us_per_submission'], 1)} µs ({_f(floor['per_s'])}/s). "
            f"A decider process doing that work itself must do it on top of what the pipe does per record "
            f"({_f(bound.get('pipe_us_per_record'), 1)} µs), so without decision lanes it can reach at best "
            f"{_f(bound.get('max_per_s'))}/s = **{_pct(bound.get('max_ratio_vs_kafka_python'))}** of the "
            "kafka-python ceiling; its lanes take that work to other processes.",
            "",
        ]
    return out


def _rebuild_md(rb: Any) -> list[str]:
    if not rb:
        return []
    out = [
        "## 2. Rebuild (replay) into all read models",
        "",
        f"Log: {rb['log']['events']:,} events + {rb['log']['rejections']:,} rejections, "
        f"{rb['log']['mean_event_bytes']} bytes per event on average, made in {rb['log']['build_s']} s.",
        "",
        "| events | store | facts/s | vs decode ceiling | read µs | decode µs | apply µs per fact |",
        "|---|---|---|---|---|---|---|",
    ]
    for size in rb.get("sizes", []):
        ceiling = _get(rb, "ceiling_decode", size) or {}
        out.append(f"| {size:,} | fastavro decode only | {_f(ceiling.get('events_per_s'))} | 100% | | | |")
        for store in ("sqlite", "postgres"):
            r = _get(rb, store, size)
            if not r:
                continue
            us = r["us_per_fact"]
            out.append(
                f"| {size:,} | {store} | {_f(r['events_per_s'])} | {_pct(r.get('ratio_vs_decode'))} | "
                f"{_f(us['read'], 1)} | {_f(us['decode'], 1)} | {_f(us['apply'], 1)} |"
            )
    out += _floors_md(rb.get("floors") or {}, rb)
    exp = rb.get("experiments") or {}
    if exp:
        out += [
            "",
            "Experiments, each variant alternated with the default "
            "on the same events, best of the repetitions:",
            "",
        ]
        out += ["| store | events | variant | facts/s | speed-up vs default |", "|---|---|---|---|---|"]
        for store, variants in exp.items():
            for name, v in variants.items():
                if isinstance(v, dict):
                    out.append(
                        f"| {store} | {_f(variants.get('events'))} | {name} | {_f(v.get('events_per_s'))} | "
                        f"{_f(v.get('speedup_vs_default'), 2)}x |"
                    )
    return [*out, ""]


def _floors_md(floors: dict[str, Any], rb: Any) -> list[str]:
    """The floors under the rebuild, and the best rate and decode ratio each store allows."""
    if not floors:
        return []
    logic = floors.get("logic") or {}
    out = [
        "",
        f"Floors at {_f(floors.get('events'))} events (`bench/rebuild_floors.py`): the **write floor** is "
        "storing the final read-model rows alone, bulk-inserted into empty tables with no logic; the **logic "
        f"floor** is every fact through all {logic.get('views', '?')} views in memory with no database "
        f"({_f(logic.get('us_per_fact'), 1)} µs per fact).",
        "",
        "| store | rows per fact | write floor µs/fact | best facts/s, storage only | best ratio vs decode, "
        "storage only | best facts/s with view logic | best ratio with view logic | measured facts/s |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for store in ("sqlite", "postgres"):
        f = floors.get(store)
        if not f:
            continue
        if "error" in f:
            out.append(f"| {store} | error: {f['error']} | | | | | | |")
            continue
        measured = _get(rb, store, floors.get("events"), "events_per_s")
        out.append(
            f"| {store} | {_f(f['write']['rows_per_fact'], 2)} | {_f(f['write']['us_per_fact'], 1)} | "
            f"{_f(f['max_events_per_s_storage_bound'])} | {_pct(f['max_ratio_vs_decode_storage_bound'])} | "
            f"{_f(f.get('max_events_per_s_with_logic'))} | {_pct(f.get('max_ratio_vs_decode_with_logic'))} | "
            f"{_f(measured)} |"
        )
    return out + _reach_md(floors) + _by_view_md(logic)


def _reach_md(floors: dict[str, Any]) -> list[str]:
    """Whether each rebuild goal is reachable on this machine at all, from the floors and the cores."""
    reaches = {store: (floors.get(store) or {}).get("reach") for store in ("sqlite", "postgres")}
    reaches = {k: v for k, v in reaches.items() if v}
    if not reaches:
        return []
    out = [
        "",
        "**Can the goal be met on this machine?** The most any projector design could do: each fact decoded "
        "once, its view logic and storage spread perfectly over every core with no coordination cost, "
        "and on SQLite, one writer storing the rows. *Logic budget* is the most view logic per fact that "
        "would still meet the goal with free coordination (negative: not even views that cost nothing).",
        "",
        "| store | goal µs/fact | cores | decode + logic + write floor µs/fact (CPU) "
        "| best µs/fact, all cores | best facts/s | logic budget µs/fact | logic floor | reachable |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    logic = (floors.get("logic") or {}).get("us_per_fact")
    for store, r in reaches.items():
        out.append(
            f"| {store} | {_f(r['goal_us_per_fact'], 1)} | {r['cores']} | {_f(r['cpu_us_per_fact'], 1)} | "
            f"{_f(r['best_us_per_fact_all_cores'], 1)} | {_f(r['max_events_per_s_all_cores'])} | "
            f"{_f(r['logic_budget_us_per_fact'], 1)} | {_f(logic, 1)} | "
            f"{'yes' if r['reachable'] else '**no**'} |"
        )
    return out


def _by_view_md(logic: dict[str, Any]) -> list[str]:
    views = logic.get("by_view") or {}
    if not views:
        return []
    ranked = sorted(views.items(), key=lambda kv: -kv[1])
    return [
        "",
        f"Where the logic floor goes, per view (µs per fact, timed one call at a time on up to "
        f"{_f(logic.get('by_view_facts'))} facts; handing each fact to {logic.get('views')} views "
        f"that do nothing costs {_f(logic.get('dispatch_us_per_fact'), 1)} µs): "
        + ", ".join(f"{name} {_f(us, 1)}" for name, us in ranked)
        + ".",
    ]


def _latency_md(lat: Any) -> list[str]:
    if not lat:
        return []
    out = [
        "## 3. End-to-end latency",
        "",
        "Acceptance (the gateway's answer) -> outcome visible through the read API, at a fixed offered load "
        f"for {lat['seconds']} s per rate.",
        "",
        "| runtime | offered/s | sent/s | p50 ms | p95 ms | p99 ms | send->visible p99 "
        "| gateway answer p99 | errors | mismatches |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for runtime in ("kafka", "embedded"):
        for rate, r in (_get(lat, runtime, "rates") or {}).items():
            a = r["accept_to_visible_ms"]
            out.append(
                f"| {runtime} | {rate} | {_f(r.get('achieved_send_per_s'))} | {_f(a['p50'], 1)} | "
                f"{_f(a['p95'], 1)} | {_f(a['p99'], 1)} | {_f(r['send_to_visible_ms']['p99'], 1)} | "
                f"{_f(r['gateway_answer_ms']['p99'], 1)} | {r['error_count']} | {r['outcome_mismatches']} |"
            )
    floor = lat.get("floor_kafka") or {}
    if floor:
        out += [
            "",
            "Floor: kafka-python produce -> consume of the same bytes at the same rate: "
            + ", ".join(
                f"{rate}/s p50 {_f(v['latency_ms']['p50'], 1)} ms, p99 {_f(v['latency_ms']['p99'], 1)} ms"
                for rate, v in floor.items()
            )
            + ".",
        ]
    out += [
        "",
        "On the embedded runtime the answer comes after the decision and the projection, so acceptance -> "
        "visible is ~0 by design; its cost shows in send -> visible and in the gateway's answer time.",
        "",
    ]
    return out


def _embedded_md(em: Any) -> list[str]:
    if not em or "http" not in em:
        return []
    h = em["http"]
    return [
        "## 4. Embedded runtime through HTTP",
        "",
        f"{em['submissions']:,} submissions, {em['concurrency']} concurrent clients: "
        f"**{_f(h['per_s'])} submissions/s** (response p50 {_f(h['response_ms']['p50'], 1)} ms, "
        f"p99 {_f(h['response_ms']['p99'], 1)} ms; {h['error_count']} errors, {h['outcome_mismatches']} "
        "mismatches).",
        "",
        "| ceiling | per s | ratio |",
        "|---|---|---|",
        f"| same exchange in process, no HTTP | {_f(_get(em, 'ceiling_in_process', 'per_s'))} | "
        f"{_pct(em.get('ratio_vs_in_process'))} |",
        f"| same server, GET /healthz | {_f(_get(em, 'ceiling_http_healthz', 'per_s'))} | "
        f"{_pct(em.get('ratio_vs_http_healthz'))} |",
        "",
    ]


def _growth_md(g: Any) -> list[str]:
    if not g:
        return []
    out = [
        "## 5. Growth",
        "",
        f"{g['partitions']} partitions, one decider and one projector process.",
        "",
        "| events | projector replay facts/s | µs/event | projector peak RSS | decider state rebuild s | "
        "µs/event (with fixed part) | decider peak RSS |",
        "|---|---|---|---|---|---|---|",
    ]
    for size, r in (g.get("by_size") or {}).items():
        p, d = r.get("projector") or {}, r.get("decider") or {}
        facts = (r.get("events") or 0) + (r.get("rejections") or 0)
        d_us = 1e6 * d["state_rebuild_s"] / facts if d.get("state_rebuild_s") and facts else None
        out.append(
            f"| {int(size):,} | {_f(p.get('events_per_s'))} | {_f(p.get('us_per_event'), 1)} | "
            f"{_mb(p.get('peak_rss'))} | {_f(d.get('state_rebuild_s'), 2)} | {_f(d_us, 1)} | "
            f"{_mb(d.get('peak_rss'))} |"
        )
    gr = g.get("growth") or {}
    if gr:
        slopes = gr.get("memory_slopes") or {}
        out += [
            "",
            f"Time per event, {gr['from']:,} -> {gr['to']:,} events: projector x"
            f"{_f(gr.get('projector_time_per_event'), 2)} (1.00 = flat). Decider state rebuild, marginal "
            "cost per event between sizes: "
            + ", ".join(f"{_f(x['us_per_event'], 1)} µs" for x in gr.get("decider_marginal_rebuild") or [])
            + f" (last / first x{_f(gr.get('decider_rebuild_time_per_event'), 2)}).",
            "Memory added per event between sizes: "
            + "; ".join(
                f"{w}: " + ", ".join(f"{_f(x['bytes_per_event'])} B" for x in segs)
                for w, segs in slopes.items()
            )
            + ".",
        ]
        if gr.get("logic_floor_time_per_event") or gr.get("write_floor_time_per_event"):
            floors = [(size, r.get("floors") or {}) for size, r in (g.get("by_size") or {}).items()]
            out += [
                "",
                "Where the growth is: the floors per fact at each size (views in memory; final rows "
                "bulk-inserted into a fresh file with the same indexes).",
                "",
                "| events | logic floor µs/fact | storage floor µs/fact | read-model rows |",
                "|---|---|---|---|",
                *(
                    f"| {int(size):,} | {_f(f.get('logic_us_per_fact'), 1)} | "
                    f"{_f(f.get('write_us_per_fact'), 1)} | {_f(f.get('rows'))} |"
                    for size, f in floors
                ),
                "",
                f"Smallest -> largest: logic x{_f(gr.get('logic_floor_time_per_event'), 2)}, storage "
                f"x{_f(gr.get('write_floor_time_per_event'), 2)}, projector "
                f"x{_f(gr.get('projector_time_per_event'), 2)}.",
            ]
    return [*out, ""]


def _profiles_md(sc: dict[str, Any]) -> list[str]:
    found: list[tuple[str, dict[str, Any]]] = []
    for label, r in (_get(sc, "write", "runs") or {}).items():
        if _get(r, "profile_decider", "summary"):
            found.append(
                (f"decider during the write path ({label}, py-spy)", r["profile_decider"]["summary"])
            )
    for store, p in (_get(sc, "rebuild", "profiles") or {}).items():
        if p.get("self"):
            found.append((f"rebuild on {store} (pyinstrument)", p))
    gateway = _get(sc, "latency", "kafka", "profile_gateway") or {}
    if gateway.get("summary"):
        found.append((f"Kafka gateway at {gateway['rate']}/s offered (py-spy)", gateway["summary"]))
    if _get(sc, "embedded", "profile_server", "summary"):
        found.append(("embedded server under load (py-spy)", sc["embedded"]["profile_server"]["summary"]))
    if not found:
        return []
    out = ["## Where the time goes", ""]
    for title, p in found:
        out += [f"**{title}** — top functions by own time (share of samples):", ""]
        out += [f"* {x['function']}: {_pct(x['share'])}" for x in p.get("self", [])[:8]]
        out += [""]
        if p.get("ours"):
            out += ["Project code, time including what it calls:", ""]
            out += [f"* {x['function']}: {_pct(x['share'])}" for x in p["ours"][:8]]
            out += [""]
    return out


# --------------------------------------------------------------------------------------------------
# Plots


def plots(doc: dict[str, Any], out_dir: Path, stem: str) -> dict[str, str]:
    """PNG files next to the report; returns {title: file name}."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    made: dict[str, str] = {}
    sc = doc["scenarios"]

    def save(fig: Any, name: str, title: str) -> None:
        path = out_dir / f"{stem}-{name}.png"
        fig.tight_layout()
        fig.savefig(path, dpi=110)
        plt.close(fig)
        made[title] = path.name

    w = sc.get("write") or {}
    if w.get("runs"):
        fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(12, 4.5))
        labels, values, colors = [], [], []
        for label, r in w["runs"].items():
            for key, name, color in (
                ("exchange", "exchange", "tab:blue"),
                ("ceiling_kafka_python", "kafka-python", "tab:orange"),
            ):
                v = _get(r, key, "per_s")
                if finite(v):
                    labels.append(f"{name}\n{label}")
                    values.append(v)
                    colors.append(color)
                series = _get(r, key, "series")
                if series:
                    ax2.plot(
                        [t for t, _ in series],
                        [n for _, n in series],
                        label=f"{name} {label}",
                        color=color,
                        linestyle="-" if label.startswith("1") else "--",
                    )
            pp = _get(r, "ceiling_producer_performance", "records_per_s")
            if finite(pp):
                labels.append(f"ProducerPerf.\n{label}")
                values.append(pp)
                colors.append("tab:green")
        ax1.bar(labels, values, color=colors)
        ax1.set_ylabel("records / s")
        ax1.set_title("Write path throughput vs ceilings")
        ax1.tick_params(axis="x", labelsize=8)
        ax2.set_xlabel("seconds")
        ax2.set_ylabel("decided (or copied) records")
        ax2.set_title("Progress over time")
        ax2.legend(fontsize=8)
        save(fig, "write", "Write path throughput")

    rb = sc.get("rebuild") or {}
    if rb.get("sizes"):
        fig, ax = plt.subplots(figsize=(8, 4.5))
        sizes = rb["sizes"]
        width = 0.25
        for i, (key, name) in enumerate(
            (("ceiling_decode", "fastavro decode only"), ("sqlite", "SQLite"), ("postgres", "PostgreSQL"))
        ):
            vals = [_get(rb, key, s, "events_per_s") or 0 for s in sizes]
            ax.bar([j + (i - 1) * width for j in range(len(sizes))], vals, width, label=name)
        ax.set_xticks(range(len(sizes)), [f"{s:,} events" for s in sizes])
        ax.axhline(25_000, color="grey", linestyle=":", label="PostgreSQL goal 25k/s")
        ax.set_ylabel("facts / s")
        ax.set_title("Rebuild throughput vs decode ceiling")
        ax.legend(fontsize=8)
        save(fig, "rebuild", "Rebuild throughput")

    lat = sc.get("latency") or {}
    curves = []
    for runtime in ("kafka", "embedded"):
        for rate, r in (_get(lat, runtime, "rates") or {}).items():
            raw = (r.get("_raw") or {}).get("accept_to_visible" if runtime == "kafka" else "send_to_visible")
            if raw:
                curves.append((f"{runtime} {rate}/s", sorted(1000 * x for x in raw)))
    if curves:
        fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(12, 4.5))
        for label, values in curves:
            n = len(values)
            ax1.plot(values, [i / n for i in range(1, n + 1)], label=label)
            ax2.hist(values, bins=50, alpha=0.5, label=label)
        ax1.axvline(250, color="grey", linestyle=":", label="250 ms")
        ax1.set_xscale("symlog", linthresh=10)
        ax1.set_xlim(left=0)
        ax1.set_xlabel("ms (kafka: acceptance -> visible; embedded: send -> visible)")
        ax1.set_ylabel("fraction of submissions")
        ax1.set_title("Latency distribution (CDF)")
        ax1.legend(fontsize=8)
        ax2.set_xlabel("ms")
        ax2.set_title("Latency histogram")
        ax2.legend(fontsize=8)
        save(fig, "latency", "Latency distributions")

    em = sc.get("embedded") or {}
    raw = _get(em, "http", "_raw", "response")
    if raw:
        fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(12, 4.5))
        bars = [
            ("HTTP API", _get(em, "http", "per_s")),
            ("in process", _get(em, "ceiling_in_process", "per_s")),
            ("GET /healthz", _get(em, "ceiling_http_healthz", "per_s")),
        ]
        ax1.bar(
            [b for b, _ in bars], [v or 0 for _, v in bars], color=["tab:blue", "tab:orange", "tab:green"]
        )
        ax1.set_ylabel("per second")
        ax1.set_title("Embedded runtime throughput vs ceilings")
        ax2.hist([1000 * x for x in raw], bins=50)
        ax2.set_xlabel("response time, ms")
        ax2.set_title(f"Embedded POST response times ({em['concurrency']} clients)")
        save(fig, "embedded", "Embedded runtime")

    g = sc.get("growth") or {}
    rows = [(int(k), v) for k, v in (g.get("by_size") or {}).items() if "projector" in v and "decider" in v]
    if rows:
        fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(12, 4.5))
        xs = [k for k, _ in rows]
        ax1.plot(
            xs, [v["projector"]["us_per_event"] or 0 for _, v in rows], marker="o", label="projector replay"
        )
        ax1.plot(
            xs,
            [1e6 * v["decider"]["state_rebuild_s"] / (v["events"] + v["rejections"]) for _, v in rows],
            marker="o",
            label="decider state rebuild",
        )
        ax1.set_xscale("log")
        ax1.set_ylabel("µs per event")
        ax1.set_title("Time per event by log size")
        ax1.legend(fontsize=8)
        ax2.plot(xs, [v["projector"]["peak_rss"] / 2**20 for _, v in rows], marker="o", label="projector")
        ax2.plot(xs, [v["decider"]["peak_rss"] / 2**20 for _, v in rows], marker="o", label="decider")
        ax2.set_xscale("log")
        ax2.set_ylabel("peak RSS, MiB")
        ax2.set_title("Peak memory by log size")
        ax2.legend(fontsize=8)
        for ax in (ax1, ax2):
            ax.set_xlabel("events in the log")
        save(fig, "growth", "Growth")
    return made
