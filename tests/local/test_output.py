"""What ``eventual local`` prints per event (eventual/local/output.py), from the feed's records."""

from __future__ import annotations

import time

from eventual.local.feed import EventRecord
from eventual.local.output import event_line

AT = time.mktime((2026, 3, 4, 12, 3, 4, 0, 0, -1))  # 12:03:04 local time


def at_noon(event: EventRecord) -> EventRecord:
    event.at = AT + 0.75
    return event


def test_a_route_s_line_is_time_socket_route_connection_status_and_ms() -> None:
    event = at_noon(EventRecord("message", "chat", "sendMessage", "L0SM9cOFvHcCIhw=", 200, 3.4))
    assert event_line(event) == "12:03:04 chat sendMessage L0SM9cOFvHcCIhw= 200 3 ms"


def test_a_timed_out_or_failed_event_prints_its_status() -> None:
    assert event_line(at_noon(EventRecord("message", "chat", "$default", "a=", 504, 29000.4))) == (
        "12:03:04 chat $default a= 504 29000 ms"
    )
    assert event_line(at_noon(EventRecord("authorizer", "chat", "authorizer", "a=", 500, 1.6))) == (
        "12:03:04 chat authorizer a= 500 2 ms"
    )


def test_a_fan_out_batch_names_its_broadcast_and_size() -> None:
    event = at_noon(EventRecord("fan-out", "chat", "fan-out", "b-123", 200, 12.0, detail="500 connections"))
    assert event_line(event) == "12:03:04 chat fan-out b-123 200 12 ms (500 connections)"
