"""Benchmark: live status messages parsed and applied per second (issue 5).

Messages are the simulator's own output on the sample's networks (317 power and 114
water elements): realistic topics and JSON payloads with ISO 8601 times, a value, a
unit and sometimes a message, about 1 % of them status changes. Times lie in the past
so that none is refused as "future". Reports

* ``parse_apply``: :meth:`StatusStore.ingest` (JSON parse, validation, per-element
  order check, array writes and history rings) in batches of 5,000 (one frame's worth
  at 50,000 messages/s and 10 frames/s), best of 3, each on a fresh store;
* ``live_pump``: the whole per-frame path of the viewer and ``watch``: feeds
  ``put_many`` into the :class:`MessageQueue`, then :meth:`LiveStatus.pump` drains,
  ingests, raises alarms, re-traces supply when a cut changed and recolours in place;
* ``replay_read``: reading the same messages from a JSON Lines recording
  (:class:`LogReader`), the speed of a ``file:LOG`` replay before the pipeline.

Baseline for all three, measured in the same run: bare ``json.loads`` of the same
payloads (what any consumer must at least pay), so the ratio says how much the whole
pipeline costs on top of decoding.
"""

from __future__ import annotations

import json
import time
from typing import Any

from alatau_twin.benchmarking import BenchResult, best_of

NAME = "feeds"
DESCRIPTION = (
    "Parse + apply live status messages on the sample's networks (target >= 50,000/s); "
    "baseline: bare json.loads of the same payloads"
)
TARGET_PER_S = 50_000
BATCH = 5_000


def _messages(n: int) -> tuple[Any, list[Any]]:
    from alatau_twin.io.feeds.simulator import Simulator
    from alatau_twin.io.sample import build_sample_scene

    scene = build_sample_scene()
    span = 1000.0
    start = time.time() - 2 * span
    sim = Simulator(scene.networks, seed=1, start=start, rate=n / span * 1.3)
    msgs = sim.messages_between(start, start + span * 1.5)[:n]
    return scene, msgs


def run(quick: bool = False) -> list[BenchResult]:
    """Measure; see the module docstring."""
    from alatau_twin.core.live import LiveStatus
    from alatau_twin.core.status import MessageQueue, StatusStore
    from alatau_twin.io.feeds.record import Recorder
    from alatau_twin.io.feeds.replay import LogReader

    n = 20_000 if quick else 100_000
    scene, msgs = _messages(n)
    n = len(msgs)
    payloads = [m.payload for m in msgs]
    batches = [msgs[i : i + BATCH] for i in range(0, n, BATCH)]

    t_json = best_of(lambda: [json.loads(p) for p in payloads], repeat=3)
    base = n / t_json

    def ingest_all() -> StatusStore:
        store = StatusStore.for_networks(scene.networks)
        for b in batches:
            store.ingest(b)
        return store

    store = ingest_all()
    assert store.stats["sim"].accepted == n, store.stats["sim"].to_dict()
    t_apply = best_of(ingest_all, repeat=5)  # a shared 2-core machine is noisy
    rate_apply = n / t_apply

    def pump_all() -> float:
        live = LiveStatus(scene)
        queue = MessageQueue()
        t0 = time.perf_counter()
        for b in batches:
            queue.put_many(b)
            live.pump(queue)
        dt = time.perf_counter() - t0
        live.close()
        return dt

    t_pump = min(pump_all() for _ in range(3))
    rate_pump = n / t_pump

    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory() as tmp:
        log = Path(tmp) / "session.jsonl"
        with Recorder(log) as rec:
            rec.put_many(msgs)
        t_read = best_of(lambda: list(LogReader(log, "bench").messages()), repeat=3)
    rate_read = n / t_read

    details = {
        "messages": n,
        "elements": len(store),
        "batch": BATCH,
        "mean_payload_bytes": round(sum(len(p) for p in payloads) / n, 1),
        "json_loads_s": t_json,
        "quick": quick,
    }
    label = f"bare json.loads of the same {n:,} payloads"
    return [
        BenchResult(
            name="parse_apply",
            figure=rate_apply,
            unit="msg/s",
            baseline=base,
            baseline_label=label,
            target=f">= {TARGET_PER_S:,} msg/s",
            passed=rate_apply >= TARGET_PER_S,
            details={**details, "seconds": t_apply},
        ),
        BenchResult(
            name="live_pump",
            figure=rate_pump,
            unit="msg/s",
            baseline=base,
            baseline_label=label,
            target=f">= {TARGET_PER_S:,} msg/s",
            passed=rate_pump >= TARGET_PER_S,
            details={"messages": n, "seconds": t_pump, "includes": "queue, alarms, trace"},
        ),
        BenchResult(
            name="replay_read",
            figure=rate_read,
            unit="msg/s",
            baseline=base,
            baseline_label=label,
            target="reported",
            details={"messages": n, "seconds": t_read},
        ),
    ]


if __name__ == "__main__":
    import sys

    for result in run(quick="--quick" in sys.argv):
        print(json.dumps(result.to_dict(), indent=2))
