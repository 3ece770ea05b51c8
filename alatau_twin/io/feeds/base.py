"""What every feed source is: a thread that turns some input into raw messages (io).

A feed (the simulator, a replayed log, an MQTT broker) never touches the model. It runs
in its own thread(s) and hands :class:`~alatau_twin.core.status.RawMessage` objects to a
*sink*, normally the :class:`~alatau_twin.core.status.MessageQueue` that the model's
owner (the Qt main thread, or ``watch``'s loop) drains once per frame. Keeping feeds on
the far side of that queue is what lets a flooding or hanging feed cost a bounded amount
of memory and never freeze the viewer.

A feed also has a *connection state* (``connecting``, ``connected``, ``reconnecting``,
``finished``, ``stopped``, ``error``) with a line of detail. It is reported two ways,
both safe across threads: an optional ``on_state(name, state, detail)`` callback (the UI
turns it into a Qt signal) and :meth:`FeedSource.report_to`, which the owner calls on
its own thread to copy the state into the store's per-source
:class:`~alatau_twin.core.status.SourceStats`.
"""

from __future__ import annotations

import logging
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable
from typing import Any, Protocol

from alatau_twin.core.status import RawMessage, SourceStats

log = logging.getLogger(__name__)

StateCallback = Callable[[str, str, str], None]  # (source name, state, detail)

STATES: tuple[str, ...] = (
    "idle",
    "connecting",
    "connected",
    "reconnecting",
    "finished",
    "stopped",
    "error",
)


class FeedError(Exception):
    """A feed cannot be opened or started (bad URL, missing file, broker unreachable).

    Raised before any thread runs, so a command can print it and exit with status 2.
    """


class Sink(Protocol):
    """Where a feed puts messages: a :class:`MessageQueue`, a recorder, a publisher."""

    def put(self, raw: RawMessage) -> bool: ...

    def put_many(self, raws: Iterable[RawMessage]) -> int: ...


class FeedSource(ABC):
    """A pluggable source of raw messages that runs in its own thread.

    Subclasses implement :meth:`_run` (the thread body; it must return soon after
    ``self._stop_event`` is set) or override :meth:`start`/:meth:`stop` when a library
    owns the thread (MQTT). ``name`` is also the ``source`` of every message, so the
    store counts accepted and rejected messages per feed.
    """

    kind: str = "feed"

    def __init__(self, name: str, *, record: str | None = None) -> None:
        self.name = name
        self.record_path = record
        self.state = "idle"
        self.detail = ""
        # (wall time, state, detail) of every change: the UI's connection log and tests.
        self.state_history: list[tuple[float, str, str]] = []
        self.sent = 0  # messages handed to the sink (dropped ones included)
        self._lock = threading.Lock()
        self._on_state: StateCallback | None = None
        self._stop_event = threading.Event()
        self._thread: threading.Thread | None = None
        self._sink: Sink | None = None
        self._recorder: Any = None

    # -- lifecycle -----------------------------------------------------------------
    def start(self, queue: Sink, on_state: StateCallback | None = None) -> None:
        """Begin delivering messages to ``queue`` from a background thread."""
        if self._thread is not None:
            raise RuntimeError(f"feed {self.name!r} already started")
        self._on_state = on_state
        self._sink = self._wrap_sink(queue)
        self._stop_event.clear()
        self._thread = threading.Thread(target=self._guarded_run, name=f"feed {self.name}")
        self._thread.daemon = True
        self._thread.start()

    def stop(self) -> None:
        """Ask the feed to stop; returns at once (see :meth:`join`)."""
        self._stop_event.set()

    def join(self, timeout: float | None = None) -> bool:
        """Wait for the feed's thread to end; True when it has."""
        if self._thread is not None:
            self._thread.join(timeout)
            if self._thread.is_alive():
                return False
        self._close_recorder()
        return True

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    @property
    def finished(self) -> bool:
        """True when the feed has nothing more to send (a replay at its end)."""
        return self.state in ("finished", "stopped", "error") and not self.running

    # -- state ---------------------------------------------------------------------
    def set_state(self, state: str, detail: str = "", *, quiet: bool = False) -> None:
        """Record a connection state change, log it and tell the callback (any thread).

        ``quiet``: not logged (a stand-in relaying a state its client logged already).
        """
        with self._lock:
            if state == self.state and detail == self.detail:
                return
            self.state, self.detail = state, detail
            self.state_history.append((time.time(), state, detail))
        if not quiet:
            log.info("feed %s: %s%s", self.name, state, f" ({detail})" if detail else "")
        cb = self._on_state
        if cb is not None:
            try:
                cb(self.name, state, detail)
            except Exception:  # a broken UI callback must not kill the feed
                log.exception("feed %s: state callback failed", self.name)

    def report_to(self, stats: SourceStats) -> None:
        """Copy the state into the store's stats for this source (call on the owner's
        thread: the store belongs to the model, feeds never write it themselves)."""
        with self._lock:
            stats.state, stats.detail = self.state, self.detail

    def states_seen(self) -> list[str]:
        with self._lock:
            return [s for _, s, _ in self.state_history]

    def wait_for_state(self, state: str, timeout: float) -> bool:
        """Block until the feed is in ``state`` (tests, ``feed record``)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.state == state:
                return True
            time.sleep(0.02)
        return self.state == state

    # -- for subclasses ------------------------------------------------------------
    def emit(self, raws: list[RawMessage]) -> None:
        """Hand messages to the sink (never blocks: a full queue counts a flood)."""
        if raws and self._sink is not None:
            self._sink.put_many(raws)
            self.sent += len(raws)

    def sleep(self, seconds: float) -> bool:
        """Sleep unless asked to stop; True if the feed should stop."""
        return self._stop_event.wait(max(0.0, seconds))

    @property
    def stopping(self) -> bool:
        return self._stop_event.is_set()

    @abstractmethod
    def _run(self) -> None:
        """The thread body."""

    def _guarded_run(self) -> None:
        try:
            self._run()
        except Exception as exc:  # report, never crash the process
            log.exception("feed %s failed", self.name)
            self.set_state("error", f"{type(exc).__name__}: {exc}")
        finally:
            self._close_recorder()

    def _wrap_sink(self, queue: Sink) -> Sink:
        if not self.record_path:
            return queue
        from alatau_twin.io.feeds.record import Recorder

        self._recorder = Recorder(self.record_path, forward=queue)
        return self._recorder

    def _close_recorder(self) -> None:
        rec, self._recorder = self._recorder, None
        if rec is not None:
            rec.close()

    def describe(self) -> dict[str, Any]:
        return {"name": self.name, "kind": self.kind, "state": self.state, "detail": self.detail}
