"""An import's duty cycle (issue 16 point 4): the runner pauses between batches so the
import keeps the owning service and PostgreSQL busy at most its share of the time."""

from __future__ import annotations

import pytest

from services.integrations.imports.dependencies import DEFAULT_DUTY, read_settings
from services.integrations.imports.runner import MAX_PAUSE_SECONDS, Pace


class Clock:
    def __init__(self) -> None:
        self.now = 100.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def test_a_batch_is_followed_by_a_pause_that_keeps_the_share():
    clock = Clock()
    pace = Pace(0.25, sleep=clock.sleep, clock=clock)
    clock.now += 2.0  # a batch's work
    pace.step()
    assert clock.slept == [pytest.approx(6.0)]  # 2 s of work in 8: a quarter
    clock.now += 1.0
    pace.step()  # the pause itself is not counted as work
    assert clock.slept[-1] == pytest.approx(3.0)
    assert pace.paused == pytest.approx(9.0)


def test_full_duty_never_pauses_and_a_pause_is_bounded():
    clock = Clock()
    pace = Pace(1.0, sleep=clock.sleep, clock=clock)
    clock.now += 5.0
    pace.step()
    assert clock.slept == []
    slow = Pace(0.05, sleep=clock.sleep, clock=clock)
    clock.now += 30.0
    slow.step()
    assert clock.slept == [MAX_PAUSE_SECONDS]


def test_the_work_of_a_slice_is_carried_to_the_next_not_the_wait_between():
    clock = Clock()
    pace = Pace(0.5, sleep=clock.sleep, clock=clock)
    clock.now += 1.5  # the slice's last batch, answered after its last step
    pace.stop()
    clock.now += 0.5  # the timer's tick: no work of the import's
    pace.resume()
    clock.now += 0.5  # the next slice reads its first batch
    pace.step()
    assert clock.slept == [pytest.approx(2.0)]


def test_the_duty_setting():
    assert read_settings({}).duty == DEFAULT_DUTY
    assert read_settings({"OSPREY_IMPORT_DUTY": "0.3"}).duty == 0.3
    assert read_settings({"OSPREY_IMPORT_DUTY": "0"}).duty == 0.05
    assert read_settings({"OSPREY_IMPORT_DUTY": "7"}).duty == 1.0
    assert read_settings({"OSPREY_IMPORT_DUTY": "half"}).duty == DEFAULT_DUTY
