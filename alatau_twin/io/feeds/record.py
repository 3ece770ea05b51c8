"""Recording a session to JSON Lines, in the very format :mod:`replay` reads (io).

One line per raw message as it arrived, *before* validation, so a replay reproduces
the session exactly, rejects included::

    {"received": 1764133200.125, "source": "mqtt://broker:1883",
     "topic": "alatau/power/P-TS-GATE-01/status",
     "payload": {"status": "fault", "time": "2026-11-22T05:40:00Z"}}

(shown wrapped here; each record is one line in the file).

A payload that is a JSON object is stored as an object (readable, greppable); anything
else (malformed JSON, a bare number, binary) is stored as a string of its text and is
rejected again, for the same reason, when replayed.
"""

from __future__ import annotations

import json
import math
import threading
import time
from collections.abc import Iterable
from pathlib import Path
from typing import IO, Any

from alatau_twin.core.status import RawMessage

FLUSH_EVERY_S = 0.5


def record_line(raw: RawMessage) -> str:
    """One JSON Lines record (no newline) for a raw message."""
    payload: Any = raw.payload
    if not isinstance(payload, dict):  # the pipeline also takes decoded objects
        text = (
            payload.decode("utf-8", "replace")
            if isinstance(payload, bytes | bytearray)
            else str(payload)
        )
        try:
            obj = json.loads(text)
        except ValueError:
            obj = None
        payload = obj if isinstance(obj, dict) else text
    rec = {
        "received": round(raw.received, 6),
        "source": raw.source,
        "topic": raw.topic,
        "payload": payload,
    }
    return json.dumps(rec, ensure_ascii=False, separators=(",", ":"))


class Recorder:
    """A sink that appends every message to a JSON Lines file and forwards it.

    Used as a tee in front of the model's queue (``watch --record``, ``record=`` on
    any feed) or alone (``feed record``). Writes happen on the feed's thread, which
    already lives outside the model; a lock lets several feeds share one file.
    """

    def __init__(self, path: str | Path, forward: Any = None, *, append: bool = False) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._fh: IO[str] | None = open(
            self.path, "a" if append else "w", encoding="utf-8", buffering=1 << 16
        )
        self.forward = forward
        self.count = 0
        self._lock = threading.Lock()
        self._flushed = -math.inf

    def put(self, raw: RawMessage) -> bool:
        self._write([raw])
        return self.forward.put(raw) if self.forward is not None else True

    def put_many(self, raws: Iterable[RawMessage]) -> int:
        raws = list(raws)
        self._write(raws)
        return self.forward.put_many(raws) if self.forward is not None else len(raws)

    def _write(self, raws: list[RawMessage]) -> None:
        if not raws:
            return
        text = "".join(record_line(r) + "\n" for r in raws)
        with self._lock:
            if self._fh is None:
                return
            self._fh.write(text)
            self.count += len(raws)
            now = time.monotonic()
            if now - self._flushed >= FLUSH_EVERY_S:  # a crash loses at most this much
                self._fh.flush()
                self._flushed = now

    def flush(self) -> None:
        with self._lock:
            if self._fh is not None:
                self._fh.flush()

    def close(self) -> None:
        with self._lock:
            fh, self._fh = self._fh, None
        if fh is not None:
            fh.close()

    def __enter__(self) -> Recorder:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
