"""The write-path report shows how much of its best-of ratio is the draw of a noisy machine."""

from __future__ import annotations

import pytest

from lienthong.bench.report import _write_md, paired_ratios

WRITE = {"submissions": 100_000, "rejection_share": 0.02, "mean_submission_bytes": 287}


def _run(exchange: list[float], pipe: list[float]) -> dict:
    return {
        "samples_per_s": {"exchange": exchange, "kafka_python": pipe},
        "exchange": {"per_s": max(exchange)},
        "ceiling_kafka_python": {"per_s": max(pipe)},
        "ratio_vs_kafka_python": max(exchange) / max(pipe),
    }


def test_each_exchange_repetition_is_set_against_the_pipe_repetition_next_to_it():
    run = _run([2_943, 3_463, 4_315], [7_289, 8_740, 7_899])
    assert paired_ratios(run) == pytest.approx([0.4038, 0.3962, 0.5463], abs=1e-4)


def test_a_failed_repetition_is_left_out_not_counted_as_zero():
    assert paired_ratios(_run([0.0, 4_000], [8_000, 8_000])) == [0.5]
    assert paired_ratios({}) == []


def test_the_markdown_gives_the_paired_ratios_and_their_median():
    text = "\n".join(_write_md({**WRITE, "runs": {"1p": _run([2_943, 3_463, 4_315], [7_289, 8_740, 7_899])}}))
    assert "1p: 0.40, 0.40, 0.55 (median 0.40)" in text


def test_no_paired_sentence_when_no_repetition_pair_succeeded():
    text = "\n".join(_write_md({**WRITE, "runs": {"1p": _run([0.0, 0.0], [8_000, 8_000])}}))
    assert "draw of a noisy machine" not in text
