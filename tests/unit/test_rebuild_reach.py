"""The bench's verdict on whether a rebuild goal can be met on the machine at all (bench.rebuild_floors.reach)
and how the report states it. A wrong verdict would close or keep open a goal for the wrong reason."""

from __future__ import annotations

import pytest

from lienthong.bench.rebuild_floors import reach
from lienthong.bench.report import goals


def test_goal_within_the_all_cores_bound_is_reachable():
    r = reach(goal_us=40.0, decode_us=10.0, write_us=20.0, logic_us=30.0, cores=2, single_writer=False)
    assert r["best_us_per_fact_all_cores"] == pytest.approx(30.0)  # 60 µs of CPU over 2 cores
    assert r["max_events_per_s_all_cores"] == pytest.approx(1e6 / 30.0)
    assert r["logic_budget_us_per_fact"] == pytest.approx(50.0)  # 80 µs of 2 cores less decode and write
    assert r["reachable"] is True


def test_logic_beyond_what_all_cores_give_is_out_of_reach():
    # PostgreSQL-like: 25,000/s is 40 µs per fact of wall time, 80 µs of CPU on two cores.
    r = reach(goal_us=40.0, decode_us=13.0, write_us=39.0, logic_us=99.0, cores=2, single_writer=False)
    assert r["cpu_us_per_fact"] == pytest.approx(151.0)
    assert r["max_events_per_s_all_cores"] == pytest.approx(1e6 / 75.5)
    assert r["logic_budget_us_per_fact"] == pytest.approx(28.0)
    assert r["reachable"] is False


def test_single_writer_slower_than_the_goal_leaves_no_logic_budget():
    # SQLite-like: storing the rows alone, on its one writer, takes longer than the goal allows per fact.
    r = reach(goal_us=25.0, decode_us=12.5, write_us=48.0, logic_us=0.0, cores=8, single_writer=True)
    assert r["best_us_per_fact_all_cores"] == pytest.approx(48.0)
    assert r["reachable"] is False
    assert r["logic_budget_us_per_fact"] < 0


def test_more_cores_can_make_a_goal_reachable():
    args = dict(goal_us=40.0, decode_us=13.0, write_us=39.0, logic_us=99.0, single_writer=False)
    assert reach(cores=2, **args)["reachable"] is False
    assert reach(cores=4, **args)["reachable"] is True


def test_unmet_goal_proven_out_of_reach_says_so_with_the_bound():
    summary = {
        "rebuild_events_per_s_postgres": 3_349.0,
        "rebuild_goal_reachable_postgres": False,
        "rebuild_max_events_per_s_all_cores_postgres": 13_245.0,
    }
    g = goals(summary)["rebuild_events_per_s_postgres"]
    assert g["met"] is False
    assert g["reachable_on_this_machine"] is False
    assert "13,245 facts/s" in g["note"] and "13% of target" in g["note"]


def test_unmet_goal_within_reach_has_no_out_of_reach_note():
    summary = {"rebuild_events_per_s_postgres": 3_349.0, "rebuild_goal_reachable_postgres": True}
    g = goals(summary)["rebuild_events_per_s_postgres"]
    assert g["met"] is False
    assert "reachable_on_this_machine" not in g and "note" not in g


def test_unmet_write_goal_says_what_one_decider_process_could_reach_in_the_run():
    # The run of 2026-11-23 22:29: the pipe drew 63 µs per record and the domain floor was 76 µs.
    summary = {"write_ratio_vs_kafka_python": 0.42, "write_max_ratio_vs_kafka_python_1p": 0.45}
    g = goals(summary)["write_ratio_vs_kafka_python"]
    assert g["met"] is False and g["reachable_in_this_run"] is False
    assert "out of reach for one decider process without decision lanes in this run" in g["note"]
    assert "0.45" in g["note"]
    assert "84% of target" in g["note"]


def test_unmet_write_goal_within_its_bound_is_not_called_out_of_reach():
    summary = {"write_ratio_vs_kafka_python": 0.47, "write_max_ratio_vs_kafka_python_1p": 0.55}
    g = goals(summary)["write_ratio_vs_kafka_python"]
    assert g["met"] is False and "reachable_in_this_run" not in g
    assert g["note"].endswith("the floors of one decider process without lanes allow up to 0.55")
