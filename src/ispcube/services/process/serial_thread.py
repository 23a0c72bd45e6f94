"""One background thread that runs calls in the order they were given (P1).

A large import spends about as long waiting for the database as checking rows; with the
database calls on this thread the two overlap (the driver releases the GIL while it waits).
Every call on the import's connection goes through here, so the connection is never used by
two threads at once, and reads queue behind earlier writes, seeing them as the import would
without the thread. After a call fails, the later ones are not run and the failure is raised
to the caller at its next call or at `finish`.
"""

from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, Callable


class SerialThread:
    def __init__(self, backlog: int = 2, name: str = "serial"):
        self._pool = ThreadPoolExecutor(1, thread_name_prefix=name)
        self._sent: deque[Future] = deque()
        self._backlog = backlog
        self._failure: BaseException | None = None

    def ask(self, call: Callable[..., Any], *args: Any) -> Any:
        """Run CALL after everything sent before it; wait for and return its result."""
        return self._submit(call, args).result()

    def send(self, call: Callable[..., Any], *args: Any) -> None:
        """Queue CALL; waits only while more than BACKLOG calls are still queued."""
        self._sent.append(self._submit(call, args))
        while len(self._sent) > self._backlog:
            self._sent.popleft().result()
        while self._sent and self._sent[0].done():
            self._sent.popleft().result()

    def finish(self) -> None:
        """Wait for every queued call; raise the first failure."""
        while self._sent:
            self._sent.popleft().result()

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)

    def __enter__(self) -> "SerialThread":
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def _submit(self, call: Callable[..., Any], args: tuple) -> Future:
        if self._failure is not None:
            raise self._failure
        return self._pool.submit(self._run, call, args)

    def _run(self, call: Callable[..., Any], args: tuple) -> Any:
        if self._failure is not None:
            raise self._failure
        try:
            return call(*args)
        except BaseException as exc:
            self._failure = exc
            raise
