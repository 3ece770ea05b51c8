"""The decode process, for real: a spawned child decodes, the owner applies, and the
result is the same as decoding in process. Killing the child loses nothing; closing
leaves no process behind."""

from __future__ import annotations

import multiprocessing
import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter

import pytest

from alatau_twin.core.status import MessageQueue, RawMessage, StatusStore
from alatau_twin.io.feeds.decode_worker import SMALL_BATCH, DecodeWorker
from tests.unit.test_decode import (
    ELEMENTS,
    T0,
    assert_same_result,
    assert_same_store,
    make_store,
    mixed_batch,
)


def batches(seed: int, n: int, size: int = 400) -> list[list[RawMessage]]:
    rng = random.Random(seed)
    return [mixed_batch(rng, size, T0 + 20 * k) for k in range(n)]


@pytest.fixture()
def worker():
    made: list[DecodeWorker] = []

    def factory(store: StatusStore, ready: bool = True) -> DecodeWorker:
        w = DecodeWorker(store)
        made.append(w)
        if ready:
            assert w.wait_ready(60.0), w.fallback_reason
        return w

    yield factory
    for w in made:
        w.close()
    assert multiprocessing.active_children() == []


def test_batches_decoded_in_the_child_apply_exactly_as_in_process(worker) -> None:
    piped, direct = make_store(history=8), make_store(history=8)
    w = worker(piped)
    for batch in batches(1, 6):
        assert w.submit(batch) is None  # with the child, applied later
        (got,) = w.flush()
        assert_same_result(got, direct.ingest(batch))
        assert_same_store(piped, direct)
    assert w.stats.batches == 6 and w.stats.local_batches == 0
    assert w.stats.messages == 6 * 400 and w.stats.child_seconds > 0
    assert w.fallback_reason is None


def test_pump_hands_one_batch_per_tick_and_counts_floods_here(worker) -> None:
    piped, direct = make_store(), make_store()
    w = worker(piped)
    queue = MessageQueue(maxlen=500)
    first, second, third = batches(2, 3)
    assert queue.put_many(first) == 400
    assert w.pump(queue) is None  # sent; nothing back yet
    assert w.busy
    assert queue.put_many(second + third) == 500  # 300 are a flood
    results = w.flush()  # the first batch, as the next tick would apply it
    assert_same_result(results[0], direct.ingest(first))
    assert len(queue) == 500  # waited in the queue while a batch was in flight
    floods = w.pump(queue)  # the next 500 go out; the flood is counted here, now
    assert floods.accepted == 0 and floods.rejected == Counter(flood=300)
    assert sum(s.rejected["flood"] for s in piped.stats.values()) == 300
    (res,) = w.flush()
    assert_same_result(res, direct.ingest(second + third[:100]))


def test_small_batches_apply_at_once_and_the_child_keeps_in_step(worker) -> None:
    piped, direct = make_store(), make_store()
    w = worker(piped)
    rng = random.Random(8)
    queue = MessageQueue()
    for k in range(12):
        size = rng.choice([1, 5, SMALL_BATCH, SMALL_BATCH + 1, 300])
        batch = mixed_batch(rng, size, T0 + 20 * k)
        queue.put_many(batch)
        got = [r for r in [w.pump(queue)] if r is not None] + w.flush()
        assert len(got) == 1  # at once (small) or after the child's round trip
        assert_same_result(got[0], direct.ingest(batch))
        assert_same_store(piped, direct)
    assert w.stats.small_batches > 0 and w.stats.batches > 0
    assert w.stats.syncs == 1  # the child followed the small batches by itself
    assert w.stats.local_batches == 0


def test_killing_the_child_with_a_batch_in_flight_loses_nothing(worker, caplog) -> None:
    piped, direct = make_store(), make_store()
    w = worker(piped)
    b1, b2, b3 = batches(3, 3)
    w.submit(b1)
    (r1,) = w.flush()
    assert_same_result(r1, direct.ingest(b1))
    # Stop the child so that it cannot decode b2, hand it b2, then kill it.
    os.kill(w.process.pid, signal.SIGSTOP)
    w.submit(b2)
    assert w.busy
    w.process.kill()
    w.process.join(10)
    queue = MessageQueue()
    queue.put_many(b3)
    with caplog.at_level("WARNING"):
        res = w.pump(queue)  # sees the death, decodes b2 here, then b3
    assert w.fallback_reason == "ended unexpectedly (exit code -9)"
    assert "decoding on the main thread" in caplog.text
    assert not w.busy and not w.alive
    want2, want3 = direct.ingest(b2), direct.ingest(b3)
    assert res.accepted == want2.accepted + want3.accepted
    assert res.rejected == want2.rejected + want3.rejected
    assert res.transitions == want2.transitions + want3.transitions
    assert_same_store(piped, direct)
    assert w.stats.local_batches == 2
    # From now on everything is decoded in process, still exactly.
    (b4,) = batches(4, 1)
    assert_same_result(w.submit(b4), direct.ingest(b4))
    assert_same_store(piped, direct)


def test_a_child_that_dies_while_starting_means_decoding_in_process(worker) -> None:
    piped, direct = make_store(), make_store()
    w = worker(piped, ready=False)
    w.process.kill()
    queue = MessageQueue()
    for batch in batches(5, 3):
        queue.put_many(batch)
        res = w.pump(queue)  # never waits: not ready, so decoded here at once
        assert_same_result(res, direct.ingest(batch))
    assert_same_store(piped, direct)
    assert not w.wait_ready(5.0)
    assert w.fallback_reason is not None
    assert w.stats.batches == 0 and w.stats.local_batches == 3


def test_changes_made_elsewhere_are_synced_before_the_next_batch(worker) -> None:
    piped, direct = make_store(), make_store()
    w = worker(piped)
    b1, b2, b3, b4 = batches(6, 4)
    w.submit(b1)
    w.flush()
    direct.ingest(b1)
    # Someone applies messages to the store directly (another path, a test, a tool).
    piped.ingest(b2)
    direct.ingest(b2)
    w.submit(b3)
    (r3,) = w.flush()
    assert_same_result(r3, direct.ingest(b3))
    # New elements: registered in both, with the same rows.
    new = [("power", "T50"), ("sewer", "S1")]
    w.register(new)
    direct.register(new)
    extra = [
        RawMessage(f"alatau/{n}/{e}/status", f'{{"status": "fault", "time": {T0!r}}}', T0, "a")
        for n, e in new
    ]
    w.submit(b4 + extra)
    (r4,) = w.flush()
    assert_same_result(r4, direct.ingest(b4 + extra))
    assert piped.status_of("sewer", "S1") == "fault"
    assert_same_store(piped, direct)
    assert w.stats.local_batches == 0
    assert w.stats.syncs == 2  # at the start and after the direct ingest


def test_close_ends_the_child_and_leaves_no_process() -> None:
    w = DecodeWorker(StatusStore(ELEMENTS))
    assert w.wait_ready(60.0)
    proc = w.process
    w.submit(batches(7, 1)[0])  # in flight while closing: fine
    w.close()
    assert not proc.is_alive()
    assert proc.exitcode == 0  # it stopped by itself, not killed
    assert multiprocessing.active_children() == []
    w.close()  # twice is harmless


@pytest.mark.skipif(not os.path.isdir("/proc"), reason="reads /proc")
def test_a_parent_that_exits_without_closing_does_not_hang_or_leave_the_child() -> None:
    script = (
        "from alatau_twin.core.status import StatusStore\n"
        "from alatau_twin.io.feeds.decode_worker import DecodeWorker\n"
        "w = DecodeWorker(StatusStore([('power', 'T1')]))\n"
        "assert w.wait_ready(60)\n"
        "print(w.process.pid, flush=True)\n"  # and exit without close()
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    pid = int(out.stdout.split()[0])
    deadline = time.monotonic() + 5
    while _running(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _running(pid)


def _running(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as fh:  # a zombie is not running
            return fh.read().split(")")[-1].split()[0] != "Z"
    except FileNotFoundError:
        return False
