"""Set-up work that runs beside the test (a second site's migrations while
the first site's feed is built): the thread hands what it raised back to the
test, so a broken set-up fails the test instead of dying silently."""
from __future__ import annotations

import threading
from collections.abc import Callable


class _Background(threading.Thread):
    def __init__(self, work: Callable[[], None]) -> None:
        super().__init__(daemon=True)
        self._work = work
        self.failure: BaseException | None = None

    def run(self) -> None:
        try:
            self._work()
        except BaseException as e:  # noqa: BLE001 - handed to the test thread
            self.failure = e

    def join(self, timeout: float | None = None) -> None:
        super().join(timeout)
        if self.failure is not None:
            raise self.failure


def in_background(work: Callable[[], None]) -> threading.Thread:
    """Start ``work`` in a daemon thread; ``join`` re-raises its exception."""
    thread = _Background(work)
    thread.start()
    return thread
