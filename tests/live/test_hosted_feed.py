"""An MQTT feed whose client runs in the decode process (HostedFeed), against a real
Mosquitto broker and a real spawned child: what arrives, what is counted, the
connection states the viewer sees, and what happens when the child dies.
"""

from __future__ import annotations

import json
import os
import signal
import time

import pytest

from alatau_twin.core.status import MessageQueue, StatusStore
from alatau_twin.io.feeds import open_feed
from alatau_twin.io.feeds.decode_worker import DecodeWorker, HostedFeed

from .test_mqtt import publish, wait_until

GATE = "P-TS-GATE-01"


def fault(eid: str = GATE, word: str = "fault", **extra: object) -> tuple[str, str]:
    return f"alatau/power/{eid}/status", json.dumps({"status": word, **extra})


class Owner:
    """The viewer's side without Qt: a store, a queue and a worker pumped in a loop."""

    def __init__(self, networks: dict) -> None:
        self.store = StatusStore.for_networks(networks)
        self.queue = MessageQueue()
        self.worker = DecodeWorker(self.store)
        assert self.worker.wait_ready(60), self.worker.fallback_reason
        self.states: list[tuple[str, str]] = []

    def hosted(self, url: str) -> HostedFeed:
        feed = HostedFeed(open_feed(url), self.worker)
        feed.start(self.queue, lambda _name, state, detail: self.states.append((state, detail)))
        return feed

    def pump_until(self, predicate, timeout: float = 15.0) -> bool:
        def step() -> bool:
            self.worker.pump(self.queue)
            return predicate()

        return wait_until(step, timeout)

    def close(self) -> None:
        self.worker.close()


@pytest.fixture()
def owner(sample_scene):
    o = Owner(sample_scene.networks)
    yield o
    o.close()


def test_a_hosted_feed_delivers_decoded_messages_and_counts_bad_ones(mosquitto, owner) -> None:
    feed = owner.hosted(mosquitto.url)
    assert owner.pump_until(lambda: feed.state == "connected"), (feed.state, feed.detail)
    assert feed.name in owner.worker.hosted and not feed.local
    # The viewer's process has no paho thread: the client lives in the child.
    assert feed.source._client is None

    publish(mosquitto, [fault(message="breaker tripped"), ("alatau/power/X/status", "{oops")])
    stats = owner.store.source(feed.name)
    assert owner.pump_until(lambda: stats.accepted + stats.rejected_total >= 2)
    assert owner.store.status_of("power", GATE) == "fault"
    assert owner.store.text[owner.store.row("power", GATE)] == "breaker tripped"
    assert stats.accepted == 1 and stats.rejected == {"malformed json": 1}
    assert owner.worker.stats.batches >= 1 and owner.worker.stats.local_messages == 0
    assert feed.received == 2

    feed.stop()
    assert feed.join(2)
    assert feed.state == "stopped" and "2 messages received" in feed.detail
    assert feed.name not in owner.worker.hosted
    # Stopped in the child too: what is published now never arrives.
    publish(mosquitto, [fault(word="ok")])
    time.sleep(0.5)
    owner.pump_until(lambda: False, timeout=0.5)
    assert owner.store.status_of("power", GATE) == "fault"


def test_broker_restart_states_reach_the_viewer_and_the_feed_carries_on(mosquitto, owner) -> None:
    feed = owner.hosted(mosquitto.url + "?reconnect_max=1&keepalive=5")
    assert owner.pump_until(lambda: feed.state == "connected")
    mosquitto.stop()
    assert owner.pump_until(lambda: feed.state == "reconnecting"), feed.state
    assert "retrying" in feed.detail
    mosquitto.start()
    assert owner.pump_until(lambda: feed.state == "connected", 20), feed.detail
    assert "connected again" in feed.detail
    publish(mosquitto, [fault()])
    assert owner.pump_until(lambda: owner.store.status_of("power", GATE) == "fault")
    seen = [s for s, _ in owner.states]
    assert seen[:2] == ["connecting", "connected"]
    assert "reconnecting" in seen and seen[-1] == "connected"


def test_when_the_child_dies_the_feed_runs_in_the_viewer_and_messages_keep_coming(
    mosquitto, owner
) -> None:
    feed = owner.hosted(mosquitto.url)
    assert owner.pump_until(lambda: feed.state == "connected")
    publish(mosquitto, [fault()])
    assert owner.pump_until(lambda: owner.store.status_of("power", GATE) == "fault")

    os.kill(owner.worker.process.pid, signal.SIGKILL)
    assert owner.pump_until(lambda: owner.worker.fallback_reason is not None)
    assert "ended unexpectedly" in owner.worker.fallback_reason
    assert feed.local and not owner.worker.hosted
    assert owner.pump_until(lambda: feed.state == "connected" and feed.running)

    st = owner.worker.stats
    here = st.local_messages + st.small_messages
    publish(mosquitto, [fault(word="maintenance")])
    assert owner.pump_until(lambda: owner.store.status_of("power", GATE) == "maintenance")
    assert st.local_messages + st.small_messages > here  # decoded in this process now
    feed.stop()
    assert feed.join(5) and not feed.running
    assert feed.state == "stopped"


def test_a_hosted_feed_that_cannot_connect_says_why(owner) -> None:
    # Nothing listens on this port: the child's client reports it, the viewer shows it.
    from .conftest import free_port

    feed = owner.hosted(f"mqtt://127.0.0.1:{free_port()}?reconnect_max=1")
    assert owner.pump_until(lambda: feed.state == "reconnecting"), (feed.state, feed.detail)
    assert "cannot reach" in feed.detail
    feed.stop()
    assert feed.state == "stopped" and "was reconnecting" in feed.detail
