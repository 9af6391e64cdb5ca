"""The runtime's failure log, kept by request id for the event's record.

A failing handler or authorizer is logged by the runtime as one JSON line with its traceback
(:mod:`eventual.runtime.failures`), in the worker thread, before its answer reaches the loop; the
loop then records the event (:mod:`eventual.local.feed`) and takes the traceback from here. The
record carries what was logged, not a second account of the failure.
"""

from __future__ import annotations

import json
import logging
import threading
from collections import OrderedDict

RUNTIME_LOGGER = "eventual.runtime"
KEPT = 256
"""Failures waiting for their event's record: the oldest go first (a failure whose record never
comes, say a handler still running at shutdown, holds no memory for long)."""


class FailureLog(logging.Handler):
    """A handler for the runtime's logger: each failure's text by its ``requestId``."""

    def __init__(self, kept: int = KEPT) -> None:
        super().__init__(logging.ERROR)
        self.kept = kept
        self._by_request: OrderedDict[str, str] = OrderedDict()
        self._guard = threading.Lock()  # emit() runs in workers, take() on the loop

    def emit(self, record: logging.LogRecord) -> None:
        try:
            data = json.loads(record.getMessage())
        except ValueError:
            return
        if not isinstance(data, dict) or not isinstance(data.get("requestId"), str):
            return
        text = data.get("traceback") or data.get("message")
        if not isinstance(text, str):
            return
        with self._guard:
            self._by_request[data["requestId"]] = text
            while len(self._by_request) > self.kept:
                self._by_request.popitem(last=False)

    def take(self, request_id: str) -> str | None:
        """The failure logged for ``request_id``, once."""
        with self._guard:
            return self._by_request.pop(request_id, None)

    def install(self) -> None:
        logging.getLogger(RUNTIME_LOGGER).addHandler(self)

    def uninstall(self) -> None:
        logging.getLogger(RUNTIME_LOGGER).removeHandler(self)
