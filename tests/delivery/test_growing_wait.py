"""The wait between passes while the SMTP server cannot take mail: doubled, capped, reset."""

from __future__ import annotations

from digest.delivery.growing_wait import GrowingWait


def test_the_wait_doubles_up_to_its_cap_and_starts_again_once_reset() -> None:
    wait = GrowingWait(30, 300)
    assert [wait.next() for _ in range(6)] == [30, 60, 120, 240, 300, 300]
    wait.reset()
    assert wait.next() == 30


def test_a_cap_below_the_first_wait_keeps_the_first() -> None:
    # `digest worker --interval 600` with delivery.retry_delay_seconds 300: never shorter.
    wait = GrowingWait(600, 300)
    assert [wait.next() for _ in range(3)] == [600, 600, 600]


def test_a_first_wait_of_zero_starts_at_the_floor() -> None:
    # `digest worker --interval 0` against a busy server: one pass a second at most at first,
    # never one after the other.
    wait = GrowingWait(0, 300)
    assert [wait.next() for _ in range(4)] == [1, 2, 4, 8]
    wait.reset()
    assert wait.next() == 1
    assert GrowingWait(0.2, 0.5).next() == 1  # the floor over a smaller cap too
