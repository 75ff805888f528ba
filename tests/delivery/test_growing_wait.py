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
