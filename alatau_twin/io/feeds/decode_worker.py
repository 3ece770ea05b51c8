"""Decoding live status messages in a separate process (io: no Qt, no VTK).

Why a process: parsing and validating a message costs 10-20 us of Python, and at 5,000
messages a second that is 5-25 ms of every viewer frame on the main thread, plus GIL
hand-offs with the feed threads (decoding on the feed threads was measured and made
frames slower: it is the same interpreter). A child process has its own interpreter:
the main thread only forwards raw messages as plain tuples and applies the compact
:class:`~alatau_twin.core.status.Decoded` arrays that come back: about 2-3 us a message,
whatever the messages say (bad JSON, unknown elements or not).

How it stays exact: the child runs a :class:`~alatau_twin.core.status.Decoder` that
mirrors the store's elements and each row's time and code, advancing them batch by
batch; the owner applies the results in the same order. At most one batch is in
flight, so the child is always idle in ``recv`` when the owner sends (a send never
waits on a busy child, and the two can never block on each other's full buffers); raw
messages meanwhile wait in the owner's bounded :class:`MessageQueue`, where floods are
counted as before. A tick's batch of at most :data:`SMALL_BATCH` messages (a sparse
feed) is decoded by the owner and applied at once, and mirrored to the child. Whenever
the store changed by anything else than the child's own results or mirrored batches
(messages applied elsewhere, new elements) its state is sent again before the next
batch (``store.revision`` tells).

Failure: if the child cannot start, dies, hangs or fails on a batch, the owner decodes
in process from then on (and logs why); a batch in flight is decoded in process, so no
message is lost. The child is a ``spawn`` process, never ``fork``: the parent has Qt
and GL threads, and a forked copy of their locks can deadlock. It imports only
``core.status``, numpy and the standard library, starts in a fraction of a second
(meanwhile the owner decodes in process), and is a daemon that also ends when the pipe
closes, so the parent's exit never waits on it.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import sys
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from alatau_twin.core.status import (
    ApplyResult,
    Decoded,
    Decoder,
    MessageQueue,
    RawMessage,
    RawTuple,
    StatusStore,
)
from alatau_twin.io.feeds.base import FeedSource

log = logging.getLogger(__name__)

# A child that has not said "ready" by then is given up on (its start is normally
# 0.2-0.5 s; messages are decoded in process meanwhile, so nothing waits for it).
START_TIMEOUT_S = 60.0
# A batch not back by then means a hung child: the largest batch (the viewer's 20,000
# messages) takes ~0.3 s to decode.
BATCH_TIMEOUT_S = 20.0
# A tick's batch this small is decoded here (<= ~0.5 ms) and applied at once rather than
# a tick later; the child decodes it too, to stay in step. A sparse feed (a fault now
# and then) shows without the round trip's tick of delay, and at a steady load the
# batches are far bigger and all go to the child.
SMALL_BATCH = 32


@dataclass
class WorkerStats:
    """Counters for benchmarks and the log: where messages were decoded, at what cost."""

    batches: int = 0  # decoded by the child
    messages: int = 0  # ... in those batches
    child_seconds: float = 0.0  # decode time in the child (its own clock)
    local_batches: int = 0  # decoded in process (before ready, after a failure)
    local_messages: int = 0
    small_batches: int = 0  # decoded in process by design (see SMALL_BATCH)
    small_messages: int = 0
    forward_seconds: float = 0.0  # main thread: tuples, pickling and sending
    apply_seconds: float = 0.0  # main thread: receiving, unpickling and applying
    syncs: int = 0

    @property
    def decode_rate(self) -> float:
        """Messages per second of the child's decode time."""
        return self.messages / self.child_seconds if self.child_seconds > 0 else 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "batches": self.batches,
            "messages": self.messages,
            "child_seconds": self.child_seconds,
            "decode_rate_per_s": self.decode_rate,
            "local_batches": self.local_batches,
            "local_messages": self.local_messages,
            "small_batches": self.small_batches,
            "small_messages": self.small_messages,
            "forward_seconds": self.forward_seconds,
            "apply_seconds": self.apply_seconds,
            "syncs": self.syncs,
        }


def _serve(conn: Any) -> None:
    """The child's loop: decode batches, follow syncs and new elements, run hosted
    feeds, until told to stop or the parent goes away (EOF on the pipe)."""
    import signal
    import traceback

    # Ctrl-C in a terminal reaches the whole process group: the parent decides when
    # the child stops (a KeyboardInterrupt traceback here would only be noise).
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _batch_priority()
    decoder = Decoder(advance=True)
    host = _FeedHost(conn)
    try:
        host.send(("ready",))
        while True:
            msg = conn.recv()
            kind = msg[0]
            if kind == "decode":
                _, batch_id, now_limit, raws, most = msg
                # What the hosted feeds received since the last batch joins the
                # owner's: one decode, one result, in the order the owner applies.
                raws, floods = host.take(raws, most)
                try:
                    decoded = decoder.decode(raws, now_limit)
                    host.count_floods(decoded, floods)
                    out: Any = ("decoded", batch_id, decoded, host.counters())
                except Exception:  # a bug: the owner decodes this batch itself
                    out = ("error", batch_id, traceback.format_exc(), raws)
                host.send(out)
            elif kind == "advance":  # decoded by the owner: only keep in step
                _, now_limit, raws = msg
                try:
                    decoder.decode(raws, now_limit)
                except Exception:
                    host.send(("error", -1, traceback.format_exc(), []))
            elif kind == "sync":
                decoder.sync(*msg[1:])
            elif kind == "register":
                decoder.register(msg[1])
            elif kind == "feed":
                host.start(*msg[1:])
            elif kind == "unfeed":
                host.stop(msg[1])
            elif kind == "stop":
                return
    except (EOFError, OSError):  # the parent closed the pipe or is gone
        return
    finally:
        host.close()


class _FeedHost:
    """The child's side of hosted feeds (see :class:`HostedFeed`): MQTT clients whose
    messages wait in the child's own queue for the owner's next batch, and whose
    connection states go back through the pipe as they happen."""

    def __init__(self, conn: Any) -> None:
        import threading

        self.conn = conn
        # paho's threads report states while the loop sends results: one writer at a time.
        self._lock = threading.Lock()
        self.queue = MessageQueue()
        self.feeds: dict[str, Any] = {}

    def send(self, msg: tuple[Any, ...]) -> None:
        with self._lock:
            self.conn.send(msg)

    def _on_state(self, name: str, state: str, detail: str) -> None:
        try:
            self.send(("feed_state", name, state, detail))
        except (OSError, ValueError):  # the owner is gone; the loop ends on its own
            pass

    def start(self, name: str, options: dict[str, Any], record: str | None) -> None:
        from alatau_twin.io.feeds.mqtt import MqttOptions, MqttSource

        try:
            source = MqttSource(MqttOptions(**options), name=name, record=record)
            self.feeds[name] = source
            source.start(self.queue, self._on_state)
        except Exception as exc:  # FeedError, a bad TLS file: the owner shows it
            self._on_state(name, "error", str(exc))

    def stop(self, name: str) -> None:
        source = self.feeds.pop(name, None)
        if source is not None:
            source.stop()
            source.join(2.0)

    def take(self, raws: list[RawTuple], most: int | None) -> tuple[list[RawTuple], Any]:
        """The owner's raws plus what the hosted feeds queued (at most ``most``)."""
        if not self.feeds and not len(self.queue):
            return raws, None
        mine, dropped = self.queue.drain(most)
        return raws + _as_tuples(mine), dropped

    def count_floods(self, decoded: Decoded, dropped: Any) -> None:
        """Messages the child's full queue refused, counted as the owner's queue
        counts its own (reason "flood", per source)."""
        for src, n in (dropped or {}).items():
            key = (src, "flood")
            seen = decoded.rejected.get(key, (0, ""))[0]
            decoded.rejected[key] = (seen + n, self.queue.flood_detail)
            decoded.messages += n

    def counters(self) -> dict[str, int]:
        return {name: source.received for name, source in self.feeds.items()}

    def close(self) -> None:
        for name in list(self.feeds):
            with contextlib.suppress(Exception):
                self.stop(name)


def _batch_priority() -> None:
    """Never preempt the viewer's main thread when a batch arrives.

    A normal process woken by the pipe, having slept most of the time, preempts the
    sender on its CPU (the kernel's wakeup preemption): the main thread's ``send``
    then returned only after the child had decoded for a while, 1-2 ms per frame on
    2 cores. ``SCHED_BATCH`` tasks do not preempt on wakeup; they still get their fair
    share of CPU. Linux only; elsewhere the default policy stays.

    Not a lower nice value: the child also runs MQTT clients, and at nice 19 it fell
    behind a 5,000 messages/s feed while the window rendered (4,450 applied a second,
    the rest waiting at the broker). That was measured with paho's own reader (~45 us
    a message); the bulk reader (io/feeds/mqtt.py, ~4 us) was not tried at nice 19.
    """
    import os

    setter = getattr(os, "sched_setscheduler", None)
    if setter is not None:
        try:
            setter(0, os.SCHED_BATCH, os.sched_param(0))
        except OSError:
            pass


class DecodeWorker:
    """Decodes a store's raw messages in a child process; the owner applies results.

    Drive it once per frame with :meth:`pump` (non-blocking): it applies what the child
    has decoded and hands it the next batch from the queue. Decoding falls back to the
    owner's thread, permanently, when the child cannot be used (``fallback_reason``).
    """

    def __init__(self, store: StatusStore, *, start: bool = True) -> None:
        self.store = store
        self.process: Any = None
        self._conn: Any = None
        self._ready = False
        self.fallback_reason: str | None = None
        self.stats = WorkerStats()
        self._started_at = 0.0
        # (batch id, now limit, raw tuples, sent at): at most one batch in flight.
        self._in_flight: tuple[int, float, list[RawTuple], float] | None = None
        self._next_id = 0
        self._synced: int | None = None  # store.revision the child's state mirrors
        self._shape_sent: tuple[int, int] | None = None  # (elements, progress ids)
        self._pending: list[tuple[Any, ...]] = []  # control messages for the next send
        # Feeds running in the child (HostedFeed), by name.
        self.hosted: dict[str, HostedFeed] = {}
        if start:
            self.start()

    # -- life cycle ----------------------------------------------------------------
    def start(self) -> None:
        """Spawn the child (returns at once; it says "ready" when it can decode)."""
        if self.process is not None or self.fallback_reason is not None:
            return
        if getattr(sys, "frozen", False):
            # A frozen app's executable is the app itself: spawning it would start
            # another viewer unless its entry point calls freeze_support().
            self._fall_back("not started in a frozen executable")
            return
        self._started_at = time.monotonic()
        try:
            ctx = multiprocessing.get_context("spawn")
            parent, child = ctx.Pipe(duplex=True)
            proc = ctx.Process(
                target=_serve, args=(child,), name="alatau-status-decoder", daemon=True
            )
            with _main_module_hidden():
                proc.start()
        except Exception as exc:  # no processes allowed, no executable, ...
            self._fall_back(f"could not start ({exc})")
            return
        # The parent's copy of the child's end must go, or a dead child is never EOF.
        child.close()
        self.process, self._conn = proc, parent

    @property
    def ready(self) -> bool:
        """The child has started and takes batches (asks it, without waiting)."""
        if not self._ready and self.alive:
            self._collect()  # nothing is in flight before "ready": no result to lose
        return self._ready

    @property
    def alive(self) -> bool:
        """The child is running (or starting) and decodes the next batches."""
        return self._conn is not None and self.fallback_reason is None

    @property
    def busy(self) -> bool:
        """A batch is with the child: :meth:`pump` has work even with an empty queue."""
        return self._in_flight is not None

    def wait_ready(self, timeout: float = 30.0) -> bool:
        """Block until the child can decode (True) or is given up on (False); for
        tests and batch tools: the viewer never waits, it decodes itself meanwhile."""
        deadline = time.monotonic() + timeout
        while not self.ready and self.alive and time.monotonic() < deadline:
            self._conn.poll(0.05)
        return self._ready

    def close(self, timeout: float = 2.0) -> None:
        """Stop the child and wait for it (terminated, then killed, if it dawdles).

        A batch still in flight is dropped: the store is being closed with it.
        """
        proc, conn = self.process, self._conn
        started = self._ready
        self.process = self._conn = None
        self._in_flight = None
        self._ready = False
        if conn is not None:
            try:
                conn.send(("stop",))
            except OSError:
                pass
            # Closing our end also frees a child blocked sending us a result.
            conn.close()
        if proc is not None:
            if not started and proc.is_alive():
                # Still importing (a window closed right after opening): nothing to
                # finish, and waiting for its start would hold up the close.
                proc.terminate()
            _end(proc, timeout)

    def __enter__(self) -> DecodeWorker:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- the per-frame step --------------------------------------------------------
    def pump(self, queue: MessageQueue, max_items: int | None = None) -> ApplyResult | None:
        """Apply what the child has decoded; send it the next batch from ``queue``.

        Never blocks on the child. Returns one result for everything applied in this
        call (None: nothing was). Messages go to the child only when no batch is in
        flight; until then they wait in ``queue`` (whose flood accounting stays here).
        A batch of at most :data:`SMALL_BATCH` messages is decoded here and applied now,
        unless feeds are hosted: then every tick's batch goes to the child.
        """
        results = self._collect()
        # With hosted feeds every tick asks the child for what they received, even
        # when nothing waits here (the child never sends unasked: one batch at a time).
        hosting = bool(self.hosted) and self._ready
        if self._in_flight is None and (len(queue) or hosting):
            batch, dropped = queue.drain(max_items)
            if hosting:
                local = self.submit(batch, most=max_items)
                if local is not None:
                    results.append(local)
            elif 0 < len(batch) <= SMALL_BATCH:
                results.append(self._decode_small(batch))
            elif batch:
                local = self.submit(batch)
                if local is not None:
                    results.append(local)
            if dropped:
                if not results:
                    results.append(ApplyResult.empty())
                queue.count_floods(self.store, dropped, results[-1])
        return ApplyResult.merged(results) if results else None

    def submit(
        self,
        batch: Sequence[RawMessage],
        now_limit: float | None = None,
        *,
        most: int | None = None,
    ) -> ApplyResult | None:
        """Send ``batch`` to the child, or decode and apply it here when the child is
        not usable (not ready yet, or gone); the result is then returned at once. The
        child adds what its hosted feeds received (at most ``most`` of it).

        A batch already in flight is first waited for (:meth:`flush`), so prefer
        :meth:`pump`, which never waits.
        """
        limit = self.store.now_limit() if now_limit is None else now_limit
        pre: list[ApplyResult] = self.flush() if self._in_flight is not None else []
        t0 = time.perf_counter()
        raws = _as_tuples(batch)
        if self.ready:
            try:
                self._send_state()
                self._conn.send(("decode", self._next_id, limit, raws, most))
            except Exception as exc:  # a broken pipe, or a payload that cannot pickle
                self._fall_back(f"stopped taking messages ({exc!r})")
            else:
                self._in_flight = (self._next_id, limit, raws, time.monotonic())
                self._next_id += 1
                self.stats.forward_seconds += time.perf_counter() - t0
                return ApplyResult.merged(pre) if pre else None
        pre.append(self._decode_here(raws, limit))
        return ApplyResult.merged(pre)

    def _decode_small(self, batch: Sequence[RawMessage]) -> ApplyResult:
        """Decode and apply ``batch`` here, and have the child decode it as well, so
        that its state moves with the store's (no resync before the next batch)."""
        limit = self.store.now_limit()
        raws = _as_tuples(batch)
        mirror = self.ready
        if mirror:
            try:
                self._send_state()  # the child catches up first, if it is behind
            except Exception as exc:
                self._fall_back(f"stopped taking messages ({exc!r})")
                mirror = False
        result = self.store.apply_decoded(self.store.decode(raws, limit))
        self.stats.small_batches += 1
        self.stats.small_messages += len(raws)
        if mirror:
            try:
                self._conn.send(("advance", limit, raws))
            except Exception as exc:
                self._fall_back(f"stopped taking messages ({exc!r})")
            else:
                self._synced = self.store.revision
        return result

    def flush(self, timeout: float = BATCH_TIMEOUT_S) -> list[ApplyResult]:
        """Wait for the batch in flight and apply it (for tests, and before anything
        that must see every message applied)."""
        out = self._collect()
        deadline = time.monotonic() + timeout
        while self._in_flight is not None:
            left = deadline - time.monotonic()
            if self._conn is None or left <= 0 or self._conn.poll(min(left, 0.05)):
                out += self._collect(give_up=left <= 0)
        return out

    # -- elements and state ----------------------------------------------------------
    def register(self, elements: Iterable[tuple[str, str]]) -> None:
        """Register elements in the store and, in the same rows, in the child."""
        pairs = list(elements)
        in_step = self._in_flight is None and self._synced == self.store.revision
        self.store.register(pairs)
        if in_step and self._shape_sent is not None:
            self._pending.append(("register", pairs))
            self._synced = self.store.revision
            self._shape_sent = (len(self.store), len(self.store.progress_ids))

    def resync(self) -> None:
        """Send the store's whole state before the next batch (after a change the
        revision does not see, e.g. a direct write into the store's arrays)."""
        self._synced = None
        self._shape_sent = None

    def _send_state(self) -> None:
        """Control messages, then the store's state if the child's is not the same."""
        for msg in self._pending:
            self._conn.send(msg)
        self._pending.clear()
        store = self.store
        if self._synced == store.revision:
            return
        shape = (len(store), len(store.progress_ids))
        full = shape != self._shape_sent
        self._conn.send(
            (
                "sync",
                store.networks if full else None,
                store.progress_ids if full else None,
                store.time,
                store.code,
            )
        )
        self._synced, self._shape_sent = store.revision, shape
        self.stats.syncs += 1

    # -- receiving -------------------------------------------------------------------
    def _collect(self, give_up: bool = False) -> list[ApplyResult]:
        """Apply every message the child has sent (non-blocking); notice a dead, hung
        or never-ready child and fall back, decoding a batch in flight here."""
        out: list[ApplyResult] = []
        conn = self._conn
        try:
            while conn is not None and self.fallback_reason is None and conn.poll():
                t0 = time.perf_counter()
                msg = conn.recv()
                kind = msg[0]
                if kind == "ready":
                    self._ready = True
                    log.debug(
                        "status decode process %s ready in %.2f s",
                        self.process.pid,
                        time.monotonic() - self._started_at,
                    )
                elif kind == "decoded":
                    out.append(self._apply_child(msg[1], msg[2]))
                    self.stats.apply_seconds += time.perf_counter() - t0
                    for name, received in msg[3].items():
                        feed = self.hosted.get(name)
                        if feed is not None:
                            feed.remote_received = received
                elif kind == "feed_state":
                    feed = self.hosted.get(msg[1])
                    if feed is not None:
                        feed.set_state(msg[2], msg[3])
                elif kind == "error":
                    log.error("status decode process failed on a batch:\n%s", msg[2])
                    flight = self._in_flight
                    if flight is not None and flight[0] == msg[1] and msg[3]:
                        # The batch as the child had it, hosted feeds' messages included.
                        self._in_flight = (flight[0], flight[1], msg[3], flight[3])
                    self._fall_back("failed on a batch")
                    break
        except (EOFError, OSError):
            self._fall_back("ended unexpectedly", ended=True)
        else:
            now = time.monotonic()
            if conn is not None and self.fallback_reason is None:
                if self._in_flight is not None and (
                    give_up or now - self._in_flight[3] > BATCH_TIMEOUT_S
                ):
                    self._fall_back("did not answer in time")
                elif not self._ready and now - self._started_at > START_TIMEOUT_S:
                    self._fall_back(f"did not start within {START_TIMEOUT_S:g} s")
                elif not self._ready and self.process is not None and not self.process.is_alive():
                    # Usually seen as EOF above; this covers an exit racing the poll.
                    self._fall_back("ended at start", ended=True)
        if self.fallback_reason is not None and self._in_flight is not None:
            _, limit, raws, _ = self._in_flight
            self._in_flight = None
            out.append(self._decode_here(raws, limit))
        return out

    def _apply_child(self, batch_id: int, decoded: Decoded) -> ApplyResult:
        flight = self._in_flight
        if flight is None or flight[0] != batch_id:  # cannot happen: one at a time
            raise RuntimeError(f"decoded batch {batch_id} was not in flight")
        self._in_flight = None
        before = self.store.revision
        result = self.store.apply_decoded(decoded)
        if before == self._synced:  # the child's state moved with the store's
            self._synced = self.store.revision
        self.stats.batches += 1
        self.stats.messages += decoded.messages
        self.stats.child_seconds += decoded.seconds
        return result

    def _decode_here(self, raws: list[RawTuple], now_limit: float) -> ApplyResult:
        self.stats.local_batches += 1
        self.stats.local_messages += len(raws)
        return self.store.apply_decoded(self.store.decode(raws, now_limit))

    def _fall_back(self, reason: str, ended: bool = False) -> None:
        """Decode in process from now on; end the child if it is still there.

        ``ended``: the child went away by itself; its exit code goes into the reason.
        """
        if self.fallback_reason is not None:
            return
        proc, conn = self.process, self._conn
        self._conn = None
        self._ready = False
        if conn is not None:
            conn.close()
        if proc is not None:
            if ended:
                proc.join(1.0)  # EOF comes a moment before the exit status
                reason += f" (exit code {proc.exitcode})"
            if proc.is_alive():  # hung, or healthy but no longer trusted
                proc.kill()
            proc.join(1.0)
        self.fallback_reason = reason
        log.warning("status decode process %s: decoding on the main thread from now on", reason)
        hosted, self.hosted = list(self.hosted.values()), {}
        for feed in hosted:
            # Its client went with the child: the same feed starts here (messages the
            # child had queued but not sent are lost with it).
            feed.run_here(f"the decode process {reason}")

    # -- hosted feeds --------------------------------------------------------------
    def host(self, feed: HostedFeed) -> bool:
        """Start ``feed``'s client in the child; False when the child cannot take it
        (the feed then runs in this process)."""
        if not self.alive:
            return False
        opts = feed.options
        fields = {f: getattr(opts, f) for f in opts.__dataclass_fields__}
        try:
            self._conn.send(("feed", feed.name, fields, feed.record_path))
        except Exception as exc:
            self._fall_back(f"stopped taking messages ({exc!r})")
            return False
        self.hosted[feed.name] = feed
        return True

    def unhost(self, name: str) -> None:
        """Stop a hosted feed's client in the child."""
        if self.hosted.pop(name, None) is not None and self.alive:
            try:
                self._conn.send(("unfeed", name))
            except Exception as exc:
                self._fall_back(f"stopped taking messages ({exc!r})")


class HostedFeed(FeedSource):
    """An MQTT feed whose client runs in the decode process; this is its stand-in.

    Why: paho-mqtt reads and parses every message in Python in its network thread,
    ~50 us a message on this machine, so 5,000 messages/s kept a quarter of a core
    busy *holding the viewer's GIL*. VTK holds the GIL for the whole of a render, so
    that work could only run between frames, on the main thread's time. In the child
    it shares nothing with the viewer; the messages come back decoded with the next
    batch (:meth:`DecodeWorker.pump`), and connection states as they change.

    If the child is not available, or goes away later, the same client runs here, as
    a plain :class:`MqttSource`, with the same name and state callback.
    """

    kind = "mqtt"

    def __init__(self, source: Any, worker: DecodeWorker) -> None:
        super().__init__(source.name, record=source.record_path)
        self.source = source  # options, and the client should it run here
        self.options = source.options
        self.worker = worker
        self.remote_received = 0
        self.local = False
        self._queue: Any = None

    @property
    def received(self) -> int:
        return self.source.received if self.local else self.remote_received

    def start(self, queue: Any, on_state: Any = None) -> None:
        from alatau_twin.io.feeds.mqtt import make_client

        # The same checks as in process, here and at once (a missing TLS file raises
        # FeedError to the caller); the client itself is made in the child.
        make_client(self.options)
        self._on_state = on_state
        self._queue = queue
        if not self.worker.host(self):
            self.run_here("no decode process")
            return
        self.set_state("connecting", f"connecting to {self.options.address}")

    def run_here(self, why: str) -> None:
        """Run the client in this process from now on (the child is gone)."""
        if self.local or self.stopping or self._queue is None:
            return
        log.info("feed %s: its client runs in the viewer's process (%s)", self.name, why)
        self.local = True
        self.source.name = self.name
        self.source.start(self._queue, self._relay)

    def _relay(self, _name: str, state: str, detail: str) -> None:
        self.set_state(state, detail, quiet=True)  # the local client logged it

    def stop(self) -> None:
        self._stop_event.set()
        if self.local:
            self.source.stop()
            return
        from alatau_twin.io.feeds.mqtt import stopped_detail

        before, why = self.state, self.detail
        self.worker.unhost(self.name)
        self.set_state("stopped", stopped_detail(self.received, before, why))

    def join(self, timeout: float | None = None) -> bool:
        # The child owns (and joins) its client thread; here only a local one.
        return self.source.join(timeout) if self.local else True

    @property
    def running(self) -> bool:
        if self.local:
            return bool(self.source.running)
        return self.name in self.worker.hosted and not self.stopping

    def _run(self) -> None:  # pragma: no cover - the client runs elsewhere
        raise NotImplementedError


@contextlib.contextmanager
def _main_module_hidden() -> Iterator[None]:
    """Hide ``__main__``'s file and spec while a child is spawned.

    ``spawn`` runs the parent's main module again in the child (as ``__mp_main__``) so
    that functions defined there can be unpickled. The child's function lives here, and
    running the main script again would import whatever it imports (Qt, the whole app)
    into the child, or run an unguarded script's code twice (the child then never
    starts). Hidden only for the duration of ``start()``, which reads them.
    """
    main = sys.modules.get("__main__")
    if main is None:
        yield
        return
    saved = {k: main.__dict__[k] for k in ("__file__", "__spec__") if k in main.__dict__}
    main.__dict__.pop("__file__", None)
    main.__spec__ = None
    try:
        yield
    finally:
        main.__dict__.update(saved)
        if "__spec__" not in saved:
            del main.__spec__


def _as_tuples(batch: Sequence[RawMessage]) -> list[RawTuple]:
    """Raw messages as plain tuples for the pipe: a dataclass instance pickles several
    times slower."""
    return [(r.topic, r.payload, r.received, r.source) for r in batch]


def _end(proc: Any, timeout: float) -> None:
    """Join a child; terminate, then kill, one that does not stop by itself."""
    proc.join(timeout)
    if proc.is_alive():
        proc.terminate()
        proc.join(1.0)
    if proc.is_alive():
        proc.kill()
        proc.join(1.0)


__all__ = ["DecodeWorker", "HostedFeed", "WorkerStats"]
