"""Benchmark: the viewer's main-thread cost per pump tick with the decode process (issue 5).

Status messages like the ``live_frame`` producer's (the sample's power and water
elements, 2 % status changes) arrive at 500 per 15 Hz tick (7,500/s). Each tick we time
what the viewer's main thread does with them:

* ``decode_tick``: :meth:`DecodeWorker.pump` - apply the arrays the child decoded since
  the last tick, then forward this tick's raw messages to it (tuples, pickle, send);
* baseline, same messages, same run: :meth:`MessageQueue.drain_into` - parsing,
  validating and applying in process, as the viewer did before.

The tick sleeps 66 ms in between, as the viewer's main thread is busy elsewhere (caches
go cold, which doubles small numpy calls); both stores must end identical.
"""

from __future__ import annotations

import json
import random
import statistics
import time

from alatau_twin.benchmarking import BenchResult

NAME = "decode_tick"
DESCRIPTION = (
    "Main-thread cost per 15 Hz tick of 500 status messages with the decode process; "
    "baseline: parsing and applying them in process"
)
TARGET_MS = 2.0
PER_TICK = 500
TICK_S = 0.066


def run(quick: bool = False) -> list[BenchResult]:
    """Measure; see the module docstring."""
    from alatau_twin.core.status import MessageQueue, RawMessage, StatusStore
    from alatau_twin.io.feeds.decode_worker import DecodeWorker
    from alatau_twin.io.sample import build_sample_scene

    ticks = 100 if quick else 300
    scene = build_sample_scene()
    ids = [(n, e) for n, net in scene.networks.items() for e in net.element_ids()]
    piped = StatusStore.for_networks(scene.networks)
    direct = StatusStore.for_networks(scene.networks)
    worker = DecodeWorker(piped)
    t0 = time.perf_counter()
    if not worker.wait_ready(60.0):
        raise RuntimeError(f"decode process did not start: {worker.fallback_reason}")
    start_s = time.perf_counter() - t0
    q_piped, q_direct = MessageQueue(), MessageQueue()
    rng = random.Random(7)
    words = ["degraded", "maintenance", "fault", "ok"]
    k = 0
    t_worker: list[float] = []
    t_direct: list[float] = []
    try:
        for _ in range(ticks):
            now = time.time()
            batch = []
            for _ in range(PER_TICK):
                net, eid = ids[k % len(ids)]
                k += 1
                word = rng.choice(words) if rng.random() < 0.02 else "ok"
                value = 40 + rng.random() * 50
                body = (
                    f'{{"status": "{word}", "time": {now:.3f}, "value": {value:.1f}, "unit": "%"}}'
                )
                batch.append(RawMessage(f"alatau/{net}/{eid}/status", body, now, "load"))
            q_piped.put_many(batch)
            q_direct.put_many(batch)
            t = time.perf_counter()
            worker.pump(q_piped)
            t_worker.append(time.perf_counter() - t)
            t = time.perf_counter()
            q_direct.drain_into(direct)
            t_direct.append(time.perf_counter() - t)
            time.sleep(TICK_S)
        worker.flush()
    finally:
        worker.close()
    assert piped.stats["load"].accepted == direct.stats["load"].accepted == ticks * PER_TICK
    assert (piped.code == direct.code).all() and (piped.time == direct.time).all()

    def q(xs: list[float], p: float) -> float:
        xs = sorted(xs[5:])  # the first ticks warm up
        return xs[min(len(xs) - 1, int(p * len(xs)))] * 1000

    med = statistics.median(t_worker[5:]) * 1000
    base = statistics.median(t_direct[5:]) * 1000
    s = worker.stats
    details = {
        "ticks": ticks,
        "messages_per_tick": PER_TICK,
        "p95_ms": q(t_worker, 0.95),
        "max_ms": q(t_worker, 1.0),
        "in_process_p95_ms": q(t_direct, 0.95),
        "forward_ms_per_batch": s.forward_seconds / max(s.batches, 1) * 1000,
        "apply_ms_per_batch": s.apply_seconds / max(s.batches, 1) * 1000,
        "child_decode_rate_per_s": s.decode_rate,
        "child_start_s": start_s,
        "decoder": s.to_dict(),
    }
    return [
        BenchResult(
            "decode_tick",
            med,
            "ms",
            baseline=base,
            baseline_label="parse + apply the same messages in process (drain_into)",
            target=f"median <= {TARGET_MS:g} ms per tick of {PER_TICK} messages",
            passed=med <= TARGET_MS,
            details=details,
        )
    ]


if __name__ == "__main__":
    import sys

    for result in run(quick="--quick" in sys.argv):
        print(json.dumps(result.to_dict(), indent=2))
