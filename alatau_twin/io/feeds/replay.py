"""Replay of a recorded or hand-written log, as fast as possible or at N x real time (io).

Two formats, chosen by extension (``.csv`` is CSV, anything else JSON Lines):

**JSON Lines**, one object per line, in any of three shapes (mixed freely)::

    {"topic": "alatau/power/P-TS-GATE-01/status", "payload": {"status": "ok", "time": "..."}}
    {"network": "power", "id": "P-TS-GATE-01", "status": "fault", "time": "...", "message": "trip"}
    {"feature_id": "GATE-ICONIC-1", "percent": 42.5, "time": "..."}

The first is also what :mod:`record` writes (plus ``received`` and ``source``), so a
recorded session replays as it was. **CSV** with a header::

    time,network,id,status,value,unit,message[,percent]

where a row with network ``construction`` (or a percent and no status) is a
construction progress report for feature ``id``.

Every line becomes one raw message for the normal pipeline, which validates it: a
bad status word, an unknown id or an out-of-order time in a log is rejected and
counted exactly as it would be from a broker. A line that is not a message at all
(broken JSON, a JSON array, a CSV row missing columns) becomes a message on the topic
``alatau/<file name>/line <n>/status`` that the pipeline rejects for the right reason
(``malformed json``, ``not an object``, ``missing field``), so the line number shows in
the per-source examples and nothing is silently skipped.

Timing: ``speed=0`` sends everything as fast as the consumer drains it (waiting when
the queue is nearly full rather than dropping: a log is not a live feed); ``speed=N``
waits N times faster than the gaps between the lines' timestamps (``received`` if the
line has one, else the payload's ``time``).
"""

from __future__ import annotations

import csv
import io
import json
import math
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from alatau_twin.core.status import (
    RawMessage,
    Rejected,
    parse_time,
    progress_topic,
    status_topic,
)
from alatau_twin.io.feeds.base import FeedError, FeedSource, Sink

CSV_COLUMNS = ("time", "network", "id", "status", "value", "unit", "message")
_ROUTING_KEYS = ("network", "id", "element_id")


def _num_or_text(text: str) -> float | str | None:
    """A CSV cell as a number when it is one, else the text (the pipeline decides)."""
    text = text.strip()
    if not text:
        return None
    try:
        value = float(text)
    except ValueError:
        return text
    return value if math.isfinite(value) else text


def _time_of(value: Any) -> float | None:
    try:
        t = parse_time(value, math.nan)
    except Rejected:
        return None
    return None if math.isnan(t) else t


class LogReader:
    """Turns the lines of a log into ``(timing, RawMessage)`` pairs (pure, no threads).

    ``timing`` is the time used to pace a replay (None when the line has none).
    ``received`` of each message is the line's ``received``, else its own time, else
    the last time seen, so a replay of the same file gives the same messages.
    """

    def __init__(self, path: str | Path, source: str, *, fmt: str | None = None) -> None:
        self.path = Path(path)
        self.source = source
        self.label = self.path.name or "log"
        self.fmt = fmt or ("csv" if self.path.suffix.lower() == ".csv" else "jsonl")
        if self.fmt not in ("csv", "jsonl"):
            raise FeedError(f"replay format must be csv or jsonl, not {self.fmt!r}")
        self._last: float | None = None
        self._fallback = time.time()

    def _received(self, explicit: Any, own: float | None) -> float:
        t = (
            explicit
            if isinstance(explicit, int | float) and not isinstance(explicit, bool)
            else None
        )
        t = float(t) if t is not None and math.isfinite(t) else own
        if t is None:
            t = self._last if self._last is not None else self._fallback
        self._last = t
        return t

    def _bad(self, lineno: int, payload: str, received: float | None = None) -> RawMessage:
        """A line that is not a message: the pipeline rejects ``payload`` for its reason."""
        topic = f"alatau/{self.label}/line {lineno}/status"
        return RawMessage(topic, payload, self._received(None, received), self.source)

    def messages(self) -> Iterator[tuple[float | None, RawMessage]]:
        if not self.path.is_file():
            raise FeedError(f"replay log {str(self.path)!r} does not exist")
        with open(self.path, encoding="utf-8", errors="replace", newline="") as fh:
            if self.fmt == "csv":
                yield from self._csv(fh)
            else:
                yield from self._jsonl(fh)

    # -- JSON Lines ----------------------------------------------------------------
    def _jsonl(self, fh: io.TextIOBase) -> Iterator[tuple[float | None, RawMessage]]:
        for lineno, line in enumerate(fh, 1):
            text = line.strip()
            if not text or text.startswith("#"):
                continue
            try:
                obj = json.loads(text)
            except ValueError:
                yield None, self._bad(lineno, text)
                continue
            yield self.from_object(obj, lineno, text)

    def from_object(self, obj: Any, lineno: int, text: str = "") -> tuple[float | None, RawMessage]:
        """One decoded JSON Lines record as (timing, message)."""
        if not isinstance(obj, dict):
            return None, self._bad(lineno, text or json.dumps(obj))
        if "topic" in obj:
            payload = obj.get("payload", {})
            stamped = obj.get("received")
            if not isinstance(stamped, int | float) or isinstance(stamped, bool):
                stamped = None  # a recording has it; a hand-written log may not
            own = None
            if isinstance(payload, dict):
                if stamped is None:  # only then is the payload's time needed here
                    own = _time_of(payload.get("time", payload.get("timestamp")))
                body: str = json.dumps(payload)
            elif isinstance(payload, str):
                body = payload  # recorded raw text (often the reason it failed)
            else:
                body = json.dumps(payload)
            received = self._received(stamped, own)
            timing = received if stamped is not None else own
            raw = RawMessage(str(obj["topic"]), body, received, self.source)
            return timing, raw
        own = _time_of(obj.get("time", obj.get("timestamp")))
        if "feature_id" in obj:
            topic = progress_topic(str(obj["feature_id"]))
            payload = {k: v for k, v in obj.items() if k != "feature_id"}
        elif "network" in obj and ("id" in obj or "element_id" in obj):
            eid = obj.get("id", obj.get("element_id"))
            topic = status_topic(str(obj["network"]), str(eid))
            payload = {k: v for k, v in obj.items() if k not in _ROUTING_KEYS}
        else:
            # No routing: an empty payload makes the pipeline say "missing field".
            return own, self._bad(lineno, "{}", own)
        received = self._received(obj.get("received"), own)
        return own, RawMessage(topic, json.dumps(payload), received, self.source)

    # -- CSV -----------------------------------------------------------------------
    def _csv(self, fh: io.TextIOBase) -> Iterator[tuple[float | None, RawMessage]]:
        reader = csv.reader(fh)
        header: list[str] | None = None
        for row in reader:
            lineno = reader.line_num
            if not row or (len(row) == 1 and not row[0].strip()):
                continue
            if row[0].lstrip().startswith("#"):
                continue
            if header is None:
                header = [c.strip().lower() for c in row]
                missing = [c for c in ("time", "network", "id", "status") if c not in header]
                if missing:
                    raise FeedError(
                        f"{self.path}: CSV logs start with the header "
                        f"{','.join(CSV_COLUMNS)}[,percent]; missing {', '.join(missing)}"
                    )
                continue
            if len(row) != len(header):
                yield None, self._bad(lineno, "{}")
                continue
            rec = dict(zip(header, row, strict=True))
            yield self._csv_row(rec, lineno)

    def _csv_row(self, rec: dict[str, str], lineno: int) -> tuple[float | None, RawMessage]:
        t_cell = _num_or_text(rec.get("time", ""))
        own = _time_of(t_cell)
        network = rec.get("network", "").strip()
        eid = rec.get("id", "").strip()
        if not network or not eid:
            return own, self._bad(lineno, "{}", own)
        payload: dict[str, Any] = {}
        if t_cell is not None:
            payload["time"] = t_cell
        status = rec.get("status", "").strip()
        percent = _num_or_text(rec.get("percent", ""))
        if network == "construction" or (percent is not None and not status):
            topic = progress_topic(eid)
            if percent is not None:
                payload["percent"] = percent
        else:
            topic = status_topic(network, eid)
            if status:
                payload["status"] = status
            value = _num_or_text(rec.get("value", ""))
            if value is not None:
                payload["value"] = value
            for key in ("unit", "message"):
                if rec.get(key, "").strip():
                    payload[key] = rec[key].strip()
        received = self._received(None, own)
        return own, RawMessage(topic, json.dumps(payload), received, self.source)


def read_log(path: str | Path, source: str = "", fmt: str | None = None) -> list[RawMessage]:
    """Every message of a log, in order (tests, benchmarks, ``feed record`` checks)."""
    src = source or f"file:{path}"
    return [raw for _, raw in LogReader(path, src, fmt=fmt).messages()]


class ReplaySource(FeedSource):
    """A log replayed into the pipeline from a thread.

    ``speed``: 0 = as fast as the consumer drains (with back-pressure unless
    ``backpressure=False``), N = N x real time. ``max_gap`` (wall seconds) caps a
    single wait, so a log with a night's silence does not stall a demo.
    """

    kind = "replay"

    def __init__(
        self,
        path: str | Path,
        *,
        speed: float = 0.0,
        name: str | None = None,
        fmt: str | None = None,
        backpressure: bool = True,
        max_gap: float | None = None,
        chunk: int = 2000,
        record: str | None = None,
    ) -> None:
        super().__init__(name or f"file:{path}", record=record)
        if speed < 0:
            raise FeedError(f"replay speed must be >= 0, not {speed}")
        self.path = Path(path)
        if not self.path.is_file():
            raise FeedError(f"replay log {str(self.path)!r} does not exist")
        self.speed = float(speed)
        self.fmt = fmt
        # Read the first line now, so a CSV without its header fails before any thread.
        next(iter(LogReader(self.path, self.name, fmt=fmt).messages()), None)
        self.backpressure = backpressure
        self.max_gap = max_gap
        self.chunk = max(1, int(chunk))
        self._queue: Any = None

    def start(self, queue: Sink, on_state: Any = None) -> None:
        self._queue = queue
        super().start(queue, on_state)

    def _wait_for_room(self, n: int) -> bool:
        """With back-pressure: wait while the queue could not take ``n`` more."""
        q = self._queue
        maxlen = getattr(q, "maxlen", None)
        if not self.backpressure or maxlen is None:
            return False
        while len(q) + n > maxlen:
            if self.sleep(0.005):
                return True
        return False

    def _run(self) -> None:
        reader = LogReader(self.path, self.name, fmt=self.fmt)
        self.set_state("connected", f"replaying {self.path.name} at " + self._speed_text())
        batch: list[RawMessage] = []
        wall0 = time.monotonic()
        t_first: float | None = None
        t_high = -math.inf
        for timing, raw in reader.messages():
            if self.stopping:
                break
            if self.speed > 0 and timing is not None:
                if t_first is None:
                    t_first = timing
                t_high = max(t_high, timing)
                due = wall0 + (t_high - t_first) / self.speed
                wait = due - time.monotonic()
                if wait > 0.002:
                    self.emit(batch)
                    batch = []
                    if self.max_gap is not None and wait > self.max_gap:
                        wall0 -= wait - self.max_gap  # shift the schedule: skip the gap
                        wait = self.max_gap
                    if self.sleep(wait):
                        break
            batch.append(raw)
            if len(batch) >= self.chunk:
                if self._wait_for_room(len(batch)):
                    break
                self.emit(batch)
                batch = []
        else:
            if not self._wait_for_room(len(batch)):
                self.emit(batch)
            self.set_state("finished", f"{self.sent} messages from {self.path.name}")
            return
        self.set_state("stopped", f"{self.sent} messages from {self.path.name}")

    def _speed_text(self) -> str:
        return "full speed" if self.speed == 0 else f"{self.speed:g}x real time"
