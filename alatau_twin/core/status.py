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
    return parse_fields(raw.topic, raw.payload, raw.received, raw.source)


def parse_fields(
    topic: str, payload: bytes | str, received: float, source: str
) -> StatusMessage | ProgressMessage:
    """:func:`parse_message` on a raw message's fields.

    The decode process receives raw messages as plain tuples (pickling a tuple is
    several times cheaper than a dataclass instance), so the parser takes the fields.
    """
    network, element, kind = split_topic(topic)
    obj = _decode(payload)
    when = parse_time(obj.get("time", obj.get("timestamp")), received)
    if kind == "progress":
        if "percent" not in obj:
            raise Rejected("missing field", "progress payload has no 'percent'")
        pct = _opt_float(obj, "percent")
        if not 0.0 <= pct <= 100.0:
            raise Rejected("wrong type", f"percent {pct} outside 0..100")
        return ProgressMessage(element, pct, when, source)
    if kind != "status":
        raise Rejected("bad topic", f"{topic!r}: kind must be status or progress")
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
    return StatusMessage(network, element, code, when, value, unit, text, source)


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

    @classmethod
    def empty(cls) -> ApplyResult:
        e = np.zeros(0, np.int64)
        return cls(e, e.copy(), [], [], 0, Counter())

    @classmethod
    def merged(cls, results: Sequence[ApplyResult]) -> ApplyResult:
        """Several batches applied in order, as one (one recolour and one render per
        frame even when a frame applies two batches)."""
        if len(results) == 1:
            return results[0]
        if not results:
            return cls.empty()
        rejected: Counter[str] = Counter()
        for r in results:
            rejected.update(r.rejected)
        return cls(
            np.unique(np.concatenate([r.changed for r in results])),
            np.unique(np.concatenate([r.touched for r in results])),
            [t for r in results for t in r.transitions],
            [p for r in results for p in r.progress],
            sum(r.accepted for r in results),
            rejected,
        )


# A raw message as the decode process receives it: (topic, payload, received, source).
RawTuple = tuple[str, bytes | str, float, str]
_EMPTY_I8 = np.zeros(0, np.int8)


@dataclass(slots=True)
class Decoded:
    """One validated batch: exactly what :meth:`StatusStore.apply_decoded` writes.

    Arrays and a few small containers rather than message objects, so that it pickles
    in tens of microseconds: the decode process sends one per batch to the viewer,
    whose main thread must not pay per message. Unit and text strings travel only for
    the elements whose newest message has one.
    """

    rows: np.ndarray  # int64: element row per accepted status message, arrival order
    codes: np.ndarray  # int8: status code per accepted message
    times: np.ndarray  # float64: epoch seconds
    values: np.ndarray  # float64: NaN where the message had no value
    # Rows whose newest message here has a unit or a text, and those (the store keeps
    # the current unit and text only; repeated strings are one object, pickled once).
    text_rows: np.ndarray  # int64
    units: list[str]  # per ``text_rows``
    texts: list[str]  # per ``text_rows``
    tr_rows: np.ndarray  # int64: transitions (status changes) in arrival order ...
    tr_old: np.ndarray  # int8: ... the code before
    tr_new: np.ndarray  # int8: ... the code after
    tr_times: np.ndarray  # float64: ... and when
    progress: list[ProgressMessage]  # accepted construction progress (rare)
    accepted: dict[str, int]  # accepted messages per source, in order of first acceptance
    last_time: dict[str, float]  # per source: time of its last accepted status message
    # (source, reason) -> (count, last detail), in the order the rejections happened.
    rejected: dict[tuple[str, str], tuple[int, str]]
    messages: int = 0  # raw messages in the batch (for rates)
    seconds: float = 0.0  # how long decoding took, where it ran


def _count_reject(
    rejected: dict[tuple[str, str], tuple[int, str]], source: str, reason: str, detail: str
) -> None:
    key = (source, reason)
    seen = rejected.get(key)
    rejected[key] = (1, detail) if seen is None else (seen[0] + 1, detail)


class Decoder:
    """The per-message half of the pipeline: parse, validate, order-check (core).

    It holds what validation needs and nothing else: ``networks`` (network ->
    {element id: row}), ``progress_ids`` (features a progress message may name; empty:
    any) and each row's current ``time`` and ``code`` (to refuse "out of order" and to
    see transitions). :meth:`decode` runs every check of :meth:`StatusStore.ingest`, in
    the same order and with the same reasons and details, and returns a
    :class:`Decoded` without touching a store, so that it can run in another process
    (``alatau_twin.io.feeds.decode_worker``): the viewer's main thread then only
    applies arrays.

    A decoder that ``advance``s owns copies of time and code and moves them with each
    batch it decodes: it runs ahead of its store by the batches in flight, which the
    store applies in the same order. The store's own decoder reads the store's arrays
    and does not advance (the store applies each batch at once).
    """

    def __init__(
        self,
        networks: dict[str, dict[str, int]] | None = None,
        progress_ids: Iterable[str] = (),
        time: np.ndarray | None = None,
        code: np.ndarray | None = None,
        *,
        advance: bool = True,
    ) -> None:
        self.networks: dict[str, dict[str, int]] = {} if networks is None else networks
        self.progress_ids: set[str] = (
            progress_ids if isinstance(progress_ids, set) else set(progress_ids)
        )
        n = sum(len(ids) for ids in self.networks.values())
        self.time: np.ndarray = np.full(n, -np.inf) if time is None else time
        self.code: np.ndarray = np.full(n, UNKNOWN, np.int8) if code is None else code
        self.advance = advance

    @classmethod
    def from_store(cls, store: StatusStore) -> Decoder:
        """A decoder with its own copy of ``store``'s elements and state."""
        d = cls(advance=True)
        d.sync(store.networks, store.progress_ids, store.time, store.code)
        return d

    def __len__(self) -> int:
        return len(self.time)

    def sync(
        self,
        networks: dict[str, dict[str, int]] | None,
        progress_ids: Iterable[str] | None,
        time: np.ndarray,
        code: np.ndarray,
    ) -> None:
        """Take a store's state (at start, or after anything applied elsewhere);
        ``None`` keeps the elements or progress ids as they are."""
        if networks is not None:
            self.networks = {k: dict(v) for k, v in networks.items()}
        if progress_ids is not None:
            self.progress_ids = set(progress_ids)
        self.time = np.array(time, np.float64)
        self.code = np.array(code, np.int8)

    def register(self, elements: Iterable[tuple[str, str]]) -> None:
        """Add (network, element id) pairs, numbered as :meth:`StatusStore.register`
        numbers them (known ones are ignored)."""
        n, new = len(self.time), 0
        for network, eid in elements:
            ids = self.networks.setdefault(network, {})
            if eid in ids:
                continue
            ids[eid] = n + new
            new += 1
        if new:
            self.time = np.concatenate([self.time, np.full(new, -np.inf)])
            self.code = np.concatenate([self.code, np.full(new, UNKNOWN, np.int8)])

    def decode(self, batch: Iterable[RawMessage | RawTuple], now_limit: float) -> Decoded:
        """Parse and validate raw messages (objects or tuples) in arrival order.

        ``now_limit``: messages dated later are refused as "future timestamp" (the
        owner's clock plus :data:`FUTURE_TOLERANCE_S`; the clock stays with the owner).
        """
        t0 = _time.perf_counter()
        parsed: list[StatusMessage | ProgressMessage] = []
        rejected: dict[tuple[str, str], tuple[int, str]] = {}
        for raw in batch:
            if type(raw) is tuple:
                topic, payload, received, source = raw
            else:
                topic, payload, received, source = (
                    raw.topic,  # type: ignore[union-attr]
                    raw.payload,  # type: ignore[union-attr]
                    raw.received,  # type: ignore[union-attr]
                    raw.source,  # type: ignore[union-attr]
                )
            try:
                parsed.append(parse_fields(topic, payload, received, source))
            except Rejected as exc:
                _count_reject(rejected, source, exc.reason, f"{topic}: {exc.detail}")
        n = len(parsed) + sum(c for c, _ in rejected.values())
        out = self.check(parsed, now_limit, rejected)
        out.messages = n
        out.seconds = _time.perf_counter() - t0
        return out

    def check(
        self,
        messages: Iterable[StatusMessage | ProgressMessage],
        now_limit: float,
        rejected: dict[tuple[str, str], tuple[int, str]] | None = None,
    ) -> Decoded:
        """Validate parsed messages against the elements and their current state.

        The loop only checks and collects into Python lists (dict lookups, no numpy
        scalar writes, which cost ~0.1 us each); arrays are made once per batch.
        ``rejected``: rejections so far (the parse's), added to in order.
        """
        nets = self.networks
        pids = self.progress_ids
        code, tarr = self.code, self.time
        rej: dict[tuple[str, str], tuple[int, str]] = {} if rejected is None else rejected
        cur_t: dict[int, float] = {}
        cur_c: dict[int, int] = {}
        rows: list[int] = []
        codes: list[int] = []
        times: list[float] = []
        values: list[float] = []
        last_text: dict[int, tuple[str, str]] = {}  # row -> (unit, text) of its newest
        transitions: list[tuple[int, int, int, float]] = []
        progress: list[ProgressMessage] = []
        accepted_by: Counter[str] = Counter()
        last_by: dict[str, float] = {}
        for m in messages:
            if m.time > now_limit:
                _count_reject(rej, m.source, "future timestamp", _where(m))
                continue
            if isinstance(m, ProgressMessage):
                if pids and m.feature_id not in pids:
                    _count_reject(rej, m.source, "unknown element", _where(m))
                    continue
                progress.append(m)
                accepted_by[m.source] += 1
                continue
            ids = nets.get(m.network)
            if ids is None:
                _count_reject(rej, m.source, "unknown network", _where(m))
                continue
            r = ids.get(m.element_id)
            if r is None:
                _count_reject(rej, m.source, "unknown element", _where(m))
                continue
            t_prev = cur_t.get(r)
            if t_prev is None:
                t_prev = tarr.item(r)
                cur_c[r] = code.item(r)
            if m.time < t_prev:
                _count_reject(rej, m.source, "out of order", _where(m))
                continue
            cur_t[r] = m.time
            old = cur_c[r]
            if old != m.status:
                transitions.append((r, old, m.status, m.time))
                cur_c[r] = m.status
            if m.unit or m.message:
                last_text[r] = (m.unit, m.message)
            elif last_text:
                last_text.pop(r, None)
            rows.append(r)
            codes.append(m.status)
            times.append(m.time)
            values.append(m.value)
            accepted_by[m.source] += 1
            last_by[m.source] = m.time
        if self.advance and cur_t:
            k = len(cur_t)
            at = np.fromiter(cur_t.keys(), np.int64, k)
            tarr[at] = np.fromiter(cur_t.values(), np.float64, k)
            code[at] = np.fromiter((cur_c[r] for r in cur_t), np.int8, k)
        if transitions:
            tr_r, tr_o, tr_n, tr_t = zip(*transitions, strict=True)
            tr = (
                np.array(tr_r, np.int64),
                np.array(tr_o, np.int8),
                np.array(tr_n, np.int8),
                np.array(tr_t, np.float64),
            )
        else:
            tr = (np.zeros(0, np.int64), _EMPTY_I8, _EMPTY_I8, np.zeros(0))
        return Decoded(
            np.array(rows, np.int64),
            np.array(codes, np.int8),
            np.array(times, np.float64),
            np.array(values, np.float64),
            *_texts(last_text),
            *tr,
            progress,
            dict(accepted_by),
            last_by,
            rej,
        )


def _where(m: StatusMessage | ProgressMessage) -> str:
    """The detail a refused parsed message is counted with: ``network/element``."""
    if isinstance(m, ProgressMessage):
        return f"construction/{m.feature_id}"
    return f"{m.network}/{m.element_id}"


def _texts(last: dict[int, tuple[str, str]]) -> tuple[np.ndarray, list[str], list[str]]:
    """(rows, units, texts) from row -> (unit, text), equal strings made one object:
    a feed repeats a few units and messages, and pickle sends an object once."""
    if not last:
        return np.zeros(0, np.int64), [], []
    same: dict[str, str] = {}
    units = [same.setdefault(u, u) for u, _ in last.values()]
    texts = [same.setdefault(t, t) for _, t in last.values()]
    return np.fromiter(last.keys(), np.int64, len(last)), units, texts


def _objects(items: list[str]) -> np.ndarray:
    """A 1-D object array of strings (``np.array`` would make a fixed-width one)."""
    out = np.empty(len(items), object)
    out[:] = items
    return out


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
        # Bumped when element state (time, code) or the element set changes: a
        # decoder running ahead in another process knows when to resync.
        self.revision = 0
        self._init_arrays(0)
        self._decoder = Decoder(advance=False)
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
        self.revision += 1

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
    # Two halves: a per-message pass (Decoder: json parse, checks, order) that needs
    # only ids and each row's time and code, and vectorised writes (apply_decoded).
    # The viewer runs the first half in another process (io.feeds.decode_worker).
    def decoder(self) -> Decoder:
        """The store's own decoder: reads the store's arrays, changes nothing."""
        d = self._decoder
        d.networks, d.progress_ids = self.networks, self.progress_ids
        d.time, d.code = self.time, self.code
        return d

    def now_limit(self) -> float:
        """Latest message time accepted now (the clock plus the skew tolerance)."""
        return self.clock() + FUTURE_TOLERANCE_S

    def decode(
        self, batch: Sequence[RawMessage | RawTuple], now_limit: float | None = None
    ) -> Decoded:
        """Validate raw messages against the store's current state, changing nothing."""
        limit = self.now_limit() if now_limit is None else now_limit
        return self.decoder().decode(batch, limit)

    def ingest(self, batch: Sequence[RawMessage]) -> ApplyResult:
        """Parse and apply raw messages in arrival order; bad ones are counted by reason.

        One Python pass (json parse + checks, a few microseconds each) then the array
        writes; per-element order is enforced: a message older than the element's
        current time is rejected as out of order rather than rewinding the state.
        """
        return self.apply_decoded(self.decode(batch))

    def apply(self, messages: Iterable[StatusMessage | ProgressMessage]) -> ApplyResult:
        """Apply parsed messages (see :meth:`ingest`)."""
        return self.apply_decoded(self.decoder().check(messages, self.now_limit()))

    def apply_decoded(self, decoded: Decoded) -> ApplyResult:
        """Write a validated batch: current state, history rings, per-source counters.

        No per-message Python work but the rare transitions, so its cost does not
        depend on what the messages say: what the viewer's main thread pays per frame.
        ``decoded`` must come from a decoder whose state matched this store's (this
        store's own, or one kept in step with it).
        """
        d = decoded
        touched = np.zeros(0, np.int64)
        if len(d.rows):
            touched = self._write(d)
            self.revision += 1
        rejected: Counter[str] = Counter()
        for (src, reason), (n, detail) in d.rejected.items():
            rejected[reason] += n
            self.reject(src, reason, detail, n)
        last = d.last_time
        for src, n in d.accepted.items():
            st = self.source(src)
            st.accepted += n
            if src in last:
                st.last_time = last[src]
        transitions = list(
            zip(
                d.tr_rows.tolist(),
                d.tr_old.tolist(),
                d.tr_new.tolist(),
                d.tr_times.tolist(),
                strict=True,
            )
        )
        return ApplyResult(
            np.unique(d.tr_rows),
            touched,
            transitions,
            list(d.progress),
            sum(d.accepted.values()),
            rejected,
        )

    def _write(self, d: Decoded) -> np.ndarray:
        """The array writes of a batch; returns the rows written (sorted, unique).

        One stable sort by row serves everything: it groups each element's messages
        in arrival order, so a group's last is the element's new state and a
        message's rank in its group is its slot after the ring's write position.
        """
        rows = d.rows
        m = len(rows)
        order = np.argsort(rows, kind="stable")
        sr = rows[order]
        first = np.empty(m, bool)
        first[0] = True
        np.not_equal(sr[1:], sr[:-1], out=first[1:])
        starts = np.flatnonzero(first)
        ends = np.empty_like(starts)
        ends[:-1] = starts[1:]
        ends[-1] = m
        per = ends - starts
        uniq = sr[starts]
        # Last message per element wins for the current state.
        last = order[ends - 1]
        self.code[uniq] = d.codes[last]
        self.time[uniq] = d.times[last]
        self.value[uniq] = d.values[last]
        self.unit[uniq] = ""
        self.text[uniq] = ""
        if len(d.text_rows):
            self.unit[d.text_rows] = _objects(d.units)
            self.text[d.text_rows] = _objects(d.texts)
        # History: the k-th message of an element in this batch goes k slots after its
        # ring's write position.
        rank = np.arange(m) - np.repeat(starts, per)
        slot = (self.h_next[sr] + rank) % self.history
        self.h_time[sr, slot] = d.times[order]
        self.h_code[sr, slot] = d.codes[order]
        self.h_value[sr, slot] = d.values[order]
        self.h_next[uniq] = (self.h_next[uniq] + per) % self.history
        self.h_count[uniq] += per
        return uniq

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
        self.count_floods(store, dropped, result)
        return result

    @property
    def flood_detail(self) -> str:
        """What a message this queue refused is counted with (reason "flood")."""
        return f"queue full ({self.maxlen} messages)"

    def count_floods(self, store: StatusStore, dropped: Counter[str], result: ApplyResult) -> None:
        """Count messages :meth:`drain` reported dropped against their sources."""
        for src, n in dropped.items():
            store.reject(src, "flood", self.flood_detail, n)
            result.rejected["flood"] += n
