"""The dev server's event feed (eventual/local/feed.py): a ring of the last records, in order,
and the sinks that see each one."""

from __future__ import annotations

from eventual.local.feed import BODY_PREVIEW, RECENT_EVENTS, EventRecord, Feed


def record(n: int, body: str | bytes | None = None) -> EventRecord:
    return EventRecord("message", "chat", "$default", f"conn{n}=", 200, 1.0, body=body)


def test_the_ring_keeps_the_last_size_records_numbered_from_one() -> None:
    feed = Feed(size=3)
    for n in range(5):
        feed.record(record(n))
    assert [(event.seq, event.connection) for event in feed.recent] == [
        (3, "conn2="),
        (4, "conn3="),
        (5, "conn4="),
    ]
    assert feed.last_seq == 5


def test_the_server_keeps_a_thousand() -> None:
    feed = Feed()
    for n in range(1001):
        feed.record(record(n))
    assert len(feed.recent) == 1000 == RECENT_EVENTS
    assert feed.recent[0].seq == 2


def test_since_gives_what_came_after_a_seq_while_it_is_kept() -> None:
    feed = Feed(size=3)
    for n in range(5):
        feed.record(record(n))
    assert [event.seq for event in feed.since(4)] == [5]
    assert [event.seq for event in feed.since(3)] == [4, 5]
    assert [event.seq for event in feed.since(2)] == [3, 4, 5]
    assert [event.seq for event in feed.since(1)] == [3, 4, 5]  # 2 is gone: all that is kept
    assert [event.seq for event in feed.since(0)] == [3, 4, 5]
    assert [event.seq for event in feed.since(-7)] == [3, 4, 5]
    assert feed.since(5) == []
    assert feed.since(9) == []  # another run of the server's seq: nothing of this one's


def test_each_sink_sees_each_record_in_order_until_removed() -> None:
    feed = Feed()
    seen: list[tuple[str, int]] = []

    def first(event: EventRecord) -> None:
        seen.append(("first", event.seq))

    def second(event: EventRecord) -> None:
        seen.append(("second", event.seq))

    feed.add_sink(first)
    feed.add_sink(second)
    feed.record(record(1))
    feed.remove_sink(first)
    feed.record(record(2))
    assert seen == [("first", 1), ("second", 1), ("second", 2)]


def test_a_sink_removed_while_records_go_out_does_not_disturb_them() -> None:
    feed = Feed()
    seen: list[int] = []

    def once(event: EventRecord) -> None:
        seen.append(event.seq)
        feed.remove_sink(once)

    feed.add_sink(once)
    feed.add_sink(lambda event: seen.append(-event.seq))
    feed.record(record(1))
    feed.record(record(2))
    assert seen == [1, -1, -2]


def test_a_body_is_kept_whole_up_to_the_preview_and_cut_past_it() -> None:
    whole = record(1, "x" * 2048)
    assert (whole.body, whole.body_length) == ("x" * 2048, 2048)
    cut = record(2, "y" * 2049)
    assert (cut.body, cut.body_length) == ("y" * 2048, 2049)
    cut_bytes = record(3, b"\xff" * 5000)
    assert (cut_bytes.body, cut_bytes.body_length) == (b"\xff" * 2048, 5000)
    assert BODY_PREVIEW == 2048
    none = record(4)
    assert (none.body, none.body_length) == (None, 0)
