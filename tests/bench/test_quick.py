"""bench/quick.py's report: figures beside the baseline, absolute and floor-normalized,
REGRESSION only past the thresholds and always last; a baseline pools several runs."""

from __future__ import annotations

from bench.quick import pool_runs, report

INFO = {
    "date": "2026-12-07 10:00 UTC",
    "commit": "abc1234",
    "load_average_before": [1.0, 1.0, 1.0],
    "load_average_after": [1.5, 1.0, 1.0],
    "wall_s": 30.0,
    "started_s": 8.0,
}


def figure(rps: float, p50: float, rps_x: float, p50_x: float) -> dict:
    return {
        "clients": 8,
        "requests": 300,
        "req_per_s": rps,
        "p50_ms": p50,
        "p95_ms": p50 * 2,
        "p99_ms": p50 * 3,
        "rps_x_floor": rps_x,
        "p50_x_floor": p50_x,
        "rounds": [[rps_x, p50_x]] * 3,
    }


FLOOR = {"clients": 8, "requests": 500, "req_per_s": 500.0, "p50_ms": 10.0}
BASE = {
    **INFO,
    "figures": {
        "floor_8": FLOOR,
        "steady": figure(100, 50, 0.2, 5.0),
        "slower": figure(100, 50, 0.2, 5.0),
        "later": figure(100, 50, 0.2, 5.0),
    },
}


def test_regressions_are_named_last_and_only_past_the_thresholds() -> None:
    now = {
        # half the absolute throughput, but so did the floor: no regression
        "floor_8": {**FLOOR, "req_per_s": 250.0, "p50_ms": 20.0},
        "steady": figure(50, 100, 0.2, 5.0),
        "slower": figure(60, 50, 0.139, 5.0),  # 0.695x the baseline's normalized req/s
        "later": figure(100, 80, 0.2, 7.2),  # p50/floor 1.44x the baseline's
    }
    lines = report(INFO, now, ["FAILED gone: 500"], BASE).splitlines()
    assert lines[0].startswith("bench-quick 2026-12-07 10:00 UTC abc1234")
    figure_lines = [line.split()[0] for line in lines[2:6]]
    assert figure_lines == ["floor_8", "steady", "slower", "later"]
    assert lines[6] == "FAILED gone: 500"
    assert [line.split()[1] for line in lines[7:]] == ["slower:", "later:"]
    assert all(line.startswith("REGRESSION") for line in lines[7:])
    assert "0.70x" in lines[7] and "1.44x" in lines[8]


def test_within_the_thresholds_nothing_is_flagged() -> None:
    now = {"steady": figure(71, 50, 0.141, 7.1)}  # 0.705x and 1.42x
    assert "REGRESSION" not in report(INFO, now, [], BASE)


def test_without_a_baseline() -> None:
    text = report(INFO, {"steady": figure(100, 50, 0.2, 5.0)}, [], None)
    assert "no baseline yet" in text and "REGRESSION" not in text


def test_a_baseline_pools_runs() -> None:
    one = {"steady": {**figure(100, 50, 0.2, 5.0), "rounds": [[0.1, 4], [0.2, 5], [0.3, 6]]}}
    two = {"steady": {**figure(200, 30, 0.2, 5.0), "rounds": [[0.4, 7], [0.5, 8], [0.6, 9]]}}
    pooled = pool_runs([(INFO, one, []), (INFO, two, [])])
    steady = pooled["figures"]["steady"]
    assert pooled["runs"] == 2 and pooled["wall_s"] == 60.0
    assert steady["req_per_s"] == 150.0 and steady["p50_ms"] == 40.0
    assert steady["requests"] == 600
    assert steady["rps_x_floor"] == 0.35 and steady["p50_x_floor"] == 6.5
