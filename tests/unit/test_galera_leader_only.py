"""A non-leader waits for the leader's schema change, and applies it itself when it does not
arrive in time (the leadership moved during the run)."""

from __future__ import annotations

from stacksalt.galera.leader_only import replicated_in_time


class Clock:
    def __init__(self):
        self.now = 0.0
        self.sleeps = 0

    def sleep(self, seconds):
        self.sleeps += 1
        self.now += seconds

    def __call__(self):
        return self.now


def test_the_change_arrives_from_the_leader():
    clock = Clock()
    seen = iter([False, False, True])
    assert replicated_in_time(lambda: next(seen), 20, 1, clock.sleep, clock)
    assert clock.sleeps == 3 and clock.now == 3


def test_it_does_not_arrive_so_this_member_applies_it():
    clock = Clock()
    assert not replicated_in_time(lambda: False, 5, 1, clock.sleep, clock)
    assert clock.now == 5  # waited the whole time, no longer


def test_no_wait_means_apply_here_at_once():
    clock = Clock()
    assert not replicated_in_time(lambda: True, 0, 1, clock.sleep, clock)
    assert clock.sleeps == 0
