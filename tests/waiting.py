"""What a test is waiting for right now, for the per-test time limit's failure message
(``tests/conftest.py``): a test that hangs fails naming the test and this wait.

Waits declare themselves with ``with waiting_for("3 Synced members"): ...`` (the helpers'
``wait_for`` does); otherwise the message names the project's frames the test was stopped in.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from pathlib import Path
from types import FrameType

ROOT = Path(__file__).resolve().parent.parent

_waits: list[str | Callable[[], str]] = []


@contextlib.contextmanager
def waiting_for(what: str | Callable[[], str]) -> Iterator[None]:
    """Declare the wait inside the block: a text, or a callable giving it (read only when
    the limit expires, so it can say what happened meanwhile)."""
    _waits.append(what)
    try:
        yield
    finally:
        _waits.pop()


def current_wait() -> str | None:
    if not _waits:
        return None
    what = _waits[-1]
    if not callable(what):
        return what
    try:
        return what()
    except Exception as exc:  # the description must not hide the timeout itself
        return f"(its description failed: {exc!r})"


def describe_frames(frame: FrameType | None, depth: int = 4) -> str:
    """The innermost ``depth`` frames in the project's own files (tests/, stacksalt/,
    _modules/, _states/), innermost first: ``function (path:line) <- ...``."""
    found = []
    while frame is not None and len(found) < depth:
        path = Path(frame.f_code.co_filename)
        if path.is_relative_to(ROOT) and ".venv" not in path.parts:
            rel = path.relative_to(ROOT).as_posix()
            found.append(f"{frame.f_code.co_name} ({rel}:{frame.f_lineno})")
        frame = frame.f_back
    return " <- ".join(found) or "no frame of the project"
