"""The status pipeline's core: message validation, the store, history rings, alarms."""

from __future__ import annotations

import json

import numpy as np
import pytest

from alatau_twin.core.alarms import AlarmBook
from alatau_twin.core.status import (
    FAULT,
    OK,
    STATUS_CODE,
    MessageQueue,
    ProgressMessage,
    RawMessage,
    Rejected,
    StatusStore,
    encode_status,
    parse_message,
)

T0 = 1_800_000_000.0  # 2027-01-15, a fixed "now" so tests do not depend on the clock


def raw(topic: str, payload, source: str = "test", received: float = T0) -> RawMessage:
    body = payload if isinstance(payload, str | bytes) else json.dumps(payload)
    return RawMessage(topic, body, received, source)


def store(**kw) -> StatusStore:
    pairs = [("power", "T1"), ("power", "T2"), ("water", "J1")]
    return StatusStore(pairs, clock=lambda: T0, **kw)


@pytest.mark.parametrize(
    ("topic", "payload", "reason"),
    [
        ("alatau/power/T1/status", "{not json", "malformed json"),
        ("alatau/power/T1/status", "[1, 2]", "not an object"),
        ("power/T1/status", {"status": "ok"}, "bad topic"),
        ("alatau/power/T1/colour", {"status": "ok"}, "bad topic"),
        ("alatau/power/T1/status", {"value": 3}, "missing field"),
        ("alatau/power/T1/status", {"status": 3}, "wrong type"),
        ("alatau/power/T1/status", {"status": "ok", "value": "high"}, "wrong type"),
        ("alatau/power/T1/status", {"status": "ok", "time": "yesterday"}, "wrong type"),
        ("alatau/power/T1/status", {"status": "on fire"}, "bad status"),
        ("alatau/construction/B1/progress", {"time": 1}, "missing field"),
        ("alatau/construction/B1/progress", {"percent": 140}, "wrong type"),
    ],
)
def test_bad_messages_are_rejected_with_a_reason(topic, payload, reason):
    with pytest.raises(Rejected) as info:
        parse_message(raw(topic, payload))
    assert info.value.reason == reason


def test_a_good_message_parses_with_iso_time_value_unit_and_text():
    m = parse_message(
        raw(
            "alatau/power/T1/status",
            {
                "status": "Degraded",
                "time": "2027-01-15T08:00:00Z",
                "value": 93.5,
                "unit": "%",
                "message": "overload",
            },
        )
    )
    assert (m.network, m.element_id, m.status) == ("power", "T1", STATUS_CODE["degraded"])
    assert m.time == T0  # 2027-01-15T08:00:00Z
    assert (m.value, m.unit, m.message) == (93.5, "%", "overload")
    topic, payload = encode_status(m)
    again = parse_message(RawMessage(topic, payload, T0, "x"))
    assert (again.element_id, again.status, again.time) == ("T1", m.status, m.time)


def test_progress_topic_gives_a_progress_message():
    m = parse_message(raw("alatau/construction/GATE-B0001/progress", {"percent": 42, "time": T0}))
    assert isinstance(m, ProgressMessage)
    assert (m.feature_id, m.percent, m.time) == ("GATE-B0001", 42.0, T0)


def test_store_counts_every_rejection_by_reason_and_source():
    s = store()
    batch = [
        raw("alatau/power/T1/status", {"status": "fault", "time": T0}),
        raw("alatau/power/T1/status", {"status": "ok", "time": T0 - 60}),  # older
        raw("alatau/power/T9/status", {"status": "ok", "time": T0}),
        raw("alatau/gas/G1/status", {"status": "ok", "time": T0}),
        raw("alatau/power/T2/status", {"status": "ok", "time": T0 + 3600}),
        raw("alatau/power/T2/status", "{", source="other"),
    ]
    result = s.ingest(batch)
    assert result.accepted == 1
    assert dict(result.rejected) == {
        "out of order": 1,
        "unknown element": 1,
        "unknown network": 1,
        "future timestamp": 1,
        "malformed json": 1,
    }
    assert s.status_of("power", "T1") == "fault"
    assert s.status_of("power", "T2") == "unknown"
    assert s.stats["test"].rejected_total == 4
    assert s.stats["other"].rejected["malformed json"] == 1
    assert "T9" in s.stats["test"].examples["unknown element"]


def test_history_is_a_bounded_ring_in_time_order():
    s = store(history=4)
    msgs = [
        raw("alatau/power/T1/status", {"status": w, "time": T0 - 100 + i, "value": float(i)})
        for i, w in enumerate(["ok", "degraded", "fault", "ok", "ok", "degraded"])
    ]
    s.ingest(msgs[:2])
    s.ingest(msgs[2:])
    times, codes, values = s.history_of(s.row("power", "T1"))
    assert len(times) == 4  # memory stays flat: only the last 4 are kept
    assert list(values) == [2.0, 3.0, 4.0, 5.0]
    assert np.all(np.diff(times) > 0)
    assert codes[0] == FAULT and codes[-1] == STATUS_CODE["degraded"]
    # The status at a past time comes back from the ring (the time cursor uses this).
    at = s.codes_at(T0 - 100 + 2.5)
    assert at[s.row("power", "T1")] == FAULT
    assert at[s.row("power", "T2")] == STATUS_CODE["unknown"]


def test_transitions_report_old_and_new_status_once_per_change():
    s = store()
    r = s.ingest(
        [
            raw("alatau/power/T1/status", {"status": "ok", "time": T0 - 3}),
            raw("alatau/power/T1/status", {"status": "ok", "time": T0 - 2}),
            raw("alatau/power/T1/status", {"status": "fault", "time": T0 - 1}),
        ]
    )
    row = s.row("power", "T1")
    assert [(t[1], t[2]) for t in r.transitions] == [(STATUS_CODE["unknown"], OK), (OK, FAULT)]
    assert list(r.changed) == [row]


def test_full_queue_drops_and_counts_a_flood_without_blocking():
    s = store()
    q = MessageQueue(maxlen=10)
    msgs = [
        raw("alatau/power/T1/status", {"status": "ok", "time": T0 - 100 + i}, source="spam")
        for i in range(25)
    ]
    assert q.put_many(msgs) == 10
    result = q.drain_into(s)
    assert result.accepted == 10
    assert result.rejected["flood"] == 15
    assert s.stats["spam"].rejected["flood"] == 15
    assert len(q) == 0


def test_alarms_raise_escalate_acknowledge_and_clear():
    book = AlarmBook()
    book.transition("power", "T1", STATUS_CODE["unknown"], OK, T0)
    assert not book.active  # a first healthy report is not an alarm
    book.transition("power", "T1", OK, STATUS_CODE["degraded"], T0 + 1)
    book.transition("water", "J1", OK, STATUS_CODE["maintenance"], T0 + 2)
    assert [a.severity_name for a in book.sorted_alarms()] == ["warning", "info"]
    assert book.acknowledge("power", "T1", T0 + 3)
    book.transition("power", "T1", STATUS_CODE["degraded"], FAULT, T0 + 4)
    top = book.sorted_alarms()[0]
    assert (top.element_id, top.severity_name, top.acknowledged) == ("T1", "critical", False)
    book.transition("power", "T1", FAULT, OK, T0 + 5)
    assert ("power", "T1") not in book.active
    kinds = [e.kind for e in book.events]
    assert kinds == ["raised", "raised", "acknowledged", "changed", "cleared"]
