"""Live status of network elements: messages, validation and the state store (core).

Every feed (the simulator, a replayed log, an MQTT broker) hands the same thing to the
same pipeline: raw ``(topic, payload)`` pairs. :func:`parse_message` turns one into a
:class:`StatusMessage` (or a :class:`ProgressMessage` for construction), or rejects it
with a *reason* from :data:`REJECT_REASONS`; :class:`StatusStore` applies accepted
messages to flat numpy arrays (one row per element) and keeps a bounded history per
element, so memory stays flat however long a session runs. Nothing here knows Qt, VTK
or sockets: the same code runs in the viewer, in ``alatau-twin watch`` and in tests.

Topics follow ``alatau/<network>/<element_id>/status`` with a JSON object payload::

    {"status": "fault", "time": "2026-11-22T05:40:00Z", "value": 87.5, "unit": "%",
     "message": "feeder trip"}

and ``alatau/construction/<feature_id>/progress`` with ``{"percent": 42.0, "time": ...}``.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import math
import time as _time
from collections import Counter, deque
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

STATUSES: tuple[str, ...] = ("ok", "degraded", "fault", "maintenance", "offline", "unknown")
STATUS_CODE: dict[str, int] = {s: i for i, s in enumerate(STATUSES)}
OK, DEGRADED, FAULT, MAINTENANCE, OFFLINE, UNKNOWN = range(len(STATUSES))
# Statuses that stop supply through an element: the outage trace cuts them.
CUTS_SUPPLY: frozenset[int] = frozenset({FAULT, MAINTENANCE, OFFLINE})
# Alarm severity per status (0 = no alarm). Faults and outages are critical, degraded
# service a warning, planned maintenance is announced but not alarming.
SEVERITY: tuple[int, ...] = (0, 2, 3, 1, 3, 1)
SEVERITY_NAMES = {0: "none", 1: "info", 2: "warning", 3: "critical"}

REJECT_REASONS: tuple[str, ...] = (
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
)

# A message may be this far ahead of the store's clock (clock skew between machines).
FUTURE_TOLERANCE_S = 300.0
_TOPIC_ROOT = "alatau"


class Rejected(Exception):
    """A message refused by the pipeline, with one of :data:`REJECT_REASONS`."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail


@dataclass(frozen=True, slots=True)
class RawMessage:
    """What a feed delivers: a topic, its payload and when and from where it came."""

    topic: str
    payload: bytes | str
    received: float  # epoch seconds (the receiving machine's clock)
    source: str = ""


@dataclass(frozen=True, slots=True)
class StatusMessage:
    """One element's status at a time (epoch seconds, UTC)."""

    network: str
    element_id: str
    status: int  # index into STATUSES
    time: float
    value: float = math.nan
    unit: str = ""
    message: str = ""
    source: str = ""


@dataclass(frozen=True, slots=True)
class ProgressMessage:
    """Construction progress of one feature: percent complete at a time."""

    feature_id: str
    percent: float
    time: float
    source: str = ""


_fromisoformat = dt.datetime.fromisoformat


def parse_time(value: Any, default: float) -> float:
    """Epoch seconds from an ISO 8601 string or a number (seconds, or ms if huge)."""
    if value is None:
        return default
    if type(value) is str and value[-1:] == "Z":
        # The common "...Z" form: Python 3.11+ reads the Z itself, the same result
        # as the general path below at a third of the cost. Anything odd (spaces,
        # a date without a time) falls through to it.
        try:
            return _fromisoformat(value).timestamp()
        except ValueError:
            pass
    if isinstance(value, bool):
        raise Rejected("wrong type", f"time must be a number or ISO text, not {value!r}")
    if isinstance(value, int | float):
        t = float(value)
        if not math.isfinite(t):
            raise Rejected("wrong type", f"time {value!r} is not finite")
        return t / 1000.0 if t > 1e11 else t  # milliseconds since the epoch
    if isinstance(value, str):
        text = value.strip()
        if text.endswith("Z"):
            text = text[:-1] + "+00:00"
        try:
            d = dt.datetime.fromisoformat(text)
        except ValueError:
            raise Rejected("wrong type", f"time {value!r} is not ISO 8601") from None
        if d.tzinfo is None:
            d = d.replace(tzinfo=dt.UTC)
        return d.timestamp()
    raise Rejected("wrong type", f"time must be a number or ISO text, not {type(value).__name__}")


@functools.lru_cache(maxsize=65536)
def split_topic(topic: str) -> tuple[str, str, str]:
    """``alatau/<network>/<id>/<kind>`` -> (network, id, kind). Ids may contain '/'.

    Cached: a live feed repeats the same few thousand topics, and splitting them was a
    fifth of the per-message cost.
    """
    parts = topic.split("/")
    if len(parts) < 4 or parts[0] != _TOPIC_ROOT or not parts[1] or not parts[-1]:
        raise Rejected("bad topic", f"{topic!r} is not alatau/<network>/<id>/status")
    element = "/".join(parts[2:-1])
    if not element:
        raise Rejected("bad topic", f"{topic!r} has no element id")
    return parts[1], element, parts[-1]


def status_topic(network: str, element_id: str) -> str:
    return f"{_TOPIC_ROOT}/{network}/{element_id}/status"


def progress_topic(feature_id: str) -> str:
    return f"{_TOPIC_ROOT}/construction/{feature_id}/progress"


_json_decode = json.JSONDecoder().decode


def _decode(payload: bytes | str | dict[str, Any]) -> dict[str, Any]:
    if isinstance(payload, dict):
        return payload
    try:
        if isinstance(payload, bytes) and payload[:1] == b"{" and payload[1:2] != b"\x00":
            # What json.loads does for UTF-8 bytes (its encoding sniffing picks utf-8
            # for a '{' not followed by NUL, and it decodes with surrogatepass), minus
            # the sniffing and wrapper calls: ~2.4 us of ~15 us per message.
            obj = _json_decode(payload.decode("utf-8", "surrogatepass"))
        else:
            obj = json.loads(payload)
    except (ValueError, UnicodeDecodeError) as exc:
        raise Rejected("malformed json", str(exc)[:80]) from None
    if not isinstance(obj, dict):
        raise Rejected("not an object", f"payload is a JSON {type(obj).__name__}")
    return obj


def _opt_float(obj: dict[str, Any], key: str) -> float:
    v = obj.get(key)
    if v is None:
        return math.nan
    if isinstance(v, bool) or not isinstance(v, int | float):
        raise Rejected("wrong type", f"{key} must be a number, not {v!r}")
    return float(v)


def _opt_str(obj: dict[str, Any], key: str) -> str:
    v = obj.get(key)
    if v is None:
        return ""
    if not isinstance(v, str):
        raise Rejected("wrong type", f"{key} must be text, not {v!r}")
    return v[:500]


def parse_message(raw: RawMessage) -> StatusMessage | ProgressMessage:
    """Validate one raw message. Raises :class:`Rejected` with a reason on bad input."""
    network, element, kind = split_topic(raw.topic)
    obj = _decode(raw.payload)
    when = parse_time(obj.get("time", obj.get("timestamp")), raw.received)
    if kind == "progress":
        if "percent" not in obj:
            raise Rejected("missing field", "progress payload has no 'percent'")
        pct = _opt_float(obj, "percent")
        if not 0.0 <= pct <= 100.0:
            raise Rejected("wrong type", f"percent {pct} outside 0..100")
        return ProgressMessage(element, pct, when, raw.source)
    if kind != "status":
        raise Rejected("bad topic", f"{raw.topic!r}: kind must be status or progress")
    word = obj.get("status")
    if word is None:
        raise Rejected("missing field", "status payload has no 'status'")
    if not isinstance(word, str):
        raise Rejected("wrong type", f"status must be text, not {word!r}")
    code = STATUS_CODE.get(word)
    if code is None:
        code = STATUS_CODE.get(word.strip().lower())
        if code is None:
            raise Rejected("bad status", f"{word!r} is not one of {', '.join(STATUSES)}")
    # Fast paths for the usual types; anything else goes through the checking helpers.
    value = obj.get("value")
    if type(value) is not float:
        value = _opt_float(obj, "value")
    unit = obj.get("unit")
    if type(unit) is not str or len(unit) > 500:
        unit = _opt_str(obj, "unit")
    text = obj.get("message")
    if type(text) is not str or len(text) > 500:
        text = _opt_str(obj, "message")
    return StatusMessage(network, element, code, when, value, unit, text, raw.source)


def encode_status(msg: StatusMessage) -> tuple[str, bytes]:
    """(topic, payload) for a status message: what the simulator publishes."""
    body: dict[str, Any] = {
        "status": STATUSES[msg.status],
        "time": dt.datetime.fromtimestamp(msg.time, dt.UTC).isoformat().replace("+00:00", "Z"),
    }
    if not math.isnan(msg.value):
        body["value"] = round(msg.value, 3)
    if msg.unit:
        body["unit"] = msg.unit
    if msg.message:
        body["message"] = msg.message
    return status_topic(msg.network, msg.element_id), json.dumps(body).encode()


@dataclass
class SourceStats:
    """Per-feed counters, shown in the UI and printed by ``watch``."""

    name: str
    accepted: int = 0
    rejected: Counter[str] = field(default_factory=Counter)
    last_time: float = math.nan
    state: str = "idle"  # idle, connecting, connected, reconnecting, finished, stopped, error
    detail: str = ""
    examples: dict[str, str] = field(default_factory=dict)  # reason -> last detail

    @property
    def rejected_total(self) -> int:
        return sum(self.rejected.values())

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "state": self.state,
            "detail": self.detail,
            "accepted": self.accepted,
            "rejected": dict(sorted(self.rejected.items())),
            "rejected_total": self.rejected_total,
            "examples": dict(sorted(self.examples.items())),
        }


@dataclass
class ApplyResult:
    """What one batch did: rows whose status changed, progress updates, counts."""

    changed: np.ndarray  # element rows whose status code changed
    touched: np.ndarray  # element rows that got any accepted message
    transitions: list[tuple[int, int, int, float]]  # (row, old code, new code, time)
    progress: list[ProgressMessage]
    accepted: int
    rejected: Counter[str]


class StatusStore:
    """Current status of every known element plus a bounded history per element.

    Elements are registered once (network, id) and get a row; status, time and value
    live in flat arrays indexed by row, so an overlay maps a batch of changed rows to
    colours with one fancy-index. History is a ring buffer of ``history`` entries per
    element (times, codes, values), so memory does not grow with session length.
    """

    def __init__(
        self,
        elements: Iterable[tuple[str, str]] = (),
        *,
        history: int = 256,
        clock: Callable[[], float] = _time.time,
        progress_ids: Iterable[str] = (),
    ) -> None:
        self.history = int(history)
        self.clock = clock
        self.networks: dict[str, dict[str, int]] = {}
        self._keys: list[tuple[str, str]] = []
        self.progress_ids = set(progress_ids)
        self.stats: dict[str, SourceStats] = {}
        self._init_arrays(0)
        self.register(elements)

    def _init_arrays(self, n: int) -> None:
        self.code = np.full(n, UNKNOWN, np.int8)
        self.time = np.full(n, -np.inf)
        self.value = np.full(n, np.nan)
        self.unit = np.full(n, "", dtype=object)
        self.text = np.full(n, "", dtype=object)
        self.out_of_service = np.zeros(n, bool)  # what-if marks (not a feed status)
        h = self.history
        self.h_time = np.full((n, h), np.nan)
        self.h_code = np.full((n, h), -1, np.int8)
        self.h_value = np.full((n, h), np.nan, np.float32)
        self.h_next = np.zeros(n, np.int64)
        self.h_count = np.zeros(n, np.int64)

    def register(self, elements: Iterable[tuple[str, str]]) -> None:
        """Add (network, element id) pairs; known ones are ignored."""
        new = []
        for network, eid in elements:
            ids = self.networks.setdefault(network, {})
            if eid in ids:
                continue
            ids[eid] = len(self._keys) + len(new)
            new.append((network, eid))
        if not new:
            return
        old_n = len(self._keys)
        self._keys.extend(new)
        n = len(self._keys)
        grow = StatusStore.__new__(StatusStore)
        grow.history = self.history
        grow._init_arrays(n)
        for name in (
            "code",
            "time",
            "value",
            "unit",
            "text",
            "out_of_service",
            "h_time",
            "h_code",
            "h_value",
            "h_next",
            "h_count",
        ):
            arr = getattr(grow, name)
            arr[:old_n] = getattr(self, name)[:old_n] if old_n else arr[:old_n]
            setattr(self, name, arr)

    @classmethod
    def for_networks(cls, networks: dict[str, Any], **kwargs: Any) -> StatusStore:
        """A store with every node and link of the scene's networks registered."""
        pairs = [(name, eid) for name, net in networks.items() for eid in net.element_ids()]
        return cls(pairs, **kwargs)

    def __len__(self) -> int:
        return len(self._keys)

    def key(self, row: int) -> tuple[str, str]:
        return self._keys[row]

    def row(self, network: str, element_id: str) -> int:
        return self.networks[network][element_id]

    def rows_of(self, network: str) -> np.ndarray:
        return np.fromiter(self.networks.get(network, {}).values(), np.int64)

    def status_of(self, network: str, element_id: str) -> str:
        return STATUSES[int(self.code[self.row(network, element_id)])]

    def source(self, name: str) -> SourceStats:
        st = self.stats.get(name)
        if st is None:
            st = self.stats[name] = SourceStats(name or "unnamed")
        return st

    def reject(self, source: str, reason: str, detail: str = "", n: int = 1) -> None:
        st = self.source(source)
        st.rejected[reason] += n
        if detail:
            st.examples[reason] = detail[:200]

    # -- the hot path --------------------------------------------------------------
    def ingest(self, batch: Sequence[RawMessage]) -> ApplyResult:
        """Parse and apply raw messages in arrival order; bad ones are counted by reason.

        One Python pass (json parse + checks, a few microseconds each) then the array
        writes; per-element order is enforced: a message older than the element's
        current time is rejected as out of order rather than rewinding the state.
        """
        parsed: list[StatusMessage | ProgressMessage] = []
        rejected: Counter[str] = Counter()
        for raw in batch:
            try:
                parsed.append(parse_message(raw))
            except Rejected as exc:
                rejected[exc.reason] += 1
                self.reject(raw.source, exc.reason, f"{raw.topic}: {exc.detail}")
        result = self.apply(parsed)
        result.rejected.update(rejected)
        return result

    def apply(self, messages: Iterable[StatusMessage | ProgressMessage]) -> ApplyResult:
        """Apply parsed messages (see :meth:`ingest`).

        The loop only checks and collects into Python lists (dict lookups, no numpy
        scalar writes, which cost ~0.1 us each); the arrays and the history rings are
        then written in a few vectorised assignments per batch.
        """
        now_limit = self.clock() + FUTURE_TOLERANCE_S
        nets = self.networks
        code, tarr = self.code, self.time
        cur_t: dict[int, float] = {}
        cur_c: dict[int, int] = {}
        rows: list[int] = []
        codes: list[int] = []
        times: list[float] = []
        values: list[float] = []
        kept: list[StatusMessage] = []
        transitions: list[tuple[int, int, int, float]] = []
        progress: list[ProgressMessage] = []
        rejected: Counter[str] = Counter()
        accepted_by: Counter[str] = Counter()
        last_by: dict[str, float] = {}
        for m in messages:
            if m.time > now_limit:
                self._rej(rejected, m.source, "future timestamp", m)
                continue
            if isinstance(m, ProgressMessage):
                if self.progress_ids and m.feature_id not in self.progress_ids:
                    self._rej(rejected, m.source, "unknown element", m)
                    continue
                progress.append(m)
                accepted_by[m.source] += 1
                continue
            ids = nets.get(m.network)
            if ids is None:
                self._rej(rejected, m.source, "unknown network", m)
                continue
            r = ids.get(m.element_id)
            if r is None:
                self._rej(rejected, m.source, "unknown element", m)
                continue
            t_prev = cur_t.get(r)
            if t_prev is None:
                t_prev = tarr.item(r)
                cur_c[r] = code.item(r)
            if m.time < t_prev:
                self._rej(rejected, m.source, "out of order", m)
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
            self._write(rows, codes, times, values, kept)
        for src, n in accepted_by.items():
            st = self.source(src)
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

    def _write(
        self,
        rows_l: list[int],
        codes_l: list[int],
        times_l: list[float],
        values_l: list[float],
        kept: list[StatusMessage],
    ) -> None:
        rows = np.asarray(rows_l, np.int64)
        m = len(rows)
        # Last message per element wins for the current state.
        rev_unique, rev_idx = np.unique(rows[::-1], return_index=True)
        last = m - 1 - rev_idx
        self.code[rev_unique] = np.asarray(codes_l, np.int8)[last]
        self.time[rev_unique] = np.asarray(times_l)[last]
        self.value[rev_unique] = np.asarray(values_l)[last]
        for r, i in zip(rev_unique.tolist(), last.tolist(), strict=True):
            self.unit[r] = kept[i].unit
            self.text[r] = kept[i].message
        # History: the k-th message of an element in this batch goes k slots after its
        # ring's write position (a stable sort keeps arrival order within an element).
        order = np.argsort(rows, kind="stable")
        sr = rows[order]
        starts = np.flatnonzero(np.r_[True, sr[1:] != sr[:-1]])
        rank = np.arange(m) - np.repeat(starts, np.diff(np.r_[starts, m]))
        slot = (self.h_next[sr] + rank) % self.history
        self.h_time[sr, slot] = np.asarray(times_l)[order]
        self.h_code[sr, slot] = np.asarray(codes_l, np.int8)[order]
        self.h_value[sr, slot] = np.asarray(values_l, np.float32)[order]
        per = np.bincount(sr, minlength=len(self))[rev_unique]
        self.h_next[rev_unique] = (self.h_next[rev_unique] + per) % self.history
        self.h_count[rev_unique] += per

    def _rej(self, counter: Counter[str], source: str, reason: str, m: Any) -> None:
        counter[reason] += 1
        eid = getattr(m, "element_id", getattr(m, "feature_id", "?"))
        net = getattr(m, "network", "construction")
        self.reject(source, reason, f"{net}/{eid}")

    # -- reading -------------------------------------------------------------------
    def history_of(self, row: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(times, codes, values) of one element, oldest first (at most ``history``)."""
        n = int(min(self.h_count[row], self.history))
        k = int(self.h_next[row])
        idx = (np.arange(k - n, k)) % self.history
        return self.h_time[row, idx], self.h_code[row, idx], self.h_value[row, idx]

    def codes_at(self, t: float) -> np.ndarray:
        """Status code per element as of epoch ``t``, from the history rings (unknown
        where the ring holds nothing that old): the time cursor replays history."""
        ht = np.where(np.isnan(self.h_time), np.inf, self.h_time)
        ok = ht <= t
        # Latest entry at or before t per element (ring slots are not time-ordered).
        masked = np.where(ok, ht, -np.inf)
        best = np.argmax(masked, axis=1)
        out = self.h_code[np.arange(len(self)), best].copy()
        out[~ok.any(axis=1)] = UNKNOWN
        return out

    def counts(self, network: str | None = None) -> dict[str, int]:
        """Elements by status word (all networks, or one)."""
        codes = self.code if network is None else self.code[self.rows_of(network)]
        c = np.bincount(codes.astype(np.int64), minlength=len(STATUSES))
        return {s: int(c[i]) for i, s in enumerate(STATUSES)}

    def cut_ids(self, network: str) -> set[str]:
        """Element ids of ``network`` that stop supply now (fault, maintenance,
        offline, or marked out of service for a what-if)."""
        ids = self.networks.get(network, {})
        if not ids:
            return set()
        rows = np.fromiter(ids.values(), np.int64)
        cut = np.isin(self.code[rows], list(CUTS_SUPPLY)) | self.out_of_service[rows]
        keys = list(ids.keys())
        return {keys[i] for i in np.flatnonzero(cut)}

    def snapshot(self) -> dict[str, Any]:
        """Counts and per-source stats as plain data (for `watch --json` and charts)."""
        return {
            "elements": len(self),
            "by_status": self.counts(),
            "by_network": {n: self.counts(n) for n in self.networks},
            "sources": {k: v.to_dict() for k, v in sorted(self.stats.items())},
        }


@dataclass
class StatusTimeline:
    """Counts by status and availability sampled over time, in a bounded ring.

    The charts draw "counts by status over time" and "network availability" from it;
    ``maxlen`` samples (default: a day at one per 10 s) keep memory flat.
    """

    maxlen: int = 8640
    times: deque[float] = field(default_factory=deque)
    counts: deque[tuple[int, ...]] = field(default_factory=deque)
    availability: deque[dict[str, float]] = field(default_factory=deque)

    def __post_init__(self) -> None:
        self.times = deque(self.times, maxlen=self.maxlen)
        self.counts = deque(self.counts, maxlen=self.maxlen)
        self.availability = deque(self.availability, maxlen=self.maxlen)

    def sample(self, t: float, store: StatusStore, availability: dict[str, float]) -> None:
        c = np.bincount(store.code.astype(np.int64), minlength=len(STATUSES))
        self.times.append(float(t))
        self.counts.append(tuple(int(x) for x in c))
        self.availability.append(dict(availability))

    def arrays(self) -> tuple[np.ndarray, np.ndarray]:
        """(times, counts[n, len(STATUSES)])."""
        if not self.times:
            return np.zeros(0), np.zeros((0, len(STATUSES)), np.int64)
        return np.asarray(self.times), np.asarray(self.counts, np.int64)


class MessageQueue:
    """Bounded, thread-safe hand-off from feed threads to the one thread that owns
    the model (the Qt main thread, or `watch`'s loop).

    Feeds only ``put``; the owner ``drain``s once per frame, so however many messages
    arrive there is one apply and at most one render per frame. When the queue is full
    new messages are dropped and counted as ``flood`` for their source: a runaway
    publisher costs memory of ``maxlen`` messages, never more, and never blocks a feed.
    """

    def __init__(self, maxlen: int = 200_000) -> None:
        import threading

        self.maxlen = int(maxlen)
        self._items: deque[RawMessage] = deque()
        self._lock = threading.Lock()
        self._dropped: Counter[str] = Counter()

    def __len__(self) -> int:
        return len(self._items)

    def put(self, raw: RawMessage) -> bool:
        with self._lock:
            if len(self._items) >= self.maxlen:
                self._dropped[raw.source] += 1
                return False
            self._items.append(raw)
            return True

    def put_many(self, raws: Iterable[RawMessage]) -> int:
        """Queue several messages; returns how many were accepted."""
        n = 0
        with self._lock:
            for raw in raws:
                if len(self._items) >= self.maxlen:
                    self._dropped[raw.source] += 1
                    continue
                self._items.append(raw)
                n += 1
        return n

    def drain(self, max_items: int | None = None) -> tuple[list[RawMessage], Counter[str]]:
        """Take up to ``max_items`` queued messages and the flood counts since last time."""
        with self._lock:
            if max_items is None or max_items >= len(self._items):
                out = list(self._items)
                self._items.clear()
            else:
                out = [self._items.popleft() for _ in range(max_items)]
            dropped, self._dropped = self._dropped, Counter()
        return out, dropped

    def drain_into(self, store: StatusStore, max_items: int | None = None) -> ApplyResult:
        """Drain and ingest in one step, counting floods against their sources."""
        batch, dropped = self.drain(max_items)
        result = store.ingest(batch)
        for src, n in dropped.items():
            store.reject(src, "flood", f"queue full ({self.maxlen} messages)", n)
            result.rejected["flood"] += n
        return result
