"""The runtime's failure log, kept for the event's record (eventual/local/failures.py)."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator

import pytest

from eventual import socket
from eventual.local.failures import FailureLog
from eventual.runtime.apigateway import MalformedEvent
from eventual.runtime.failures import log_failure, refuse
from tests.apigw_events import message_event

chat = socket("failing-chat", {"$default": lambda request, context: None})


@pytest.fixture
def failures() -> Iterator[FailureLog]:
    log = FailureLog(kept=2)
    log.install()
    yield log
    log.uninstall()


def fail(request_id: str, message: str = "on purpose") -> None:
    event = message_event("hi", request_id=request_id)
    try:
        raise RuntimeError(message)
    except RuntimeError as error:
        log_failure(chat, event, error)


def test_a_failure_is_kept_by_request_id_with_its_traceback_and_taken_once(failures: FailureLog) -> None:
    fail("req-1=", "broke on purpose")
    text = failures.take("req-1=")
    assert text is not None
    assert text.startswith("Traceback (most recent call last):")
    assert text.rstrip().endswith("RuntimeError: broke on purpose")
    assert failures.take("req-1=") is None
    assert failures.take("never=") is None


def test_only_the_newest_are_kept(failures: FailureLog) -> None:
    for n in (1, 2, 3):
        fail(f"req-{n}=")
    assert failures.take("req-1=") is None  # kept=2: the oldest went
    assert failures.take("req-2=") is not None
    assert failures.take("req-3=") is not None


def test_a_refused_malformed_event_keeps_its_message(failures: FailureLog) -> None:
    event = message_event("hi", request_id="req-bad=")
    refuse(chat, event, MalformedEvent("routeKey is missing"))
    assert failures.take("req-bad=") == "failing-chat refused a malformed event: routeKey is missing"


def test_other_lines_are_ignored(failures: FailureLog) -> None:
    runtime = logging.getLogger("eventual.runtime")
    runtime.error("not json at all")
    runtime.error(json.dumps(["a", "list"]))
    runtime.error(json.dumps({"message": "no request id"}))
    assert failures._by_request == {}


def test_uninstalled_it_sees_nothing() -> None:
    log = FailureLog()
    log.install()
    log.uninstall()
    fail("req-after=")
    assert log.take("req-after=") is None
