"""Progress reporting shared by the API and the CLI.

Long steps call ``reporter.step(description, total)`` and advance the
returned handle. The Python API uses :class:`SilentReporter` (records step
timings, prints nothing); the CLI passes a rich progress bar.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager


class Step:
    """A running step: call :meth:`advance` as work units complete."""

    def __init__(self, advance_fn=None):
        self._advance = advance_fn

    def advance(self, n: float = 1) -> None:
        if self._advance is not None:
            self._advance(n)


class SilentReporter:
    """Records the duration of each step (seconds) in :attr:`timings`."""

    def __init__(self) -> None:
        self.timings: dict[str, float] = {}
        self.messages: list[str] = []

    @contextmanager
    def step(self, description: str, total: float | None = None) -> Iterator[Step]:
        t0 = time.perf_counter()
        try:
            yield self._make_step(description, total)
        finally:
            self._end_step(description)
            self.timings[description] = round(time.perf_counter() - t0, 3)

    def note(self, message: str) -> None:
        """A message worth showing the user (repairs, resampling, gap-filling …)."""
        self.messages.append(message)

    def _make_step(self, description: str, total: float | None) -> Step:
        return Step()

    def _end_step(self, description: str) -> None:
        return None
