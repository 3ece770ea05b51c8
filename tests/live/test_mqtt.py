"""MQTT against a real Mosquitto broker: delivery, reconnects, auth, TLS, and the CLI.

Messages are published with a real paho client (and ``mosquitto_pub`` for retained
ones); what we assert is what a user would see: statuses in the store, counts by
reason per source, connection states, and the JSON that ``watch`` prints.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest

from alatau_twin.core.status import MessageQueue, StatusStore
from alatau_twin.io.feeds import FeedError, open_feed
from alatau_twin.io.feeds.mqtt import MqttPublisher
from alatau_twin.io.feeds.urls import parse_mqtt_url

from .conftest import Broker, free_port

ROOT = Path(__file__).resolve().parents[2]


def publish(broker: Broker, messages: list[tuple[str, str | bytes]], **auth: str) -> None:
    """Publish with a real paho client and wait until the broker has every message."""
    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=f"test-pub-{time.time()}")
    if auth:
        client.username_pw_set(auth["username"], auth["password"])
    client.connect("127.0.0.1", broker.port)
    client.loop_start()
    try:
        infos = [client.publish(topic, payload, qos=1) for topic, payload in messages]
        for info in infos:
            info.wait_for_publish(5)
    finally:
        client.disconnect()
        client.loop_stop()


def wait_until(predicate, timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.02)
    return predicate()


def drain_until(queue: MessageQueue, store: StatusStore, n: int, timeout: float = 10.0) -> int:
    """Drain into the store until ``n`` messages arrived (accepted + rejected)."""
    got = 0

    def arrived() -> bool:
        nonlocal got
        res = queue.drain_into(store)
        got += res.accepted + sum(res.rejected.values())
        return got >= n

    wait_until(arrived, timeout)
    return got


def test_messages_from_a_broker_reach_the_store_and_bad_ones_are_counted(
    mosquitto, sample_scene
) -> None:
    store = StatusStore.for_networks(sample_scene.networks)
    queue = MessageQueue()
    states: list[tuple[str, str]] = []
    feed = open_feed(mosquitto.url, sample_scene.networks)
    feed.start(queue, on_state=lambda name, state, detail: states.append((state, detail)))
    try:
        assert feed.wait_for_state("connected", 10), feed.detail
        now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        publish(
            mosquitto,
            [
                (
                    "alatau/power/P-TS-GATE-01/status",
                    json.dumps({"status": "fault", "time": now, "message": "transformer trip"}),
                ),
                (
                    "alatau/water/W-BOOST/status",
                    '{"status": "degraded", "value": 2.1, "unit": "bar"}',
                ),
                ("alatau/power/P-TS-GATE-02/status", "{not json"),
                ("alatau/power/P-TS-GATE-02/status", '{"status": "on fire"}'),
                ("alatau/power/NO-SUCH-ELEMENT/status", '{"status": "ok"}'),
                ("alatau/power/P-TS-GATE-03/status", '{"status": "ok", "value": "97 %"}'),
                ("alatau/construction/GATE-ICONIC-1/progress", '{"percent": 61.5}'),
            ],
        )
        assert drain_until(queue, store, 7) == 7
    finally:
        feed.stop()
        assert feed.join(5)
    feed.report_to(store.source(feed.name))
    assert store.status_of("power", "P-TS-GATE-01") == "fault"
    assert store.text[store.row("power", "P-TS-GATE-01")] == "transformer trip"
    assert store.status_of("water", "W-BOOST") == "degraded"
    assert store.value[store.row("water", "W-BOOST")] == pytest.approx(2.1)
    st = store.stats[feed.name]
    assert feed.name == mosquitto.url
    assert st.accepted == 3
    assert dict(st.rejected) == {
        "malformed json": 1,
        "bad status": 1,
        "unknown element": 1,
        "wrong type": 1,
    }
    assert st.state == "stopped"
    assert [s for s, _ in states] == ["connecting", "connected", "stopped"]
    assert "subscribed to alatau/#" in states[1][1]


def test_the_client_reconnects_when_the_broker_restarts(mosquitto, sample_scene) -> None:
    store = StatusStore.for_networks(sample_scene.networks)
    queue = MessageQueue()
    feed = open_feed(mosquitto.url + "?reconnect_max=1&keepalive=5", sample_scene.networks)
    feed.start(queue)
    try:
        assert feed.wait_for_state("connected", 10)
        publish(mosquitto, [("alatau/power/P-TS-GATE-01/status", '{"status": "fault"}')])
        assert drain_until(queue, store, 1) == 1

        mosquitto.stop()
        assert feed.wait_for_state("reconnecting", 10), feed.state
        assert "retrying" in feed.detail
        time.sleep(1.5)  # a few failed attempts while the broker is down
        assert feed.state == "reconnecting"

        mosquitto.start()  # same port, fresh broker: no memory of our subscription
        assert feed.wait_for_state("connected", 15), feed.detail
        assert "connected again" in feed.detail
        publish(mosquitto, [("alatau/power/P-TS-GATE-01/status", '{"status": "ok"}')])
        assert drain_until(queue, store, 1) == 1
    finally:
        feed.stop()
        feed.join(5)
    assert store.status_of("power", "P-TS-GATE-01") == "ok"
    seen = feed.states_seen()
    i = seen.index("reconnecting")
    assert seen[:2] == ["connecting", "connected"]
    assert "connected" in seen[i:]  # reconnecting -> connected
    assert seen[-1] == "stopped"


def test_username_password_and_refusal_are_reported(make_broker, sample_scene) -> None:
    broker = make_broker(users={"ops": "s3cret:pw"})
    good = open_feed(
        f"mqtt://ops:s3cret%3Apw@127.0.0.1:{broker.port}/alatau/power/#", sample_scene.networks
    )
    bad = open_feed(
        f"mqtt://127.0.0.1:{broker.port}", sample_scene.networks, username="ops", password="no"
    )
    queue = MessageQueue()
    good.start(queue)
    bad.start(queue)
    try:
        assert good.wait_for_state("connected", 10), good.detail
        assert "subscribed to alatau/power/#" in good.detail
        assert bad.wait_for_state("error", 10), bad.detail
        assert "refused" in bad.detail and "username and password" in bad.detail
        publish(
            broker,
            [
                ("alatau/power/P-TS-GATE-01/status", '{"status": "maintenance"}'),
                ("alatau/water/W-BOOST/status", '{"status": "fault"}'),  # outside the filter
            ],
            username="ops",
            password="s3cret:pw",
        )
        store = StatusStore.for_networks(sample_scene.networks)
        assert drain_until(queue, store, 1) == 1
        time.sleep(0.2)
        queue.drain_into(store)
    finally:
        good.stop()
        bad.stop()
    assert store.status_of("power", "P-TS-GATE-01") == "maintenance"
    assert store.status_of("water", "W-BOOST") == "unknown"
    assert "s3cret" not in good.name


def test_tls_with_a_ca_file(make_broker, sample_scene) -> None:
    broker = make_broker(tls=True)
    queue = MessageQueue()
    feed = open_feed(broker.url, sample_scene.networks, ca=str(broker.ca))
    untrusted = open_feed(broker.url, sample_scene.networks)  # system CAs: not ours
    feed.start(queue)
    untrusted.start(MessageQueue())
    try:
        assert feed.wait_for_state("connected", 10), feed.detail
        assert untrusted.wait_for_state("reconnecting", 10)
        opts = parse_mqtt_url(broker.url, ca=str(broker.ca))
        pub = MqttPublisher(opts)
        pub.connect()
        from alatau_twin.core.status import RawMessage

        pub.put(RawMessage("alatau/power/P-TS-GATE-01/status", b'{"status": "offline"}', 0.0))
        pub.close()
        store = StatusStore.for_networks(sample_scene.networks)
        assert drain_until(queue, store, 1) == 1
    finally:
        feed.stop()
        untrusted.stop()
    assert store.status_of("power", "P-TS-GATE-01") == "offline"


def test_publisher_fails_fast_when_no_broker_listens() -> None:
    opts = parse_mqtt_url(f"mqtt://127.0.0.1:{free_port()}")
    with pytest.raises(FeedError, match="cannot connect to the MQTT broker"):
        MqttPublisher(opts).connect()


def _cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "alatau_twin", *args]


def test_feed_simulate_drives_watch_over_a_broker(mosquitto) -> None:
    """Two processes, as on two machines: one publishes the simulator, one watches;
    Ctrl-C (SIGINT) ends `watch` with its JSON summary."""
    # Retained malformed messages reach `watch` whenever it subscribes.
    for topic, payload in (
        ("alatau/power/P-TS-GATE-01/status", "{broken"),
        ("alatau/power/NOT-AN-ELEMENT/status", '{"status": "ok"}'),
    ):
        subprocess.run(
            ["mosquitto_pub", "-p", str(mosquitto.port), "-t", topic, "-m", payload, "-r"],
            check=True,
            timeout=10,
        )
    env = {k: v for k, v in os.environ.items() if k != "DISPLAY"}
    watch = subprocess.Popen(
        _cli("watch", "--feed", mosquitto.url, "--json"),
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert watch.stderr is not None
        # `watch` subscribes before it loads the scene, and says so on stderr.
        ready = watch.stderr.readline()
        assert ready.startswith(f"watching {mosquitto.url} until"), ready
        sim = subprocess.run(
            _cli(
                "feed",
                "simulate",
                "--mqtt",
                mosquitto.url,
                "--rate",
                "200",
                "--for",
                "3",
                "--seed",
                "3",
            ),
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        time.sleep(0.5)  # the last messages in flight
        watch.send_signal(signal.SIGINT)
        out, err = watch.communicate(timeout=60)
    finally:
        if watch.poll() is None:
            watch.kill()
    assert sim.returncode == 0, sim.stderr
    assert "published" in sim.stdout and "status" in sim.stdout
    published = int(sim.stdout.split("published ")[1].split(" ")[0].replace(",", ""))
    assert watch.returncode == 0, err
    summary = json.loads(out)
    elements = summary["elements"]
    assert published >= elements + 400  # a snapshot of every element, then 200/s for 3 s
    assert summary["interrupted"] is True
    msgs = summary["messages"]
    # QoS 0 may drop under a burst (the snapshot), but on a local broker hardly any.
    assert 0.98 * published <= msgs["accepted"] <= published
    assert msgs["rejected_by_reason"] == {"malformed json": 1, "unknown element": 1}
    assert summary["feed"]["kind"] == "mqtt"
    src = summary["sources"][mosquitto.url]
    assert src["state"] == "stopped" and src["rejected_total"] == 2
    assert sum(summary["elements_by_status"].values()) == summary["elements"] == elements
    assert summary["elements_by_status"]["unknown"] < 0.02 * elements  # the snapshot
    assert {"power", "water"} <= set(summary["without_service"])


def test_feed_simulate_says_when_the_broker_is_unreachable() -> None:
    port = free_port()
    proc = subprocess.run(
        _cli("feed", "simulate", "--mqtt", f"mqtt://127.0.0.1:{port}", "--for", "1"),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 2
    assert f"cannot connect to the MQTT broker at 127.0.0.1:{port}" in proc.stderr
    assert "Traceback" not in proc.stderr
