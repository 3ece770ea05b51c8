"""The decode/apply split of the status pipeline gives exactly what the single
per-message pass gave: same results, same store, same counters and examples.

The reference below is that pass as it was before the split (issue 5), kept verbatim
in spirit: parse each message, then one loop of lookups and order checks collecting
lists, then the array writes. Batches mix every kind of good and bad message.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import pickle
import random
from collections import Counter

import numpy as np
import pytest

from alatau_twin.core.status import (
    FUTURE_TOLERANCE_S,
    STATUSES,
    ApplyResult,
    Decoder,
    ProgressMessage,
    RawMessage,
    Rejected,
    StatusStore,
    parse_message,
)

T0 = 1_800_000_000.0  # a fixed "now" (2027-01-15)
ELEMENTS = [("power", f"T{i}") for i in range(12)] + [("water", f"J{i}") for i in range(5)]
PROGRESS_IDS = ("B1", "B2")


# -- the reference: the pipeline before the split --------------------------------------
def reference_ingest(store: StatusStore, batch: list[RawMessage]) -> ApplyResult:
    parsed = []
    rejected: Counter[str] = Counter()
    for raw in batch:
        try:
            parsed.append(parse_message(raw))
        except Rejected as exc:
            rejected[exc.reason] += 1
            store.reject(raw.source, exc.reason, f"{raw.topic}: {exc.detail}")
    result = reference_apply(store, parsed)
    result.rejected.update(rejected)
    return result


def _rej(store, counter, source, reason, m) -> None:
    counter[reason] += 1
    eid = getattr(m, "element_id", getattr(m, "feature_id", "?"))
    net = getattr(m, "network", "construction")
    store.reject(source, reason, f"{net}/{eid}")


def reference_apply(store: StatusStore, messages) -> ApplyResult:
    now_limit = store.clock() + FUTURE_TOLERANCE_S
    nets = store.networks
    code, tarr = store.code, store.time
    cur_t: dict[int, float] = {}
    cur_c: dict[int, int] = {}
    rows, codes, times, values, kept = [], [], [], [], []
    transitions, progress = [], []
    rejected: Counter[str] = Counter()
    accepted_by: Counter[str] = Counter()
    last_by: dict[str, float] = {}
    for m in messages:
        if m.time > now_limit:
            _rej(store, rejected, m.source, "future timestamp", m)
            continue
        if isinstance(m, ProgressMessage):
            if store.progress_ids and m.feature_id not in store.progress_ids:
                _rej(store, rejected, m.source, "unknown element", m)
                continue
            progress.append(m)
            accepted_by[m.source] += 1
            continue
        ids = nets.get(m.network)
        if ids is None:
            _rej(store, rejected, m.source, "unknown network", m)
            continue
        r = ids.get(m.element_id)
        if r is None:
            _rej(store, rejected, m.source, "unknown element", m)
            continue
        t_prev = cur_t.get(r)
        if t_prev is None:
            t_prev = tarr.item(r)
            cur_c[r] = code.item(r)
        if m.time < t_prev:
            _rej(store, rejected, m.source, "out of order", m)
            continue
        cur_t[r] = m.time
        old = cur_c[r]
        if old != m.status:
            transitions.append((r, old, m.status, m.time))
            cur_c[r] = m.status
        rows.append(r)
        codes.append(m.status)
        times.append(m.time)
        values.append(m.value)
        kept.append(m)
        accepted_by[m.source] += 1
        last_by[m.source] = m.time
    if rows:
        _reference_write(store, rows, codes, times, values, kept)
    for src, n in accepted_by.items():
        st = store.source(src)
        st.accepted += n
        if src in last_by:
            st.last_time = last_by[src]
    changed = np.unique(np.fromiter((t[0] for t in transitions), np.int64))
    return ApplyResult(
        changed,
        np.unique(np.asarray(rows, np.int64)),
        transitions,
        progress,
        sum(accepted_by.values()),
        rejected,
    )


def _reference_write(store, rows_l, codes_l, times_l, values_l, kept) -> None:
    rows = np.asarray(rows_l, np.int64)
    m = len(rows)
    rev_unique, rev_idx = np.unique(rows[::-1], return_index=True)
    last = m - 1 - rev_idx
    store.code[rev_unique] = np.asarray(codes_l, np.int8)[last]
    store.time[rev_unique] = np.asarray(times_l)[last]
    store.value[rev_unique] = np.asarray(values_l)[last]
    for r, i in zip(rev_unique.tolist(), last.tolist(), strict=True):
        store.unit[r] = kept[i].unit
        store.text[r] = kept[i].message
    order = np.argsort(rows, kind="stable")
    sr = rows[order]
    starts = np.flatnonzero(np.r_[True, sr[1:] != sr[:-1]])
    rank = np.arange(m) - np.repeat(starts, np.diff(np.r_[starts, m]))
    slot = (store.h_next[sr] + rank) % store.history
    store.h_time[sr, slot] = np.asarray(times_l)[order]
    store.h_code[sr, slot] = np.asarray(codes_l, np.int8)[order]
    store.h_value[sr, slot] = np.asarray(values_l, np.float32)[order]
    per = np.bincount(sr, minlength=len(store))[rev_unique]
    store.h_next[rev_unique] = (store.h_next[rev_unique] + per) % store.history
    store.h_count[rev_unique] += per


# -- messages of every kind -------------------------------------------------------------
def mixed_batch(rng: random.Random, n: int, t_base: float) -> list[RawMessage]:
    """Good and bad messages in a realistic jumble (seeded: the same every run)."""
    out: list[RawMessage] = []
    words = [*STATUSES, "Degraded", " FAULT ", "on fire", ""]
    for i in range(n):
        net, eid = rng.choice(ELEMENTS)
        source = rng.choice(["a", "b", ""])
        topic = f"alatau/{net}/{eid}/status"
        received = t_base + rng.uniform(0, 30)
        # Times mostly rise, jittering back now and then: some come out of order.
        t = t_base + 0.02 * i + rng.uniform(-0.3, 0.05)
        body: dict = {"status": rng.choice(words[:6]), "time": t}
        kind = rng.random()
        if kind < 0.45:
            pass  # a plain good reading
        elif kind < 0.52:
            body["value"] = rng.choice([rng.uniform(0, 100), 7, None])
            body["unit"] = rng.choice(["%", "kV", "", None])
            body["message"] = rng.choice(["feeder trip", "", "x" * 600, None])
        elif kind < 0.55:
            body["time"] = dt.datetime.fromtimestamp(t, dt.UTC).isoformat().replace("+00:00", "Z")
        elif kind < 0.57:
            body["time"] = t * 1000.0  # milliseconds
        elif kind < 0.59:
            del body["time"]
            body["timestamp"] = t
        elif kind < 0.60:
            del body["time"]  # falls back to the receive time
        elif kind < 0.62:
            body["status"] = rng.choice(words[6:])  # Degraded / " FAULT " / bad ones
        elif kind < 0.64:
            body["time"] = t_base + FUTURE_TOLERANCE_S + rng.uniform(10, 1e4)  # future
        elif kind < 0.66:
            body["value"] = rng.choice(["high", True, [1]])  # wrong type
        elif kind < 0.67:
            body["unit"] = 3  # wrong type
        elif kind < 0.68:
            body["time"] = rng.choice(["yesterday", True, math.inf, {"a": 1}])
        elif kind < 0.69:
            del body["status"]  # missing field
        elif kind < 0.70:
            body["status"] = 2  # wrong type
        elif kind < 0.73:
            topic = rng.choice(
                ["alatau/gas/G1/status", f"alatau/{net}/NOPE/status", "alatau/power/T1/x"]
            )
        elif kind < 0.75:
            topic = rng.choice(["power/T1/status", "alatau/power//status", "alatau/x"])
        elif kind < 0.80:
            fid = rng.choice(["B1", "B2", "B9"])
            topic = f"alatau/construction/{fid}/progress"
            body = {"percent": rng.choice([10.0, 55, 140, None]), "time": t}
            if rng.random() < 0.2:
                del body["percent"]
        elif kind < 0.83:
            out.append(
                RawMessage(topic, rng.choice(["{not json", "[1, 2]", "3"]), received, source)
            )
            continue
        elif kind < 0.85:
            out.append(RawMessage(topic, b"\xff\xfe{", received, source))
            continue
        payload: str | bytes = json.dumps(body)
        if rng.random() < 0.5:
            payload = payload.encode()
        out.append(RawMessage(topic, payload, received, source))
    return out


def make_store(**kw) -> StatusStore:
    return StatusStore(ELEMENTS, clock=lambda: T0 + 60, progress_ids=PROGRESS_IDS, **kw)


def assert_same_result(got: ApplyResult, want: ApplyResult) -> None:
    assert got.changed.dtype == want.changed.dtype == np.int64
    assert got.touched.dtype == want.touched.dtype == np.int64
    np.testing.assert_array_equal(got.changed, want.changed)
    np.testing.assert_array_equal(got.touched, want.touched)
    assert got.transitions == want.transitions
    assert [type(x) for t in got.transitions for x in t] == [
        type(x) for t in want.transitions for x in t
    ]
    assert got.progress == want.progress
    assert got.accepted == want.accepted
    assert got.rejected == want.rejected


def assert_same_store(got: StatusStore, want: StatusStore) -> None:
    for name in ("code", "time", "value", "h_time", "h_code", "h_value", "h_next", "h_count"):
        np.testing.assert_array_equal(getattr(got, name), getattr(want, name), err_msg=name)
    assert got.unit.tolist() == want.unit.tolist()
    assert got.text.tolist() == want.text.tolist()
    assert list(got.stats) == list(want.stats)  # same sources, made in the same order
    for k in want.stats:
        g, w = got.stats[k], want.stats[k]
        assert g.to_dict() == w.to_dict()
        assert list(g.rejected) == list(w.rejected)
        assert g.last_time == w.last_time or (math.isnan(g.last_time) and math.isnan(w.last_time))


# -- tests --------------------------------------------------------------------------------
def test_the_mixed_batches_cover_every_kind_of_rejection() -> None:
    store = make_store()
    rng = random.Random(5)
    reasons: Counter[str] = Counter()
    for k in range(6):
        reasons.update(reference_ingest(store, mixed_batch(rng, 500, T0 + 40 * k)).rejected)
    assert set(reasons) | {"flood"} == {
        "malformed json",
        "not an object",
        "bad topic",
        "missing field",
        "wrong type",
        "bad status",
        "unknown network",
        "unknown element",
        "out of order",
        "future timestamp",
        "flood",
    }


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_ingest_gives_what_the_single_pass_gave(seed: int) -> None:
    new, old = make_store(history=16), make_store(history=16)
    rng = random.Random(seed)
    sent = 0
    for k in range(8):
        batch = mixed_batch(rng, rng.choice([1, 50, 700]), T0 + 40 * k)
        sent += len(batch)
        assert_same_result(new.ingest(batch), reference_ingest(old, batch))
        assert_same_store(new, old)
    assert sum(s.accepted for s in new.stats.values()) > 0.3 * sent
    assert new.stats["a"].examples  # details recorded, compared above


def test_apply_of_parsed_messages_gives_what_the_single_pass_gave() -> None:
    new, old = make_store(), make_store()
    rng = random.Random(11)
    for k in range(5):
        parsed = []
        for raw in mixed_batch(rng, 400, T0 + 40 * k):
            try:
                parsed.append(parse_message(raw))
            except Rejected:
                pass
        assert_same_result(new.apply(parsed), reference_apply(old, parsed))
        assert_same_store(new, old)


def test_a_decoder_running_ahead_matches_ingest_batch_by_batch() -> None:
    """The decode process's situation: it decodes batch k+1 before the store applied
    batch k; its own copy of times and codes must carry the order checks across."""
    rng = random.Random(21)
    batches = [mixed_batch(rng, 300, T0 + 20 * k) for k in range(6)]
    direct, piped = make_store(), make_store()
    ahead = Decoder.from_store(piped)
    decoded = [
        ahead.decode([(r.topic, r.payload, r.received, r.source) for r in b], T0 + 360)
        for b in batches
    ]
    for b, d in zip(batches, decoded, strict=True):
        d = pickle.loads(pickle.dumps(d))  # as it crosses the pipe
        assert_same_result(piped.apply_decoded(d), direct.ingest(b))
    assert_same_store(piped, direct)
    np.testing.assert_array_equal(ahead.time, direct.time)
    np.testing.assert_array_equal(ahead.code, direct.code)


def test_decoded_counts_messages_and_keeps_only_texts_that_exist() -> None:
    store = make_store()
    batch = [
        RawMessage("alatau/power/T1/status", json.dumps({"status": "ok", "time": T0}), T0, "a"),
        RawMessage(
            "alatau/power/T2/status",
            json.dumps({"status": "fault", "time": T0, "unit": "%", "message": "trip"}),
            T0,
            "a",
        ),
        RawMessage("alatau/power/T2/status", "{", T0, "b"),
    ]
    d = store.decode(batch)
    assert d.messages == 3
    assert d.text_rows.tolist() == [store.row("power", "T2")]
    assert (d.units, d.texts) == (["%"], ["trip"])
    assert d.rejected == {("b", "malformed json"): (1, d.rejected["b", "malformed json"][1])}
    assert store.revision == 1  # decoding changed nothing
    result = store.apply_decoded(d)
    assert (result.accepted, dict(result.rejected)) == (2, {"malformed json": 1})
    assert store.text[store.row("power", "T2")] == "trip"


def test_register_numbers_rows_like_the_store_and_sync_takes_a_stores_state() -> None:
    store = make_store()
    dec = Decoder.from_store(store)
    more = [("power", "T99"), ("gas", "G1"), ("power", "T1"), ("gas", "G1")]
    store.register(more)
    dec.register(more)
    assert dec.networks == store.networks
    assert len(dec) == len(store)
    store.ingest(
        [RawMessage("alatau/gas/G1/status", json.dumps({"status": "fault", "time": T0}), T0)]
    )
    other = Decoder()
    other.sync(store.networks, store.progress_ids, store.time, store.code)
    assert other.code[store.row("gas", "G1")] == STATUSES.index("fault")
    assert other.networks == store.networks and other.networks is not store.networks
