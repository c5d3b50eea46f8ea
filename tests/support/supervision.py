"""The runner's supervision loop (`Stack.supervise` every 0.2 s, as `commonweave run` does) in a
thread beside a test, which the test can hold back.

The stack is stopped before that thread ends. A process the stack starts dies with the thread
that started it (`PR_SET_PDEATHSIG`, deploy/stack.py, follows the starting thread, not its
process), so a component this thread restarted was killed the moment it ended, and the services
still running then waited out their store client's server selection (5 s) to stop: the
health tests' teardown took 9.7 s."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from deploy.stack import Stack


class Supervisor:
    def __init__(self, stack: Stack, on_error: Callable[[Exception], None] | None) -> None:
        self.stack = stack
        self.running = threading.Event()  # cleared: the loop holds back (a test pausing a server)
        self.running.set()
        self._on_error = on_error
        self._turn = threading.Lock()  # held while a supervise() runs
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="supervisor", daemon=True)
        self._thread.start()

    def _loop(self) -> None:
        while not self._stop.is_set():
            with self._turn:
                if self.running.is_set() and not self._stop.is_set():
                    try:
                        self.stack.supervise()
                    except Exception as error:  # a crash loop: the runner gives up
                        if self._on_error is None:
                            raise
                        self._on_error(error)
                        self.running.clear()
            time.sleep(0.2)

    def hold(self) -> None:
        """No supervise() runs after this returns (one in flight is waited for)."""
        self.running.clear()
        with self._turn:
            pass

    def close(self) -> None:
        self._stop.set()
        self._thread.join()


@contextmanager
def supervised(
    stack: Stack, on_error: Callable[[Exception], None] | None = None
) -> Iterator[Supervisor]:
    """Supervises the started `stack` while the block runs, then stops it, then ends the
    thread. `on_error`: what a supervise() that raised is told; supervision then holds (without
    it, the error ends the thread)."""
    supervisor = Supervisor(stack, on_error)
    try:
        yield supervisor
    finally:
        supervisor.hold()
        stack.stop()  # while the thread that restarted any of its processes still lives
        supervisor.close()
