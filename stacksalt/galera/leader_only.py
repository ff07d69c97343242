"""Schema changes (databases, accounts) run on the Galera leader only; Galera replicates them.

A member that is not the leader waits for the leader's change to reach it. If it does not
arrive in time, the leadership moved during this run (a rolling restart moves it) to a member
that had already passed this state, and nobody else would apply it: this member applies it
itself. DDL and account statements run in total order on every member and the ones stacksalt
issues are idempotent, so two members applying the same change is safe.
"""

from __future__ import annotations

import time
from collections.abc import Callable


def replicated_in_time(
    present: Callable[[], bool],
    wait: float,
    interval: float = 1.0,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> bool:
    """Whether ``present()`` (the object is as wanted here) becomes true within ``wait``
    seconds, looking every ``interval`` seconds; False means: apply it on this member."""
    deadline = clock() + wait
    while clock() < deadline:
        sleep(interval)
        if present():
            return True
    return False
