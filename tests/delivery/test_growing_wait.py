"""The wait between passes while the SMTP server cannot take mail: doubled, capped, reset; and
after a pass stopped by a refusal of the sender or a lost heartbeat."""

from __future__ import annotations

from digest.delivery.growing_wait import GrowingWait, PassWaits
from digest.errors import HeartbeatLost, SenderRefused, ServerUnavailable


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


def test_a_pass_that_sent_before_the_server_turned_away_starts_the_wait_again() -> None:
    waits = PassWaits(30, 300)
    assert waits.after(ServerUnavailable("busy")) == 30
    assert waits.after(ServerUnavailable("busy")) == 60
    # This pass got some messages through before the server turned it away: the outage before
    # it is over, so the wait is the interval again, not 120.
    assert waits.after(ServerUnavailable("busy", sent_before=True)) == 30
    assert waits.after(ServerUnavailable("busy")) == 60
    assert waits.after(None) == 30
    assert waits.after(ServerUnavailable("busy")) == 30


def test_a_pass_stopped_by_a_refusal_of_the_sender_waits_a_second_at_least() -> None:
    # `digest worker --interval 0` whose sender the server refuses: never a pass right after.
    waits = PassWaits(0, 300)
    assert waits.after(SenderRefused("refused")) == 1
    assert waits.after(HeartbeatLost("cut off")) == 1
    assert waits.after(None) == 0  # work went through: the next look as asked
    assert PassWaits(30, 300).after(SenderRefused("refused")) == 30
