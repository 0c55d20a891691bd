"""Creates and look-alike checks sent to the sales service many at a time.

A first sync brings thousands of contacts and meetings; one RPC each made the broker's
round trip the whole cost. A sync step adds operations with what to do with each answer
and flushes once a page (before the page's cursor commits): ``sales.batch`` runs each
operation through its single entrypoint, with the same checks, and answers each.

An operation refused is raised after the answers before it were handled (their links
are saved in the page's transaction; the refused one and those after it are not — the
page is read again on the next sync, and idempotency keys bring back what was made).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from services.platform.errors import BY_NAME, OspreyError

#: The most operations one ``sales.batch`` call carries (sales takes up to 500).
BATCH_SIZE = 200

Done = Callable[[Any], None]


def error_of(answer: dict[str, Any]) -> OspreyError:
    """A refused operation's answer as the error its single call would have raised."""
    error = dict(answer.get("error") or {})
    kind = BY_NAME.get(str(error.get("type")), OspreyError)
    if kind.__name__ == "DuplicatesFound":
        return kind(error.get("message", ""), error.get("errors"), error.get("candidates"))
    return kind(error.get("message", ""), error.get("errors"))


class SalesBatch:
    """Operations waiting for one ``sales.batch`` call, each with its ``done``."""

    def __init__(
        self,
        call: Callable[[list[dict[str, Any]]], list[dict[str, Any]]],
        size: int = BATCH_SIZE,
    ):
        #: ``call(operations)`` → answers: the sales proxy's ``batch`` as the caller
        self._call = call
        self._size = size
        self._waiting: list[tuple[dict[str, Any], Done, Callable[[OspreyError], bool] | None]] = []

    def __len__(self) -> int:
        return len(self._waiting)

    def add(
        self,
        operation: dict[str, Any],
        done: Done,
        refused: Callable[[OspreyError], bool] | None = None,
    ) -> None:
        """Queue ``operation``; ``done(result)`` is called with its answer. A refusal
        goes to ``refused(error)`` when given (True: handled), else it is raised."""
        self._waiting.append((operation, done, refused))
        if len(self._waiting) >= self._size:
            self.flush()

    def run(self, operations: list[dict[str, Any]]) -> list[Any]:
        """Send ``operations`` now (in calls of at most the batch size); the results in
        order. The first refusal is raised."""
        results: list[Any] = []
        for start in range(0, len(operations), self._size):
            for answer in self._call(operations[start : start + self._size]):
                if not answer.get("ok"):
                    raise error_of(answer)
                results.append(answer["result"])
        return results

    def flush(self) -> None:
        """Send what waits and hand each answer to its ``done``, in order."""
        while self._waiting:
            waiting, self._waiting = self._waiting[: self._size], self._waiting[self._size :]
            answers = self._call([operation for operation, _, _ in waiting])
            for (_, done, refused), answer in zip(waiting, answers, strict=True):
                if answer.get("ok"):
                    done(answer["result"])
                    continue
                error = error_of(answer)
                if refused is None or not refused(error):
                    self._waiting = []
                    raise error
